//! The outermost layer: gives each request its id, a tracing span, a time limit and
//! its metrics, and turns bare error responses from inner layers into the JSON envelope.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{LazyLock, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::request_id;
use crate::error::AppError;
use crate::http::AppState;

/// Probe and scrape routes log at debug so that they do not drown the request log.
fn is_quiet(route: &str) -> bool {
    matches!(route, "/health/live" | "/health/ready" | "/metrics")
}

pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let trusted = peer.is_some_and(|ip| state.is_trusted_proxy(ip));
    let id = request_id::choose(req.headers(), trusted);
    let method = req.method().clone();
    let route = label(
        req.extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", MatchedPath::as_str),
    );
    // Who asked: the socket peer, or the client a trusted proxy names (as rate limits see it).
    let client = crate::edge::client_ip::client_ip(
        peer,
        req.headers(),
        &state.config.server.trusted_proxies,
    )
    .map(|ip| ip.to_string())
    .unwrap_or_default();
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route, client = %client);
    let limit = Duration::from_secs(state.config.server.request_timeout_secs);

    let id_header = HeaderValue::from_str(&id).ok();
    let mut response = request_id::scope(
        id,
        async move {
            let response = match tokio::time::timeout(limit, next.run(req)).await {
                Ok(response) => envelope_bare_error(response),
                Err(_) => AppError::Timeout.into_response(),
            };
            let status = response.status();
            let latency = start.elapsed();
            let latency_ms = latency.as_secs_f64() * 1000.0;
            if is_quiet(route) {
                tracing::debug!(status = status.as_u16(), latency_ms, "request completed");
            } else if status.is_server_error() {
                tracing::warn!(status = status.as_u16(), latency_ms, "request completed");
            } else {
                tracing::info!(status = status.as_u16(), latency_ms, "request completed");
            }
            metrics::counter!(
                "trawl_http_requests_total",
                "method" => method_label(method.as_str()),
                "route" => route,
                "status" => label(status.as_str())
            )
            .increment(1);
            metrics::histogram!("trawl_http_request_duration_seconds", "route" => route)
                .record(latency.as_secs_f64());
            response
        }
        .instrument(span),
    )
    .await;
    if let Some(v) = id_header {
        response.headers_mut().insert(request_id::HEADER, v);
    }
    response
}

/// The standard methods by name; any other is `other`, so a client cannot grow the label set.
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// Metric labels as `&'static str`, so recording a request allocates nothing. Only for
/// bounded sets: route templates (never raw paths) and status codes.
fn label(value: &str) -> &'static str {
    static SEEN: LazyLock<RwLock<HashSet<&'static str>>> = LazyLock::new(Default::default);
    if let Some(seen) = SEEN.read().expect("label lock").get(value) {
        return seen;
    }
    let mut seen = SEEN.write().expect("label lock");
    if let Some(existing) = seen.get(value) {
        return existing;
    }
    let leaked: &'static str = Box::leak(value.to_owned().into_boxed_str());
    seen.insert(leaked);
    leaked
}

/// Inner layers (body limits, extract rejections) answer some errors with a plain body;
/// clients get the same envelope whatever produced the error.
pub(crate) fn envelope_bare_error(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let typed = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("text/html"));
    if typed {
        return response;
    }
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        StatusCode::REQUEST_TIMEOUT => AppError::Timeout,
        StatusCode::NOT_FOUND => AppError::RouteNotFound,
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            AppError::BadRequest("Content-Type must be application/json".into())
        }
        s if s.is_server_error() => AppError::Internal(anyhow::anyhow!("inner layer answered {s}")),
        s => AppError::BadRequest(
            s.canonical_reason()
                .unwrap_or("bad request")
                .to_ascii_lowercase(),
        ),
    };
    let mut new = error.into_response();
    // Keep headers such as Retry-After or Allow that the inner layer set.
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().entry(name).or_insert(value.clone());
        }
    }
    *new.status_mut() = status;
    new
}
