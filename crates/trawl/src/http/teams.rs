//! `/api/v1/teams` and `/api/v1/teams/{id}/members`. Another team answers 404.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::ApiJson;
use super::invites::{self, InviteView, NewInviteBody};
use super::openapi::{ApiErrors, DataList};
use super::AppState;
use crate::auth::{audit, Caller, Principal, Role, Scope};
use crate::error::{AppError, AppResult};
use crate::store::identity::{Member, Team};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
        .routes(routes!(members, add_member))
        .routes(routes!(remove_member, set_role))
        .routes(routes!(set_retention))
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

/// A team in a listing; `role` is the caller's own when they are a member.
#[derive(Serialize, ToSchema)]
struct TeamView {
    id: Uuid,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<Role>,
    created_at: DateTime<Utc>,
}

impl From<Team> for TeamView {
    fn from(t: Team) -> Self {
        TeamView {
            id: t.id,
            name: t.name,
            role: None,
            created_at: t.created_at,
        }
    }
}

/// The teams the caller can see: every team for an instance admin, a user's own teams
/// with their role, a key's one team.
#[utoipa::path(
    get,
    path = "/api/v1/teams",
    tag = "teams",
    responses((status = 200, description = "Teams", body = DataList<TeamView>), ApiErrors)
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<DataList<TeamView>>> {
    let data: Vec<TeamView> = if caller.is_instance_admin {
        state
            .store
            .list_teams()
            .await?
            .into_iter()
            .map(TeamView::from)
            .collect()
    } else {
        match caller.principal {
            Principal::User { id } => state
                .store
                .memberships_of(id)
                .await?
                .into_iter()
                .map(|m| TeamView {
                    role: Some(m.role),
                    ..TeamView::from(m.team)
                })
                .collect(),
            Principal::ApiKey { .. } => state
                .store
                .team_by_id(caller.team_id)
                .await?
                .into_iter()
                .map(TeamView::from)
                .collect(),
        }
    };
    Ok(Json(DataList { data }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTeam {
    /// 1 to 100 characters.
    name: String,
}

/// Creates a team (instance admins).
#[utoipa::path(
    post,
    path = "/api/v1/teams",
    tag = "teams",
    request_body = NewTeam,
    responses((status = 201, description = "The new team", body = Team), ApiErrors)
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewTeam>,
) -> AppResult<(StatusCode, Json<Team>)> {
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
    Ok((StatusCode::CREATED, Json(team)))
}

/// One team the caller can see.
#[utoipa::path(
    get,
    path = "/api/v1/teams/{id}",
    tag = "teams",
    params(("id" = Uuid, Path, description = "The team's id")),
    responses((status = 200, description = "The team", body = Team), ApiErrors)
)]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Team>> {
    let id = visible_team(&state, &caller, &id).await?;
    let team = state
        .store
        .team_by_id(id)
        .await?
        .ok_or(AppError::NotFound("team"))?;
    Ok(Json(team))
}

/// A team's members.
#[utoipa::path(
    get,
    path = "/api/v1/teams/{id}/members",
    tag = "teams",
    params(("id" = Uuid, Path, description = "The team's id")),
    responses((status = 200, description = "Members", body = DataList<Member>), ApiErrors)
)]
async fn members(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<DataList<Member>>> {
    let id = visible_team(&state, &caller, &id).await?;
    Ok(Json(DataList {
        data: state.store.list_members(id).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AddMember {
    /// The address to invite.
    email: String,
    role: Role,
}

/// A member and their role in the team.
#[derive(Serialize, ToSchema)]
struct MemberRole {
    user_id: Uuid,
    role: Role,
}

/// Invites an address into the team with a role (team admins). Nobody is enrolled
/// without consent: this creates an invite bound to the address, which an existing
/// account accepts (`POST /api/v1/auth/invites/accept`) and a new one registers with.
/// The answer is the same whether or not the address has an account.
#[utoipa::path(
    post,
    path = "/api/v1/teams/{id}/members",
    tag = "teams",
    params(("id" = Uuid, Path, description = "The team's id")),
    request_body = AddMember,
    responses((status = 202, description = "Invited: the invite, with its token", body = InviteView), ApiErrors)
)]
async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AddMember>,
) -> AppResult<(StatusCode, Json<InviteView>)> {
    let team = visible_team(&state, &caller, &id).await?;
    caller.require(Scope::Admin)?;
    let invite = invites::issue(
        &state,
        &caller,
        team,
        NewInviteBody {
            role: body.role,
            email: Some(body.email),
            expires_in_hours: None,
        },
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(invite)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SetRole {
    role: Role,
}

/// Changes a member's role (team admins).
#[utoipa::path(
    put,
    path = "/api/v1/teams/{id}/members/{user_id}",
    tag = "teams",
    params(
        ("id" = Uuid, Path, description = "The team's id"),
        ("user_id" = Uuid, Path, description = "The member's user id"),
    ),
    request_body = SetRole,
    responses((status = 200, description = "The member", body = MemberRole), ApiErrors)
)]
async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<SetRole>,
) -> AppResult<Json<MemberRole>> {
    let team = visible_team(&state, &caller, &id).await?;
    caller.require(Scope::Admin)?;
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
    Ok(Json(MemberRole {
        user_id,
        role: body.role,
    }))
}

/// Removes a member from the team (team admins).
#[utoipa::path(
    delete,
    path = "/api/v1/teams/{id}/members/{user_id}",
    tag = "teams",
    params(
        ("id" = Uuid, Path, description = "The team's id"),
        ("user_id" = Uuid, Path, description = "The member's user id"),
    ),
    responses((status = 204, description = "Removed"), ApiErrors)
)]
async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let team = visible_team(&state, &caller, &id).await?;
    caller.require(Scope::Admin)?;
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

/// A team's document retention.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RetentionBody {
    /// `keep`, or a duration such as `30d`, `12h`; `null` follows the instance's
    /// `TRAWL_DOCUMENTS_RETENTION`.
    documents: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct RetentionView {
    /// The team's own setting (`keep`, or seconds as a duration such as `2592000s`);
    /// `null` when it follows the instance's.
    documents: Option<String>,
    /// Seconds a document is kept under the setting in force; 0 keeps forever.
    effective_secs: u64,
}

/// Sets how long the team's stored documents are kept (team admins); older ones are
/// deleted by the maintenance loop.
#[utoipa::path(
    put,
    path = "/api/v1/teams/{id}/retention",
    tag = "teams",
    params(("id" = Uuid, Path, description = "The team's id")),
    request_body = RetentionBody,
    responses((status = 200, description = "The retention in force", body = RetentionView), ApiErrors)
)]
async fn set_retention(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RetentionBody>,
) -> AppResult<Json<RetentionView>> {
    caller.require(Scope::Admin)?;
    let team = visible_team(&state, &caller, &id).await?;
    let own = match body.documents.as_deref() {
        None => None,
        Some(v) => Some(
            crate::config::parse_retention(v)
                .map_err(|rule| AppError::invalid("documents", rule))?,
        ),
    };
    let secs = own.map(|s| i64::try_from(s).unwrap_or(i64::MAX));
    state.store.set_team_retention(team, secs).await?;
    let mut e = audit::by(
        audit::event(audit::RETENTION_CHANGED, &caller.meta),
        &caller,
    );
    e.team_id = Some(team);
    e.target = Some(format!("team:{team}"));
    e.reason = Some(match own {
        None => "documents follow the instance's retention".into(),
        Some(0) => "documents kept".into(),
        Some(s) => format!("documents kept {s} s"),
    });
    audit::record(state.store.as_ref(), e).await;
    Ok(Json(RetentionView {
        documents: own.map(|s| {
            if s == 0 {
                "keep".into()
            } else {
                format!("{s}s")
            }
        }),
        effective_secs: own.unwrap_or(state.config.jobs.documents_retention_secs),
    }))
}
