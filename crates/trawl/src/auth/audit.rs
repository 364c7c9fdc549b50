//! The audit log: security-relevant events, named after the OWASP logging vocabulary,
//! appended to a keyed hash chain (see `store::identity::AuditRecord::expected_hash`).
//!
//! Never put a secret in an event: no passwords, keys, tokens or cookies.

use serde::Serialize;

use super::caller::{Caller, Principal, RequestMeta};
use crate::store::identity::{NewAudit, GENESIS_HASH};
use crate::store::{Store, StoreResult};

pub const LOGIN_SUCCESS: &str = "authn_login_success";
pub const LOGIN_FAIL: &str = "authn_login_fail";
pub const LOGIN_LOCK: &str = "authn_login_lock";
pub const TOKEN_CREATED: &str = "authn_token_created";
pub const TOKEN_REVOKED: &str = "authn_token_revoked";
pub const TOKEN_REUSE: &str = "authn_token_reuse";
pub const AUTHZ_FAIL: &str = "authz_fail";
pub const USER_CREATED: &str = "user_created";
pub const USER_DISABLED: &str = "user_disabled";
pub const USER_ENABLED: &str = "user_enabled";
pub const PASSWORD_CHANGED: &str = "password_changed";
pub const ROLE_CHANGED: &str = "role_changed";
pub const INVITE_CREATED: &str = "invite_created";
pub const INVITE_REVOKED: &str = "invite_revoked";
pub const SESSION_REVOKED: &str = "session_revoked";
pub const TEAM_CREATED: &str = "team_created";
pub const RETENTION_CHANGED: &str = "retention_changed";
pub const JOB_CANCELLED: &str = "job_cancelled";
pub const SCHEDULE_CHANGED: &str = "schedule_changed";
pub const WEBHOOK_SECRET_READ: &str = "webhook_secret_read";

/// Starts an event with the request's id, source IP and user agent.
pub fn event(name: &str, meta: &RequestMeta) -> NewAudit {
    NewAudit {
        event: name.into(),
        request_id: crate::http::middleware::request_id::current(),
        actor_type: "anonymous".into(),
        source_ip: meta.ip.map(|ip| ip.to_string()),
        user_agent: meta.user_agent.clone(),
        outcome: "success".into(),
        ..NewAudit::default()
    }
}

/// Fills the actor fields from an authenticated caller.
pub fn by(mut e: NewAudit, caller: &Caller) -> NewAudit {
    match caller.principal {
        Principal::User { id } => {
            e.actor_type = "user".into();
            e.actor_id = Some(id.to_string());
        }
        Principal::ApiKey { id, .. } => {
            e.actor_type = "api_key".into();
            e.actor_id = Some(id.to_string());
        }
    }
    e.credential_id = Some(caller.credential_id.to_string());
    e.team_id = Some(caller.team_id);
    e
}

/// Appends an event. A failure to write is logged loudly but does not fail the request
/// that caused it.
pub async fn record(store: &dyn Store, e: NewAudit) {
    if let Err(err) = store.append_audit(&e).await {
        tracing::error!(event = %e.event, error = %err, "cannot write the audit log");
    }
}

/// The result of checking the chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChainReport {
    pub rows: u64,
    /// The first row whose hash or link is wrong, and why.
    pub first_bad: Option<(i64, String)>,
}

impl ChainReport {
    fn bad(rows: u64, seq: i64, why: &str) -> StoreResult<ChainReport> {
        Ok(ChainReport {
            rows,
            first_bad: Some((seq, why.into())),
        })
    }
}

/// Walks the whole chain, oldest first, then checks that it ends at the anchored head.
/// Rows are HMACs under the instance's key (rows from before the chain was keyed are
/// plain SHA-256, and may only come first), so rewriting a row means knowing the key;
/// the head, kept outside the table and sealed with the same key, catches a tail that
/// was cut off.
pub async fn verify_chain(store: &dyn Store) -> StoreResult<ChainReport> {
    let key = store.audit_key().clone();
    let mut prev = GENESIS_HASH.to_string();
    let mut after = 0i64;
    let mut rows = 0u64;
    let mut keyed_seen = false;
    loop {
        let page = store.audit_chain(after, 1000).await?;
        if page.is_empty() {
            break;
        }
        for r in page {
            rows += 1;
            if r.prev_hash != prev {
                return ChainReport::bad(
                    rows,
                    r.seq,
                    "does not link to the row before it (a row was removed or changed)",
                );
            }
            if keyed_seen && !r.is_keyed() {
                return ChainReport::bad(rows, r.seq, "an unkeyed row follows keyed ones");
            }
            keyed_seen |= r.is_keyed();
            if r.expected_hash(&key) != r.hash {
                return ChainReport::bad(rows, r.seq, "its content does not match its hash");
            }
            prev = r.hash.clone();
            after = r.seq;
        }
    }
    match store.audit_head().await? {
        Some(head) if !head.is_sealed_by(&key) => ChainReport::bad(
            rows,
            head.seq,
            "the chain's head anchor is not sealed by this instance",
        ),
        Some(head) if head.seq != after || head.hash != prev => ChainReport::bad(
            rows,
            head.seq,
            "the chain does not end at its anchored head (the newest rows were removed)",
        ),
        None if keyed_seen => ChainReport::bad(rows, after, "the chain's head anchor is missing"),
        _ => Ok(ChainReport {
            rows,
            first_bad: None,
        }),
    }
}
