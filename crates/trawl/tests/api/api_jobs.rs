//! `/api/v1/jobs` kinds that mirror the synchronous `/v2` endpoints: `map` jobs, and the
//! document every scrape leaves behind (a `/v2/scrape` and a `scrape` job alike).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use trawl::auth::{create_key, KeyRequest, Role, Scope};
use trawl::store::jobs::DEFAULT_TEAM;
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::*;
use crate::schedules::{call, key};
use crate::site::TestSite;
use crate::v2::ALLOW_LOOPBACK;

/// The job once it has left the queue, or a failure after 20 s.
async fn wait_done(app: &TestApp, key: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, job) = call(app, key, "GET", &format!("/api/v1/jobs/{id}"), None).await;
        assert_eq!(status, 200, "{job}");
        if !matches!(job["state"].as_str(), Some("queued" | "running")) {
            return job;
        }
        assert!(Instant::now() < deadline, "job never finished: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn urls(links: &Value) -> HashSet<String> {
    links
        .as_array()
        .unwrap_or_else(|| panic!("no links in {links}"))
        .iter()
        .map(|l| l["url"].as_str().unwrap().to_string())
        .collect()
}

/// The field names of a validation error, in order.
fn fields(body: &Value) -> Vec<String> {
    body["error"]["details"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no fields in {body}"))
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect()
}

both_backends! {
    async fn a_map_job_finds_the_same_links_as_v2_map(backend: Backend) {
        let site = TestSite::start(12).await;
        let app = spawn_app_with(backend, ALLOW_LOOPBACK).await.unwrap();
        let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
        let request = json!({"url": site.url("/"), "search": "/p/1", "limit": 100});
        let (status, job) = call(&app, &op, "POST", "/api/v1/jobs",
            Some(json!({"kind": "map", "payload": request}))).await;
        assert_eq!(status, 201, "{job}");
        let done = wait_done(&app, &op, job["id"].as_str().unwrap()).await;
        assert_eq!((&done["kind"], &done["state"]), (&json!("map"), &json!("succeeded")), "{done}");

        let (status, sync) = call(&app, &op, "POST", "/v2/map", Some(request)).await;
        assert_eq!(status, 200, "{sync}");
        let found = urls(&done["result"]["links"]);
        // /p/1.html and /p/10.html, /p/11.html from the sitemap.
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found.iter().all(|u| u.contains("/p/1")), "{found:?}");
        assert_eq!(found, urls(&sync["links"]));
    }

    async fn a_v2_scrape_and_a_scrape_job_each_leave_a_searchable_document_of_the_team(backend: Backend) {
        let site = TestSite::start(1).await;
        let app = spawn_app_with(backend, ALLOW_LOOPBACK).await.unwrap();
        let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
        let stranger_team = Uuid::now_v7();
        app.store.create_team(stranger_team, "strangers", None).await.unwrap();
        let stranger = key(&app, stranger_team, Role::Operator).await;

        site.set_mutable("Synchronous zephyrword here.");
        let (status, scraped) = call(&app, &op, "POST", "/v2/scrape",
            Some(json!({"url": site.url("/mutable")}))).await;
        assert_eq!(status, 200, "{scraped}");
        let scrape_id = scraped["data"]["metadata"]["scrapeId"].as_str().unwrap().to_string();

        site.set_mutable("Background quillword here.");
        let (status, job) = call(&app, &op, "POST", "/api/v1/jobs",
            Some(json!({"kind": "scrape", "payload": {"url": site.url("/mutable")}}))).await;
        assert_eq!(status, 201, "{job}");
        let done = wait_done(&app, &op, job["id"].as_str().unwrap()).await;
        assert_eq!(done["state"], "succeeded", "{done}");

        // The synchronous scrape's document is written after the response; it appears
        // within moments, under the scrape's id.
        let hits = wait_hits(&app, &op, "zephyrword").await;
        assert_eq!(hits[0]["id"], scrape_id.as_str());
        assert_eq!(hits[0]["url"], site.url("/mutable"));
        assert_eq!(hits[0]["job_id"], Value::Null);
        assert!(hits[0]["snippet"].as_str().unwrap().contains("<mark>zephyrword</mark>"), "{hits:?}");
        let (status, doc) = call(&app, &op, "GET", &format!("/api/v1/documents/{scrape_id}"), None).await;
        assert_eq!(status, 200, "{doc}");
        assert!(doc["markdown"].as_str().unwrap().contains("Synchronous zephyrword"), "{doc}");
        assert!(doc["content_hash"].is_string(), "{doc}");

        let hits = wait_hits(&app, &op, "quillword").await;
        assert_eq!(hits[0]["job_id"], done["id"]);

        // Another team sees neither.
        for word in ["zephyrword", "quillword"] {
            let (status, theirs) = call(&app, &stranger, "GET", &format!("/api/v1/documents?q={word}"), None).await;
            assert_eq!(status, 200);
            assert_eq!(theirs["data"], json!([]), "{theirs}");
        }
        let (status, _) = call(&app, &stranger, "GET", &format!("/api/v1/documents/{scrape_id}"), None).await;
        assert_eq!(status, 404);
    }
}

/// Search hits for `word`, waiting up to 5 s for the first.
async fn wait_hits(app: &TestApp, key: &str, word: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, body) = call(
            app,
            key,
            "GET",
            &format!("/api/v1/documents?q={word}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let hits = body["data"].as_array().unwrap().clone();
        if !hits.is_empty() {
            assert_eq!(hits.len(), 1, "one document per scrape: {body}");
            return hits;
        }
        assert!(Instant::now() < deadline, "no document for {word}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_map_job_with_bad_options_is_refused_naming_each_payload_field() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
    let (status, body) = call(
        &app,
        &op,
        "POST",
        "/api/v1/jobs",
        Some(json!({
            "kind": "map", "payload": {"url": "ftp://x.test", "limit": 0, "timeout": 5}
        })),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        fields(&body),
        ["payload.url", "payload.limit", "payload.timeout"]
    );
    for (payload, field) in [
        (
            json!({"url": "http://x.test", "includeSubdomains": "yes"}),
            "payload.includeSubdomains",
        ),
        (
            json!({"url": "http://x.test", "sitemap": "sometimes"}),
            "payload.sitemap",
        ),
        (
            json!({"url": "http://x.test", "search": 7}),
            "payload.search",
        ),
    ] {
        let (status, body) = call(
            &app,
            &op,
            "POST",
            "/api/v1/jobs",
            Some(json!({"kind": "map", "payload": payload})),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(fields(&body), [field]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_scraping_kind_needs_the_scope_of_its_v2_endpoint() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let viewer = key(&app, DEFAULT_TEAM, Role::Viewer).await;
    let payload = |kind: &str| match kind {
        "batch" => json!({"urls": ["http://x.test/"]}),
        _ => json!({"url": "http://x.test/"}),
    };
    // (kind, the scope it needs besides jobs:write)
    for (kind, needed) in [
        ("map", Scope::Map),
        ("crawl", Scope::Crawl),
        ("scrape", Scope::Scrape),
        ("batch", Scope::Scrape),
    ] {
        let others: Vec<Scope> = [Scope::Map, Scope::Crawl, Scope::Scrape]
            .into_iter()
            .filter(|s| *s != needed)
            .collect();
        let with = |name: &str, scopes: Vec<Scope>| {
            let store = app.store.clone();
            let name = format!("{kind} {name}");
            async move {
                let mut all = vec![Scope::JobsWrite, Scope::JobsRead];
                all.extend(scopes);
                create_key(
                    store.as_ref(),
                    KeyRequest {
                        team_id: DEFAULT_TEAM,
                        name,
                        role: Role::Operator,
                        scopes: Some(all),
                        expires_at: None,
                        created_by: None,
                    },
                )
                .await
                .unwrap()
                .0
            }
        };
        let without = with("without", others).await;
        let body = json!({"kind": kind, "payload": payload(kind)});
        for k in [&viewer, &without] {
            let (status, refused) = call(&app, k, "POST", "/api/v1/jobs", Some(body.clone())).await;
            assert_eq!(status, 403, "{kind}: {refused}");
        }
        let allowed = with("with", vec![needed]).await;
        let (status, job) = call(&app, &allowed, "POST", "/api/v1/jobs", Some(body)).await;
        assert_eq!(status, 201, "{kind}: {job}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_map_job_is_cancelled() {
    let site = TestSite::start(1).await;
    let app = spawn_app_with(Backend::Sqlite, ALLOW_LOOPBACK)
        .await
        .unwrap();
    let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
    // /slow answers after 10 s: the map is still fetching when it is cancelled.
    let (status, job) = call(&app, &op, "POST", "/api/v1/jobs", Some(json!({
        "kind": "map", "payload": {"url": site.url("/slow"), "sitemap": "skip", "timeout": 60000}
    })))
    .await;
    assert_eq!(status, 201, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    while site.hits("/slow") == 0 {
        assert!(Instant::now() < deadline, "the map never fetched /slow");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let asked = Instant::now();
    let (status, _) = call(
        &app,
        &op,
        "POST",
        &format!("/api/v1/jobs/{id}/cancel"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let done = wait_done(&app, &op, &id).await;
    assert_eq!(done["state"], "cancelled", "{done}");
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "took {:?}",
        asked.elapsed()
    );
}
