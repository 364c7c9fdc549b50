//! Identity on PostgreSQL. The first-user decision locks `users`; audit appends take a
//! transaction-scoped advisory lock so the chain has one tail; a refresh token is spent
//! under `FOR UPDATE`.

use async_trait::async_trait;
use chrono::Utc;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::Row;
use uuid::Uuid;

use super::rows::{
    audit_from_row, credential_from_row, invite_from_row, key_from_row, member_from_row,
    membership_from_row, session_from_row, team_from_row, user_from_row, Stored, AUDIT_COLS,
    INVITE_COLS, KEY_COLS, SESSION_COLS, USER_COLS,
};
use super::{
    invite_invalid, parse_role, registration_closed, scopes_json, setup_required, unique_or,
    ApiKey, AuditFilter, AuditHead, AuditKey, AuditRecord, IdentityStore, Invite, KeyCredential,
    Member, Membership, NewApiKey, NewAudit, NewInvite, NewSession, NewUser, RefreshUse, Session,
    SessionKind, Team, User, GENESIS_HASH,
};
use crate::auth::Role;
use crate::store::jobs::DEFAULT_TEAM;
use crate::store::postgres::PgStore;
use crate::store::{StoreError, StoreResult};

impl Stored for PgRow {
    fn json(&self, col: &str) -> StoreResult<Value> {
        Ok(self.try_get(col)?)
    }
}

/// Arbitrary constant naming the audit chain's advisory lock.
const AUDIT_LOCK: i64 = 0x7472_6177_6c61_7564;

async fn insert_session<'e, E>(db: E, s: &NewSession) -> StoreResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Postgres>,
{
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, kind, user_id, team_id, family_id, csrf_token, \
         ip, user_agent, expires_at, privilege) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(s.id)
    .bind(&s.token_hash)
    .bind(s.kind.as_str())
    .bind(s.user_id)
    .bind(s.team_id)
    .bind(s.family_id)
    .bind(&s.csrf_token)
    .bind(&s.ip)
    .bind(&s.user_agent)
    .bind(s.expires_at)
    .bind(&s.privilege)
    .execute(db)
    .await?;
    Ok(())
}

async fn end_user_sessions(conn: &mut sqlx::PgConnection, user: Uuid) -> StoreResult<()> {
    sqlx::query(
        "UPDATE sessions SET revoked_at = now(), updated_at = now() \
         WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user)
    .execute(conn)
    .await?;
    Ok(())
}

/// Spends an invite for `user` (whose address must match a bound invite) and returns
/// its team and role.
async fn redeem_invite(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    hash: &str,
    user: Uuid,
    email: &str,
) -> StoreResult<(Uuid, Role)> {
    let row = sqlx::query(
        "UPDATE invites SET used_at = now(), used_by = $2 WHERE token_hash = $1 \
         AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now() \
         AND (email IS NULL OR email = $3) RETURNING team_id, role",
    )
    .bind(hash)
    .bind(user)
    .bind(email)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(invite_invalid)?;
    Ok((row.try_get("team_id")?, parse_role(row.try_get("role")?)?))
}

#[async_trait]
impl IdentityStore for PgStore {
    async fn create_user(&self, u: &NewUser) -> StoreResult<User> {
        let mut tx = self.pool.begin().await?;
        // Two first registrations at once: one waits, then sees the other's row.
        sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *tx)
            .await?;
        let first = count == 0;
        if first && !u.may_be_first {
            return Err(setup_required());
        }
        if u.only_if_first && !first {
            return Err(registration_closed());
        }
        let row = sqlx::query(&format!(
            "INSERT INTO users (id, email, password_hash, is_admin, password_changed_at) \
             VALUES ($1, $2, $3, $4, now()) RETURNING {USER_COLS}"
        ))
        .bind(u.id)
        .bind(&u.email)
        .bind(&u.password_hash)
        .bind(first)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_or(e, "email_taken", "an account with this email exists"))?;
        let mut teams: Vec<(Uuid, Role)> = u.team.into_iter().collect();
        if let Some(hash) = &u.invite {
            teams.push(redeem_invite(&mut tx, hash, u.id, &u.email).await?);
        }
        if first {
            teams.retain(|(t, _)| *t != DEFAULT_TEAM);
            teams.push((DEFAULT_TEAM, Role::Admin));
        }
        let default_team = if first {
            Some(DEFAULT_TEAM)
        } else {
            teams.first().map(|(t, _)| *t)
        };
        for (team, role) in teams {
            sqlx::query("INSERT INTO memberships (team_id, user_id, role) VALUES ($1, $2, $3)")
                .bind(team)
                .bind(u.id)
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE users SET default_team_id = $2 WHERE id = $1")
            .bind(u.id)
            .bind(default_team)
            .execute(&mut *tx)
            .await?;
        let mut user = user_from_row(&row)?;
        user.default_team_id = default_team;
        tx.commit().await?;
        Ok(user)
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE email = $1"))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn user_by_id(&self, id: Uuid) -> StoreResult<Option<User>> {
        sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(user_from_row)
        .collect()
    }

    async fn set_instance_admin(&self, id: Uuid, admin: bool) -> StoreResult<()> {
        let r = sqlx::query("UPDATE users SET is_admin = $2, updated_at = now() WHERE id = $1")
            .bind(id)
            .bind(admin)
            .execute(&self.pool)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    async fn set_user_disabled(&self, id: Uuid, disabled: bool) -> StoreResult<User> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE users SET disabled_at = CASE WHEN $2 THEN COALESCE(disabled_at, now()) END, \
             updated_at = now() WHERE id = $1 RETURNING {USER_COLS}"
        ))
        .bind(id)
        .bind(disabled)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("user"))?;
        if disabled {
            end_user_sessions(&mut tx, id).await?;
        }
        let user = user_from_row(&row)?;
        tx.commit().await?;
        Ok(user)
    }

    async fn set_password_hash(&self, id: Uuid, hash: &str, end_sessions: bool) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now() \
             WHERE id = $1",
        )
        .bind(id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        if end_sessions {
            end_user_sessions(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn create_team(&self, id: Uuid, name: &str, admin: Option<Uuid>) -> StoreResult<Team> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO teams (id, name) VALUES ($1, $2) RETURNING id, name, created_at",
        )
        .bind(id)
        .bind(name)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_or(e, "team_name_taken", "a team with this name exists"))?;
        if let Some(user) = admin {
            sqlx::query(
                "INSERT INTO memberships (team_id, user_id, role) VALUES ($1, $2, 'admin')",
            )
            .bind(id)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        }
        let team = team_from_row(&row)?;
        tx.commit().await?;
        Ok(team)
    }

    async fn team_by_id(&self, id: Uuid) -> StoreResult<Option<Team>> {
        sqlx::query("SELECT id, name, created_at FROM teams WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(team_from_row)
            .transpose()
    }

    async fn team_by_name(&self, name: &str) -> StoreResult<Option<Team>> {
        sqlx::query("SELECT id, name, created_at FROM teams WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(team_from_row)
            .transpose()
    }

    async fn list_teams(&self) -> StoreResult<Vec<Team>> {
        sqlx::query("SELECT id, name, created_at FROM teams ORDER BY name")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(team_from_row)
            .collect()
    }

    async fn memberships_of(&self, user_id: Uuid) -> StoreResult<Vec<Membership>> {
        sqlx::query(
            "SELECT t.id, t.name, t.created_at, m.role FROM memberships m \
             JOIN teams t ON t.id = m.team_id WHERE m.user_id = $1 ORDER BY t.name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(membership_from_row)
        .collect()
    }

    async fn role_in_team(&self, user_id: Uuid, team_id: Uuid) -> StoreResult<Option<Role>> {
        let role: Option<(String,)> =
            sqlx::query_as("SELECT role FROM memberships WHERE user_id = $1 AND team_id = $2")
                .bind(user_id)
                .bind(team_id)
                .fetch_optional(&self.pool)
                .await?;
        role.map(|(r,)| parse_role(&r)).transpose()
    }

    async fn set_member(&self, team_id: Uuid, user_id: Uuid, role: Role) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO memberships (team_id, user_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role, updated_at = now()",
        )
        .bind(team_id)
        .bind(user_id)
        .bind(role.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn set_default_team(&self, user_id: Uuid, team_id: Option<Uuid>) -> StoreResult<()> {
        sqlx::query("UPDATE users SET default_team_id = $2, updated_at = now() WHERE id = $1")
            .bind(user_id)
            .bind(team_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn accept_invite(
        &self,
        hash: &str,
        user_id: Uuid,
        email: &str,
    ) -> StoreResult<(Uuid, Role)> {
        let mut tx = self.pool.begin().await?;
        let (team, role) = redeem_invite(&mut tx, hash, user_id, email).await?;
        sqlx::query(
            "INSERT INTO memberships (team_id, user_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role, updated_at = now()",
        )
        .bind(team)
        .bind(user_id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((team, role))
    }

    async fn remove_member(&self, team_id: Uuid, user_id: Uuid) -> StoreResult<bool> {
        let r = sqlx::query("DELETE FROM memberships WHERE team_id = $1 AND user_id = $2")
            .bind(team_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn list_members(&self, team_id: Uuid) -> StoreResult<Vec<Member>> {
        sqlx::query(
            "SELECT u.id, u.email, u.disabled_at, m.role, m.created_at FROM memberships m \
             JOIN users u ON u.id = m.user_id WHERE m.team_id = $1 ORDER BY u.email",
        )
        .bind(team_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(member_from_row)
        .collect()
    }

    async fn create_api_key(&self, k: &NewApiKey) -> StoreResult<ApiKey> {
        let row = sqlx::query(&format!(
            "INSERT INTO api_keys AS k (id, team_id, name, key_hash, key_prefix, role, scopes, \
             expires_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING {KEY_COLS}"
        ))
        .bind(k.id)
        .bind(k.team_id)
        .bind(&k.name)
        .bind(&k.hash)
        .bind(&k.prefix)
        .bind(k.role.as_str())
        .bind(scopes_json(&k.scopes))
        .bind(k.expires_at)
        .bind(k.created_by)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| unique_or(e, "key_name_taken", "the team has a key with this name"))?;
        key_from_row(&row)
    }

    async fn list_api_keys(&self, team_id: Option<Uuid>) -> StoreResult<Vec<ApiKey>> {
        sqlx::query(&format!(
            "SELECT {KEY_COLS} FROM api_keys k WHERE ($1::uuid IS NULL OR k.team_id = $1) \
             ORDER BY k.created_at, k.id"
        ))
        .bind(team_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(key_from_row)
        .collect()
    }

    async fn revoke_api_key(&self, id: Uuid, team_id: Option<Uuid>) -> StoreResult<ApiKey> {
        let row = sqlx::query(&format!(
            "UPDATE api_keys AS k SET revoked_at = COALESCE(k.revoked_at, now()), updated_at = now() \
             WHERE k.id = $1 AND ($2::uuid IS NULL OR k.team_id = $2) RETURNING {KEY_COLS}"
        ))
        .bind(id)
        .bind(team_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("key"))?;
        key_from_row(&row)
    }

    async fn api_key_by_hash(&self, hash: &str) -> StoreResult<Option<KeyCredential>> {
        let row = sqlx::query(&format!(
            "SELECT {KEY_COLS}, u.disabled_at AS creator_disabled_at, \
             COALESCE(u.is_admin, false) AS creator_is_admin, m.role AS creator_role \
             FROM api_keys k LEFT JOIN users u ON u.id = k.created_by \
             LEFT JOIN memberships m ON m.user_id = k.created_by AND m.team_id = k.team_id \
             WHERE k.key_hash = $1"
        ))
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(credential_from_row).transpose()
    }

    async fn touch_api_key(&self, id: Uuid) -> StoreResult<()> {
        sqlx::query(
            "UPDATE api_keys SET last_used_at = now() WHERE id = $1 \
             AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn create_session(&self, s: &NewSession) -> StoreResult<()> {
        insert_session(&self.pool, s).await
    }

    async fn session_by_hash(&self, hash: &str, kind: SessionKind) -> StoreResult<Option<Session>> {
        sqlx::query(&format!(
            "SELECT {SESSION_COLS} FROM sessions WHERE token_hash = $1 AND kind = $2"
        ))
        .bind(hash)
        .bind(kind.as_str())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(session_from_row)
        .transpose()
    }

    async fn touch_session(&self, id: Uuid) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = now() WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn revoke_session(&self, id: Uuid) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE sessions SET revoked_at = now(), updated_at = now() \
             WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn rotate_session(&self, old: Uuid, new: &NewSession) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let revoked = sqlx::query(
            "UPDATE sessions SET revoked_at = now(), updated_at = now() \
             WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(old)
        .execute(&mut *tx)
        .await?;
        if revoked.rows_affected() == 0 {
            return Ok(false);
        }
        insert_session(&mut *tx, new).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn create_invite(&self, i: &NewInvite) -> StoreResult<Invite> {
        let row = sqlx::query(&format!(
            "INSERT INTO invites (id, token_hash, team_id, role, email, created_by, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {INVITE_COLS}"
        ))
        .bind(i.id)
        .bind(&i.token_hash)
        .bind(i.team_id)
        .bind(i.role.as_str())
        .bind(&i.email)
        .bind(i.created_by)
        .bind(i.expires_at)
        .fetch_one(&self.pool)
        .await?;
        invite_from_row(&row)
    }

    async fn list_invites(&self, team_id: Uuid) -> StoreResult<Vec<Invite>> {
        sqlx::query(&format!(
            "SELECT {INVITE_COLS} FROM invites WHERE team_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(team_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(invite_from_row)
        .collect()
    }

    async fn revoke_invite(&self, id: Uuid, team_id: Uuid) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE invites SET revoked_at = now() WHERE id = $1 AND team_id = $2 \
             AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(team_id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn use_refresh_token(&self, hash: &str) -> StoreResult<RefreshUse> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {SESSION_COLS} FROM sessions WHERE token_hash = $1 AND kind = 'refresh' \
             FOR UPDATE"
        ))
        .bind(hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(RefreshUse::Unknown);
        };
        let s = session_from_row(&row)?;
        if s.used_at.is_some() || s.revoked_at.is_some() {
            return Ok(RefreshUse::Spent(s));
        }
        if s.expires_at <= Utc::now() {
            return Ok(RefreshUse::Unknown);
        }
        sqlx::query("UPDATE sessions SET used_at = now(), updated_at = now() WHERE id = $1")
            .bind(s.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(RefreshUse::Fresh(s))
    }

    async fn revoke_family(&self, family_id: Uuid) -> StoreResult<u64> {
        let r = sqlx::query(
            "UPDATE sessions SET revoked_at = now(), updated_at = now() \
             WHERE family_id = $1 AND revoked_at IS NULL",
        )
        .bind(family_id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    async fn token_family_live(&self, family_id: Uuid) -> StoreResult<bool> {
        let live: Option<(i32,)> = sqlx::query_as(
            "SELECT 1 FROM sessions WHERE family_id = $1 AND kind = 'refresh' \
             AND revoked_at IS NULL LIMIT 1",
        )
        .bind(family_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(live.is_some())
    }

    async fn append_audit(&self, a: &NewAudit) -> StoreResult<AuditRecord> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(AUDIT_LOCK)
            .execute(&mut *tx)
            .await?;
        let prev: Option<(String,)> =
            sqlx::query_as("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
        let key = &self.audit_key;
        let mut r = AuditRecord::chained(a, prev.map_or(GENESIS_HASH.into(), |p| p.0), key);
        let (seq,): (i64,) = sqlx::query_as(
            "INSERT INTO audit_log (id, occurred_at, request_id, event, actor_type, actor_id, \
             credential_id, source_ip, user_agent, team_id, target, outcome, reason, details, \
             prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
             RETURNING seq",
        )
        .bind(r.id)
        .bind(r.occurred_at)
        .bind(&r.request_id)
        .bind(&r.event)
        .bind(&r.actor_type)
        .bind(&r.actor_id)
        .bind(&r.credential_id)
        .bind(&r.source_ip)
        .bind(&r.user_agent)
        .bind(r.team_id)
        .bind(&r.target)
        .bind(&r.outcome)
        .bind(&r.reason)
        .bind(&r.details)
        .bind(&r.prev_hash)
        .bind(&r.hash)
        .fetch_one(&mut *tx)
        .await?;
        let head = AuditHead::sealed(key, seq, &r.hash);
        sqlx::query(
            "INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, \
             mac = excluded.mac",
        )
        .bind(head.seq)
        .bind(&head.hash)
        .bind(&head.mac)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        r.seq = seq;
        Ok(r)
    }

    async fn audit_head(&self) -> StoreResult<Option<AuditHead>> {
        let row: Option<(i64, String, String)> =
            sqlx::query_as("SELECT seq, hash, mac FROM audit_head WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(seq, hash, mac)| AuditHead { seq, hash, mac }))
    }

    fn audit_key(&self) -> &AuditKey {
        &self.audit_key
    }

    async fn list_audit(&self, f: &AuditFilter) -> StoreResult<Vec<AuditRecord>> {
        sqlx::query(&format!(
            "SELECT {AUDIT_COLS} FROM audit_log \
             WHERE ($1::uuid IS NULL OR team_id = $1) AND ($2::text IS NULL OR actor_id = $2) \
             AND ($3::text IS NULL OR event = $3) \
             AND ($4::timestamptz IS NULL OR occurred_at >= $4) \
             AND ($5::timestamptz IS NULL OR occurred_at < $5) \
             AND ($6::bigint IS NULL OR seq < $6) \
             ORDER BY seq DESC LIMIT $7"
        ))
        .bind(f.team_id)
        .bind(&f.actor_id)
        .bind(&f.event)
        .bind(f.since)
        .bind(f.until)
        .bind(f.before_seq)
        .bind(i64::from(f.limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(audit_from_row)
        .collect()
    }

    async fn audit_chain(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        sqlx::query(&format!(
            "SELECT {AUDIT_COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(audit_from_row)
        .collect()
    }
}
