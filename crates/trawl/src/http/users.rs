//! `/api/v1/users`: accounts, for instance admins.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::extract::ApiJson;
use super::AppState;
use crate::auth::{self, audit, Caller, Role};
use crate::error::{AppError, AppResult};
use crate::secret::Secret;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list).post(create))
        .route("/api/v1/users/{id}", get(show))
        .route("/api/v1/users/{id}/disable", post(disable))
        .route("/api/v1/users/{id}/enable", post(enable))
}

fn parse_id(id: &str) -> AppResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound("user"))
}

async fn list(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Value>> {
    caller.require_instance_admin()?;
    let users = state.store.list_users().await?;
    Ok(Json(json!({ "data": users })))
}

async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let id = parse_id(&id)?;
    // Users see themselves; instance admins see everyone; others get 404.
    if !caller.is_instance_admin && caller.user_id() != Some(id) {
        return Err(AppError::NotFound("user"));
    }
    let user = state
        .store
        .user_by_id(id)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    let teams = state.store.memberships_of(id).await?;
    Ok(Json(json!({ "user": user, "teams": teams })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUserBody {
    email: String,
    password: Secret,
    team_id: Option<Uuid>,
    role: Option<Role>,
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewUserBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    caller.require_instance_admin()?;
    let team = match body.team_id {
        Some(t) => {
            state
                .store
                .team_by_id(t)
                .await?
                .ok_or_else(|| AppError::invalid("team_id", "no such team"))?;
            Some((t, body.role.unwrap_or(Role::Viewer)))
        }
        None => None,
    };
    let user = auth::create_user(
        state.store.as_ref(),
        &body.email,
        body.password.expose().to_string(),
        team,
        false,
        None,
    )
    .await?;
    let mut e = audit::by(audit::event(audit::USER_CREATED, &caller.meta), &caller);
    e.target = Some(format!("user:{}", user.id));
    audit::record(state.store.as_ref(), e).await;
    Ok((StatusCode::CREATED, Json(json!(user))))
}

async fn set_disabled(
    state: AppState,
    caller: Caller,
    id: String,
    disabled: bool,
) -> AppResult<Json<Value>> {
    caller.require_instance_admin()?;
    let id = parse_id(&id)?;
    if caller.user_id() == Some(id) && disabled {
        return Err(AppError::Conflict {
            code: "cannot_disable_self",
            message: "an admin cannot disable their own account".into(),
        });
    }
    let user = state.store.set_user_disabled(id, disabled).await?;
    // Keys made by the user stop working; forget cached lookups so it is immediate here.
    state.auth.forget_keys();
    let name = if disabled {
        audit::USER_DISABLED
    } else {
        audit::USER_ENABLED
    };
    let mut e = audit::by(audit::event(name, &caller.meta), &caller);
    e.target = Some(format!("user:{id}"));
    audit::record(state.store.as_ref(), e).await;
    Ok(Json(json!(user)))
}

async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    set_disabled(state, caller, id, true).await
}

async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    set_disabled(state, caller, id, false).await
}
