//! Firecrawl's v2 API, in the shapes its published SDKs require
//! (`docs`: FIRECRAWL_COMPAT): scrape, crawl, map, batch scrape and the team endpoints.
//!
//! Errors here use Firecrawl's shape, `{"success": false, "error", "code", "details"}`,
//! instead of the `/api` envelope: [`firecrawl_errors`] rewrites every error response of
//! these routes (including extractor rejections and 404/405 fallbacks), and validation
//! failures answer 400 as the SDKs expect.

pub(crate) mod jobs;
mod schemas;
mod scrape;
mod team;
pub mod watch;

pub use schemas::ScrapeRequest as ScrapeRequestDoc;

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::store::jobs::{Job, JobLookup};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(scrape::scrape))
        .routes(routes!(scrape::map))
        .routes(routes!(jobs::start_crawl))
        .routes(routes!(jobs::active_crawls))
        .routes(routes!(jobs::crawl_status, jobs::cancel_crawl))
        .routes(routes!(jobs::crawl_errors))
        .routes(routes!(jobs::start_batch))
        .routes(routes!(jobs::batch_status, jobs::cancel_batch))
        .routes(routes!(jobs::batch_errors))
        .routes(routes!(team::concurrency))
        .routes(routes!(team::queue_status))
        .routes(routes!(team::credit_usage))
        .routes(routes!(team::token_usage))
        .layer(axum::middleware::from_fn(firecrawl_errors))
}

/// Firecrawl's endpoint families that Trawl does not serve (they need a search engine,
/// a language model, a browser or Firecrawl's cloud), and its older API versions.
const NOT_SERVED: &[&str] = &[
    "search",
    "extract",
    "agent",
    "browser",
    "parse",
    "monitor",
    "feedback",
    "deep-research",
    "llmstxt",
    "generate-llmstxt",
];

/// For a path no route matched: what to say if it is one of Firecrawl's endpoints that
/// this instance does not serve, `None` for any other path (a plain 404).
pub fn not_served(path: &str) -> Option<&'static str> {
    let mut parts = path.trim_start_matches('/').split('/');
    let version = parts.next()?;
    if matches!(version, "v0" | "v1") {
        return Some(
            "is Firecrawl's older API, which this instance does not serve: use the v2 API \
             (the SDKs' default client, not `.v1`)",
        );
    }
    if version != "v2" {
        return None;
    }
    let rest: Vec<&str> = parts.collect();
    let family = rest.first().copied().unwrap_or_default();
    let served_elsewhere = matches!(
        rest.as_slice(),
        ["crawl", "params-preview"] | ["scrape", _, "interact"] | ["team", _, "historical"]
    );
    (NOT_SERVED.contains(&family) || served_elsewhere)
        .then_some("is a Firecrawl endpoint that this instance does not serve")
}

/// A JSON body, parsed with the path of the offending field in the error message
/// (`limit: invalid type: string "x", expected u64`). Unknown fields are ignored; no
/// Content-Type is required, as Firecrawl's SDKs do not always send one.
pub struct V2Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for V2Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = crate::http::extract::read_body(req, state).await?;
        crate::http::extract::parse_json(&bytes, state.config.limits.json_depth).map(V2Json)
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
    to_firecrawl(next.run(req).await).await
}

/// The same for errors the edge layers give on `/v2/*` before routing reaches
/// [`router`]'s own layer (rate limits, size limits, CSRF).
pub async fn firecrawl_errors_at_edge(req: Request, next: Next) -> Response {
    // `/v1` and `/v0` are not served, but their callers read Firecrawl's error shape.
    let path = req.uri().path();
    if !(path.starts_with("/v2/") || path.starts_with("/v1/") || path.starts_with("/v0/")) {
        return next.run(req).await;
    }
    let response = crate::http::middleware::observe::envelope_bare_error(next.run(req).await);
    to_firecrawl(response).await
}

async fn to_firecrawl(response: Response) -> Response {
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
