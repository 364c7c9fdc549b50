//! The `trawl` binary as an operator runs it: start-up rules, signals, logs.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{exit_and_output, trawl_bin as trawl};

pub(crate) const STRONG: &str = "b1Xq9vLr2mZt7Kc4Wn8Hs3Pd6Jf0Ya5Ue-Ri_Oo1Gg2Tt";

fn run(cmd: &mut Command) -> (i32, String, String) {
    exit_and_output(cmd.output().expect("run trawl"))
}

/// Starts `serve` and waits for the line that says where it listens.
pub(crate) fn start_server(
    cmd: &mut Command,
) -> (Child, String, BufReader<std::process::ChildStdout>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut line = String::new();
    while Instant::now() < deadline {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            let _ = child.wait();
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("server exited before listening: {err}");
        }
        if let Some(rest) = line.split("listening on ").nth(1) {
            let base = rest.split_whitespace().next().unwrap().to_string();
            return (child, base, out);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not say where it listens");
}

pub(crate) fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

pub(crate) fn wait_exit(child: &mut Child, limit: Duration) -> i32 {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn production_refuses_a_missing_short_or_placeholder_secret_before_binding() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [Option<&str>; 3] = [
        None,
        Some("too-short-secret"),
        Some("changeme-changeme-changeme-changeme-changeme"),
    ];
    for secret in cases {
        let mut cmd = trawl(dir.path());
        cmd.args(["serve"])
            .env("TRAWL_ENV", "production")
            .env("TRAWL_BIND", "127.0.0.1:0");
        if let Some(s) = secret {
            cmd.env("TRAWL_SECRET", s);
        }
        let (code, stdout, stderr) = run(&mut cmd);
        assert_ne!(code, 0, "{secret:?}");
        assert!(!stdout.contains("listening"), "{secret:?} bound anyway");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line expected: {stderr}");
        assert!(
            lines[0].contains("TRAWL_SECRET") && lines[0].contains("trawl gen-secret"),
            "{stderr}"
        );
        if let Some(s) = secret {
            assert!(!stderr.contains(s), "the secret itself was printed");
        }
    }
    assert!(
        !dir.path().join("data").join("secret").exists(),
        "no dev secret in production"
    );
}

#[test]
fn staging_treats_secrets_like_production() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(trawl(dir.path())
        .args(["serve"])
        .env("TRAWL_ENV", "staging"));
    assert_ne!(code, 0);
    assert!(stderr.contains("TRAWL_SECRET"), "{stderr}");
}

#[test]
fn gen_secret_prints_a_strong_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, _) = run(trawl(dir.path()).arg("gen-secret"));
    assert_eq!(code, 0);
    let s = stdout.trim();
    trawl::secret::check_strength(s).unwrap();
}

#[test]
fn production_refuses_pending_migrations_unless_told_to_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(trawl(dir.path())
        .args(["serve"])
        .env("TRAWL_ENV", "production")
        .env("TRAWL_SECRET", STRONG)
        .env("TRAWL_BIND", "127.0.0.1:0"));
    assert_ne!(code, 0);
    assert!(
        stderr.contains("pending") && stderr.contains("--migrate"),
        "{stderr}"
    );

    let (mut child, base, _out) = start_server(
        trawl(dir.path())
            .args(["serve", "--migrate"])
            .env("TRAWL_ENV", "production")
            .env("TRAWL_SECRET", STRONG)
            .env("TRAWL_BIND", "127.0.0.1:0"),
    );
    let ready = reqwest::blocking_get(&format!("{base}/health/ready"));
    assert_eq!(ready, 200);
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
}

#[test]
fn migrate_command_applies_lists_and_reverts() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = run(trawl(dir.path()).args(["migrate", "status"]));
    assert_eq!(code, 0);
    assert!(out.contains("pending") && !out.contains("applied"), "{out}");
    assert_eq!(run(trawl(dir.path()).args(["migrate", "up"])).0, 0);
    let (_, out, _) = run(trawl(dir.path()).args(["migrate", "status"]));
    assert!(out.contains("applied") && !out.contains("pending"), "{out}");
    let (code, _, err) = run(trawl(dir.path()).args(["migrate", "down", "1"]));
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = run(trawl(dir.path()).args(["migrate", "status"]));
    assert_eq!(out.matches("pending").count(), 1, "{out}");
}

#[test]
fn development_serve_creates_the_data_dir_with_a_private_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base, _out) = start_server(
        trawl(dir.path())
            .args(["serve"])
            .env("TRAWL_BIND", "127.0.0.1:0"),
    );
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert_eq!(reqwest::blocking_get(&format!("{base}/health/ready")), 200);
    let secret = dir.path().join("data").join("secret");
    assert!(dir.path().join("data").join("trawl.db").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let first = std::fs::read_to_string(&secret).unwrap();
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);

    // The secret is generated once: a restart keeps it.
    let (mut child, _, _out) = start_server(
        trawl(dir.path())
            .args(["serve"])
            .env("TRAWL_BIND", "127.0.0.1:0"),
    );
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), first);
}

/// Transparent huge pages cost the crawl more in zeroing than they saved (`main.rs`).
#[cfg(target_os = "linux")]
#[test]
fn the_server_runs_without_transparent_huge_pages() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, _, _out) = start_server(
        trawl(dir.path())
            .args(["serve"])
            .env("TRAWL_BIND", "127.0.0.1:0"),
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
    // The line exists since Linux 6.x; before that the setting cannot be read back.
    if let Some(line) = status.lines().find(|l| l.starts_with("THP_enabled:")) {
        assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
    } else {
        eprintln!("skipped: this kernel's /proc/PID/status has no THP_enabled line");
    }
}

#[test]
fn config_check_prints_the_effective_config_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(trawl(dir.path())
        .args(["config", "check"])
        .env(
            "TRAWL_DATABASE_URL",
            "postgres://trawl:hunter2hunter2@db.internal/trawl",
        )
        .env("TRAWL_SECRET", STRONG)
        .env("TRAWL_BIND", "0.0.0.0:8080"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("0.0.0.0:8080"), "{out}");
    assert!(
        out.contains("postgres://trawl:****@db.internal/trawl"),
        "{out}"
    );
    assert!(!out.contains("hunter2") && !out.contains(STRONG), "{out}");
}

#[test]
fn config_check_names_an_unknown_key_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("trawl.toml"),
        "[server]\nbind = \"127.0.0.1:1\"\nport = 3\n",
    )
    .unwrap();
    let (code, _, err) = run(trawl(dir.path()).args(["--config", "trawl.toml", "config", "check"]));
    assert_ne!(code, 0);
    assert!(err.contains("port") && err.contains("trawl.toml"), "{err}");
}

#[test]
fn production_logs_are_json_lines_carrying_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let (mut child, base, out) = start_server(
        trawl(dir.path())
            .args(["serve", "--migrate"])
            .env("TRAWL_ENV", "production")
            .env("TRAWL_SECRET", STRONG)
            .env("TRAWL_BIND", "127.0.0.1:0")
            .env("TRAWL_LOG_DIR", &logs),
    );
    let id = reqwest::blocking_request_id(&format!("{base}/health"));
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 0);
    let stdout: Vec<String> = out.lines().map(Result::unwrap).collect();
    let line = stdout
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["request_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no JSON line with request id {id} in {stdout:?}"));
    for key in [
        "timestamp",
        "level",
        "target",
        "message",
        "method",
        "route",
        "status",
        "latency_ms",
    ] {
        assert!(line.get(key).is_some(), "{key} missing from {line}");
    }
    assert_eq!(line["route"], "/health");
    // The same line went to the daily file.
    let files: Vec<_> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().starts_with("trawl.log")),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().starts_with("trawl-error.log")),
        "{files:?}"
    );
}

/// Tiny blocking HTTP helpers on a current-thread runtime, for the process tests.
mod reqwest {
    pub fn blocking_get(url: &str) -> u16 {
        runtime().block_on(async { ::reqwest::get(url).await.unwrap().status().as_u16() })
    }

    pub fn blocking_request_id(url: &str) -> String {
        runtime().block_on(async {
            let r = ::reqwest::get(url).await.unwrap();
            r.headers()["x-request-id"].to_str().unwrap().to_string()
        })
    }

    fn runtime() -> tokio::runtime::Runtime {
        trawl::init_crypto();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }
}
