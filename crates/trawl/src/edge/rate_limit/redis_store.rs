//! The Redis backend: one budget shared by every node, decided by a Lua script so that
//! reading and moving the TATs is one atomic step.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::gcra::Verdict;
use super::Quota;

pub struct RedisBackend {
    conn: ConnectionManager,
    script: redis::Script,
    prefix: String,
}

impl RedisBackend {
    /// Connects lazily: a Redis that is down at start-up is handled like one that goes
    /// down later (fail-open or fail-closed), not as a start-up error.
    pub fn new(client: redis::Client, prefix: String) -> redis::RedisResult<RedisBackend> {
        // Short timeouts: a dead Redis must cost a request milliseconds, not seconds.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_millis(500)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        Ok(RedisBackend {
            conn: ConnectionManager::new_lazy_with_config(client, config)?,
            script: redis::Script::new(include_str!("redis.lua")),
            prefix,
        })
    }

    pub async fn check(&self, key: &str, quotas: &[Quota]) -> redis::RedisResult<Vec<Verdict>> {
        let mut inv = self.script.prepare_invoke();
        for (i, q) in quotas.iter().enumerate() {
            inv.key(format!("{}:{key}:{i}", self.prefix));
            inv.arg(q.interval_us()).arg(q.count);
        }
        let mut conn = self.conn.clone();
        let out: Vec<i64> = inv.invoke_async(&mut conn).await?;
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
}
