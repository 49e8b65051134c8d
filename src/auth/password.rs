//! Password hashing with Argon2id. Hashing is deliberately slow, so it runs on the blocking pool
//! and never stalls the async workers that carry signalling and media.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngExt;
use std::sync::LazyLock;

/// A hash that no password matches, verified against when an e-mail address is unknown, so a
/// failed login takes as long whether or not the account exists.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_blocking("no password matches this one"));

fn hash_blocking(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("hashing with the default parameters and a fresh salt cannot fail")
        .to_string()
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Hashes a password for storage.
pub async fn hash(password: String) -> String {
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await.expect("the hashing task does not panic")
}

/// Checks a password against a stored hash; `None` as the hash still costs a full
/// verification.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_blocking(&password, &hash),
        None => {
            verify_blocking(&password, &DUMMY_HASH);
            false
        }
    })
    .await
    .expect("the verification task does not panic")
}

/// A random password for a new account, easy to type: four groups of five letters and digits
/// without look-alikes (about 100 bits).
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..4)
        .map(|_| (0..5).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The minimum we accept for a password a person chooses.
pub fn acceptable(password: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < 12 {
        return Err("must be at least 12 characters");
    }
    if chars > 256 {
        return Err("must be at most 256 characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_another_does_not() {
        let stored = hash("correct horse battery".into()).await;
        assert!(verify("correct horse battery".into(), Some(stored.clone())).await);
        assert!(!verify("wrong horse battery".into(), Some(stored)).await);
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!verify("no password matches this one".into(), None).await);
    }

    #[test]
    fn generated_passwords_differ_and_are_acceptable() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert_eq!(a.len(), 23);
        assert!(acceptable(&a).is_ok());
    }

    #[test]
    fn a_short_password_is_refused() {
        assert!(acceptable("kort").is_err());
    }
}
