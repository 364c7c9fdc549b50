//! `/api/v1/teams` and `/api/v1/teams/{id}/members`. Another team answers 404.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::extract::ApiJson;
use super::AppState;
use crate::auth::{audit, normalize_email, Caller, Principal, Role};
use crate::error::{AppError, AppResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/teams", get(list).post(create))
        .route("/api/v1/teams/{id}", get(show))
        .route("/api/v1/teams/{id}/members", get(members).post(add_member))
        .route(
            "/api/v1/teams/{id}/members/{user_id}",
            delete(remove_member).put(set_role),
        )
}

/// The team at `id` if the caller may see it; 404 otherwise (never 403: existence of
/// other teams is not disclosed).
pub(super) async fn visible_team(state: &AppState, caller: &Caller, id: &str) -> AppResult<Uuid> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound("team"))?;
    if !caller.can_see_team(id) {
        return Err(AppError::NotFound("team"));
    }
    state
        .store
        .team_by_id(id)
        .await?
        .ok_or(AppError::NotFound("team"))?;
    Ok(id)
}

async fn list(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Value>> {
    let data = if caller.is_instance_admin {
        json!(state.store.list_teams().await?)
    } else {
        match caller.principal {
            Principal::User { id } => json!(state
                .store
                .memberships_of(id)
                .await?
                .into_iter()
                .map(
                    |m| json!({ "id": m.team.id, "name": m.team.name, "role": m.role,
                                 "created_at": m.team.created_at })
                )
                .collect::<Vec<_>>()),
            Principal::ApiKey { .. } => json!(state
                .store
                .team_by_id(caller.team_id)
                .await?
                .into_iter()
                .collect::<Vec<_>>()),
        }
    };
    Ok(Json(json!({ "data": data })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTeam {
    name: String,
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewTeam>,
) -> AppResult<(StatusCode, Json<Value>)> {
    caller.require_instance_admin()?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "must be 1 to 100 characters"));
    }
    let team = state
        .store
        .create_team(Uuid::now_v7(), name, caller.user_id())
        .await?;
    let mut e = audit::by(audit::event(audit::TEAM_CREATED, &caller.meta), &caller);
    e.target = Some(format!("team:{}", team.id));
    audit::record(state.store.as_ref(), e).await;
    Ok((StatusCode::CREATED, Json(json!(team))))
}

async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let id = visible_team(&state, &caller, &id).await?;
    let team = state.store.team_by_id(id).await?;
    Ok(Json(json!(team)))
}

async fn members(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let id = visible_team(&state, &caller, &id).await?;
    Ok(Json(json!({ "data": state.store.list_members(id).await? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddMember {
    email: String,
    role: Role,
}

async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AddMember>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let team = visible_team(&state, &caller, &id).await?;
    caller.require_role(Role::Admin)?;
    let email = normalize_email(&body.email).map_err(|r| AppError::invalid("email", r))?;
    let user = state
        .store
        .user_by_email(&email)
        .await?
        .ok_or_else(|| AppError::invalid("email", "no account has this email"))?;
    state.store.set_member(team, user.id, body.role).await?;
    let mut e = audit::by(audit::event(audit::ROLE_CHANGED, &caller.meta), &caller);
    e.team_id = Some(team);
    e.target = Some(format!("user:{}", user.id));
    e.reason = Some(format!("added as {}", body.role));
    audit::record(state.store.as_ref(), e).await;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "user_id": user.id, "role": body.role })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetRole {
    role: Role,
}

async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<SetRole>,
) -> AppResult<Json<Value>> {
    let team = visible_team(&state, &caller, &id).await?;
    caller.require_role(Role::Admin)?;
    let user_id = Uuid::parse_str(&user_id).map_err(|_| AppError::NotFound("member"))?;
    if state.store.role_in_team(user_id, team).await?.is_none() {
        return Err(AppError::NotFound("member"));
    }
    state.store.set_member(team, user_id, body.role).await?;
    let mut e = audit::by(audit::event(audit::ROLE_CHANGED, &caller.meta), &caller);
    e.team_id = Some(team);
    e.target = Some(format!("user:{user_id}"));
    e.reason = Some(format!("role set to {}", body.role));
    audit::record(state.store.as_ref(), e).await;
    Ok(Json(json!({ "user_id": user_id, "role": body.role })))
}

async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let team = visible_team(&state, &caller, &id).await?;
    caller.require_role(Role::Admin)?;
    let user_id = Uuid::parse_str(&user_id).map_err(|_| AppError::NotFound("member"))?;
    if !state.store.remove_member(team, user_id).await? {
        return Err(AppError::NotFound("member"));
    }
    let mut e = audit::by(audit::event(audit::ROLE_CHANGED, &caller.meta), &caller);
    e.team_id = Some(team);
    e.target = Some(format!("user:{user_id}"));
    e.reason = Some("removed from the team".into());
    audit::record(state.store.as_ref(), e).await;
    Ok(StatusCode::NO_CONTENT)
}
