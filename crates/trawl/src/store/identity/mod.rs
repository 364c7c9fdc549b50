//! Identity storage: users, teams and memberships, API keys, sessions and refresh
//! tokens, and the audit log's hash chain. The rules that use it live in `crate::auth`.
//!
//! Secrets never reach this layer in clear: keys, sessions and refresh tokens arrive as
//! SHA-256 hashes, passwords as argon2id hashes.

mod postgres;
mod rows;
mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{StoreError, StoreResult};
use crate::auth::{Role, Scope};

/// The first row's `prev_hash`.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    #[serde(skip)]
    pub password_hash: String,
    /// Instance admin: manages every team.
    pub is_admin: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    /// A membership to create with the account.
    pub team: Option<(Uuid, Role)>,
    /// Refuse (`registration_closed`) unless this is the instance's first account.
    pub only_if_first: bool,
    /// The hash of an invite token to redeem with the account: its team and role become
    /// the account's membership, in the same transaction (`invite_invalid` if the
    /// invite is unknown, spent, revoked, expired or for another address).
    pub invite: Option<String>,
}

/// An invitation into a team. The token is never stored, only its hash.
#[derive(Debug, Clone, Serialize)]
pub struct Invite {
    pub id: Uuid,
    pub team_id: Uuid,
    pub role: Role,
    pub email: Option<String>,
    pub created_by: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub used_by: Option<Uuid>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewInvite {
    pub id: Uuid,
    pub token_hash: String,
    pub team_id: Uuid,
    pub role: Role,
    pub email: Option<String>,
    pub created_by: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A user's place in one team.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Membership {
    pub team: Team,
    pub role: Role,
}

/// A team's member, for listings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Member {
    pub user_id: Uuid,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    pub team_id: Uuid,
    pub name: String,
    /// The first characters of the key, to tell keys apart; never enough to use it.
    pub prefix: String,
    pub role: Role,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: Uuid,
    pub team_id: Uuid,
    pub name: String,
    pub hash: String,
    pub prefix: String,
    pub role: Role,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
}

/// A key found by its hash, with what decides whether it may still be used.
#[derive(Debug, Clone)]
pub struct KeyCredential {
    pub key: ApiKey,
    /// The user who created it has been disabled: the key stops working with them.
    pub creator_disabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A dashboard session (cookie).
    Browser,
    /// A refresh token for `POST /api/v1/auth/refresh`.
    Refresh,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::Refresh => "refresh",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub team_id: Option<Uuid>,
    pub family_id: Option<Uuid>,
    pub csrf_token: Option<String>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The privileges a browser session was issued under (see `auth::caller`).
    pub privilege: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: Uuid,
    pub token_hash: String,
    pub kind: SessionKind,
    pub user_id: Uuid,
    pub team_id: Option<Uuid>,
    pub family_id: Option<Uuid>,
    pub csrf_token: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub privilege: Option<String>,
}

/// What presenting a refresh token found.
#[derive(Debug, Clone)]
pub enum RefreshUse {
    /// Valid and now spent.
    Fresh(Session),
    /// Already spent or revoked: someone replays it. The caller revokes the family.
    Spent(Session),
    /// No such token, or expired.
    Unknown,
}

/// One audit event, as the application describes it.
#[derive(Debug, Clone, Default)]
pub struct NewAudit {
    pub event: String,
    pub request_id: Option<String>,
    /// `user`, `api_key`, `system` or `anonymous`.
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub credential_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub team_id: Option<Uuid>,
    pub target: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    pub reason: Option<String>,
    pub details: Option<Value>,
}

/// A stored audit row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditRecord {
    pub seq: i64,
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub request_id: Option<String>,
    pub event: String,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub credential_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub team_id: Option<Uuid>,
    pub target: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub details: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    /// Builds the row that follows `prev_hash`, hash included.
    pub fn chained(a: &NewAudit, prev_hash: String) -> AuditRecord {
        let mut r = AuditRecord {
            seq: 0,
            id: Uuid::now_v7(),
            occurred_at: Utc::now().trunc_subsecs(3),
            request_id: a.request_id.clone(),
            event: a.event.clone(),
            actor_type: a.actor_type.clone(),
            actor_id: a.actor_id.clone(),
            credential_id: a.credential_id.clone(),
            source_ip: a.source_ip.clone(),
            user_agent: a.user_agent.clone(),
            team_id: a.team_id,
            target: a.target.clone(),
            outcome: a.outcome.clone(),
            reason: a.reason.clone(),
            details: a
                .details
                .clone()
                .unwrap_or_else(|| Value::Object(Default::default())),
            prev_hash,
            hash: String::new(),
        };
        r.hash = r.content_hash();
        r
    }

    /// SHA-256 over every field but `seq` and `hash`, and the previous row's hash: an
    /// edited row no longer matches its hash, a deleted one breaks the next row's link.
    pub fn content_hash(&self) -> String {
        let canonical = serde_json::json!([
            self.id,
            self.occurred_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            self.request_id,
            self.event,
            self.actor_type,
            self.actor_id,
            self.credential_id,
            self.source_ip,
            self.user_agent,
            self.team_id,
            self.target,
            self.outcome,
            self.reason,
            // serde_json's maps are sorted, so JSONB's key order does not matter.
            self.details,
            self.prev_hash,
        ]);
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub team_id: Option<Uuid>,
    pub actor_id: Option<String>,
    pub event: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Rows with `seq` below this (newest first paging).
    pub before_seq: Option<i64>,
    pub limit: u32,
}

#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Creates an account. The instance's first account becomes an instance admin and
    /// admin of team `default`, decided in the same transaction as the insert.
    async fn create_user(&self, u: &NewUser) -> StoreResult<User>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    async fn user_by_id(&self, id: Uuid) -> StoreResult<Option<User>>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    async fn set_instance_admin(&self, id: Uuid, admin: bool) -> StoreResult<()>;
    /// Disabling also ends every session and refresh token of the user.
    async fn set_user_disabled(&self, id: Uuid, disabled: bool) -> StoreResult<User>;
    /// Stores a new password hash; `end_sessions` ends every session and refresh token.
    async fn set_password_hash(&self, id: Uuid, hash: &str, end_sessions: bool) -> StoreResult<()>;

    async fn create_team(&self, id: Uuid, name: &str, admin: Option<Uuid>) -> StoreResult<Team>;
    async fn team_by_id(&self, id: Uuid) -> StoreResult<Option<Team>>;
    async fn team_by_name(&self, name: &str) -> StoreResult<Option<Team>>;
    async fn list_teams(&self) -> StoreResult<Vec<Team>>;
    async fn memberships_of(&self, user_id: Uuid) -> StoreResult<Vec<Membership>>;
    async fn role_in_team(&self, user_id: Uuid, team_id: Uuid) -> StoreResult<Option<Role>>;
    /// Adds a member or changes their role.
    async fn set_member(&self, team_id: Uuid, user_id: Uuid, role: Role) -> StoreResult<()>;
    async fn remove_member(&self, team_id: Uuid, user_id: Uuid) -> StoreResult<bool>;
    async fn list_members(&self, team_id: Uuid) -> StoreResult<Vec<Member>>;

    async fn create_api_key(&self, k: &NewApiKey) -> StoreResult<ApiKey>;
    /// Keys of one team, or of every team.
    async fn list_api_keys(&self, team_id: Option<Uuid>) -> StoreResult<Vec<ApiKey>>;
    /// Revokes a key (of `team_id` when given: another team's key is not found).
    async fn revoke_api_key(&self, id: Uuid, team_id: Option<Uuid>) -> StoreResult<ApiKey>;
    async fn api_key_by_hash(&self, hash: &str) -> StoreResult<Option<KeyCredential>>;
    /// Records use, at most once a minute per key.
    async fn touch_api_key(&self, id: Uuid) -> StoreResult<()>;

    async fn create_session(&self, s: &NewSession) -> StoreResult<()>;
    async fn session_by_hash(&self, hash: &str, kind: SessionKind) -> StoreResult<Option<Session>>;
    async fn touch_session(&self, id: Uuid) -> StoreResult<()>;
    async fn revoke_session(&self, id: Uuid) -> StoreResult<bool>;
    /// Replaces session `old` by `new` in one transaction. False (and nothing written)
    /// when `old` was already revoked, e.g. rotated by a concurrent request.
    async fn rotate_session(&self, old: Uuid, new: &NewSession) -> StoreResult<bool>;

    async fn create_invite(&self, i: &NewInvite) -> StoreResult<Invite>;
    /// Newest first.
    async fn list_invites(&self, team_id: Uuid) -> StoreResult<Vec<Invite>>;
    /// Revokes an unused invite of the team; false if there is none.
    async fn revoke_invite(&self, id: Uuid, team_id: Uuid) -> StoreResult<bool>;
    /// Spends a refresh token atomically: of two concurrent uses, one is `Fresh`.
    async fn use_refresh_token(&self, hash: &str) -> StoreResult<RefreshUse>;
    async fn revoke_family(&self, family_id: Uuid) -> StoreResult<u64>;

    /// Appends an event to the chain (serialised with other appends).
    async fn append_audit(&self, a: &NewAudit) -> StoreResult<AuditRecord>;
    /// Newest first.
    async fn list_audit(&self, f: &AuditFilter) -> StoreResult<Vec<AuditRecord>>;
    /// Oldest first, from `after_seq`, for checking the chain.
    async fn audit_chain(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<AuditRecord>>;
}

fn parse_role(s: &str) -> StoreResult<Role> {
    s.parse()
        .map_err(|_| StoreError::Other(anyhow::anyhow!("bad role {s:?}")))
}

fn parse_scopes(v: &Value) -> Vec<Scope> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().and_then(|s| s.parse().ok()))
                .collect()
        })
        .unwrap_or_default()
}

fn scopes_json(scopes: &[Scope]) -> Value {
    Value::Array(
        scopes
            .iter()
            .map(|s| Value::String(s.as_str().into()))
            .collect(),
    )
}

/// A unique violation becomes the caller's named conflict; anything else stays a
/// database error.
fn unique_or(e: sqlx::Error, code: &'static str, message: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict {
            code,
            message: message.to_string(),
        },
        _ => StoreError::Database(e),
    }
}

fn invite_invalid() -> StoreError {
    StoreError::Conflict {
        code: "invite_invalid",
        message: "the invite is unknown, used, revoked, expired or for another address".into(),
    }
}

fn registration_closed() -> StoreError {
    StoreError::Conflict {
        code: "registration_closed",
        message: "registration is closed on this instance".into(),
    }
}
