//! `/api/v1/schedules`: CRUD, pause and resume, roles and teams, validation, and runs that
//! track how a page of the test site changes between two ticks.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use trawl::auth::{create_key, KeyRequest, Role};
use trawl::store::identity::AuditFilter;
use trawl::store::jobs::DEFAULT_TEAM;
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::*;
use crate::site::TestSite;
use crate::webhooks::Receiver;

/// Fast polls so a schedule ticking every second runs within the second.
const FAST: &[(&str, &str)] = &[
    ("TRAWL_FETCH_ALLOW", "127.0.0.0/8"),
    ("TRAWL_JOBS_POLL_MS", "50"),
];

pub async fn key(app: &TestApp, team: Uuid, role: Role) -> String {
    create_key(
        app.store.as_ref(),
        KeyRequest {
            team_id: team,
            name: format!("{role} key"),
            role,
            scopes: None,
            expires_at: None,
            created_by: None,
        },
    )
    .await
    .expect("create key")
    .0
}

pub async fn call(
    app: &TestApp,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn schedule(name: &str) -> Value {
    json!({
        "name": name,
        "kind": "scrape",
        "url": "http://127.0.0.1:9/page",
        "cron": "0 3 * * *",
        "timezone": "Europe/Paris",
        "options": {"formats": ["markdown", "links"]},
    })
}

/// Creates [`schedule`] `name` with `key`.
async fn create_schedule(app: &TestApp, key: &str, name: &str) -> (u16, Value) {
    call(app, key, "POST", "/api/v1/schedules", Some(schedule(name))).await
}

/// The field named by a validation error.
fn field(body: &Value) -> &str {
    body["error"]["details"]["fields"][0]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no field in {body}"))
}

both_backends! {
    async fn an_operator_creates_lists_edits_pauses_resumes_and_deletes_a_schedule(backend: Backend) {
        let app = spawn_app(backend).await.unwrap();
        let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
        let (status, created) = create_schedule(&app, &op, "nightly").await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["name"], "nightly");
        assert_eq!(created["kind"], "scrape");
        assert_eq!(created["url"], "http://127.0.0.1:9/page");
        assert_eq!(created["timezone"], "Europe/Paris");
        assert_eq!(created["options"], json!({"formats": ["markdown", "links"]}));
        assert_eq!(created["paused"], false);
        assert_eq!(created["last_run_at"], Value::Null);
        assert_eq!(created["last_job_id"], Value::Null);
        let next = created["next_run_at"].as_str().unwrap();
        // 03:00 in Paris is 01:00 or 02:00 UTC.
        assert!(next.contains("T01:00:00") || next.contains("T02:00:00"), "{next}");
        let id = created["id"].as_str().unwrap().to_string();

        let (status, shown) = call(&app, &op, "GET", &format!("/api/v1/schedules/{id}"), None).await;
        assert_eq!(status, 200);
        assert_eq!(shown, created);

        // Cursor pagination, newest first.
        create_schedule(&app, &op, "second").await;
        let (_, page1) = call(&app, &op, "GET", "/api/v1/schedules?limit=1", None).await;
        assert_eq!(page1["data"][0]["name"], "second");
        let cursor = page1["next_cursor"].as_str().unwrap();
        let (_, page2) = call(&app, &op, "GET", &format!("/api/v1/schedules?limit=1&cursor={cursor}"), None).await;
        assert_eq!(page2["data"][0]["name"], "nightly");

        let (status, edited) = call(&app, &op, "PATCH", &format!("/api/v1/schedules/{id}"),
            Some(json!({"name": "hourly", "cron": "15 * * * *", "timezone": "UTC"}))).await;
        assert_eq!(status, 200, "{edited}");
        assert_eq!(edited["name"], "hourly");
        assert_eq!(edited["options"], created["options"], "a patch keeps what it does not name");
        assert!(edited["next_run_at"].as_str().unwrap().contains(":15:00"), "{edited}");

        let (status, paused) = call(&app, &op, "POST", &format!("/api/v1/schedules/{id}/pause"), None).await;
        assert_eq!(status, 200);
        assert_eq!(paused["paused"], true);
        let (_, resumed) = call(&app, &op, "POST", &format!("/api/v1/schedules/{id}/resume"), None).await;
        assert_eq!(resumed["paused"], false);

        let (status, _) = call(&app, &op, "DELETE", &format!("/api/v1/schedules/{id}"), None).await;
        assert_eq!(status, 204);
        let (status, gone) = call(&app, &op, "GET", &format!("/api/v1/schedules/{id}"), None).await;
        assert_eq!(status, 404, "{gone}");

        let audit = app.store.list_audit(&AuditFilter {
            team_id: Some(DEFAULT_TEAM),
            event: Some("schedule_changed".into()),
            limit: 100,
            ..Default::default()
        }).await.unwrap();
        let mut actions: Vec<String> = audit.iter()
            .filter(|r| r.target.as_deref() == Some(&format!("schedule:{id}")))
            .map(|r| r.details["action"].as_str().unwrap().to_string())
            .collect();
        actions.reverse();
        assert_eq!(actions, ["created", "updated", "paused", "resumed", "deleted"]);
    }

    async fn a_scheduled_scrape_marks_a_changed_page_with_a_diff(backend: Backend) {
        change_tracking(backend, "scrape", json!({})).await;
    }

    async fn a_scheduled_crawl_marks_a_changed_page_with_a_diff(backend: Backend) {
        change_tracking(backend, "crawl", json!({"limit": 1, "sitemap": "skip"})).await;
    }
}

/// A schedule of `kind` on `/mutable`: the run after the page changes marks it `changed`
/// with a diff, and the schedule's webhook hears `page.changed` once.
async fn change_tracking(backend: Backend, kind: &str, options: Value) {
    let site = TestSite::start(1).await;
    let receiver = Receiver::start().await;
    let app = spawn_app_with(backend, FAST).await.unwrap();
    let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
    site.set_mutable("Price: 10 EUR");
    let (status, created) = call(
        &app,
        &op,
        "POST",
        "/api/v1/schedules",
        Some(json!({
            "name": "watch prices",
            "kind": kind,
            "url": site.url("/mutable"),
            "options": options,
            "cron": "* * * * * *",
            "webhook": {"url": receiver.url("/changes"), "metadata": {"watch": "prices"}},
        })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();

    // First run: the page is new. Pause so the page changes between two known runs.
    let (first, before) = pause_after_first_run(&app, &op, &id).await;
    let runs = runs_after_change(&app, &op, &id, &site, "Price: 12 EUR", before.len())
        .await
        .into_iter()
        .filter(|r| r["job_id"] != Value::Null)
        .collect::<Vec<_>>();
    assert!(runs.len() > before.len(), "{runs:?}");
    let oldest = runs.last().unwrap();
    assert_eq!(oldest["job_id"], first.last().unwrap()["job_id"]);
    assert_eq!(
        (
            oldest["new_pages"].as_i64(),
            oldest["changed_pages"].as_i64()
        ),
        (Some(1), Some(0))
    );
    // The first run after the change is the one that saw it; later ones saw it again.
    let changed_run = &runs[runs.len() - before.len() - 1];
    assert_eq!(changed_run["changed_pages"], 1, "{runs:?}");
    assert_eq!(changed_run["pages"], 1);
    assert_one_run_saw(
        &runs,
        runs.len() - 1,
        changed_run,
        "changed_pages",
        "the change",
    );

    let job = changed_run["job_id"].as_str().unwrap();
    let (status, pages) = run_pages(&app, &op, &id, job).await;
    assert_eq!(status, 200, "{pages}");
    let page = &pages["data"][0];
    assert_eq!(page["changed"], true);
    assert_eq!(page["change_status"], "changed");
    let diff = page["diff"].as_str().unwrap();
    assert!(
        diff.contains("-Price: 10 EUR") && diff.contains("+Price: 12 EUR"),
        "{diff}"
    );
    assert!(
        !diff.contains("-Unchanged intro"),
        "only changed lines: {diff}"
    );
    let first_job = oldest["job_id"].as_str().unwrap();
    let (_, first_pages) = run_pages(&app, &op, &id, first_job).await;
    assert_eq!(first_pages["data"][0]["change_status"], "new");
    assert_eq!(first_pages["data"][0]["changed"], false);
    assert_eq!(first_pages["data"][0]["diff"], Value::Null);

    // The schedule shows its last run.
    let (_, shown) = call(&app, &op, "GET", &format!("/api/v1/schedules/{id}"), None).await;
    assert_eq!(shown["last_job_id"], runs[0]["job_id"]);
    assert!(shown["last_run_at"].is_string());

    // The schedule's webhook got exactly one page.changed, with the diff.
    let got = receiver.wait_for(1, Duration::from_secs(20)).await;
    let body: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["type"], "page.changed");
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["metadata"], json!({"watch": "prices"}));
    assert_eq!(body["data"][0]["jobId"], job);
    assert_eq!(body["data"][0]["diff"], diff);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.requests().len(), 1, "no change, no event");
}

both_backends! {
    async fn a_page_gone_from_a_scheduled_crawl_is_reported_removed_once(backend: Backend) {
        removal_tracking(backend).await;
    }
}

/// A crawl schedule on `/mutable`, which links to `/p/0.html` until the link goes: the
/// first run without it reports that page `removed` (in its counts, its pages and one
/// `page.changed` event with that status); later runs do not report it again.
async fn removal_tracking(backend: Backend) {
    let site = TestSite::start(1).await;
    let receiver = Receiver::start().await;
    let app = spawn_app_with(backend, FAST).await.unwrap();
    let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
    site.set_mutable(r#"Read <a href="/p/0.html">the article</a>."#);
    let (status, created) = call(
        &app,
        &op,
        "POST",
        "/api/v1/schedules",
        Some(json!({
            "name": "watch links",
            "kind": "crawl",
            "url": site.url("/mutable"),
            "options": {"crawlEntireDomain": true, "maxDiscoveryDepth": 1, "sitemap": "skip", "limit": 10},
            "cron": "* * * * * *",
            "webhook": {"url": receiver.url("/changes")},
        })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();

    let (_, before) = pause_after_first_run(&app, &op, &id).await;
    assert_eq!(before.last().unwrap()["pages"], 2, "{before:?}");
    let runs = runs_after_change(
        &app,
        &op,
        &id,
        &site,
        "Nothing to read any more.",
        before.len(),
    )
    .await;
    let removed_run = &runs[runs.len() - before.len() - 1];
    assert_eq!(removed_run["removed_pages"], 1, "{runs:?}");
    assert_eq!(removed_run["pages"], 1, "{runs:?}");
    assert_one_run_saw(
        &runs,
        runs.len(),
        removed_run,
        "removed_pages",
        "the page go",
    );

    let job = removed_run["job_id"].as_str().unwrap();
    let (status, pages) = run_pages(&app, &op, &id, job).await;
    assert_eq!(status, 200, "{pages}");
    let data = pages["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "{pages}");
    assert_eq!(data[0]["url"], site.url("/mutable"));
    assert_eq!(data[0]["change_status"], "changed");
    let gone = &data[1];
    assert_eq!(gone["url"], site.url("/p/0.html"));
    assert_eq!(gone["change_status"], "removed");
    assert_eq!(gone["diff"], Value::Null);
    // Its id is the previous run's copy, still readable.
    let (status, previous) = call(
        &app,
        &op,
        "GET",
        &format!("/api/v1/documents/{}", gone["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(status, 200, "{previous}");
    assert_eq!(previous["url"], site.url("/p/0.html"));

    // One page.changed for /mutable (changed) and one for /p/0.html (removed).
    let got = receiver.wait_for(2, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut seen: Vec<(String, String)> = receiver
        .requests()
        .iter()
        .map(|d| {
            let body: Value = serde_json::from_slice(&d.body).unwrap();
            assert_eq!(body["type"], "page.changed");
            let page = &body["data"][0];
            (
                page["changeStatus"].as_str().unwrap().to_string(),
                page["url"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("changed".to_string(), site.url("/mutable")),
            ("removed".to_string(), site.url("/p/0.html")),
        ],
        "{} deliveries",
        got.len()
    );
}

/// Waits for the schedule's first run and pauses it: the runs seen then, and all runs
/// once they finished (newest first).
async fn pause_after_first_run(app: &TestApp, key: &str, id: &str) -> (Vec<Value>, Vec<Value>) {
    let first = wait_for_runs(app, key, id, 1).await;
    pause(app, key, id, true).await;
    (first, wait_all_finished(app, key, id).await)
}

/// Sets the test site's `/mutable` to `text`, lets the paused schedule make at least one
/// run past the `before` it had, pauses it again, and returns the runs once all finished.
async fn runs_after_change(
    app: &TestApp,
    key: &str,
    id: &str,
    site: &TestSite,
    text: &str,
    before: usize,
) -> Vec<Value> {
    site.set_mutable(text);
    pause(app, key, id, false).await;
    wait_for_runs(app, key, id, before + 1).await;
    pause(app, key, id, true).await;
    wait_all_finished(app, key, id).await
}

/// Among the first `checked` of `runs`, only `run` counts any `field`.
fn assert_one_run_saw(runs: &[Value], checked: usize, run: &Value, field: &str, what: &str) {
    for r in &runs[..checked] {
        if r["job_id"] != run["job_id"] {
            assert_eq!(r[field], 0, "only one run saw {what}: {runs:?}");
        }
    }
}

/// Pauses the schedule (`on`) or resumes it.
async fn pause(app: &TestApp, key: &str, id: &str, on: bool) -> (u16, Value) {
    let action = if on { "pause" } else { "resume" };
    call(
        app,
        key,
        "POST",
        &format!("/api/v1/schedules/{id}/{action}"),
        None,
    )
    .await
}

/// The schedule's runs, newest first.
async fn list_runs(app: &TestApp, key: &str, id: &str) -> (u16, Value) {
    call(
        app,
        key,
        "GET",
        &format!("/api/v1/schedules/{id}/runs"),
        None,
    )
    .await
}

/// The pages one run of the schedule stored, or reported removed.
async fn run_pages(app: &TestApp, key: &str, id: &str, job: &str) -> (u16, Value) {
    let path = format!("/api/v1/schedules/{id}/runs/{job}/pages");
    call(app, key, "GET", &path, None).await
}

/// Runs of the schedule once there are at least `n`, newest first.
async fn wait_for_runs(app: &TestApp, key: &str, id: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = list_runs(app, key, id).await;
        assert_eq!(status, 200, "{body}");
        let runs = body["data"].as_array().unwrap().clone();
        if runs.len() >= n {
            return runs;
        }
        assert!(Instant::now() < deadline, "fewer than {n} runs: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The runs once none is queued or running, newest first.
async fn wait_all_finished(app: &TestApp, key: &str, id: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, body) = list_runs(app, key, id).await;
        let runs = body["data"].as_array().unwrap().clone();
        if runs.iter().all(|r| r["state"] == "succeeded") {
            return runs;
        }
        assert!(Instant::now() < deadline, "runs never finished: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_reads_schedules_but_cannot_change_them() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
    let viewer = key(&app, DEFAULT_TEAM, Role::Viewer).await;
    let (_, created) = create_schedule(&app, &op, "s").await;
    let id = created["id"].as_str().unwrap();
    let (status, _) = call(
        &app,
        &viewer,
        "GET",
        &format!("/api/v1/schedules/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, list) = call(&app, &viewer, "GET", "/api/v1/schedules", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (status, _) = list_runs(&app, &viewer, id).await;
    assert_eq!(status, 200);
    for (method, path, body) in [
        (
            "POST",
            "/api/v1/schedules".to_string(),
            Some(schedule("mine")),
        ),
        (
            "PATCH",
            format!("/api/v1/schedules/{id}"),
            Some(json!({"name": "x"})),
        ),
        ("DELETE", format!("/api/v1/schedules/{id}"), None),
        ("POST", format!("/api/v1/schedules/{id}/pause"), None),
        ("POST", format!("/api/v1/schedules/{id}/resume"), None),
    ] {
        let (status, err) = call(&app, &viewer, method, &path, body).await;
        assert_eq!(status, 403, "{method} {path}: {err}");
        assert_eq!(err["error"]["code"], "forbidden");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_teams_schedule_is_not_found() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
    let (_, created) = create_schedule(&app, &op, "ours").await;
    let id = created["id"].as_str().unwrap();
    let team = app
        .store
        .create_team(Uuid::now_v7(), "other team", None)
        .await
        .unwrap();
    let other = key(&app, team.id, Role::Admin).await;
    for (method, path) in [
        ("GET", format!("/api/v1/schedules/{id}")),
        ("PATCH", format!("/api/v1/schedules/{id}")),
        ("DELETE", format!("/api/v1/schedules/{id}")),
        ("POST", format!("/api/v1/schedules/{id}/pause")),
        ("POST", format!("/api/v1/schedules/{id}/resume")),
        ("GET", format!("/api/v1/schedules/{id}/runs")),
    ] {
        let body = (method == "PATCH").then(|| json!({"name": "theirs"}));
        let (status, err) = call(&app, &other, method, &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {err}");
    }
    let (_, list) = call(&app, &other, "GET", "/api/v1/schedules", None).await;
    assert_eq!(list["data"], json!([]));
    let (_, still) = call(&app, &op, "GET", &format!("/api/v1/schedules/{id}"), None).await;
    assert_eq!(still["name"], "ours");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_schedules_are_refused_naming_the_field_and_rule() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let op = key(&app, DEFAULT_TEAM, Role::Operator).await;
    let with = |patch: Value| {
        let mut s = schedule("bad");
        for (k, v) in patch.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    };
    for (body, want_field, want_rule) in [
        (with(json!({"cron": "every hour"})), "cron", "cron"),
        (
            with(json!({"timezone": "Mars/Olympus"})),
            "timezone",
            "time zone",
        ),
        (with(json!({"url": "ftp://example.com/"})), "url", "http"),
        (with(json!({"kind": "map"})), "kind", "scrape or crawl"),
        (with(json!({"name": ""})), "name", "characters"),
        (
            with(json!({"options": {"formats": ["bogus"]}})),
            "options.formats[0]",
            "",
        ),
        (
            with(json!({"kind": "crawl", "options": {"limit": 0}})),
            "options.limit",
            "between",
        ),
        (
            with(json!({"webhook": "http://169.254.169.254/latest"})),
            "webhook.url",
            "may not",
        ),
        (
            with(json!({"webhook": {"url": "http://h.test/", "events": ["page"]}})),
            "webhook.events[0]",
            "page.changed",
        ),
        (
            json!({"kind": "scrape", "url": "http://a.test/", "cron": "* * * * *"}),
            "name",
            "required",
        ),
    ] {
        let (status, err) = call(&app, &op, "POST", "/api/v1/schedules", Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {err}");
        assert_eq!(field(&err), want_field, "{err}");
        let rule = err["error"]["details"]["fields"][0]["rule"]
            .as_str()
            .unwrap();
        assert!(rule.contains(want_rule), "{want_field}: {rule}");
    }
    let (status, err) = call(
        &app,
        &op,
        "POST",
        "/api/v1/schedules",
        Some(with(json!({"surprise": 1}))),
    )
    .await;
    assert_eq!(status, 422, "unknown fields are refused: {err}");
    assert_eq!(field(&err), "surprise");
    let (status, err) = call(
        &app,
        &op,
        "POST",
        "/api/v1/schedules",
        Some(json!("not an object")),
    )
    .await;
    assert_eq!(status, 422, "a body that is not an object: {err}");
    assert_eq!(field(&err), "body");

    let (status, _) = create_schedule(&app, &op, "twice").await;
    assert_eq!(status, 201);
    let (status, err) = create_schedule(&app, &op, "twice").await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["error"]["code"], "schedule_name_taken");

    let (_, created) = create_schedule(&app, &op, "editable").await;
    let id = created["id"].as_str().unwrap();
    let (status, err) = call(
        &app,
        &op,
        "PATCH",
        &format!("/api/v1/schedules/{id}"),
        Some(json!({"cron": "61 * * * *"})),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(field(&err), "cron");
}
