//! The binary as an operator meets it in the first hour: a Kubernetes pod's environment,
//! `.env` and `RUST_LOG`, administrative commands run in the wrong folder, `migrate down`
//! in production, and the log lines that say who asked and how a job ended.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{exit_and_output, trawl_bin, Backend, TestDb};
use crate::process::{sigterm, start_server, wait_exit, STRONG};

fn run(cmd: &mut Command) -> (i32, String, String) {
    exit_and_output(cmd.output().expect("run trawl"))
}

/// What a pod gets for a Service `trawl` (port 3002, named `http`) and a Service
/// `trawl-redis` in its namespace.
const KUBERNETES: &[(&str, &str)] = &[
    ("TRAWL_SERVICE_HOST", "10.0.0.1"),
    ("TRAWL_SERVICE_PORT", "3002"),
    ("TRAWL_SERVICE_PORT_HTTP", "3002"),
    ("TRAWL_PORT", "tcp://10.0.0.1:3002"),
    ("TRAWL_PORT_3002_TCP", "tcp://10.0.0.1:3002"),
    ("TRAWL_PORT_3002_TCP_PROTO", "tcp"),
    ("TRAWL_PORT_3002_TCP_PORT", "3002"),
    ("TRAWL_PORT_3002_TCP_ADDR", "10.0.0.1"),
    ("TRAWL_REDIS_SERVICE_HOST", "10.0.0.2"),
    ("TRAWL_REDIS_SERVICE_PORT", "6379"),
    ("TRAWL_REDIS_PORT", "tcp://10.0.0.2:6379"),
    ("TRAWL_REDIS_PORT_6379_TCP", "tcp://10.0.0.2:6379"),
    ("TRAWL_REDIS_PORT_6379_TCP_PROTO", "tcp"),
    ("TRAWL_REDIS_PORT_6379_TCP_PORT", "6379"),
    ("TRAWL_REDIS_PORT_6379_TCP_ADDR", "10.0.0.2"),
];

/// The JSON log lines a server printed until it stopped.
fn json_lines(out: impl BufRead) -> Vec<Value> {
    out.lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect()
}

#[test]
fn a_kubernetes_pod_environment_starts_with_one_line_naming_what_was_passed_over() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let mut cmd = trawl_bin(dir.path());
    cmd.args(["serve"])
        .env("TRAWL_BIND", "127.0.0.1:0")
        .env("TRAWL_LOG_DIR", &logs)
        .envs(KUBERNETES.iter().copied());
    let (mut child, _, _out) = start_server(&mut cmd);
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
    // The log file has every line, including those printed before the address.
    let mut all = Vec::new();
    for entry in std::fs::read_dir(&logs).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with("trawl.log") {
            all.extend(json_lines(std::io::BufReader::new(
                std::fs::File::open(entry.path()).unwrap(),
            )));
        }
    }
    let lines: Vec<Value> = all
        .into_iter()
        .filter(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.contains("Kubernetes"))
        })
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let named = lines[0]["variables"].as_str().unwrap();
    for (name, value) in KUBERNETES {
        assert!(named.split(',').any(|n| n == *name), "{name} in {named}");
        if value.contains('.') {
            assert!(!named.contains(value), "values are not logged: {named}");
        }
    }
}

#[test]
fn a_mistyped_variable_still_stops_start_up_and_names_the_setting_it_meant() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(trawl_bin(dir.path())
        .args(["config", "check"])
        .envs(KUBERNETES.iter().copied())
        .env("TRAWL_DATABSE_URL", "postgres://db/trawl"));
    assert_eq!(code, 2);
    assert!(
        err.contains("TRAWL_DATABSE_URL") && err.contains("did you mean TRAWL_DATABASE_URL?"),
        "{err}"
    );

    // A link name with a value Kubernetes never gives it is someone's setting.
    let (code, _, err) = run(trawl_bin(dir.path())
        .args(["config", "check"])
        .env("TRAWL_PORT", "8080"));
    assert_eq!(code, 2);
    assert!(
        err.contains("TRAWL_PORT") && err.contains("TRAWL_BIND=host:port"),
        "{err}"
    );
}

/// `level = "…"` from `config check`'s printout.
fn log_level(dir: &Path, env: &[(&str, &str)]) -> String {
    let (code, out, err) = run(trawl_bin(dir)
        .args(["config", "check"])
        .envs(env.iter().copied()));
    assert_eq!(code, 0, "{err}");
    let toml: toml::Table = toml::from_str(&out).unwrap();
    toml["log"]["level"].as_str().unwrap().to_string()
}

#[test]
fn dot_env_in_the_working_directory_fills_gaps_and_never_overrides_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "# as copied from .env.example\nTRAWL_BIND=127.0.0.1:4455\nTRAWL_LOG=debug\n",
    )
    .unwrap();
    let (code, out, err) = run(trawl_bin(dir.path())
        .args(["config", "check"])
        .env("TRAWL_LOG", "warn"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("127.0.0.1:4455"), "{out}");
    assert_eq!(log_level(dir.path(), &[("TRAWL_LOG", "warn")]), "warn");
    assert_eq!(log_level(dir.path(), &[]), "debug");

    // A folder without one is not searched upwards: `.env` is this folder's.
    let below = dir.path().join("below");
    std::fs::create_dir(&below).unwrap();
    assert_eq!(log_level(&below, &[]), "info");

    std::fs::write(dir.path().join(".env"), "TRAWL_BIND 127.0.0.1:1\n").unwrap();
    let (code, _, err) = run(trawl_bin(dir.path()).args(["config", "check"]));
    assert_eq!(code, 2);
    assert!(err.starts_with("trawl: .env"), "{err}");
}

#[test]
fn rust_log_is_the_log_filter_when_trawl_log_is_unset() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        log_level(dir.path(), &[("RUST_LOG", "trawl=debug")]),
        "trawl=debug"
    );
    assert_eq!(
        log_level(
            dir.path(),
            &[("RUST_LOG", "trawl=debug"), ("TRAWL_LOG", "warn")]
        ),
        "warn"
    );

    // And the server logs at that level: probes log at debug.
    let mut cmd = trawl_bin(dir.path());
    cmd.args(["serve"])
        .env("TRAWL_BIND", "127.0.0.1:0")
        .env("TRAWL_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug");
    let (mut child, base, out) = start_server(&mut cmd);
    let (status, _) = http("GET", &format!("{base}/health/live"), None, None);
    assert_eq!(status, 200);
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
    let lines = json_lines(out);
    assert!(
        lines
            .iter()
            .any(|l| l["level"] == "DEBUG" && l["route"] == "/health/live"),
        "no debug line for the probe: {lines:?}"
    );
}

#[test]
fn commands_other_than_serve_and_migrate_refuse_to_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let expected = dir.path().join("data").join("trawl.db");
    for args in [
        &["keys", "create", "--team", "default", "--name", "ci"][..],
        &["keys", "list"],
        &["users", "list"],
        &["audit", "verify"],
    ] {
        let (code, out, err) = run(trawl_bin(dir.path()).args(args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(
            err.contains(&format!("no database at {}", expected.display()))
                && err.contains("trawl migrate up"),
            "{args:?}: {err}"
        );
    }
    assert!(!dir.path().join("data").exists(), "nothing was created");

    assert_eq!(run(trawl_bin(dir.path()).args(["migrate", "up"])).0, 0);
    let (code, out, err) =
        run(trawl_bin(dir.path()).args(["keys", "create", "--team", "default", "--name", "ci"]));
    assert_eq!(code, 0, "{err}");
    assert!(trawl::auth::keys::is_well_formed(out.trim()), "{out}");
}

fn production(dir: &Path) -> Command {
    let mut cmd = trawl_bin(dir);
    cmd.env("TRAWL_ENV", "production")
        .env("TRAWL_SECRET", STRONG);
    cmd
}

fn pending(dir: &Path) -> usize {
    let (code, out, err) = run(production(dir).args(["migrate", "status"]));
    assert_eq!(code, 0, "{err}");
    out.matches("pending").count()
}

#[test]
fn migrate_down_in_production_asks_refuses_without_a_terminal_and_yes_skips_the_question() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(production(dir.path()).args(["migrate", "up"])).0, 0);

    let (code, _, err) = run(production(dir.path()).args(["migrate", "down"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("--yes") && err.contains("production") && err.contains("no terminal"),
        "{err}"
    );
    assert_eq!(pending(dir.path()), 0, "nothing reverted");

    // On a terminal (`script` gives it one) anything but `yes` keeps the schema.
    let ask = |answer: &str| {
        let command = format!("{} migrate down", env!("CARGO_BIN_EXE_trawl"));
        let mut child = crate::helpers::isolated("script", dir.path())
            .args(["-qec", &command, "/dev/null"])
            .env("TRAWL_ENV", "production")
            .env("TRAWL_SECRET", STRONG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("`script` runs (Debian package bsdutils)");
        // The question is asked before the answer is read; typing ahead is fine on a tty.
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, drawn) = ask("no");
    assert!(drawn.contains("Type yes to go on"), "{drawn}");
    assert_eq!(code, 1, "{drawn}");
    assert_eq!(pending(dir.path()), 0, "nothing reverted: {drawn}");
    let (code, drawn) = ask("yes");
    assert_eq!(code, 0, "{drawn}");
    assert_eq!(pending(dir.path()), 1);

    let (code, _, err) = run(production(dir.path()).args(["migrate", "down", "--yes"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(pending(dir.path()), 2);

    // Development does not ask.
    let (code, _, err) = run(trawl_bin(dir.path()).args(["migrate", "down"]));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn request_lines_name_the_client_and_a_finished_job_logs_its_id_kind_state_and_duration_sqlite() {
    job_and_request_lines(Backend::Sqlite);
}

#[test]
fn request_lines_name_the_client_and_a_finished_job_logs_its_id_kind_state_and_duration_postgres() {
    job_and_request_lines(Backend::Postgres);
}

fn job_and_request_lines(backend: Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(TestDb::new(backend)) else {
        eprintln!("SKIPPED ({backend:?}): TRAWL_TEST_POSTGRES_URL is not set");
        return;
    };
    let dir = db.dir.path();
    let trawl = || {
        let mut cmd = trawl_bin(dir);
        cmd.env("TRAWL_DATABASE_URL", &db.url);
        cmd
    };
    let mut cmd = trawl();
    cmd.args(["serve"])
        .env("TRAWL_BIND", "127.0.0.1:0")
        .env("TRAWL_LOG_FORMAT", "json")
        .env("TRAWL_FETCH_ALLOW", "127.0.0.0/8");
    let (mut child, base, out) = start_server(&mut cmd);
    let (code, key, err) =
        run(trawl().args(["keys", "create", "--team", "default", "--name", "ops"]));
    assert_eq!(code, 0, "{err}");
    let key = key.trim();

    // The server scrapes its own API page: a real page on loopback.
    let (status, job) = http(
        "POST",
        &format!("{base}/api/v1/jobs"),
        Some(key),
        Some(json!({"kind": "scrape", "payload": {"url": format!("{base}/docs")}})),
    );
    assert_eq!(status, 201, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    let done = loop {
        let (_, job) = http("GET", &format!("{base}/api/v1/jobs/{id}"), Some(key), None);
        if !matches!(job["state"].as_str(), Some("queued" | "running")) {
            break job;
        }
        assert!(Instant::now() < deadline, "job never finished: {job}");
        std::thread::sleep(Duration::from_millis(50));
    };
    // The outcome is logged just after it is recorded.
    std::thread::sleep(Duration::from_millis(200));
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
    let lines = json_lines(out);

    let finished: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"] == "job finished" && l["job"] == id.as_str())
        .collect();
    assert_eq!(finished.len(), 1, "{lines:?}");
    assert_eq!(finished[0]["kind"], "scrape");
    assert_eq!(finished[0]["state"], done["state"], "{done}");
    assert!(finished[0]["duration_ms"].is_u64(), "{}", finished[0]);

    let request = lines
        .iter()
        .find(|l| l["message"] == "request completed" && l["route"] == "/api/v1/jobs")
        .unwrap_or_else(|| panic!("no request line: {lines:?}"));
    assert_eq!(request["client"], "127.0.0.1", "{request}");
}

/// One HTTP call from a synchronous test: (status, JSON body or null).
fn http(method: &str, url: &str, key: Option<&str>, body: Option<Value>) -> (u16, Value) {
    trawl::init_crypto();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let mut req = client.request(method.parse().unwrap(), url);
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    })
}

/// A `redis-server` speaking TLS only, on a free loopback port, with a certificate from a
/// CA made for the test; stopped when dropped.
struct TlsRedis {
    child: std::process::Child,
    port: u16,
    ca_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl TlsRedis {
    fn start() -> Option<TlsRedis> {
        let dir = tempfile::tempdir().unwrap();
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
        let write = |name: &str, pem: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, pem).unwrap();
            path
        };
        let ca_file = write("ca.pem", ca.pem());
        let cert_file = write("redis.pem", cert.pem());
        let key_file = write("redis.key", key.serialize_pem());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", "0"])
            .args(["--tls-port", &port.to_string()])
            .arg("--tls-cert-file")
            .arg(&cert_file)
            .arg("--tls-key-file")
            .arg(&key_file)
            .arg("--tls-ca-cert-file")
            .arg(&ca_file)
            .args([
                "--tls-auth-clients",
                "no",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
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
                eprintln!("SKIPPED (Redis TLS): cannot start redis-server: {e}");
                return None;
            }
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(TlsRedis {
            child,
            port,
            ca_file,
            _dir: dir,
        })
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn rediss_urls_speak_tls_to_redis_trusting_the_configured_ca_only() {
    let Some(redis) = TlsRedis::start() else {
        return;
    };
    let url = format!("rediss://127.0.0.1:{}/0", redis.port);
    let dir = tempfile::tempdir().unwrap();
    let serve = |ca_file: Option<&Path>| {
        let mut cmd = trawl_bin(dir.path());
        cmd.args(["serve"])
            .env("TRAWL_BIND", "127.0.0.1:0")
            .env("TRAWL_REDIS_URL", &url)
            .env("TRAWL_RATE_LIMIT_ENABLED", "true")
            .env("TRAWL_RATE_LIMIT_REDIS_PREFIX", "trawl-tls-test");
        if let Some(ca) = ca_file {
            cmd.env("TRAWL_REDIS_CA_FILE", ca);
        }
        let (child, base, _) = start_server(&mut cmd);
        let (status, health) = http("GET", &format!("{base}/health"), None, None);
        (child, status, health)
    };

    let (mut child, status, health) = serve(Some(&redis.ca_file));
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["checks"]["redis"]["status"], "ok", "{health}");
    assert_eq!(
        health["checks"]["rate_limit"]["backend"], "redis",
        "{health}"
    );

    // The test's CA is in no system store: without the setting the server is not trusted.
    let (mut child, _, health) = serve(None);
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
    assert_eq!(health["checks"]["redis"]["status"], "down", "{health}");

    // A CA file for a plain redis:// URL is a mistake, said at start.
    let (code, _, err) = run(trawl_bin(dir.path())
        .args(["config", "check"])
        .env("TRAWL_REDIS_URL", "redis://127.0.0.1:6379")
        .env("TRAWL_REDIS_CA_FILE", &redis.ca_file));
    assert_eq!(code, 2);
    assert!(
        err.contains("redis.ca_file") && err.contains("rediss://"),
        "{err}"
    );
}
