//! The job engine: durability, leases and fencing, retries, cancellation, unique keys,
//! timeouts, schedules, expiry, graceful shutdown, the admin API.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use trawl::config::Config;
use trawl::jobs::{handler_fn, JobError, JobRuntime, Jobs, KindOptions, Registry, RuntimeOptions};
use trawl::store::jobs::{
    ClaimRequest, Completion, Job, JobLookup, JobState, NewJob, NewSchedule, Outcome,
    RescueRequest, WorkerInfo, DEFAULT_TEAM,
};
use trawl::store::{self, Store};
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::*;

/// Short leases, backoffs and polls so the suite stays fast.
const FAST: &[(&str, &str)] = &[
    ("TRAWL_JOBS_LEASE_SECS", "2"),
    ("TRAWL_JOBS_POLL_MS", "100"),
    ("TRAWL_JOBS_BACKOFF_BASE_MS", "10"),
    ("TRAWL_JOBS_BACKOFF_MAX_MS", "40"),
    ("TRAWL_JOBS_SHUTDOWN_GRACE_SECS", "1"),
];

/// A fresh database with the queue, without HTTP.
struct Engine {
    db: TestDb,
    config: Config,
    store: Arc<dyn Store>,
}

impl Engine {
    async fn new(backend: Backend, env: &[(&str, &str)]) -> Engine {
        let db = TestDb::new(backend).await.expect("backend available");
        let mut vars = FAST.to_vec();
        vars.extend_from_slice(env);
        let config = test_config(&db, &vars);
        let store = store::connect(&config).await.expect("open store");
        store.migrate_up().await.expect("migrate");
        Engine { db, config, store }
    }

    /// Another process's view of the same database: its own pool.
    async fn reopen(&self) -> Arc<dyn Store> {
        store::connect(&self.config).await.expect("open store")
    }

    fn jobs(&self, registry: Registry) -> Jobs {
        Jobs::new(self.store.clone(), registry, &self.config)
    }

    async fn job(&self, id: Uuid) -> Job {
        match self.store.get_job(id).await.unwrap() {
            JobLookup::Found(j) => *j,
            other => panic!("job {id} is {other:?}"),
        }
    }

    /// Waits until the job reaches `state`, or fails showing where it is.
    async fn wait_for(&self, id: Uuid, state: JobState, limit: Duration) -> Job {
        let deadline = Instant::now() + limit;
        loop {
            let job = self.job(id).await;
            if job.state == state {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job never reached {state}: {job:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A rescue of expired leases only (no dead workers named, no heartbeat rule).
fn expired_only(max_rescues: i32) -> RescueRequest {
    RescueRequest {
        limit: 100,
        keep_failed: Duration::from_secs(60),
        dead: Vec::new(),
        silent_for: None,
        max_rescues,
    }
}

fn workers_only() -> RuntimeOptions {
    RuntimeOptions {
        scheduler: false,
        ..Default::default()
    }
}

fn job(kind: &str, payload: Value) -> NewJob {
    NewJob::new(DEFAULT_TEAM, kind, payload)
}

/// A kind that sleeps `{ms}`, noticing cancellation, and returns its payload.
fn sleeper() -> Arc<dyn trawl::jobs::JobHandler> {
    handler_fn(|ctx| async move {
        let ms = ctx.payload["ms"].as_u64().unwrap_or(0);
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(ms)) => Ok(ctx.payload),
            () = ctx.cancel.cancelled() => Err(JobError::Cancelled),
        }
    })
}

/// A kind that sleeps `{ms}` and ignores its cancellation token.
fn stubborn() -> Arc<dyn trawl::jobs::JobHandler> {
    handler_fn(|ctx| async move {
        let ms = ctx.payload["ms"].as_u64().unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(json!("done"))
    })
}

both_backends! {
    async fn a_queued_job_survives_a_restart_of_the_process_that_enqueued_it(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let id = e.jobs(Registry::new())
            .enqueue(vec![job("echo", json!({"n": 7}))])
            .await
            .unwrap()[0]
            .id;
        e.store.close().await;
        // The "new process": a fresh pool and a worker that knows the kind.
        let store = e.reopen().await;
        let mut registry = Registry::new();
        registry.register("echo", handler_fn(|ctx| async move { Ok(ctx.payload) }));
        let jobs = Jobs::new(store.clone(), registry, &e.config);
        let rt = JobRuntime::start(jobs, workers_only()).await;
        let e = Engine { store, ..e };
        let done = e.wait_for(id, JobState::Succeeded, Duration::from_secs(10)).await;
        assert_eq!(done.result, Some(json!({"n": 7})));
        assert_eq!(done.attempt, 1);
        rt.shutdown(Duration::from_secs(1)).await;
    }

    async fn a_job_enqueued_in_a_rolled_back_transaction_never_exists(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let jobs = e.jobs(Registry::new());
        let mut tx = e.store.begin().await.unwrap();
        let gone = jobs.enqueue_in(&mut tx, vec![job("noop", json!({}))]).await.unwrap()[0].id;
        tx.rollback().await.unwrap();
        assert!(matches!(e.store.get_job(gone).await.unwrap(), JobLookup::NotFound));
        let mut tx = e.store.begin().await.unwrap();
        let kept = jobs.enqueue_in(&mut tx, vec![job("noop", json!({}))]).await.unwrap()[0].id;
        tx.commit().await.unwrap();
        assert_eq!(e.job(kept).await.state, JobState::Queued);
    }

    async fn a_thousand_bulk_enqueued_jobs_all_run_once(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let runs = Arc::new(AtomicUsize::new(0));
        let mut registry = Registry::new();
        let counter = runs.clone();
        registry.register("count", handler_fn(move |_| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(Value::Null)
            }
        }));
        let jobs = e.jobs(registry);
        let batch: Vec<NewJob> = (0..1000).map(|i| job("count", json!({"i": i}))).collect();
        let rt = JobRuntime::start(jobs.clone(), workers_only()).await;
        jobs.enqueue(batch).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while runs.load(Ordering::SeqCst) < 1000 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        rt.shutdown(Duration::from_secs(1)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1000);
        let left = e.store.queue_stats().await.unwrap();
        assert!(left.depth.is_empty(), "{:?}", left.depth);
    }

    async fn a_failing_job_is_retried_with_backoff_then_discarded_with_every_error(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let mut registry = Registry::new();
        registry.register("flaky", handler_fn(|ctx| async move {
            Err(JobError::Retry(format!("boom {}", ctx.attempt)))
        }));
        let jobs = e.jobs(registry);
        let id = jobs.enqueue(vec![job("flaky", json!({})).max_attempts(3)]).await.unwrap()[0].id;
        let rt = JobRuntime::start(jobs, workers_only()).await;
        let job = e.wait_for(id, JobState::Discarded, Duration::from_secs(10)).await;
        rt.shutdown(Duration::from_secs(1)).await;
        assert_eq!(job.attempt, 3);
        let errors = job.errors.as_array().unwrap();
        let messages: Vec<&str> = errors.iter().map(|e| e["error"].as_str().unwrap()).collect();
        assert_eq!(messages, ["boom 1", "boom 2", "boom 3"]);
        assert_eq!(job.last_error.as_deref(), Some("boom 3"));
        assert!(job.expires_at.is_some(), "a discarded job gets a retention");
    }

    async fn a_job_that_fails_twice_succeeds_on_its_third_attempt(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let mut registry = Registry::new();
        registry.register_with("third-time", handler_fn(|ctx| async move {
            if ctx.attempt < 3 {
                Err(JobError::Retry("not yet".into()))
            } else {
                Ok(json!({"ok": ctx.attempt}))
            }
        }), KindOptions { max_attempts: Some(5), ..Default::default() });
        let jobs = e.jobs(registry);
        let id = jobs.enqueue(vec![job("third-time", json!({}))]).await.unwrap()[0].id;
        assert_eq!(e.job(id).await.max_attempts, 5, "the kind's default applies");
        let rt = JobRuntime::start(jobs, workers_only()).await;
        let job = e.wait_for(id, JobState::Succeeded, Duration::from_secs(10)).await;
        rt.shutdown(Duration::from_secs(1)).await;
        assert_eq!(job.attempt, 3);
        assert_eq!(job.result, Some(json!({"ok": 3})));
        assert_eq!(job.errors.as_array().unwrap().len(), 2);
    }

    async fn a_permanent_error_discards_at_once_and_a_panic_is_one_failed_attempt(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let mut registry = Registry::new();
        registry.register("bad-input", handler_fn(|_| async {
            Err(JobError::Permanent("payload has no url".into()))
        }));
        registry.register("panics", handler_fn(|ctx| async move {
            if ctx.attempt == 1 {
                panic!("handler bug");
            }
            Ok(json!("recovered"))
        }));
        let jobs = e.jobs(registry);
        let ids = jobs
            .enqueue(vec![job("bad-input", json!({})), job("panics", json!({}))])
            .await
            .unwrap();
        let rt = JobRuntime::start(jobs, workers_only()).await;
        let bad = e.wait_for(ids[0].id, JobState::Discarded, Duration::from_secs(10)).await;
        assert_eq!(bad.attempt, 1);
        assert_eq!(bad.last_error.as_deref(), Some("payload has no url"));
        let panicked = e.wait_for(ids[1].id, JobState::Succeeded, Duration::from_secs(10)).await;
        assert_eq!(panicked.attempt, 2);
        assert!(panicked.errors[0]["error"].as_str().unwrap().contains("handler bug"));
        rt.shutdown(Duration::from_secs(1)).await;
    }

    async fn a_job_over_its_kinds_time_limit_fails_with_a_timeout(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let mut registry = Registry::new();
        registry.register_with("slow", stubborn(), KindOptions {
            timeout: Some(Duration::from_millis(200)),
            max_attempts: Some(1),
            ..Default::default()
        });
        let jobs = e.jobs(registry);
        let id = jobs.enqueue(vec![job("slow", json!({"ms": 30_000}))]).await.unwrap()[0].id;
        let started = Instant::now();
        let rt = JobRuntime::start(jobs, workers_only()).await;
        let job = e.wait_for(id, JobState::Discarded, Duration::from_secs(5)).await;
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(job.last_error.unwrap().contains("timed out"));
        rt.shutdown(Duration::from_secs(1)).await;
    }

    async fn a_queued_job_is_cancelled_at_once_and_never_runs(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let runs = Arc::new(AtomicUsize::new(0));
        let mut registry = Registry::new();
        let counter = runs.clone();
        registry.register("later", handler_fn(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Ok(Value::Null) }
        }));
        let jobs = e.jobs(registry);
        let later = chrono::Utc::now() + chrono::Duration::milliseconds(300);
        let id = jobs.enqueue(vec![job("later", json!({})).run_at(later)]).await.unwrap()[0].id;
        let rt = JobRuntime::start(jobs.clone(), workers_only()).await;
        let cancelled = jobs.cancel(id).await.unwrap();
        assert_eq!(cancelled.state, JobState::Cancelled);
        tokio::time::sleep(Duration::from_millis(600)).await;
        rt.shutdown(Duration::from_secs(1)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 0);
        assert_eq!(e.job(id).await.state, JobState::Cancelled);
        // A finished job cannot be cancelled again.
        assert!(jobs.cancel(id).await.is_err());
    }

    async fn a_running_job_stops_within_a_second_of_being_cancelled(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let mut registry = Registry::new();
        registry.register("polite", sleeper());
        registry.register("deaf", stubborn());
        let jobs = e.jobs(registry);
        let ids = jobs
            .enqueue(vec![job("polite", json!({"ms": 30_000})), job("deaf", json!({"ms": 30_000}))])
            .await
            .unwrap();
        let rt = JobRuntime::start(jobs.clone(), workers_only()).await;
        for id in [ids[0].id, ids[1].id] {
            e.wait_for(id, JobState::Running, Duration::from_secs(5)).await;
        }
        let asked = Instant::now();
        for id in [ids[0].id, ids[1].id] {
            let j = jobs.cancel(id).await.unwrap();
            assert_eq!(j.state, JobState::Running);
            assert!(j.cancel_requested_at.is_some());
        }
        for id in [ids[0].id, ids[1].id] {
            e.wait_for(id, JobState::Cancelled, Duration::from_secs(2)).await;
        }
        assert!(asked.elapsed() < Duration::from_millis(1500), "{:?}", asked.elapsed());
        rt.shutdown(Duration::from_secs(1)).await;
    }

    async fn a_unique_key_returns_the_active_job_instead_of_a_second_one(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let mut registry = Registry::new();
        registry.register("once", sleeper());
        let jobs = e.jobs(registry);
        let first = jobs
            .enqueue(vec![job("once", json!({"ms": 50})).unique_key("site:a")])
            .await
            .unwrap()[0];
        assert!(first.created);
        let again = jobs
            .enqueue(vec![
                job("once", json!({"ms": 50})).unique_key("site:a"),
                job("once", json!({"ms": 50})).unique_key("site:b"),
            ])
            .await
            .unwrap();
        assert_eq!(again[0].id, first.id);
        assert!(!again[0].created);
        assert!(again[1].created);
        let rt = JobRuntime::start(jobs.clone(), workers_only()).await;
        e.wait_for(first.id, JobState::Succeeded, Duration::from_secs(5)).await;
        // Once the first has finished, the key is free again.
        let next = jobs
            .enqueue(vec![job("once", json!({"ms": 1})).unique_key("site:a")])
            .await
            .unwrap()[0];
        assert!(next.created && next.id != first.id);
        rt.shutdown(Duration::from_secs(1)).await;
    }

    async fn a_stale_attempts_completion_is_refused_once_the_job_is_re_leased(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let id = e.store.enqueue(&[job("k", json!({})).max_attempts(3)]).await.unwrap()[0].id;
        let claim = |worker: Uuid| ClaimRequest {
            worker_id: worker,
            kinds: vec![("k".into(), 10)],
            limit: 10,
            team_limit: 0,
            lease: Duration::from_millis(300),
        };
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let first = e.store.claim(&claim(a)).await.unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].attempt, 1);
        // Worker a stalls past its lease; the job is rescued and b takes it.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let rescued = e.store.rescue(&expired_only(5)).await.unwrap();
        assert_eq!(rescued.len(), 1);
        let second = e.store.claim(&claim(b)).await.unwrap();
        assert_eq!(second[0].attempt, 2);
        let done = |attempt, v: &str| Completion {
            id,
            attempt,
            outcome: Outcome::Succeeded { result: json!(v), keep_for: Duration::from_secs(60) },
        };
        assert!(e.store.complete(a, &[done(1, "stale")]).await.unwrap().is_empty());
        // Even a's own attempt number with b's lease does not pass.
        assert!(e.store.complete(a, &[done(2, "stale")]).await.unwrap().is_empty());
        assert_eq!(e.store.complete(b, &[done(2, "fresh")]).await.unwrap(), vec![id]);
        let job = e.job(id).await;
        assert_eq!(job.state, JobState::Succeeded);
        assert_eq!(job.result, Some(json!("fresh")));
        assert!(job.errors[0]["error"].as_str().unwrap().contains("lease expired"));
    }

    async fn a_lost_lease_uses_the_rescue_budget_not_a_failure_attempt(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let id = e.store.enqueue(&[job("k", json!({})).max_attempts(1)]).await.unwrap()[0].id;
        let req = ClaimRequest {
            worker_id: Uuid::now_v7(),
            kinds: vec![("k".into(), 1)],
            limit: 1,
            team_limit: 0,
            lease: Duration::from_millis(100),
        };
        // Two lost workers on a one-attempt job: still queued, its one attempt unused.
        for round in 1..=2 {
            assert_eq!(e.store.claim(&req).await.unwrap().len(), 1);
            tokio::time::sleep(Duration::from_millis(250)).await;
            e.store.rescue(&expired_only(2)).await.unwrap();
            let job = e.job(id).await;
            assert_eq!(job.state, JobState::Queued, "round {round}: {job:#?}");
            assert_eq!(job.max_attempts - job.attempt, 1, "the failure attempt is unused");
        }
        // The third loss is over the budget of 2: a likely worker-killer stops here.
        assert_eq!(e.store.claim(&req).await.unwrap().len(), 1);
        tokio::time::sleep(Duration::from_millis(250)).await;
        e.store.rescue(&expired_only(2)).await.unwrap();
        let job = e.job(id).await;
        assert_eq!(job.state, JobState::Discarded);
        assert!(job.last_error.as_deref().unwrap().contains("max_rescues"), "{job:#?}");
        assert_eq!(job.errors.as_array().unwrap().len(), 3);
    }

    async fn jobs_that_just_finished_are_never_reported_as_lost_leases(backend: Backend) {
        // A heartbeat every millisecond races every completion: a job finishing between
        // the heartbeat's snapshot and its statement used to count as a lost lease.
        let e = Engine::new(backend, &[("TRAWL_JOBS_HEARTBEAT_MS", "1")]).await;
        let mut registry = Registry::new();
        registry.register("quick", sleeper());
        let jobs = e.jobs(registry);
        let batch: Vec<NewJob> =
            (0..300).map(|i| job("quick", json!({"ms": i % 4}))).collect();
        let ids = jobs.enqueue(batch).await.unwrap();
        let rt = JobRuntime::start(jobs.clone(), workers_only()).await;
        for i in &ids {
            e.wait_for(i.id, JobState::Succeeded, Duration::from_secs(30)).await;
        }
        assert_eq!(rt.leases_lost(), 0);
        rt.shutdown(Duration::from_secs(1)).await;
    }

    async fn a_rescued_job_keeps_its_place_ahead_of_later_jobs(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let first = e.store.enqueue(&[job("k", json!({}))]).await.unwrap()[0].id;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let later: Vec<NewJob> = (0..5).map(|_| job("k", json!({}))).collect();
        e.store.enqueue(&later).await.unwrap();
        let claim = |limit| ClaimRequest {
            worker_id: Uuid::now_v7(),
            kinds: vec![("k".into(), limit)],
            limit,
            team_limit: 0,
            lease: Duration::from_secs(30),
        };
        let taken = e.store.claim(&claim(1)).await.unwrap();
        assert_eq!(taken[0].id, first);
        let owner = Uuid::parse_str(&e.job(first).await.lease_owner.unwrap()).unwrap();
        let dead = RescueRequest { dead: vec![owner], ..expired_only(5) };
        assert_eq!(e.store.rescue(&dead).await.unwrap().len(), 1);
        // The next claim takes the rescued job first, not after the five queued since.
        let next = e.store.claim(&claim(1)).await.unwrap();
        assert_eq!(next[0].id, first);
        assert_eq!(next[0].attempt, 2);
    }

    async fn a_silent_workers_jobs_are_rescued_before_their_lease_expires(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let id = e.store.enqueue(&[job("k", json!({}))]).await.unwrap()[0].id;
        let worker = Uuid::now_v7();
        let info = WorkerInfo {
            id: worker,
            hostname: "elsewhere".into(),
            pid: 1,
            kinds: vec!["k".into()],
            concurrency: 1,
            running: 1,
            started_at: chrono::Utc::now(),
            heartbeat_at: chrono::Utc::now(),
            process_key: None,
        };
        e.store.register_worker(&info).await.unwrap();
        let req = ClaimRequest {
            worker_id: worker,
            kinds: vec![("k".into(), 1)],
            limit: 1,
            team_limit: 0,
            lease: Duration::from_secs(60),
        };
        assert_eq!(e.store.claim(&req).await.unwrap()[0].attempt, 1);
        let silent = |d| RescueRequest { silent_for: Some(d), ..expired_only(5) };
        // Heartbeating: nothing to rescue.
        assert!(e.store.rescue(&silent(Duration::from_millis(300))).await.unwrap().is_empty());
        tokio::time::sleep(Duration::from_millis(400)).await;
        let rescued = e.store.rescue(&silent(Duration::from_millis(300))).await.unwrap();
        assert_eq!(rescued.len(), 1);
        assert_eq!(rescued[0].state, JobState::Queued);
        let job = e.job(id).await;
        assert!(job.last_error.as_deref().unwrap().contains("worker lost"), "{job:#?}");
        // The silent worker's late result is fenced out.
        let late = Completion {
            id,
            attempt: 1,
            outcome: Outcome::Succeeded { result: json!("late"), keep_for: Duration::from_secs(60) },
        };
        assert!(e.store.complete(worker, &[late]).await.unwrap().is_empty());
    }

    async fn a_team_at_its_limit_leaves_the_slots_to_other_teams(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let other = Uuid::now_v7();
        sqlx_exec(&e, &format!("INSERT INTO teams (id, name) VALUES ('{other}', 'other')")).await;
        let mut batch: Vec<NewJob> = (0..20).map(|_| job("k", json!({}))).collect();
        batch.push(NewJob::new(other, "k", json!({})));
        e.store.enqueue(&batch).await.unwrap();
        let claimed = e.store.claim(&ClaimRequest {
            worker_id: Uuid::now_v7(),
            kinds: vec![("k".into(), 100)],
            limit: 100,
            team_limit: 5,
            lease: Duration::from_secs(30),
        }).await.unwrap();
        let by_other = claimed.iter().filter(|j| j.team_id == Some(other)).count();
        assert_eq!(by_other, 1);
        assert_eq!(claimed.len(), 6, "five for the busy team, one for the other");
    }

    async fn graceful_shutdown_finishes_short_jobs_and_gives_long_ones_back(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let mut registry = Registry::new();
        registry.register("work", stubborn());
        let jobs = e.jobs(registry);
        let ids = jobs
            .enqueue(vec![job("work", json!({"ms": 200})), job("work", json!({"ms": 60_000}))])
            .await
            .unwrap();
        let rt = JobRuntime::start(jobs.clone(), workers_only()).await;
        for i in &ids {
            e.wait_for(i.id, JobState::Running, Duration::from_secs(5)).await;
        }
        let started = Instant::now();
        rt.shutdown(Duration::from_millis(800)).await;
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert_eq!(e.job(ids[0].id).await.state, JobState::Succeeded);
        let back = e.job(ids[1].id).await;
        assert_eq!(back.state, JobState::Queued, "{back:#?}");
        assert_eq!(back.lease_expires_at, None);
        // The released attempt does not use up the budget.
        assert_eq!(back.max_attempts - back.attempt, 3);
        assert!(back.errors.as_array().unwrap().is_empty());
        assert!(e.store.list_workers(Duration::from_secs(60)).await.unwrap().is_empty(),
            "the worker unregistered");
    }

    async fn a_schedule_fires_once_per_tick_across_three_nodes(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        e.store.upsert_schedule(&NewSchedule {
            team_id: DEFAULT_TEAM,
            name: "every-second".into(),
            cron: "* * * * * *".into(),
            timezone: "UTC".into(),
            kind: "tick".into(),
            payload: json!({}),
            next_run_at: chrono::Utc::now(),
            webhook: None,
        }).await.unwrap();
        let mut nodes = Vec::new();
        for _ in 0..3 {
            let jobs = Jobs::new(e.reopen().await, Registry::new(), &e.config);
            nodes.push(JobRuntime::start(jobs, RuntimeOptions {
                workers: false,
                maintenance: false,
                ..Default::default()
            }).await);
        }
        tokio::time::sleep(Duration::from_millis(3300)).await;
        for n in nodes {
            n.shutdown(Duration::from_secs(1)).await;
        }
        let ticks = all_jobs(&e).await;
        let mut keys: Vec<String> = ticks.iter().map(|j| j.unique_key.clone().unwrap()).collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "a tick fired twice: {keys:?}");
        assert!((2..=5).contains(&n), "{n} ticks in 3.3 s");
    }

    async fn ticks_missed_while_down_fire_once_on_recovery(backend: Backend) {
        let e = Engine::new(backend, &[]).await;
        let hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
        e.store.upsert_schedule(&NewSchedule {
            team_id: DEFAULT_TEAM,
            name: "every-minute".into(),
            cron: "* * * * *".into(),
            timezone: "UTC".into(),
            kind: "tick".into(),
            payload: json!({"x": 1}),
            next_run_at: hour_ago,
            webhook: None,
        }).await.unwrap();
        let jobs = e.jobs(Registry::new());
        assert_eq!(trawl::jobs::schedule::fire_due(&jobs).await.unwrap(), 1);
        assert_eq!(trawl::jobs::schedule::fire_due(&jobs).await.unwrap(), 0);
        let ticks = all_jobs(&e).await;
        assert_eq!(ticks.len(), 1);
        assert_eq!(ticks[0].payload, json!({"x": 1}));
        let s = e.store.get_schedule(DEFAULT_TEAM, "every-minute").await.unwrap().unwrap();
        assert!(s.next_run_at > chrono::Utc::now());
        assert!(s.last_run_at.is_some());
        assert_eq!(s.last_job_id, Some(ticks[0].id), "the run is recorded with its job");
    }

    async fn expired_jobs_are_swept_and_answer_job_expired(backend: Backend) {
        let app = spawn_app_with(backend, &[
            ("TRAWL_JOBS_RETENTION_SECS", "0"),
            ("TRAWL_JOBS_SWEEP_INTERVAL_SECS", "1"),
            ("TRAWL_JOBS_POLL_MS", "100"),
        ]).await.unwrap();
        let id = app.store.enqueue(&[job("noop", json!({}))]).await.unwrap()[0].id;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !matches!(app.store.get_job(id).await.unwrap(), JobLookup::Expired) {
            assert!(Instant::now() < deadline, "never swept");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let token = admin_token(&app).await;
        let r = app.client.get(app.url(&format!("/api/v1/admin/jobs/{id}")))
            .bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 404);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "job_expired");
        let r = app.client.get(app.url(&format!("/api/v1/admin/jobs/{}", Uuid::now_v7())))
            .bearer_auth(&token).send().await.unwrap();
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
        app.stop().await;
    }

    async fn admin_api_lists_inspects_retries_and_cancels_jobs(backend: Backend) {
        let app = spawn_app_with(backend, &[("TRAWL_JOBS_POLL_MS", "100")]).await.unwrap();
        let later = chrono::Utc::now() + chrono::Duration::hours(1);
        let ids = app.store.enqueue(&[
            job("noop", json!({})),
            job("no-such-kind", json!({})).run_at(later),
        ]).await.unwrap();
        let token = admin_token(&app).await;
        let admin_get = |path: String| {
            app.client.get(app.url(&path)).bearer_auth(&token).send()
        };
        let cancel = app.client
            .post(app.url(&format!("/api/v1/admin/jobs/{}/cancel", ids[1].id)))
            .bearer_auth(&token)
            .send().await.unwrap();
        assert_eq!(cancel.status(), 200);
        let cancelled: Value = cancel.json().await.unwrap();
        assert_eq!(cancelled["state"], "cancelled");
        let retry = app.client
            .post(app.url(&format!("/api/v1/admin/jobs/{}/retry", ids[1].id)))
            .bearer_auth(&token)
            .send().await.unwrap();
        let retried: Value = retry.json().await.unwrap();
        assert_eq!(retried["state"], "queued");

        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let j: Value = admin_get(format!("/api/v1/admin/jobs/{}", ids[0].id)).await
                .unwrap().json().await.unwrap();
            if j["state"] == "succeeded" {
                assert_eq!(j["attempt"], 1);
                assert!(j["errors"].is_array());
                break;
            }
            assert!(Instant::now() < deadline, "{j}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // A succeeded job is not retried.
        let r = app.client
            .post(app.url(&format!("/api/v1/admin/jobs/{}/retry", ids[0].id)))
            .bearer_auth(&token)
            .send().await.unwrap();
        assert_eq!(r.status(), 409);

        let list: Value = admin_get("/api/v1/admin/jobs?state=succeeded&kind=noop&limit=10".into())
            .await.unwrap().json().await.unwrap();
        assert_eq!(list["data"].as_array().unwrap().len(), 1);
        let page: Value = admin_get("/api/v1/admin/jobs?limit=1".into()).await.unwrap()
            .json().await.unwrap();
        let cursor = page["next_cursor"].as_str().unwrap().to_string();
        let rest: Value = admin_get(format!("/api/v1/admin/jobs?limit=1&cursor={cursor}")).await
            .unwrap().json().await.unwrap();
        assert_ne!(rest["data"][0]["id"], page["data"][0]["id"]);
        let bad = admin_get("/api/v1/admin/jobs?state=sleeping".into()).await.unwrap();
        assert_eq!(bad.status(), 422);

        let workers: Value = admin_get("/api/v1/admin/workers".into()).await.unwrap()
            .json().await.unwrap();
        assert_eq!(workers["data"].as_array().unwrap().len(), 1, "{workers}");
        app.stop().await;
    }

    async fn health_reports_live_workers_and_queue_ages(backend: Backend) {
        let app = spawn_app_with(backend, &[("TRAWL_JOBS_KINDS", "noop")]).await.unwrap();
        // A kind nobody runs waits in the queue and ages.
        app.store.enqueue(&[job("nobody-runs-this", json!({}))]).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let body = loop {
            let body: Value = app.get("/health").await.json().await.unwrap();
            if body["checks"]["workers"]["alive"] == 1 {
                break body;
            }
            assert!(Instant::now() < deadline, "{body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(body["checks"]["workers"]["status"], "ok");
        let queue = &body["checks"]["queue"];
        assert_eq!(queue["status"], "ok");
        assert_eq!(queue["queued"], 1);
        assert!(queue["oldest_queued_age_s"].as_f64().unwrap() >= 0.0, "{queue}");
        app.stop().await;
    }
}

async fn sqlx_exec(e: &Engine, sql: &str) {
    use sqlx::Connection;
    if e.db.url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(&e.db.url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(&e.db.url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    }
}

async fn all_jobs(e: &Engine) -> Vec<Job> {
    e.store
        .list_jobs(&trawl::store::jobs::JobFilter {
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn admin_routes_need_an_instance_admin() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    // Loopback is no longer a credential.
    assert_eq!(app.get("/api/v1/admin/jobs").await.status(), 401);
    let token = admin_token(&app).await;
    let r = app
        .client
        .get(app.url("/api/v1/admin/jobs"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn metrics_count_jobs_by_kind_and_outcome() {
    let app = spawn_app_with(Backend::Sqlite, &[("TRAWL_JOBS_POLL_MS", "100")])
        .await
        .unwrap();
    let id = app.store.enqueue(&[job("noop", json!({}))]).await.unwrap()[0].id;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !matches!(app.store.get_job(id).await.unwrap(), JobLookup::Found(j) if j.state == JobState::Succeeded)
    {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let text = app.get("/metrics").await.text().await.unwrap();
    for needle in [
        r#"trawl_jobs_enqueued_total{kind="noop"}"#,
        r#"trawl_jobs_completed_total{kind="noop",outcome="succeeded"}"#,
        r#"job_duration_seconds_bucket{kind="noop""#,
        r#"job_queue_wait_seconds_bucket{kind="noop""#,
        "trawl_workers_alive",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_built_in_schedule_is_created_once_from_the_environment() {
    let env = [
        ("TRAWL_SCHEDULE_SCRAPE_URL", "https://example.com/page"),
        ("TRAWL_SCHEDULE_CRON", "0 0 * * * *"),
    ];
    let app = spawn_app_with(Backend::Sqlite, &env).await.unwrap();
    let first = app
        .store
        .get_schedule(DEFAULT_TEAM, trawl::jobs::schedule::BUILTIN_SCRAPE)
        .await
        .unwrap()
        .expect("created");
    assert_eq!(first.kind, "scrape");
    assert_eq!(first.payload["url"], "https://example.com/page");
    // Start-up again on the same database: the same schedule, not a second one.
    let store = trawl::store::connect(&test_config(&app.db, &env))
        .await
        .unwrap();
    trawl::jobs::schedule::ensure_builtin(store.as_ref(), &test_config(&app.db, &env))
        .await
        .unwrap();
    let again = store
        .get_schedule(DEFAULT_TEAM, trawl::jobs::schedule::BUILTIN_SCRAPE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.next_run_at, first.next_run_at);
    app.stop().await;
}
