//! Webhook deliveries to a real receiver on loopback: signed, in order, retried when the
//! receiver fails, dropped when it refuses, and never sent to a private address that the
//! allow-list does not open.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Router;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use trawl::auth::Role;
use trawl::store::jobs::{JobLookup, JobState, NewJob, DEFAULT_TEAM};

use crate::both_backends;
use crate::helpers::*;
use crate::schedules::{call, key};
use crate::site::TestSite;

/// One request the receiver saw.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Default)]
struct Seen {
    requests: Vec<Delivery>,
    /// Statuses to answer first, in order; 200 afterwards.
    script: VecDeque<u16>,
}

/// A webhook receiver: an axum server on 127.0.0.1 that records every POST.
pub struct Receiver {
    base: String,
    seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        Self::answering(&[]).await
    }

    /// A receiver that answers `script` to its first requests, then 200.
    pub async fn answering(script: &[u16]) -> Receiver {
        let seen = Arc::new(Mutex::new(Seen {
            requests: Vec::new(),
            script: script.iter().copied().collect(),
        }));
        async fn record(
            State(seen): State<Arc<Mutex<Seen>>>,
            headers: HeaderMap,
            body: Bytes,
        ) -> StatusCode {
            let mut s = seen.lock().unwrap();
            s.requests.push(Delivery { headers, body });
            let code = s.script.pop_front().unwrap_or(200);
            StatusCode::from_u16(code).unwrap()
        }
        let app = Router::new()
            .route("/{*path}", axum::routing::post(record))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { base, seen, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn requests(&self) -> Vec<Delivery> {
        self.seen.lock().unwrap().requests.clone()
    }

    /// The requests once there are at least `n`.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Delivery> {
        let deadline = Instant::now() + limit;
        loop {
            let got = self.requests();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} deliveries: {got:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Bodies, as JSON, once one of type `last` has arrived.
    async fn wait_for_type(&self, last: &str) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let bodies: Vec<Value> = self
                .requests()
                .iter()
                .map(|d| serde_json::from_slice(&d.body).unwrap())
                .collect();
            if bodies.iter().any(|b| b["type"] == last) {
                return bodies;
            }
            assert!(Instant::now() < deadline, "no {last} event: {bodies:?}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

const LOOPBACK: &[(&str, &str)] = &[
    ("TRAWL_FETCH_ALLOW", "127.0.0.0/8"),
    ("TRAWL_JOBS_POLL_MS", "50"),
    ("TRAWL_JOBS_BACKOFF_BASE_MS", "20"),
    ("TRAWL_JOBS_BACKOFF_MAX_MS", "50"),
];

/// The team's signing secret, as an admin reads it.
async fn signing_secret(app: &TestApp) -> String {
    let admin = key(app, DEFAULT_TEAM, Role::Admin).await;
    let (status, body) = call(app, &admin, "GET", "/api/v1/webhooks/secret", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["header"], "X-Trawl-Signature");
    body["secret"].as_str().unwrap().to_string()
}

/// Checks `X-Trawl-Signature` as a receiver would: HMAC-SHA256 over "{t}.{body}".
fn assert_signed(d: &Delivery, secret: &str) {
    let header = d.headers["x-trawl-signature"].to_str().unwrap();
    let (t, v1) = header
        .split_once(",v1=")
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v)))
        .unwrap_or_else(|| panic!("bad header {header}"));
    let t: i64 = t.parse().unwrap();
    assert!(
        (chrono::Utc::now().timestamp() - t).abs() < 300,
        "fresh timestamp"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&d.body);
    assert_eq!(
        hex::encode(mac.finalize().into_bytes()),
        v1,
        "signature of {header}"
    );
    // Firecrawl's header too, checked as Firecrawl's documentation tells receivers to:
    // `sha256=` and the hex HMAC-SHA256 of the raw body under the same secret.
    let firecrawl = d.headers["x-firecrawl-signature"].to_str().unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&d.body);
    assert_eq!(
        firecrawl,
        format!("sha256={}", hex::encode(mac.finalize().into_bytes())),
        "Firecrawl's signature header"
    );
}

both_backends! {
    async fn crawl_webhooks_arrive_signed_in_order_started_pages_completed(backend: Backend) {
        let site = TestSite::start(3).await;
        let receiver = Receiver::start().await;
        let app = spawn_app_with(backend, LOOPBACK).await.unwrap();
        let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
        let (status, start) = call(&app, &op, "POST", "/v2/crawl", Some(json!({
            "url": site.url("/"),
            "limit": 4,
            "webhook": {
                "url": receiver.url("/hook"),
                "headers": {"X-Custom": "yes"},
                "metadata": {"run": "nightly"},
                "events": ["started", "page", "completed", "failed"],
            },
        }))).await;
        assert_eq!(status, 200, "{start}");
        let id = start["id"].as_str().unwrap();
        let bodies = receiver.wait_for_type("crawl.completed").await;
        let types: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
        assert_eq!(types.first(), Some(&"crawl.started"), "{types:?}");
        assert_eq!(types.last(), Some(&"crawl.completed"), "{types:?}");
        let pages = &types[1..types.len() - 1];
        assert!(!pages.is_empty() && pages.iter().all(|t| *t == "crawl.page"), "{types:?}");
        let (_, status_body) = call(&app, &op, "GET", &format!("/v2/crawl/{id}"), None).await;
        assert_eq!(pages.len() as u64, status_body["completed"].as_u64().unwrap(), "one page event per page");
        for b in &bodies {
            assert_eq!(b["id"], id);
            assert_eq!(b["success"], true);
            assert_eq!(b["metadata"], json!({"run": "nightly"}));
        }
        let page = bodies.iter().find(|b| b["type"] == "crawl.page").unwrap();
        assert!(page["data"][0]["markdown"].is_string(), "{page}");
        assert!(page["data"][0]["metadata"]["sourceURL"].is_string() || page["data"][0]["metadata"]["url"].is_string(), "{page}");

        let secret = signing_secret(&app).await;
        for d in receiver.requests() {
            assert_signed(&d, &secret);
            assert_eq!(d.headers["x-custom"], "yes");
            assert_eq!(d.headers["content-type"], "application/json");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_webhook_sends_only_the_events_asked_for_under_batch_scrape_names() {
    let site = TestSite::start(2).await;
    let receiver = Receiver::start().await;
    let app = spawn_app_with(Backend::Sqlite, LOOPBACK).await.unwrap();
    let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
    let paths = site.public_paths();
    let (status, start) = call(
        &app,
        &op,
        "POST",
        "/v2/batch/scrape",
        Some(json!({
            "urls": [site.url(&paths[0]), site.url(&paths[1])],
            "webhook": {"url": receiver.url("/b"), "events": ["completed"]},
        })),
    )
    .await;
    assert_eq!(status, 200, "{start}");
    let bodies = receiver.wait_for_type("batch_scrape.completed").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = receiver.requests();
    assert_eq!(all.len(), 1, "only completed was asked for: {bodies:?}");
    assert_eq!(bodies[0]["id"], start["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_retried_until_the_receiver_accepts_it() {
    let site = TestSite::start(1).await;
    let receiver = Receiver::answering(&[500, 503]).await;
    let app = spawn_app_with(Backend::Sqlite, LOOPBACK).await.unwrap();
    let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
    // A job created through /api/v1/jobs, reporting only its completion.
    let (status, job) = call(
        &app,
        &op,
        "POST",
        "/api/v1/jobs",
        Some(json!({
            "kind": "scrape",
            "payload": {"url": site.url("/mutable")},
            "webhook": {"url": receiver.url("/flaky"), "events": ["completed"]},
        })),
    )
    .await;
    assert_eq!(status, 201, "{job}");
    let got = receiver.wait_for(3, Duration::from_secs(30)).await;
    assert_eq!(got.len(), 3);
    let bodies: Vec<&Bytes> = got.iter().map(|d| &d.body).collect();
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "every attempt sends the same body"
    );
    let delivery = got[0].headers["x-trawl-delivery"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(got
        .iter()
        .all(|d| d.headers["x-trawl-delivery"] == delivery.as_str()));
    let body: Value = serde_json::from_slice(&got[2].body).unwrap();
    assert_eq!(body["type"], "scrape.completed");
    assert_eq!(body["id"], job["id"]);
    let secret = signing_secret(&app).await;
    assert_signed(&got[2], &secret);
    let id = uuid::Uuid::parse_str(&delivery).unwrap();
    let done = wait_state(&app, id, JobState::Succeeded).await;
    assert_eq!(done.attempt, 3);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.requests().len(),
        3,
        "nothing after the accepted attempt"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_the_receiver_refuses_with_404_is_not_retried() {
    let receiver = Receiver::answering(&[404]).await;
    let app = spawn_app_with(Backend::Sqlite, LOOPBACK).await.unwrap();
    let spec = trawl::webhook::WebhookSpec::parse(
        "webhook",
        Some(&json!(receiver.url("/gone"))),
        trawl::webhook::Event::JOB,
    )
    .unwrap()
    .unwrap();
    let job = spec.delivery(
        DEFAULT_TEAM,
        "crawl.completed",
        uuid::Uuid::now_v7(),
        json!([]),
        None,
        5,
    );
    let id = app.store.enqueue(&[job]).await.unwrap()[0].id;
    let done = wait_state(&app, id, JobState::Discarded).await;
    assert_eq!(done.attempt, 1);
    assert!(done.last_error.unwrap().contains("404"));
    assert_eq!(receiver.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_to_a_private_address_is_refused_without_the_allow_list() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(Backend::Sqlite, &[("TRAWL_JOBS_POLL_MS", "50")])
        .await
        .unwrap();
    let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
    // Asked for: refused with the request, naming the field.
    for hook in [
        receiver.url("/hook"),
        "http://169.254.169.254/latest/meta-data".to_string(),
    ] {
        let (status, err) = call(
            &app,
            &op,
            "POST",
            "/v2/crawl",
            Some(json!({
                "url": "http://127.0.0.1:9/", "webhook": hook,
            })),
        )
        .await;
        assert_eq!(status, 400, "{err}");
        assert!(
            err["error"].as_str().unwrap().contains("webhook.url"),
            "{err}"
        );
        let (status, err) = call(
            &app,
            &op,
            "POST",
            "/api/v1/jobs",
            Some(json!({
                "kind": "scrape", "payload": {"url": "http://127.0.0.1:9/"}, "webhook": hook,
            })),
        )
        .await;
        assert_eq!(status, 422, "{err}");
    }
    // Already queued (e.g. before the allow-list changed): the delivery is discarded at
    // the guard and the receiver never hears of it.
    let spec = trawl::webhook::WebhookSpec::parse(
        "webhook",
        Some(&json!(receiver.url("/hook"))),
        trawl::webhook::Event::JOB,
    )
    .unwrap()
    .unwrap();
    let job: NewJob = spec.delivery(
        DEFAULT_TEAM,
        "crawl.started",
        uuid::Uuid::now_v7(),
        json!([]),
        None,
        5,
    );
    let id = app.store.enqueue(&[job]).await.unwrap()[0].id;
    let done = wait_state(&app, id, JobState::Discarded).await;
    assert_eq!(done.attempt, 1, "not retried");
    assert!(done.last_error.unwrap().contains("SCRAPE_BLOCKED_ADDRESS"));
    assert!(receiver.requests().is_empty());
}

async fn wait_state(app: &TestApp, id: uuid::Uuid, state: JobState) -> trawl::store::jobs::Job {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let JobLookup::Found(job) = app.store.get_job(id).await.unwrap() {
            if job.state == state {
                return *job;
            }
            assert!(Instant::now() < deadline, "job never {state}: {job:?}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
