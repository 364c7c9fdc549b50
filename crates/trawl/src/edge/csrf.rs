//! CSRF tokens for cookie sessions: a signed double-submit token, HMAC-SHA256 of the
//! session token under a key derived from the instance secret. The server can check it
//! without a database round trip, and it is useless with any other session.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::secret::Secret;

#[derive(Clone)]
pub struct CsrfKeys {
    key: [u8; 32],
}

impl CsrfKeys {
    /// Without a secret (library use in tests), a random per-process key.
    pub fn new(secret: Option<&Secret>) -> CsrfKeys {
        let key = match secret {
            Some(s) => {
                let mut h = Sha256::new();
                h.update(b"trawl/csrf/hmac-sha256/v1\0");
                h.update(s.expose().as_bytes());
                h.finalize().into()
            }
            None => rand::random(),
        };
        CsrfKeys { key }
    }

    /// The token for the session whose cookie value is `session_token`.
    pub fn token_for(&self, session_token: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(hmac_sha256(&self.key, session_token.as_bytes()))
    }

    pub fn verify(&self, session_token: &str, presented: &str) -> bool {
        let expected = self.token_for(session_token);
        bool::from(expected.as_bytes().ct_eq(presented.trim().as_bytes()))
    }
}

fn hmac_sha256(key: &[u8; 32], msg: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_1() {
        // Case 1's 20-byte key, zero-padded to 32 bytes: HMAC pads short keys with
        // zeros, so the MAC is the RFC's.
        let mut key = [0u8; 32];
        key[..20].copy_from_slice(&[0x0b; 20]);
        let mac = hmac_sha256(&key, b"Hi There");
        assert_eq!(
            hex::encode(mac),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    #[test]
    fn a_token_fits_only_its_own_session() {
        let k = CsrfKeys::new(Some(&Secret::new("x".repeat(40))));
        let t = k.token_for("session-a");
        assert!(k.verify("session-a", &t));
        assert!(!k.verify("session-b", &t));
        assert!(!k.verify("session-a", &format!("{t}x")));
        let other = CsrfKeys::new(Some(&Secret::new("y".repeat(40))));
        assert!(!other.verify("session-a", &t));
    }
}
