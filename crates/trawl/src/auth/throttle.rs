//! Login throttling: exponential backoff per account after repeated failures, answered
//! with 429 and `Retry-After`. The cap on attempts per client IP is the rate limiter's
//! `login` tier (`crate::edge::rate_limit`), which Redis shares across nodes.
//!
//! Kept in process memory, keyed by the normalised email whether or not the account
//! exists (so a lockout does not reveal which emails are registered).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before the first lock.
pub const FREE_FAILURES: u32 = 5;
const FIRST_LOCK: Duration = Duration::from_secs(30);
const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// Failure counts are forgotten after this long without a failure.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
const MAX_ENTRIES: usize = 100_000;

#[derive(Default)]
pub struct LoginThrottle {
    accounts: Mutex<HashMap<String, Account>>,
}

#[derive(Clone, Copy)]
struct Account {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
}

/// What a failure did to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOutcome {
    Counted,
    /// This failure locked the account for the given time.
    Locked(Duration),
}

impl LoginThrottle {
    pub fn new() -> Self {
        Self::default()
    }

    /// `Err(retry_after)` while the account is locked.
    pub fn check_account(&self, email: &str) -> Result<(), Duration> {
        let accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        match accounts.get(email).and_then(|a| a.locked_until) {
            Some(until) if until > Instant::now() => Err(until - Instant::now()),
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, email: &str) -> FailureOutcome {
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if accounts.len() > MAX_ENTRIES {
            accounts.retain(|_, a| now.duration_since(a.last_failure) < FORGET_AFTER);
        }
        let a = accounts.entry(email.to_string()).or_insert(Account {
            failures: 0,
            last_failure: now,
            locked_until: None,
        });
        if now.duration_since(a.last_failure) >= FORGET_AFTER {
            a.failures = 0;
        }
        a.failures += 1;
        a.last_failure = now;
        if a.failures >= FREE_FAILURES {
            let doublings = (a.failures - FREE_FAILURES).min(10);
            let lock = (FIRST_LOCK * 2u32.pow(doublings)).min(MAX_LOCK);
            a.locked_until = Some(now + lock);
            return FailureOutcome::Locked(lock);
        }
        FailureOutcome::Counted
    }

    pub fn record_success(&self, email: &str) {
        self.accounts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(email);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifth_failure_locks_and_locks_grow() {
        let t = LoginThrottle::new();
        for _ in 0..4 {
            assert_eq!(t.record_failure("a@x.io"), FailureOutcome::Counted);
        }
        assert!(t.check_account("a@x.io").is_ok());
        assert_eq!(
            t.record_failure("a@x.io"),
            FailureOutcome::Locked(FIRST_LOCK)
        );
        assert!(t.check_account("a@x.io").is_err());
        assert_eq!(
            t.record_failure("a@x.io"),
            FailureOutcome::Locked(FIRST_LOCK * 2)
        );
        t.record_success("a@x.io");
        assert!(t.check_account("a@x.io").is_ok());
    }
}
