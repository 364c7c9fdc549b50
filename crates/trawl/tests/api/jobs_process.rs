//! `trawl worker` processes killed with SIGKILL mid-job: every job still finishes exactly
//! once (one accepted result per job, from its final attempt), on another worker, and
//! runs again within seconds of the kill, long before its lease would run out.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Connection;
use trawl::store::jobs::{JobFilter, JobState, NewJob, DEFAULT_TEAM};
use trawl::store::{self, Store};

use crate::helpers::*;

const JOBS: usize = 1000;

/// Starts `trawl worker` on the test database and waits until it says it runs; returns
/// the process and the worker id it announced.
fn spawn_worker(db: &TestDb) -> (Child, String) {
    spawn_worker_with(db, "2")
}

fn spawn_worker_with(db: &TestDb, lease_secs: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args(["worker", "--concurrency", "8"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TRAWL_DATABASE_URL", &db.url)
        .env("TRAWL_DATA_DIR", db.dir.path())
        .env("TRAWL_JOBS_LEASE_SECS", lease_secs)
        .env("TRAWL_JOBS_POLL_MS", "50")
        .env("TRAWL_JOBS_TEST_KINDS", "1")
        .env("TRAWL_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn trawl worker");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.contains("worker"), "unexpected first line: {line:?}");
    let id = line
        .split_whitespace()
        .skip_while(|w| *w != "worker")
        .nth(1)
        .expect("a worker id")
        .to_string();
    (child, id)
}

/// Waits until `worker` holds at least one running job, so killing it interrupts work
/// (on a loaded machine the other process may otherwise have drained the queue alone).
async fn wait_until_running(store: &dyn Store, worker: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let running = store
            .list_jobs(&JobFilter {
                state: Some(JobState::Running),
                limit: 200,
                ..Default::default()
            })
            .await
            .unwrap();
        if running
            .iter()
            .any(|j| j.lease_owner.as_deref() == Some(worker))
        {
            return;
        }
        assert!(Instant::now() < deadline, "worker {worker} never ran a job");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn kill9(child: &mut Child) {
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
}

/// Jobs not finished yet, from one consistent snapshot.
async fn unfinished(store: &dyn Store) -> usize {
    let stats = store.queue_stats().await.unwrap();
    stats.depth.iter().map(|(_, _, n)| *n as usize).sum()
}

async fn runs_table(db: &TestDb) {
    let sql = if db.url.starts_with("sqlite") {
        "CREATE TABLE test_job_runs (job_id TEXT NOT NULL, attempt INTEGER NOT NULL, worker TEXT NOT NULL)"
    } else {
        "CREATE TABLE test_job_runs (job_id UUID NOT NULL, attempt INTEGER NOT NULL, worker TEXT NOT NULL)"
    };
    exec(db, sql).await;
}

async fn exec(db: &TestDb, sql: &str) {
    if db.url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    }
}

/// (job id, attempt, worker) of every execution that got as far as recording itself.
async fn runs(db: &TestDb) -> Vec<(String, i32, String)> {
    let sql = "SELECT CAST(job_id AS TEXT), attempt, worker FROM test_job_runs";
    if db.url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
    }
}

async fn killed_workers_lose_no_job_and_duplicate_no_result(backend: Backend, processes: usize) {
    let db = TestDb::new(backend).await.unwrap();
    let config = test_config(&db, &[]);
    let store = store::connect(&config).await.unwrap();
    store.migrate_up().await.unwrap();
    runs_table(&db).await;
    let jobs: Vec<NewJob> = (0..JOBS)
        .map(|i| {
            NewJob::new(DEFAULT_TEAM, "test.record", json!({"ms": 40, "i": i})).max_attempts(5)
        })
        .collect();
    store.enqueue(&jobs).await.unwrap();

    let mut workers: Vec<(Child, String)> = (0..processes).map(|_| spawn_worker(&db)).collect();
    let started = Instant::now();
    let wait_done = |n: usize| {
        let store = store.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let left = unfinished(store.as_ref()).await;
                if JOBS - left >= n {
                    return;
                }
                assert!(Instant::now() < deadline, "stuck with {left} jobs left");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    // Kill workers while they hold running jobs, and bring one replacement up.
    wait_done(JOBS / 10).await;
    wait_until_running(store.as_ref(), &workers[0].1).await;
    kill9(&mut workers[0].0);
    workers.push(spawn_worker(&db));
    if processes >= 3 {
        wait_done(JOBS * 3 / 10).await;
        wait_until_running(store.as_ref(), &workers[1].1).await;
        kill9(&mut workers[1].0);
    }
    wait_done(JOBS).await;
    let elapsed = started.elapsed();
    for (w, _) in &mut workers {
        let _ = w.kill();
        let _ = w.wait();
    }

    let all = store
        .list_jobs(&JobFilter {
            limit: JOBS as u32 + 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), JOBS);
    let runs = runs(&db).await;
    let mut rescued = 0;
    for job in &all {
        assert_eq!(job.state, JobState::Succeeded, "{job:#?}");
        let result = job.result.as_ref().expect("a result");
        // The one accepted result is the final attempt's, recorded by that attempt.
        assert_eq!(result["attempt"], job.attempt, "{job:#?}");
        let mine: Vec<_> = runs
            .iter()
            .filter(|(id, a, _)| *id == job.id.to_string() && *a == job.attempt)
            .collect();
        assert_eq!(mine.len(), 1, "{job:#?} {mine:?}");
        assert_eq!(mine[0].2, result["worker"].as_str().unwrap());
        if job.attempt > 1 {
            rescued += 1;
            let errors = job.errors.to_string();
            assert!(
                errors.contains("worker lost") || errors.contains("lease expired"),
                "{job:#?}"
            );
        }
    }
    assert!(
        rescued > 0,
        "no job was interrupted: the kills proved nothing"
    );
    eprintln!("{JOBS} jobs, {processes} workers, {rescued} rescued after SIGKILL, {elapsed:?}");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_postgres_workers_lose_no_job_and_duplicate_no_result() {
    if postgres_admin_url().is_none() {
        return;
    }
    killed_workers_lose_no_job_and_duplicate_no_result(Backend::Postgres, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_sqlite_workers_lose_no_job_and_duplicate_no_result() {
    killed_workers_lose_no_job_and_duplicate_no_result(Backend::Sqlite, 2).await;
}

/// With the default 30 s lease, jobs of a SIGKILLed worker run again on the survivor
/// within the detection time (its process is gone on this host), not after the lease,
/// and none of their failure attempts is used up.
async fn killed_workers_jobs_run_again_within_seconds(backend: Backend) {
    let db = TestDb::new(backend).await.unwrap();
    let config = test_config(&db, &[]);
    let store = store::connect(&config).await.unwrap();
    store.migrate_up().await.unwrap();
    runs_table(&db).await;
    let (mut victim, victim_id) = spawn_worker_with(&db, "30");
    let jobs: Vec<NewJob> = (0..4)
        .map(|i| NewJob::new(DEFAULT_TEAM, "test.record", json!({"ms": 1500, "i": i})))
        .collect();
    let ids: Vec<_> = store
        .enqueue(&jobs)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    wait_until_running(store.as_ref(), &victim_id).await;
    let (mut survivor, _) = spawn_worker_with(&db, "30");
    let killed = Instant::now();
    kill9(&mut victim);
    let mut back = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    for id in &ids {
        loop {
            let job = match store.get_job(*id).await.unwrap() {
                store::jobs::JobLookup::Found(j) => j,
                other => panic!("{other:?}"),
            };
            let rerun = job.attempt >= 2 || job.lease_owner.as_deref() != Some(&*victim_id);
            if rerun && job.state != JobState::Queued {
                back.push(killed.elapsed());
                break;
            }
            assert!(Instant::now() < deadline, "never ran again: {job:#?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    for id in &ids {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let store::jobs::JobLookup::Found(job) = store.get_job(*id).await.unwrap() else {
                panic!("job gone")
            };
            if job.state == JobState::Succeeded {
                assert_eq!(
                    job.max_attempts - job.attempt,
                    2,
                    "a kill used no attempt: {job:#?}"
                );
                break;
            }
            assert!(Instant::now() < deadline, "never finished: {job:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // Liveness agrees: the dead worker is no longer listed (health, admin view).
    let listed = store.list_workers(Duration::from_secs(3)).await.unwrap();
    assert!(
        listed.iter().all(|w| w.id.to_string() != victim_id),
        "{listed:?}"
    );
    assert_eq!(listed.len(), 1, "{listed:?}");
    let _ = survivor.kill();
    let _ = survivor.wait();
    let worst = back.iter().max().copied().unwrap_or_default();
    eprintln!("kill -> running again: {back:?}");
    assert!(
        worst < Duration::from_secs(6),
        "slowest rescue took {worst:?}"
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_postgres_workers_jobs_run_again_within_seconds() {
    if postgres_admin_url().is_none() {
        return;
    }
    killed_workers_jobs_run_again_within_seconds(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_sqlite_workers_jobs_run_again_within_seconds() {
    killed_workers_jobs_run_again_within_seconds(Backend::Sqlite).await;
}

/// `trawl worker` serves `/metrics` on `TRAWL_METRICS_ADDR`, saying it is a worker and
/// counting the jobs it completed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_process_serves_its_metrics_with_its_role() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let config = test_config(&db, &[]);
    let store = store::connect(&config).await.unwrap();
    store.migrate_up().await.unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args(["worker", "--concurrency", "2"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TRAWL_DATABASE_URL", &db.url)
        .env("TRAWL_DATA_DIR", db.dir.path())
        .env("TRAWL_JOBS_POLL_MS", "50")
        .env("TRAWL_METRICS_ADDR", "127.0.0.1:0")
        .env("TRAWL_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn trawl worker");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut first, mut second) = (String::new(), String::new());
    out.read_line(&mut first).unwrap();
    out.read_line(&mut second).unwrap();
    assert!(first.contains("worker"), "{first:?}");
    let url = second
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no metrics address in {second:?}"))
        .to_string();
    let jobs: Vec<NewJob> = (0..3)
        .map(|_| NewJob::new(DEFAULT_TEAM, "noop", json!({})))
        .collect();
    store.enqueue(&jobs).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while unfinished(store.as_ref()).await > 0 {
        assert!(Instant::now() < deadline, "the worker never ran the jobs");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Completions are written in a batch just after the state changes: allow a moment.
    let mut text = String::new();
    trawl::init_crypto();
    let client = reqwest::Client::new();
    for _ in 0..50 {
        text = client.get(&url).send().await.unwrap().text().await.unwrap();
        if text.contains("trawl_jobs_completed_total{") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(text.contains(r#"trawl_node_info{role="worker""#), "{text}");
    assert!(text.contains("trawl_jobs_completed_total{"), "{text}");
    let _ = child.kill();
    let _ = child.wait();
    store.close().await;
}
