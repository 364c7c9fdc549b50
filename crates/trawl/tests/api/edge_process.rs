//! Rate limits across real server processes sharing Redis, and what happens when Redis
//! goes away. The shared-budget test uses the machine's Redis (`TRAWL_TEST_REDIS_URL`);
//! the outage tests start a private `redis-server` and stop only that one.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::*;

/// The machine's Redis for tests; in CI it must be set, elsewhere its absence skips.
fn test_redis_url() -> Option<String> {
    match std::env::var("TRAWL_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must set TRAWL_TEST_REDIS_URL: the Redis tests may not be skipped there"
            );
            eprintln!("SKIPPED (Redis): TRAWL_TEST_REDIS_URL is not set");
            None
        }
    }
}

/// Kills the child when dropped, so a failing assertion leaves no process behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn trawl(dir: &Path) -> Command {
    let mut cmd = trawl_bin(dir);
    cmd.env("TRAWL_DATA_DIR", dir)
        .env("TRAWL_BIND", "127.0.0.1:0")
        .env("TRAWL_LOG", "warn")
        .env("TRAWL_JOBS_IN_PROCESS", "false");
    cmd
}

/// Starts `serve` and returns it with its base URL.
fn serve(cmd: &mut Command) -> (Killed, String) {
    let mut child = Killed(
        cmd.arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn trawl"),
    );
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut line = String::new();
    while Instant::now() < deadline {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            panic!("trawl exited before listening");
        }
        if let Some(rest) = line.split("listening on ").nth(1) {
            let base = rest.split_whitespace().next().unwrap().to_string();
            // Keep draining stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in out.lines() {});
            return (child, base);
        }
    }
    panic!("trawl did not say where it listens");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_sharing_redis_allow_exactly_the_budget() {
    let Some(redis) = test_redis_url() else {
        return;
    };
    const BUDGET: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("trawl-test:{}", uuid::Uuid::now_v7().simple());
    let policy = format!("{BUDGET}/hour");
    let configure = |cmd: &mut Command| {
        cmd.env("TRAWL_REDIS_URL", &redis)
            .env("TRAWL_RATE_LIMIT_REDIS_PREFIX", &prefix)
            .env("TRAWL_RATE_LIMIT_AUTHENTICATED", &policy);
    };
    // The first one migrates the shared SQLite file; a key is made before the others.
    let mut first = trawl(dir.path());
    configure(&mut first);
    let mut servers = vec![serve(&mut first)];
    let out = trawl(dir.path())
        .args(["keys", "create", "--team", "default", "--name", "shared"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    for _ in 0..2 {
        let mut cmd = trawl(dir.path());
        configure(&mut cmd);
        servers.push(serve(&mut cmd));
    }
    trawl::init_crypto();
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..BUDGET * 3 {
        let url = format!("{}/api/v1/auth/me", servers[i % 3].1);
        let (client, key) = (client.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            client
                .get(url)
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut ok = 0usize;
    let mut limited = 0usize;
    for t in tasks {
        match t.await.unwrap() {
            200 => ok += 1,
            429 => limited += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(
        ok.abs_diff(BUDGET) <= 1,
        "{ok} allowed across three processes, budget {BUDGET}"
    );
    assert_eq!(ok + limited, BUDGET * 3);
    drop(servers);
}

/// A private Redis on a free loopback port, stopped when dropped.
struct PrivateRedis {
    child: Option<Child>,
    url: String,
}

impl PrivateRedis {
    fn start() -> Option<PrivateRedis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    std::env::var("CI").is_err(),
                    "redis-server must be installed in CI: {e}"
                );
                eprintln!("SKIPPED (Redis): cannot start redis-server: {e}");
                return None;
            }
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "private redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(PrivateRedis {
            child: Some(child),
            url: format!("redis://127.0.0.1:{port}"),
        })
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `configured`: the `TRAWL_RATE_LIMIT_ON_REDIS_ERROR` value, `None` for the default.
async fn redis_outage(configured: Option<&str>) {
    let Some(mut redis) = PrivateRedis::start() else {
        return;
    };
    let mode = configured.unwrap_or("open");
    let mut env = vec![
        ("TRAWL_RATE_LIMIT_ENABLED", "true"),
        ("TRAWL_REDIS_URL", redis.url.as_str()),
    ];
    if let Some(m) = configured {
        env.push(("TRAWL_RATE_LIMIT_ON_REDIS_ERROR", m));
    }
    let app = spawn_app_with(Backend::Sqlite, &env).await.unwrap();
    let r = app.get("/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["ratelimit-limit"],
        "10",
        "limited through Redis"
    );
    let h: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(h["checks"]["redis"]["status"], "ok", "{h}");
    assert_eq!(h["checks"]["rate_limit"]["status"], "ok", "{h}");
    assert_eq!(h["checks"]["rate_limit"]["backend"], "redis", "{h}");

    redis.stop();

    let r = app.get("/").await;
    if mode == "open" {
        assert_eq!(r.status(), 200, "fail-open lets the request through");
        assert!(r.headers().get("ratelimit-limit").is_none());
    } else {
        assert_eq!(r.status(), 503, "fail-closed refuses");
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["error"]["code"], "unavailable", "{b}");
    }
    let r = app.get("/health").await;
    let status = r.status();
    let h: Value = r.json().await.unwrap();
    assert_eq!(h["checks"]["redis"]["status"], "down", "{h}");
    assert_eq!(h["checks"]["rate_limit"]["status"], "down", "{h}");
    assert_eq!(h["checks"]["rate_limit"]["backend_reachable"], false, "{h}");
    if mode == "open" {
        assert_eq!(status, 200);
        assert_eq!(h["status"], "degraded", "{h}");
        assert_eq!(
            h["checks"]["rate_limit"]["on_redis_error"], "fail_open",
            "{h}"
        );
    } else {
        assert_eq!(status, 503);
        assert_eq!(h["status"], "unhealthy", "{h}");
        assert_eq!(
            h["checks"]["rate_limit"]["on_redis_error"], "fail_closed",
            "{h}"
        );
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("trawl_rate_limit_backend_errors_total"),
        "counted"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_test_fails_open_by_default_and_health_says_so() {
    redis_outage(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_test_fails_closed_when_configured_and_health_says_so() {
    redis_outage(Some("closed")).await;
}

/// Sends SIGSTOP or SIGCONT to our own private redis-server.
fn signal(redis: &PrivateRedis, sig: &str) {
    let pid = redis.child.as_ref().expect("running").id().to_string();
    let ok = Command::new("kill").args([sig, &pid]).status().unwrap();
    assert!(ok.success());
}

/// A hanging Redis (SIGSTOP) costs one request the call time-out, then the breaker
/// refuses at once (fail-closed: 503 without waiting) and readiness says not ready;
/// once Redis answers again (SIGCONT) the breaker closes within a couple of probes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_costs_one_slow_request_then_fails_fast_until_it_answers_again() {
    let Some(redis) = PrivateRedis::start() else {
        return;
    };
    let env = [
        ("TRAWL_RATE_LIMIT_ENABLED", "true"),
        ("TRAWL_REDIS_URL", redis.url.as_str()),
        ("TRAWL_RATE_LIMIT_ON_REDIS_ERROR", "closed"),
    ];
    let app = spawn_app_with(Backend::Sqlite, &env).await.unwrap();
    assert_eq!(app.get("/").await.status(), 200);
    assert_eq!(app.get("/health/ready").await.status(), 200);

    signal(&redis, "-STOP");
    let t = Instant::now();
    assert_eq!(app.get("/").await.status(), 503);
    let first = t.elapsed();
    assert!(
        first < Duration::from_millis(1500),
        "first call took {first:?}"
    );
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let t = Instant::now();
        assert_eq!(app.get("/").await.status(), 503);
        worst = worst.max(t.elapsed());
    }
    // Below the 500 ms call time-out each request would otherwise wait.
    assert!(
        worst < Duration::from_millis(400),
        "an open breaker waited {worst:?}"
    );
    let ready = app.get("/health/ready").await;
    assert_eq!(
        ready.status(),
        503,
        "fail-closed with Redis down is not ready"
    );
    assert_eq!(app.get("/health").await.status(), 503);
    eprintln!("frozen Redis: first request {first:?}, then at most {worst:?}");

    signal(&redis, "-CONT");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if app.get("/").await.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the breaker never closed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.get("/health/ready").await.status(), 200);
    app.stop().await;
}

/// A refused Redis (killed): after the first failure every request is answered at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_redis_adds_no_latency_after_the_first_failure() {
    let Some(mut redis) = PrivateRedis::start() else {
        return;
    };
    let env = [
        ("TRAWL_RATE_LIMIT_ENABLED", "true"),
        ("TRAWL_REDIS_URL", redis.url.as_str()),
    ];
    let app = spawn_app_with(Backend::Sqlite, &env).await.unwrap();
    assert_eq!(app.get("/").await.status(), 200);
    redis.stop();
    assert_eq!(app.get("/").await.status(), 200, "fail-open");
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let t = Instant::now();
        let r = app.get("/").await;
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("ratelimit-limit").is_none());
        worst = worst.max(t.elapsed());
    }
    assert!(
        worst < Duration::from_millis(400),
        "a request waited {worst:?}"
    );
    // Fail-open stays ready.
    assert_eq!(app.get("/health/ready").await.status(), 200);
    app.stop().await;
}

/// `pg_terminate_backend` on every connection of the app's own database: the next
/// requests are answered from fresh connections, not with HTTP 500s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_terminated_give_no_500() {
    use sqlx::Connection;
    let Some(app) = spawn_app_with(Backend::Postgres, &[("TRAWL_JOBS_IN_PROCESS", "false")]).await
    else {
        return;
    };
    let key = crate::schedules::key(
        &app,
        trawl::store::jobs::DEFAULT_TEAM,
        trawl::auth::Role::Admin,
    )
    .await;
    let get = |path: &'static str| {
        let (app, key) = (&app, key.clone());
        async move {
            app.client
                .get(app.url(path))
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Fill the pool with several connections.
    let warm = futures::future::join_all((0..6).map(|_| get("/api/v1/jobs"))).await;
    assert!(warm.iter().all(|s| *s == 200), "{warm:?}");
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let mut admin = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
        let cut: Vec<(bool,)> = sqlx::query_as(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(&mut admin)
        .await
        .unwrap();
        assert!(!cut.is_empty(), "no connection of the app was cut");
        tokio::time::sleep(Duration::from_millis(100)).await;
        for _ in 0..10 {
            statuses.push(get("/api/v1/jobs").await);
            statuses.push(get("/health/ready").await);
        }
    }
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    app.stop().await;
}
