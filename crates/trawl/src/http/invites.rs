//! `/api/v1/teams/{id}/invites`: team admins invite people into the team with a role.
//! The token is shown once, at creation; whoever registers with it
//! (`POST /api/v1/auth/register {"invite": …}`), or accepts it signed in to an existing
//! account (`POST /api/v1/auth/invites/accept`), joins the team with that role. Invites
//! are single-use, expire, may be bound to one address, and can be revoked unused.

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
use super::openapi::{ApiErrors, DataList};
use super::teams::visible_team;
use super::AppState;
use crate::auth::{audit, keys, normalize_email, Caller, Role, Scope};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::identity::{Invite, NewInvite};

/// Lifetime bounds, in hours: default three days, at most thirty.
const DEFAULT_HOURS: u32 = 72;
const MAX_HOURS: u32 = 720;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

const TEAM_ID: &str = "The team's id";

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewInviteBody {
    pub role: Role,
    /// Only this address may redeem it.
    pub email: Option<String>,
    /// Default 72.
    #[schema(minimum = 1, maximum = 720)]
    pub expires_in_hours: Option<u32>,
}

/// An invite as the API shows it.
#[derive(Serialize, ToSchema)]
pub(super) struct InviteView {
    id: Uuid,
    team_id: Uuid,
    role: Role,
    email: Option<String>,
    /// `pending`, `used`, `expired` or `revoked`.
    state: &'static str,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    used_by: Option<Uuid>,
    revoked_at: Option<DateTime<Utc>>,
    /// The invite's secret: in the creation response only (only its hash is kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

fn invite_json(i: &Invite) -> InviteView {
    let state = if i.revoked_at.is_some() {
        "revoked"
    } else if i.used_at.is_some() {
        "used"
    } else if i.expires_at <= Utc::now() {
        "expired"
    } else {
        "pending"
    };
    InviteView {
        id: i.id,
        team_id: i.team_id,
        role: i.role,
        email: i.email.clone(),
        state,
        created_by: i.created_by,
        created_at: i.created_at,
        expires_at: i.expires_at,
        used_at: i.used_at,
        used_by: i.used_by,
        revoked_at: i.revoked_at,
        token: None,
    }
}

/// Invites someone into the team with a role (team admins); the token is in this
/// response only.
#[utoipa::path(
    post,
    path = "/api/v1/teams/{id}/invites",
    tag = "invites",
    params(("id" = Uuid, Path, description = TEAM_ID)),
    request_body = NewInviteBody,
    responses((status = 201, description = "The invite, with its token", body = InviteView), ApiErrors)
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewInviteBody>,
) -> AppResult<(StatusCode, Json<InviteView>)> {
    let team = visible_team(&state, &caller, &id).await?;
    caller.require(Scope::Admin)?;
    let invite = issue(&state, &caller, team, body).await?;
    Ok((StatusCode::CREATED, Json(invite)))
}

/// Creates an invite into `team` (whose admin rights the caller has been checked for)
/// and returns it with its token, shown this once.
pub(super) async fn issue(
    state: &AppState,
    caller: &Caller,
    team: Uuid,
    body: NewInviteBody,
) -> AppResult<InviteView> {
    let mut errors = Vec::new();
    let email = match body.email.as_deref().map(normalize_email) {
        Some(Ok(e)) => Some(e),
        Some(Err(rule)) => {
            errors.push(FieldError::new("email", rule));
            None
        }
        None => None,
    };
    let hours = FieldError::in_range(
        "expires_in_hours",
        body.expires_in_hours,
        DEFAULT_HOURS,
        MAX_HOURS,
    )
    .unwrap_or_else(|e| {
        errors.push(e);
        DEFAULT_HOURS
    });
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let token = format!("inv_{}", keys::opaque_token());
    let invite = state
        .store
        .create_invite(&NewInvite {
            id: Uuid::now_v7(),
            token_hash: keys::hash_token(&token),
            team_id: team,
            role: body.role,
            email,
            created_by: caller.user_id(),
            expires_at: Utc::now() + chrono::Duration::hours(i64::from(hours)),
        })
        .await?;
    let mut e = audit::by(audit::event(audit::INVITE_CREATED, &caller.meta), caller);
    e.team_id = Some(team);
    e.target = Some(format!("invite:{}", invite.id));
    e.reason = Some(format!("invited as {}", invite.role));
    audit::record(state.store.as_ref(), e).await;
    let mut out = invite_json(&invite);
    // Shown once: only its hash is kept.
    out.token = Some(token);
    Ok(out)
}

/// The team's invites, in every state (team admins).
#[utoipa::path(
    get,
    path = "/api/v1/teams/{id}/invites",
    tag = "invites",
    params(("id" = Uuid, Path, description = TEAM_ID)),
    responses((status = 200, description = "Invites", body = DataList<InviteView>), ApiErrors)
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<DataList<InviteView>>> {
    let team = visible_team(&state, &caller, &id).await?;
    caller.require(Scope::Admin)?;
    let invites = state.store.list_invites(team).await?;
    Ok(Json(DataList {
        data: invites.iter().map(invite_json).collect(),
    }))
}

/// Revokes an unused invite (team admins).
#[utoipa::path(
    delete,
    path = "/api/v1/teams/{id}/invites/{invite_id}",
    tag = "invites",
    params(
        ("id" = Uuid, Path, description = TEAM_ID),
        ("invite_id" = Uuid, Path, description = "The invite's id"),
    ),
    responses((status = 204, description = "Revoked"), ApiErrors)
)]
async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, invite_id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let team = visible_team(&state, &caller, &id).await?;
    caller.require(Scope::Admin)?;
    let invite_id = Uuid::parse_str(&invite_id).map_err(|_| AppError::NotFound("invite"))?;
    if !state.store.revoke_invite(invite_id, team).await? {
        return Err(AppError::NotFound("invite"));
    }
    let mut e = audit::by(audit::event(audit::INVITE_REVOKED, &caller.meta), &caller);
    e.team_id = Some(team);
    e.target = Some(format!("invite:{invite_id}"));
    audit::record(state.store.as_ref(), e).await;
    Ok(StatusCode::NO_CONTENT)
}
