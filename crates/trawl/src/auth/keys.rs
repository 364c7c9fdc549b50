//! API keys and other opaque tokens.
//!
//! A key is `trawl_` + 32 random base62 characters + a 6-character base62 checksum of
//! those 32. The checksum lets a leaked key be recognised offline (secret scanners) and
//! lets the server refuse a mistyped or made-up key before any database work. Only the
//! SHA-256 of a key is stored.

use sha2::{Digest, Sha256};

pub const PREFIX: &str = "trawl_";
const RANDOM_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
pub const KEY_LEN: usize = PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;
/// How much of a key is kept in clear to tell keys apart in listings.
const SHOWN_LEN: usize = PREFIX.len() + 6;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn random_base62(n: usize) -> String {
    // `rand`'s thread RNG is a CSPRNG seeded from the OS.
    (0..n)
        .map(|_| BASE62[rand::random_range(0..BASE62.len())] as char)
        .collect()
}

fn checksum(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let mut n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) as u64;
    // 62^6 > 2^32: six digits always hold the value.
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("base62 is ASCII")
}

/// A freshly generated key: the text shown once, and what is stored.
pub struct NewKey {
    pub key: String,
    pub hash: String,
    pub shown_prefix: String,
}

pub fn generate() -> NewKey {
    let body = random_base62(RANDOM_LEN);
    let key = format!("{PREFIX}{body}{}", checksum(&body));
    NewKey {
        hash: hash_token(&key),
        shown_prefix: key[..SHOWN_LEN].to_string(),
        key,
    }
}

/// Whether `key` has the shape of a Trawl key with a correct checksum. Needs no database.
pub fn is_well_formed(key: &str) -> bool {
    let Some(rest) = key.strip_prefix(PREFIX) else {
        return false;
    };
    if rest.len() != RANDOM_LEN + CHECKSUM_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (body, sum) = rest.split_at(RANDOM_LEN);
    checksum(body) == sum
}

/// SHA-256 of a token, hex: what is stored for keys, sessions and refresh tokens. A
/// plain hash suffices because the tokens carry ≥ 128 random bits.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An opaque random token (sessions, refresh tokens, CSRF): 256 bits, base62.
pub fn opaque_token() -> String {
    random_base62(43)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_unique() {
        let a = generate();
        let b = generate();
        assert_eq!(a.key.len(), KEY_LEN);
        assert!(a.key.starts_with("trawl_"));
        assert!(is_well_formed(&a.key));
        assert_ne!(a.key, b.key);
        assert_eq!(a.hash, hash_token(&a.key));
        assert!(a.key.starts_with(&a.shown_prefix));
    }

    #[test]
    fn a_changed_character_or_prefix_breaks_the_checksum() {
        let k = generate().key;
        let mut chars: Vec<char> = k.chars().collect();
        chars[10] = if chars[10] == 'a' { 'b' } else { 'a' };
        let typo: String = chars.into_iter().collect();
        assert!(!is_well_formed(&typo));
        assert!(!is_well_formed(&k.replacen("trawl_", "trawm_", 1)));
        assert!(!is_well_formed(&k[..k.len() - 1]));
        assert!(!is_well_formed(""));
    }
}
