//! Input limits every request meets before any work is done for it: the length of the
//! request target, the number and size of headers, the size of the body (larger on
//! batch routes) and a time limit on each wait for the next piece of it. JSON depth is
//! checked by the JSON extractors (`http::extract`).

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::http::AppState;

pub async fn limits(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let l = &state.config.limits;
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > l.url_length {
        return AppError::UriTooLong(l.url_length).into_response();
    }
    let headers = req.headers();
    let bytes: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if headers.len() > l.header_count || bytes > l.header_bytes {
        return AppError::HeadersTooLarge.into_response();
    }
    let max_body = if is_batch(req.uri().path()) {
        l.batch_body_bytes
    } else {
        l.body_bytes
    };
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_body as u64) {
        return AppError::PayloadTooLarge.into_response();
    }
    // A client that stops sending half-way would otherwise hold a task until the
    // request time limit; each wait for the next piece gets this long.
    let idle = Duration::from_secs(l.body_timeout_secs);
    let req = req.map(|b| {
        Body::new(http_body_util::Limited::new(
            tower_http::timeout::TimeoutBody::new(idle, b),
            max_body,
        ))
    });
    next.run(req).await
}

/// Routes whose bodies carry many URLs at once.
fn is_batch(path: &str) -> bool {
    path == "/v2/batch/scrape"
}
