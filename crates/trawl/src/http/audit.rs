//! `GET /api/v1/audit`: the audit log for team admins (their team) and instance admins
//! (every team, or one with `team_id`). Newest first, cursor-paged; `format=jsonl`
//! streams one event per line for export.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::openapi::ApiErrors;
use super::AppState;
use crate::auth::{Caller, Scope};
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiQuery;
use crate::store::identity::{AuditFilter, AuditRecord};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Only events by this actor id.
    actor: Option<String>,
    /// Only this event, e.g. `login_failed`.
    event: Option<String>,
    /// RFC 3339 time; events at or after it.
    since: Option<String>,
    /// RFC 3339 time; events before it.
    until: Option<String>,
    /// Instance admins: one team only (others always see their own team).
    team_id: Option<Uuid>,
    /// `next_cursor` of the previous page.
    cursor: Option<i64>,
    /// 1 to 10000; default 100 (10000 for `jsonl`).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<u32>,
    /// `json` (default) or `jsonl` (one event per line, for export).
    #[param(pattern = "^(json|jsonl)$")]
    format: Option<String>,
}

/// One page of the audit log, newest first.
#[derive(Serialize, ToSchema)]
struct AuditPage {
    data: Vec<AuditRecord>,
    /// Pass back as `cursor`; null on the last page.
    next_cursor: Option<i64>,
}

fn parse_time(field: &str, v: Option<&str>) -> AppResult<Option<DateTime<Utc>>> {
    v.filter(|s| !s.is_empty())
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| AppError::invalid(field, "must be an RFC 3339 time"))
        })
        .transpose()
}

/// The audit log: the caller's team (team admins) or any team (instance admins).
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "Events, newest first", content(
            (AuditPage = "application/json"),
            (String = "application/x-ndjson"),
        )),
        ApiErrors
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> AppResult<Response> {
    caller.require(Scope::Admin)?;
    let jsonl = match q.format.as_deref() {
        None | Some("json") => false,
        Some("jsonl") => true,
        Some(_) => return Err(AppError::invalid("format", "must be json or jsonl")),
    };
    let limit = q.limit.unwrap_or(if jsonl { 10_000 } else { 100 });
    if !(1..=10_000).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 10000"));
    }
    let team_id = if caller.is_instance_admin {
        q.team_id
    } else {
        Some(caller.team_id)
    };
    let rows = state
        .store
        .list_audit(&AuditFilter {
            team_id,
            actor_id: q.actor.filter(|s| !s.is_empty()),
            event: q.event.filter(|s| !s.is_empty()),
            since: parse_time("since", q.since.as_deref())?,
            until: parse_time("until", q.until.as_deref())?,
            before_seq: q.cursor,
            limit,
        })
        .await?;
    if jsonl {
        let mut body = String::new();
        for r in &rows {
            body.push_str(&serde_json::to_string(r).map_err(anyhow::Error::from)?);
            body.push('\n');
        }
        let mut resp = body.into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        );
        return Ok(resp);
    }
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    Ok(Json(AuditPage {
        data: rows,
        next_cursor: next,
    })
    .into_response())
}
