//! The workspace passphrase and the minimum strength it must have. The passphrase itself never
//! leaves memory: it is only ever fed to the key derivation.

use std::fmt;

/// A passphrase strong enough to protect a workspace of children's data.
pub struct Passphrase(String);

/// A handful of the passwords every cracking list tries first; anything built on one is refused.
const COMMON: &[&str] = &[
    "password", "passphrase", "123456", "qwerty", "letmein", "welcome", "iloveyou", "admin",
    "monkey", "dragon", "football", "baseball", "sunshine", "princess", "porchlight", "missing",
    "children", "abc123", "111111", "trustno1",
];

impl Passphrase {
    pub const MIN_CHARS: usize = 12;

    /// Checks strength for a new workspace: at least 12 characters, not one repeated character
    /// or a run like "abcdefgh…", not a common password, and either three kinds of character
    /// (lower case, upper case, digits, symbols) or at least 20 characters (a sentence).
    pub fn new_strong(raw: &str) -> Result<Self, String> {
        let chars: Vec<char> = raw.chars().collect();
        if chars.len() < Self::MIN_CHARS {
            return Err(format!(
                "Use at least {} characters; a short sentence you will remember works well.",
                Self::MIN_CHARS
            ));
        }
        let distinct = {
            let mut c = chars.clone();
            c.sort_unstable();
            c.dedup();
            c.len()
        };
        if distinct < 5 {
            return Err("Use more different characters; repeated letters are guessed at once.".into());
        }
        if chars.windows(2).all(|w| (w[1] as i64 - w[0] as i64).abs() == 1) {
            return Err("A run of neighbouring characters is guessed at once; use a sentence instead.".into());
        }
        let lower = raw.to_lowercase();
        let squashed: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
        if let Some(word) = COMMON.iter().find(|w| squashed.contains(*w) && squashed.len() < w.len() + 8) {
            return Err(format!("\"{word}\" is among the first guesses of any attacker; choose something else."));
        }
        let classes = [
            chars.iter().any(|c| c.is_lowercase()),
            chars.iter().any(|c| c.is_uppercase()),
            chars.iter().any(|c| c.is_ascii_digit()),
            chars.iter().any(|c| !c.is_alphanumeric()),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if classes < 3 && chars.len() < 20 {
            return Err(
                "Mix upper and lower case, digits and symbols, or use at least 20 characters.".into(),
            );
        }
        Ok(Passphrase(raw.to_owned()))
    }

    /// Wraps a passphrase typed to unlock an existing workspace. Strength rules are not applied
    /// here: a wrong passphrase is told apart by the key check, not by its shape.
    pub fn for_unlock(raw: &str) -> Self {
        Passphrase(raw.to_owned())
    }

    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_passphrases_are_accepted() {
        for ok in ["Blue-kettle-49-sings", "the light stays on until they come home", "Ünïcode Pässwört 9"] {
            assert!(Passphrase::new_strong(ok).is_ok(), "{ok} refused");
        }
    }

    #[test]
    fn weak_passphrases_are_refused_with_a_reason() {
        for weak in ["short1A!", "aaaaaaaaaaaaaaaa", "abcdefghijklmn", "Password1234!", "lowercaseonlyword", "123456789012"] {
            let err = Passphrase::new_strong(weak).expect_err(weak);
            assert!(!err.is_empty());
        }
    }

    #[test]
    fn debug_never_prints_the_secret() {
        assert_eq!(format!("{:?}", Passphrase::for_unlock("secret words")), "Passphrase(…)");
    }
}
