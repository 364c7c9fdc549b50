//! Finished jobs, remembered for a second. Clients poll a job until it finishes and then
//! read its result, often many times; a finished job changes only when it is retried
//! (which this node forgets at once) or expires. Every other node sees a retry within
//! [`TTL`], the same bound as for API key revocation. Unfinished jobs are always read
//! from the database.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::store::jobs::Job;

/// How long a finished job is served from memory.
pub const TTL: Duration = Duration::from_secs(1);
/// Bound on remembered jobs; past it, stale entries go, then everything.
const MAX: usize = 10_000;

/// Each job with the time it was read.
type Entries = HashMap<Uuid, (Instant, Arc<Job>)>;

#[derive(Clone, Default)]
pub struct FinishedCache(Arc<RwLock<Entries>>);

impl FinishedCache {
    pub fn get(&self, id: Uuid) -> Option<Arc<Job>> {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        map.get(&id)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, job)| job.clone())
    }

    /// Remembers `job` if it is finished.
    pub fn offer(&self, job: &Job) {
        if !job.state.is_finished() {
            return;
        }
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX {
            map.retain(|_, (at, _)| at.elapsed() < TTL);
            if map.len() >= MAX {
                map.clear();
            }
        }
        map.insert(job.id, (Instant::now(), Arc::new(job.clone())));
    }

    pub fn forget(&self, id: Uuid) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::jobs::JobState;

    fn job(state: JobState) -> Job {
        let now = chrono::Utc::now();
        Job {
            id: Uuid::now_v7(),
            team_id: None,
            kind: "noop".into(),
            payload: serde_json::json!({}),
            state,
            priority: 0,
            attempt: 1,
            max_attempts: 3,
            run_at: now,
            lease_owner: None,
            lease_expires_at: None,
            started_at: None,
            finished_at: None,
            expires_at: None,
            last_error: None,
            errors: serde_json::json!([]),
            result: None,
            unique_key: None,
            parent_id: None,
            cancel_requested_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn only_finished_jobs_are_remembered_and_forget_drops_them() {
        let c = FinishedCache::default();
        let running = job(JobState::Running);
        c.offer(&running);
        assert!(c.get(running.id).is_none());
        let done = job(JobState::Succeeded);
        c.offer(&done);
        assert_eq!(c.get(done.id).unwrap().id, done.id);
        c.forget(done.id);
        assert!(c.get(done.id).is_none());
    }
}
