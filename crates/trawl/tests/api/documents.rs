//! `/api/v1/documents` and the rest of `/api/v1/jobs`, on both backends, with documents
//! made the way users make them: a URL list imported as a batch of a real local site.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use trawl::auth::{create_key, KeyRequest, Role};
use trawl::store::crawl::NewDocument;
use trawl::store::jobs::DEFAULT_TEAM;
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::*;
use crate::site::TestSite;
use crate::v2::ALLOW_LOOPBACK;

async fn key(app: &TestApp, team: Uuid, role: Role) -> String {
    create_key(
        app.store.as_ref(),
        KeyRequest {
            team_id: team,
            name: format!("k-{}", Uuid::now_v7().simple()),
            role,
            scopes: None,
            expires_at: None,
            created_by: None,
        },
    )
    .await
    .unwrap()
    .0
}

async fn other_team(app: &TestApp) -> Uuid {
    let id = Uuid::now_v7();
    app.store
        .create_team(id, &format!("team-{}", id.simple()), None)
        .await
        .unwrap();
    id
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

/// Imports `paths` of the site as a text list and waits for the batch to finish.
async fn import(app: &TestApp, key: &str, site: &TestSite, paths: &[String]) -> String {
    let list: Vec<String> = paths.iter().map(|p| site.url(p)).collect();
    let r = app
        .client
        .post(app.url("/api/v1/documents/import"))
        .bearer_auth(key)
        .header("Content-Type", "text/plain")
        .body(format!("# from a test\n{}\nnot a url\n", list.join("\n")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["urls"], paths.len());
    let job = body["job_id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, j) = get_json(app, key, &format!("/api/v1/jobs/{job}")).await;
        assert_eq!(status, 200, "{j}");
        if j["state"] == "succeeded" {
            return job;
        }
        assert!(
            !matches!(j["state"].as_str(), Some("discarded" | "cancelled")),
            "{j}"
        );
        assert!(Instant::now() < deadline, "batch never finished: {j}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn page_paths(site: &TestSite, n: usize) -> Vec<String> {
    site.manifest["public_pages"].as_array().unwrap()[..n]
        .iter()
        .map(|p| p["path"].as_str().unwrap().to_string())
        .collect()
}

both_backends! {
    async fn search_ranks_the_page_whose_title_matches_first_with_a_highlighted_snippet(backend: Backend) {
        let site = TestSite::start(12).await;
        let app = spawn_app_with(backend, ALLOW_LOOPBACK).await.unwrap();
        let k = key(&app, DEFAULT_TEAM, Role::Operator).await;
        import(&app, &k, &site, &page_paths(&site, 12)).await;
        let target = &site.manifest["public_pages"][7];
        let title = target["title"].as_str().unwrap();
        // The title's own words, without "Page 7:".
        let words = title.split_once(": ").unwrap().1;
        let (status, body) =
            get_json(&app, &k, &format!("/api/v1/documents?q={}", urlencode(words))).await;
        assert_eq!(status, 200, "{body}");
        let hits = body["data"].as_array().unwrap();
        assert!(!hits.is_empty(), "{body}");
        assert_eq!(hits[0]["title"], title, "{body}");
        assert!(hits[0]["url"].as_str().unwrap().ends_with(target["path"].as_str().unwrap()));
        let snippet = hits[0]["snippet"].as_str().unwrap();
        assert!(snippet.contains("<mark>") && snippet.contains("</mark>"), "{snippet}");
        let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        // A word in no page finds nothing, and FTS syntax is plain text.
        let (_, none) = get_json(&app, &k, "/api/v1/documents?q=zyxwvut").await;
        assert_eq!(none["data"], json!([]));
        let (status, odd) = get_json(&app, &k, "/api/v1/documents?q=%22NEAR(%20AND%20*").await;
        assert_eq!(status, 200, "{odd}");
    }

    async fn listing_pages_through_every_document_once_and_filters_by_job_domain_and_time(backend: Backend) {
        let site = TestSite::start(12).await;
        let app = spawn_app_with(backend, ALLOW_LOOPBACK).await.unwrap();
        let k = key(&app, DEFAULT_TEAM, Role::Viewer).await;
        let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
        let paths = page_paths(&site, 12);
        let first_job = import(&app, &op, &site, &paths[..5]).await;
        import(&app, &op, &site, &paths[5..]).await;
        let mut seen = Vec::new();
        let mut path = "/api/v1/documents?limit=5".to_string();
        loop {
            let (status, body) = get_json(&app, &k, &path).await;
            assert_eq!(status, 200, "{body}");
            seen.extend(body["data"].as_array().unwrap().iter().map(|d| d["id"].clone()));
            match body["next_cursor"].as_str() {
                Some(c) => path = format!("/api/v1/documents?limit=5&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 12);
        let unique: std::collections::HashSet<String> =
            seen.iter().map(|v| v.to_string()).collect();
        assert_eq!(unique.len(), 12);

        let (_, by_job) = get_json(&app, &k, &format!("/api/v1/documents?job_id={first_job}&limit=100")).await;
        assert_eq!(by_job["data"].as_array().unwrap().len(), 5);
        let (_, by_domain) = get_json(&app, &k, "/api/v1/documents?domain=elsewhere.example").await;
        assert_eq!(by_domain["data"], json!([]));
        let (_, by_domain) = get_json(&app, &k, "/api/v1/documents?domain=127.0.0.1&limit=100").await;
        assert_eq!(by_domain["data"].as_array().unwrap().len(), 12);
        let today = chrono::Utc::now().date_naive();
        let (_, today_docs) =
            get_json(&app, &k, &format!("/api/v1/documents?from={today}&to={today}&limit=100")).await;
        assert_eq!(today_docs["data"].as_array().unwrap().len(), 12, "{today_docs}");
        let (_, old) = get_json(&app, &k, "/api/v1/documents?to=2001-01-01").await;
        assert_eq!(old["data"], json!([]));

        // The job's pages, through the jobs API.
        let (status, pages) = get_json(&app, &k, &format!("/api/v1/jobs/{first_job}/pages?limit=3")).await;
        assert_eq!(status, 200, "{pages}");
        assert_eq!(pages["data"].as_array().unwrap().len(), 3);
        assert!(pages["data"][0]["markdown"].as_str().unwrap().contains("Page"));
        let cursor = pages["next_cursor"].as_str().unwrap();
        let (_, rest) = get_json(&app, &k, &format!("/api/v1/jobs/{first_job}/pages?cursor={cursor}")).await;
        assert_eq!(rest["data"].as_array().unwrap().len(), 2);
        assert_eq!(rest["next_cursor"], Value::Null);
    }

    async fn a_document_has_an_etag_that_answers_304_and_is_gone_after_delete(backend: Backend) {
        let site = TestSite::start(3).await;
        let app = spawn_app_with(backend, ALLOW_LOOPBACK).await.unwrap();
        let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
        let viewer = key(&app, DEFAULT_TEAM, Role::Viewer).await;
        let stranger = key(&app, other_team(&app).await, Role::Admin).await;
        import(&app, &op, &site, &page_paths(&site, 1)).await;
        let (_, list) = get_json(&app, &viewer, "/api/v1/documents").await;
        let id = list["data"][0]["id"].as_str().unwrap().to_string();
        let path = format!("/api/v1/documents/{id}");
        let r = app.client.get(app.url(&path)).bearer_auth(&viewer).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        let doc: Value = r.json().await.unwrap();
        assert!(doc["markdown"].as_str().unwrap().starts_with("# Page 0"));
        let r = app.client.get(app.url(&path)).bearer_auth(&viewer)
            .header("If-None-Match", &etag).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 304);

        // Another team sees nothing; a viewer may not delete; an operator may.
        let (status, _) = get_json(&app, &stranger, &path).await;
        assert_eq!(status, 404);
        let del = |k: String| {
            let req = app.client.delete(app.url(&path)).bearer_auth(k);
            async move { req.send().await.unwrap().status().as_u16() }
        };
        assert_eq!(del(stranger.clone()).await, 404);
        assert_eq!(del(viewer.clone()).await, 403);
        assert_eq!(del(op.clone()).await, 204);
        let (status, _) = get_json(&app, &viewer, &path).await;
        assert_eq!(status, 404);
        // Gone from search too.
        let (_, hits) = get_json(&app, &viewer, "/api/v1/documents?q=page").await;
        assert_eq!(hits["data"], json!([]), "{hits}");
    }

    async fn export_streams_every_document_as_json_lines_or_csv(backend: Backend) {
        let site = TestSite::start(8).await;
        let app = spawn_app_with(backend, ALLOW_LOOPBACK).await.unwrap();
        let k = key(&app, DEFAULT_TEAM, Role::Operator).await;
        import(&app, &k, &site, &page_paths(&site, 8)).await;
        let r = app.client.get(app.url("/api/v1/documents/export")).bearer_auth(&k)
            .send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()["content-type"], "application/x-ndjson");
        let text = r.text().await.unwrap();
        let docs: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(docs.len(), 8);
        assert!(docs.iter().all(|d| d["markdown"].as_str().unwrap().contains("Page")));

        let r = app.client.get(app.url("/api/v1/documents/export?format=csv&q=page"))
            .bearer_auth(&k).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let text = r.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap().get(2), Some("url"));
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 8);
        assert!(rows.iter().all(|r| r.get(8).unwrap().contains("Page")));

        let (status, body) = get_json(&app, &k, "/api/v1/documents/export?format=xml").await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["details"]["fields"][0]["field"], "format");
    }

    async fn export_of_many_batches_holds_each_document_once_whole_and_in_order(backend: Backend) {
        // 450 documents of ~2 KB: three store batches of 200 and dozens of 32 KB send
        // chunks, so lines end exactly at, before and after chunk and batch boundaries.
        let app = spawn_app(backend).await.unwrap();
        let k = key(&app, DEFAULT_TEAM, Role::Viewer).await;
        let mut ids = Vec::new();
        let docs: Vec<NewDocument> = (0..450)
            .map(|i| {
                let id = Uuid::now_v7();
                ids.push(id);
                NewDocument {
                    id,
                    url: format!("https://example.com/d/{i}"),
                    final_url: None,
                    domain: "example.com".into(),
                    title: Some(format!("Document {i}")),
                    description: None,
                    language: Some("en".into()),
                    status_code: Some(200),
                    markdown: Some(format!("# Document {i}\n\n{}", "word ".repeat(400 + i))),
                    metadata: json!({"title": format!("Document {i}")}),
                    analysis: None,
                    content_hash: None,
                    formats: json!({}),
                    fetched_at: chrono::Utc::now(),
                    schedule_id: None,
                    change_status: None,
                    diff: None,
                }
            })
            .collect();
        for part in docs.chunks(100) {
            app.store.store_documents(DEFAULT_TEAM, part).await.unwrap();
        }
        let r = app.client.get(app.url("/api/v1/documents/export")).bearer_auth(&k)
            .send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let text = r.text().await.unwrap();
        assert!(text.ends_with('\n'));
        let got: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let got_ids: Vec<String> = got.iter().map(|d| d["id"].as_str().unwrap().to_string()).collect();
        let want: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        assert_eq!(got_ids, want);
        for (i, d) in got.iter().enumerate() {
            assert_eq!(d["markdown"].as_str().unwrap().matches("word ").count(), 400 + i);
        }
    }

    async fn jobs_list_is_the_teams_own_and_a_cancelled_job_can_be_retried(backend: Backend) {
        // No workers: the jobs stay queued until cancelled.
        let app = spawn_app_with(backend, &[("TRAWL_JOBS_IN_PROCESS", "false")]).await.unwrap();
        let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
        let stranger = key(&app, other_team(&app).await, Role::Operator).await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            let r = app.client.post(app.url("/api/v1/jobs")).bearer_auth(&op)
                .json(&json!({"kind": "scrape", "payload": {"url": "http://127.0.0.1:9/"}}))
                .send().await.unwrap();
            assert_eq!(r.status().as_u16(), 201);
            let body: Value = r.json().await.unwrap();
            ids.push(body["id"].as_str().unwrap().to_string());
        }
        let (status, mine) = get_json(&app, &op, "/api/v1/jobs?kind=scrape&limit=2").await;
        assert_eq!(status, 200, "{mine}");
        assert_eq!(mine["data"].as_array().unwrap().len(), 2);
        let cursor = mine["next_cursor"].as_str().unwrap();
        let (_, more) = get_json(&app, &op, &format!("/api/v1/jobs?kind=scrape&limit=2&cursor={cursor}")).await;
        assert!(!more["data"].as_array().unwrap().is_empty());
        let (_, theirs) = get_json(&app, &stranger, "/api/v1/jobs").await;
        assert_eq!(theirs["data"], json!([]));

        let id = &ids[0];
        let post = |path: String, k: String| {
            let req = app.client.post(app.url(&path)).bearer_auth(k);
            async move { req.send().await.unwrap() }
        };
        assert_eq!(post(format!("/api/v1/jobs/{id}/retry"), stranger.clone()).await.status(), 404);
        let cancelled: Value = post(format!("/api/v1/jobs/{id}/cancel"), op.clone()).await.json().await.unwrap();
        assert_eq!(cancelled["state"], "cancelled");
        let r = post(format!("/api/v1/jobs/{id}/retry"), op.clone()).await;
        assert_eq!(r.status().as_u16(), 200);
        let retried: Value = r.json().await.unwrap();
        assert_eq!(retried["state"], "queued");

        let (status, bad) = get_json(&app, &op, "/api/v1/jobs?state=sleeping&limit=0").await;
        assert_eq!(status, 422);
        let fields: Vec<&str> = bad["error"]["details"]["fields"].as_array().unwrap().iter()
            .map(|d| d["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["state", "limit"]);
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_document_queries_and_imports_name_the_field_and_rule() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let k = key(&app, DEFAULT_TEAM, Role::Operator).await;
    let (status, body) = get_json(
        &app,
        &k,
        "/api/v1/documents?limit=0&from=yesterday&job_id=7&cursor=o5",
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["error"]["details"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["job_id", "from", "limit", "cursor"]);
    let (status, body) = get_json(&app, &k, "/api/v1/documents?from=2999-01-01").await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["details"]["fields"][0]["rule"],
        "must not be in the future"
    );

    let post = |ct: &'static str, body: &'static str| {
        let req = app
            .client
            .post(app.url("/api/v1/documents/import"))
            .bearer_auth(&k)
            .header("Content-Type", ct)
            .body(body);
        async move {
            let r = req.send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, body) = post("application/pdf", "x").await;
    assert_eq!(status, 415, "{body}");
    assert_eq!(body["error"]["code"], "unsupported_media_type");
    let (status, body) = post("text/plain", "nothing here\n").await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["details"]["fields"][0]["field"], "body");
    let (status, _) = post("text/csv", "url\nhttp://[::1/\n").await;
    assert_eq!(status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scraping_job_with_bad_options_is_refused_at_creation() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let k = key(&app, DEFAULT_TEAM, Role::Operator).await;
    let r = app
        .client
        .post(app.url("/api/v1/jobs"))
        .bearer_auth(&k)
        .json(&json!({"kind": "crawl", "payload": {"url": "ftp://x.test", "limit": -1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let body: Value = r.json().await.unwrap();
    let field = body["error"]["details"]["fields"][0]["field"]
        .as_str()
        .unwrap();
    assert!(field.starts_with("payload."), "{body}");
}
