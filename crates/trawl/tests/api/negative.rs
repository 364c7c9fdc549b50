//! The negative suite: requests an attacker or a careless client sends, each with the
//! answer it must get, in four families (SSRF, authentication, input, headers). Each
//! family is one table walked against a real server; every miss is listed, and the
//! tables together hold at least 150 cases (the authorization matrix is apart, in
//! `authz_matrix.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use trawl::auth::Role;
use trawl::store::jobs::DEFAULT_TEAM;

use crate::auth::{app, key};
use crate::both_backends;

/// A loopback listener that counts the connections it accepts (it answers none).
struct Trap {
    port: u16,
    hits: Arc<AtomicUsize>,
}

async fn trap(addr: &str) -> Option<Trap> {
    let listener = tokio::net::TcpListener::bind(addr).await.ok()?;
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((_conn, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    Some(Trap { port, hits })
}

/// Spellings of loopback, private, link-local and metadata addresses: each must be
/// refused before any connection is made.
fn ssrf_targets(port: u16) -> Vec<String> {
    let hosts = [
        "127.0.0.1",
        "127.1",
        "127.0.1",
        "2130706433",
        "0x7f000001",
        "0x7f.0.0.1",
        "0177.0.0.1",
        "017700000001",
        "127.000.000.001",
        "localhost",
        "LOCALHOST",
        "localhost.",
        "127.0.0.1.",
        "[::1]",
        "[0:0:0:0:0:0:0:1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[::127.0.0.1]",
        "0.0.0.0",
        "0",
        "[::]",
        "127.255.255.254",
    ];
    let mut urls: Vec<String> = hosts
        .iter()
        .map(|h| format!("http://{h}:{port}/"))
        .collect();
    // Private, shared, link-local, metadata, multicast and reserved ranges (nothing
    // listens there; refusal must come before any attempt, so each answers at once).
    for h in [
        "10.0.0.1",
        "10.255.255.255",
        "172.16.0.1",
        "172.31.255.1",
        "192.168.0.1",
        "192.168.255.255",
        "100.64.0.1",
        "169.254.169.254",
        "169.254.0.1",
        "[fd00::1]",
        "[fc00::1]",
        "[fe80::1]",
        "224.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "[::ffff:169.254.169.254]",
        "[::ffff:10.0.0.1]",
        "[64:ff9b::a9fe:a9fe]",
    ] {
        urls.push(format!("http://{h}/latest/meta-data/"));
    }
    // Userinfo tricks: the host is still loopback.
    urls.push(format!("http://example.com@127.0.0.1:{port}/"));
    urls.push(format!("http://user:pass@localhost:{port}/"));
    urls
}

both_backends! {
    async fn ssrf_every_spelling_of_a_private_address_is_refused_without_a_connection(backend: Backend) {
        let app = app(backend).await;
        let op = key(&app, DEFAULT_TEAM, Role::Operator, None).await;
        let trap4 = trap("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let trap6 = trap(&format!("[::1]:{}", trap4.port)).await;
        let client = Client::new();
        let mut misses = Vec::new();
        let mut cases = 0;
        for url in ssrf_targets(trap4.port) {
            // The synchronous routes fetch at once: each must refuse the address.
            for (path, body) in [
                ("/v2/scrape", json!({"url": url, "timeout": 2000})),
                ("/v2/map", json!({"url": url, "timeout": 2000})),
            ] {
                cases += 1;
                let r = client.post(app.url(path)).bearer_auth(&op).json(&body).send().await.unwrap();
                let status = r.status();
                let text = r.text().await.unwrap();
                let refused = status == StatusCode::FORBIDDEN && text.contains("SCRAPE_BLOCKED_ADDRESS")
                    || status == StatusCode::BAD_REQUEST;
                if !refused {
                    misses.push(format!("{path} {url}: {status} {text}"));
                }
            }
        }
        // Webhook targets are checked when the job is accepted.
        for url in ["http://127.0.0.1:9/hook", "http://169.254.169.254/hook", "http://[::1]/hook", "http://10.1.2.3/hook"] {
            cases += 1;
            let r = client.post(app.url("/v2/crawl")).bearer_auth(&op)
                .json(&json!({"url": "http://127.0.0.1:9/", "webhook": url})).send().await.unwrap();
            if r.status() != StatusCode::BAD_REQUEST {
                misses.push(format!("webhook {url}: {}", r.status()));
            }
        }
        // Non-HTTP schemes are refused as input.
        for url in ["file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1:70/", "data:text/html,hi",
                    "javascript:alert(1)", "dict://127.0.0.1:11211/", "ws://127.0.0.1/"] {
            cases += 1;
            let r = client.post(app.url("/v2/scrape")).bearer_auth(&op).json(&json!({"url": url})).send().await.unwrap();
            if r.status() != StatusCode::BAD_REQUEST {
                misses.push(format!("scheme {url}: {}", r.status()));
            }
        }
        let hits = trap4.hits.load(Ordering::SeqCst) + trap6.map_or(0, |t| t.hits.load(Ordering::SeqCst));
        assert_eq!(hits, 0, "connections reached the loopback listener");
        assert!(misses.is_empty(), "{} of {cases} SSRF cases missed:\n{}", misses.len(), misses.join("\n"));
        assert!(cases >= 90, "{cases}");
    }

    async fn authentication_malformed_and_dead_credentials_are_refused(backend: Backend) {
        let app = app(backend).await;
        let good = key(&app, DEFAULT_TEAM, Role::Viewer, None).await;
        let revoked = key(&app, DEFAULT_TEAM, Role::Viewer, None).await;
        let keys = app.store.list_api_keys(Some(DEFAULT_TEAM)).await.unwrap();
        let prefix = &revoked[..12];
        let id = keys.iter().find(|k| revoked.starts_with(&k.prefix) && k.prefix.starts_with(prefix)).unwrap().id;
        app.store.revoke_api_key(id, Some(DEFAULT_TEAM)).await.unwrap();
        let mut flipped = good.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'a' { b'b' } else { b'a' };
        let flipped = String::from_utf8(flipped).unwrap();
        let cases: Vec<(&str, String)> = vec![
            ("authorization", "Bearer".into()),
            ("authorization", "Bearer ".into()),
            ("authorization", format!("Basic {good}")),
            ("authorization", format!("Token {good}")),
            ("authorization", format!("Bearer {flipped}")),
            ("authorization", format!("Bearer {revoked}")),
            ("authorization", "Bearer trawl_".into()),
            ("authorization", "Bearer trawl_short".into()),
            ("authorization", format!("Bearer {}", "a".repeat(4000))),
            ("authorization", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".into()),
            ("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.AAAA".into()),
            ("authorization", "Bearer a.b.c".into()),
            ("authorization", format!("Bearer {good} extra")),
            ("authorization", format!("bearer\t{}", &good[..10])),
            ("x-api-key", "".into()),
            ("x-api-key", flipped.clone()),
            ("x-api-key", revoked.clone()),
            ("x-api-key", "trawl_".into()),
            ("x-api-key", format!("{good}x")),
            ("cookie", "trawl_session=forged".into()),
            ("cookie", "__Host-trawl_session=forged".into()),
            ("cookie", format!("trawl_session={good}")),
        ];
        let client = Client::new();
        let mut misses = Vec::new();
        let n = cases.len();
        for (name, value) in cases {
            for path in ["/api/v1/auth/me", "/v2/team/credit-usage", "/api/v1/jobs"] {
                let r = client.get(app.url(path)).header(name, &value).send().await.unwrap();
                if r.status() != StatusCode::UNAUTHORIZED {
                    misses.push(format!("{path} with {name}: {:.40} -> {}", value, r.status()));
                }
            }
        }
        // A key in the query string is refused unless the instance allows it.
        let r = client.get(app.url(&format!("/api/v1/auth/me?api_key={good}"))).send().await.unwrap();
        if r.status() != StatusCode::UNAUTHORIZED {
            misses.push(format!("query key: {}", r.status()));
        }
        // And the good key works, so the refusals above were the credentials.
        let r = client.get(app.url("/api/v1/auth/me")).bearer_auth(&good).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(misses.is_empty(), "{} of {} authentication cases missed:\n{}", misses.len(), n * 3 + 1, misses.join("\n"));
    }

    async fn input_malformed_oversized_and_out_of_range_requests_get_a_clear_4xx(backend: Backend) {
        let app = app(backend).await;
        let op = key(&app, DEFAULT_TEAM, Role::Operator, None).await;
        let client = Client::new();
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let big = format!("{{\"url\": \"http://127.0.0.1:9/\", \"pad\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
        // (method, path, content type, body, expected status)
        let raw: Vec<(Method, &str, &str, String, u16)> = vec![
            (Method::POST, "/v2/scrape", "application/json", "{".into(), 400),
            (Method::POST, "/v2/scrape", "application/json", "".into(), 400),
            (Method::POST, "/v2/scrape", "application/json", "null".into(), 400),
            (Method::POST, "/v2/scrape", "application/json", "[]".into(), 400),
            (Method::POST, "/v2/scrape", "application/x-www-form-urlencoded", "url=http://127.0.0.1:9/".into(), 400),
            (Method::POST, "/v2/scrape", "application/json", deep.clone(), 400),
            (Method::POST, "/v2/scrape", "application/json", big.clone(), 413),
            (Method::POST, "/api/v1/jobs", "application/json", "{".into(), 400),
            (Method::POST, "/api/v1/jobs", "application/json", deep.clone(), 422),
            (Method::POST, "/api/v1/jobs", "application/json", big, 413),
            (Method::POST, "/api/v1/jobs", "text/plain", "{}".into(), 400),
            (Method::POST, "/api/v1/auth/login", "application/json", "{\"email\": 1}".into(), 422),
            (Method::POST, "/api/v1/auth/login", "application/json", deep, 422),
        ];
        let json_cases: Vec<(&str, Value, u16)> = vec![
            ("/v2/scrape", json!({}), 400),
            ("/v2/scrape", json!({"url": ""}), 400),
            ("/v2/scrape", json!({"url": "not a url"}), 400),
            ("/v2/scrape", json!({"url": "http://"}), 400),
            ("/v2/scrape", json!({"url": "http://127.0.0.1:99999/"}), 400),
            ("/v2/scrape", json!({"url": "http://127.0.0.1:9/", "timeout": 0}), 400),
            ("/v2/scrape", json!({"url": "http://127.0.0.1:9/", "timeout": 10_000_000}), 400),
            ("/v2/scrape", json!({"url": "http://127.0.0.1:9/", "timeout": "soon"}), 400),
            ("/v2/scrape", json!({"url": "http://127.0.0.1:9/", "formats": []}), 400),
            ("/v2/scrape", json!({"url": "http://127.0.0.1:9/", "formats": ["telepathy"]}), 400),
            ("/v2/scrape", json!({"url": "http://127.0.0.1:9/", "formats": [42]}), 400),
            ("/v2/scrape", json!({"url": "http://127.0.0.1:9/", "includeTags": ["<<<"]}), 400),
            ("/v2/scrape", json!({"url": "http://127.0.0.1:9/", "headers": {"bad header": "x"}}), 400),
            ("/v2/scrape", json!({"url": "http://127.0.0.1:9/", "headers": {"x": "line\nbreak"}}), 400),
            ("/v2/scrape", json!({"url": "http://127.0.0.1:9/", "headers": {"x": 1}}), 400),
            ("/v2/crawl", json!({"url": "http://127.0.0.1:9/", "limit": 0}), 400),
            ("/v2/crawl", json!({"url": "http://127.0.0.1:9/", "limit": -1}), 400),
            ("/v2/crawl", json!({"url": "http://127.0.0.1:9/", "limit": 1_000_000_000_000u64}), 400),
            ("/v2/crawl", json!({"url": "http://127.0.0.1:9/", "delay": 61}), 400),
            ("/v2/crawl", json!({"url": "http://127.0.0.1:9/", "delay": -1}), 400),
            ("/v2/crawl", json!({"url": "http://127.0.0.1:9/", "maxConcurrency": 0}), 400),
            ("/v2/crawl", json!({"url": "http://127.0.0.1:9/", "includePaths": ["("]}), 400),
            ("/v2/crawl", json!({"url": "http://127.0.0.1:9/", "includePaths": vec!["a"; 101]}), 400),
            ("/v2/crawl", json!({"url": "http://127.0.0.1:9/", "ignoreRobotsTxt": true}), 400),
            ("/v2/crawl", json!({"url": "http://127.0.0.1:9/", "webhook": "not a url"}), 400),
            ("/v2/map", json!({"url": "http://127.0.0.1:9/", "limit": 0}), 400),
            ("/v2/map", json!({"url": "ftp://x.test/"}), 400),
            ("/v2/batch/scrape", json!({"urls": "http://127.0.0.1:9/"}), 400),
            ("/v2/batch/scrape", json!({"urls": []}), 400),
            ("/api/v1/jobs", json!({"kind": "scrape"}), 422),
            ("/api/v1/jobs", json!({"kind": "scrape", "payload": {"url": "javascript:x"}}), 422),
            ("/api/v1/jobs", json!({"kind": "scrape", "payload": {}, "surprise": 1}), 422),
            ("/api/v1/jobs", json!({"kind": 7}), 422),
            ("/api/v1/schedules", json!({"name": "x", "kind": "scrape", "url": "http://127.0.0.1:9/", "cron": "* * *"}), 422),
            ("/api/v1/schedules", json!({"name": "x", "kind": "scrape", "url": "http://127.0.0.1:9/", "cron": "0 3 * * *", "timezone": "Mars/Olympus"}), 422),
            ("/api/v1/schedules", json!({"name": "x", "kind": "scrape", "url": "http://127.0.0.1:9/", "cron": "0".repeat(200)}), 422),
            ("/api/v1/schedules", json!({"name": "", "kind": "scrape", "url": "http://127.0.0.1:9/", "cron": "0 3 * * *"}), 422),
            ("/api/v1/schedules", json!({"name": "builtin:x", "kind": "scrape", "url": "http://127.0.0.1:9/", "cron": "0 3 * * *"}), 422),
            ("/api/tasks/scrape", json!({"url": "file:///etc/passwd"}), 422),
        ];
        let mut misses = Vec::new();
        let n = raw.len() + json_cases.len() + 4;
        for (method, path, ct, body, want) in raw {
            let r = client.request(method, app.url(path)).bearer_auth(&op).header("content-type", ct)
                .body(body).send().await.unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            if status != want {
                misses.push(format!("{path} {ct}: {status}, want {want}: {text:.200}"));
            }
            leaks_nothing(path, &text, &mut misses);
        }
        for (path, body, want) in json_cases {
            let r = client.post(app.url(path)).bearer_auth(&op).json(&body).send().await.unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            if status != want {
                misses.push(format!("{path} {body:.120}: {status}, want {want}: {text:.200}"));
            }
            leaks_nothing(path, &text, &mut misses);
        }
        // Request lines and heads beyond the limits.
        let long = app.url(&format!("/api/v1/jobs?x={}", "a".repeat(9000)));
        let r = client.get(long).bearer_auth(&op).send().await.unwrap();
        if r.status() != StatusCode::URI_TOO_LONG { misses.push(format!("long URI: {}", r.status())); }
        let mut req = client.get(app.url("/api/v1/jobs")).bearer_auth(&op);
        for i in 0..150 { req = req.header(format!("x-h{i}"), "v"); }
        let r = req.send().await.unwrap();
        if r.status() != StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE { misses.push(format!("many headers: {}", r.status())); }
        let r = client.get(app.url("/api/v1/jobs?limit=-5")).bearer_auth(&op).send().await.unwrap();
        if r.status() != StatusCode::UNPROCESSABLE_ENTITY { misses.push(format!("negative limit: {}", r.status())); }
        let r = client.get(app.url("/api/v1/jobs/not-a-uuid")).bearer_auth(&op).send().await.unwrap();
        if r.status() != StatusCode::NOT_FOUND { misses.push(format!("bad id: {}", r.status())); }
        assert!(misses.is_empty(), "{} of {n} input cases missed:\n{}", misses.len(), misses.join("\n"));
    }

    async fn headers_every_answer_carries_the_security_headers(backend: Backend) {
        let app = app(backend).await;
        let op = key(&app, DEFAULT_TEAM, Role::Operator, None).await;
        let client = Client::new();
        let requests: Vec<(Method, &str, Option<&str>)> = vec![
            (Method::GET, "/health", None),
            (Method::GET, "/health/live", None),
            (Method::GET, "/api/v1/auth/me", None),
            (Method::GET, "/api/v1/auth/me", Some(op.as_str())),
            (Method::GET, "/api/v1/jobs", Some(op.as_str())),
            (Method::GET, "/api/v1/nothing-here", None),
            (Method::DELETE, "/api/v1/auth/me", Some(op.as_str())),
            (Method::POST, "/v2/scrape", Some(op.as_str())),
            (Method::GET, "/v2/crawl/active", Some(op.as_str())),
            (Method::GET, "/v2/nothing-here", Some(op.as_str())),
            (Method::GET, "/openapi.json", None),
        ];
        let mut misses = Vec::new();
        let mut cases = 0;
        for (method, path, token) in requests {
            let mut req = client.request(method.clone(), app.url(path)).header("origin", "https://evil.example");
            if let Some(t) = token { req = req.bearer_auth(t); }
            let r = req.send().await.unwrap();
            let h = r.headers().clone();
            let checks: [(&str, bool); 6] = [
                ("x-content-type-options: nosniff", h.get("x-content-type-options").is_some_and(|v| v == "nosniff")),
                ("a content-security-policy", h.get("content-security-policy").is_some()),
                ("a referrer-policy", h.get("referrer-policy").is_some()),
                ("no server header", h.get("server").is_none()),
                ("no CORS grant to a foreign origin", h.get("access-control-allow-origin").is_none()),
                ("a request id", h.get("x-request-id").is_some()),
            ];
            for (what, ok) in checks {
                cases += 1;
                if !ok { misses.push(format!("{method} {path}: {what}")); }
            }
            cases += 1;
            let text = r.text().await.unwrap_or_default();
            leaks_nothing(path, &text, &mut misses);
        }
        // A CORS preflight from a foreign origin is granted nothing.
        let r = client.request(Method::OPTIONS, app.url("/v2/scrape"))
            .header("origin", "https://evil.example")
            .header("access-control-request-method", "POST").send().await.unwrap();
        cases += 1;
        if r.headers().get("access-control-allow-origin").is_some() { misses.push("preflight granted".into()); }
        assert!(misses.is_empty(), "{} of {cases} header cases missed:\n{}", misses.len(), misses.join("\n"));
        assert!(cases >= 70, "{cases}");
    }
}

/// No answer shows a stack trace, SQL, a file path or an internal type name.
fn leaks_nothing(path: &str, text: &str, misses: &mut Vec<String>) {
    for tell in [
        "panicked",
        "SELECT ",
        "INSERT ",
        "sqlx",
        "/src/",
        "/root/",
        ".rs:",
        "stack backtrace",
    ] {
        if text.contains(tell) {
            misses.push(format!("{path}: the answer leaks {tell:?}: {text:.200}"));
        }
    }
}
