//! Edge protection through the real server: rate limits and their headers, security
//! headers on every kind of response, CORS, CSRF, TLS, and input limits.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

/// Rate limits on, with the given tiers (everything else at its default).
async fn limited(env: &[(&str, &str)]) -> TestApp {
    let mut all = vec![("TRAWL_RATE_LIMIT_ENABLED", "true")];
    all.extend_from_slice(env);
    spawn_app_with(Backend::Sqlite, &all).await.unwrap()
}

async fn operator_key(app: &TestApp) -> String {
    crate::v2::api_key(app).await.unwrap()
}

/// `GET path` with `key` as bearer token.
async fn get_with_key(app: &TestApp, path: &str, key: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

/// `POST path` of `body` as JSON with `key` as bearer token.
async fn post_with_key(app: &TestApp, path: &str, key: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// `GET /` with an `X-Forwarded-For` header.
async fn get_forwarded_for(app: &TestApp, forwarded: impl AsRef<str>) -> reqwest::Response {
    app.client
        .get(app.url("/"))
        .header("x-forwarded-for", forwarded.as_ref())
        .send()
        .await
        .unwrap()
}

/// `GET /health/live` sent from a page at `origin`.
async fn get_from_origin(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .get(app.url("/health/live"))
        .header("origin", origin)
        .send()
        .await
        .unwrap()
}

fn assert_api_headers(r: &reqwest::Response, what: &str) {
    let h = r.headers();
    assert_eq!(h["cache-control"], "no-store", "{what}");
    assert_eq!(
        h["content-security-policy"], "default-src 'none'; frame-ancestors 'none'",
        "{what}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
    assert!(h.get("server").is_none(), "{what}");
    assert!(
        h.get("strict-transport-security").is_none(),
        "{what}: plain http"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_are_on_every_class_of_response() {
    let app = limited(&[("TRAWL_RATE_LIMIT_PUBLIC", "1/hour")]).await;
    // API, error, 404.
    assert_api_headers(&app.get("/health/live").await, "api");
    let r = app.get("/api/v1/auth/me").await;
    assert_eq!(r.status(), 401);
    assert_api_headers(&r, "error");
    let r = app.get("/no/such/route").await;
    assert_eq!(r.status(), 404);
    assert_api_headers(&r, "404");
    // HTML.
    let r = app.get("/").await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a nonce in the CSP");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert_eq!(h["cross-origin-opener-policy"], "same-origin");
    assert_eq!(h["cross-origin-resource-policy"], "same-site");
    assert!(h["permissions-policy"]
        .to_str()
        .unwrap()
        .contains("camera=()"));
    assert!(h.get("server").is_none());
    let page = r.text().await.unwrap();
    assert!(
        page.contains(&format!("nonce=\"{nonce}\"")),
        "the page uses its nonce"
    );
    assert!(page.contains("/health") && page.contains("/docs"));
    assert!(!page.contains("<script"), "no script on the landing page");
    // 429.
    let r = app.get("/").await;
    assert_eq!(r.status(), 429);
    assert_api_headers(&r, "429");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_request_gets_429_with_retry_after_and_ratelimit_headers() {
    let app = limited(&[("TRAWL_RATE_LIMIT_AUTHENTICATED", "3/min")]).await;
    let key = operator_key(&app).await;
    let call = || get_with_key(&app, "/api/v1/auth/me", &key);
    for left in [2, 1, 0] {
        let r = call().await;
        assert_eq!(r.status(), 200);
        let h = r.headers();
        assert_eq!(h["ratelimit-limit"], "3");
        assert_eq!(h["ratelimit-remaining"], left.to_string().as_str());
        assert!(
            h["ratelimit-reset"]
                .to_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
                <= 60
        );
        assert_eq!(h["ratelimit-policy"], "3;w=60");
    }
    let r = call().await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    assert_eq!(r.headers()["ratelimit-remaining"], "0");
    assert_eq!(r.headers()["ratelimit-policy"], "3;w=60");
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "rate_limited", "{b}");
    assert!(b["error"]["request_id"].is_string());
    // Another tier has its own budget: a request counts against its own tier only.
    let r = get_with_key(&app, "/v2/team/queue-status", &key).await;
    assert_eq!(
        r.status(),
        429,
        "/v2/team/queue-status is authenticated tier too"
    );
    let r = get_with_key(&app, "/v2/crawl/active", &key).await;
    assert_eq!(r.status(), 200, "status polling has its own budget");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("trawl_rate_limited_total{tier=\"authenticated\"}")),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_rate_limit_refusal_uses_firecrawl_shape() {
    let app = limited(&[("TRAWL_RATE_LIMIT_STATUS", "1/hour")]).await;
    let key = operator_key(&app).await;
    let get = || get_with_key(&app, "/v2/crawl/active", &key);
    assert_eq!(get().await.status(), 200);
    let r = get().await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert!(r.headers().contains_key("ratelimit-policy"));
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["success"], false, "{b}");
    assert_eq!(b["code"], "rate_limited", "{b}");
    assert!(b["error"].is_string(), "{b}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_and_metrics_are_never_limited() {
    let app = limited(&[
        ("TRAWL_RATE_LIMIT_HEALTH", "1/hour"),
        ("TRAWL_RATE_LIMIT_DEFAULT", "1/hour"),
    ])
    .await;
    for _ in 0..5 {
        for path in ["/health/live", "/health/ready", "/metrics"] {
            let r = app.get(path).await;
            assert_eq!(r.status(), 200, "{path}");
            assert!(r.headers().get("ratelimit-limit").is_none(), "{path}");
        }
    }
    assert_eq!(app.get("/health").await.status(), 200);
    assert_eq!(
        app.get("/health").await.status(),
        429,
        "deep health is limited"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spoofed_forwarded_for_from_untrusted_peer_does_not_change_the_key() {
    let app = limited(&[("TRAWL_RATE_LIMIT_PUBLIC", "3/hour")]).await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let r = get_forwarded_for(&app, format!("198.51.100.{i}")).await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    app.stop().await;

    // From a trusted proxy the header names the client: each address has its budget.
    let app = limited(&[
        ("TRAWL_RATE_LIMIT_PUBLIC", "1/hour"),
        ("TRAWL_TRUSTED_PROXIES", "127.0.0.0/8"),
    ])
    .await;
    for i in 0..3 {
        let r = get_forwarded_for(&app, format!("6.6.6.6, 198.51.100.{i}")).await;
        assert_eq!(r.status(), 200, "client {i}");
    }
    let r = get_forwarded_for(&app, "7.7.7.7, 198.51.100.0").await;
    assert_eq!(
        r.status(),
        429,
        "the left part, which the client wrote, is not the key"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_override_raises_the_tier_for_that_team_only() {
    let team = trawl::store::jobs::DEFAULT_TEAM;
    let over = format!("{team}:authenticated=5/min");
    let app = limited(&[
        ("TRAWL_RATE_LIMIT_AUTHENTICATED", "1/min"),
        ("TRAWL_RATE_LIMIT_TEAMS", over.as_str()),
    ])
    .await;
    let key = operator_key(&app).await;
    let r = get_with_key(&app, "/api/v1/auth/me", &key).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["ratelimit-limit"], "5");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_listed_origins_refuses_others_and_answers_preflight() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[(
            "TRAWL_CORS_ORIGINS",
            "http://localhost:5173,https://app.example.com",
        )],
    )
    .await
    .unwrap();
    let r = get_from_origin(&app, "https://app.example.com").await;
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(r.headers()["access-control-allow-credentials"], "true");
    assert!(r.headers()["vary"]
        .to_str()
        .unwrap()
        .to_lowercase()
        .contains("origin"));
    let r = get_from_origin(&app, "https://evil.example").await;
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // Preflight for a scripted POST with a key.
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v2/scrape"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "http://localhost:5173");
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v2/scrape"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    app.stop().await;

    // Off by default: no CORS headers for anyone.
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let r = get_from_origin(&app, "https://app.example.com").await;
    assert!(r.headers().get("access-control-allow-origin").is_none());
    app.stop().await;
}

const PASSWORD: &str = "a fine long passphrase";

/// Registers and logs in a user; returns the cookie and the CSRF token.
async fn browser_session(app: &TestApp) -> (String, String) {
    let email = format!("u{}@example.com", uuid::Uuid::now_v7().simple());
    let creds = json!({"email": email, "password": PASSWORD});
    let r = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .json(&creds)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&creds)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let b: Value = r.json().await.unwrap();
    (cookie, b["csrf_token"].as_str().unwrap().to_string())
}

/// Sends `req` and expects the CSRF refusal.
async fn expect_csrf_refusal(req: reqwest::RequestBuilder, what: &str) {
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 403, "{what}");
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "forbidden", "{what}: {b}");
    assert!(
        b["error"]["message"].as_str().unwrap().contains("CSRF"),
        "{what}: {b}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_refuses_missing_wrong_token_and_cross_site_origin() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (cookie, csrf) = browser_session(&app).await;
    let team = || json!({"name": format!("t{}", uuid::Uuid::now_v7().simple())});
    let post = || {
        Client::new()
            .post(app.url("/api/v1/teams"))
            .header("cookie", &cookie)
            .json(&team())
    };
    expect_csrf_refusal(post(), "missing").await;
    expect_csrf_refusal(post().header("x-csrf-token", "AAAA"), "wrong").await;
    let with_token = || post().header("x-csrf-token", &csrf);
    expect_csrf_refusal(
        with_token().header("origin", "https://evil.example"),
        "cross-origin",
    )
    .await;
    expect_csrf_refusal(
        with_token().header("sec-fetch-site", "cross-site"),
        "cross-site",
    )
    .await;
    // The right token from our own origin goes through.
    let own = app.base.clone();
    let r = with_token()
        .header("origin", own)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    // A page that lost the token gets it again from the session.
    let r = Client::new()
        .get(app.url("/api/v1/auth/csrf"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["csrf_token"], csrf.as_str());
    // A form carries it as a field.
    let r = Client::new()
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_authenticated_changes_need_no_csrf_token() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let token = admin_token(&app).await;
    let r = app
        .client
        .post(app.url("/api/v1/teams"))
        .bearer_auth(&token)
        .header("cookie", "__Host-trawl_session=whatever")
        .header("origin", "https://evil.example")
        .json(&json!({"name": "no-csrf-needed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_listener_serves_a_certificate_generated_in_the_test() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            ("TRAWL_TLS_CERT", cert_path.to_str().unwrap()),
            ("TRAWL_TLS_KEY", key_path.to_str().unwrap()),
            ("TRAWL_TLS_REDIRECT_BIND", "127.0.0.1:0"),
        ],
    )
    .await
    .unwrap();
    let addr: std::net::SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
    let client = Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap()])
        .resolve("localhost", addr)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let https = format!("https://localhost:{}", addr.port());
    let r = client
        .get(format!("{https}/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
    // A client that does not trust the certificate fails the handshake.
    let strict = Client::builder()
        .resolve("localhost", addr)
        .build()
        .unwrap();
    assert!(strict
        .get(format!("{https}/health/live"))
        .send()
        .await
        .is_err());
    // Plain HTTP on the TLS port is not served; the redirect listener sends to https.
    let plain = Client::new()
        .get(format!("http://{addr}/health/live"))
        .send()
        .await;
    assert!(plain.is_err(), "plain HTTP on the TLS port must fail");
    let redirect = app.redirect_base.clone().expect("redirect listener");
    let r = client
        .get(format!("{redirect}/health?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        r.headers()["location"],
        format!("https://127.0.0.1:{}/health?x=1", addr.port()).as_str()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_body_and_long_url_are_refused_in_the_envelope() {
    let app = spawn_app_with(Backend::Sqlite, &[("TRAWL_LIMITS_BODY_BYTES", "4096")])
        .await
        .unwrap();
    let key = operator_key(&app).await;
    let big = json!({"name": "x".repeat(8000)});
    let r = post_with_key(&app, "/api/v1/teams", &key, &big).await;
    assert_eq!(r.status(), 413);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "payload_too_large", "{b}");
    // Firecrawl's shape on /v2.
    let r = post_with_key(
        &app,
        "/v2/scrape",
        &key,
        &json!({"url": format!("http://x/{}", "y".repeat(8000))}),
    )
    .await;
    assert_eq!(r.status(), 413);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["success"], false, "{b}");
    // The batch endpoint takes more.
    let urls: Vec<String> = (0..200)
        .map(|i| format!("http://127.0.0.1:9/{i}/{}", "p".repeat(20)))
        .collect();
    let r = post_with_key(&app, "/v2/batch/scrape", &key, &json!({"urls": urls})).await;
    assert_ne!(r.status(), 413);
    let r = app.get(&format!("/health/live?{}", "q".repeat(2100))).await;
    assert_eq!(r.status(), 414);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "uri_too_long", "{b}");
    let mut req = app.client.get(app.url("/health/live"));
    for i in 0..120 {
        req = req.header(format!("x-h{i}"), "v");
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 431);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "headers_too_large", "{b}");
    app.stop().await;
}

/// A client that sends its request head a byte at a time (slowloris) is cut off once
/// the head deadline passes, while a prompt client on the same server is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_trickled_past_the_deadline_closes_the_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(
        Backend::Sqlite,
        &[("TRAWL_LIMITS_HEADER_TIMEOUT_SECS", "1")],
    )
    .await
    .unwrap();
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut answered = Vec::new();
    let mut buf = [0u8; 512];
    // Keeps sending a header byte every 200 ms: never idle, never complete.
    let closed_after = loop {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the server kept a trickling connection open for 5 s"
        );
        if slow.write_all(b"X").await.is_err() {
            break started.elapsed();
        }
        let wait = std::time::Duration::from_millis(200);
        match tokio::time::timeout(wait, slow.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break started.elapsed(),
            Ok(Ok(n)) => answered.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        let r = app.get("/health/live").await;
        assert_eq!(r.status(), 200, "a prompt client is still served");
    };
    assert!(
        closed_after >= std::time::Duration::from_millis(800),
        "closed before the deadline: {closed_after:?}"
    );
    assert!(
        !String::from_utf8_lossy(&answered).contains("200 OK"),
        "an incomplete head was answered as a request"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_json_and_bad_query_parameters_name_the_field_and_rule() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let token = admin_token(&app).await;
    let post = |body: &str| {
        app.client
            .post(app.url("/api/v1/teams"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
    };
    let r = post("{\"name\": ").await.unwrap();
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "bad_request");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{b}"
    );
    let r = post("{\"name\": 5}").await.unwrap();
    assert_eq!(r.status(), 422);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["details"]["fields"][0]["field"], "name", "{b}");
    assert!(b["error"]["details"]["fields"][0]["rule"]
        .as_str()
        .unwrap()
        .contains("string"));
    let deep = format!("{{\"name\": {}1{}}}", "[".repeat(40), "]".repeat(40));
    let r = post(&deep).await.unwrap();
    assert_eq!(r.status(), 422);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["details"]["fields"][0]["field"], "body", "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("32 levels"),
        "{b}"
    );
    let r = get_with_key(&app, "/api/v1/audit?limit=lots", &token).await;
    assert_eq!(r.status(), 422);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["details"]["fields"][0]["field"], "limit", "{b}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_body_times_out_with_408() {
    let app = spawn_app_with(Backend::Sqlite, &[("TRAWL_LIMITS_BODY_TIMEOUT_SECS", "1")])
        .await
        .unwrap();
    let token = admin_token(&app).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/teams HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\":"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // Read until the JSON body has closed (the connection may stay open).
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut chunk = [0u8; 4096];
        while !String::from_utf8_lossy(&buf).trim_end().ends_with("}}") {
            let n = s.read(&mut chunk).await.unwrap();
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server must answer a stalled body within its limit"
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"code\":\"timeout\""), "{text}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_https_redirects_plain_http_except_probes_and_sends_hsts() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            ("TRAWL_FORCE_HTTPS", "true"),
            ("TRAWL_TRUSTED_PROXIES", "127.0.0.0/8"),
        ],
    )
    .await
    .unwrap();
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(app.url("/api/v1/auth/me?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    // The plain listener's port is not carried over to https.
    assert_eq!(
        r.headers()["location"],
        "https://127.0.0.1/api/v1/auth/me?x=1"
    );
    assert!(r.headers().contains_key("strict-transport-security"));
    // Probes stay on plain HTTP, with HSTS all the same.
    let r = client.get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("strict-transport-security"));
    // A trusted proxy that terminated TLS says so; the request is served.
    let r = client
        .get(app.url("/api/v1/auth/me"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "served (and refused for want of a credential)"
    );
    app.stop().await;
}
