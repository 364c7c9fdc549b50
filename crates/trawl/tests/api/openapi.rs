//! `/openapi.json`, `/docs`, and schemathesis against a running server.
//!
//! How a route missing from the document fails here. Routes under `/api/` and `/v2/` are
//! registered only through `utoipa_axum::routes!` (`http::openapi::api_routes`), which
//! reads method and path from the handler's `#[utoipa::path]`: a handler without one
//! does not compile into the router at all. What is left is registering a route some
//! other way, or the document drifting from what is served, and each has a test:
//! - [`no_api_route_is_registered_outside_the_documented_router`] reads the sources
//!   and fails on any `.route(` / `.nest(` / `.route_service(` / `.nest_service(` whose
//!   path is under `/api/` or `/v2/`, or is not a literal it can read (axum's and
//!   `OpenApiRouter`'s plain registrations, which serve a route without documenting it);
//! - [`the_document_lists_exactly_the_served_api`] compares the document's operations
//!   with [`SERVED`], the list of every (method, path) the router serves under `/api/`
//!   and `/v2/`: a route added to the router without its entry here, or an entry without
//!   its route, fails, and so does an operation dropped from the document;
//! - [`every_documented_operation_is_served`] sends each documented operation to a real
//!   server and fails on `route_not_found` or `method_not_allowed`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::both_backends;
use crate::helpers::*;

/// Every (method, path) the router serves under `/api/` and `/v2/`.
const SERVED: &[(&str, &str)] = &[
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/password"),
    ("get", "/api/v1/auth/me"),
    ("get", "/api/v1/auth/csrf"),
    ("put", "/api/v1/auth/default-team"),
    ("post", "/api/v1/auth/invites/accept"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/users/{id}"),
    ("post", "/api/v1/users/{id}/disable"),
    ("post", "/api/v1/users/{id}/enable"),
    ("get", "/api/v1/teams"),
    ("post", "/api/v1/teams"),
    ("get", "/api/v1/teams/{id}"),
    ("get", "/api/v1/teams/{id}/members"),
    ("post", "/api/v1/teams/{id}/members"),
    ("put", "/api/v1/teams/{id}/members/{user_id}"),
    ("delete", "/api/v1/teams/{id}/members/{user_id}"),
    ("put", "/api/v1/teams/{id}/retention"),
    ("get", "/api/v1/teams/{id}/invites"),
    ("post", "/api/v1/teams/{id}/invites"),
    ("delete", "/api/v1/teams/{id}/invites/{invite_id}"),
    ("get", "/api/v1/keys"),
    ("post", "/api/v1/keys"),
    ("delete", "/api/v1/keys/{id}"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/jobs"),
    ("post", "/api/v1/jobs"),
    ("get", "/api/v1/jobs/{id}"),
    ("post", "/api/v1/jobs/{id}/cancel"),
    ("post", "/api/v1/jobs/{id}/retry"),
    ("get", "/api/v1/jobs/{id}/pages"),
    ("get", "/api/v1/documents"),
    ("get", "/api/v1/documents/export"),
    ("post", "/api/v1/documents/import"),
    ("get", "/api/v1/documents/{id}"),
    ("delete", "/api/v1/documents/{id}"),
    ("get", "/api/v1/schedules"),
    ("post", "/api/v1/schedules"),
    ("get", "/api/v1/schedules/{id}"),
    ("patch", "/api/v1/schedules/{id}"),
    ("delete", "/api/v1/schedules/{id}"),
    ("post", "/api/v1/schedules/{id}/pause"),
    ("post", "/api/v1/schedules/{id}/resume"),
    ("get", "/api/v1/schedules/{id}/runs"),
    ("get", "/api/v1/schedules/{id}/runs/{job_id}/pages"),
    ("get", "/api/v1/webhooks/secret"),
    ("get", "/api/v1/admin/jobs"),
    ("get", "/api/v1/admin/jobs/{id}"),
    ("post", "/api/v1/admin/jobs/{id}/retry"),
    ("post", "/api/v1/admin/jobs/{id}/cancel"),
    ("get", "/api/v1/admin/workers"),
    ("post", "/api/tasks/scrape"),
    ("get", "/api/tasks/{id}/status"),
    ("post", "/v2/scrape"),
    ("post", "/v2/map"),
    ("post", "/v2/crawl"),
    ("get", "/v2/crawl/active"),
    ("get", "/v2/crawl/{id}"),
    ("delete", "/v2/crawl/{id}"),
    ("get", "/v2/crawl/{id}/errors"),
    ("post", "/v2/batch/scrape"),
    ("get", "/v2/batch/scrape/{id}"),
    ("delete", "/v2/batch/scrape/{id}"),
    ("get", "/v2/batch/scrape/{id}/errors"),
    ("get", "/v2/concurrency-check"),
    ("get", "/v2/team/queue-status"),
    ("get", "/v2/team/credit-usage"),
    ("get", "/v2/team/token-usage"),
];

fn document() -> Value {
    serde_json::to_value(trawl::http::openapi::document()).expect("the document serialises")
}

/// Every (method, path) in the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect()
}

#[test]
fn the_document_lists_exactly_the_served_api() {
    let documented = operations(&document());
    let served: BTreeSet<(String, String)> = SERVED
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "served but not in /openapi.json: {undocumented:?}; in /openapi.json but not in \
         SERVED (add it there if the route is new): {unknown:?}"
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_api_route_is_registered_outside_the_documented_router() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read source");
        // A plain registration's first argument is its path. It must be a literal,
        // so that this check can read it.
        for call in [".route(", ".nest(", ".route_service(", ".nest_service("] {
            for (at, _) in text.match_indices(call) {
                let rest = text[at + call.len()..].trim_start();
                let Some(literal) = rest.strip_prefix('"') else {
                    found.push(format!(
                        "{}: {call} with a path that is not a literal",
                        file.display()
                    ));
                    continue;
                };
                let path = literal.split('"').next().unwrap_or_default();
                if path.starts_with("/api") || path.starts_with("/v2") {
                    found.push(format!("{}: {call}\"{path}\"", file.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "API routes registered without documentation (use routes!() and \
         #[utoipa::path]): {found:#?}"
    );
}

#[test]
fn every_operation_has_an_id_errors_and_a_security_rule() {
    let doc = document();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["api_key"]["name"], "X-API-Key");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "__Host-trawl_session");
    let mut ids = BTreeSet::new();
    for (method, path) in operations(&doc) {
        let op = &doc["paths"][&path][&method];
        let id = op["operationId"].as_str().unwrap_or_default().to_string();
        assert!(ids.insert(id.clone()), "operationId {id} repeats");
        let error = if path.starts_with("/v2/") {
            "FirecrawlError"
        } else {
            "ErrorEnvelope"
        };
        for status in ["400", "401", "404", "429", "default"] {
            let schema = &op["responses"][status]["content"]["application/json"]["schema"];
            assert_eq!(
                schema["$ref"],
                format!("#/components/schemas/{error}"),
                "{method} {path}: {status}"
            );
        }
        let success = op["responses"]
            .as_object()
            .unwrap()
            .keys()
            .any(|s| s.starts_with('2'));
        assert!(success, "{method} {path} documents no success response");
    }
    // Public operations say so; every other one takes the document-wide schemes.
    let public = ["register", "login", "token", "refresh"];
    for name in public {
        let op = &doc["paths"][format!("/api/v1/auth/{name}")]["post"];
        assert_eq!(op["security"], serde_json::json!([{}]), "{name}");
    }
    assert_eq!(doc["security"].as_array().unwrap().len(), 3);
}

both_backends! {
    async fn every_documented_operation_is_served(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        let nil = "00000000-0000-0000-0000-000000000000";
        for (method, path) in operations(&document()) {
            let url = app.url(&path.replace("{id}", nil).replace("{job_id}", nil).replace("{user_id}", nil).replace("{invite_id}", nil));
            let r = app
                .client
                .request(method.to_uppercase().parse().unwrap(), url)
                .send()
                .await
                .expect("request");
            let status = r.status();
            let body: Value = r.json().await.unwrap_or_default();
            let code = body["error"]["code"].as_str().or(body["code"].as_str()).unwrap_or_default();
            // Without a credential a real route answers 401 (public ones 4xx about
            // the body): never the router's own "no such route".
            assert!(
                !matches!(code, "route_not_found" | "method_not_allowed") && status != 405,
                "{method} {path} is documented but not served: {status} {body}"
            );
        }
        app.stop().await;
    }

    async fn openapi_json_and_docs_are_public_and_docs_is_a_safe_page(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        let r = app.get("/openapi.json").await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        let served: Value = r.json().await.unwrap();
        assert_eq!(served, document(), "/openapi.json is the generated document");

        let r = app.get("/docs").await;
        assert_eq!(r.status(), 200);
        let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert_eq!(r.headers()["x-frame-options"], "DENY");
        let page = r.text().await.unwrap();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|s| s.split('\'').next())
            .expect("the CSP carries a nonce");
        assert!(page.contains(&format!("<style nonce=\"{nonce}\">")), "the style has this response's nonce");
        assert!(!page.contains("<script"), "/docs runs no script");
        assert!(!page.contains("http://") && !page.contains("https://"), "/docs loads nothing from elsewhere");
        for (method, path) in SERVED {
            assert!(page.contains(&format!("<span class=\"path\">{path}</span>")), "{method} {path} is not on /docs");
        }
        assert!(page.contains("X-API-Key") && page.contains("__Host-trawl_session"));
        app.stop().await;
    }
}

/// `Some(value)` when present; in CI a missing one is a failure (as for the SDKs).
fn required(what: &str, found: Option<String>) -> Option<String> {
    if found.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "{what} must be available in CI (see .ci/run)"
        );
        eprintln!("SKIPPED: {what} is not available (see .ci/run)");
    }
    found
}

/// Whether this process may make a network namespace (root, or unprivileged user
/// namespaces).
fn can_unshare_net() -> bool {
    std::process::Command::new("unshare")
        .args(["--net", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// schemathesis (pinned in `tests/openapi/requirements.txt`) against a real server on
/// SQLite, with a fixed seed and a bounded number of examples per operation: no 5xx, and
/// every response matches the schema documented for its status.
///
/// Server and schemathesis run in a network namespace of their own, which has only a
/// loopback interface: the URLs schemathesis invents for `/v2/scrape`, crawls, maps,
/// schedules and webhooks cannot reach any other machine, not even a DNS server (the
/// fetcher's SSRF guard also refuses loopback, as it does by default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_schema_mismatch() {
    let Some(st) = required(
        "schemathesis (TRAWL_TEST_SCHEMATHESIS)",
        std::env::var("TRAWL_TEST_SCHEMATHESIS").ok(),
    ) else {
        return;
    };
    let Some(_) = required(
        "a network namespace (unshare --net)",
        can_unshare_net().then(String::new),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (data, report) = (dir.path().join("data"), dir.path().join("report"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&report).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi/run-schemathesis.sh");
    let out = tokio::process::Command::new("unshare")
        .arg("--net")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_trawl"))
        .arg(&st)
        .arg(&data)
        .arg(&report)
        .args([
            "--seed",
            "20261123",
            "--max-examples",
            "25",
            "--workers",
            "2",
        ])
        .current_dir(dir.path())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let log = std::fs::read_to_string(report.join("server.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "schemathesis failed:\n{stdout}\n{stderr}\nserver log:\n{log}"
    );
    assert!(stdout.contains("passed"), "{stdout}");
}
