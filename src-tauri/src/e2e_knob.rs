//! The end-to-end test's one knob: a cheap key derivation and auto-lock minutes that
//! last [`E2E_MINUTE`], so the test's many unlocks and its idle lock take seconds.
//!
//! It exists in debug builds only: in a release build [`read`] always gives the
//! shipped costs and the variable's name is not in the binary
//! (`scripts/test.sh --long` checks the packaged app for it).

use std::time::Duration;

use satchel_api::KdfProfile;

/// The costs the shell runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Costs {
    /// Key derivation at create, unlock and recovery.
    pub profile: KdfProfile,
    /// How long one minute of the auto-lock setting lasts.
    pub minute: Duration,
}

/// What a shipped app runs with.
pub const SHIPPED: Costs = Costs {
    profile: KdfProfile::Default,
    minute: Duration::from_secs(60),
};

/// One auto-lock "minute" under the knob.
pub const E2E_MINUTE: Duration = Duration::from_secs(10);

/// The variable, named for what it costs.
#[cfg(debug_assertions)]
pub const VAR: &str = "SATCHEL_DEBUG_BUILD_ONLY_INSECURE_E2E_KNOB";

/// The costs for this run: [`SHIPPED`] unless this is a debug build and the knob's
/// variable is `1`, which prints a warning.
pub fn read() -> Costs {
    #[cfg(debug_assertions)]
    let costs = from_var(std::env::var(VAR).ok().as_deref());
    #[cfg(not(debug_assertions))]
    let costs = SHIPPED;
    costs
}

#[cfg(debug_assertions)]
fn from_var(value: Option<&str>) -> Costs {
    if value != Some("1") {
        return SHIPPED;
    }
    eprintln!(
        "satchel-app: WARNING: {VAR}=1: a cheap key derivation that protects nothing, \
         and auto-lock minutes of {} s. For the end-to-end test of a debug build only.",
        E2E_MINUTE.as_secs()
    );
    Costs {
        profile: KdfProfile::InsecureTest,
        minute: E2E_MINUTE,
    }
}

#[cfg(all(test, debug_assertions))]
mod tests {
    use super::*;

    #[test]
    fn only_exactly_one_turns_the_knob() {
        assert_eq!(from_var(None), SHIPPED);
        for other in ["", "0", "true", "yes", " 1"] {
            assert_eq!(from_var(Some(other)), SHIPPED, "{other:?}");
        }
        let knob = from_var(Some("1"));
        assert_eq!(knob.profile, KdfProfile::InsecureTest);
        assert_eq!(knob.minute, E2E_MINUTE);
    }
}
