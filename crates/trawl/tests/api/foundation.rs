//! The foundation: health, errors, request ids, metrics, migrations.

use axum::routing::get;
use serde_json::Value;
use tower::ServiceExt;

use crate::both_backends;
use crate::helpers::*;

both_backends! {
    async fn readiness_is_ok_when_database_answers_and_schema_is_current(backend: Backend) {
        let app = spawn_app(backend).await.unwrap();
        let r = app.get("/health/ready").await;
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], "ready");
        app.store.ping().await.unwrap();
        app.stop().await;
    }

    async fn readiness_is_503_while_a_migration_is_pending(backend: Backend) {
        let db = TestDb::new(backend).await.unwrap();
        let config = test_config(&db, &[]);
        let store = trawl::store::connect(&config).await.unwrap();
        store.migrate_up().await.unwrap();
        store.migrate_down(1).await.unwrap();
        let app = start(db, config, store).await;
        let r = app.get("/health/ready").await;
        assert_eq!(r.status(), 503);
        let deep: Value = app.get("/health").await.json().await.unwrap();
        assert_eq!(deep["status"], "unhealthy");
        assert_eq!(deep["checks"]["migrations"]["status"], "down");
        app.stop().await;
    }

    async fn deep_health_reports_every_check_and_no_connection_string(backend: Backend) {
        let app = spawn_app(backend).await.unwrap();
        let r = app.get("/health").await;
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["status"], "healthy");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        assert!(body["uptime_s"].is_u64());
        assert_eq!(body["checks"]["database"]["status"], "ok");
        assert!(body["checks"]["database"]["latency_ms"].is_number());
        assert_eq!(body["checks"]["redis"]["status"], "not_configured");
        for part in ["queue", "workers"] {
            assert_eq!(body["checks"][part]["status"], "ok", "{part}");
        }
        assert!(!text.contains("sqlite://") && !text.contains("postgres://"), "{text}");
        assert!(!text.contains(app.db.dir.path().to_str().unwrap()), "{text}");
        app.stop().await;
    }

    async fn migrations_go_up_down_to_zero_and_up_again(backend: Backend) {
        let db = TestDb::new(backend).await.unwrap();
        let config = test_config(&db, &[]);
        let store = trawl::store::connect(&config).await.unwrap();
        let applied = store.migrate_up().await.unwrap();
        assert!(applied.len() >= 2, "{applied:?}");
        assert!(trawl::store::migrations_current(&store.migrations().await.unwrap()));
        let reverted = store.migrate_down(usize::MAX).await.unwrap();
        assert_eq!(reverted.len(), applied.len());
        let status = store.migrations().await.unwrap();
        assert!(status.iter().all(|m| !m.applied), "{status:?}");
        let again = store.migrate_up().await.unwrap();
        assert_eq!(again, applied);
        assert!(trawl::store::migrations_current(&store.migrations().await.unwrap()));
        // Nothing pending: a second `up` applies nothing.
        assert!(store.migrate_up().await.unwrap().is_empty());
        store.close().await;
    }

    async fn migrate_down_reverts_only_the_latest_step(backend: Backend) {
        let db = TestDb::new(backend).await.unwrap();
        let config = test_config(&db, &[]);
        let store = trawl::store::connect(&config).await.unwrap();
        let applied = store.migrate_up().await.unwrap();
        let reverted = store.migrate_down(1).await.unwrap();
        assert_eq!(reverted, vec![*applied.last().unwrap()]);
        let status = store.migrations().await.unwrap();
        assert_eq!(status.iter().filter(|m| !m.applied).count(), 1);
        store.close().await;
    }
}

#[tokio::test]
async fn liveness_answers_ok_with_a_fresh_uuid_v7_request_id() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let r = app.get("/health/live").await;
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let parsed = uuid::Uuid::parse_str(&id).unwrap();
    assert_eq!(parsed.get_version_num(), 7);
    let second = app.get("/health/live").await;
    assert_ne!(second.headers()["x-request-id"].to_str().unwrap(), id);
    app.stop().await;
}

#[tokio::test]
async fn unknown_route_is_404_in_the_error_envelope() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let r = app.get("/api/v1/no-such-thing").await;
    assert_eq!(r.status(), 404);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    let e = &body["error"];
    assert_eq!(e["code"], "route_not_found");
    assert_eq!(e["request_id"], id.as_str());
    assert!(e["message"].is_string());
    assert!(e.get("details").is_some());
    assert!(chrono::DateTime::parse_from_rfc3339(e["timestamp"].as_str().unwrap()).is_ok());
    app.stop().await;
}

#[tokio::test]
async fn wrong_method_is_405_in_the_error_envelope() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let r = app
        .client
        .delete(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
    app.stop().await;
}

#[tokio::test]
async fn a_panicking_handler_becomes_an_opaque_500_with_the_request_id() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let config = test_config(&db, &[]);
    let store = trawl::store::connect(&config).await.unwrap();
    let state = trawl::http::AppState::new(
        std::sync::Arc::new(config),
        store,
        None,
        "http://localhost".into(),
    );
    let routes = axum::Router::new().route(
        "/boom",
        get(|| async {
            panic!("secret detail: SELECT password FROM users; /etc/trawl/data");
            #[allow(unreachable_code)]
            ""
        }),
    );
    let app = trawl::http::with_edge_layers(routes, state);
    let response = app
        .oneshot(
            axum::http::Request::get("/boom")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(
        !text.contains("secret detail") && !text.contains("SELECT") && !text.contains("/etc"),
        "{text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"]["code"], "internal_error");
    assert_eq!(body["error"]["message"], "internal server error");
    assert_eq!(body["error"]["request_id"], id.as_str());
}

#[tokio::test]
async fn request_id_from_an_untrusted_peer_is_replaced() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let r = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "chosen-by-client")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "chosen-by-client");
    app.stop().await;
}

#[tokio::test]
async fn request_id_from_a_trusted_proxy_is_kept() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[("TRAWL_TRUSTED_PROXIES", "127.0.0.1/32")],
    )
    .await
    .unwrap();
    let r = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "proxy-id-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "proxy-id-123");
    app.stop().await;
}

#[tokio::test]
async fn metrics_use_route_templates_never_raw_paths() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    app.get("/health/live").await;
    app.get("/some/raw/path/12345").await;
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = r.text().await.unwrap();
    assert!(
        text.contains(
            r#"trawl_http_requests_total{method="GET",route="/health/live",status="200"}"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched""#), "{text}");
    assert!(!text.contains("12345"), "raw path leaked into labels");
    assert!(
        text.contains("trawl_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains(r#"trawl_db_pool_connections{state="idle"}"#),
        "{text}"
    );
    assert!(
        text.contains("trawl_process_resident_memory_bytes"),
        "{text}"
    );
    // Every series is Trawl's: one prefix, so names never collide with other exporters.
    let foreign: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("trawl_"))
        .collect();
    assert!(
        foreign.is_empty(),
        "metrics without the trawl_ prefix: {foreign:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn metrics_can_move_to_their_own_listener() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            ("TRAWL_METRICS_ON_MAIN", "false"),
            ("TRAWL_METRICS_ADDR", "127.0.0.1:0"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(app.get("/metrics").await.status(), 404);
    let own = format!("{}/metrics", app.metrics_base.as_deref().unwrap());
    let text = app
        .client
        .get(own)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("trawl_http_requests_total"), "{text}");
    app.stop().await;
}
