//! The Redis backend: one budget shared by every node, decided by a Lua script so that
//! reading and moving the TATs is one atomic step.
//!
//! A circuit breaker stands in front of it: the first failed or slow call (refused, or
//! no answer within [`CALL_TIMEOUT`] when Redis hangs) opens it, and from then on every
//! check fails at once, without touching the network, while one background task pings
//! Redis every [`PROBE_EVERY`] and closes the breaker on the first answer. An outage
//! thus costs one slow request, not one per request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::gcra::Verdict;
use super::Quota;

/// Longest a rate-limit call may take before Redis counts as down.
const CALL_TIMEOUT: Duration = Duration::from_millis(500);
/// How often an open breaker pings Redis.
const PROBE_EVERY: Duration = Duration::from_millis(500);

/// Why Redis could not decide.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("circuit open: Redis failed recently and is being probed")]
    Open,
    #[error("no answer within {0:?}")]
    TimedOut(Duration),
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
}

pub struct RedisBackend {
    conn: ConnectionManager,
    script: redis::Script,
    prefix: String,
    breaker: Arc<Breaker>,
}

#[derive(Default)]
struct Breaker {
    open: AtomicBool,
    probing: AtomicBool,
}

impl RedisBackend {
    /// Connects lazily: a Redis that is down at start-up is handled like one that goes
    /// down later (fail-open or fail-closed), not as a start-up error.
    pub fn new(client: redis::Client, prefix: String) -> redis::RedisResult<RedisBackend> {
        // Short timeouts: a dead Redis must cost a request milliseconds, not seconds.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CALL_TIMEOUT))
            .set_response_timeout(Some(CALL_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        Ok(RedisBackend {
            conn: ConnectionManager::new_lazy_with_config(client, config)?,
            script: redis::Script::new(include_str!("redis.lua")),
            prefix,
            breaker: Arc::default(),
        })
    }

    /// Whether the breaker is open (Redis failed and has not answered a probe since).
    pub fn is_open(&self) -> bool {
        self.breaker.open.load(Ordering::Acquire)
    }

    pub async fn check(&self, key: &str, quotas: &[Quota]) -> Result<Vec<Verdict>, BackendError> {
        let mut inv = self.script.prepare_invoke();
        for (i, q) in quotas.iter().enumerate() {
            inv.key(format!("{}:{key}:{i}", self.prefix));
            inv.arg(q.interval_us()).arg(q.count);
        }
        let out: Vec<i64> = self
            .guarded(|mut conn| async move { inv.invoke_async(&mut conn).await })
            .await?;
        let allowed = out.first().copied() == Some(1);
        Ok(out[1..]
            .chunks_exact(3)
            .map(|c| Verdict {
                allowed: allowed || c[1] == 0,
                remaining: c[0].max(0) as u64,
                retry_after_us: c[1].max(0) as u64,
                reset_us: c[2].max(0) as u64,
                new_tat: 0,
            })
            .collect())
    }

    /// A `PING` through the breaker (readiness asks this).
    pub async fn ping(&self) -> Result<(), BackendError> {
        self.guarded(
            |mut conn| async move { redis::cmd("PING").query_async::<String>(&mut conn).await },
        )
        .await
        .map(|_| ())
    }

    /// Runs `call` unless the breaker is open; a failure or a time-out opens it.
    async fn guarded<T, F, Fut>(&self, call: F) -> Result<T, BackendError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        if self.is_open() {
            return Err(BackendError::Open);
        }
        let outcome = match tokio::time::timeout(CALL_TIMEOUT, call(self.conn.clone())).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => BackendError::Redis(e),
            Err(_) => BackendError::TimedOut(CALL_TIMEOUT),
        };
        self.trip();
        Err(outcome)
    }

    /// Opens the breaker and starts the one probe task that closes it again.
    fn trip(&self) {
        self.breaker.open.store(true, Ordering::Release);
        if self.breaker.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        metrics::counter!("trawl_rate_limit_breaker_opened_total").increment(1);
        let (conn, breaker) = (self.conn.clone(), self.breaker.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(PROBE_EVERY).await;
                let mut c = conn.clone();
                let cmd = redis::cmd("PING");
                let ping = cmd.query_async::<String>(&mut c);
                if let Ok(Ok(_)) = tokio::time::timeout(CALL_TIMEOUT, ping).await {
                    breaker.probing.store(false, Ordering::Release);
                    breaker.open.store(false, Ordering::Release);
                    tracing::info!("rate-limit backend (Redis) answers again; breaker closed");
                    return;
                }
            }
        });
    }
}
