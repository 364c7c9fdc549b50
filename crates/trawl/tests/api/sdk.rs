//! The published Firecrawl SDKs, unchanged, against a running Trawl and a generated site:
//! scrape, crawl (blocking, and start then poll past 100 documents), errors, cancel, map,
//! batch scrape, and the `watcher()` status stream over a WebSocket. CI installs them pinned (`tests/sdk/requirements.txt`,
//! `tests/sdk/package-lock.json`); elsewhere a missing SDK skips with a printed reason.

use std::path::{Path, PathBuf};

use crate::helpers::*;
use crate::site::TestSite;
use crate::v2::{api_key, ALLOW_LOOPBACK};

const PAGES: usize = 120;

fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

/// `Some(value)` when the SDK is installed; in CI a missing one is a failure.
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

async fn run_check(program: &str, flags: &[&str], script: &Path) {
    let site = TestSite::start(PAGES).await;
    let app = spawn_app_with(Backend::Sqlite, ALLOW_LOOPBACK)
        .await
        .unwrap();
    let key = api_key(&app).await.unwrap_or_else(|| "none".into());
    let out = tokio::process::Command::new(program)
        .args(flags)
        .arg(script)
        .args([&app.base, &key, &site.base, &PAGES.to_string()])
        .current_dir(sdk_dir())
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("all checks passed"),
        "{program} {}:\n{stdout}\n{stderr}",
        script.display()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_published_python_sdk_works_unchanged() {
    let Some(python) = required(
        "firecrawl-py (TRAWL_TEST_SDK_PYTHON)",
        std::env::var("TRAWL_TEST_SDK_PYTHON").ok(),
    ) else {
        return;
    };
    run_check(&python, &[], &sdk_dir().join("firecrawl_py_check.py")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_published_js_sdk_works_unchanged() {
    let installed = sdk_dir().join("node_modules/@mendable/firecrawl-js");
    let Some(_) = required(
        "@mendable/firecrawl-js (npm ci in tests/sdk)",
        installed.exists().then(String::new),
    ) else {
        return;
    };
    // Node 20 has a WebSocket only behind this flag; without one the SDK's watcher
    // would fall back to polling and the stream would go untested.
    run_check(
        "node",
        &["--experimental-websocket"],
        &sdk_dir().join("firecrawl_js_check.mjs"),
    )
    .await;
}
