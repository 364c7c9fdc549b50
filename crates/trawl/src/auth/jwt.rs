//! JWT access tokens: HS256 only, keyed from the instance secret, 15 minutes.
//!
//! Exactly one algorithm is accepted; a token naming any other (including `none`) is
//! refused before its signature is looked at. `iss`, `aud`, `exp`, `iat`, `jti` and `sub`
//! are required.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::secret::Secret;

pub const ISSUER: &str = "trawl";
pub const AUDIENCE: &str = "trawl-api";
pub const ACCESS_TTL_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: Uuid,
    /// The team the token acts for.
    pub team: Uuid,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
    /// The refresh-token family the token was issued with. Ending the family (logout,
    /// a password change, a replayed refresh token) ends the access token with it.
    pub fam: Uuid,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    /// Derives the signing key from the instance secret (domain-separated, so the key is
    /// useless for anything else the secret keys). Without a secret (library use in
    /// tests), a random per-process key.
    pub fn new(secret: Option<&Secret>) -> JwtKeys {
        // jsonwebtoken's HS256 provider (`crate::crypto`) must be in place before any use.
        crate::init_crypto();
        let material: Vec<u8> = match secret {
            Some(s) => {
                let mut h = Sha256::new();
                h.update(b"trawl/jwt/hs256/v1\0");
                h.update(s.expose().as_bytes());
                h.finalize().to_vec()
            }
            None => {
                let mut k = [0u8; 32];
                rand::rng().fill_bytes(&mut k);
                k.to_vec()
            }
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        JwtKeys {
            encoding: EncodingKey::from_secret(&material),
            decoding: DecodingKey::from_secret(&material),
            validation,
        }
    }

    /// Issues an access token; returns it with its claims.
    pub fn issue(&self, user: Uuid, team: Uuid, family: Uuid) -> anyhow::Result<(String, Claims)> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            team,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + ACCESS_TTL_SECS,
            jti: Uuid::now_v7(),
            fam: family,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| anyhow::anyhow!("cannot sign a token: {e}"))?;
        Ok((token, claims))
    }

    /// Signs arbitrary claims (tests craft expired or foreign tokens with it).
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| anyhow::anyhow!("cannot sign a token: {e}"))
    }

    /// Verifies signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| d.claims)
            .filter(|c| c.iat <= chrono::Utc::now().timestamp() + 60)
    }
}

/// Whether a bearer token has a JWT's shape (three base64url parts).
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn keys() -> JwtKeys {
        JwtKeys::new(Some(&Secret::new("a".repeat(40))))
    }

    fn b64(v: &serde_json::Value) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn issued_tokens_verify_and_other_secrets_do_not() {
        let k = keys();
        let (t, c) = k
            .issue(Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7())
            .unwrap();
        assert_eq!(k.verify(&t).unwrap().jti, c.jti);
        let other = JwtKeys::new(Some(&Secret::new("b".repeat(40))));
        assert!(other.verify(&t).is_none());
    }

    #[test]
    fn alg_none_is_refused() {
        let k = keys();
        let (t, _) = k
            .issue(Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7())
            .unwrap();
        let payload = t.split('.').nth(1).unwrap();
        let forged = format!(
            "{}.{payload}.",
            b64(&serde_json::json!({"alg":"none","typ":"JWT"}))
        );
        assert!(k.verify(&forged).is_none());
    }
}
