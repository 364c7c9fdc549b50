//! The generic cell rate algorithm, in microseconds. Each key keeps one number, its
//! theoretical arrival time (TAT); the in-memory backend runs this code and the Redis
//! script (`redis.lua`) is a line-for-line copy, so both backends decide alike.

use super::Quota;

/// What one quota says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    /// Requests still allowed right after this one.
    pub remaining: u64,
    /// Microseconds until the next request would be allowed (0 when allowed).
    pub retry_after_us: u64,
    /// Microseconds until the quota is whole again.
    pub reset_us: u64,
    /// The key's new TAT, to store when every quota of the policy allowed.
    pub new_tat: u64,
}

/// Decides a request at `now` against a key whose stored TAT is `tat` (0: never seen).
pub fn decide(q: &Quota, tat: u64, now: u64) -> Verdict {
    // Signed: early in a process's clock, `allow_at` may lie before its epoch.
    let t = q.interval_us() as i128;
    let tolerance = t * i128::from(q.count);
    let now = now as i128;
    let tat = (tat as i128).max(now);
    let new_tat = tat + t;
    let allow_at = new_tat - tolerance;
    if now < allow_at {
        Verdict {
            allowed: false,
            remaining: 0,
            retry_after_us: (allow_at - now) as u64,
            reset_us: (tat - now) as u64,
            new_tat: tat as u64,
        }
    } else {
        Verdict {
            allowed: true,
            remaining: ((now - allow_at) / t) as u64,
            retry_after_us: 0,
            reset_us: (new_tat - now) as u64,
            new_tat: new_tat as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_of_count_then_one_per_interval() {
        let q = Quota {
            count: 3,
            period: Duration::from_secs(3),
        };
        let mut tat = 0;
        // A process clock that has just started: the burst is whole all the same.
        let now = 1_000_000;
        for left in [2, 1, 0] {
            let v = decide(&q, tat, now);
            assert!(v.allowed);
            assert_eq!(v.remaining, left);
            tat = v.new_tat;
        }
        let v = decide(&q, tat, now);
        assert!(!v.allowed);
        assert_eq!(v.retry_after_us, 1_000_000);
        let v = decide(&q, tat, now + 1_000_000);
        assert!(v.allowed);
    }
}
