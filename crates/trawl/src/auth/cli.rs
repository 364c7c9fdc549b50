//! `trawl users …`, `trawl keys …` and `trawl audit verify`: identity administration
//! against the configured database, no server needed. Only a created key goes to
//! stdout; everything else is on stderr or, for listings, a table on stdout.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context};
use clap::Subcommand;
use uuid::Uuid;

use super::{audit, create_key, create_user, parse_lifetime, KeyRequest, Role, Scope};
use crate::error::AppError;
use crate::store::identity::NewAudit;
use crate::store::jobs::DEFAULT_TEAM;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Create an instance admin (also admin of team `default`).
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// Read the password from the first line of stdin instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
}

#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Create an API key and print it (alone) on stdout.
    Create {
        /// Team name or id.
        #[arg(long)]
        team: String,
        #[arg(long)]
        name: String,
        /// Role ceiling: admin, operator or viewer.
        #[arg(long, default_value = "operator")]
        role: String,
        /// Comma-separated scopes; default: every scope the role allows.
        #[arg(long)]
        scopes: Option<String>,
        /// Lifetime such as 90d, 12h.
        #[arg(long)]
        expires: Option<String>,
    },
    /// List keys (never the key text).
    List {
        /// Only this team (name or id).
        #[arg(long)]
        team: Option<String>,
    },
    /// Revoke a key by id.
    Revoke { id: Uuid },
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Check the audit log's hash chain; names the first bad row.
    Verify,
}

fn system_event(name: &str) -> NewAudit {
    NewAudit {
        event: name.into(),
        actor_type: "system".into(),
        actor_id: Some("cli".into()),
        outcome: "success".into(),
        ..NewAudit::default()
    }
}

/// An `AppError` from a shared helper, as a one-line CLI message.
fn plain(e: AppError) -> anyhow::Error {
    match e {
        AppError::Validation(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.rule))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        AppError::Internal(cause) => cause,
        other => anyhow::anyhow!("{}", other.public_message()),
    }
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !from_stdin && stdin.is_terminal() {
        eprint!("password: ");
        std::io::stderr().flush().ok();
    } else if !from_stdin {
        bail!("no terminal to prompt for a password; use --password-stdin");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the password")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

async fn resolve_team(store: &dyn Store, team: &str) -> anyhow::Result<Uuid> {
    if let Ok(id) = Uuid::parse_str(team) {
        if store.team_by_id(id).await?.is_some() {
            return Ok(id);
        }
    }
    match store.team_by_name(team).await? {
        Some(t) => Ok(t.id),
        None => bail!("no team named {team:?}"),
    }
}

pub async fn users(store: &dyn Store, action: UsersAction) -> anyhow::Result<()> {
    match action {
        UsersAction::CreateAdmin {
            email,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            let user = create_user(
                store,
                &email,
                password,
                Some((DEFAULT_TEAM, Role::Admin)),
                false,
                None,
            )
            .await
            .map_err(plain)?;
            if !user.is_admin {
                store.set_instance_admin(user.id, true).await?;
            }
            let mut e = system_event(audit::USER_CREATED);
            e.target = Some(format!("user:{}", user.id));
            e.reason = Some("instance admin created from the command line".into());
            audit::record(store, e).await;
            eprintln!("created instance admin {} ({})", user.email, user.id);
            Ok(())
        }
        UsersAction::List => {
            for u in store.list_users().await? {
                let state = if u.disabled_at.is_some() {
                    "disabled"
                } else {
                    "active"
                };
                let admin = if u.is_admin { "instance-admin" } else { "" };
                println!("{}  {:<8}  {:<14}  {}", u.id, state, admin, u.email);
            }
            Ok(())
        }
    }
}

pub async fn keys(store: &dyn Store, action: KeysAction) -> anyhow::Result<()> {
    match action {
        KeysAction::Create {
            team,
            name,
            role,
            scopes,
            expires,
        } => {
            let team_id = resolve_team(store, &team).await?;
            let role: Role = role.parse().map_err(|r| anyhow::anyhow!("--role {r}"))?;
            let scopes = scopes
                .map(|s| Scope::parse_list(&s))
                .transpose()
                .map_err(|r| anyhow::anyhow!("--scopes: {r}"))?;
            let expires_at = expires
                .map(|e| parse_lifetime(&e).map(|d| chrono::Utc::now() + d))
                .transpose()
                .map_err(|r| anyhow::anyhow!("--expires {r}"))?;
            let (key, record) = create_key(
                store,
                KeyRequest {
                    team_id,
                    name,
                    role,
                    scopes,
                    expires_at,
                    created_by: None,
                },
            )
            .await
            .map_err(plain)?;
            let mut e = system_event(audit::TOKEN_CREATED);
            e.team_id = Some(team_id);
            e.target = Some(format!("api_key:{}", record.id));
            audit::record(store, e).await;
            println!("{key}");
            eprintln!(
                "created key {} ({}) for team {team}: role {}, scopes {}",
                record.id,
                record.name,
                record.role,
                record
                    .scopes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            );
            Ok(())
        }
        KeysAction::List { team } => {
            let team_id = match team {
                Some(t) => Some(resolve_team(store, &t).await?),
                None => None,
            };
            for k in store.list_api_keys(team_id).await? {
                let state = if k.revoked_at.is_some() {
                    "revoked"
                } else if k.expires_at.is_some_and(|t| t <= chrono::Utc::now()) {
                    "expired"
                } else {
                    "active"
                };
                println!(
                    "{}  {}…  {:<8}  {:<8}  team {}  {}",
                    k.id, k.prefix, state, k.role, k.team_id, k.name
                );
            }
            Ok(())
        }
        KeysAction::Revoke { id } => {
            let key = store.revoke_api_key(id, None).await.map_err(|e| match e {
                crate::store::StoreError::NotFound(_) => anyhow::anyhow!("no key with id {id}"),
                other => other.into(),
            })?;
            let mut e = system_event(audit::TOKEN_REVOKED);
            e.team_id = Some(key.team_id);
            e.target = Some(format!("api_key:{id}"));
            audit::record(store, e).await;
            eprintln!("revoked key {id} ({})", key.name);
            Ok(())
        }
    }
}

/// `Err` (exit status 2) when the chain is broken, naming the first bad row.
pub async fn audit(store: &dyn Store, action: AuditAction) -> anyhow::Result<()> {
    match action {
        AuditAction::Verify => {
            let report = audit::verify_chain(store).await?;
            match report.first_bad {
                None => {
                    eprintln!("audit log intact: {} row(s) verified", report.rows);
                    Ok(())
                }
                Some((seq, why)) => bail!("audit log broken at row {seq}: {why}"),
            }
        }
    }
}
