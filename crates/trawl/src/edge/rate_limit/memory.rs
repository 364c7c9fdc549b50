//! The in-memory backend: one process's budget, kept in sharded maps of TATs.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::Instant;

use super::gcra::{self, Verdict};
use super::Quota;

const SHARDS: usize = 32;
/// A shard this large drops keys whose TAT has passed (they would start afresh anyway).
const SHARD_SWEEP_AT: usize = 8192;

pub struct MemoryBackend {
    epoch: Instant,
    hasher: std::collections::hash_map::RandomState,
    shards: Vec<Mutex<HashMap<(String, usize), u64>>>,
}

impl Default for MemoryBackend {
    fn default() -> Self {
        MemoryBackend {
            epoch: Instant::now(),
            hasher: Default::default(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

impl MemoryBackend {
    /// Decides a request for `key` against every quota; stores the new TATs only when
    /// all of them allow it.
    pub fn check(&self, key: &str, quotas: &[Quota]) -> Vec<Verdict> {
        // Starts at 1 s so that "never seen" (0) is always in the past.
        let now = self.epoch.elapsed().as_micros() as u64 + 1_000_000;
        let shard = &self.shards[self.hasher.hash_one(key) as usize % SHARDS];
        let mut map = shard.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > SHARD_SWEEP_AT {
            map.retain(|_, tat| *tat > now);
        }
        let mut verdicts = Vec::with_capacity(quotas.len());
        let mut k = (key.to_owned(), 0);
        for (i, q) in quotas.iter().enumerate() {
            k.1 = i;
            let tat = map.get(&k).copied().unwrap_or(0);
            verdicts.push(gcra::decide(q, tat, now));
        }
        if verdicts.iter().all(|v| v.allowed) {
            for (i, v) in verdicts.iter().enumerate() {
                k.1 = i;
                map.insert(k.clone(), v.new_tat);
            }
        }
        verdicts
    }
}
