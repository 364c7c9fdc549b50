//! [`Caller`]: the one extractor through which every endpoint authenticates.
//!
//! Accepted credentials, first match wins:
//! 1. `Authorization: Bearer <key or JWT>`: a `trawl_…` API key (what Firecrawl clients
//!    send), or a JWT access token from `POST /api/v1/auth/token`;
//! 2. `X-API-Key: <key>`;
//! 3. `?api_key=<key>`, only with `auth.allow_query_api_key` (the query string is never
//!    logged);
//! 4. the dashboard session cookie (`__Host-trawl_session`, or `trawl_session` over plain
//!    HTTP in development). Unsafe methods must then
//!    pass the CSRF check (`http::middleware::csrf`) before they get here.
//!
//! The rate limiter authenticates the caller first (its budget is per key or user) and
//! leaves the `Caller` in the request's extensions; the extractor then reuses it.
//!
//! A key with a bad prefix or checksum is refused before any database work. Key
//! lookups are remembered for at most one second, so revocation takes effect on every
//! node within a second without a database round trip per request.
//!
//! Usage (a missing or bad credential is a 401 before the handler runs):
//!
//! ```ignore
//! async fn h(caller: Caller, State(s): State<AppState>) -> AppResult<Json<Value>> {
//!     caller.require(Scope::Scrape)?;   // 403 below the scope's role or without it
//!     let team = caller.team_id;              // everything is scoped to this team;
//!     …                                       // another team's row answers 404
//! }
//! ```
//! `Option<Caller>` never rejects (anonymous is `None`; a bad credential is still 401).
//! A surface with its own error shape (Firecrawl's `/v2`) extracts
//! `Result<Caller, AppError>` and renders the refusal itself: `AppError::status()` and
//! `code()` say 401 `unauthorized` or 403 `forbidden`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Uri};
use chrono::Utc;
use uuid::Uuid;

use super::roles::{Role, Scope};
use super::rotation::{self, Rotated, RotationSlot};
use super::{audit, jwt, keys, Auth};
use crate::error::AppError;
use crate::http::AppState;
use crate::store::identity::{KeyCredential, NewSession, Session, SessionKind};

/// Who is calling, for what team, with which rights.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The team every resource this request touches must belong to.
    pub team_id: Uuid,
    /// The role in that team (for a key: its role ceiling).
    pub role: Role,
    /// Effective scopes: a key's own, a user's from their role.
    pub scopes: Vec<Scope>,
    /// Manages every team (the first account, and those it promotes).
    pub is_instance_admin: bool,
    pub via: Via,
    /// The key, session or token id used: recorded in the audit log.
    pub credential_id: Uuid,
    /// For a JWT access token, the refresh-token family it belongs to (what logout ends).
    pub token_family: Option<Uuid>,
    /// Where the request came from.
    pub meta: RequestMeta,
    /// Where refusals are recorded (`authz_fail`).
    audit_to: Option<AuditSink>,
}

/// The store, kept so that a refusal can be audited from a synchronous check.
#[derive(Clone)]
struct AuditSink(Arc<dyn crate::store::Store>);

impl std::fmt::Debug for AuditSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditSink")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    User { id: Uuid },
    ApiKey { id: Uuid, created_by: Option<Uuid> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    ApiKey,
    Jwt,
    Session,
}

impl Caller {
    /// The one authorization check every team route makes: 403 unless the caller's role
    /// in the team reaches the least role `scope` needs **and** the credential holds
    /// `scope`. Role and scope are never checked apart, so a key with an `admin` ceiling
    /// but only `["scrape"]` cannot administer the team. Instance admins (users only,
    /// never keys) pass every check.
    pub fn require(&self, scope: Scope) -> Result<(), AppError> {
        if self.is_instance_admin {
            return Ok(());
        }
        let needs = scope.min_role();
        if self.role < needs {
            return Err(self.refuse(format!(
                "this needs the role {needs} or higher (for `{scope}`); this credential acts as {}",
                self.role
            )));
        }
        if !self.scopes.contains(&scope) {
            return Err(self.refuse(format!(
                "this needs the scope `{scope}`, which this credential does not hold"
            )));
        }
        Ok(())
    }

    /// 403 unless the caller is an instance admin.
    pub fn require_instance_admin(&self) -> Result<(), AppError> {
        if self.is_instance_admin {
            Ok(())
        } else {
            Err(self.refuse("this needs an instance admin".into()))
        }
    }

    /// 403 unless the caller is a user (not a key): for account and session actions.
    pub fn require_user(&self) -> Result<Uuid, AppError> {
        match self.principal {
            Principal::User { id } => Ok(id),
            Principal::ApiKey { .. } => Err(self.refuse(
                "this is an account action: sign in as the user, an API key cannot do it".into(),
            )),
        }
    }

    /// Records `authz_fail` (without waiting for the write) and returns 403 with
    /// `reason`, which speaks only of the caller's own rights.
    pub fn refuse(&self, reason: String) -> AppError {
        if let Some(AuditSink(store)) = &self.audit_to {
            let mut e = audit::by(audit::event(audit::AUTHZ_FAIL, &self.meta), self);
            e.outcome = "failure".into();
            e.reason = Some(reason.clone());
            let store = store.clone();
            tokio::spawn(async move { audit::record(store.as_ref(), e).await });
        }
        AppError::Forbidden(reason)
    }

    /// The user behind the request: the account itself, or the creator of the key.
    pub fn user_id(&self) -> Option<Uuid> {
        match self.principal {
            Principal::User { id } => Some(id),
            Principal::ApiKey { created_by, .. } => created_by,
        }
    }

    /// Whether the caller may act on `team` (its own team, or any as instance admin).
    pub fn can_see_team(&self, team: Uuid) -> bool {
        self.is_instance_admin || self.team_id == team
    }
}

/// Where a request came from, for the audit log and throttling.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl RequestMeta {
    pub fn of(parts: &Parts, state: &AppState) -> RequestMeta {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let ip = crate::edge::client_ip::client_ip(
            peer,
            &parts.headers,
            &state.config.server.trusted_proxies,
        );
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(256).collect());
        RequestMeta { ip, user_agent }
    }
}

impl FromRequestParts<AppState> for RequestMeta {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(RequestMeta::of(parts, state))
    }
}

// What a 401 says when a credential was presented: which kind failed and what to do,
// never whether a particular key, token or account exists.
const MALFORMED_HEADER: &str =
    "the Authorization header is malformed: expected `Bearer <API key or access token>`";
const NOT_A_CREDENTIAL: &str =
    "the bearer value is neither an API key (`trawl_…`) nor an access token";
const BAD_KEY: &str = "the API key is not valid: it is unknown, revoked or expired, or the \
     member who made it has left the team or been disabled";
const BAD_TOKEN: &str = "the access token is not valid: it has expired or its session ended \
     (logout or a password change); refresh it or sign in again";
const BAD_SESSION: &str = "the session has ended: sign in again";
const NO_ACCOUNT: &str =
    "the account behind this credential is disabled or no longer a member of the team";

/// The credential a request presents, before it is checked.
enum Presented {
    Key(String),
    Jwt(String),
    Session(String),
}

fn presented(parts: &Parts, auth: &Auth) -> Result<Option<Presented>, AppError> {
    presented_in(&parts.headers, &parts.uri, auth)
}

fn presented_in(h: &HeaderMap, uri: &Uri, auth: &Auth) -> Result<Option<Presented>, AppError> {
    if let Some(v) = h.get(header::AUTHORIZATION) {
        let malformed = || AppError::BadCredential(MALFORMED_HEADER);
        let v = v.to_str().map_err(|_| malformed())?;
        let (scheme, token) = v.split_once(' ').ok_or_else(malformed)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(malformed());
        }
        let token = token.trim();
        return Ok(Some(if token.starts_with(keys::PREFIX) {
            Presented::Key(token.to_string())
        } else if jwt::looks_like_jwt(token) {
            Presented::Jwt(token.to_string())
        } else {
            return Err(AppError::BadCredential(NOT_A_CREDENTIAL));
        }));
    }
    if let Some(v) = h.get("x-api-key") {
        let v = v.to_str().map_err(|_| AppError::BadCredential(BAD_KEY))?;
        return Ok(Some(Presented::Key(v.trim().to_string())));
    }
    if auth.settings().allow_query_api_key {
        if let Some(q) = uri.query() {
            if let Some(k) = url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "api_key")
                .map(|(_, v)| v.into_owned())
            {
                return Ok(Some(Presented::Key(k)));
            }
        }
    }
    Ok(session_cookie(h, auth.session_cookie_name()).map(Presented::Session))
}

/// The session token when the session cookie is the credential this request would be
/// authenticated by (no key or bearer token takes precedence over it).
pub fn session_credential(h: &HeaderMap, uri: &Uri, auth: &Auth) -> Option<String> {
    match presented_in(h, uri, auth) {
        Ok(Some(Presented::Session(s))) => Some(s),
        _ => None,
    }
}

/// Authenticates the request for the edge layers, leaving the `Caller` in the
/// extensions for the handler. `None` for anonymous requests and failed credentials
/// (the handler's extractor then gives the proper refusal).
pub async fn resolve_for_edge(parts: &mut Parts, state: &AppState) -> Option<Caller> {
    let p = presented(parts, &state.auth).ok()??;
    let caller = authenticate(p, parts, state).await.ok()?;
    parts.extensions.insert(caller.clone());
    Some(caller)
}

/// The value of the session cookie `name`, if the request carries one.
pub fn session_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        match presented(parts, &state.auth)? {
            Some(p) => authenticate(p, parts, state).await,
            None => Err(AppError::Unauthorized),
        }
    }
}

impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, AppError> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(Some(c.clone()));
        }
        match presented(parts, &state.auth)? {
            Some(p) => authenticate(p, parts, state).await.map(Some),
            None => Ok(None),
        }
    }
}

async fn authenticate(p: Presented, parts: &Parts, state: &AppState) -> Result<Caller, AppError> {
    let mut caller = match p {
        Presented::Key(k) => by_key(&k, state).await,
        Presented::Jwt(t) => by_jwt(&t, state).await,
        Presented::Session(s) => by_session(&s, parts, state).await,
    }?;
    caller.meta = RequestMeta::of(parts, state);
    caller.audit_to = Some(AuditSink(state.store.clone()));
    Ok(caller)
}

async fn by_key(key: &str, state: &AppState) -> Result<Caller, AppError> {
    if !keys::is_well_formed(key) {
        return Err(AppError::BadCredential(BAD_KEY));
    }
    let hash = keys::hash_token(key);
    let auth = &state.auth;
    let cred = match auth.cached_key(&hash) {
        Some(c) => c,
        None => {
            let c = state.store.api_key_by_hash(&hash).await?.map(Arc::new);
            auth.remember_key(hash.clone(), c.clone());
            c
        }
    };
    let cred: Arc<KeyCredential> = cred.ok_or(AppError::BadCredential(BAD_KEY))?;
    let k = &cred.key;
    if k.revoked_at.is_some()
        || cred.creator_disabled
        || k.expires_at.is_some_and(|t| t <= Utc::now())
    {
        return Err(AppError::BadCredential(BAD_KEY));
    }
    // A key never does more than the member who made it may do today.
    let role = cred
        .effective_role()
        .ok_or(AppError::BadCredential(BAD_KEY))?;
    if auth.touch_due(k.id) {
        let store = state.store.clone();
        let id = k.id;
        tokio::spawn(async move {
            if let Err(e) = store.touch_api_key(id).await {
                tracing::warn!(error = %e, "cannot record key use");
            }
        });
    }
    Ok(Caller {
        principal: Principal::ApiKey {
            id: k.id,
            created_by: k.created_by,
        },
        team_id: k.team_id,
        role,
        scopes: k
            .scopes
            .iter()
            .copied()
            .filter(|s| s.min_role() <= role)
            .collect(),
        is_instance_admin: false,
        via: Via::ApiKey,
        credential_id: k.id,
        token_family: None,
        meta: RequestMeta::default(),
        audit_to: None,
    })
}

async fn by_jwt(token: &str, state: &AppState) -> Result<Caller, AppError> {
    let claims = state
        .auth
        .jwt()
        .verify(token)
        .ok_or(AppError::BadCredential(BAD_TOKEN))?;
    // An access token lives only as long as its refresh family: logout, a password
    // change or a replayed refresh token end it at once, not at its expiry.
    if !state.store.token_family_live(claims.fam).await? {
        return Err(AppError::BadCredential(BAD_TOKEN));
    }
    let mut caller = user_caller(state, claims.sub, claims.team, Via::Jwt, claims.jti).await?;
    caller.token_family = Some(claims.fam);
    Ok(caller)
}

/// A user acting for `team`: checks the account is enabled and still a member.
pub(crate) async fn user_caller(
    state: &AppState,
    user_id: Uuid,
    team_id: Uuid,
    via: Via,
    credential_id: Uuid,
) -> Result<Caller, AppError> {
    let user = state
        .store
        .user_by_id(user_id)
        .await?
        .ok_or(AppError::BadCredential(NO_ACCOUNT))?;
    if user.disabled_at.is_some() {
        return Err(AppError::BadCredential(NO_ACCOUNT));
    }
    let role = match state.store.role_in_team(user_id, team_id).await? {
        Some(r) => r,
        None if user.is_admin => Role::Admin,
        None => return Err(AppError::BadCredential(NO_ACCOUNT)),
    };
    Ok(Caller {
        principal: Principal::User { id: user_id },
        team_id,
        role,
        scopes: role.scopes(),
        is_instance_admin: user.is_admin,
        via,
        credential_id,
        token_family: None,
        meta: RequestMeta::default(),
        audit_to: None,
    })
}

async fn by_session(token: &str, parts: &Parts, state: &AppState) -> Result<Caller, AppError> {
    let hash = keys::hash_token(token);
    let s = state
        .store
        .session_by_hash(&hash, SessionKind::Browser)
        .await?
        .ok_or(AppError::BadCredential(BAD_SESSION))?;
    let now = Utc::now();
    let idle = state.auth.session_idle_secs();
    if !rotation::usable(&s, idle) {
        return Err(AppError::BadCredential(BAD_SESSION));
    }
    let team = s.team_id.unwrap_or(crate::store::jobs::DEFAULT_TEAM);
    let caller = user_caller(state, s.user_id, team, Via::Session, s.id).await?;
    let held = rotation::privilege(caller.is_instance_admin, caller.role);
    if s.privilege.as_deref().is_some_and(|p| p != held) {
        if let Some(slot) = parts.extensions.get::<RotationSlot>() {
            return rotate(state, &s, caller, held, slot).await;
        }
    }
    // Idle time is tracked to the minute: one write a minute per active session, and
    // then the cookie's lifetime is renewed to the idle limit with it.
    if now - s.last_seen_at > chrono::Duration::seconds(60) {
        state.store.touch_session(s.id).await?;
        if let Some(slot) = parts.extensions.get::<RotationSlot>() {
            slot.fill(Rotated {
                token: token.to_string(),
                csrf: state.auth.csrf().token_for(token),
                max_age: idle.min((s.expires_at - now).num_seconds()).max(1),
            });
        }
    }
    Ok(caller)
}

/// Replaces the session behind `caller`, whose privileges changed, by a new one with
/// the same team and end of life; the response carries the new cookie.
async fn rotate(
    state: &AppState,
    old: &Session,
    mut caller: Caller,
    privilege: String,
    slot: &RotationSlot,
) -> Result<Caller, AppError> {
    let token = keys::opaque_token();
    let csrf = state.auth.csrf().token_for(&token);
    let new = NewSession {
        id: Uuid::now_v7(),
        token_hash: keys::hash_token(&token),
        kind: SessionKind::Browser,
        user_id: old.user_id,
        team_id: old.team_id,
        family_id: None,
        csrf_token: Some(csrf.clone()),
        ip: None,
        user_agent: None,
        expires_at: old.expires_at,
        privilege: Some(privilege),
    };
    // A concurrent request may have rotated it first: this one is still served under
    // the current privileges (recomputed above), without a second new id.
    if state.store.rotate_session(old.id, &new).await? {
        caller.credential_id = new.id;
        slot.fill(Rotated {
            token,
            csrf,
            max_age: state
                .auth
                .session_idle_secs()
                .min((old.expires_at - Utc::now()).num_seconds())
                .max(1),
        });
    }
    Ok(caller)
}
