//! Same page, same document: every endpoint that returns a scraped page returns it in
//! one shape, built by `PageDocument::to_response`. Each endpoint's document for the
//! same page (same formats) is reduced to its key paths and compared with one snapshot,
//! `snapshots/document_keys.txt`: a field added to or dropped from any endpoint is a
//! visible diff there. Also: a scheduled re-crawl of an unchanged site finds nothing
//! changed, run after run (extraction is deterministic).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use trawl::auth::{create_key, KeyRequest, Role};
use trawl::store::jobs::DEFAULT_TEAM;

use crate::both_backends;
use crate::helpers::*;
use crate::site::TestSite;
use crate::v2::ALLOW_LOOPBACK;

const SNAPSHOT: &str = include_str!("snapshots/document_keys.txt");

/// `a`, `metadata`, `metadata.title`, …: every object key path; arrays are not entered
/// (a page's links are values, not shape).
fn key_paths(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    if let Value::Object(m) = v {
        for (k, child) in m {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.insert(path.clone());
            key_paths(child, &path, out);
        }
    }
}

fn shape(doc: &Value) -> String {
    let mut paths = BTreeSet::new();
    key_paths(doc, "", &mut paths);
    paths.into_iter().collect::<Vec<_>>().join("\n") + "\n"
}

async fn send(app: &TestApp, key: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let mut req = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    assert!(r.status().is_success(), "{method} {path}: {}", r.status());
    r.json().await.unwrap()
}

async fn finished(app: &TestApp, key: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let body = send(app, key, "GET", path, None).await;
        if done(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "{path} never finished: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

both_backends! {
    async fn every_endpoint_returns_a_page_in_the_one_document_shape(backend: Backend) {
        let site = TestSite::start(3).await;
        let app = spawn_app_with(backend, ALLOW_LOOPBACK).await.unwrap();
        let (key, _) = create_key(app.store.as_ref(), KeyRequest {
            team_id: DEFAULT_TEAM, name: "shape".into(), role: Role::Operator, scopes: None,
            expires_at: None, created_by: None,
        }).await.unwrap();
        let page = site.url("/p/1.html");
        let formats = json!(["markdown", "links"]);

        let scrape = send(&app, &key, "POST", "/v2/scrape", Some(json!({"url": page, "formats": formats}))).await;
        let crawl = send(&app, &key, "POST", "/v2/crawl",
            Some(json!({"url": page, "limit": 1, "maxDiscoveryDepth": 0, "scrapeOptions": {"formats": formats}}))).await;
        let crawl = finished(&app, &key, &format!("/v2/crawl/{}", crawl["id"].as_str().unwrap()),
            |b| b["status"] != "scraping").await;
        let batch = send(&app, &key, "POST", "/v2/batch/scrape", Some(json!({"urls": [page], "formats": formats}))).await;
        let batch = finished(&app, &key, &format!("/v2/batch/scrape/{}", batch["id"].as_str().unwrap()),
            |b| b["status"] != "scraping").await;
        let task = send(&app, &key, "POST", "/api/tasks/scrape", Some(json!({"url": page, "formats": formats}))).await;
        let task_id = task["id"].as_str().or(task["task_id"].as_str()).unwrap().to_string();
        let task = finished(&app, &key, &format!("/api/tasks/{task_id}/status"),
            |b| b["state"] == "succeeded").await;

        let docs = [
            ("POST /v2/scrape", &scrape["data"]),
            ("GET /v2/crawl/{id}", &crawl["data"][0]),
            ("GET /v2/batch/scrape/{id}", &batch["data"][0]),
            ("GET /api/tasks/{id}/status", &task["result"]),
        ];
        for (endpoint, doc) in docs {
            assert_eq!(shape(doc), SNAPSHOT, "{endpoint} returns another shape than snapshots/document_keys.txt: {doc}");
            assert_eq!(doc["metadata"]["sourceURL"], page.as_str(), "{endpoint}");
            assert!(doc["metadata"]["scrapeId"].as_str().is_some_and(|s| uuid::Uuid::parse_str(s).is_ok()), "{endpoint}");
        }
        // The scrape id names the stored document.
        let id = scrape["data"]["metadata"]["scrapeId"].as_str().unwrap();
        let r = app.client.get(app.url(&format!("/api/v1/documents/{id}"))).bearer_auth(&key).send().await.unwrap();
        assert_eq!(r.status(), 200);
        app.stop().await;
    }

    async fn a_scheduled_recrawl_of_an_unchanged_site_finds_nothing_changed(backend: Backend) {
        let site = TestSite::start(25).await;
        let app = spawn_app_with(backend, ALLOW_LOOPBACK).await.unwrap();
        let (key, _) = create_key(app.store.as_ref(), KeyRequest {
            team_id: DEFAULT_TEAM, name: "recrawl".into(), role: Role::Operator, scopes: None,
            expires_at: None, created_by: None,
        }).await.unwrap();
        let created = send(&app, &key, "POST", "/api/v1/schedules", Some(json!({
            "name": "unchanged site", "kind": "crawl", "url": site.url("/"),
            "options": {"limit": 25}, "cron": "* * * * * *", "timezone": "UTC",
        }))).await;
        let id = created["id"].as_str().unwrap().to_string();
        let runs_path = format!("/api/v1/schedules/{id}/runs");
        // The first run finds every page new; five more runs follow it.
        finished(&app, &key, &runs_path, |b| b["data"].as_array().is_some_and(|r| r.len() >= 6)).await;
        send(&app, &key, "POST", &format!("/api/v1/schedules/{id}/pause"), None).await;
        let runs = finished(&app, &key, &runs_path, |b| {
            b["data"].as_array().unwrap().iter().all(|r| r["state"] == "succeeded")
        }).await;
        let runs = runs["data"].as_array().unwrap();
        let (first, later) = runs.split_last().unwrap();
        assert!(first["new_pages"].as_i64().unwrap() >= 20, "{first}");
        assert!(later.len() >= 5, "{runs:?}");
        for run in later {
            assert_eq!(
                (run["changed_pages"].as_i64(), run["new_pages"].as_i64(), run["removed_pages"].as_i64()),
                (Some(0), Some(0), Some(0)),
                "an unchanged site reported a change: {run}"
            );
            assert_eq!(run["same_pages"], first["new_pages"], "{run}");
        }
        app.stop().await;
    }
}
