//! `GET /metrics`: Prometheus text format.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::AppState;
use crate::telemetry;

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let pool = state.store.pool_stats();
    let busy = pool.size.saturating_sub(pool.idle);
    metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(pool.idle));
    metrics::gauge!("db_pool_connections", "state" => "busy").set(f64::from(busy));
    metrics::gauge!("db_pool_connections", "state" => "max").set(f64::from(pool.max));
    let lease = state.config.jobs.lease_secs;
    let refresh = crate::jobs::metrics::refresh(state.store.as_ref(), lease);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), refresh).await;
    telemetry::process_collector().collect();
    let handle = telemetry::metrics();
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}
