//! What a newcomer meets in their first hour: Firecrawl endpoints this instance does not
//! serve say so, an address without a scheme works as on Firecrawl, refusals say what is
//! wrong, default rate limits let one person's script run, script-built pages carry a
//! warning, and stored documents can be given a retention.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use trawl::auth::{Role, Scope};
use trawl::store::jobs::DEFAULT_TEAM;

use crate::auth::{key, member, tokens};
use crate::both_backends;
use crate::helpers::*;
use crate::site::TestSite;

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firecrawl_endpoints_not_served_here_are_named_not_404() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let k = key(&app, DEFAULT_TEAM, Role::Operator, None).await;
    for (method, path) in [
        ("POST", "/v2/search"),
        ("POST", "/v2/extract"),
        ("GET", "/v2/extract/0193b7f0-0000-7000-8000-000000000000"),
        ("POST", "/v2/agent"),
        ("POST", "/v2/crawl/params-preview"),
        (
            "POST",
            "/v2/scrape/0193b7f0-0000-7000-8000-000000000000/interact",
        ),
        ("GET", "/v2/team/credit-usage/historical"),
        ("POST", "/v1/scrape"),
        ("GET", "/v1/crawl/abc"),
    ] {
        let (status, body) = send(
            &app,
            method,
            path,
            Some(&k),
            json!({"url": "https://example.com"}),
        )
        .await;
        assert_eq!(status, 501, "{method} {path}: {body}");
        assert_eq!(body["success"], false, "Firecrawl's error shape: {body}");
        assert_eq!(body["code"], "endpoint_not_available");
        let message = body["error"].as_str().unwrap();
        assert!(message.contains(path), "{message}");
        assert!(message.contains("does not serve"), "{message}");
    }
    // A path that is no one's endpoint is still a plain 404.
    let (status, body) = send(&app, "GET", "/v2/nonsense", Some(&k), json!({})).await;
    assert_eq!(status, 404, "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_without_a_scheme_is_scraped_over_http() {
    let site = TestSite::start(2).await;
    let app = spawn_app_with(Backend::Sqlite, &[("TRAWL_FETCH_ALLOW", "127.0.0.0/8")])
        .await
        .unwrap();
    let k = key(&app, DEFAULT_TEAM, Role::Operator, None).await;
    let bare = site
        .url("/p/1.html")
        .trim_start_matches("http://")
        .to_string();
    let (status, body) = send(&app, "POST", "/v2/scrape", Some(&k), json!({"url": bare})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["metadata"]["sourceURL"], site.url("/p/1.html"));
    assert_eq!(site.hits("/p/1.html"), 1);
    let (status, body) = send(
        &app,
        "POST",
        "/v2/scrape",
        Some(&k),
        json!({"url": "mailto:a@example.com"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    app.stop().await;
}

both_backends! {
    async fn refusals_say_what_is_wrong_without_saying_what_exists(backend: Backend) {
        let app = spawn_app(backend).await.unwrap();
        let check = |status: u16, body: &Value, want: u16, words: &[&str]| {
            assert_eq!(status, want, "{body}");
            let message = body["error"]["message"].as_str().or(body["error"].as_str()).unwrap().to_string();
            for w in words {
                assert!(message.contains(w), "{message:?} lacks {w:?}");
            }
            message
        };
        // No credential: how to present one.
        let (s, b) = send(&app, "GET", "/api/v1/jobs", None, json!({})).await;
        check(s, &b, 401, &["Authorization: Bearer", "sign in"]);
        // A malformed header, a key nobody issued and a revoked key: which kind failed,
        // and the same words for "unknown" and "revoked".
        let r = app.client.get(app.url("/api/v1/jobs")).header("Authorization", "Basic x").send().await.unwrap();
        let b: Value = r.json().await.unwrap();
        check(401, &b, 401, &["malformed"]);
        let fake = format!("trawl_{}", "a".repeat(40));
        let (s, unknown) = send(&app, "GET", "/api/v1/jobs", Some(&fake), json!({})).await;
        let unknown = check(s, &unknown, 401, &["API key is not valid"]);
        let k = key(&app, DEFAULT_TEAM, Role::Viewer, None).await;
        let id = app.store.api_key_by_hash(&trawl::auth::keys::hash_token(&k)).await.unwrap().unwrap().key.id;
        app.store.revoke_api_key(id, Some(DEFAULT_TEAM)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (s, revoked) = send(&app, "GET", "/api/v1/jobs", Some(&k), json!({})).await;
        let revoked = check(s, &revoked, 401, &["API key is not valid"]);
        assert_eq!(unknown, revoked, "an unknown key and a revoked one read the same");

        // Authenticated but short of rights: the role or scope that is missing.
        let viewer = key(&app, DEFAULT_TEAM, Role::Viewer, None).await;
        let (s, b) = send(&app, "POST", "/v2/scrape", Some(&viewer), json!({"url": "http://127.0.0.1:9/"})).await;
        assert_eq!(s, 403, "{b}");
        let m = b["error"].as_str().unwrap();
        assert!(m.contains("role") && m.contains("viewer"), "{m}");
        let scoped = key(&app, DEFAULT_TEAM, Role::Operator, Some(vec![Scope::JobsRead])).await;
        let (s, b) = send(&app, "POST", "/v2/crawl", Some(&scoped), json!({"url": "http://127.0.0.1:9/"})).await;
        assert_eq!(s, 403, "{b}");
        assert!(b["error"].as_str().unwrap().contains("scope `crawl`"), "{b}");

        // A blocked address says what opens it.
        let op = key(&app, DEFAULT_TEAM, Role::Operator, None).await;
        let (s, b) = send(&app, "POST", "/v2/scrape", Some(&op), json!({"url": "http://127.0.0.1:9/"})).await;
        assert_eq!(s, 403, "{b}");
        assert!(b["error"].as_str().unwrap().contains("TRAWL_FETCH_ALLOW"), "{b}");

        // A user's expired or ended access token says to refresh or sign in.
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Operator).await;
        let (access, _) = tokens(&app, &email).await;
        let (s, _) = send(&app, "POST", "/api/v1/auth/logout", Some(&access), json!({})).await;
        assert!(s < 300, "logout: {s}");
        let (s, b) = send(&app, "GET", "/api/v1/jobs", Some(&access), json!({})).await;
        check(s, &b, 401, &["access token is not valid", "sign in again"]);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_rate_limits_let_one_persons_script_run() {
    let site = TestSite::start(2).await;
    // The default tiers, as a fresh install has them.
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            ("TRAWL_FETCH_ALLOW", "127.0.0.0/8"),
            ("TRAWL_RATE_LIMIT_ENABLED", "true"),
        ],
    )
    .await
    .unwrap();
    let k = key(&app, DEFAULT_TEAM, Role::Operator, None).await;
    // Well past the old limit of 100 a minute, as fast as one loop can go.
    for i in 0..250 {
        let (status, body) = send(
            &app,
            "POST",
            "/v2/scrape",
            Some(&k),
            json!({"url": site.url("/p/1.html")}),
        )
        .await;
        assert_eq!(status, 200, "scrape {i}: {body}");
    }
    for i in 0..300 {
        let (status, body) = send(&app, "GET", "/api/v1/jobs", Some(&k), json!({})).await;
        assert_eq!(status, 200, "list {i}: {body}");
    }
    // Logins stay tightly bounded per address.
    let mut limited = false;
    for _ in 0..20 {
        let (status, _) = send(
            &app,
            "POST",
            "/api/v1/auth/login",
            None,
            json!({"email": "nobody@example.com", "password": "wrong password here"}),
        )
        .await;
        limited |= status == 429;
    }
    assert!(limited, "the login tier still refuses a burst");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_built_page_carries_a_warning() {
    let app_root = "<html><head><title>App</title></head><body><div id=\"root\"></div>\
        <script src=\"/static/app.js\"></script></body></html>";
    let shell = crate::firecrawl_fields::serve_page(app_root.to_string()).await;
    let plain = crate::firecrawl_fields::serve_page(
        "<html><body><main><p>Short, static and complete.</p></main></body></html>".to_string(),
    )
    .await;
    let app = spawn_app_with(Backend::Sqlite, &[("TRAWL_FETCH_ALLOW", "127.0.0.0/8")])
        .await
        .unwrap();
    let k = key(&app, DEFAULT_TEAM, Role::Operator, None).await;
    let (status, body) = send(&app, "POST", "/v2/scrape", Some(&k), json!({"url": shell})).await;
    assert_eq!(status, 200, "{body}");
    let warning = body["data"]["warning"].as_str().expect("a warning");
    assert!(warning.contains("JavaScript"), "{warning}");
    let (_, body) = send(&app, "POST", "/v2/scrape", Some(&k), json!({"url": plain})).await;
    assert!(body["data"].get("warning").is_none(), "{body}");
    app.stop().await;
}

both_backends! {
    async fn documents_past_their_retention_are_deleted_by_maintenance(backend: Backend) {
        let site = TestSite::start(2).await;
        let app = spawn_app_with(
            backend,
            &[
                ("TRAWL_FETCH_ALLOW", "127.0.0.0/8"),
                ("TRAWL_DOCUMENTS_RETENTION", "4s"),
                ("TRAWL_JOBS_SWEEP_INTERVAL_SECS", "1"),
            ],
        )
        .await
        .unwrap();
        let admin = key(&app, DEFAULT_TEAM, Role::Admin, None).await;
        // A second team keeps its documents whatever the instance's default.
        let other = crate::auth::team(&app).await;
        let other_admin = key(&app, other, Role::Admin, None).await;
        let (s, b) = send(&app, "PUT", &format!("/api/v1/teams/{other}/retention"),
            Some(&other_admin), json!({"documents": "keep"})).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["effective_secs"], 0);
        let (s, b) = send(&app, "PUT", &format!("/api/v1/teams/{other}/retention"),
            Some(&other_admin), json!({"documents": "soon"})).await;
        assert_eq!(s, 422, "{b}");
        assert_eq!(b["error"]["details"]["fields"][0]["field"], "documents");

        let scrape = |token: String| {
            let app = &app;
            let url = site.url("/p/1.html");
            async move {
                let (s, b) = send(app, "POST", "/v2/scrape", Some(&token), json!({"url": url})).await;
                assert_eq!(s, 200, "{b}");
                b["data"]["metadata"]["scrapeId"].as_str().unwrap().to_string()
            }
        };
        let gone = scrape(admin.clone()).await;
        let kept = scrape(other_admin.clone()).await;
        let doc = |token: String, id: String| {
            let app = &app;
            async move {
                app.client.get(app.url(&format!("/api/v1/documents/{id}")))
                    .bearer_auth(token).send().await.unwrap().status()
            }
        };
        // Pages are stored just after the answer: first both are there,
        let deadline = Instant::now() + Duration::from_secs(3);
        while doc(admin.clone(), gone.clone()).await != StatusCode::OK
            || doc(other_admin.clone(), kept.clone()).await != StatusCode::OK
        {
            assert!(Instant::now() < deadline, "the scraped pages were never stored");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // then the one past the instance's retention goes, and the kept one stays.
        let deadline = Instant::now() + Duration::from_secs(15);
        while doc(admin.clone(), gone.clone()).await != StatusCode::NOT_FOUND {
            assert!(Instant::now() < deadline, "the old document was never deleted");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(doc(other_admin.clone(), kept.clone()).await, StatusCode::OK);
        // The deletions are counted.
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(metrics.contains("trawl_documents_expired_total"), "{metrics}");
        app.stop().await;
    }
}
