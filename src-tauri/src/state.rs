//! The one managed state: the vault (when unlocked), attachments staged for the next
//! save, and what the safety guard needs. Every command reaches the vault through
//! [`Shared::with_vault`], which runs the work on a blocking thread so the window
//! stays responsive while Argon2 or an import runs.

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use satchel_api::{ApiError, KdfProfile, NewAttachment, Vault};
use serde::Serialize;

use crate::{
    error::{IpcError, Result},
    settings::{PanicAction, Settings},
};

/// Why the vault was last locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LockReason {
    /// The Lock button.
    User,
    /// No activity for the auto-lock time.
    Idle,
    /// The machine slept or is about to.
    Suspend,
    /// The desktop locked the screen.
    Screen,
    /// The panic shortcut.
    Panic,
}

impl LockReason {
    /// Whether the window may say why it locked. A panic is never told: under
    /// coercion, a screen that says "locked by the panic shortcut" (or "erased")
    /// tells the adversary what the person did, so the window then looks as it does
    /// after a start.
    pub fn is_told(self) -> bool {
        !matches!(self, LockReason::Panic)
    }
}

/// Most bytes staged at once across attachments (each is also capped by the vault).
pub const MAX_STAGED: usize = 256 * 1024 * 1024;
/// How far the wall clock may run ahead of the monotonic clock between two guard
/// ticks before we conclude the machine slept (the monotonic clock stops in suspend).
pub const SUSPEND_GAP: Duration = Duration::from_secs(5);

/// Everything behind the lock.
pub struct Inner {
    /// The unlocked vault.
    pub vault: Option<Vault>,
    /// Files picked for the record being edited, by staging id.
    pub staged: BTreeMap<String, NewAttachment>,
    /// Settings of the last unlocked vault; kept after lock so the panic shortcut
    /// still knows what to do.
    pub settings: Settings,
    /// Why the vault was last locked in this run.
    pub lock_reason: Option<LockReason>,
    /// Last sign of the user.
    pub last_activity: Instant,
    /// How long one minute of the auto-lock setting lasts (a minute, but under the
    /// end-to-end test's knob).
    pub minute: Duration,
}

impl Inner {
    /// The vault, or the error the UI expects when it is locked.
    pub fn vault(&mut self) -> Result<&mut Vault> {
        self.vault.as_mut().ok_or_else(IpcError::locked)
    }

    /// Bytes staged now.
    pub fn staged_bytes(&self) -> usize {
        self.staged.values().map(|a| a.bytes.len()).sum()
    }

    /// Drops the vault (its keys zeroize) and everything staged. Returns whether
    /// there was anything to lock.
    pub fn lock(&mut self, reason: LockReason) -> bool {
        self.staged.clear();
        match self.vault.take() {
            Some(v) => {
                drop(v);
                self.lock_reason = Some(reason);
                true
            }
            None => false,
        }
    }

    /// What the guard should do now, given the time since the last activity and how
    /// far the wall clock jumped ahead of the monotonic clock since the last tick.
    pub fn due(&self, now: Instant, wall_ahead: Duration) -> Option<LockReason> {
        self.vault.as_ref()?;
        if wall_ahead > SUSPEND_GAP {
            Some(LockReason::Suspend)
        } else if now.saturating_duration_since(self.last_activity)
            >= self.settings.idle_timeout(self.minute)
        {
            Some(LockReason::Idle)
        } else {
            None
        }
    }
}

/// Managed by Tauri; cloned into worker threads.
pub struct Shared {
    /// The vault directory.
    pub dir: PathBuf,
    /// Key derivation cost (the default outside tests).
    pub profile: KdfProfile,
    /// Where removable drives are mounted.
    pub media_roots: Vec<PathBuf>,
    inner: Mutex<Inner>,
}

impl Shared {
    /// State for a vault in `dir`.
    pub fn new(dir: PathBuf, profile: KdfProfile, media_roots: Vec<PathBuf>) -> Arc<Self> {
        Arc::new(Self {
            dir,
            profile,
            media_roots,
            inner: Mutex::new(Inner {
                vault: None,
                staged: BTreeMap::new(),
                settings: Settings::default(),
                lock_reason: None,
                last_activity: Instant::now(),
                minute: crate::e2e_knob::SHIPPED.minute,
            }),
        })
    }

    /// The key derivation for create, unlock and recovery. The cheap one (tests and
    /// the end-to-end knob only) says so every time.
    pub fn kdf(&self) -> KdfProfile {
        if self.profile == KdfProfile::InsecureTest {
            eprintln!("satchel-app: WARNING: a cheap key derivation that protects nothing");
        }
        self.profile
    }

    /// State whose key derivation and auto-lock minute come from `costs`.
    pub fn with_costs(
        dir: PathBuf,
        costs: crate::e2e_knob::Costs,
        media_roots: Vec<PathBuf>,
    ) -> Arc<Self> {
        let shared = Self::new(dir, costs.profile, media_roots);
        shared.inner().minute = costs.minute;
        shared
    }

    /// The state, even if a worker panicked while holding it: the vault's own
    /// transactions keep its files consistent, and locking must always work.
    pub fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on a blocking thread with the state locked, counting as activity.
    pub async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Shared, &mut Inner) -> Result<T> + Send + 'static,
    {
        let me = Arc::clone(self);
        tauri::async_runtime::spawn_blocking(move || {
            let mut inner = me.inner();
            inner.last_activity = Instant::now();
            f(&me, &mut inner)
        })
        .await
        .map_err(|_| IpcError::internal())?
    }

    /// Runs `f` with the unlocked vault on a blocking thread.
    pub async fn with_vault<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Vault) -> std::result::Result<T, ApiError> + Send + 'static,
    {
        self.run(move |_, inner| f(inner.vault()?).map_err(IpcError::from))
            .await
    }

    /// The panic action of the last unlocked vault.
    pub fn panic_action(&self) -> PanicAction {
        self.inner().settings.panic_action
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with_vault(dir: &std::path::Path) -> Inner {
        let pass = satchel_api::SecretString::from("correct horse battery");
        let (vault, _) = satchel_api::init(dir, &pass, KdfProfile::InsecureTest).unwrap();
        Inner {
            vault: Some(vault),
            staged: BTreeMap::new(),
            settings: Settings::default(),
            lock_reason: None,
            last_activity: Instant::now(),
            minute: crate::e2e_knob::SHIPPED.minute,
        }
    }

    #[test]
    fn guard_locks_after_idle_time_and_after_suspend_only() {
        let tmp = tempfile::tempdir().unwrap();
        let mut inner = state_with_vault(&tmp.path().join("v"));
        let start = inner.last_activity;
        let idle = inner.settings.idle_timeout(inner.minute);
        assert_eq!(
            inner.due(start + idle - Duration::from_secs(1), Duration::ZERO),
            None
        );
        assert_eq!(
            inner.due(start + idle, Duration::ZERO),
            Some(LockReason::Idle)
        );
        assert_eq!(
            inner.due(start, SUSPEND_GAP),
            None,
            "small clock steps are not sleep"
        );
        assert_eq!(
            inner.due(start, SUSPEND_GAP + Duration::from_secs(1)),
            Some(LockReason::Suspend)
        );
        assert!(inner.lock(LockReason::Idle));
        assert!(inner.vault.is_none());
        assert_eq!(inner.due(start + idle * 2, Duration::from_secs(999)), None);
        assert!(!inner.lock(LockReason::User), "locking twice is a no-op");
        assert_eq!(inner.lock_reason, Some(LockReason::Idle));
    }

    #[test]
    fn lock_drops_staged_attachments() {
        let tmp = tempfile::tempdir().unwrap();
        let mut inner = state_with_vault(&tmp.path().join("v"));
        inner.staged.insert(
            "a".into(),
            NewAttachment::in_memory("x".into(), vec![1; 10].into()),
        );
        assert_eq!(inner.staged_bytes(), 10);
        inner.lock(LockReason::User);
        assert!(inner.staged.is_empty());
    }

    #[test]
    fn the_ui_knows_every_lock_reason_it_may_tell_and_no_other() {
        let api =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/lib/api.ts"))
                .unwrap();
        let line = api
            .lines()
            .find(|l| l.starts_with("export const LOCK_REASONS"))
            .unwrap();
        let all = [
            LockReason::User,
            LockReason::Idle,
            LockReason::Suspend,
            LockReason::Screen,
            LockReason::Panic,
        ];
        let told: Vec<_> = all.into_iter().filter(|r| r.is_told()).collect();
        assert_eq!(told.len(), 4, "every reason but the panic is told");
        for r in &told {
            let name = serde_json::to_string(r).unwrap().replace('"', "'");
            assert!(line.contains(&name), "{name} is missing from {line}");
        }
        assert_eq!(line.matches('\'').count(), told.len() * 2, "{line}");
    }
}
