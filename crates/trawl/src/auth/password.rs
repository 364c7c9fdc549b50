//! Passwords: argon2id with OWASP's parameters, hashed on blocking threads (at most half
//! the cores at once, so that a burst of logins cannot starve the request runtime), the
//! length rule and the list of common passwords.

use std::sync::LazyLock;

use anyhow::Context;
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use rand::Rng;
use tokio::sync::Semaphore;

/// OWASP: argon2id, 19 MiB, two passes, one lane.
const M_COST_KIB: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// The 10,000 most common passwords, lower-cased, one per line (from the frequency list
/// shipped in the `zxcvbn` package, MIT).
static COMMON: LazyLock<std::collections::HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// Hashes in flight at once. Each takes ~19 MiB and a core for tens of milliseconds.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Semaphore::new((cores / 2).max(1))
});

/// Verified against when the account does not exist, so that an unknown email costs the
/// same time as a wrong password: the hash, with this module's parameters, of a random
/// password that was thrown away. It protects nothing and no password matches it, and,
/// being fixed, it costs no 19 MiB hash at start-up (which held idle memory ~20 MB
/// higher for the first seconds) nor a slow first login. `a_dummy_hash_has_our_cost`
/// keeps its parameters in step with the constants above.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$kXF0ZJRGgq/RhoAGjTIiJg$saJuheT3O+C3Iu9RhhT4uxr9JEdLT64CjIxXgdYKTbI";

fn hasher() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).expect("valid argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks a new password against the rules: 8–128 characters and not a common password.
/// No composition rules (NIST 800-63B).
pub fn check_new(password: &str) -> Result<(), &'static str> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err("must be at least 8 characters");
    }
    if len > MAX_LEN {
        return Err("must be at most 128 characters");
    }
    if COMMON.contains(password.to_lowercase().as_str()) {
        return Err("is one of the most common passwords; choose another");
    }
    Ok(())
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let hash = hasher()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(hash.to_string())
}

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub ok: bool,
    /// The stored hash uses weaker parameters than today's: store a fresh one.
    pub needs_rehash: bool,
}

fn verify_blocking(password: &str, stored: &str) -> Verified {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verified {
            ok: false,
            needs_rehash: false,
        };
    };
    let ok = hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    let needs_rehash = ok && is_weaker(&parsed);
    Verified { ok, needs_rehash }
}

fn is_weaker(hash: &PasswordHash) -> bool {
    if hash.algorithm.as_str() != "argon2id" {
        return true;
    }
    match Params::try_from(hash) {
        Ok(p) => p.m_cost() < M_COST_KIB || p.t_cost() < T_COST || p.p_cost() < P_COST,
        Err(_) => true,
    }
}

/// Hashes `password` with today's parameters, off the async runtime.
pub async fn hash(password: String) -> anyhow::Result<String> {
    let _permit = HASHING.acquire().await.context("hashing closed")?;
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .context("hashing task")?
}

/// Verifies `password` against `stored`, or against a dummy hash when there is no
/// account, so both cases take the same time.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<Verified> {
    let _permit = HASHING.acquire().await.context("hashing closed")?;
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => verify_blocking(&password, &stored),
        None => {
            let _ = verify_blocking(&password, DUMMY_HASH);
            Verified {
                ok: false,
                needs_rehash: false,
            }
        }
    })
    .await
    .context("hashing task")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dummy_hash_has_our_cost() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (M_COST_KIB, T_COST, P_COST)
        );
        assert!(!is_weaker(&parsed));
    }

    #[test]
    fn length_and_common_passwords_are_refused() {
        assert!(check_new("short").is_err());
        assert!(check_new(&"x".repeat(129)).is_err());
        assert!(check_new("password").is_err());
        assert!(check_new("12345678").is_err());
        assert!(check_new("correct horse battery staple").is_ok());
        assert_eq!(COMMON.len(), 10_000);
    }

    #[test]
    fn hashes_verify_and_use_owasp_parameters() {
        let h = hash_blocking("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert_eq!(
            verify_blocking("correct horse battery staple", &h),
            Verified {
                ok: true,
                needs_rehash: false
            }
        );
        assert!(!verify_blocking("wrong", &h).ok);
    }

    #[test]
    fn weaker_hashes_are_flagged_for_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        )
        .hash_password_with_salt(b"correct horse battery staple", &[7u8; 16])
        .unwrap()
        .to_string();
        let v = verify_blocking("correct horse battery staple", &weak);
        assert!(v.ok && v.needs_rehash);
    }
}
