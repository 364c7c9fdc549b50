//! `GET /metrics`: Prometheus text format, behind `TRAWL_METRICS_TOKEN` when one is set.
//! Served by every process kind: `trawl serve` (on the API and on `TRAWL_METRICS_ADDR`)
//! and `trawl worker` (on `TRAWL_METRICS_ADDR`, through [`standalone`]); the
//! `trawl_node_info{role}` gauge says which kind a node is.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AppState;
use crate::config::Config;
use crate::store::Store;
use crate::telemetry;

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

/// Whether the request carries the configured token (or none is configured). Both sides
/// are hashed first so the comparison takes the same time whatever the lengths, and is
/// constant-time over the digests.
fn authorized(expected: Option<&str>, headers: &HeaderMap) -> bool {
    let Some(expected) = expected else {
        return true;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .unwrap_or("");
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    bool::from(a.as_slice().ct_eq(b.as_slice())) && !given.is_empty()
}

/// What rendering needs: the store (queue figures) and the configuration.
#[derive(Clone)]
pub struct MetricsSource {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
}

/// `/metrics` alone, for a process without the API (`trawl worker`).
pub fn standalone(source: MetricsSource) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(
                |State(src): State<MetricsSource>, headers: HeaderMap| async move {
                    render_for(&src.store, &src.config, &headers).await
                },
            ),
        )
        .with_state(source)
}

/// Sets `trawl_node_info{role, version}` to 1: `api`, `worker`, or `api+worker`.
pub fn set_node_role(role: &'static str) {
    metrics::describe_gauge!(
        "trawl_node_info",
        "Always 1; the labels say which process kind this node runs and its version"
    );
    metrics::gauge!("trawl_node_info", "role" => role, "version" => env!("CARGO_PKG_VERSION"))
        .set(1.0);
}

pub async fn render(State(state): State<AppState>, headers: HeaderMap) -> Response {
    render_for(&state.store, &state.config, &headers).await
}

async fn render_for(store: &Arc<dyn Store>, config: &Config, headers: &HeaderMap) -> Response {
    let token = config.server.metrics_token.as_ref();
    if !authorized(token.map(|t| t.expose()), headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need the bearer token set in TRAWL_METRICS_TOKEN\n",
        )
            .into_response();
    }
    metrics_text(store.as_ref(), config).await.into_response()
}

async fn metrics_text(store: &dyn Store, config: &Config) -> impl IntoResponse {
    let pool = store.pool_stats();
    let busy = pool.size.saturating_sub(pool.idle);
    metrics::gauge!("trawl_db_pool_connections", "state" => "idle").set(f64::from(pool.idle));
    metrics::gauge!("trawl_db_pool_connections", "state" => "busy").set(f64::from(busy));
    metrics::gauge!("trawl_db_pool_connections", "state" => "max").set(f64::from(pool.max));
    let alive = crate::jobs::metrics::alive_window(&config.jobs);
    let refresh = crate::jobs::metrics::refresh(store, alive);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, v.parse().unwrap());
        h
    }

    #[test]
    fn only_the_exact_bearer_token_passes_when_one_is_set() {
        let t = Some("0123456789abcdef");
        assert!(authorized(None, &HeaderMap::new()));
        assert!(authorized(t, &bearer("Bearer 0123456789abcdef")));
        assert!(authorized(t, &bearer("bearer 0123456789abcdef")));
        assert!(!authorized(t, &HeaderMap::new()));
        assert!(!authorized(t, &bearer("Bearer 0123456789abcdeF")));
        assert!(!authorized(t, &bearer("Bearer 0123456789abcdef0")));
        assert!(!authorized(t, &bearer("Basic 0123456789abcdef")));
        assert!(!authorized(t, &bearer("0123456789abcdef")));
    }
}
