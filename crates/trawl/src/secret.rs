//! Secrets: a wrapper that never prints, the strength rule, and the development secret
//! kept in the data directory.

use std::cell::Cell;
use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// A string that must never reach a log line or a response. `Debug` and `Serialize`
/// print `<redacted>`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret text. Call sites are where a secret is really used, so they are easy
    /// to find.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

thread_local! {
    static EXPOSE: Cell<bool> = const { Cell::new(false) };
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if EXPOSE.with(Cell::get) {
            s.serialize_str(&self.0)
        } else {
            s.serialize_str("<redacted>")
        }
    }
}

/// Runs `f` with secrets serialising as their text. Only for values whose secrets were
/// already replaced by redacted forms (see `Config::redacted_toml`).
pub(crate) fn with_exposed<T>(f: impl FnOnce() -> T) -> T {
    EXPOSE.with(|e| e.set(true));
    let out = f();
    EXPOSE.with(|e| e.set(false));
    out
}

/// Minimum length of the instance secret in strict profiles.
pub const MIN_SECRET_BYTES: usize = 32;

const HOW_TO: &str = "generate one with `trawl gen-secret` and set TRAWL_SECRET to it";

/// Refuses short, placeholder and low-variety secrets.
pub fn check_strength(secret: &str) -> Result<(), String> {
    if secret.trim().is_empty() {
        return Err(format!("is missing; {HOW_TO}"));
    }
    if secret.len() < MIN_SECRET_BYTES {
        return Err(format!(
            "is shorter than {MIN_SECRET_BYTES} bytes; {HOW_TO}"
        ));
    }
    let lower = secret.to_ascii_lowercase();
    const PLACEHOLDERS: &[&str] = &[
        "changeme",
        "change-me",
        "change_me",
        "replace",
        "placeholder",
        "example",
        "your-secret",
        "your_secret",
        "secret-key",
        "xxxxxxxx",
        "00000000",
        "12345678",
        "password",
    ];
    if PLACEHOLDERS.iter().any(|p| lower.contains(p)) {
        return Err(format!("looks like a placeholder; {HOW_TO}"));
    }
    let distinct: std::collections::HashSet<u8> = secret.bytes().collect();
    if distinct.len() < 10 {
        return Err(format!("has too little variety to be random; {HOW_TO}"));
    }
    Ok(())
}

/// A new random secret: 48 bytes from the OS-seeded CSPRNG, base64url (64 characters).
pub fn generate() -> String {
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads the development secret from `dir/secret`, creating it (mode 0600) on first use.
pub fn load_or_create_dev_secret(dir: &Path) -> std::io::Result<Secret> {
    let path = dir.join("secret");
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= MIN_SECRET_BYTES => return Ok(Secret::new(text.trim())),
        Ok(_) => {
            return Err(std::io::Error::other(format!(
            "{} holds a secret shorter than {MIN_SECRET_BYTES} bytes; delete it to make a new one",
            path.display()
        )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::create_dir_all(dir)?;
    let secret = generate();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(&path) {
        Ok(mut f) => {
            f.write_all(secret.as_bytes())?;
            f.sync_all()?;
            Ok(Secret::new(secret))
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(Secret::new(std::fs::read_to_string(&path)?.trim()))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_strong_and_distinct() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        check_strength(&a).unwrap();
    }

    #[test]
    fn weak_secrets_are_refused_with_the_way_to_make_one() {
        for weak in [
            "",
            "short",
            "changeme-changeme-changeme-changeme-1",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "please-replace-this-with-a-real-secret-value",
        ] {
            let err = check_strength(weak).unwrap_err();
            assert!(err.contains("trawl gen-secret"), "{weak}: {err}");
        }
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let s = Secret::new("topsecretvalue");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"<redacted>\"");
    }

    #[cfg(unix)]
    #[test]
    fn dev_secret_is_created_once_with_owner_only_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_dev_secret(dir.path()).unwrap();
        let second = load_or_create_dev_secret(dir.path()).unwrap();
        assert_eq!(first, second);
        let mode = std::fs::metadata(dir.path().join("secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
