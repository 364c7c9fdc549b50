//! `Idempotency-Key` / `x-idempotency-key` on every job-creating route: a retry gets the
//! first answer back (same job, same body), also after the job finished; the key with a
//! different body is refused naming the header; keys are per team.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use trawl::auth::Role;
use trawl::store::jobs::{JobFilter, DEFAULT_TEAM};
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::*;
use crate::schedules::key;

async fn post(
    app: &TestApp,
    key: &str,
    path: &str,
    header: &str,
    idem: &str,
    body: &Value,
) -> (u16, Value) {
    let resp = app
        .client
        .post(app.url(path))
        .bearer_auth(key)
        .header(header, idem)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn job_count(app: &TestApp) -> usize {
    app.store
        .list_jobs(&JobFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

/// Every job-creating route with a body that is valid for it (unreachable targets: the
/// jobs may fail, which does not matter here).
fn routes() -> Vec<(&'static str, Value, &'static str)> {
    let url = "http://127.0.0.1:9/page";
    vec![
        ("/v2/crawl", json!({"url": url, "limit": 1}), "id"),
        ("/v2/batch/scrape", json!({"urls": [url]}), "id"),
        ("/api/tasks/scrape", json!({"url": url}), "task_id"),
        (
            "/api/v1/jobs",
            json!({"kind": "scrape", "payload": {"url": "http://127.0.0.1:9/page"}}),
            "id",
        ),
    ]
}

both_backends! {
    async fn a_retried_request_with_an_idempotency_key_gets_the_first_job_back(backend: Backend) {
        let app = spawn_app_with(backend, &[("TRAWL_JOBS_POLL_MS", "50")]).await.unwrap();
        let op = key(&app, DEFAULT_TEAM, Role::Admin).await;
        for (i, (path, body, id_field)) in routes().into_iter().enumerate() {
            // Both header spellings name the same key.
            let idem = Uuid::now_v7().to_string();
            let header = if i % 2 == 0 { "Idempotency-Key" } else { "x-idempotency-key" };
            let (status, first) = post(&app, &op, path, header, &idem, &body).await;
            assert!(status < 300, "{path}: {status} {first}");
            let before = job_count(&app).await;
            let (again_status, again) = post(&app, &op, path, header, &idem, &body).await;
            assert_eq!(again_status, status, "{path}: {again}");
            assert_eq!(again, first, "{path}: the same answer, the same job");
            assert!(first[id_field].is_string(), "{path}: {first}");
            assert_eq!(job_count(&app).await, before, "{path}: no second job");
        }
        app.stop().await;
    }

    async fn a_key_still_answers_after_its_job_finished(backend: Backend) {
        let app = spawn_app_with(backend, &[("TRAWL_JOBS_POLL_MS", "50")]).await.unwrap();
        let op = key(&app, DEFAULT_TEAM, Role::Admin).await;
        let body = json!({"kind": "scrape", "payload": {"url": "http://127.0.0.1:9/page"}});
        let (status, first) = post(&app, &op, "/api/v1/jobs", "Idempotency-Key", "k-1", &body).await;
        assert_eq!(status, 201, "{first}");
        let id: Uuid = first["id"].as_str().unwrap().parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let trawl::store::jobs::JobLookup::Found(job) = app.store.get_job(id).await.unwrap()
            else { panic!("job gone") };
            if job.state.is_finished() {
                break;
            }
            assert!(Instant::now() < deadline, "{job:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (status, again) = post(&app, &op, "/api/v1/jobs", "Idempotency-Key", "k-1", &body).await;
        assert_eq!((status, &again), (201, &first));
        app.stop().await;
    }

    async fn a_key_reused_with_another_body_is_refused_naming_the_header(backend: Backend) {
        let app = spawn_app_with(backend, &[]).await.unwrap();
        let op = key(&app, DEFAULT_TEAM, Role::Admin).await;
        let url = "http://127.0.0.1:9/";
        let (status, _) = post(&app, &op, "/api/tasks/scrape", "Idempotency-Key", "k-2",
            &json!({"url": url})).await;
        assert_eq!(status, 202);
        let before = job_count(&app).await;
        let (status, body) = post(&app, &op, "/api/tasks/scrape", "Idempotency-Key", "k-2",
            &json!({"url": format!("{url}other")})).await;
        assert!((400..500).contains(&status), "{status} {body}");
        assert!(body.to_string().contains("idempotency-key"), "{body}");
        // The same key on another route is another request too.
        let (status, _) = post(&app, &op, "/v2/batch/scrape", "Idempotency-Key", "k-2",
            &json!({"urls": [url]})).await;
        assert!((400..500).contains(&status));
        assert_eq!(job_count(&app).await, before);
        // A bad key is refused naming the header.
        let (status, body) = post(&app, &op, "/api/tasks/scrape", "x-idempotency-key", "",
            &json!({"url": url})).await;
        assert!((400..500).contains(&status), "{status} {body}");
        assert!(body.to_string().contains("x-idempotency-key"), "{body}");
        app.stop().await;
    }

    async fn idempotency_keys_are_scoped_per_team(backend: Backend) {
        let app = spawn_app_with(backend, &[]).await.unwrap();
        let other_team = Uuid::now_v7();
        app.store.create_team(other_team, "others", None).await.unwrap();
        let mine = key(&app, DEFAULT_TEAM, Role::Admin).await;
        let theirs = key(&app, other_team, Role::Admin).await;
        let body = json!({"url": "http://127.0.0.1:9/"});
        let (_, a) = post(&app, &mine, "/api/tasks/scrape", "Idempotency-Key", "shared", &body).await;
        let (status, b) = post(&app, &theirs, "/api/tasks/scrape", "Idempotency-Key", "shared", &body).await;
        assert_eq!(status, 202, "{b}");
        assert_ne!(a["task_id"], b["task_id"], "another team's key is another key");
        app.stop().await;
    }

    async fn concurrent_requests_with_one_key_create_one_job(backend: Backend) {
        let app = spawn_app_with(backend, &[]).await.unwrap();
        let op = key(&app, DEFAULT_TEAM, Role::Admin).await;
        let body = json!({"kind": "scrape", "payload": {"url": "http://127.0.0.1:9/page"}});
        let before = job_count(&app).await;
        let sends = (0..8).map(|_| post(&app, &op, "/api/v1/jobs", "Idempotency-Key", "race", &body));
        let answers = futures::future::join_all(sends).await;
        let ids: std::collections::HashSet<String> = answers
            .iter()
            .map(|(s, b)| {
                assert_eq!(*s, 201, "{b}");
                b["id"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(ids.len(), 1, "{answers:?}");
        assert_eq!(job_count(&app).await, before + 1);
        app.stop().await;
    }
}
