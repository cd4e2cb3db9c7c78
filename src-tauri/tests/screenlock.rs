//! The screen-lock watcher against a private `dbus-daemon`: the desktop's lock and
//! sleep signals lock an open vault with the right reason; "unlocked" and "awake"
//! signals, and signals with other arguments, do not.
// Test code: a failed unwrap or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![cfg(target_os = "linux")]

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{Arc, mpsc},
    time::{Duration, Instant},
};

use satchel_api::KdfProfile;
use satchel_app::{
    guard,
    screenlock::{self, Buses, Signals},
    state::{LockReason, Shared},
};
use secrecy::SecretString;
use tauri::test::mock_builder;

const WAIT: Duration = Duration::from_secs(10);

/// A private bus, stopped on drop.
struct Bus {
    child: Child,
    addr: String,
}

impl Bus {
    fn start() -> Bus {
        let mut child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (Debian: dbus-daemon) is needed; run scripts/setup.sh");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().to_owned();
        assert!(addr.starts_with("unix:"), "bus address {addr:?}");
        Bus { child, addr }
    }

    /// Broadcasts a signal as the desktop would. `--bus=`, not `--address=`: the
    /// latter talks to the daemon as a peer without saying Hello, and the daemon
    /// drops what such a connection sends.
    fn send(&self, path: &str, member: &str, args: &[&str]) {
        let ok = Command::new("dbus-send")
            .arg(format!("--bus={}", self.addr))
            .args(["--type=signal", path, member])
            .args(args)
            .status()
            .expect("dbus-send (Debian: dbus-bin) is needed; run scripts/setup.sh")
            .success();
        assert!(ok, "dbus-send {member} {args:?}");
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SAVER: (&str, &str) = (
    "/org/freedesktop/ScreenSaver",
    "org.freedesktop.ScreenSaver.ActiveChanged",
);
const GNOME: (&str, &str) = (
    "/org/gnome/ScreenSaver",
    "org.gnome.ScreenSaver.ActiveChanged",
);
const SESSION_LOCK: (&str, &str) = (
    "/org/freedesktop/login1/session/_32",
    "org.freedesktop.login1.Session.Lock",
);
const SESSION_UNLOCK: (&str, &str) = (
    "/org/freedesktop/login1/session/_32",
    "org.freedesktop.login1.Session.Unlock",
);
const SLEEP: (&str, &str) = (
    "/org/freedesktop/login1",
    "org.freedesktop.login1.Manager.PrepareForSleep",
);

/// An object path and interface.member, and the signal's arguments.
type Signal = ((&'static str, &'static str), &'static [&'static str]);

/// Signals that must not lock, then one that must, and why it locks.
struct Case {
    quiet: &'static [Signal],
    lock: Signal,
    reason: LockReason,
}

fn open_vault(dir: &std::path::Path) -> (tauri::App<tauri::test::MockRuntime>, Arc<Shared>) {
    let shared = Shared::new(dir.join("vault"), KdfProfile::InsecureTest, vec![]);
    let app = satchel_app::configure(mock_builder(), Arc::clone(&shared))
        .build(tauri::generate_context!())
        .unwrap();
    satchel_app::main_window(&app, false).unwrap();
    let pass = SecretString::from("correct horse battery");
    let (vault, _) = satchel_api::init(&shared.dir, &pass, KdfProfile::InsecureTest).unwrap();
    let mut inner = shared.inner();
    shared.opened(&mut inner, vault).unwrap();
    drop(inner);
    (app, shared)
}

fn reopen(shared: &Shared) {
    let pass = SecretString::from("correct horse battery");
    let vault = satchel_api::unlock(&shared.dir, &pass, KdfProfile::InsecureTest).unwrap();
    let mut inner = shared.inner();
    shared.opened(&mut inner, vault).unwrap();
}

/// Waits until the vault is locked and returns why.
fn locked(shared: &Shared) -> LockReason {
    let until = Instant::now() + WAIT;
    loop {
        {
            if shared.inner().vault.is_none() {
                return shared
                    .status()
                    .lock_reason
                    .expect("locked without a reason");
            }
        }
        assert!(Instant::now() < until, "the vault never locked");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn lock_and_sleep_signals_lock_the_vault_and_others_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let (app, shared) = open_vault(dir.path());
    let bus = Bus::start();
    let (ready_tx, ready) = mpsc::channel();
    let (handle, watched) = (app.handle().clone(), Arc::clone(&shared));
    let addr = bus.addr.clone();
    std::thread::spawn(move || {
        screenlock::watch(
            &addr,
            Signals::All,
            move |r| guard::lock_now(&handle, &watched, r),
            move || ready_tx.send(()).unwrap(),
        )
    });
    ready
        .recv_timeout(WAIT)
        .expect("the watcher never became ready");

    // Each case: what must not lock, then a signal that locks for another reason
    // (the bus keeps the order, so that reason proves the first ones did nothing),
    // then the signal that must lock, and why.
    let cases: [Case; 4] = [
        Case {
            quiet: &[(SAVER, &["boolean:false"]), (SAVER, &["string:true"])],
            lock: (SAVER, &["boolean:true"]),
            reason: LockReason::Screen,
        },
        Case {
            quiet: &[(GNOME, &["boolean:false"])],
            lock: (GNOME, &["boolean:true"]),
            reason: LockReason::Screen,
        },
        Case {
            quiet: &[(SESSION_UNLOCK, &[])],
            lock: (SESSION_LOCK, &[]),
            reason: LockReason::Screen,
        },
        Case {
            quiet: &[(SLEEP, &["boolean:false"]), (SLEEP, &[])],
            lock: (SLEEP, &["boolean:true"]),
            reason: LockReason::Suspend,
        },
    ];
    for Case {
        quiet,
        lock: ((path, member), args),
        reason,
    } in cases
    {
        for ((p, m), a) in quiet {
            bus.send(p, m, a);
        }
        let (sentinel, sentinel_args, other) = match reason {
            LockReason::Suspend => (SAVER, &["boolean:true"], LockReason::Screen),
            _ => (SLEEP, &["boolean:true"], LockReason::Suspend),
        };
        bus.send(sentinel.0, sentinel.1, sentinel_args);
        assert_eq!(locked(&shared), other, "{quiet:?} locked the vault");
        reopen(&shared);
        bus.send(path, member, args);
        assert_eq!(locked(&shared), reason, "{member} {args:?}");
        reopen(&shared);
    }
    // Still watching after all that.
    bus.send(SAVER.0, SAVER.1, &["boolean:true"]);
    assert_eq!(locked(&shared), LockReason::Screen);
}

/// What the app starts: one watcher per bus (here both on one private bus).
#[test]
fn the_app_watches_the_session_and_system_buses() {
    let dir = tempfile::tempdir().unwrap();
    let (app, shared) = open_vault(dir.path());
    let bus = Bus::start();
    let buses = Buses {
        session: Some(bus.addr.clone()),
        system: Some(bus.addr.clone()),
    };
    screenlock::start(app.handle().clone(), Arc::clone(&shared), buses);
    for ((path, member), args, reason) in [
        (GNOME, &["boolean:true"][..], LockReason::Screen),
        (SLEEP, &["boolean:true"][..], LockReason::Suspend),
        (SESSION_LOCK, &[][..], LockReason::Screen),
    ] {
        // The watchers have no ready signal here: send until the rule is in place.
        let until = Instant::now() + WAIT;
        while shared.inner().vault.is_some() {
            assert!(Instant::now() < until, "{member} never locked");
            bus.send(path, member, args);
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(locked(&shared), reason, "{member}");
        // Copies sent while the rule was being added may still be on their way; let
        // them land on the locked vault (where they do nothing) before reopening.
        std::thread::sleep(Duration::from_millis(500));
        reopen(&shared);
    }
}

#[test]
fn an_unreachable_bus_is_an_error_not_a_panic() {
    let e = screenlock::watch(
        "unix:path=/nonexistent/satchel/bus",
        Signals::All,
        |_| {},
        || panic!("ready without a bus"),
    )
    .unwrap_err();
    assert!(
        e.message()
            .unwrap_or("")
            .contains("/nonexistent/satchel/bus"),
        "{e}"
    );
    let e = screenlock::watch("not an address", Signals::All, |_| {}, || {}).unwrap_err();
    assert!(!e.message().unwrap_or("").is_empty());
}
