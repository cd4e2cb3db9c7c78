//! Device identity: an Ed25519 signing key (RFC 8032) and an X25519 key-agreement key
//! (RFC 7748), created at vault initialisation and kept inside the encrypted vault.

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::{CryptoError, hash, rng};

/// Length of the serialised secret part: Ed25519 seed then X25519 scalar.
pub const SECRET_LEN: usize = 64;
/// Length of a signature.
pub const SIGNATURE_LEN: usize = 64;

/// A device's private keys. Not `Clone`; `Debug` prints `***`.
pub struct DeviceKeys {
    signing: SigningKey,
    agreement: StaticSecret,
}

impl fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceKeys(***)")
    }
}

/// A device's public keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicIdentity {
    /// Ed25519 verifying key: also the device's id in op headers.
    pub signing: [u8; 32],
    /// X25519 public key for bundles addressed to this device.
    pub agreement: [u8; 32],
}

impl DeviceKeys {
    /// Fresh keys from the OS generator.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut seed = Zeroizing::new(rng::array::<32>()?);
        let mut scalar = Zeroizing::new(rng::array::<32>()?);
        let keys = Self {
            signing: SigningKey::from_bytes(&seed),
            agreement: StaticSecret::from(*scalar),
        };
        zeroize::Zeroize::zeroize(&mut *seed);
        zeroize::Zeroize::zeroize(&mut *scalar);
        Ok(keys)
    }

    /// Restores keys stored by [`DeviceKeys::to_secret_bytes`].
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != SECRET_LEN {
            return Err(CryptoError::Malformed);
        }
        let (seed, scalar) = bytes.split_at(32);
        let seed: Zeroizing<[u8; 32]> =
            Zeroizing::new(seed.try_into().map_err(|_| CryptoError::Malformed)?);
        let scalar: Zeroizing<[u8; 32]> =
            Zeroizing::new(scalar.try_into().map_err(|_| CryptoError::Malformed)?);
        Ok(Self {
            signing: SigningKey::from_bytes(&seed),
            agreement: StaticSecret::from(*scalar),
        })
    }

    /// The secret bytes to keep inside the vault.
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(SECRET_LEN));
        out.extend_from_slice(&self.signing.to_bytes());
        out.extend_from_slice(self.agreement.as_bytes());
        out
    }

    /// The public half.
    pub fn public(&self) -> PublicIdentity {
        PublicIdentity {
            signing: self.signing.verifying_key().to_bytes(),
            agreement: PublicKey::from(&self.agreement).to_bytes(),
        }
    }

    /// X25519 with a peer's public key (RFC 7748). All-zero output (a low-order
    /// point) is returned as is; callers feed it to HKDF with both public keys, and
    /// a slot derived from it still needs the file key to authenticate.
    pub fn agree(&self, their_public: &[u8; 32]) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(
            self.agreement
                .diffie_hellman(&PublicKey::from(*their_public))
                .to_bytes(),
        )
    }

    /// Signs `message` under `domain` (see [`hash::domain`]).
    pub fn sign(&self, domain: &str, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.signing
            .sign(&signed_message(domain, message))
            .to_bytes()
    }
}

/// What a transparency-log key may sign with [`DeviceKeys::sign_log_note`]: the
/// prefix of every log's origin (the first line of its checkpoints).
pub const LOG_ORIGIN_PREFIX: &str = "satchel/";
const COSIGNATURE_PREFIX: &str = "cosignature/v1\ntime ";

impl DeviceKeys {
    /// Ed25519 of `message` itself, for the C2SP notes of Satchel's transparency logs
    /// (checkpoints, and witnesses' cosignatures of them): signed as the standard
    /// says, with no domain prefix. Only such messages are signed: a checkpoint text,
    /// whose first line is an origin starting with [`LOG_ORIGIN_PREFIX`] with no space
    /// or control character, or a cosignature message (`cosignature/v1\ntime T\n`
    /// then such a text). Every message [`DeviceKeys::sign`] signs starts with a
    /// domain holding a space before any newline, so neither can pass for the other.
    pub fn sign_log_note(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], CryptoError> {
        let text = match message.strip_prefix(COSIGNATURE_PREFIX.as_bytes()) {
            Some(rest) => {
                let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                match rest.get(digits..) {
                    Some([b'\n', text @ ..]) if digits > 0 => text,
                    _ => return Err(CryptoError::Malformed),
                }
            }
            None => message,
        };
        let first = text.split(|&b| b == b'\n').next().unwrap_or_default();
        let origin_ok = first.starts_with(LOG_ORIGIN_PREFIX.as_bytes())
            && !first.iter().any(|&b| b == b' ' || b.is_ascii_control())
            && text.len() > first.len();
        if !origin_ok {
            return Err(CryptoError::Malformed);
        }
        Ok(self.signing.sign(message).to_bytes())
    }
}

fn signed_message(domain: &str, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(domain.len() + 1 + message.len());
    out.extend_from_slice(domain.as_bytes());
    out.push(0);
    out.extend_from_slice(message);
    out
}

/// Verifies a signature made by [`DeviceKeys::sign`] (strict: no malleable encodings).
pub fn verify(
    signer: &[u8; 32],
    domain: &str,
    message: &[u8],
    signature: &[u8; SIGNATURE_LEN],
) -> Result<(), CryptoError> {
    let key = VerifyingKey::from_bytes(signer).map_err(|_| CryptoError::Malformed)?;
    let sig = Signature::from_bytes(signature);
    key.verify_strict(&signed_message(domain, message), &sig)
        .map_err(|_| CryptoError::BadSignature)
}

/// A fingerprint people compare by reading it aloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Eight words (88 bits) from the BIP-39 English list.
    pub words: Vec<&'static str>,
    /// The first 128 bits in hex, in groups of four.
    pub hex: String,
    /// The eleven-bit numbers the words stand for, the same in every language.
    indices: Vec<u16>,
}

/// Fewest fingerprint words a person must type to confirm a device: 44 bits, as
/// `enrol approve` has always asked.
pub const MIN_TYPED_WORDS: usize = 4;

/// BIP-39's list for a UI language (`ko`, `zh-Hans`; English otherwise). Korean and
/// Chinese are the lists people reading Korean or Chinese can read aloud; all three
/// lists give the same number for the same place, so two screens in different
/// languages can still be compared word by word.
fn word_list(lang: &str) -> &'static [&'static str; 2048] {
    match lang {
        "ko" => bip39::Language::Korean.word_list(),
        l if l.starts_with("zh") => bip39::Language::SimplifiedChinese.word_list(),
        _ => bip39::Language::English.word_list(),
    }
}

/// A word as compared: lower case and composed (the Korean list is stored
/// decomposed; input methods type composed syllables).
fn normal(word: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    word.nfc().collect::<String>().to_lowercase()
}

/// Every word of the three lists to its number (the lists' scripts do not overlap).
fn word_numbers() -> &'static std::collections::HashMap<String, u16> {
    static MAP: std::sync::OnceLock<std::collections::HashMap<String, u16>> =
        std::sync::OnceLock::new();
    MAP.get_or_init(|| {
        let mut map = std::collections::HashMap::with_capacity(3 * 2048);
        for lang in ["en", "ko", "zh-Hans"] {
            for (i, w) in word_list(lang).iter().enumerate() {
                map.insert(normal(w), u16::try_from(i).unwrap_or(u16::MAX));
            }
        }
        map
    })
}

/// The numbers of fingerprint words as typed or shown, in any of the three
/// languages: separated by spaces, or Chinese characters run together (each Chinese
/// word is one character). `None` if a word is in no list.
pub fn word_numbers_of(typed: &str) -> Option<Vec<u16>> {
    let map = word_numbers();
    let mut out = Vec::new();
    for token in typed.split_whitespace() {
        let token = normal(token);
        if let Some(n) = map.get(&token) {
            out.push(*n);
            continue;
        }
        for c in token.chars() {
            out.push(*map.get(&c.to_string())?);
        }
    }
    Some(out)
}

/// Fingerprint words shown in one language, in another (`lang` as in
/// [`Fingerprint::words_in`]); `None` if a word is in no list.
pub fn words_in(shown: &str, lang: &str) -> Option<String> {
    let list = word_list(lang);
    let words: Option<Vec<String>> = word_numbers_of(shown)?
        .iter()
        .map(|n| list.get(usize::from(*n)).map(|w| normal(w)))
        .collect();
    Some(words?.join(" "))
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words.join(" "))
    }
}

impl PublicIdentity {
    /// The fingerprint of both public keys.
    pub fn fingerprint(&self) -> Fingerprint {
        let digest = hash::hash(hash::domain::FINGERPRINT, &[&self.signing, &self.agreement]);
        let list = bip39::Language::English.word_list();
        let mut words = Vec::with_capacity(8);
        let mut indices = Vec::with_capacity(8);
        let mut acc: u32 = 0;
        let mut bits = 0;
        for byte in digest.iter().take(11) {
            acc = (acc << 8) | u32::from(*byte);
            bits += 8;
            if bits >= 11 {
                bits -= 11;
                let index = ((acc >> bits) & 0x7FF) as usize;
                words.push(list.get(index).copied().unwrap_or("?"));
                indices.push(u16::try_from(index).unwrap_or(u16::MAX));
            }
        }
        let hex = data_encoding::HEXUPPER.encode(digest.get(..16).unwrap_or_default());
        let hex = hex
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Fingerprint {
            words,
            hex,
            indices,
        }
    }
}

impl Fingerprint {
    /// The words in the UI language `lang` (`en`, `ko`, `zh-Hans`), space separated.
    pub fn words_in(&self, lang: &str) -> String {
        let list = word_list(lang);
        self.indices
            .iter()
            .map(|n| {
                list.get(usize::from(*n))
                    .map_or_else(|| "?".to_owned(), |w| normal(w))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether `typed` confirms this fingerprint: at least [`MIN_TYPED_WORDS`] of its
    /// words from the first on, in order, each in any of the three languages.
    pub fn confirms(&self, typed: &str) -> bool {
        word_numbers_of(typed).is_some_and(|t| {
            t.len() >= MIN_TYPED_WORDS
                && t.len() <= self.indices.len()
                && t.iter().zip(&self.indices).all(|(a, b)| a == b)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_bind_domain_and_message() {
        let keys = DeviceKeys::generate().unwrap();
        let me = keys.public();
        let sig = keys.sign("d1", b"hello");
        verify(&me.signing, "d1", b"hello", &sig).unwrap();
        assert!(verify(&me.signing, "d2", b"hello", &sig).is_err());
        assert!(verify(&me.signing, "d1", b"hellO", &sig).is_err());
        let other = DeviceKeys::generate().unwrap().public();
        assert!(verify(&other.signing, "d1", b"hello", &sig).is_err());
    }

    #[test]
    fn log_notes_are_signed_plain_and_nothing_else_is() {
        let keys = DeviceKeys::generate().unwrap();
        let key = VerifyingKey::from_bytes(&keys.public().signing).unwrap();
        let checkpoint = b"satchel/device/ab12\n3\nAQEB\n";
        let mut cosigned = b"cosignature/v1\ntime 1764460800\n".to_vec();
        cosigned.extend_from_slice(checkpoint);
        for ok in [&checkpoint[..], &cosigned] {
            let sig = keys.sign_log_note(ok).unwrap();
            key.verify_strict(ok, &Signature::from_bytes(&sig)).unwrap();
        }
        // What the domain-separated signatures cover, and anything not a log note.
        let op = signed_message("satchel 2026-11 op signature v1", b"header");
        for refused in [
            &op[..],
            b"hello",
            b"satchel/device/ab12",
            b"satchel/has space\n3\n",
            b"satchel\tx/\n3\n",
            b"other.example/log\n3\nAQEB\n",
            b"cosignature/v1\ntime \nsatchel/device/ab12\n3\n",
            b"cosignature/v1\ntime 12\nother.example/log\n3\n",
        ] {
            assert!(keys.sign_log_note(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn secret_bytes_round_trip() {
        let keys = DeviceKeys::generate().unwrap();
        let back = DeviceKeys::from_secret_bytes(&keys.to_secret_bytes()).unwrap();
        assert_eq!(keys.public(), back.public());
        assert!(DeviceKeys::from_secret_bytes(&[0; 63]).is_err());
    }

    #[test]
    fn fingerprint_words_read_the_same_in_every_language() {
        let keys = DeviceKeys::from_secret_bytes(&[7u8; SECRET_LEN]).unwrap();
        let fp = keys.public().fingerprint();
        let en = fp.words_in("en");
        let ko = fp.words_in("ko");
        let zh = fp.words_in("zh-Hans");
        assert_eq!(en, fp.to_string());
        assert_eq!(ko.split(' ').count(), 8);
        assert!(
            ko.chars().any(|c| ('\u{ac00}'..='\u{d7a3}').contains(&c)),
            "{ko}"
        );
        assert!(
            ko.chars().all(|c| !('\u{1100}'..='\u{11ff}').contains(&c)),
            "composed: {ko}"
        );
        assert_eq!(zh.split(' ').count(), 8);
        for shown in [&en, &ko, &zh] {
            assert!(fp.confirms(shown), "{shown}");
            assert_eq!(words_in(shown, "en").as_deref(), Some(en.as_str()));
            assert_eq!(words_in(shown, "ko").as_deref(), Some(ko.as_str()));
        }
        // Four words are enough, in any language, upper case or Chinese run together.
        let four_en: Vec<&str> = en.split(' ').take(4).collect();
        assert!(fp.confirms(&four_en.join(" ").to_uppercase()));
        let four_zh: String = zh.split(' ').take(4).collect();
        assert!(fp.confirms(&four_zh));
        let four_ko: Vec<&str> = ko.split(' ').take(4).collect();
        assert!(fp.confirms(&four_ko.join(" ")));
        // Three words, a word out of place, an unknown word, nine words: no.
        assert!(!fp.confirms(&four_en[..3].join(" ")));
        let swapped = [four_en[1], four_en[0], four_en[2], four_en[3]].join(" ");
        assert!(!fp.confirms(&swapped));
        assert!(!fp.confirms(&format!("{} zzzz", four_en[..3].join(" "))));
        assert!(!fp.confirms(&format!("{en} {}", four_en[0])));
        assert!(!fp.confirms(""));
        let other = DeviceKeys::generate().unwrap().public().fingerprint();
        assert!(!other.confirms(&en));
    }

    #[test]
    fn fingerprint_has_eight_words_and_is_stable() {
        let keys = DeviceKeys::from_secret_bytes(&[7u8; SECRET_LEN]).unwrap();
        let fp = keys.public().fingerprint();
        assert_eq!(fp.words.len(), 8);
        assert_eq!(fp.hex.len(), 32 + 7);
        assert_eq!(fp, keys.public().fingerprint());
        let other = DeviceKeys::generate().unwrap().public().fingerprint();
        assert_ne!(fp, other);
    }
}
