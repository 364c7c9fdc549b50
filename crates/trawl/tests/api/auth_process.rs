//! `trawl users`, `trawl keys` and `trawl audit verify` as an operator runs them:
//! against the configured SQLite file, no server.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::helpers::{exit_and_output, trawl_bin};

fn trawl(dir: &Path) -> Command {
    let mut cmd = trawl_bin(dir);
    cmd.env("TRAWL_DATA_DIR", dir);
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    exit_and_output(cmd.output().expect("run trawl"))
}

fn with_stdin(cmd: &mut Command, input: &str) -> (i32, String, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn auth_cli_creates_an_admin_and_keys_prints_only_the_key_and_revokes() {
    let dir = tempfile::tempdir().unwrap();
    // Only `serve` and `migrate` create the database the other commands use.
    assert_eq!(run(trawl(dir.path()).args(["migrate", "up"])).0, 0);
    let (code, out, err) = with_stdin(
        trawl(dir.path()).args([
            "users",
            "create-admin",
            "--email",
            "ops@example.com",
            "--password-stdin",
        ]),
        "a long admin passphrase\n",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("ops@example.com"));

    let (code, _, err) = with_stdin(
        trawl(dir.path()).args([
            "users",
            "create-admin",
            "--email",
            "b@example.com",
            "--password-stdin",
        ]),
        "password\n",
    );
    assert_eq!(code, 2);
    assert!(err.contains("password"), "{err}");

    let (code, out, err) = run(trawl(dir.path()).args([
        "keys",
        "create",
        "--team",
        "default",
        "--name",
        "ci",
        "--role",
        "viewer",
        "--scopes",
        "jobs:read",
        "--expires",
        "90d",
    ]));
    assert_eq!(code, 0, "{err}");
    let key = out.trim();
    assert_eq!(out.lines().count(), 1);
    assert!(trawl::auth::keys::is_well_formed(key), "{key}");
    assert!(!err.contains(key));

    let (code, _, err) = run(trawl(dir.path()).args([
        "keys", "create", "--team", "default", "--name", "x", "--role", "viewer", "--scopes",
        "scrape",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains("scopes"), "{err}");
    let (code, _, err) =
        run(trawl(dir.path()).args(["keys", "create", "--team", "nope", "--name", "x"]));
    assert_eq!(code, 2);
    assert!(err.contains("nope"), "{err}");

    let (code, out, _) = run(trawl(dir.path()).args(["keys", "list"]));
    assert_eq!(code, 0);
    assert!(out.contains("active") && out.contains("ci") && !out.contains(key));
    let id = out.split_whitespace().next().unwrap().to_string();
    let (code, _, err) = run(trawl(dir.path()).args(["keys", "revoke", &id]));
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = run(trawl(dir.path()).args(["keys", "list"]));
    assert!(out.contains("revoked"), "{out}");

    let (code, _, err) = run(trawl(dir.path()).args(["audit", "verify"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("intact"), "{err}");
}

#[test]
fn auth_cli_audit_verify_names_the_first_tampered_row() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(trawl(dir.path()).args(["migrate", "up"])).0, 0);
    for name in ["a", "b", "c"] {
        let (code, _, err) =
            run(trawl(dir.path()).args(["keys", "create", "--team", "default", "--name", name]));
        assert_eq!(code, 0, "{err}");
    }
    let db = dir.path().join("trawl.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::raw_sql(
            "DROP TRIGGER audit_log_no_update; \
             UPDATE audit_log SET target = 'api_key:forged' WHERE seq = 2;",
        )
        .execute(&mut c)
        .await
        .unwrap();
    });
    let (code, _, err) = run(trawl(dir.path()).args(["audit", "verify"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("row 2"), "{err}");
}
