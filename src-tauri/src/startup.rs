//! Cold-start measurement. With `SATCHEL_STARTUP_PROBE=1` the app prints, once, how
//! long after `main` the UI made its first call: the UI calls `vault_state` as soon
//! as it is mounted, and the unlock screen is interactive when that call returns.
//! Only a duration is printed, never anything about the vault.

use std::{
    sync::{Once, OnceLock},
    time::Instant,
};

static START: OnceLock<Instant> = OnceLock::new();
static REPORTED: Once = Once::new();

/// Records the process start (call first thing in `run`).
pub fn mark() {
    let _ = START.set(Instant::now());
}

/// Reports the first UI call when the probe is on.
pub fn first_call() {
    REPORTED.call_once(|| {
        if std::env::var_os("SATCHEL_STARTUP_PROBE").is_some()
            && let Some(start) = START.get()
        {
            eprintln!("satchel-app: ui-ready-ms {}", start.elapsed().as_millis());
        }
    });
}
