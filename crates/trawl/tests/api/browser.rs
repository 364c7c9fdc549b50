//! Cookie sessions in a real browser: Debian's headless Chromium, driven over the
//! DevTools protocol by `tests/browser/session_cookie_check.py`, signs in to a
//! development instance over plain `http://127.0.0.1`, and the cookie it keeps must
//! carry the session (a `__Host-` cookie without `Secure` would be dropped there).
//! CI installs Chromium and the driver's one dependency (see .ci/run); elsewhere a
//! missing one skips with a printed reason.

use std::path::Path;

use serde_json::Value;
use trawl::auth::{create_user, Role};
use trawl::store::jobs::DEFAULT_TEAM;

use crate::helpers::*;

/// `Some(value)` when present; in CI a missing one is a failure.
fn required(what: &str, found: Option<String>) -> Option<String> {
    if found.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "{what} must be installed in CI (see .ci/run)"
        );
        eprintln!("SKIPPED: {what} is not installed (see .ci/run)");
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_keeps_and_sends_the_development_session_cookie() {
    let Some(chromium) = required(
        "Chromium (TRAWL_TEST_CHROMIUM)",
        std::env::var("TRAWL_TEST_CHROMIUM")
            .ok()
            .filter(|p| Path::new(p).exists()),
    ) else {
        return;
    };
    let Some(python) = required(
        "the DevTools driver's Python (TRAWL_TEST_SDK_PYTHON)",
        std::env::var("TRAWL_TEST_SDK_PYTHON").ok(),
    ) else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let email = "browser@example.com";
    let password = "a perfectly fine passphrase";
    create_user(
        app.store.as_ref(),
        email,
        password.into(),
        Some((DEFAULT_TEAM, Role::Viewer)),
        false,
        None,
    )
    .await
    .unwrap();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/session_cookie_check.py");
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .args([&app.base, email, password, &chromium])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(seen["login"], 200, "{seen}");
    assert_eq!(
        seen["me"], 200,
        "the browser sent the session cookie back: {seen}"
    );
    assert_eq!(seen["me_kind"], "user");
    assert_eq!(
        seen["logout_without_token"], 403,
        "a change without the CSRF token is refused: {seen}"
    );
    assert_eq!(seen["logout"], 204, "{seen}");
    assert_eq!(
        seen["after_logout"], 401,
        "sign-out ended the session: {seen}"
    );
    let cookies = seen["cookies"].as_array().unwrap();
    assert_eq!(cookies.len(), 1, "{seen}");
    let c = &cookies[0];
    assert_eq!(c["name"], "trawl_session");
    assert_eq!(c["httpOnly"], true);
    assert_eq!(c["secure"], false);
    assert_eq!(c["sameSite"], "Lax");
    assert_eq!(c["path"], "/");
    app.stop().await;
}
