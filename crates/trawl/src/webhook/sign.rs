//! Webhook signatures. Every delivery carries
//! `X-Trawl-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{body}">`, keyed by
//! the team's signing secret (`GET /api/v1/webhooks/secret`). A receiver recomputes the
//! HMAC over the raw body, compares in constant time, and refuses a `t` too far from its
//! own clock (replays).
//!
//! The team secret is derived from the instance secret, so every node computes the same
//! one without storing it, and rotating `TRAWL_SECRET` rotates every team's secret.

use std::sync::OnceLock;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The header a delivery is signed in.
pub const HEADER: &str = "X-Trawl-Signature";

/// Firecrawl's header, sent as well, so a receiver written for Firecrawl verifies Trawl's
/// deliveries unchanged: `sha256=<hex HMAC-SHA256 of the raw body>` under the same team
/// secret. It carries no timestamp, so it does not resist replays as [`HEADER`] does.
pub const FIRECRAWL_HEADER: &str = "X-Firecrawl-Signature";

/// The [`FIRECRAWL_HEADER`] value for `body`.
pub fn firecrawl_signature(secret: &Secret, body: &[u8]) -> String {
    let mut mac =
        HmacSha256::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The team's webhook signing secret: `whsec_` and 64 hex digits.
pub fn team_secret(instance: Option<&Secret>, team: Uuid) -> Secret {
    // Domain-separated from every other use of the instance secret (JWT keys…).
    let root: Vec<u8> = match instance {
        Some(s) => {
            let mut h = Sha256::new();
            h.update(b"trawl/webhook/v1\0");
            h.update(s.expose().as_bytes());
            h.finalize().to_vec()
        }
        // Library use without a secret: a per-process key, as for JWTs.
        None => process_key().to_vec(),
    };
    let mut mac = HmacSha256::new_from_slice(&root).expect("HMAC takes any key length");
    mac.update(team.as_bytes());
    Secret::new(format!(
        "whsec_{}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

fn process_key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(|| {
        use rand::Rng;
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        k
    })
}

fn mac(secret: &Secret, t: i64, body: &[u8]) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` sent at unix time `t`.
pub fn signature(secret: &Secret, t: i64, body: &[u8]) -> String {
    format!(
        "t={t},v1={}",
        hex::encode(mac(secret, t, body).finalize().into_bytes())
    )
}

/// Checks a header value against `body`: the HMAC must match (constant-time) and `t` be
/// within `tolerance_secs` of `now`. What a receiver does, in Rust.
pub fn verify(secret: &Secret, header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> bool {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (now - t).abs() > tolerance_secs {
        return false;
    }
    sigs.iter()
        .any(|sig| mac(secret, t, body).verify_slice(sig).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_changed_body_does_not() {
        let s = team_secret(Some(&Secret::new("x".repeat(40))), Uuid::nil());
        let header = signature(&s, 1_700_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert!(verify(&s, &header, b"{\"a\":1}", 1_700_000_010, 300));
        assert!(!verify(&s, &header, b"{\"a\":2}", 1_700_000_010, 300));
        assert!(
            !verify(&s, &header, b"{\"a\":1}", 1_700_009_999, 300),
            "too old"
        );
    }

    #[test]
    fn each_team_and_instance_has_its_own_secret() {
        let a = Secret::new("a".repeat(40));
        let b = Secret::new("b".repeat(40));
        let t1 = Uuid::from_u128(1);
        let t2 = Uuid::from_u128(2);
        assert_eq!(team_secret(Some(&a), t1), team_secret(Some(&a), t1));
        assert_ne!(team_secret(Some(&a), t1), team_secret(Some(&a), t2));
        assert_ne!(team_secret(Some(&a), t1), team_secret(Some(&b), t1));
        assert!(team_secret(Some(&a), t1).expose().starts_with("whsec_"));
    }
}
