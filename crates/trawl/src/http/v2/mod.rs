//! Firecrawl's v2 API, in the shapes its published SDKs require
//! (`docs`: FIRECRAWL_COMPAT): scrape, crawl, map, batch scrape and the team endpoints.
//!
//! Errors here use Firecrawl's shape, `{"success": false, "error", "code", "details"}`,
//! instead of the `/api` envelope: [`firecrawl_errors`] rewrites every error response of
//! these routes (including extractor rejections and 404/405 fallbacks), and validation
//! failures answer 400 as the SDKs expect.

mod jobs;
mod scrape;
mod team;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use uuid::Uuid;

use super::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::store::jobs::{Job, JobLookup};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/scrape", post(scrape::scrape))
        .route("/v2/map", post(scrape::map))
        .route("/v2/crawl", post(jobs::start_crawl))
        .route("/v2/crawl/active", get(jobs::active_crawls))
        .route(
            "/v2/crawl/{id}",
            get(jobs::crawl_status).delete(jobs::cancel_crawl),
        )
        .route("/v2/crawl/{id}/errors", get(jobs::crawl_errors))
        .route("/v2/batch/scrape", post(jobs::start_batch))
        .route(
            "/v2/batch/scrape/{id}",
            get(jobs::batch_status).delete(jobs::cancel_batch),
        )
        .route("/v2/batch/scrape/{id}/errors", get(jobs::batch_errors))
        .route("/v2/concurrency-check", get(team::concurrency))
        .route("/v2/team/queue-status", get(team::queue_status))
        .route("/v2/team/credit-usage", get(team::credit_usage))
        .route("/v2/team/token-usage", get(team::token_usage))
        .layer(axum::middleware::from_fn(firecrawl_errors))
}

/// A JSON body, parsed with the path of the offending field in the error message
/// (`limit: invalid type: string "x", expected u64`). Unknown fields are ignored.
pub struct V2Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for V2Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::PayloadTooLarge)?;
        if bytes.is_empty() {
            return Err(AppError::BadRequest("a JSON body is required".into()));
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de)
            .map(V2Json)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if inner.is_syntax() || inner.is_eof() {
                    AppError::BadRequest(format!("the body is not valid JSON: {inner}"))
                } else if path == "." {
                    AppError::BadRequest(format!("invalid body: {inner}"))
                } else {
                    AppError::invalid(path, inner.to_string())
                }
            })
    }
}

/// Looks a job of `kind` up for the caller's team. Another team's job and a job of
/// another kind are "not found", as in Firecrawl.
pub async fn team_job(state: &AppState, caller: &Caller, id: &str, kind: &str) -> AppResult<Job> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound("job"))?;
    match state.jobs.get(id).await? {
        JobLookup::Found(job) if job.kind == kind && job.team_id == Some(caller.team_id) => {
            Ok(*job)
        }
        JobLookup::Expired => Err(AppError::JobExpired),
        _ => Err(AppError::NotFound("job")),
    }
}

/// Rewrites `/api`-style error envelopes into Firecrawl's error shape.
async fn firecrawl_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Error bodies are small; anything odd is passed through untouched.
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(envelope) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let Some(error) = envelope.get("error").filter(|e| e.is_object()) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let message = error["message"].as_str().unwrap_or("error");
    let code = error["code"].as_str().unwrap_or("error");
    let body = json!({
        "success": false,
        "error": message,
        "code": code,
        "details": error["details"],
        "request_id": error["request_id"],
    });
    if parts.status == StatusCode::UNPROCESSABLE_ENTITY {
        parts.status = StatusCode::BAD_REQUEST;
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(body.to_string()))
}
