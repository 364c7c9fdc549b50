//! Built-in kinds: `noop` (benchmarks, smoke tests) and, only with
//! `TRAWL_JOBS_TEST_KINDS=1`, the test kinds that the process-level tests need inside
//! spawned `trawl worker` processes.

use std::time::Duration;

use serde_json::{json, Value};

use super::{handler_fn, JobError, Registry};
use crate::config::JobsConfig;

pub(super) fn register(r: &mut Registry, config: &JobsConfig) {
    r.register("noop", handler_fn(|_ctx| async { Ok(Value::Null) }));
    if config.test_kinds {
        // TEST ONLY. `test.record {ms}`: sleeps, then appends one row per execution to
        // `test_job_runs` (a table the test creates) and returns who ran it, so a test
        // can count executions and check that exactly one result per job was accepted.
        r.register(
            "test.record",
            handler_fn(|ctx| async move {
                let ms = ctx.payload["ms"].as_u64().unwrap_or(0);
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(ms)) => {}
                    () = ctx.cancel.cancelled() => return Err(JobError::Cancelled),
                }
                let worker = format!("{}:{}", std::process::id(), ctx.worker_id);
                ctx.store
                    .record_test_execution(ctx.id, ctx.attempt, &worker)
                    .await?;
                Ok(json!({ "attempt": ctx.attempt, "worker": worker }))
            }),
        );
    }
}
