//! `/api/v1/keys`: a team's API keys, for team admins. The key text is in the create
//! response only, which is never cached.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::extract::ApiJson;
use super::AppState;
use crate::auth::{self, audit, Caller, KeyRequest, Role, Scope};
use crate::error::{AppError, AppResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/keys", get(list).post(create))
        .route("/api/v1/keys/{id}", delete(revoke))
}

fn require_key_admin(caller: &Caller) -> AppResult<()> {
    caller.require_role(Role::Admin)?;
    caller.require_scope(Scope::Admin)
}

async fn list(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Value>> {
    require_key_admin(&caller)?;
    let keys = state.store.list_api_keys(Some(caller.team_id)).await?;
    Ok(Json(json!({ "data": keys })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKeyBody {
    name: String,
    role: Option<Role>,
    scopes: Option<Vec<Scope>>,
    /// A lifetime such as `90d`.
    expires_in: Option<String>,
}

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
        Json(json!({ "key": key, "api_key": record })),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    require_key_admin(&caller)?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound("key"))?;
    let team = (!caller.is_instance_admin).then_some(caller.team_id);
    let key = state.store.revoke_api_key(id, team).await?;
    state.auth.forget_keys();
    let mut e = audit::by(audit::event(audit::TOKEN_REVOKED, &caller.meta), &caller);
    e.target = Some(format!("api_key:{id}"));
    audit::record(state.store.as_ref(), e).await;
    Ok(Json(json!(key)))
}
