//! `/api/v1/users`: accounts, for instance admins.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::ApiJson;
use super::openapi::{ApiErrors, DataList};
use super::AppState;
use crate::auth::{self, audit, Caller, Role};
use crate::error::{AppError, AppResult};
use crate::secret::Secret;
use crate::store::identity::{Membership, User};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
        .routes(routes!(disable))
        .routes(routes!(enable))
}

fn parse_id(id: &str) -> AppResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound("user"))
}

/// Every account.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "users",
    responses((status = 200, description = "Every account", body = DataList<User>), ApiErrors)
)]
async fn list(State(state): State<AppState>, caller: Caller) -> AppResult<Json<DataList<User>>> {
    caller.require_instance_admin()?;
    let users = state.store.list_users().await?;
    Ok(Json(DataList { data: users }))
}

/// An account and its teams.
#[derive(Serialize, ToSchema)]
struct UserDetail {
    user: User,
    teams: Vec<Membership>,
}

/// An account and its teams: your own, or anyone's for an instance admin.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    tag = "users",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses((status = 200, description = "The account", body = UserDetail), ApiErrors)
)]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<UserDetail>> {
    let id = parse_id(&id)?;
    // Users see themselves; instance admins see everyone. Anyone else is refused
    // before any lookup, so the answer says nothing about which ids exist.
    let is_self = matches!(caller.principal, auth::Principal::User { id: me } if me == id);
    if !is_self {
        caller.require_instance_admin()?;
    }
    let user = state
        .store
        .user_by_id(id)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    let teams = state.store.memberships_of(id).await?;
    Ok(Json(UserDetail { user, teams }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUserBody {
    email: String,
    #[schema(value_type = String, format = Password)]
    password: Secret,
    team_id: Option<Uuid>,
    role: Option<Role>,
}

/// Creates an account, optionally in a team (default role `viewer`).
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "users",
    request_body = NewUserBody,
    responses((status = 201, description = "The new account", body = User), ApiErrors)
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewUserBody>,
) -> AppResult<(StatusCode, Json<User>)> {
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
    Ok((StatusCode::CREATED, Json(user)))
}

async fn set_disabled(
    state: AppState,
    caller: Caller,
    id: String,
    disabled: bool,
) -> AppResult<Json<User>> {
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
    Ok(Json(user))
}

/// Disables an account: its sessions, tokens and keys stop working.
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/disable",
    tag = "users",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses((status = 200, description = "The account", body = User), ApiErrors)
)]
async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<User>> {
    set_disabled(state, caller, id, true).await
}

/// Enables a disabled account.
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/enable",
    tag = "users",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses((status = 200, description = "The account", body = User), ApiErrors)
)]
async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<User>> {
    set_disabled(state, caller, id, false).await
}
