//! `/api/v1/auth/*`: register, dashboard login and logout (session cookie), programmatic
//! tokens (JWT access + rotating refresh), password change, and `me`.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::ApiJson;
use super::openapi::ApiErrors;
use super::AppState;
use crate::auth::caller::{session_cookie, user_caller};
use crate::auth::rotation::privilege;
use crate::auth::throttle::FailureOutcome;
use crate::auth::{
    self, audit, jwt, keys, normalize_email, password, Caller, FirstAccount, RequestMeta, Role, Via,
};
use crate::config::Registration;
use crate::error::{AppError, AppResult};
use crate::secret::Secret;
use crate::store::identity::{NewSession, RefreshUse, SessionKind, User};
use crate::store::jobs::DEFAULT_TEAM;

/// Refresh tokens live a week; each use replaces it.
const REFRESH_TTL_DAYS: i64 = 7;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(token))
        .routes(routes!(refresh))
        .routes(routes!(change_password))
        .routes(routes!(me))
        .routes(routes!(default_team))
        .routes(routes!(accept_invite))
        .routes(routes!(csrf_token))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    #[schema(value_type = String, format = Password)]
    password: Secret,
    /// The team to act for; default: the account's default team
    /// (`PUT /api/v1/auth/default-team`).
    team_id: Option<Uuid>,
}

/// `POST /api/v1/auth/register` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    email: String,
    #[schema(value_type = String, format = Password)]
    password: Secret,
    /// An invite token (`POST /api/v1/teams/{id}/invites`): the account joins that
    /// team with the invite's role. Required when registration is `invite`.
    #[schema(value_type = Option<String>)]
    invite: Option<Secret>,
}

/// What registration answers, whether or not the address already had an account:
/// the answer never tells which emails exist. Sign in with the credentials to use it.
#[derive(Serialize, ToSchema)]
struct Registered {
    /// Always `accepted`.
    status: &'static str,
    /// The address, as normalised.
    email: String,
}

/// Creates an account: when registration is open, with an invite, or for the first
/// user, who becomes the instance admin (in development only: in staging and
/// production the first admin comes from `trawl users create-admin`). An address that
/// already has an account gets the same `202` as a new one, and nothing changes.
#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    tag = "auth",
    security(()),
    request_body = NewAccount,
    responses((status = 202, description = "Accepted: sign in to use the account", body = Registered), ApiErrors)
)]
async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<NewAccount>,
) -> AppResult<Response> {
    let mode = state.config.registration();
    let email = normalize_email(&body.email).map_err(|r| AppError::invalid("email", r))?;
    let password = body.password.expose().to_string();
    let store = state.store.as_ref();
    let invite = body.invite.as_ref().map(|t| keys::hash_token(t.expose()));
    // Anonymous requests never make the first admin where it matters.
    let first_allowed = if state.config.env.is_strict() {
        FirstAccount::Refused
    } else {
        FirstAccount::Allowed
    };
    let created = match (mode, invite) {
        // Closed means closed: only the first account, which becomes the admin.
        (Registration::Closed, _) | (Registration::Invite, None) => {
            let first = match first_allowed {
                FirstAccount::Refused => FirstAccount::Refused,
                _ => FirstAccount::Only,
            };
            auth::create_account(store, &email, password, None, first, None).await
        }
        (Registration::Open | Registration::Invite, Some(invite)) => {
            auth::create_account(store, &email, password, None, first_allowed, Some(invite)).await
        }
        (Registration::Open, None) => {
            // Anyone may join; a later account gets a team of its own (the first one
            // becomes instance admin and admin of `default` in the store).
            match auth::create_account(store, &email, password, None, first_allowed, None).await {
                Ok(user) if !user.is_admin => {
                    let team = Uuid::now_v7();
                    store.create_team(team, &email, Some(user.id)).await?;
                    store.set_default_team(user.id, Some(team)).await?;
                    Ok(user)
                }
                other => other,
            }
        }
    };
    let mut e = audit::event(audit::USER_CREATED, &meta);
    match created {
        Ok(user) => {
            e.actor_type = "user".into();
            e.actor_id = Some(user.id.to_string());
            e.target = Some(format!("user:{}", user.id));
            e.reason = Some(
                if body.invite.is_some() {
                    "registration with an invite"
                } else {
                    "self-registration"
                }
                .into(),
            );
        }
        // Taken: the same answer as a new account; only the audit log knows.
        Err(AppError::Conflict {
            code: "email_taken",
            ..
        }) => {
            e.outcome = "failure".into();
            e.reason = Some("registration for an address that has an account".into());
        }
        Err(other) => return Err(other),
    }
    audit::record(store, e).await;
    Ok((
        StatusCode::ACCEPTED,
        Json(Registered {
            status: "accepted",
            email,
        }),
    )
        .into_response())
}

/// An account as the auth endpoints show it.
#[derive(Serialize, ToSchema)]
struct UserView {
    id: Uuid,
    email: String,
    is_admin: bool,
    disabled: bool,
    created_at: chrono::DateTime<Utc>,
}

fn user_json(u: &User) -> UserView {
    UserView {
        id: u.id,
        email: u.email.clone(),
        is_admin: u.is_admin,
        disabled: u.disabled_at.is_some(),
        created_at: u.created_at,
    }
}

/// Checks email and password with throttling, same answer and timing whether or not
/// the account exists. Returns the user and the team to act for.
async fn check_password(
    state: &AppState,
    meta: &RequestMeta,
    body: &Credentials,
) -> AppResult<(User, Uuid, Role)> {
    // Attempts per client IP are capped by the rate limiter's `login` tier.
    let throttle = state.auth.throttle();
    // An invalid email is treated like an unknown one: no early, faster answer.
    let email = normalize_email(&body.email).unwrap_or_else(|_| body.email.to_lowercase());
    if let Err(wait) = throttle.check_account(&email) {
        return Err(AppError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    let user = state.store.user_by_email(&email).await?;
    let verified = password::verify(
        body.password.expose().to_string(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    let usable = user
        .as_ref()
        .filter(|u| verified.ok && u.disabled_at.is_none());
    let Some(user) = usable.cloned() else {
        let mut e = audit::event(audit::LOGIN_FAIL, meta);
        e.outcome = "failure".into();
        e.reason = Some(match &user {
            None => "unknown account".into(),
            Some(u) if u.disabled_at.is_some() => "account disabled".into(),
            Some(_) => "wrong password".into(),
        });
        if let Some(u) = &user {
            e.target = Some(format!("user:{}", u.id));
        }
        let target = e.target.clone();
        audit::record(state.store.as_ref(), e).await;
        if let FailureOutcome::Locked(lock) = throttle.record_failure(&email) {
            let mut e = audit::event(audit::LOGIN_LOCK, meta);
            e.outcome = "failure".into();
            e.target = target;
            e.reason = Some(format!(
                "locked for {} s after repeated failures",
                lock.as_secs()
            ));
            audit::record(state.store.as_ref(), e).await;
        }
        return Err(AppError::InvalidCredentials);
    };
    throttle.record_success(&email);
    if verified.needs_rehash {
        let hash = password::hash(body.password.expose().to_string()).await?;
        state.store.set_password_hash(user.id, &hash, false).await?;
    }
    let memberships = state.store.memberships_of(user.id).await?;
    let (team, role) = match body.team_id {
        Some(t) => match memberships.iter().find(|m| m.team.id == t) {
            Some(m) => (t, m.role),
            None if user.is_admin && state.store.team_by_id(t).await?.is_some() => (t, Role::Admin),
            None => return Err(AppError::invalid("team_id", "not a team of this account")),
        },
        // The team the user chose (or was given when the account was made); only for
        // accounts from before that choice existed, `default`, then the first team.
        None => match user
            .default_team_id
            .and_then(|d| memberships.iter().find(|m| m.team.id == d))
            .or_else(|| memberships.iter().find(|m| m.team.id == DEFAULT_TEAM))
            .or(memberships.first())
        {
            Some(m) => (m.team.id, m.role),
            None => (DEFAULT_TEAM, Role::Admin),
        },
    };
    if !user.is_admin && !memberships.iter().any(|m| m.team.id == team) {
        return Err(AppError::invalid(
            "team_id",
            "the account belongs to no team yet",
        ));
    }
    let mut e = audit::event(audit::LOGIN_SUCCESS, meta);
    e.actor_type = "user".into();
    e.actor_id = Some(user.id.to_string());
    e.team_id = Some(team);
    audit::record(state.store.as_ref(), e).await;
    Ok((user, team, role))
}

fn cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    state.auth.session_cookie_header(value, max_age)
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// What a dashboard login answers, besides the session cookie.
#[derive(Serialize, ToSchema)]
struct LoginView {
    user: UserView,
    team_id: Uuid,
    role: Role,
    /// Send it as `X-CSRF-Token` with every change made through the cookie.
    csrf_token: String,
    /// Seconds the session lives.
    expires_in: i64,
}

/// Dashboard login: a fresh session id (any session presented is ended: rotation).
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    security(()),
    request_body = Credentials,
    responses(
        (status = 200, description = "Logged in; the session is in the `__Host-trawl_session` cookie (`trawl_session` over plain HTTP in development)", body = LoginView),
        ApiErrors
    )
)]
async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Credentials>,
) -> AppResult<Response> {
    let (user, team, role) = check_password(&state, &meta, &body).await?;
    if let Some(old) = session_cookie(&headers, state.auth.session_cookie_name()) {
        if let Some(s) = state
            .store
            .session_by_hash(&keys::hash_token(&old), SessionKind::Browser)
            .await?
        {
            state.store.revoke_session(s.id).await?;
        }
    }
    let token = keys::opaque_token();
    let csrf = state.auth.csrf().token_for(&token);
    let absolute = state.auth.settings().session_absolute_secs as i64;
    let session_id = Uuid::now_v7();
    state
        .store
        .create_session(&NewSession {
            id: session_id,
            token_hash: keys::hash_token(&token),
            kind: SessionKind::Browser,
            user_id: user.id,
            team_id: Some(team),
            family_id: None,
            csrf_token: Some(csrf.clone()),
            ip: meta.ip.map(|i| i.to_string()),
            user_agent: meta.user_agent.clone(),
            expires_at: Utc::now() + chrono::Duration::seconds(absolute),
            privilege: Some(privilege(user.is_admin, role)),
        })
        .await?;
    let mut r = Json(LoginView {
        user: user_json(&user),
        team_id: team,
        role,
        csrf_token: csrf,
        expires_in: absolute,
    })
    .into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&state, &token, state.auth.session_idle_secs()),
    );
    Ok(no_store(r))
}

/// Ends the credential's session: the cookie session, or for a bearer access token its
/// whole refresh-token family, after which neither the access token nor any refresh
/// token of the family is accepted. A key has no session to end.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    responses((status = 204, description = "Logged out"), ApiErrors)
)]
async fn logout(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    let ended = match (caller.via, caller.token_family) {
        (Via::Session, _) => {
            state.store.revoke_session(caller.credential_id).await?;
            true
        }
        (Via::Jwt, Some(family)) => {
            state.store.revoke_family(family).await?;
            true
        }
        _ => false,
    };
    if ended {
        let mut e = audit::by(audit::event(audit::SESSION_REVOKED, &caller.meta), &caller);
        e.reason = Some("logout".into());
        audit::record(state.store.as_ref(), e).await;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, cookie(&state, "", 0));
    Ok(r)
}

/// An access token and its refresh token.
#[derive(Serialize, ToSchema)]
struct TokensView {
    access_token: String,
    /// Always `Bearer`.
    token_type: String,
    /// Seconds the access token lives.
    expires_in: i64,
    /// Single use: each refresh answers a new one.
    refresh_token: String,
    refresh_expires_in: i64,
    team_id: Uuid,
    jti: Uuid,
}

/// Issues an access token and a refresh token of `family`.
async fn issue_tokens(
    state: &AppState,
    meta: &RequestMeta,
    user: Uuid,
    team: Uuid,
    family: Uuid,
) -> AppResult<Response> {
    let (access, claims) = state.auth.jwt().issue(user, team, family)?;
    let refresh = keys::opaque_token();
    state
        .store
        .create_session(&NewSession {
            id: Uuid::now_v7(),
            token_hash: keys::hash_token(&refresh),
            kind: SessionKind::Refresh,
            user_id: user,
            team_id: Some(team),
            family_id: Some(family),
            csrf_token: None,
            ip: meta.ip.map(|i| i.to_string()),
            user_agent: meta.user_agent.clone(),
            expires_at: Utc::now() + chrono::Duration::days(REFRESH_TTL_DAYS),
            privilege: None,
        })
        .await?;
    Ok(no_store(
        Json(TokensView {
            access_token: access,
            token_type: "Bearer".into(),
            expires_in: jwt::ACCESS_TTL_SECS,
            refresh_token: refresh,
            refresh_expires_in: REFRESH_TTL_DAYS * 86400,
            team_id: team,
            jti: claims.jti,
        })
        .into_response(),
    ))
}

/// A JWT access token and a refresh token for programs that act as a user.
#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    tag = "auth",
    security(()),
    request_body = Credentials,
    responses((status = 200, description = "Tokens", body = TokensView), ApiErrors)
)]
async fn token(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<Credentials>,
) -> AppResult<Response> {
    let (user, team, _) = check_password(&state, &meta, &body).await?;
    let family = Uuid::now_v7();
    let mut e = audit::event(audit::TOKEN_CREATED, &meta);
    e.actor_type = "user".into();
    e.actor_id = Some(user.id.to_string());
    e.team_id = Some(team);
    e.target = Some(format!("token_family:{family}"));
    audit::record(state.store.as_ref(), e).await;
    issue_tokens(&state, &meta, user.id, team, family).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    #[schema(value_type = String)]
    refresh_token: Secret,
}

/// What a refused refresh says: the same for an unknown, expired, revoked or spent token.
const BAD_REFRESH: &str =
    "the refresh token is not valid: it is unknown, expired or already used; sign in again";

/// Trades a refresh token for new tokens. Presenting a spent one revokes its family.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    security(()),
    request_body = RefreshBody,
    responses((status = 200, description = "New tokens", body = TokensView), ApiErrors)
)]
async fn refresh(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<RefreshBody>,
) -> AppResult<Response> {
    let hash = keys::hash_token(body.refresh_token.expose());
    match state.store.use_refresh_token(&hash).await? {
        RefreshUse::Fresh(s) => {
            let team = s.team_id.unwrap_or(DEFAULT_TEAM);
            // The account must still be enabled and in the team.
            user_caller(&state, s.user_id, team, Via::Jwt, s.id).await?;
            let family = s.family_id.unwrap_or_else(Uuid::now_v7);
            issue_tokens(&state, &meta, s.user_id, team, family).await
        }
        // Revoked (by logout, a password change or an earlier reuse) but never spent.
        RefreshUse::Spent(s) if s.used_at.is_none() => Err(AppError::BadCredential(BAD_REFRESH)),
        RefreshUse::Spent(s) => {
            if let Some(family) = s.family_id {
                state.store.revoke_family(family).await?;
            }
            let mut e = audit::event(audit::TOKEN_REUSE, &meta);
            e.actor_type = "user".into();
            e.actor_id = Some(s.user_id.to_string());
            e.team_id = s.team_id;
            e.outcome = "failure".into();
            e.target = s.family_id.map(|f| format!("token_family:{f}"));
            e.reason = Some("a spent refresh token was presented; its family is revoked".into());
            audit::record(state.store.as_ref(), e).await;
            Err(AppError::BadCredential(BAD_REFRESH))
        }
        RefreshUse::Unknown => Err(AppError::BadCredential(BAD_REFRESH)),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    #[schema(value_type = String, format = Password)]
    current_password: Secret,
    #[schema(value_type = String, format = Password)]
    new_password: Secret,
}

/// Changes the caller's password and ends every session and refresh token they have.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password",
    tag = "auth",
    request_body = PasswordBody,
    responses((status = 204, description = "Changed; every session is ended"), ApiErrors)
)]
async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PasswordBody>,
) -> AppResult<Response> {
    let user_id = caller.require_user()?;
    let user = state
        .store
        .user_by_id(user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let verified = password::verify(
        body.current_password.expose().to_string(),
        Some(user.password_hash),
    )
    .await?;
    if !verified.ok {
        return Err(AppError::invalid("current_password", "is wrong"));
    }
    password::check_new(body.new_password.expose())
        .map_err(|r| AppError::invalid("new_password", r))?;
    let hash = password::hash(body.new_password.expose().to_string()).await?;
    state.store.set_password_hash(user_id, &hash, true).await?;
    let mut e = audit::by(audit::event(audit::PASSWORD_CHANGED, &caller.meta), &caller);
    e.target = Some(format!("user:{user_id}"));
    audit::record(state.store.as_ref(), e).await;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, cookie(&state, "", 0));
    Ok(r)
}

#[derive(Serialize, ToSchema)]
struct CsrfView {
    csrf_token: String,
}

/// The CSRF token of the caller's session, for a page that has lost the one the login
/// response carried.
#[utoipa::path(
    get,
    path = "/api/v1/auth/csrf",
    tag = "auth",
    responses((status = 200, description = "The session's CSRF token", body = CsrfView), ApiErrors)
)]
async fn csrf_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
) -> AppResult<Response> {
    if caller.via != Via::Session {
        return Err(AppError::invalid(
            "credential",
            "a CSRF token belongs to a cookie session; keys and bearer tokens need none",
        ));
    }
    let token =
        session_cookie(&headers, state.auth.session_cookie_name()).ok_or(AppError::Unauthorized)?;
    Ok(no_store(
        Json(CsrfView {
            csrf_token: state.auth.csrf().token_for(&token),
        })
        .into_response(),
    ))
}

/// Who the credential is.
#[derive(Serialize, ToSchema)]
struct MeView {
    /// `user` or `api_key`.
    kind: String,
    id: Uuid,
    team_id: Uuid,
    role: Role,
    scopes: Vec<crate::auth::Scope>,
    is_instance_admin: bool,
}

/// The caller: a user or a key, its team, role and scopes.
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    tag = "auth",
    responses((status = 200, description = "The caller", body = MeView), ApiErrors)
)]
async fn me(caller: Caller) -> Json<MeView> {
    let (kind, id) = match caller.principal {
        auth::Principal::User { id } => ("user", id),
        auth::Principal::ApiKey { id, .. } => ("api_key", id),
    };
    Json(MeView {
        kind: kind.into(),
        id,
        team_id: caller.team_id,
        role: caller.role,
        scopes: caller.scopes,
        is_instance_admin: caller.is_instance_admin,
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DefaultTeamBody {
    /// A team the caller is a member of.
    team_id: Uuid,
}

/// Chooses where the caller's logins and tokens act when they name no `team_id`.
#[utoipa::path(
    put,
    path = "/api/v1/auth/default-team",
    tag = "auth",
    request_body = DefaultTeamBody,
    responses((status = 204, description = "Chosen"), ApiErrors)
)]
async fn default_team(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<DefaultTeamBody>,
) -> AppResult<StatusCode> {
    let user_id = caller.require_user()?;
    if state
        .store
        .role_in_team(user_id, body.team_id)
        .await?
        .is_none()
    {
        return Err(AppError::invalid("team_id", "not a team of this account"));
    }
    state
        .store
        .set_default_team(user_id, Some(body.team_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AcceptInviteBody {
    /// The invite's token (`inv_…`).
    #[schema(value_type = String)]
    invite: Secret,
}

/// The team an accepted invite joined, with the role it gave.
#[derive(Serialize, ToSchema)]
struct Joined {
    team_id: Uuid,
    role: Role,
}

/// Joins a team with an invite, as the signed-in user: the only way an existing account
/// enters a team, so nobody is enrolled without their consent. The caller's default
/// team does not change.
#[utoipa::path(
    post,
    path = "/api/v1/auth/invites/accept",
    tag = "auth",
    request_body = AcceptInviteBody,
    responses((status = 200, description = "Joined", body = Joined), ApiErrors)
)]
async fn accept_invite(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<AcceptInviteBody>,
) -> AppResult<Json<Joined>> {
    let user_id = caller.require_user()?;
    let user = state
        .store
        .user_by_id(user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let (team_id, role) = state
        .store
        .accept_invite(
            &keys::hash_token(body.invite.expose()),
            user_id,
            &user.email,
        )
        .await?;
    let mut e = audit::by(audit::event(audit::ROLE_CHANGED, &caller.meta), &caller);
    e.team_id = Some(team_id);
    e.target = Some(format!("user:{user_id}"));
    e.reason = Some(format!("joined with an invite as {role}"));
    audit::record(state.store.as_ref(), e).await;
    Ok(Json(Joined { team_id, role }))
}
