//! Tiered rate limiting with the GCRA, in memory (one process) or in Redis (every node
//! shares one budget). The HTTP side — which tier a route is in, who the caller is, the
//! headers and the 429 — is `http::middleware::rate_limit`.

mod gcra;
mod memory;
mod policy;
mod redis_store;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use uuid::Uuid;

pub use policy::{Policy, Quota, Tier};

use crate::config::{OnBackendError, RateLimitConfig};

/// The outcome of one check, with what the `RateLimit-*` headers report: the quota of
/// the policy with the fewest requests left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u64,
    /// Seconds until that quota is whole again.
    pub reset_secs: u64,
    /// Seconds until a refused request may be retried (0 when allowed).
    pub retry_after_secs: u64,
}

/// The backend could not decide (Redis unreachable) and the configuration says to
/// refuse requests then.
#[derive(Debug, Clone, Copy)]
pub struct BackendDown;

enum Backend {
    Memory(memory::MemoryBackend),
    Redis(redis_store::RedisBackend),
}

/// The process's rate limiter. Cheap to clone.
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    enabled: bool,
    tiers: HashMap<Tier, Policy>,
    teams: HashMap<(Uuid, Tier), Policy>,
    backend: Backend,
    on_error: OnBackendError,
    /// Whether the last backend call failed (shown by `/health`; logged on change).
    down: AtomicBool,
}

/// What `/health` shows about the limiter.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LimiterHealth {
    pub enabled: bool,
    pub backend: &'static str,
    pub backend_reachable: bool,
    pub on_redis_error: &'static str,
}

impl RateLimiter {
    pub fn new(config: &RateLimitConfig, redis: Option<::redis::Client>) -> RateLimiter {
        let backend = match redis {
            Some(client) => {
                match redis_store::RedisBackend::new(client, config.redis_prefix.clone()) {
                    Ok(b) => Backend::Redis(b),
                    Err(e) => {
                        // Only a client-side configuration problem gets here.
                        tracing::error!(error = %e, "cannot set up the Redis rate-limit backend; limiting in memory");
                        Backend::Memory(Default::default())
                    }
                }
            }
            None => Backend::Memory(Default::default()),
        };
        let tiers = Tier::ALL
            .into_iter()
            .map(|t| (t, config.tiers.get(t).clone()))
            .collect();
        let teams = config
            .teams
            .iter()
            .flat_map(|(team, over)| {
                over.iter()
                    .map(move |(tier, policy)| ((*team, *tier), policy.clone()))
            })
            .collect();
        RateLimiter {
            inner: Arc::new(Inner {
                enabled: config.enabled,
                tiers,
                teams,
                backend,
                on_error: config.on_redis_error,
                down: AtomicBool::new(false),
            }),
        }
    }

    pub fn enabled(&self) -> bool {
        self.inner.enabled
    }

    /// The policy in force for `tier`, for `team` when it has an override.
    pub fn policy(&self, tier: Tier, team: Option<Uuid>) -> &Policy {
        team.and_then(|t| self.inner.teams.get(&(t, tier)))
            .or_else(|| self.inner.tiers.get(&tier))
            .expect("every tier has a policy")
    }

    /// Counts a request of `who` (an API key, user or client IP, already prefixed) in
    /// `tier`. `Ok(None)`: not limited (disabled, an unlimited policy, or the backend is
    /// down and failing open).
    pub async fn check(
        &self,
        tier: Tier,
        team: Option<Uuid>,
        who: &str,
    ) -> Result<Option<Decision>, BackendDown> {
        if !self.inner.enabled {
            return Ok(None);
        }
        let policy = self.policy(tier, team);
        if policy.unlimited() {
            return Ok(None);
        }
        let key = format!("{tier}:{who}");
        let verdicts = match &self.inner.backend {
            Backend::Memory(m) => m.check(&key, &policy.0),
            Backend::Redis(r) => match r.check(&key, &policy.0).await {
                Ok(v) => {
                    if self.inner.down.swap(false, Ordering::Relaxed) {
                        tracing::info!("rate-limit backend (Redis) reachable again");
                    }
                    v
                }
                Err(e) => {
                    metrics::counter!("trawl_rate_limit_backend_errors_total").increment(1);
                    if !self.inner.down.swap(true, Ordering::Relaxed) {
                        tracing::warn!(error = %e, fail_open = self.fails_open(tier), "rate-limit backend (Redis) unreachable");
                    }
                    return if self.fails_open(tier) {
                        Ok(None)
                    } else {
                        Err(BackendDown)
                    };
                }
            },
        };
        Ok(Some(combine(&policy.0, &verdicts)))
    }

    /// Whether a request goes through while the backend cannot decide. The deep health
    /// check always does, so that it can report the outage.
    fn fails_open(&self, tier: Tier) -> bool {
        self.inner.on_error == OnBackendError::Open || tier == Tier::Health
    }

    /// Whether the limiter can take requests as configured: false only while it fails
    /// closed and Redis does not answer (asked through the breaker, so an outage costs
    /// no wait). Readiness reports this.
    pub async fn ready(&self) -> bool {
        if !self.inner.enabled || self.inner.on_error == OnBackendError::Open {
            return true;
        }
        match &self.inner.backend {
            Backend::Memory(_) => true,
            Backend::Redis(r) => r.ping().await.is_ok(),
        }
    }

    pub fn health(&self) -> LimiterHealth {
        LimiterHealth {
            enabled: self.inner.enabled,
            backend: match self.inner.backend {
                Backend::Memory(_) => "memory",
                Backend::Redis(_) => "redis",
            },
            backend_reachable: match &self.inner.backend {
                Backend::Memory(_) => true,
                Backend::Redis(r) => !r.is_open() && !self.inner.down.load(Ordering::Relaxed),
            },
            on_redis_error: match self.inner.on_error {
                OnBackendError::Open => "fail_open",
                OnBackendError::Closed => "fail_closed",
            },
        }
    }
}

/// One decision from the verdicts of every quota: allowed when all allow; the headers
/// describe the tightest quota.
fn combine(quotas: &[Quota], verdicts: &[gcra::Verdict]) -> Decision {
    let allowed = verdicts.iter().all(|v| v.allowed);
    let (q, v) = quotas
        .iter()
        .zip(verdicts)
        .min_by_key(|(_, v)| (v.allowed, v.remaining))
        .expect("a limited policy has a quota");
    let retry = verdicts.iter().map(|v| v.retry_after_us).max().unwrap_or(0);
    Decision {
        allowed,
        limit: q.count,
        remaining: if allowed { v.remaining } else { 0 },
        reset_secs: v.reset_us.div_ceil(1_000_000),
        retry_after_secs: if allowed {
            0
        } else {
            retry.div_ceil(1_000_000).max(1)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(policy: &str) -> RateLimiter {
        let mut c = RateLimitConfig::default();
        c.tiers.scrape = policy.parse().unwrap();
        RateLimiter::new(&c, None)
    }

    #[tokio::test]
    async fn memory_backend_allows_exactly_the_burst() {
        let l = limiter("5/min");
        let mut allowed = 0;
        for _ in 0..8 {
            if l.check(Tier::Scrape, None, "ip:1")
                .await
                .unwrap()
                .unwrap()
                .allowed
            {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 5);
        // Another caller has its own budget.
        assert!(
            l.check(Tier::Scrape, None, "ip:2")
                .await
                .unwrap()
                .unwrap()
                .allowed
        );
    }

    #[tokio::test]
    async fn a_two_quota_policy_refuses_without_spending_the_other() {
        let l = limiter("2/min,100/day");
        for _ in 0..2 {
            let d = l.check(Tier::Scrape, None, "k").await.unwrap().unwrap();
            assert!(d.allowed);
        }
        let d = l.check(Tier::Scrape, None, "k").await.unwrap().unwrap();
        assert!(!d.allowed);
        assert_eq!(d.limit, 2);
        assert!(d.retry_after_secs >= 1 && d.retry_after_secs <= 30);
    }

    #[tokio::test]
    async fn team_override_replaces_the_tier_policy() {
        let mut c = RateLimitConfig::default();
        let team = Uuid::now_v7();
        c.teams
            .insert(team, [(Tier::Scrape, "1/min".parse().unwrap())].into());
        let l = RateLimiter::new(&c, None);
        assert_eq!(l.policy(Tier::Scrape, Some(team)).0[0].count, 1);
        let default = RateLimitConfig::default().tiers.get(Tier::Scrape).0[0].count;
        assert_eq!(l.policy(Tier::Scrape, None).0[0].count, default);
    }
}
