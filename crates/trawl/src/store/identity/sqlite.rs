//! Identity on SQLite. Writers that must see a consistent picture (first user, audit
//! chain, refresh-token spending) take the write lock up front with `BEGIN IMMEDIATE`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
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
use crate::store::cols::Ids;
use crate::store::jobs::{sqlite_ts, DEFAULT_TEAM};
use crate::store::sqlite::SqliteStore;
use crate::store::{StoreError, StoreResult};

impl Stored for SqliteRow {
    /// Text that is not JSON reads as `null`.
    fn json(&self, col: &str) -> StoreResult<Value> {
        let s: String = self.try_get(col)?;
        Ok(serde_json::from_str(&s).unwrap_or(Value::Null))
    }
}

/// Spends the invite for account `user` with address `email`: its team and role.
async fn redeem_invite(
    conn: &mut SqliteConnection,
    hash: &str,
    user: Uuid,
    email: &str,
) -> StoreResult<(Uuid, Role)> {
    let stamp = now();
    let row = sqlx::query(
        "UPDATE invites SET used_at = ?3, used_by = ?2 WHERE token_hash = ?1 \
         AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?3 \
         AND (email IS NULL OR email = ?4) RETURNING team_id, role",
    )
    .bind(hash)
    .bind(user.to_string())
    .bind(&stamp)
    .bind(email)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(invite_invalid)?;
    Ok((row.uuid("team_id")?, parse_role(row.try_get("role")?)?))
}

async fn insert_session<'e, E>(db: E, s: &NewSession) -> StoreResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
{
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, kind, user_id, team_id, family_id, csrf_token, \
         ip, user_agent, expires_at, privilege) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .bind(s.id.to_string())
    .bind(&s.token_hash)
    .bind(s.kind.as_str())
    .bind(s.user_id.to_string())
    .bind(s.team_id.map(|t| t.to_string()))
    .bind(s.family_id.map(|t| t.to_string()))
    .bind(&s.csrf_token)
    .bind(&s.ip)
    .bind(&s.user_agent)
    .bind(sqlite_ts(s.expires_at))
    .bind(&s.privilege)
    .execute(db)
    .await?;
    Ok(())
}

fn now() -> String {
    sqlite_ts(Utc::now())
}

fn ts(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(sqlite_ts)
}

/// Runs `f` inside `BEGIN IMMEDIATE … COMMIT` on one pooled connection.
async fn immediate<T, F>(store: &SqliteStore, f: F) -> StoreResult<T>
where
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> futures::future::BoxFuture<'c, StoreResult<T>>,
{
    let mut conn = store.pool.acquire().await?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    match f(&mut conn).await {
        Ok(v) => {
            sqlx::query("COMMIT").execute(&mut *conn).await?;
            Ok(v)
        }
        Err(e) => {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            Err(e)
        }
    }
}

async fn end_user_sessions(conn: &mut SqliteConnection, user: Uuid) -> StoreResult<()> {
    sqlx::query(
        "UPDATE sessions SET revoked_at = ?1, updated_at = ?1 \
         WHERE user_id = ?2 AND revoked_at IS NULL",
    )
    .bind(now())
    .bind(user.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn create_user(&self, u: &NewUser) -> StoreResult<User> {
        let u = u.clone();
        immediate(self, move |conn| {
            Box::pin(async move {
                let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
                    .fetch_one(&mut *conn)
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
                     VALUES (?1, ?2, ?3, ?4, ?5) RETURNING {USER_COLS}"
                ))
                .bind(u.id.to_string())
                .bind(&u.email)
                .bind(&u.password_hash)
                .bind(first)
                .bind(now())
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| unique_or(e, "email_taken", "an account with this email exists"))?;
                let mut teams: Vec<(Uuid, Role)> = u.team.into_iter().collect();
                if let Some(hash) = &u.invite {
                    teams.push(redeem_invite(conn, hash, u.id, &u.email).await?);
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
                sqlx::query("UPDATE users SET default_team_id = ?2 WHERE id = ?1")
                    .bind(u.id.to_string())
                    .bind(default_team.map(|t| t.to_string()))
                    .execute(&mut *conn)
                    .await?;
                for (team, role) in teams {
                    sqlx::query(
                        "INSERT INTO memberships (team_id, user_id, role) VALUES (?1, ?2, ?3)",
                    )
                    .bind(team.to_string())
                    .bind(u.id.to_string())
                    .bind(role.as_str())
                    .execute(&mut *conn)
                    .await?;
                }
                let mut user = user_from_row(&row)?;
                user.default_team_id = default_team;
                Ok(user)
            })
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE email = ?1"))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn user_by_id(&self, id: Uuid) -> StoreResult<Option<User>> {
        sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = ?1"))
            .bind(id.to_string())
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
        let r = sqlx::query("UPDATE users SET is_admin = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(id.to_string())
            .bind(admin)
            .bind(now())
            .execute(&self.pool)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    async fn set_user_disabled(&self, id: Uuid, disabled: bool) -> StoreResult<User> {
        immediate(self, move |conn| {
            Box::pin(async move {
                let stamp = now();
                let row = sqlx::query(&format!(
                    "UPDATE users SET disabled_at = CASE WHEN ?2 THEN COALESCE(disabled_at, ?3) END, \
                     updated_at = ?3 WHERE id = ?1 RETURNING {USER_COLS}"
                ))
                .bind(id.to_string())
                .bind(disabled)
                .bind(&stamp)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::NotFound("user"))?;
                if disabled {
                    end_user_sessions(conn, id).await?;
                }
                user_from_row(&row)
            })
        })
        .await
    }

    async fn set_password_hash(&self, id: Uuid, hash: &str, end_sessions: bool) -> StoreResult<()> {
        let hash = hash.to_string();
        immediate(self, move |conn| {
            Box::pin(async move {
                let done = sqlx::query(
                    "UPDATE users SET password_hash = ?2, password_changed_at = ?3, updated_at = ?3 \
                     WHERE id = ?1",
                )
                .bind(id.to_string())
                .bind(&hash)
                .bind(now())
                .execute(&mut *conn)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("user"));
                }
                if end_sessions {
                    end_user_sessions(conn, id).await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn create_team(&self, id: Uuid, name: &str, admin: Option<Uuid>) -> StoreResult<Team> {
        let name = name.to_string();
        immediate(self, move |conn| {
            Box::pin(async move {
                let row = sqlx::query(
                    "INSERT INTO teams (id, name) VALUES (?1, ?2) RETURNING id, name, created_at",
                )
                .bind(id.to_string())
                .bind(&name)
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| unique_or(e, "team_name_taken", "a team with this name exists"))?;
                if let Some(user) = admin {
                    sqlx::query(
                        "INSERT INTO memberships (team_id, user_id, role) VALUES (?1, ?2, 'admin')",
                    )
                    .bind(id.to_string())
                    .bind(user.to_string())
                    .execute(&mut *conn)
                    .await?;
                }
                team_from_row(&row)
            })
        })
        .await
    }

    async fn team_by_id(&self, id: Uuid) -> StoreResult<Option<Team>> {
        sqlx::query("SELECT id, name, created_at FROM teams WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(team_from_row)
            .transpose()
    }

    async fn team_by_name(&self, name: &str) -> StoreResult<Option<Team>> {
        sqlx::query("SELECT id, name, created_at FROM teams WHERE name = ?1")
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
             JOIN teams t ON t.id = m.team_id WHERE m.user_id = ?1 ORDER BY t.name",
        )
        .bind(user_id.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(membership_from_row)
        .collect()
    }

    async fn role_in_team(&self, user_id: Uuid, team_id: Uuid) -> StoreResult<Option<Role>> {
        let role: Option<(String,)> =
            sqlx::query_as("SELECT role FROM memberships WHERE user_id = ?1 AND team_id = ?2")
                .bind(user_id.to_string())
                .bind(team_id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        role.map(|(r,)| parse_role(&r)).transpose()
    }

    async fn set_member(&self, team_id: Uuid, user_id: Uuid, role: Role) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO memberships (team_id, user_id, role) VALUES (?1, ?2, ?3) \
             ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role, updated_at = ?4",
        )
        .bind(team_id.to_string())
        .bind(user_id.to_string())
        .bind(role.as_str())
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn set_default_team(&self, user_id: Uuid, team_id: Option<Uuid>) -> StoreResult<()> {
        sqlx::query("UPDATE users SET default_team_id = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(user_id.to_string())
            .bind(team_id.map(|t| t.to_string()))
            .bind(now())
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
        let (hash, email) = (hash.to_string(), email.to_string());
        immediate(self, move |conn| {
            Box::pin(async move {
                let (team, role) = redeem_invite(conn, &hash, user_id, &email).await?;
                sqlx::query(
                    "INSERT INTO memberships (team_id, user_id, role) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role, \
                     updated_at = ?4",
                )
                .bind(team.to_string())
                .bind(user_id.to_string())
                .bind(role.as_str())
                .bind(now())
                .execute(&mut *conn)
                .await?;
                Ok((team, role))
            })
        })
        .await
    }

    async fn remove_member(&self, team_id: Uuid, user_id: Uuid) -> StoreResult<bool> {
        let r = sqlx::query("DELETE FROM memberships WHERE team_id = ?1 AND user_id = ?2")
            .bind(team_id.to_string())
            .bind(user_id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn list_members(&self, team_id: Uuid) -> StoreResult<Vec<Member>> {
        sqlx::query(
            "SELECT u.id, u.email, u.disabled_at, m.role, m.created_at FROM memberships m \
             JOIN users u ON u.id = m.user_id WHERE m.team_id = ?1 ORDER BY u.email",
        )
        .bind(team_id.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(member_from_row)
        .collect()
    }

    async fn create_api_key(&self, k: &NewApiKey) -> StoreResult<ApiKey> {
        sqlx::query(
            "INSERT INTO api_keys (id, team_id, name, key_hash, key_prefix, role, scopes, \
             expires_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(k.id.to_string())
        .bind(k.team_id.to_string())
        .bind(&k.name)
        .bind(&k.hash)
        .bind(&k.prefix)
        .bind(k.role.as_str())
        .bind(scopes_json(&k.scopes).to_string())
        .bind(ts(k.expires_at))
        .bind(k.created_by.map(|u| u.to_string()))
        .execute(&self.pool)
        .await
        .map_err(|e| unique_or(e, "key_name_taken", "the team has a key with this name"))?;
        let row = sqlx::query(&format!(
            "SELECT {KEY_COLS} FROM api_keys k WHERE k.id = ?1"
        ))
        .bind(k.id.to_string())
        .fetch_one(&self.pool)
        .await?;
        key_from_row(&row)
    }

    async fn list_api_keys(&self, team_id: Option<Uuid>) -> StoreResult<Vec<ApiKey>> {
        sqlx::query(&format!(
            "SELECT {KEY_COLS} FROM api_keys k WHERE (?1 IS NULL OR k.team_id = ?1) \
             ORDER BY k.created_at, k.id"
        ))
        .bind(team_id.map(|t| t.to_string()))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(key_from_row)
        .collect()
    }

    async fn revoke_api_key(&self, id: Uuid, team_id: Option<Uuid>) -> StoreResult<ApiKey> {
        let stamp = now();
        sqlx::query(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?3), updated_at = ?3 \
             WHERE id = ?1 AND (?2 IS NULL OR team_id = ?2)",
        )
        .bind(id.to_string())
        .bind(team_id.map(|t| t.to_string()))
        .bind(&stamp)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {KEY_COLS} FROM api_keys k WHERE k.id = ?1 AND (?2 IS NULL OR k.team_id = ?2)"
        ))
        .bind(id.to_string())
        .bind(team_id.map(|t| t.to_string()))
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("key"))?;
        key_from_row(&row)
    }

    async fn api_key_by_hash(&self, hash: &str) -> StoreResult<Option<KeyCredential>> {
        let row = sqlx::query(&format!(
            "SELECT {KEY_COLS}, u.disabled_at AS creator_disabled_at, \
             COALESCE(u.is_admin, 0) AS creator_is_admin, m.role AS creator_role \
             FROM api_keys k LEFT JOIN users u ON u.id = k.created_by \
             LEFT JOIN memberships m ON m.user_id = k.created_by AND m.team_id = k.team_id \
             WHERE k.key_hash = ?1"
        ))
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(credential_from_row).transpose()
    }

    async fn touch_api_key(&self, id: Uuid) -> StoreResult<()> {
        let now = Utc::now();
        sqlx::query(
            "UPDATE api_keys SET last_used_at = ?2 \
             WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?3)",
        )
        .bind(id.to_string())
        .bind(sqlite_ts(now))
        .bind(sqlite_ts(now - chrono::Duration::seconds(60)))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn create_session(&self, s: &NewSession) -> StoreResult<()> {
        insert_session(&self.pool, s).await
    }

    async fn session_by_hash(&self, hash: &str, kind: SessionKind) -> StoreResult<Option<Session>> {
        sqlx::query(&format!(
            "SELECT {SESSION_COLS} FROM sessions WHERE token_hash = ?1 AND kind = ?2"
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
        sqlx::query("UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1")
            .bind(id.to_string())
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn revoke_session(&self, id: Uuid) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE sessions SET revoked_at = ?2, updated_at = ?2 \
             WHERE id = ?1 AND revoked_at IS NULL",
        )
        .bind(id.to_string())
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn rotate_session(&self, old: Uuid, new: &NewSession) -> StoreResult<bool> {
        let new = new.clone();
        immediate(self, move |conn| {
            Box::pin(async move {
                let stamp = now();
                let revoked = sqlx::query(
                    "UPDATE sessions SET revoked_at = ?2, updated_at = ?2 \
                     WHERE id = ?1 AND revoked_at IS NULL",
                )
                .bind(old.to_string())
                .bind(&stamp)
                .execute(&mut *conn)
                .await?;
                if revoked.rows_affected() == 0 {
                    return Ok(false);
                }
                insert_session(&mut *conn, &new).await?;
                Ok(true)
            })
        })
        .await
    }

    async fn create_invite(&self, i: &NewInvite) -> StoreResult<Invite> {
        let row = sqlx::query(&format!(
            "INSERT INTO invites (id, token_hash, team_id, role, email, created_by, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING {INVITE_COLS}"
        ))
        .bind(i.id.to_string())
        .bind(&i.token_hash)
        .bind(i.team_id.to_string())
        .bind(i.role.as_str())
        .bind(&i.email)
        .bind(i.created_by.map(|u| u.to_string()))
        .bind(sqlite_ts(i.expires_at))
        .fetch_one(&self.pool)
        .await?;
        invite_from_row(&row)
    }

    async fn list_invites(&self, team_id: Uuid) -> StoreResult<Vec<Invite>> {
        sqlx::query(&format!(
            "SELECT {INVITE_COLS} FROM invites WHERE team_id = ?1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(team_id.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(invite_from_row)
        .collect()
    }

    async fn revoke_invite(&self, id: Uuid, team_id: Uuid) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE invites SET revoked_at = ?3 WHERE id = ?1 AND team_id = ?2 \
             AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(id.to_string())
        .bind(team_id.to_string())
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn use_refresh_token(&self, hash: &str) -> StoreResult<RefreshUse> {
        let hash = hash.to_string();
        immediate(self, move |conn| {
            Box::pin(async move {
                let stamp = now();
                let row = sqlx::query(&format!(
                    "SELECT {SESSION_COLS} FROM sessions WHERE token_hash = ?1 AND kind = 'refresh'"
                ))
                .bind(&hash)
                .fetch_optional(&mut *conn)
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
                sqlx::query("UPDATE sessions SET used_at = ?2, updated_at = ?2 WHERE id = ?1")
                    .bind(s.id.to_string())
                    .bind(&stamp)
                    .execute(&mut *conn)
                    .await?;
                Ok(RefreshUse::Fresh(s))
            })
        })
        .await
    }

    async fn revoke_family(&self, family_id: Uuid) -> StoreResult<u64> {
        let r = sqlx::query(
            "UPDATE sessions SET revoked_at = ?2, updated_at = ?2 \
             WHERE family_id = ?1 AND revoked_at IS NULL",
        )
        .bind(family_id.to_string())
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    async fn token_family_live(&self, family_id: Uuid) -> StoreResult<bool> {
        let live: Option<(i32,)> = sqlx::query_as(
            "SELECT 1 FROM sessions WHERE family_id = ?1 AND kind = 'refresh' \
             AND revoked_at IS NULL LIMIT 1",
        )
        .bind(family_id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        Ok(live.is_some())
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

    async fn append_audit(&self, a: &NewAudit) -> StoreResult<AuditRecord> {
        let (a, key) = (a.clone(), self.audit_key.clone());
        immediate(self, move |conn| {
            Box::pin(async move {
                let prev: Option<(String,)> =
                    sqlx::query_as("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut *conn)
                        .await?;
                let mut r =
                    AuditRecord::chained(&a, prev.map_or(GENESIS_HASH.into(), |p| p.0), &key);
                let (seq,): (i64,) = sqlx::query_as(
                    "INSERT INTO audit_log (id, occurred_at, request_id, event, actor_type, \
                     actor_id, credential_id, source_ip, user_agent, team_id, target, outcome, \
                     reason, details, prev_hash, hash) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) \
                     RETURNING seq",
                )
                .bind(r.id.to_string())
                .bind(sqlite_ts(r.occurred_at))
                .bind(&r.request_id)
                .bind(&r.event)
                .bind(&r.actor_type)
                .bind(&r.actor_id)
                .bind(&r.credential_id)
                .bind(&r.source_ip)
                .bind(&r.user_agent)
                .bind(r.team_id.map(|t| t.to_string()))
                .bind(&r.target)
                .bind(&r.outcome)
                .bind(&r.reason)
                .bind(r.details.to_string())
                .bind(&r.prev_hash)
                .bind(&r.hash)
                .fetch_one(&mut *conn)
                .await?;
                r.seq = seq;
                let head = AuditHead::sealed(&key, seq, &r.hash);
                sqlx::query(
                    "INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, ?1, ?2, ?3) \
                     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, \
                     mac = excluded.mac",
                )
                .bind(head.seq)
                .bind(&head.hash)
                .bind(&head.mac)
                .execute(&mut *conn)
                .await?;
                Ok(r)
            })
        })
        .await
    }

    async fn list_audit(&self, f: &AuditFilter) -> StoreResult<Vec<AuditRecord>> {
        sqlx::query(&format!(
            "SELECT {AUDIT_COLS} FROM audit_log \
             WHERE (?1 IS NULL OR team_id = ?1) AND (?2 IS NULL OR actor_id = ?2) \
             AND (?3 IS NULL OR event = ?3) AND (?4 IS NULL OR occurred_at >= ?4) \
             AND (?5 IS NULL OR occurred_at < ?5) AND (?6 IS NULL OR seq < ?6) \
             ORDER BY seq DESC LIMIT ?7"
        ))
        .bind(f.team_id.map(|t| t.to_string()))
        .bind(&f.actor_id)
        .bind(&f.event)
        .bind(ts(f.since))
        .bind(ts(f.until))
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
            "SELECT {AUDIT_COLS} FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2"
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
