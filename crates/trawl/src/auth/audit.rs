//! The audit log: security-relevant events, named after the OWASP logging vocabulary,
//! appended to a hash chain (see `store::identity::AuditRecord::content_hash`).
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

/// Walks the whole chain, oldest first.
pub async fn verify_chain(store: &dyn Store) -> StoreResult<ChainReport> {
    let mut prev = GENESIS_HASH.to_string();
    let mut after = 0i64;
    let mut rows = 0u64;
    loop {
        let page = store.audit_chain(after, 1000).await?;
        if page.is_empty() {
            return Ok(ChainReport {
                rows,
                first_bad: None,
            });
        }
        for r in page {
            rows += 1;
            if r.prev_hash != prev {
                return Ok(ChainReport {
                    rows,
                    first_bad: Some((
                        r.seq,
                        "does not link to the row before it (a row was removed or changed)".into(),
                    )),
                });
            }
            if r.content_hash() != r.hash {
                return Ok(ChainReport {
                    rows,
                    first_bad: Some((r.seq, "its content does not match its hash".into())),
                });
            }
            prev = r.hash.clone();
            after = r.seq;
        }
    }
}
