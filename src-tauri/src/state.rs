//! The one managed state: the vault (when unlocked) with attachments staged for the
//! next save, held by the command that uses it; and beside it what the lock paths
//! need, which no command holds while it works. Every command reaches the vault
//! through [`Shared::with_vault`], which runs the work on a blocking thread so the
//! window stays responsive while Argon2 or an import runs. A lock raises the cancel
//! flag first, so an import in progress stops and rolls back instead of making the
//! lock wait.

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use satchel_api::{ApiError, KdfProfile, NewAttachment, Vault};
use serde::Serialize;

use crate::{
    error::{IpcError, Result},
    settings::{PanicAction, Settings},
};

/// Why the vault was last locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
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

/// The vault and what is staged for it: held by a command for as long as it runs.
pub struct Inner {
    /// The unlocked vault.
    pub vault: Option<Vault>,
    /// Files picked for the record being edited, by staging id.
    pub staged: BTreeMap<String, NewAttachment>,
    /// The audit export checked last, for its HTML report.
    pub audit: Option<crate::audit::AuditChecked>,
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
}

/// What the lock paths need, behind its own lock that no command holds while it
/// works: the guard, the screen-lock watcher and the panic key never wait behind an
/// import.
pub struct Status {
    /// Whether a vault is unlocked (false from the moment a lock begins).
    pub open: bool,
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

impl Status {
    /// What the guard should do now, given the time since the last activity and how
    /// far the wall clock jumped ahead of the monotonic clock since the last tick.
    pub fn due(&self, now: Instant, wall_ahead: Duration) -> Option<LockReason> {
        if !self.open {
            None
        } else if wall_ahead > SUSPEND_GAP {
            Some(LockReason::Suspend)
        } else if now.saturating_duration_since(self.last_activity)
            >= self.settings.idle_timeout(self.minute)
        {
            Some(LockReason::Idle)
        } else {
            None
        }
    }

    /// Whole seconds left before the idle lock when the warning should show: in the
    /// last `minute` before it (the last half of a timeout no longer than a minute,
    /// so a one-minute auto-lock does not warn from the first second). None when
    /// locked, when more time is left, or when the lock is already due.
    pub fn idle_warning(&self, now: Instant) -> Option<u64> {
        if !self.open {
            return None;
        }
        let timeout = self.settings.idle_timeout(self.minute);
        let window = self.minute.min(timeout / 2);
        let left = timeout.checked_sub(now.saturating_duration_since(self.last_activity))?;
        if left.is_zero() || left > window {
            return None;
        }
        // Rounded up: "locks in 1 second" until it does.
        Some(left.as_secs() + u64::from(left.subsec_nanos() > 0))
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
    status: Mutex<Status>,
    /// Raised to stop the command in progress (the vault polls it).
    cancel: Arc<AtomicBool>,
    /// Raised while a lock waits for the command in progress to stop: no other
    /// command may take the vault meanwhile.
    locking: AtomicBool,
    /// Whether the panic key and the wipe start the process afresh (the app) or
    /// lock in place (tests, which run in one process).
    restarts: AtomicBool,
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
                audit: None,
            }),
            status: Mutex::new(Status {
                open: false,
                settings: Settings::default(),
                lock_reason: None,
                last_activity: Instant::now(),
                minute: crate::e2e_knob::SHIPPED.minute,
            }),
            cancel: Arc::new(AtomicBool::new(false)),
            locking: AtomicBool::new(false),
            restarts: AtomicBool::new(false),
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
        shared.status().minute = costs.minute;
        shared
    }

    /// The panic key and the wipe start the process afresh from now on (the app;
    /// see [`crate::restart`]).
    pub fn restart_on_panic(&self) {
        self.restarts.store(true, Ordering::Relaxed);
    }

    /// Whether the panic key and the wipe start the process afresh.
    pub fn restarts(&self) -> bool {
        self.restarts.load(Ordering::Relaxed)
    }

    /// The vault, even if a worker panicked while holding it: the vault's own
    /// transactions keep its files consistent, and locking must always work.
    pub fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The status; never held for long.
    pub fn status(&self) -> MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts a just-opened vault in place: it stops when [`Shared::cancel`] is raised,
    /// and its settings become the app's.
    pub fn opened(&self, inner: &mut Inner, mut vault: Vault) -> Result<()> {
        vault.set_cancel(Arc::clone(&self.cancel))?;
        let stored = vault.setting(crate::settings::KEY).ok().flatten();
        inner.vault = Some(vault);
        let mut status = self.status();
        status.settings = Settings::from_stored(stored.as_deref());
        status.open = true;
        status.lock_reason = None;
        Ok(())
    }

    /// The flag a vault opened in place of another must also poll.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.cancel)
    }

    /// Asks the command in progress to stop (the Cancel button). It ends with
    /// `cancelled` and changes nothing.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Runs `f` on a blocking thread with the vault locked, counting as activity.
    /// While a lock is under way it refuses, as if already locked.
    pub async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Shared, &mut Inner) -> Result<T> + Send + 'static,
    {
        let me = Arc::clone(self);
        tauri::async_runtime::spawn_blocking(move || {
            me.status().last_activity = Instant::now();
            let mut inner = me.inner();
            if me.locking.load(Ordering::Relaxed) {
                return Err(IpcError::locked());
            }
            // A Cancel pressed when nothing ran must not stop this command.
            me.cancel.store(false, Ordering::Relaxed);
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

    /// The first half of a lock, which waits for nothing: from here the vault counts
    /// as locked, the command in progress is asked to stop and no other may start.
    /// Returns whether there was anything to lock. The caller clears the window, then
    /// calls [`Shared::finish_lock`].
    pub fn begin_lock(&self, reason: LockReason) -> bool {
        {
            let mut status = self.status();
            if !status.open {
                return false;
            }
            status.open = false;
            status.lock_reason = Some(reason);
        }
        // A file dialog shows the folders it browsed: it goes with the vault.
        #[cfg(unix)]
        crate::dialog_process::close_all();
        self.locking.store(true, Ordering::Relaxed);
        self.cancel.store(true, Ordering::Relaxed);
        true
    }

    /// The second half: waits for the command in progress to stop (an import ends
    /// within a fraction of a second of the flag), then closes the database (its keys
    /// zeroize) and drops everything staged.
    pub fn finish_lock(&self) {
        self.close(&mut self.inner());
    }

    fn close(&self, inner: &mut Inner) {
        // The command has stopped; the vault's closing writes (ADR 0014) must not be
        // interrupted in turn.
        self.cancel.store(false, Ordering::Relaxed);
        inner.staged.clear();
        inner.audit = None;
        // Dropped where it lies: `take()` would move the vault (its keys inline) out
        // to be zeroized elsewhere and leave the bytes in this heap slot.
        inner.vault = None;
        self.locking.store(false, Ordering::Relaxed);
    }

    /// [`Shared::finish_lock`] if the command in progress lets go of the vault
    /// within `limit` (after [`Shared::begin_lock`] asked it to stop). Returns
    /// whether the vault was closed.
    pub fn close_within(&self, limit: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let mut inner = match self.inner.try_lock() {
                Ok(guard) => guard,
                Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {
                    if std::time::Instant::now() >= deadline {
                        return false;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    continue;
                }
            };
            self.close(&mut inner);
            return true;
        }
    }

    /// Both halves, for callers with no window to clear. Returns whether there was
    /// anything to lock.
    pub fn lock(&self, reason: LockReason) -> bool {
        let locked = self.begin_lock(reason);
        if locked {
            self.finish_lock();
        }
        locked
    }

    /// The panic action of the last unlocked vault.
    pub fn panic_action(&self) -> PanicAction {
        self.status().settings.panic_action
    }

    /// What a fresh process carries over from a panic ([`crate::restart::CARRY`]).
    pub fn carry(&self) -> String {
        let status = self.status();
        let action = match status.settings.panic_action {
            PanicAction::Lock => "lock",
            PanicAction::Wipe => "wipe",
        };
        format!("{action}:{}", status.settings.panic_shortcut)
    }

    /// Takes over what a panic carried: the panic key's action and shortcut. After a
    /// wipe it also removes anything of the vault that a command still running at
    /// that moment wrote back. Returns whether anything was carried.
    pub fn resume_after_panic(&self, carried: &str) -> bool {
        let Some((action, shortcut)) = carried.split_once(':') else {
            return false;
        };
        let action = match action {
            "lock" => PanicAction::Lock,
            "wipe" => PanicAction::Wipe,
            _ => return false,
        };
        if crate::panic_key::parse(shortcut).is_none() {
            return false;
        }
        {
            let mut status = self.status();
            status.settings.panic_action = action;
            status.settings.panic_shortcut = shortcut.to_owned();
        }
        if action == PanicAction::Wipe
            && let Err(e) = satchel_api::wipe(&self.dir)
            && !matches!(e, ApiError::NoVault)
        {
            eprintln!("satchel-app: the wipe could not finish: {}", e.code());
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared_with_vault(dir: &std::path::Path) -> Arc<Shared> {
        let pass = satchel_api::SecretString::from("correct horse battery");
        let (vault, _) = satchel_api::init(dir, &pass, KdfProfile::InsecureTest).unwrap();
        let shared = Shared::new(dir.to_owned(), KdfProfile::InsecureTest, vec![]);
        let mut inner = shared.inner();
        shared.opened(&mut inner, vault).unwrap();
        drop(inner);
        shared
    }

    #[test]
    fn guard_locks_after_idle_time_and_after_suspend_only() {
        let tmp = tempfile::tempdir().unwrap();
        let shared = shared_with_vault(&tmp.path().join("v"));
        let (start, idle) = {
            let st = shared.status();
            (st.last_activity, st.settings.idle_timeout(st.minute))
        };
        let due = |now, ahead| shared.status().due(now, ahead);
        assert_eq!(
            due(start + idle - Duration::from_secs(1), Duration::ZERO),
            None
        );
        assert_eq!(due(start + idle, Duration::ZERO), Some(LockReason::Idle));
        assert_eq!(
            due(start, SUSPEND_GAP),
            None,
            "small clock steps are not sleep"
        );
        assert_eq!(
            due(start, SUSPEND_GAP + Duration::from_secs(1)),
            Some(LockReason::Suspend)
        );
        assert!(shared.lock(LockReason::Idle));
        assert!(shared.inner().vault.is_none());
        assert_eq!(due(start + idle * 2, Duration::from_secs(999)), None);
        assert!(!shared.lock(LockReason::User), "locking twice is a no-op");
        assert_eq!(shared.status().lock_reason, Some(LockReason::Idle));
    }

    #[test]
    fn guard_warns_in_the_last_minute_before_the_idle_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let shared = shared_with_vault(&tmp.path().join("v"));
        let (start, idle, minute) = {
            let st = shared.status();
            (
                st.last_activity,
                st.settings.idle_timeout(st.minute),
                st.minute,
            )
        };
        let warn = |now| shared.status().idle_warning(now);
        let ms = Duration::from_millis;
        assert_eq!(warn(start), None);
        assert_eq!(
            warn(start + idle - minute - ms(1)),
            None,
            "more than a minute left"
        );
        assert_eq!(warn(start + idle - minute), Some(minute.as_secs()));
        assert_eq!(warn(start + idle - ms(30_500)), Some(31), "rounded up");
        assert_eq!(
            warn(start + idle - ms(1)),
            Some(1),
            "never says 0 before the lock"
        );
        assert_eq!(warn(start + idle), None, "due: the guard locks instead");
        // Activity puts it off.
        shared.status().last_activity = start + idle - ms(2_000);
        assert_eq!(warn(start + idle), None);
        // A one-minute auto-lock warns in its last half, not from the first second.
        shared.status().settings.auto_lock_minutes = 1;
        let later = start + idle - ms(2_000);
        assert_eq!(warn(later + ms(1)), None);
        assert_eq!(warn(later + minute / 2), Some(minute.as_secs() / 2));
        // Locked: nothing to warn about.
        assert!(shared.lock(LockReason::Idle));
        assert_eq!(warn(later + minute / 2), None);
    }

    #[test]
    fn lock_drops_staged_attachments() {
        let tmp = tempfile::tempdir().unwrap();
        let shared = shared_with_vault(&tmp.path().join("v"));
        shared.inner().staged.insert(
            "a".into(),
            NewAttachment::in_memory("x".into(), vec![1; 10].into()),
        );
        assert_eq!(shared.inner().staged_bytes(), 10);
        shared.lock(LockReason::User);
        assert!(shared.inner().staged.is_empty());
    }

    #[test]
    fn a_lock_does_not_wait_to_begin_and_no_command_starts_while_it_finishes() {
        let tmp = tempfile::tempdir().unwrap();
        let shared = shared_with_vault(&tmp.path().join("v"));
        // A command holds the vault (as a long import would).
        let held = shared.inner();
        assert!(
            shared.begin_lock(LockReason::Screen),
            "begins without the vault"
        );
        assert!(!shared.status().open, "counts as locked at once");
        assert!(
            shared.cancel.load(Ordering::Relaxed),
            "the command is asked to stop"
        );
        drop(held);
        // A command that gets the vault before the lock does is refused.
        let refused =
            tauri::async_runtime::block_on(shared.run(|_, inner| inner.vault().map(drop)));
        assert_eq!(refused.map_err(|e| e.code.as_str()), Err("vault_locked"));
        shared.finish_lock();
        assert!(shared.inner().vault.is_none());
        assert!(!shared.cancel.load(Ordering::Relaxed));
        assert!(!shared.locking.load(Ordering::Relaxed));
    }

    /// The panic key's close: it waits a bounded time for the command in progress,
    /// then closes the vault so that no write-ahead log stays beside one database.
    #[test]
    fn a_panic_closes_the_vault_once_the_command_lets_go_and_gives_up_in_time() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let shared = shared_with_vault(&dir);
        let wal = || {
            std::fs::read_dir(&dir)
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .ends_with("-wal")
                })
                .count()
        };
        assert_eq!(wal(), 1, "an open vault has its log beside it");
        let held = shared.inner();
        assert!(shared.begin_lock(LockReason::Panic));
        let t = std::time::Instant::now();
        assert!(!shared.close_within(Duration::from_millis(50)));
        assert!(t.elapsed() < Duration::from_secs(2));
        drop(held);
        assert!(shared.close_within(Duration::from_millis(50)));
        assert!(shared.inner().vault.is_none());
        assert_eq!(wal(), 0, "closed as a lock closes it");
        assert!(!shared.locking.load(Ordering::Relaxed));
    }

    #[test]
    fn a_panic_carries_its_key_and_action_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let shared = shared_with_vault(&tmp.path().join("v"));
        {
            let mut st = shared.status();
            st.settings.panic_action = PanicAction::Wipe;
            st.settings.panic_shortcut = "F12".into();
        }
        let carried = shared.carry();
        assert_eq!(carried, "wipe:F12");
        shared.lock(LockReason::Panic);
        // A fresh process takes it over, and finishes the wipe.
        let fresh = Shared::new(tmp.path().join("v"), KdfProfile::InsecureTest, vec![]);
        assert!(satchel_api::vault::exists(&fresh.dir));
        assert!(fresh.resume_after_panic(&carried));
        assert!(!satchel_api::vault::exists(&fresh.dir));
        assert_eq!(fresh.panic_action(), PanicAction::Wipe);
        assert_eq!(fresh.status().settings.panic_shortcut, "F12");
        assert_eq!(fresh.status().lock_reason, None, "nothing to tell");
        for bad in ["", "wipe", "erase:F12", "lock:not a key"] {
            assert!(
                !Shared::new(tmp.path().join("w"), KdfProfile::InsecureTest, vec![])
                    .resume_after_panic(bad)
            );
        }
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
