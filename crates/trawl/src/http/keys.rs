//! `/api/v1/keys`: a team's API keys, for team admins. The key text is in the create
//! response only, which is never cached.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::ApiJson;
use super::openapi::{ApiErrors, DataList};
use super::AppState;
use crate::auth::{self, audit, Caller, KeyRequest, Role, Scope};
use crate::error::{AppError, AppResult};
use crate::store::identity::ApiKey;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

fn require_key_admin(caller: &Caller) -> AppResult<()> {
    caller.require(Scope::Admin)
}

/// The team's keys (never the key text).
#[utoipa::path(
    get,
    path = "/api/v1/keys",
    tag = "keys",
    responses((status = 200, description = "Keys", body = DataList<ApiKey>), ApiErrors)
)]
async fn list(State(state): State<AppState>, caller: Caller) -> AppResult<Json<DataList<ApiKey>>> {
    require_key_admin(&caller)?;
    let keys = state.store.list_api_keys(Some(caller.team_id)).await?;
    Ok(Json(DataList { data: keys }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewKeyBody {
    name: String,
    /// Default `operator`; never above your own.
    role: Option<Role>,
    /// Default: every scope the role allows.
    scopes: Option<Vec<Scope>>,
    /// A lifetime such as `90d`.
    expires_in: Option<String>,
}

/// A new key: its text is in this response only.
#[derive(Serialize, ToSchema)]
struct NewKeyView {
    key: String,
    api_key: ApiKey,
}

/// Creates a key for the team (team admins).
#[utoipa::path(
    post,
    path = "/api/v1/keys",
    tag = "keys",
    request_body = NewKeyBody,
    responses((status = 201, description = "The key, shown once", body = NewKeyView), ApiErrors)
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewKeyBody>,
) -> AppResult<Response> {
    require_key_admin(&caller)?;
    let role = body.role.unwrap_or(Role::Operator);
    // A key never holds more than its creator.
    if role > caller.role && !caller.is_instance_admin {
        return Err(AppError::invalid("role", "must not exceed your own role"));
    }
    let expires_at = match body.expires_in.as_deref() {
        Some(s) => Some(
            chrono::Utc::now()
                + auth::parse_lifetime(s).map_err(|r| AppError::invalid("expires_in", r))?,
        ),
        None => None,
    };
    let (key, record) = auth::create_key(
        state.store.as_ref(),
        KeyRequest {
            team_id: caller.team_id,
            name: body.name,
            role,
            scopes: body.scopes,
            expires_at,
            created_by: caller.user_id(),
        },
    )
    .await?;
    let mut e = audit::by(audit::event(audit::TOKEN_CREATED, &caller.meta), &caller);
    e.target = Some(format!("api_key:{}", record.id));
    audit::record(state.store.as_ref(), e).await;
    let mut r = (
        StatusCode::CREATED,
        Json(NewKeyView {
            key,
            api_key: record,
        }),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// Revokes a key; it stops working within a second everywhere.
#[utoipa::path(
    delete,
    path = "/api/v1/keys/{id}",
    tag = "keys",
    params(("id" = Uuid, Path, description = "The key's id")),
    responses((status = 200, description = "The revoked key", body = ApiKey), ApiErrors)
)]
async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<ApiKey>> {
    require_key_admin(&caller)?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound("key"))?;
    let team = (!caller.is_instance_admin).then_some(caller.team_id);
    let key = state.store.revoke_api_key(id, team).await?;
    state.auth.forget_keys();
    let mut e = audit::by(audit::event(audit::TOKEN_REVOKED, &caller.meta), &caller);
    e.target = Some(format!("api_key:{id}"));
    audit::record(state.store.as_ref(), e).await;
    Ok(Json(key))
}
