//! Locks the vault when the desktop tells us the screen locked or the machine is
//! about to sleep (Linux, over D-Bus). The guard's clock check still catches a
//! sleep afterwards; these signals lock before it, and a screen lock has no other
//! trace at all.
//!
//! Watched, with no sender or path in the rule (screensavers use several paths and
//! the sender does not own the well-known name when a test sends it):
//! - session bus: `org.freedesktop.ScreenSaver.ActiveChanged(true)` (KDE, Xfce,
//!   Cinnamon, MATE) and `org.gnome.ScreenSaver.ActiveChanged(true)` (GNOME);
//! - system bus: `org.freedesktop.login1.Session.Lock` (`loginctl lock-session(s)`)
//!   and `org.freedesktop.login1.Manager.PrepareForSleep(true)`.
//!
//! Any program on the bus can send these, and any session's `Lock` counts: the
//! worst a fake signal does is lock, which is the safe mistake.

use std::{sync::Arc, time::Duration};

use dbus::{Message, blocking::Connection, message::MatchRule};
use tauri::{AppHandle, Runtime};

use crate::state::{LockReason, Shared};

/// Where to listen. `None` skips that bus.
#[derive(Debug, Clone, Default)]
pub struct Buses {
    /// The session bus address (screensaver signals).
    pub session: Option<String>,
    /// The system bus address (logind signals).
    pub system: Option<String>,
}

/// The system bus's usual socket, when `DBUS_SYSTEM_BUS_ADDRESS` is unset.
const SYSTEM_BUS: &str = "unix:path=/run/dbus/system_bus_socket";

impl Buses {
    /// The desktop's buses. The session bus is used only when its address is set:
    /// libdbus would otherwise try to start one through X11.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Self {
            session: var("DBUS_SESSION_BUS_ADDRESS"),
            system: Some(var("DBUS_SYSTEM_BUS_ADDRESS").unwrap_or_else(|| SYSTEM_BUS.to_owned())),
        }
    }
}

/// Which signals to ask a bus for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signals {
    /// The two screensavers' `ActiveChanged`.
    ScreenSaver,
    /// logind's `Session.Lock` and `Manager.PrepareForSleep`.
    Login,
    /// All four on one bus (tests run a single private bus).
    All,
}

/// Starts one watcher thread per bus; each locks the vault (and reloads the web
/// view) on a signal. A bus that cannot be reached is logged and skipped.
pub fn start<R: Runtime>(app: AppHandle<R>, shared: Arc<Shared>, buses: Buses) {
    for (addr, signals) in [
        (buses.session, Signals::ScreenSaver),
        (buses.system, Signals::Login),
    ] {
        let Some(addr) = addr else { continue };
        let (app, shared) = (app.clone(), Arc::clone(&shared));
        let spawned = std::thread::Builder::new()
            .name("screen-lock".into())
            .spawn(move || {
                let lock = move |reason| crate::guard::lock_now(&app, &shared, reason);
                if let Err(e) = watch(&addr, signals, lock, || {}) {
                    eprintln!("satchel: not watching for {signals:?} signals: {e}");
                }
            });
        if let Err(e) = spawned {
            eprintln!("satchel: could not start the screen-lock watcher: {e}");
        }
    }
}

/// Connects to the bus at `addr`, asks for `signals`, calls `ready` once the bus
/// has accepted every rule, then calls `on_lock` for each lock signal until the
/// connection fails (returns the error).
pub fn watch(
    addr: &str,
    signals: Signals,
    on_lock: impl Fn(LockReason) + Send + Clone + 'static,
    ready: impl FnOnce(),
) -> Result<(), dbus::Error> {
    // A private connection that has said Hello (the bus drops messages otherwise).
    let conn = Connection::new_address(addr)?;
    let screensaver = matches!(signals, Signals::ScreenSaver | Signals::All);
    let login = matches!(signals, Signals::Login | Signals::All);
    if screensaver {
        for interface in ["org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver"] {
            on_true(
                &conn,
                interface,
                "ActiveChanged",
                LockReason::Screen,
                &on_lock,
            )?;
        }
    }
    if login {
        on_true(
            &conn,
            "org.freedesktop.login1.Manager",
            "PrepareForSleep",
            LockReason::Suspend,
            &on_lock,
        )?;
        let f = on_lock.clone();
        // Lock has no arguments; the callback's `()` matches any.
        conn.add_match(
            MatchRule::new_signal("org.freedesktop.login1.Session", "Lock"),
            move |(): (), _: &Connection, _: &Message| {
                f(LockReason::Screen);
                true
            },
        )?;
    }
    ready();
    loop {
        // Returns after one message or the timeout; the timeout only bounds the wait.
        conn.process(Duration::from_secs(60))?;
    }
}

/// A rule for a signal whose first argument is a bool: `reason` when it is true.
/// A signal with other arguments does not reach the callback (the rule stays).
fn on_true(
    conn: &Connection,
    interface: &'static str,
    member: &'static str,
    reason: LockReason,
    on_lock: &(impl Fn(LockReason) + Send + Clone + 'static),
) -> Result<(), dbus::Error> {
    let f = on_lock.clone();
    conn.add_match(
        MatchRule::new_signal(interface, member),
        move |(active,): (bool,), _: &Connection, _: &Message| {
            if active {
                f(reason);
            }
            // Returning false would remove the rule.
            true
        },
    )?;
    Ok(())
}
