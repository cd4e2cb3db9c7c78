//! Satchel's cryptographic building blocks: key derivation, the keyslots file, device
//! identities, recovery keys and domain-separated hashing.
//!
//! Nothing here touches a database, a network or a user interface, so an auditor's
//! verifier can depend on it alone.
//!
//! ```
//! use satchel_crypto::{kdf::KdfProfile, keyslots::{Keyslots, SlotRole}, keys::DataKey};
//! use secrecy::SecretString;
//!
//! let profile = KdfProfile::InsecureTest;
//! let mut slots = Keyslots::new_random().unwrap();
//! let key = DataKey::generate().unwrap();
//! let pass = SecretString::from("correct horse battery staple");
//! let kek = slots.derive_kek(&pass, profile).unwrap();
//! slots.seal(SlotRole::Main, &kek, &key, 0, profile).unwrap();
//! let opened = slots.open(&slots.derive_kek(&pass, profile).unwrap(), profile).unwrap();
//! assert_eq!(opened.role, SlotRole::Main);
//! ```

pub mod bundle;
pub mod error;
pub mod hash;
pub mod identity;
pub mod kdf;
pub mod keys;
pub mod keyslots;
pub mod pack;
pub mod recovery;
pub mod rng;

pub use error::CryptoError;
pub use secrecy;
