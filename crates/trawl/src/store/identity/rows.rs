//! Identity rows as records, one mapping for both backends: they select the same columns
//! and differ only in how a UUID or JSON value is stored, which [`Ids`] and [`Stored`] say.

use serde_json::Value;

use super::{
    parse_role, parse_scopes, ApiKey, AuditRecord, Invite, KeyCreator, KeyCredential, Member,
    Membership, Session, Team, User,
};
use crate::auth::Role;
use crate::store::cols::Ids;
use crate::store::StoreResult;

pub(super) const USER_COLS: &str =
    "id, email, password_hash, is_admin, disabled_at, created_at, default_team_id";

pub(super) const KEY_COLS: &str = "k.id, k.team_id, k.name, k.key_prefix, k.role, k.scopes, \
     k.expires_at, k.created_by, k.last_used_at, k.revoked_at, k.created_at";

pub(super) const SESSION_COLS: &str = "id, user_id, team_id, family_id, csrf_token, \
     last_seen_at, expires_at, used_at, revoked_at, created_at, privilege";

pub(super) const INVITE_COLS: &str = "id, team_id, role, email, created_by, expires_at, used_at, \
     used_by, revoked_at, created_at";

pub(super) const AUDIT_COLS: &str = "seq, id, occurred_at, request_id, event, actor_type, \
     actor_id, credential_id, source_ip, user_agent, team_id, target, outcome, reason, details, \
     prev_hash, hash";

/// JSON columns: PostgreSQL's JSONB, text on SQLite.
pub(super) trait Stored: Ids {
    fn json(&self, col: &str) -> StoreResult<Value>;
}

pub(super) fn user_from_row(row: &impl Stored) -> StoreResult<User> {
    Ok(User {
        id: row.uuid("id")?,
        email: row.text("email")?,
        password_hash: row.text("password_hash")?,
        is_admin: row.flag("is_admin")?,
        disabled_at: row.opt_time("disabled_at")?,
        created_at: row.time("created_at")?,
        default_team_id: row.opt_uuid("default_team_id")?,
    })
}

pub(super) fn team_from_row(row: &impl Stored) -> StoreResult<Team> {
    Ok(Team {
        id: row.uuid("id")?,
        name: row.text("name")?,
        created_at: row.time("created_at")?,
    })
}

/// A team with the caller's `role` in it.
pub(super) fn membership_from_row(row: &impl Stored) -> StoreResult<Membership> {
    Ok(Membership {
        team: team_from_row(row)?,
        role: parse_role(&row.text("role")?)?,
    })
}

/// A user with their `role` in the team and the membership's `created_at`.
pub(super) fn member_from_row(row: &impl Stored) -> StoreResult<Member> {
    Ok(Member {
        user_id: row.uuid("id")?,
        email: row.text("email")?,
        role: parse_role(&row.text("role")?)?,
        disabled: row.opt_time("disabled_at")?.is_some(),
        created_at: row.time("created_at")?,
    })
}

pub(super) fn key_from_row(row: &impl Stored) -> StoreResult<ApiKey> {
    Ok(ApiKey {
        id: row.uuid("id")?,
        team_id: row.uuid("team_id")?,
        name: row.text("name")?,
        prefix: row.text("key_prefix")?,
        role: parse_role(&row.text("role")?)?,
        scopes: parse_scopes(&row.json("scopes")?),
        expires_at: row.opt_time("expires_at")?,
        created_by: row.opt_uuid("created_by")?,
        last_used_at: row.opt_time("last_used_at")?,
        revoked_at: row.opt_time("revoked_at")?,
        created_at: row.time("created_at")?,
    })
}

/// A key with its creator's standing: `creator_disabled_at`, `creator_is_admin` and
/// `creator_role` (their membership in the key's team, if any).
pub(super) fn credential_from_row(row: &impl Stored) -> StoreResult<KeyCredential> {
    let key = key_from_row(row)?;
    let creator = match key.created_by {
        None => KeyCreator::Operator,
        Some(_) if row.flag("creator_is_admin")? => KeyCreator::Holds(Role::Admin),
        Some(_) => match row.opt_text("creator_role")? {
            Some(r) => KeyCreator::Holds(parse_role(&r)?),
            None => KeyCreator::Gone,
        },
    };
    Ok(KeyCredential {
        key,
        creator_disabled: row.opt_time("creator_disabled_at")?.is_some(),
        creator,
    })
}

pub(super) fn session_from_row(row: &impl Stored) -> StoreResult<Session> {
    Ok(Session {
        id: row.uuid("id")?,
        user_id: row.uuid("user_id")?,
        team_id: row.opt_uuid("team_id")?,
        family_id: row.opt_uuid("family_id")?,
        csrf_token: row.opt_text("csrf_token")?,
        last_seen_at: row.time("last_seen_at")?,
        expires_at: row.time("expires_at")?,
        used_at: row.opt_time("used_at")?,
        revoked_at: row.opt_time("revoked_at")?,
        created_at: row.time("created_at")?,
        privilege: row.opt_text("privilege")?,
    })
}

pub(super) fn invite_from_row(row: &impl Stored) -> StoreResult<Invite> {
    Ok(Invite {
        id: row.uuid("id")?,
        team_id: row.uuid("team_id")?,
        role: parse_role(&row.text("role")?)?,
        email: row.opt_text("email")?,
        created_by: row.opt_uuid("created_by")?,
        expires_at: row.time("expires_at")?,
        used_at: row.opt_time("used_at")?,
        used_by: row.opt_uuid("used_by")?,
        revoked_at: row.opt_time("revoked_at")?,
        created_at: row.time("created_at")?,
    })
}

pub(super) fn audit_from_row(row: &impl Stored) -> StoreResult<AuditRecord> {
    Ok(AuditRecord {
        seq: row.int("seq")?,
        id: row.uuid("id")?,
        occurred_at: row.time("occurred_at")?,
        request_id: row.opt_text("request_id")?,
        event: row.text("event")?,
        actor_type: row.text("actor_type")?,
        actor_id: row.opt_text("actor_id")?,
        credential_id: row.opt_text("credential_id")?,
        source_ip: row.opt_text("source_ip")?,
        user_agent: row.opt_text("user_agent")?,
        team_id: row.opt_uuid("team_id")?,
        target: row.opt_text("target")?,
        outcome: row.text("outcome")?,
        reason: row.opt_text("reason")?,
        details: row.json("details")?,
        prev_hash: row.text("prev_hash")?,
        hash: row.text("hash")?,
    })
}
