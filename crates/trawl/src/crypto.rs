//! Process-wide crypto providers: ring for rustls, and HMAC for `jsonwebtoken`.
//!
//! `jsonwebtoken` bundles a provider only behind its `rust_crypto` feature (RSA, ECDSA and
//! EdDSA stacks, with their own copies of the RustCrypto crates and `rand`) or its
//! `aws_lc_rs` one. Trawl's tokens are HS256 (`auth::jwt` accepts no other algorithm), so
//! it installs this small provider instead, on the `hmac` and `sha2` it already uses: the
//! HMAC family only (HS384 and HS512 so that a token in them is refused by validation, not
//! by a panic), every other algorithm an error.

use hmac::{EagerHash, Hmac, KeyInit, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::signature::{Error as SignatureError, Signer, Verifier};
use jsonwebtoken::Algorithm;
use sha2::{Sha256, Sha384, Sha512};

/// Installs rustls' provider (ring) and the HMAC provider, once. Every TLS client and
/// server and every JWT in the process uses them; calling this again does nothing.
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Fails only if another provider was installed first, which nothing else does.
        let _ = HMAC_ONLY.install_default();
    });
}

static HMAC_ONLY: CryptoProvider = CryptoProvider {
    signer_factory: |alg, key| {
        let secret = key.try_get_hmac_secret()?;
        Ok(match alg {
            Algorithm::HS256 => Box::new(Hs::<Sha256>::new(*alg, secret)?),
            Algorithm::HS384 => Box::new(Hs::<Sha384>::new(*alg, secret)?),
            Algorithm::HS512 => Box::new(Hs::<Sha512>::new(*alg, secret)?),
            _ => return Err(ErrorKind::InvalidAlgorithm.into()),
        })
    },
    verifier_factory: |alg, key| {
        let secret = key.try_get_hmac_secret()?;
        Ok(match alg {
            Algorithm::HS256 => Box::new(Hs::<Sha256>::new(*alg, secret)?),
            Algorithm::HS384 => Box::new(Hs::<Sha384>::new(*alg, secret)?),
            Algorithm::HS512 => Box::new(Hs::<Sha512>::new(*alg, secret)?),
            _ => return Err(ErrorKind::InvalidAlgorithm.into()),
        })
    },
    // Trawl reads no JWKs; these panic if something ever asks.
    jwk_utils: JwkUtils::new_unimplemented(),
};

/// HMAC with digest `D`, keyed for one token's signature or check.
struct Hs<D: EagerHash> {
    alg: Algorithm,
    mac: Hmac<D>,
}

impl<D: EagerHash> Hs<D>
where
    Hmac<D>: KeyInit + Mac + Clone,
{
    fn new(alg: Algorithm, secret: &[u8]) -> Result<Self> {
        let mac = <Hmac<D> as KeyInit>::new_from_slice(secret)
            .map_err(|_| jsonwebtoken::errors::Error::from(ErrorKind::InvalidKeyFormat))?;
        Ok(Hs { alg, mac })
    }
}

impl<D: EagerHash> Signer<Vec<u8>> for Hs<D>
where
    Hmac<D>: Mac + Clone,
{
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, SignatureError> {
        let mut mac = self.mac.clone();
        mac.update(msg);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl<D: EagerHash> Verifier<Vec<u8>> for Hs<D>
where
    Hmac<D>: Mac + Clone,
{
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> std::result::Result<(), SignatureError> {
        let mut mac = self.mac.clone();
        mac.update(msg);
        // Constant-time comparison.
        mac.verify_slice(signature)
            .map_err(|_| SignatureError::new())
    }
}

impl<D: EagerHash> JwtSigner for Hs<D>
where
    Hmac<D>: Mac + Clone,
{
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

impl<D: EagerHash> JwtVerifier for Hs<D>
where
    Hmac<D>: Mac + Clone,
{
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use jsonwebtoken::{decode, encode, DecodingKey, EncodingKey, Header, Validation};
    use serde_json::{json, Value};

    use super::*;

    #[test]
    fn hs256_tokens_round_trip_and_a_wrong_key_or_other_algorithm_fails() {
        install();
        let claims = json!({"sub": "x", "exp": 4_000_000_000u64});
        let token = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"k1"),
        )
        .unwrap();
        // RFC 7515 HS256 over the same input, computed with the MAC directly.
        let (signed, sig) = token.rsplit_once('.').unwrap();
        let mut m = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(b"k1").unwrap();
        m.update(signed.as_bytes());
        let expected =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
        assert_eq!(sig, expected);
        let v = Validation::new(Algorithm::HS256);
        let got = decode::<Value>(&token, &DecodingKey::from_secret(b"k1"), &v).unwrap();
        assert_eq!(got.claims, claims);
        assert!(decode::<Value>(&token, &DecodingKey::from_secret(b"k2"), &v).is_err());
        // HS512 signs (a token in it is for validation to refuse); RS256 is not there.
        encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(b"k1"),
        )
        .unwrap();
        let err = encode(
            &Header::new(Algorithm::RS256),
            &claims,
            &EncodingKey::from_secret(b"k1"),
        )
        .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidAlgorithm);
    }
}
