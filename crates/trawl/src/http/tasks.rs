//! The simple pair from the original design: `POST /api/tasks/scrape` queues a scrape,
//! `GET /api/tasks/{id}/status` reports it (with the page once it is done).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::idempotency::{enqueue_once, IdempotencyKey};
use super::openapi::ApiErrors;
use super::v2::{team_job, V2Json};
use super::AppState;
use crate::auth::{Caller, Scope};
use crate::crawl::options::{from_json, parse_http_url};
use crate::error::{AppError, AppResult};
use crate::request_fields::{self, Body};
use crate::scrape::{job::KIND, PageDocument, ScrapeOptions};
use crate::store::jobs::{JobState, NewJob};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(status))
}

#[derive(Serialize, ToSchema)]
struct TaskQueued {
    task_id: Uuid,
    status_url: String,
}

/// Queues a scrape; the body is a v2 scrape body (`{"url", "formats", …}`).
#[utoipa::path(
    post,
    path = "/api/tasks/scrape",
    tag = "tasks",
    params(("Idempotency-Key" = Option<String>, Header,
        description = "Creates the job at most once: a retry with the key gets the first answer (24 h); `x-idempotency-key` is read too")),
    request_body = super::v2::ScrapeRequestDoc,
    responses((status = 202, description = "Queued", body = TaskQueued), ApiErrors)
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    V2Json(body): V2Json<Value>,
) -> AppResult<(StatusCode, Json<Value>)> {
    caller.require(Scope::Scrape)?;
    let mut errors = request_fields::check(Body::StoredScrape, &body);
    let key = IdempotencyKey::from_headers(&headers)?;
    let url = body.get("url").and_then(Value::as_str).unwrap_or_default();
    if let Err(e) = parse_http_url("url", url) {
        errors.push(e);
    }
    match from_json::<ScrapeOptions>(&body) {
        Ok(options) => {
            if let Err(e) = options.validate("") {
                errors.extend(e);
            }
        }
        Err(e) => errors.push(e),
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let request = body.to_string();
    let job = NewJob::new(caller.team_id, KIND, body);
    let id = job.id;
    let response = serde_json::to_value(TaskQueued {
        task_id: id,
        status_url: format!("{}/api/tasks/{id}/status", state.public_base),
    })
    .map_err(anyhow::Error::new)?;
    let answer = enqueue_once(
        &state,
        key.as_ref(),
        "/api/tasks/scrape",
        request.as_bytes(),
        job,
        response,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// A task's state, with the page (`result`) once it succeeded or the `error` once it
/// failed.
#[derive(Serialize, ToSchema)]
struct TaskStatus {
    id: Uuid,
    state: JobState,
    /// The scraped page, in `/v2/scrape`'s `data` shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<PageDocument>)]
    result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// A task's state and, once done, its page.
#[utoipa::path(
    get,
    path = "/api/tasks/{id}/status",
    tag = "tasks",
    params(("id" = Uuid, Path, description = "The task's id")),
    responses((status = 200, description = "The task", body = TaskStatus), ApiErrors)
)]
async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<TaskStatus>> {
    caller.require(Scope::JobsRead)?;
    let job = team_job(&state, &caller, &id, KIND).await?;
    let mut out = TaskStatus {
        id: job.id,
        state: job.state,
        result: None,
        error: None,
    };
    if job.state == JobState::Succeeded {
        let doc = state.store.job_documents(job.id, 0, 1).await?.pop();
        out.result = match doc {
            Some(d) => {
                let id = d.id;
                let plan = super::v2::jobs::job_plan(&job);
                Some(
                    PageDocument::from_stored(d)
                        .for_formats(&plan)
                        .to_response(id),
                )
            }
            None => job.result.clone(),
        };
    }
    if matches!(job.state, JobState::Failed | JobState::Discarded) {
        out.error = job.last_error.clone();
    }
    Ok(Json(out))
}
