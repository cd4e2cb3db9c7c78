//! The safety guard: a thread that locks the vault after the idle time and when the
//! machine has slept. Sleep is seen without any platform API: the monotonic clock
//! stops during suspend while the wall clock does not, so a wall clock that ran ahead
//! between two ticks means the lid was closed (a large NTP step does the same and
//! also locks, which is the safe mistake).

use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use tauri::{AppHandle, Emitter, Runtime};

use crate::{
    commands::{IdleWarning, reload},
    state::{LockReason, Shared},
};

/// How often the guard looks.
const TICK: Duration = Duration::from_secs(1);

/// Starts the guard for the app's lifetime.
pub fn start<R: Runtime>(app: AppHandle<R>, shared: Arc<Shared>) {
    std::thread::spawn(move || {
        let (mut mono, mut wall) = (Instant::now(), SystemTime::now());
        let mut panic_key = None;
        // What the window was last told, so it hears only changes.
        let mut warned = IdleWarning { seconds: None };
        loop {
            crate::panic_key::follow(&app, &shared, &mut panic_key);
            std::thread::sleep(TICK);
            let (now, now_wall) = (Instant::now(), SystemTime::now());
            let wall_elapsed = now_wall.duration_since(wall).unwrap_or(Duration::ZERO);
            let ahead = wall_elapsed.saturating_sub(now.duration_since(mono));
            (mono, wall) = (now, now_wall);
            // From the status alone: a command holding the vault (a long import)
            // does not hold this, and is asked to stop by the lock.
            let (due, warning) = {
                let status = shared.status();
                (status.due(now, ahead), status.idle_warning(now))
            };
            if let Some(reason) = due {
                lock_now(&app, &shared, reason);
            }
            // The window warns in the last minute; a lock reloads it, which ends that.
            let warning = IdleWarning {
                seconds: warning
                    .filter(|_| due.is_none())
                    .map(|s| u32::try_from(s).unwrap_or(u32::MAX)),
            };
            if warning != warned {
                // A courtesy: a window that cannot hear it still locks on time.
                let _ = app.emit("idle_warning", warning);
                warned = warning;
            }
        }
    });
}

/// Locks for `reason` if the vault is open: the window is cleared at once (a new
/// web process), then the command in progress, asked to stop, is waited for. Used
/// by the guard, the screen-lock watcher and the Lock button.
pub fn lock_now<R: Runtime>(app: &AppHandle<R>, shared: &Shared, reason: LockReason) {
    if shared.begin_lock(reason) {
        reload(app);
        shared.finish_lock();
    }
}
