//! Nothing accepted and ignored: every field of Firecrawl's v2 request schemas (scrape,
//! crawl, map, batch scrape, as firecrawl-py 4.50 and firecrawl-js 4.42 define them) is
//! either honoured, with a behaviour test that pins what it does, or refused with a 400
//! that names it. The field lists below are copied from the SDKs' types, not from
//! Trawl's own table, so a field the table forgets fails here.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};
use trawl::request_fields::{self, Body, Rule};

use crate::both_backends;
use crate::helpers::*;
use crate::site::TestSite;
use crate::v2::api_key;

/// A field, a value that asks for something, and what must happen to it.
type Field = (&'static str, Value, Want);

/// What a field must do here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Accepted and acted on; the named test in the named file pins the behaviour.
    Honoured(&'static str, &'static str),
    /// A client label the SDKs stamp on requests: accepted, changes nothing.
    Label,
    /// Refused with a 400 naming the field, when its value asks for something.
    Refused,
}
use Want::*;

/// Each scrape option with a value that asks for something.
fn scrape_options(stored: bool) -> Vec<(&'static str, Value, Want)> {
    let privacy = |test| {
        if stored {
            Refused
        } else {
            Honoured("firecrawl_fields.rs", test)
        }
    };
    vec![
        (
            "formats",
            json!(["links"]),
            Honoured("v2.rs", "scrape_returns_the_document_in_firecrawl_shape"),
        ),
        (
            "headers",
            json!({"X-Test": "1"}),
            Honoured(
                "hardening.rs",
                "credentials_follow_a_redirect_on_the_same_origin_only",
            ),
        ),
        (
            "includeTags",
            json!(["main"]),
            Honoured(
                "firecrawl_fields.rs",
                "tags_and_only_main_content_choose_what_is_kept",
            ),
        ),
        (
            "excludeTags",
            json!(["nav"]),
            Honoured(
                "firecrawl_fields.rs",
                "tags_and_only_main_content_choose_what_is_kept",
            ),
        ),
        (
            "onlyMainContent",
            json!(false),
            Honoured(
                "firecrawl_fields.rs",
                "tags_and_only_main_content_choose_what_is_kept",
            ),
        ),
        (
            "timeout",
            json!(20_000),
            Honoured(
                "fetch.rs",
                "a_slow_page_times_out_with_the_requested_timeout",
            ),
        ),
        (
            "removeBase64Images",
            json!(false),
            Honoured(
                "firecrawl_fields.rs",
                "remove_base64_images_false_keeps_inline_images",
            ),
        ),
        (
            "maxAge",
            json!(3_600_000),
            Honoured(
                "firecrawl_fields.rs",
                "max_age_is_met_by_always_fetching_fresh",
            ),
        ),
        (
            "storeInCache",
            json!(false),
            privacy("store_in_cache_false_and_zero_data_retention_store_nothing"),
        ),
        (
            "zeroDataRetention",
            json!(true),
            privacy("store_in_cache_false_and_zero_data_retention_store_nothing"),
        ),
        (
            "skipTlsVerification",
            json!(true),
            Honoured(
                "firecrawl_fields.rs",
                "skip_tls_verification_decides_whether_a_self_signed_site_is_fetched",
            ),
        ),
        (
            "blockAds",
            json!(false),
            Honoured(
                "firecrawl_fields.rs",
                "block_ads_and_fast_mode_fetch_only_the_page_itself",
            ),
        ),
        (
            "fastMode",
            json!(true),
            Honoured(
                "firecrawl_fields.rs",
                "block_ads_and_fast_mode_fetch_only_the_page_itself",
            ),
        ),
        ("waitFor", json!(1000), Refused),
        ("mobile", json!(true), Refused),
        ("parsers", json!(["pdf"]), Refused),
        (
            "actions",
            json!([{"type": "wait", "milliseconds": 500}]),
            Refused,
        ),
        (
            "location",
            json!({"country": "DE", "languages": ["de"]}),
            Refused,
        ),
        ("useMock", json!("fixture"), Refused),
        ("proxy", json!("stealth"), Refused),
        ("minAge", json!(1000), Refused),
        ("lockdown", json!(true), Refused),
        ("checkPromptInjection", json!(true), Refused),
        ("redactPII", json!(true), Refused),
        (
            "threatProtection",
            json!({"riskScoreThreshold": 50}),
            Refused,
        ),
        ("auditMetadata", json!({"ticket": "1"}), Refused),
        ("profile", json!({"name": "p"}), Refused),
        ("domainTools", json!(true), Refused),
        ("toolDetail", json!("full"), Refused),
        ("integration", json!("zapier"), Label),
        ("origin", json!("python-sdk@4.50.0"), Label),
    ]
}

fn crawl_fields() -> Vec<(&'static str, Value, Want)> {
    vec![
        (
            "limit",
            json!(2),
            Honoured("crawl.rs", "the_limit_and_the_depth_bound_the_crawl"),
        ),
        (
            "maxDiscoveryDepth",
            json!(1),
            Honoured("crawl.rs", "the_limit_and_the_depth_bound_the_crawl"),
        ),
        (
            "includePaths",
            json!(["^/p/"]),
            Honoured(
                "crawl.rs",
                "include_and_exclude_paths_decide_what_is_followed",
            ),
        ),
        (
            "excludePaths",
            json!(["^/x/"]),
            Honoured(
                "crawl.rs",
                "include_and_exclude_paths_decide_what_is_followed",
            ),
        ),
        (
            "regexOnFullURL",
            json!(true),
            Honoured(
                "scope.rs",
                "include_and_exclude_match_the_path_or_the_full_url",
            ),
        ),
        (
            "allowSubdomains",
            json!(true),
            Honoured(
                "scope.rs",
                "same_host_only_by_default_and_subdomains_when_asked",
            ),
        ),
        (
            "allowExternalLinks",
            json!(true),
            Honoured(
                "scope.rs",
                "same_host_only_by_default_and_subdomains_when_asked",
            ),
        ),
        (
            "crawlEntireDomain",
            json!(true),
            Honoured(
                "scope.rs",
                "a_start_path_confines_the_crawl_unless_the_whole_domain_is_asked_for",
            ),
        ),
        (
            "sitemap",
            json!("skip"),
            Honoured(
                "firecrawl_fields.rs",
                "crawl_sitemap_query_and_concurrency_options_change_the_crawl",
            ),
        ),
        (
            "ignoreQueryParameters",
            json!(true),
            Honoured(
                "firecrawl_fields.rs",
                "crawl_sitemap_query_and_concurrency_options_change_the_crawl",
            ),
        ),
        (
            "ignoreRobotsTxt",
            json!(true),
            Honoured(
                "options.rs",
                "ignoring_robots_needs_the_instance_to_permit_it",
            ),
        ),
        (
            "delay",
            json!(0.1),
            Honoured("crawl.rs", "the_per_host_delay_spaces_requests"),
        ),
        (
            "maxConcurrency",
            json!(2),
            Honoured(
                "firecrawl_fields.rs",
                "crawl_sitemap_query_and_concurrency_options_change_the_crawl",
            ),
        ),
        (
            "webhook",
            json!({"url": "http://127.0.0.1:9/hook", "events": ["completed"]}),
            Honoured(
                "webhooks.rs",
                "crawl_webhooks_arrive_signed_in_order_started_pages_completed",
            ),
        ),
        (
            "scrapeOptions",
            json!({"formats": ["links"]}),
            Honoured(
                "document_shape.rs",
                "every_endpoint_returns_a_page_in_the_one_document_shape",
            ),
        ),
        ("deduplicateSimilarURLs", json!(false), Refused),
        ("zeroDataRetention", json!(true), Refused),
        ("prompt", json!("only the blog"), Refused),
        ("robotsUserAgent", json!("OtherBot"), Refused),
        ("integration", json!("zapier"), Label),
        ("origin", json!("js-sdk@4.42.0"), Label),
    ]
}

fn batch_fields() -> Vec<(&'static str, Value, Want)> {
    let mut fields = vec![
        (
            "ignoreInvalidURLs",
            json!(true),
            Honoured(
                "v2.rs",
                "a_batch_scrape_reports_invalid_urls_and_a_reused_key_gets_the_same_batch",
            ),
        ),
        (
            "maxConcurrency",
            json!(2),
            Honoured(
                "firecrawl_fields.rs",
                "crawl_sitemap_query_and_concurrency_options_change_the_crawl",
            ),
        ),
        (
            "webhook",
            json!("http://127.0.0.1:9/hook"),
            Honoured(
                "webhooks.rs",
                "a_batch_webhook_sends_only_the_events_asked_for_under_batch_scrape_names",
            ),
        ),
        (
            "appendToId",
            json!("0193b7f0-0000-7000-8000-000000000000"),
            Refused,
        ),
    ];
    // A batch's scrape options sit at its top level; its pages are stored.
    fields.extend(scrape_options(true));
    fields
}

fn map_fields() -> Vec<(&'static str, Value, Want)> {
    vec![
        (
            "search",
            json!("p"),
            Honoured("v2.rs", "map_returns_top_level_links_filtered_by_search"),
        ),
        (
            "sitemap",
            json!("skip"),
            Honoured("firecrawl_fields.rs", "map_options_choose_the_links_listed"),
        ),
        (
            "includeSubdomains",
            json!(false),
            Honoured(
                "map.rs",
                "include_subdomains_decides_whether_subdomains_are_listed",
            ),
        ),
        (
            "ignoreQueryParameters",
            json!(false),
            Honoured("firecrawl_fields.rs", "map_options_choose_the_links_listed"),
        ),
        (
            "limit",
            json!(3),
            Honoured("firecrawl_fields.rs", "map_options_choose_the_links_listed"),
        ),
        (
            "timeout",
            json!(20_000),
            Honoured("firecrawl_fields.rs", "map_options_choose_the_links_listed"),
        ),
        ("location", json!({"country": "US"}), Refused),
        (
            "threatProtection",
            json!({"riskScoreThreshold": 50}),
            Refused,
        ),
        ("auditMetadata", json!({"ticket": "1"}), Refused),
        ("integration", json!("zapier"), Label),
        ("origin", json!("python-sdk@4.50.0"), Label),
    ]
}

/// The test files, to check that each behaviour test named above exists.
const TEST_SOURCES: &[(&str, &str)] = &[
    ("v2.rs", include_str!("v2.rs")),
    ("crawl.rs", include_str!("crawl.rs")),
    ("fetch.rs", include_str!("fetch.rs")),
    ("api_jobs.rs", include_str!("api_jobs.rs")),
    ("webhooks.rs", include_str!("webhooks.rs")),
    ("document_shape.rs", include_str!("document_shape.rs")),
    ("firecrawl_fields.rs", include_str!("firecrawl_fields.rs")),
    ("hardening.rs", include_str!("hardening.rs")),
    ("scope.rs", include_str!("../../src/crawl/scope.rs")),
    ("options.rs", include_str!("../../src/crawl/options.rs")),
    ("map.rs", include_str!("../../src/crawl/map.rs")),
];

fn names(list: &[(&'static str, Value, Want)]) -> BTreeSet<&'static str> {
    list.iter().map(|(n, _, _)| *n).collect()
}

#[test]
fn the_table_covers_exactly_the_sdks_fields_and_agrees_on_each() {
    let own: &[(Body, &[&str], Vec<Field>)] = &[
        (Body::Scrape, &["url"], scrape_options(false)),
        (Body::StoredScrape, &["url"], scrape_options(true)),
        (Body::Crawl, &["url"], crawl_fields()),
        (Body::Batch, &["urls"], batch_fields()),
        (Body::Map, &["url"], map_fields()),
    ];
    for (body, required, sdk) in own {
        let table = request_fields::fields(*body);
        let mut ours: BTreeSet<&str> = table.iter().map(|(n, _)| *n).collect();
        for r in *required {
            assert!(ours.remove(r), "{body:?} lacks {r}");
        }
        assert_eq!(
            ours,
            names(sdk),
            "{body:?}: the table and the SDKs' fields differ"
        );
        for (name, _, want) in sdk {
            let rule = table.iter().find(|(n, _)| n == name).unwrap().1;
            let agrees = matches!(
                (want, rule),
                (Honoured(..), Rule::Honoured)
                    | (Label, Rule::Label)
                    | (Refused, Rule::Unsupported { .. })
            );
            assert!(
                agrees,
                "{body:?}.{name}: want {want:?}, the table says {rule:?}"
            );
            if let Honoured(file, test) = want {
                let source = TEST_SOURCES.iter().find(|(f, _)| f == file).unwrap().1;
                assert!(
                    source.contains(&format!("fn {test}(")),
                    "{name}: no behaviour test {file}::{test}"
                );
            }
        }
    }
}

async fn post(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(api_key(app).await.unwrap())
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

/// Sends each field alone (beside what the endpoint requires) and checks the answer.
async fn walk(
    app: &TestApp,
    path: &str,
    base: Value,
    prefix: &str,
    nest: Option<&str>,
    fields: Vec<(&'static str, Value, Want)>,
) {
    for (name, value, want) in fields {
        let mut body = base.clone();
        match nest {
            Some(key) => {
                body[key] = Value::Object(Map::from_iter([(name.to_string(), value)]));
            }
            None => body[name] = value,
        }
        let (status, answer) = post(app, path, &body).await;
        let field = format!("{prefix}{name}");
        match want {
            Honoured(..) | Label => {
                assert_eq!(status, 200, "{path} {field} should be accepted: {answer}")
            }
            Refused => {
                assert_eq!(status, 400, "{path} {field} should be refused: {answer}");
                assert_eq!(answer["success"], false);
                let fields = &answer["details"]["fields"];
                assert_eq!(fields[0]["field"], field.as_str(), "{answer}");
                assert!(
                    fields[0]["rule"]
                        .as_str()
                        .unwrap()
                        .starts_with("is not supported by this instance: "),
                    "{answer}"
                );
            }
        }
    }
}

both_backends! {
    async fn every_field_is_honoured_or_refused_over_http(backend: Backend) {
        let site = TestSite::start(3).await;
        let app = spawn_app_with(
            backend,
            &[
                ("TRAWL_FETCH_ALLOW", "127.0.0.0/8"),
                ("TRAWL_CRAWL_ALLOW_IGNORE_ROBOTS", "true"),
            ],
        )
        .await
        .unwrap();
        let page = site.url("/p/1.html");
        walk(&app, "/v2/scrape", json!({"url": page}), "", None, scrape_options(false)).await;
        walk(&app, "/v2/crawl", json!({"url": page, "limit": 1}), "", None, crawl_fields()).await;
        walk(&app, "/v2/crawl", json!({"url": page, "limit": 1}), "scrapeOptions.",
            Some("scrapeOptions"), scrape_options(true)).await;
        walk(&app, "/v2/batch/scrape", json!({"urls": [page]}), "", None, batch_fields()).await;
        walk(&app, "/v2/map", json!({"url": site.url("/")}), "", None, map_fields()).await;

        // A field Firecrawl does not define is refused too (as Firecrawl's server does),
        // so a misspelt option never passes silently.
        let (status, answer) =
            post(&app, "/v2/scrape", &json!({"url": page, "onlyMainContnet": false})).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["details"]["fields"][0]["field"], "onlyMainContnet");
        assert!(answer["error"].as_str().unwrap().contains("not a field"), "{answer}");
        app.stop().await;
    }
}

/// Every stored byte of the app's database: the SQLite file and its write-ahead log, or
/// every row of every PostgreSQL table as text.
async fn database_contains(app: &TestApp, needle: &str) -> bool {
    if app.db.url.starts_with("sqlite:") {
        let path = app.db.url.trim_start_matches("sqlite://").to_string();
        [path.clone(), format!("{path}-wal")].iter().any(|p| {
            std::fs::read(p)
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
    } else {
        let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut found = false;
        for t in tables {
            let n: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM \"{t}\" AS r WHERE r::text LIKE '%' || $1 || '%'"
            ))
            .bind(needle)
            .fetch_one(&pool)
            .await
            .unwrap();
            found |= n > 0;
        }
        pool.close().await;
        found
    }
}

both_backends! {
    async fn store_in_cache_false_and_zero_data_retention_store_nothing(backend: Backend) {
        let site = TestSite::start(1).await;
        let app = spawn_app_with(backend, &[("TRAWL_FETCH_ALLOW", "127.0.0.0/8")]).await.unwrap();
        for option in [json!({"storeInCache": false}), json!({"zeroDataRetention": true})] {
            let marker = format!("private-{}", uuid::Uuid::new_v4().simple());
            site.set_mutable(&marker);
            let body = with(json!({"url": site.url("/mutable")}), option.clone());
            let (status, answer) = post(&app, "/v2/scrape", &body).await;
            assert_eq!(status, 200, "{answer}");
            assert!(answer["data"]["markdown"].as_str().unwrap().contains(&marker), "{answer}");
            let id = answer["data"]["metadata"]["scrapeId"].as_str().unwrap();
            // Give the background writer the time it would take to store a page.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            assert!(!database_contains(&app, &marker).await, "{option}: the page was stored");
            let token = admin_token(&app).await;
            let r = app.client.get(app.url(&format!("/api/v1/documents/{id}")))
                .bearer_auth(&token).send().await.unwrap();
            assert_eq!(r.status(), 404, "{option}");
        }
        // The same scrape without either option is stored, which shows the search above
        // would have found the page.
        let marker = format!("kept-{}", uuid::Uuid::new_v4().simple());
        site.set_mutable(&marker);
        let (status, answer) = post(&app, "/v2/scrape", &json!({"url": site.url("/mutable")})).await;
        assert_eq!(status, 200, "{answer}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !database_contains(&app, &marker).await {
            assert!(std::time::Instant::now() < deadline, "a default scrape was never stored");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_age_is_met_by_always_fetching_fresh() {
    let site = TestSite::start(1).await;
    let app = spawn_app_with(Backend::Sqlite, &[("TRAWL_FETCH_ALLOW", "127.0.0.0/8")])
        .await
        .unwrap();
    let body = json!({"url": site.url("/mutable"), "maxAge": 3_600_000});
    site.set_mutable("the first version");
    let (_, first) = post(&app, "/v2/scrape", &body).await;
    site.set_mutable("the second version");
    let (status, second) = post(&app, "/v2/scrape", &body).await;
    assert_eq!(status, 200, "{second}");
    assert!(first["data"]["markdown"]
        .as_str()
        .unwrap()
        .contains("first version"));
    assert!(
        second["data"]["markdown"]
            .as_str()
            .unwrap()
            .contains("second version"),
        "an answer is never older than maxAge: {second}"
    );
    assert_eq!(second["data"]["metadata"]["cacheState"], "miss");
    assert_eq!(site.hits("/mutable"), 2);
    let (status, answer) = post(
        &app,
        "/v2/scrape",
        &json!({"url": site.url("/mutable"), "maxAge": -1}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["details"]["fields"][0]["field"], "maxAge");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_ads_and_fast_mode_fetch_only_the_page_itself() {
    let site = TestSite::start(2).await;
    let app = spawn_app_with(Backend::Sqlite, &[("TRAWL_FETCH_ALLOW", "127.0.0.0/8")])
        .await
        .unwrap();
    let url = site.url("/p/1.html");
    let mut answers = Vec::new();
    for (block_ads, fast_mode) in [(true, false), (false, true), (false, false)] {
        let (status, answer) = post(
            &app,
            "/v2/scrape",
            &json!({"url": url, "blockAds": block_ads, "fastMode": fast_mode}),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        answers.push(answer["data"]["markdown"].clone());
    }
    assert!(answers.iter().all(|m| *m == answers[0]));
    // Only the page was requested: no script, image, stylesheet or ad ever is.
    let hits = site.all_hits();
    assert_eq!(hits.values().sum::<usize>(), 3, "{hits:?}");
    assert_eq!(site.hits("/p/1.html"), 3);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_base64_images_false_keeps_inline_images() {
    let page = "<html><body><main><h1>Inline</h1><p>A picture follows here for the test.</p>\
        <img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"dot\"></main></body></html>";
    let target = serve_page(page.to_string()).await;
    let app = spawn_app_with(Backend::Sqlite, &[("TRAWL_FETCH_ALLOW", "127.0.0.0/8")])
        .await
        .unwrap();
    let (_, kept) = post(
        &app,
        "/v2/scrape",
        &json!({"url": target, "removeBase64Images": false}),
    )
    .await;
    let (_, removed) = post(&app, "/v2/scrape", &json!({"url": target})).await;
    let kept = kept["data"]["markdown"].as_str().unwrap().to_string();
    let removed = removed["data"]["markdown"].as_str().unwrap().to_string();
    assert!(
        kept.contains("data:image/png;base64,iVBORw0KGgo="),
        "{kept}"
    );
    assert!(!removed.contains("base64,iVBORw0KGgo="), "{removed}");
    app.stop().await;
}

/// A plain HTTP server on loopback answering every request with `html`.
pub async fn serve_page(html: String) -> String {
    let app = axum::Router::new().fallback(move || {
        let html = html.clone();
        async move { ([(axum::http::header::CONTENT_TYPE, "text/html")], html) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_tls_verification_decides_whether_a_self_signed_site_is_fetched() {
    // The target: a Trawl instance serving HTTPS with a certificate no one has signed.
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let target = spawn_app_with(
        Backend::Sqlite,
        &[
            ("TRAWL_TLS_CERT", cert_path.to_str().unwrap()),
            ("TRAWL_TLS_KEY", key_path.to_str().unwrap()),
        ],
    )
    .await
    .unwrap();
    let port = target.base.rsplit(':').next().unwrap().to_string();
    let url = format!("https://127.0.0.1:{port}/health/live");

    let app = spawn_app_with(Backend::Sqlite, &[("TRAWL_FETCH_ALLOW", "127.0.0.0/8")])
        .await
        .unwrap();
    for body in [
        json!({"url": url}),
        json!({"url": url, "skipTlsVerification": false}),
    ] {
        let (status, answer) = post(&app, "/v2/scrape", &body).await;
        assert_ne!(status, 200, "{answer}");
        assert_eq!(answer["code"], "SCRAPE_SSL_ERROR", "{answer}");
    }
    let (status, answer) = post(
        &app,
        "/v2/scrape",
        &json!({"url": url, "skipTlsVerification": true}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["metadata"]["statusCode"], 200, "{answer}");
    // The guard still applies: without the allow-list the address is refused.
    let strict = spawn_app(Backend::Sqlite).await.unwrap();
    let (status, answer) = post(
        &strict,
        "/v2/scrape",
        &json!({"url": url, "skipTlsVerification": true}),
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["code"], "SCRAPE_BLOCKED_ADDRESS");
    strict.stop().await;
    app.stop().await;
    target.stop().await;
}

/// A small site whose start page links to `/a?x=1`, `/a?x=2`, `/b` and a subdomain,
/// whose sitemap alone lists `/c`, and which counts requests in flight (each page takes
/// 30 ms, so concurrent fetches overlap).
struct OptionSite {
    base: String,
    most_in_flight: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for OptionSite {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl OptionSite {
    async fn start() -> OptionSite {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (n, m) = (now.clone(), most.clone());
        let port = addr.port();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let (n, m) = (n.clone(), m.clone());
            async move {
                let level = n.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(level, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(30)).await;
                n.fetch_sub(1, Ordering::SeqCst);
                let html = |body: String| {
                    (
                        axum::http::StatusCode::OK,
                        [(axum::http::header::CONTENT_TYPE, "text/html")],
                        format!("<html><head><title>t</title></head><body>{body}</body></html>"),
                    )
                };
                match uri.path() {
                    "/" => html(
                        "<nav>Site navigation menu</nav><main><h1>Start</h1>\
                         <p>The start page of the option site, with enough words to be \
                         the main content of the page.</p>\
                         <div id=\"special\"><p>A special paragraph chosen by a tag.</p></div>\
                         <a href=\"/a?x=1\">a1</a> <a href=\"/a?x=2\">a2</a> <a href=\"/b\">b</a>\
                         </main>\
                         <footer>Footer links and copyright</footer>"
                            .to_string(),
                    ),
                    "/sitemap.xml" => (
                        axum::http::StatusCode::OK,
                        [(axum::http::header::CONTENT_TYPE, "application/xml")],
                        format!(
                            "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/\
                             schemas/sitemap/0.9\"><url><loc>http://127.0.0.1:{port}/c</loc>\
                             </url></urlset>"
                        ),
                    ),
                    "/slow" => {
                        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                        html("<p>late</p>".into())
                    }
                    "/robots.txt" => (
                        axum::http::StatusCode::NOT_FOUND,
                        [(axum::http::header::CONTENT_TYPE, "text/plain")],
                        String::new(),
                    ),
                    p => html(format!(
                        "<main><h1>Page {p}</h1><p>Words of page {p}.</p></main>"
                    )),
                }
            }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        OptionSite {
            base,
            most_in_flight: most,
            task,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn take_most_in_flight(&self) -> usize {
        self.most_in_flight
            .swap(0, std::sync::atomic::Ordering::SeqCst)
    }
}

/// Starts a crawl (or batch) and returns the paths of the pages it stored.
async fn crawled_paths(app: &TestApp, start: &str, body: Value) -> BTreeSet<String> {
    let (status, started) = post(app, start, &body).await;
    assert_eq!(status, 200, "{started}");
    let id = started["id"].as_str().unwrap().to_string();
    let status_path = format!("{start}/{id}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let r = app
            .client
            .get(app.url(&status_path))
            .bearer_auth(api_key(app).await.unwrap())
            .send()
            .await
            .unwrap();
        let answer: Value = r.json().await.unwrap();
        if answer["status"] == "completed" {
            return answer["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    let u = url::Url::parse(d["metadata"]["sourceURL"].as_str().unwrap()).unwrap();
                    match u.query() {
                        Some(q) => format!("{}?{q}", u.path()),
                        None => u.path().to_string(),
                    }
                })
                .collect();
        }
        assert!(std::time::Instant::now() < deadline, "{answer}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// `base` with the fields of `extra` added (or replaced).
fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| p.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_sitemap_query_and_concurrency_options_change_the_crawl() {
    let site = OptionSite::start().await;
    let app = spawn_app_with(Backend::Sqlite, &[("TRAWL_FETCH_ALLOW", "127.0.0.0/8")])
        .await
        .unwrap();
    let crawl = |extra: Value| with(json!({"url": site.url("/"), "limit": 20}), extra);
    let all = crawled_paths(&app, "/v2/crawl", crawl(json!({}))).await;
    assert_eq!(all, set(&["/", "/a?x=1", "/a?x=2", "/b", "/c"]));
    let skip = crawled_paths(&app, "/v2/crawl", crawl(json!({"sitemap": "skip"}))).await;
    assert_eq!(skip, set(&["/", "/a?x=1", "/a?x=2", "/b"]));
    let only = crawled_paths(&app, "/v2/crawl", crawl(json!({"sitemap": "only"}))).await;
    assert!(only.contains("/c") && !only.contains("/b"), "{only:?}");
    let merged = crawled_paths(
        &app,
        "/v2/crawl",
        crawl(json!({"ignoreQueryParameters": true})),
    )
    .await;
    assert_eq!(
        merged.iter().filter(|p| p.starts_with("/a")).count(),
        1,
        "{merged:?}"
    );

    site.take_most_in_flight();
    crawled_paths(&app, "/v2/crawl", crawl(json!({"maxConcurrency": 1}))).await;
    assert_eq!(site.take_most_in_flight(), 1);
    crawled_paths(&app, "/v2/crawl", crawl(json!({"maxConcurrency": 4}))).await;
    assert!(
        site.take_most_in_flight() > 1,
        "a wider crawl overlaps its fetches"
    );

    let urls: Vec<String> = ["/b", "/c", "/d", "/e", "/f"]
        .iter()
        .map(|p| site.url(p))
        .collect();
    crawled_paths(
        &app,
        "/v2/batch/scrape",
        json!({"urls": urls, "maxConcurrency": 1}),
    )
    .await;
    assert_eq!(site.take_most_in_flight(), 1);
    crawled_paths(
        &app,
        "/v2/batch/scrape",
        json!({"urls": urls, "maxConcurrency": 4}),
    )
    .await;
    assert!(site.take_most_in_flight() > 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_options_choose_the_links_listed() {
    let site = OptionSite::start().await;
    let app = spawn_app_with(Backend::Sqlite, &[("TRAWL_FETCH_ALLOW", "127.0.0.0/8")])
        .await
        .unwrap();
    let map = |extra: Value| {
        let body = with(json!({"url": site.url("/")}), extra);
        let app = &app;
        async move {
            let (status, answer) = post(app, "/v2/map", &body).await;
            assert_eq!(status, 200, "{answer}");
            answer["links"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["url"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let has = |links: &[String], tail: &str| links.iter().any(|l| l.ends_with(tail));
    let default = map(json!({})).await;
    assert!(
        has(&default, "/c"),
        "the sitemap is read by default: {default:?}"
    );
    assert_eq!(
        default.iter().filter(|l| l.contains("/a")).count(),
        1,
        "{default:?}"
    );

    let kept = map(json!({"ignoreQueryParameters": false})).await;
    assert!(has(&kept, "/a?x=1") && has(&kept, "/a?x=2"), "{kept:?}");
    // (Subdomains: `crawl::map`'s unit test; a loopback site has none to list.)
    assert!(!has(&map(json!({"sitemap": "skip"})).await, "/c"));
    assert_eq!(map(json!({"limit": 3})).await.len(), 3);

    let (status, answer) = post(
        &app,
        "/v2/map",
        &json!({"url": site.url("/slow"), "timeout": 1000}),
    )
    .await;
    assert_eq!(status, 408, "{answer}");
    assert_eq!(answer["code"], "SCRAPE_TIMEOUT");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_and_only_main_content_choose_what_is_kept() {
    let site = OptionSite::start().await;
    let app = spawn_app_with(Backend::Sqlite, &[("TRAWL_FETCH_ALLOW", "127.0.0.0/8")])
        .await
        .unwrap();
    let scrape = |extra: Value| {
        let body = with(json!({"url": site.url("/")}), extra);
        let app = &app;
        async move {
            let (status, answer) = post(app, "/v2/scrape", &body).await;
            assert_eq!(status, 200, "{answer}");
            answer["data"]["markdown"].as_str().unwrap().to_string()
        }
    };
    let main = scrape(json!({})).await;
    assert!(
        main.contains("start page of the option site") && !main.contains("Footer links"),
        "{main}"
    );
    let whole = scrape(json!({"onlyMainContent": false})).await;
    assert!(
        whole.contains("Footer links") && whole.contains("Site navigation"),
        "{whole}"
    );
    let only = scrape(json!({"includeTags": ["#special"]})).await;
    assert!(
        only.contains("special paragraph") && !only.contains("start page"),
        "{only}"
    );
    let without = scrape(json!({"excludeTags": ["#special"]})).await;
    assert!(
        !without.contains("special paragraph") && without.contains("start page"),
        "{without}"
    );
    app.stop().await;
}
