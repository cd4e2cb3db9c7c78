//! Ending everything the process held at once: the panic key and the wipe replace
//! the running program with a fresh copy of itself (`exec`). Every thread stops
//! where it is (an import in progress rolls back when the vault next opens, as after
//! a power cut), all memory is given back to the system, and the web view's
//! processes, which kept what the window showed, are ended first. The new copy shows
//! the first screen as after a start; only the panic key's choice is carried over,
//! in the environment, so the key keeps working.

use std::{ffi::OsString, io, os::unix::process::CommandExt, path::PathBuf, process::Command};

/// Carried from a panic to the fresh process: the panic action and shortcut.
pub const CARRY: &str = "SATCHEL_PANIC_CARRY";

/// Replaces this process with a fresh start of the same program, with the same
/// arguments and environment plus `env`. Returns only if that failed.
pub fn exec_self(env: &[(&str, &str)]) -> io::Error {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_else(|| OsString::from("satchel-app"));
    let mut cmd = Command::new(program());
    cmd.arg0(argv0).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.exec()
}

/// This program's own path, so a process started from it keeps the app's name;
/// /proc/self/exe if the file was replaced or removed since it started.
pub fn program() -> PathBuf {
    std::env::current_exe()
        .ok()
        .filter(|p| p.is_file())
        .unwrap_or_else(|| "/proc/self/exe".into())
}

/// Ends the web view's processes (every child of this process whose name starts
/// with "WebKit"): they hold the page, and would otherwise outlive the window for as
/// long as they take to notice it is gone.
pub fn end_web_processes() {
    let me = std::process::id();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in dir.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid …"
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map_or("", |(_, c)| c);
        let ppid = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(me)
            && comm.starts_with("WebKit")
            && let Some(pid) = rustix::process::Pid::from_raw(pid)
            && rustix::process::kill_process(pid, rustix::process::Signal::KILL).is_ok()
        {
            // Reaped here: the fresh program would not know them, and they would
            // stay as zombies.
            let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
        }
    }
}

/// Ends the web view's processes and starts afresh, carrying `carry`. If the
/// program cannot be started again (its file was replaced or removed), the process
/// ends: a window that is gone gives away less than one that stays.
pub fn now(carry: &str) -> ! {
    end_web_processes();
    let e = exec_self(&[(CARRY, carry)]);
    eprintln!("satchel-app: could not start afresh ({e}); ending");
    std::process::exit(0)
}
