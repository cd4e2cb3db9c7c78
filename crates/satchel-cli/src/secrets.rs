//! Reading passphrases and recovery keys: environment for scripts, else a prompt
//! that does not echo. Values go straight into `SecretString` and are never printed.

use std::io::IsTerminal;

use anyhow::{Context, Result, bail};
use satchel_api::{ExposeSecret, KdfProfile, RecoveryKey, SecretString};
use zeroize::Zeroizing;

/// The KDF profile, with the insecure test profile only on explicit request.
pub(crate) fn profile() -> KdfProfile {
    if std::env::var_os("SATCHEL_INSECURE_TEST_KDF").is_some_and(|v| v == "1") {
        eprintln!(
            "warning: SATCHEL_INSECURE_TEST_KDF=1: using a cheap key derivation that offers \
             NO protection; for tests only"
        );
        KdfProfile::InsecureTest
    } else {
        KdfProfile::Default
    }
}

fn prompt(label: &str) -> Result<SecretString> {
    // Prompt only when a person is at the keyboard: a script or test with another
    // stdin gets an error, not a prompt on a controlling terminal nobody answers.
    if !std::io::stdin().is_terminal() {
        bail!(
            "no terminal to ask for the {}; scripts set SATCHEL_PASSPHRASE, \
             SATCHEL_PASSPHRASE_FILE, SATCHEL_NEW_PASSPHRASE or SATCHEL_RECOVERY_KEY",
            label.to_lowercase()
        );
    }
    let text = Zeroizing::new(
        rpassword::prompt_password(format!("{label}: "))
            .with_context(|| format!("could not read the {label} from the terminal"))?,
    );
    Ok(SecretString::from(text.as_str()))
}

/// The passphrase that unlocks the vault.
pub(crate) fn passphrase() -> Result<SecretString> {
    if let Ok(p) = std::env::var("SATCHEL_PASSPHRASE") {
        return Ok(SecretString::from(p));
    }
    if let Some(path) = std::env::var_os("SATCHEL_PASSPHRASE_FILE") {
        let text = Zeroizing::new(
            std::fs::read_to_string(&path).context("could not read SATCHEL_PASSPHRASE_FILE")?,
        );
        let line = text.lines().next().unwrap_or("");
        return Ok(SecretString::from(line));
    }
    prompt("Passphrase")
}

/// A new passphrase: from the environment, or asked twice.
pub(crate) fn new_passphrase(label: &str) -> Result<SecretString> {
    if let Ok(p) = std::env::var("SATCHEL_NEW_PASSPHRASE") {
        return Ok(SecretString::from(p));
    }
    let first = prompt(label)?;
    let second = prompt("Repeat it")?;
    if first.expose_secret() != second.expose_secret() {
        bail!("the two entries differ; nothing was changed");
    }
    Ok(first)
}

/// A relay's registration token: from SATCHEL_RELAY_TOKEN, else a prompt.
pub(crate) fn relay_token() -> Result<SecretString> {
    match std::env::var("SATCHEL_RELAY_TOKEN") {
        Ok(t) => Ok(SecretString::from(t)),
        Err(_) => prompt("Relay registration token"),
    }
}

/// The recovery key for `satchel recover`.
pub(crate) fn recovery_key() -> Result<RecoveryKey> {
    let text = match std::env::var("SATCHEL_RECOVERY_KEY") {
        Ok(k) => SecretString::from(k),
        Err(_) => prompt("Recovery key")?,
    };
    Ok(RecoveryKey::parse(text.expose_secret()).map_err(satchel_api::ApiError::from)?)
}
