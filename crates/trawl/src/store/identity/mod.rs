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
    /// Where a login or token without `team_id` acts, while the user is a member.
    pub default_team_id: Option<Uuid>,
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
    /// Whether this account may be the instance's first, which becomes its admin.
    /// Anonymous registration in staging and production may not (`setup_required`):
    /// there the first admin comes from `trawl users create-admin`.
    pub may_be_first: bool,
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
    /// What its creator may still do in the key's team.
    pub creator: KeyCreator,
}

/// The standing of a key's creator in the key's team. A key acts with the lesser of its
/// own role ceiling and its creator's current role, so demoting or removing a member
/// takes their keys down with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCreator {
    /// Made by the instance's operator (`trawl keys create`): its ceiling alone counts.
    Operator,
    /// The creator's current role in the team (an instance admin counts as admin).
    Holds(Role),
    /// The creator is no longer a member of the team: the key is refused.
    Gone,
}

impl KeyCredential {
    /// The role the key acts with now, or `None` when it may not act at all.
    pub fn effective_role(&self) -> Option<Role> {
        match self.creator {
            KeyCreator::Operator => Some(self.key.role),
            KeyCreator::Holds(r) => Some(self.key.role.min(r)),
            KeyCreator::Gone => None,
        }
    }
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
    /// Builds the row that follows `prev_hash`, its keyed hash included.
    pub fn chained(a: &NewAudit, prev_hash: String, key: &AuditKey) -> AuditRecord {
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
        r.hash = format!("{KEYED_PREFIX}{}", key.mac(r.canonical().as_bytes()));
        r
    }

    /// Every field but `seq` and `hash`, and the previous row's hash, in one canonical
    /// text: what a row's hash covers. An edited row no longer matches its hash, a
    /// deleted one breaks the next row's link.
    fn canonical(&self) -> String {
        serde_json::json!([
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
        ])
        .to_string()
    }

    /// The hash this row should carry: an HMAC under `key` for rows written since the
    /// chain was keyed (`m1:` before the hex), plain SHA-256 for older rows.
    pub fn expected_hash(&self, key: &AuditKey) -> String {
        if self.is_keyed() {
            format!("{KEYED_PREFIX}{}", key.mac(self.canonical().as_bytes()))
        } else {
            hex::encode(Sha256::digest(self.canonical().as_bytes()))
        }
    }

    /// Whether the row was written under the keyed chain.
    pub fn is_keyed(&self) -> bool {
        self.hash.starts_with(KEYED_PREFIX)
    }
}

/// Marks a row hash that is an HMAC, not plain SHA-256.
const KEYED_PREFIX: &str = "m1:";

/// The audit chain's key, derived from the instance secret. Without the secret nobody
/// can recompute a row's hash: rewriting a row and every later hash no longer passes
/// `trawl audit verify`, as it would with plain SHA-256.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl AuditKey {
    /// Domain-separated from the secret's other uses. Without a secret (library use),
    /// a fixed key: the chain then guards against accidents, not against an attacker.
    pub fn from_secret(secret: Option<&crate::secret::Secret>) -> AuditKey {
        let mut h = Sha256::new();
        h.update(b"trawl/audit/hmac/v1\0");
        if let Some(s) = secret {
            h.update(s.expose().as_bytes());
        }
        AuditKey(h.finalize().into())
    }

    /// Hex HMAC-SHA256 of `data`.
    pub fn mac(&self, data: &[u8]) -> String {
        use hmac::{KeyInit, Mac};
        let mut m = hmac::Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key");
        m.update(data);
        hex::encode(m.finalize().into_bytes())
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey([redacted])")
    }
}

/// The chain's newest row, anchored outside `audit_log` with a MAC: a truncated tail
/// leaves a head that names a row no longer there, and a head cannot be moved back to
/// an earlier row without the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
    pub mac: String,
}

impl AuditHead {
    pub fn sealed(key: &AuditKey, seq: i64, hash: &str) -> AuditHead {
        AuditHead {
            seq,
            hash: hash.to_string(),
            mac: key.mac(format!("head\0{seq}\0{hash}").as_bytes()),
        }
    }

    pub fn is_sealed_by(&self, key: &AuditKey) -> bool {
        let expected = AuditHead::sealed(key, self.seq, &self.hash).mac;
        // Constant time: the MAC is compared against a secret-derived value.
        expected.len() == self.mac.len()
            && expected
                .bytes()
                .zip(self.mac.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
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
    /// Sets (or clears) the user's default team.
    async fn set_default_team(&self, user_id: Uuid, team_id: Option<Uuid>) -> StoreResult<()>;
    /// Redeems an invite for an existing account, in one transaction: the invite is
    /// spent and the user joins its team with its role (`invite_invalid` if it is
    /// unknown, spent, revoked, expired or bound to another address).
    async fn accept_invite(
        &self,
        hash: &str,
        user_id: Uuid,
        email: &str,
    ) -> StoreResult<(Uuid, Role)>;
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
    /// Whether refresh-token family `family_id` still has a token that was never
    /// revoked (access tokens of a family live only as long as it does).
    async fn token_family_live(&self, family_id: Uuid) -> StoreResult<bool>;

    /// Appends an event to the chain (serialised with other appends).
    async fn append_audit(&self, a: &NewAudit) -> StoreResult<AuditRecord>;
    /// Newest first.
    async fn list_audit(&self, f: &AuditFilter) -> StoreResult<Vec<AuditRecord>>;
    /// Oldest first, from `after_seq`, for checking the chain.
    async fn audit_chain(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<AuditRecord>>;
    /// The chain's anchored head, if a keyed row was ever written.
    async fn audit_head(&self) -> StoreResult<Option<AuditHead>>;
    /// The key this store chains audit rows with.
    fn audit_key(&self) -> &AuditKey;
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

fn setup_required() -> StoreError {
    StoreError::Conflict {
        code: "setup_required",
        message: "this instance has no admin yet: create the first one with \
                  `trawl users create-admin`"
            .into(),
    }
}

fn registration_closed() -> StoreError {
    StoreError::Conflict {
        code: "registration_closed",
        message: "registration is closed on this instance".into(),
    }
}
