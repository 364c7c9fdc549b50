//! Queue gauges, refreshed when `/metrics` is scraped (counters and histograms are
//! recorded where things happen, in the worker and the store).

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use crate::config::JobsConfig;
use crate::store::jobs::JobState;
use crate::store::Store;

/// A worker counts as alive when it heartbeat within this long: the same rule that has
/// its jobs rescued, so health, the admin view and the queue agree.
pub fn alive_window(config: &JobsConfig) -> Duration {
    config.dead_after()
}

pub fn describe() {
    metrics::describe_counter!("trawl_jobs_enqueued_total", "Jobs enqueued, by kind");
    metrics::describe_counter!(
        "trawl_documents_expired_total",
        "Stored documents deleted because they outlived their retention"
    );
    metrics::describe_counter!(
        "trawl_jobs_completed_total",
        "Finished attempts by kind and outcome (succeeded, failed, discarded, cancelled, fenced)"
    );
    metrics::describe_histogram!(
        "trawl_job_duration_seconds",
        metrics::Unit::Seconds,
        "Time a handler ran, by kind"
    );
    metrics::describe_histogram!(
        "trawl_job_queue_wait_seconds",
        metrics::Unit::Seconds,
        "Time from a job being runnable to being claimed, by kind"
    );
    metrics::describe_gauge!("trawl_jobs_queue_depth", "Active jobs by kind and state");
    metrics::describe_gauge!("trawl_workers_alive", "Workers that heartbeat recently");
}

/// Sets `trawl_jobs_queue_depth{kind,state}` and `trawl_workers_alive` from the database.
pub async fn refresh(store: &dyn Store, alive_within: Duration) {
    static SEEN: Mutex<Option<HashSet<(String, JobState)>>> = Mutex::new(None);
    describe();
    match store.queue_stats().await {
        Ok(stats) => {
            let now: HashSet<(String, JobState)> = stats
                .depth
                .iter()
                .map(|(k, s, _)| (k.clone(), *s))
                .collect();
            for (kind, state, n) in stats.depth {
                metrics::gauge!("trawl_jobs_queue_depth", "kind" => kind, "state" => state.as_str())
                    .set(n as f64);
            }
            // A label that emptied reads 0, not its last value.
            let mut seen = SEEN.lock().expect("lock");
            for (kind, state) in seen.get_or_insert_with(HashSet::new).difference(&now) {
                metrics::gauge!("trawl_jobs_queue_depth", "kind" => kind.clone(), "state" => state.as_str())
                    .set(0.0);
            }
            seen.get_or_insert_with(HashSet::new).extend(now);
        }
        Err(e) => tracing::debug!(error = %e, "queue stats unavailable"),
    }
    if let Ok(workers) = store.list_workers(alive_within).await {
        metrics::gauge!("trawl_workers_alive").set(workers.len() as f64);
    }
}
