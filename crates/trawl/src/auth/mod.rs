//! Identity and access: passwords, API keys, JWT access tokens and refresh tokens,
//! dashboard sessions, roles and scopes, login throttling and the audit log.
//!
//! Handlers authenticate through one extractor, [`Caller`]:
//!
//! ```ignore
//! async fn handler(caller: Caller, State(s): State<AppState>) -> AppResult<Json<Value>> {
//!     caller.require(Scope::Scrape)?;       // 403: role below the scope's, or no scope
//!     let team = caller.team_id;             // scope every query to this team
//!     …
//! }
//! ```
//!
//! See [`caller`] for the credentials it accepts.

pub mod audit;
pub mod caller;
pub mod cli;
pub mod jwt;
pub mod keys;
pub mod password;
pub mod roles;
pub mod rotation;
pub mod throttle;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use uuid::Uuid;

pub use caller::{Caller, Principal, RequestMeta, Via};
pub use roles::{Role, Scope};

use crate::config::{AuthConfig, Config};
use crate::store::identity::KeyCredential;

/// The session cookie wherever cookies are `Secure` (staging, production, an `https`
/// public URL): `__Host-` binds it to this host, path `/` and a secure origin.
pub const SECURE_SESSION_COOKIE: &str = "__Host-trawl_session";
/// The session cookie over plain `http` in development. Browsers drop a `__Host-`
/// cookie that lacks `Secure`, so there it carries no prefix; it is never read where
/// cookies are `Secure`, so a cookie planted over plain HTTP cannot stand in for it.
pub const PLAIN_SESSION_COOKIE: &str = "trawl_session";
/// Header carrying the session's CSRF token on unsafe requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a key lookup is remembered: revocation is seen on every node within this.
const KEY_CACHE_TTL: Duration = Duration::from_millis(1000);
/// Bound on remembered lookups (made-up keys with valid checksums must not grow it).
const KEY_CACHE_MAX: usize = 50_000;
/// `last_used_at` is written at most this often per key.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// A key lookup and when it was made; `None`: no such key.
type CachedKey = (Instant, Option<Arc<KeyCredential>>);

/// Process-wide authentication state. Cheap to clone.
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    settings: AuthConfig,
    cookie_secure: bool,
    jwt: jwt::JwtKeys,
    keys: RwLock<HashMap<String, CachedKey>>,
    touched: Mutex<HashMap<Uuid, Instant>>,
    throttle: throttle::LoginThrottle,
    csrf: crate::edge::csrf::CsrfKeys,
}

impl Auth {
    pub fn new(config: &Config) -> Auth {
        let cookie_secure = config.auth.cookie_secure.unwrap_or_else(|| {
            config.env.is_strict()
                || config
                    .server
                    .public_url
                    .as_ref()
                    .is_some_and(|u| u.scheme() == "https")
        });
        Auth {
            inner: Arc::new(Inner {
                settings: config.auth.clone(),
                cookie_secure,
                jwt: jwt::JwtKeys::new(config.secret.as_ref()),
                keys: RwLock::new(HashMap::new()),
                touched: Mutex::new(HashMap::new()),
                throttle: throttle::LoginThrottle::new(),
                csrf: crate::edge::csrf::CsrfKeys::new(config.secret.as_ref()),
            }),
        }
    }

    pub fn settings(&self) -> &AuthConfig {
        &self.inner.settings
    }

    pub fn cookie_secure(&self) -> bool {
        self.inner.cookie_secure
    }

    /// The session cookie's name on this instance.
    pub fn session_cookie_name(&self) -> &'static str {
        if self.inner.cookie_secure {
            SECURE_SESSION_COOKIE
        } else {
            PLAIN_SESSION_COOKIE
        }
    }

    /// The session cookie's idle lifetime: a browser forgets it when the server would.
    pub fn session_idle_secs(&self) -> i64 {
        (self.inner.settings.session_idle_secs as i64)
            .min(self.inner.settings.session_absolute_secs as i64)
    }

    /// The `Set-Cookie` value for a session token (an empty value with age 0 clears it).
    pub fn session_cookie_header(&self, value: &str, max_age: i64) -> HeaderValue {
        let name = self.session_cookie_name();
        let secure = if self.inner.cookie_secure {
            "; Secure"
        } else {
            ""
        };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
        ))
        .expect("cookie text is ASCII")
    }

    pub fn jwt(&self) -> &jwt::JwtKeys {
        &self.inner.jwt
    }

    pub fn throttle(&self) -> &throttle::LoginThrottle {
        &self.inner.throttle
    }

    /// Signs and checks the CSRF tokens of cookie sessions.
    pub fn csrf(&self) -> &crate::edge::csrf::CsrfKeys {
        &self.inner.csrf
    }

    /// A remembered key lookup younger than the cache TTL: `Some(None)` means "no such
    /// key", `None` means "ask the database".
    fn cached_key(&self, hash: &str) -> Option<Option<Arc<KeyCredential>>> {
        let map = self.inner.keys.read().unwrap_or_else(|e| e.into_inner());
        map.get(hash)
            .filter(|(at, _)| at.elapsed() < KEY_CACHE_TTL)
            .map(|(_, k)| k.clone())
    }

    fn remember_key(&self, hash: String, key: Option<Arc<KeyCredential>>) {
        let mut map = self.inner.keys.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= KEY_CACHE_MAX {
            map.retain(|_, (at, _)| at.elapsed() < KEY_CACHE_TTL);
            if map.len() >= KEY_CACHE_MAX {
                map.clear();
            }
        }
        map.insert(hash, (Instant::now(), key));
    }

    /// Forgets every remembered key lookup (after a revocation on this node).
    pub fn forget_keys(&self) {
        self.inner
            .keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Whether this key's `last_used_at` is due a write; marks it written if so.
    fn touch_due(&self, id: Uuid) -> bool {
        let mut map = self.inner.touched.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match map.get(&id) {
            Some(at) if now.duration_since(*at) < TOUCH_EVERY => false,
            _ => {
                if map.len() > KEY_CACHE_MAX {
                    map.retain(|_, at| now.duration_since(*at) < TOUCH_EVERY);
                }
                map.insert(id, now);
                true
            }
        }
    }
}

/// Normalises an email for lookups and uniqueness: trimmed, lower-cased.
pub fn normalize_email(email: &str) -> Result<String, &'static str> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(e)
    } else {
        Err("must be an email address")
    }
}

/// Everything needed to create an API key.
#[derive(Debug, Clone)]
pub struct KeyRequest {
    pub team_id: Uuid,
    pub name: String,
    pub role: Role,
    /// `None`: every scope the role allows.
    pub scopes: Option<Vec<Scope>>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_by: Option<Uuid>,
}

/// Creates a key; returns the key text (to show once) and its record.
pub async fn create_key(
    store: &dyn crate::store::Store,
    req: KeyRequest,
) -> Result<(String, crate::store::identity::ApiKey), crate::error::AppError> {
    use crate::error::AppError;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "must be 1 to 100 characters"));
    }
    let scopes = match req.scopes {
        Some(s) => {
            if let Some(over) = s.iter().find(|s| s.min_role() > req.role) {
                return Err(AppError::invalid(
                    "scopes",
                    format!("{over} needs role {} or above", over.min_role()),
                ));
            }
            s
        }
        None => req.role.scopes(),
    };
    if req.expires_at.is_some_and(|t| t <= chrono::Utc::now()) {
        return Err(AppError::invalid("expires", "must be in the future"));
    }
    let new = keys::generate();
    let record = store
        .create_api_key(&crate::store::identity::NewApiKey {
            id: Uuid::now_v7(),
            team_id: req.team_id,
            name: name.to_string(),
            hash: new.hash,
            prefix: new.shown_prefix,
            role: req.role,
            scopes,
            expires_at: req.expires_at,
            created_by: req.created_by,
        })
        .await?;
    Ok((new.key, record))
}

/// Parses a lifetime such as `90d`, `12h`, `30m` or `3600s`.
pub fn parse_lifetime(s: &str) -> Result<chrono::Duration, &'static str> {
    const RULE: &str = "must be a number followed by d, h, m or s (e.g. 90d), at most 10 years";
    let s = s.trim();
    // The unit is the last character, which need not be ASCII in a bad value: split on
    // a character boundary.
    let unit = s.chars().last().ok_or(RULE)?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().map_err(|_| RULE)?;
    let unit_secs = match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        's' => 1,
        _ => return Err(RULE),
    };
    // Bounded in seconds, so that adding it to now cannot overflow a date.
    match n.checked_mul(unit_secs) {
        Some(secs) if n > 0 && secs <= 3650 * 86_400 => Ok(chrono::Duration::seconds(secs)),
        _ => Err(RULE),
    }
}

/// Creates an account after checking the email and password rules (the library and
/// CLI path: the account may be the instance's first, and so its admin).
pub async fn create_user(
    store: &dyn crate::store::Store,
    email: &str,
    password: String,
    team: Option<(Uuid, Role)>,
    only_if_first: bool,
    invite: Option<String>,
) -> Result<crate::store::identity::User, crate::error::AppError> {
    let first = if only_if_first {
        FirstAccount::Only
    } else {
        FirstAccount::Allowed
    };
    create_account(store, email, password, team, first, invite).await
}

/// Whether an account being created may be, or must be, the instance's first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstAccount {
    /// It may be the first (and then becomes the instance admin) or a later one.
    Allowed,
    /// Only as the first: later accounts are refused (`registration_closed`).
    Only,
    /// Never the first (`setup_required`): anonymous registration in staging and
    /// production, where the first admin comes only from `trawl users create-admin`.
    Refused,
}

/// Creates an account after checking the email and password rules.
pub async fn create_account(
    store: &dyn crate::store::Store,
    email: &str,
    password: String,
    team: Option<(Uuid, Role)>,
    first: FirstAccount,
    invite: Option<String>,
) -> Result<crate::store::identity::User, crate::error::AppError> {
    use crate::error::{AppError, FieldError};
    let mut errors = Vec::new();
    let email = normalize_email(email).map_err(|r| errors.push(FieldError::new("email", r)));
    if let Err(rule) = password::check_new(&password) {
        errors.push(FieldError::new("password", rule));
    }
    let Ok(email) = email else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let hash = password::hash(password).await?;
    Ok(store
        .create_user(&crate::store::identity::NewUser {
            id: Uuid::now_v7(),
            email,
            password_hash: hash,
            team,
            only_if_first: first == FirstAccount::Only,
            may_be_first: first != FirstAccount::Refused,
            invite,
        })
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lifetime_is_a_number_and_a_unit_of_at_most_ten_years() {
        assert_eq!(parse_lifetime("90d"), Ok(chrono::Duration::days(90)));
        assert_eq!(parse_lifetime(" 12h "), Ok(chrono::Duration::hours(12)));
        assert_eq!(parse_lifetime("3650d"), Ok(chrono::Duration::days(3650)));
        // Found by schemathesis: a multi-byte last character used to panic (a 500), and
        // a count within the old bound could overflow `now + lifetime`.
        for bad in [
            "",
            "d",
            "0d",
            "-1h",
            "3651d",
            "315360000d",
            "9223372036854775807s",
            "1é",
            "é",
        ] {
            assert!(parse_lifetime(bad).is_err(), "{bad:?}");
        }
    }
}
