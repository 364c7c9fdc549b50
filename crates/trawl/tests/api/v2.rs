//! Firecrawl v2 endpoints over HTTP, against a real generated site: the shapes the SDKs
//! read, pagination past 100 documents, errors in Firecrawl's shape, cancellation.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;
use crate::site::TestSite;

pub const ALLOW_LOOPBACK: &[(&str, &str)] = &[
    ("TRAWL_FETCH_ALLOW", "127.0.0.0/8"),
    ("TRAWL_JOBS_POLL_MS", "50"),
];

async fn app_for_site(backend: Backend) -> TestApp {
    spawn_app_with(backend, ALLOW_LOOPBACK).await.unwrap()
}

/// Sends a v2 request as an SDK would: JSON body, Bearer key.
async fn call(app: &TestApp, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = if path.starts_with("http") {
        path.to_string()
    } else {
        app.url(path)
    };
    let mut req = app
        .client
        .request(method.parse().unwrap(), url)
        .header("Content-Type", "application/json");
    if let Some(key) = api_key(app).await {
        req = req.bearer_auth(key);
    }
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, value)
}

async fn wait_finished(app: &TestApp, path: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = call(app, "GET", &format!("{path}?limit=1"), None).await;
        assert_eq!(status, 200, "{body}");
        if body["status"] != "scraping" {
            return body;
        }
        assert!(Instant::now() < deadline, "never finished: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrape_returns_the_document_in_firecrawl_shape() {
    let site = TestSite::start(3).await;
    let app = app_for_site(Backend::Sqlite).await;
    let page = &site.manifest["public_pages"][1];
    let url = site.url(page["path"].as_str().unwrap());
    let (status, body) = call(
        &app,
        "POST",
        "/v2/scrape",
        Some(json!({
            "url": url, "formats": ["markdown", "links", "rawHtml"], "onlyMainContent": true,
            "mobile": false, "origin": "python-sdk@4.54.0"
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    let data = &body["data"];
    assert!(data["markdown"].as_str().unwrap().starts_with("# Page 1"));
    assert!(data["links"].as_array().unwrap().len() > 3);
    assert!(data["rawHtml"].as_str().unwrap().contains("<html"));
    assert!(data.get("html").is_none(), "html was not asked for");
    let m = &data["metadata"];
    assert_eq!(m["title"], page["title"]);
    assert_eq!(m["description"], page["description"]);
    assert_eq!(m["language"], page["lang"]);
    assert_eq!(m["sourceURL"], url.as_str());
    assert_eq!(m["statusCode"], 200);
    assert!(m["scrapeId"].is_string());
    assert_eq!(m["creditsUsed"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrape_errors_name_the_field_in_firecrawl_shape() {
    let app = app_for_site(Backend::Sqlite).await;
    let (status, body) = call(&app, "POST", "/v2/scrape", Some(json!({"url": "ftp://x"}))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["success"], false);
    assert_eq!(body["code"], "validation_failed");
    assert!(
        body["error"].as_str().unwrap().starts_with("url:"),
        "{body}"
    );

    let (status, body) = call(
        &app,
        "POST",
        "/v2/scrape",
        Some(json!({"url": "http://127.0.0.1/", "timeout": "soon"})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().starts_with("timeout:"),
        "{body}"
    );

    let (status, body) = call(
        &app,
        "POST",
        "/v2/scrape",
        Some(json!({"url": "http://127.0.0.1/", "formats": ["screenshot"]})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("formats[0]"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scraping_a_private_address_is_refused_with_its_code() {
    let site = TestSite::start(1).await;
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (status, body) = call(
        &app,
        "POST",
        "/v2/scrape",
        Some(json!({"url": site.url("/p/0.html")})),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "SCRAPE_BLOCKED_ADDRESS");
    assert_eq!(site.hits("/p/0.html"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_returns_top_level_links_filtered_by_search() {
    let site = TestSite::start(30).await;
    let app = app_for_site(Backend::Sqlite).await;
    let (status, body) = call(
        &app,
        "POST",
        "/v2/map",
        Some(json!({"url": site.url("/"), "search": "/p/2", "limit": 100})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let links: Vec<&str> = body["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["url"].as_str().unwrap())
        .collect();
    // /p/2.html and /p/20.html … /p/29.html, from the sitemap, once each.
    assert_eq!(links.len(), 11, "{links:?}");
    assert!(links.iter().all(|l| l.contains("/p/2")));
    assert_eq!(links.iter().collect::<HashSet<_>>().len(), links.len());
}

both_backends! {
    async fn a_crawl_is_started_polled_and_paged_past_100_documents(backend: Backend) {
        let site = TestSite::start(120).await;
        let app = app_for_site(backend).await;
        let (status, start) = call(&app, "POST", "/v2/crawl", Some(json!({
            "url": site.url("/"), "limit": 500, "sitemap": "include",
            "scrapeOptions": {"formats": ["markdown"]}, "origin": "js-sdk@4.42.0"
        }))).await;
        assert_eq!(status, 200, "{start}");
        let id = start["id"].as_str().unwrap();
        assert_eq!(start["url"], app.url(&format!("/v2/crawl/{id}")));
        let done = wait_finished(&app, &format!("/v2/crawl/{id}")).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["completed"], 121);
        assert_eq!(done["total"], 121);
        assert!(done["expiresAt"].is_string());

        let mut urls = Vec::new();
        let mut next = Some(format!("/v2/crawl/{id}"));
        let mut pages = 0;
        while let Some(path) = next {
            let (status, page) = call(&app, "GET", &path, None).await;
            assert_eq!(status, 200, "{page}");
            pages += 1;
            for d in page["data"].as_array().unwrap() {
                assert!(d["markdown"].is_string());
                assert!(d.get("links").is_none(), "links were not asked for");
                urls.push(d["metadata"]["sourceURL"].as_str().unwrap().to_string());
            }
            next = page["next"].as_str().map(str::to_string);
        }
        assert_eq!(pages, 2);
        assert_eq!(urls.len(), 121);
        assert_eq!(urls.iter().collect::<HashSet<_>>().len(), 121, "duplicates");

        let (status, errors) = call(&app, "GET", &format!("/v2/crawl/{id}/errors"), None).await;
        assert_eq!(status, 200, "{errors}");
        assert_eq!(errors["errors"].as_array().unwrap().len(), 0);
        let blocked = errors["robotsBlocked"].as_array().unwrap();
        assert_eq!(blocked.len(), 120);
        assert!(blocked.iter().all(|u| u.as_str().unwrap().contains("/private/")));
        app.stop().await;
    }

    async fn a_cancelled_crawl_reports_cancelled(backend: Backend) {
        let site = TestSite::start(50).await;
        let app = app_for_site(backend).await;
        let (_, start) = call(&app, "POST", "/v2/crawl", Some(json!({
            "url": site.url("/"), "delay": 1, "maxConcurrency": 1
        }))).await;
        let id = start["id"].as_str().unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (status, body) = call(&app, "DELETE", &format!("/v2/crawl/{id}"), None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "cancelled");
        let done = wait_finished(&app, &format!("/v2/crawl/{id}")).await;
        assert_eq!(done["status"], "cancelled", "{done}");
        app.stop().await;
    }

    async fn a_batch_scrape_reports_invalid_urls_and_a_reused_key_gets_the_same_batch(backend: Backend) {
        let site = TestSite::start(5).await;
        let app = app_for_site(backend).await;
        let urls: Vec<String> = (0..5).map(|i| site.url(&format!("/p/{i}.html"))).collect();
        let mut all = urls.clone();
        all.push("not a url".into());
        let body = json!({"urls": all, "formats": ["markdown"], "ignoreInvalidURLs": true});
        let key = uuid::Uuid::now_v7().to_string();
        let send = |body: Value| {
            let app = &app;
            let key = key.clone();
            async move {
                let mut req = app
                    .client
                    .post(app.url("/v2/batch/scrape"))
                    .header("x-idempotency-key", key)
                    .header("Content-Type", "application/json")
                    .body(body.to_string());
                if let Some(k) = api_key(app).await {
                    req = req.bearer_auth(k);
                }
                let resp = req.send().await.unwrap();
                (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
            }
        };
        let (status, start) = send(body.clone()).await;
        assert_eq!(status, 200, "{start}");
        assert_eq!(start["invalidURLs"], json!(["not a url"]));
        let (status, again) = send(body).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(again, start, "a retry is answered with the first batch");

        let id = start["id"].as_str().unwrap();
        let done = wait_finished(&app, &format!("/v2/batch/scrape/{id}")).await;
        assert_eq!(done["status"], "completed", "{done}");
        let (_, page) = call(&app, "GET", &format!("/v2/batch/scrape/{id}"), None).await;
        let got: HashSet<String> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["metadata"]["sourceURL"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, urls.into_iter().collect::<HashSet<_>>());
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_jobs_are_404_in_firecrawl_shape() {
    let app = app_for_site(Backend::Sqlite).await;
    for path in [
        "/v2/crawl/00000000-0000-7000-8000-000000000009",
        "/v2/crawl/not-a-uuid",
        "/v2/batch/scrape/00000000-0000-7000-8000-000000000009/errors",
    ] {
        let (status, body) = call(&app, "GET", path, None).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["success"], false);
        assert!(body["error"].is_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_endpoints_answer_what_the_sdks_read() {
    let app = app_for_site(Backend::Sqlite).await;
    let (status, c) = call(&app, "GET", "/v2/concurrency-check", None).await;
    assert_eq!(status, 200, "{c}");
    assert!(c["data"]["maxConcurrency"].as_u64().unwrap() >= 1);
    let (_, q) = call(&app, "GET", "/v2/team/queue-status", None).await;
    assert_eq!(q["jobsInQueue"], 0);
    let (_, credits) = call(&app, "GET", "/v2/team/credit-usage", None).await;
    assert!(credits["data"]["remainingCredits"].as_i64().unwrap() > 0);
    let (_, active) = call(&app, "GET", "/v2/crawl/active", None).await;
    assert_eq!(active["crawls"], json!([]));
}

/// An operator key of the default team, as `trawl keys create` makes one; one per app.
pub async fn api_key(app: &TestApp) -> Option<String> {
    static KEYS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());
    if let Some((_, k)) = KEYS.lock().unwrap().iter().find(|(b, _)| *b == app.base) {
        return Some(k.clone());
    }
    let (key, _) = trawl::auth::create_key(
        app.store.as_ref(),
        trawl::auth::KeyRequest {
            team_id: trawl::store::jobs::DEFAULT_TEAM,
            name: "v2 tests".into(),
            role: trawl::auth::Role::Operator,
            scopes: None,
            expires_at: None,
            created_by: None,
        },
    )
    .await
    .expect("create key");
    KEYS.lock().unwrap().push((app.base.clone(), key.clone()));
    Some(key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_routes_refuse_requests_without_a_valid_key() {
    let app = app_for_site(Backend::Sqlite).await;
    for (method, path) in [
        ("POST", "/v2/scrape"),
        ("POST", "/v2/crawl"),
        ("GET", "/v2/crawl/00000000-0000-7000-8000-000000000009"),
        ("POST", "/v2/map"),
        ("GET", "/v2/team/credit-usage"),
    ] {
        for key in [None, Some("trawl_notakey"), Some("Bearer")] {
            let mut req = app
                .client
                .request(method.parse().unwrap(), app.url(path))
                .body(r#"{"url":"http://127.0.0.1/"}"#);
            if let Some(k) = key {
                req = req.bearer_auth(k);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 401, "{method} {path} with {key:?}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["success"], false, "{body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_teams_crawl_is_not_found() {
    let site = TestSite::start(3).await;
    let app = app_for_site(Backend::Sqlite).await;
    let (_, start) = call(
        &app,
        "POST",
        "/v2/crawl",
        Some(json!({"url": site.url("/")})),
    )
    .await;
    let id = start["id"].as_str().unwrap();
    let team = app
        .store
        .create_team(uuid::Uuid::now_v7(), "other team", None)
        .await
        .expect("create team");
    let (other, _) = trawl::auth::create_key(
        app.store.as_ref(),
        trawl::auth::KeyRequest {
            team_id: team.id,
            name: "other".into(),
            role: trawl::auth::Role::Admin,
            scopes: None,
            expires_at: None,
            created_by: None,
        },
    )
    .await
    .unwrap();
    for (method, path) in [
        ("GET", format!("/v2/crawl/{id}")),
        ("DELETE", format!("/v2/crawl/{id}")),
        ("GET", format!("/v2/crawl/{id}/errors")),
    ] {
        let resp = app
            .client
            .request(method.parse().unwrap(), app.url(&path))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{method} {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_key_cannot_start_work() {
    let app = app_for_site(Backend::Sqlite).await;
    let (viewer, _) = trawl::auth::create_key(
        app.store.as_ref(),
        trawl::auth::KeyRequest {
            team_id: trawl::store::jobs::DEFAULT_TEAM,
            name: "viewer".into(),
            role: trawl::auth::Role::Viewer,
            scopes: None,
            expires_at: None,
            created_by: None,
        },
    )
    .await
    .unwrap();
    for path in ["/v2/scrape", "/v2/crawl", "/v2/map", "/v2/batch/scrape"] {
        let resp = app
            .client
            .post(app.url(path))
            .bearer_auth(&viewer)
            .body(r#"{"url":"http://127.0.0.1/","urls":["http://127.0.0.1/"]}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{path}");
    }
}

both_backends! {
    async fn a_scrape_task_is_queued_then_reports_its_page(backend: Backend) {
        let site = TestSite::start(3).await;
        let app = app_for_site(backend).await;
        let url = site.url("/p/1.html");
        let (status, created) = call(&app, "POST", "/api/tasks/scrape", Some(json!({"url": url}))).await;
        assert_eq!(status, 202, "{created}");
        let status_url = created["status_url"].as_str().unwrap().to_string();
        assert!(status_url.ends_with(&format!("/api/tasks/{}/status", created["task_id"].as_str().unwrap())));
        let deadline = Instant::now() + Duration::from_secs(30);
        let done = loop {
            let (code, body) = call(&app, "GET", &status_url, None).await;
            assert_eq!(code, 200, "{body}");
            if body["state"] == "succeeded" {
                break body;
            }
            assert!(Instant::now() < deadline, "{body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(done["result"]["metadata"]["title"], site.manifest["public_pages"][1]["title"]);
        assert!(done["result"]["markdown"].as_str().unwrap().starts_with("# Page 1"));

        let (code, body) = call(&app, "POST", "/api/tasks/scrape", Some(json!({"url": "nope"}))).await;
        assert_eq!(code, 422, "{body}");
        assert_eq!(body["error"]["details"]["fields"][0]["field"], "url");
        app.stop().await;
    }
}
