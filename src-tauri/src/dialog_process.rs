//! The system's file dialogs run in a short-lived process of their own: the app
//! starts itself again with [`FLAG`], that copy shows GTK's dialog, prints the
//! chosen path and exits (ADR 0041).
//!
//! - **Nothing stays behind.** A file dialog loads icon themes, thumbnails, the
//!   folder listings the person browsed and the names of the files in them. In the
//!   app's own process that stayed (about 1 MB more with every dialog); in the
//!   dialog's process it ends with it.
//! - **A lock closes it.** Every lock and the panic key end an open dialog
//!   ([`close_all`]), where a dialog in the app's process stayed on screen, showing
//!   the folders, until the person closed it.
//! - The dialog's process is the app's own binary: hardened the same way (no core
//!   dumps, not readable by other processes, freed memory overwritten), killed if
//!   the app dies, and with its standard error discarded, so GTK's messages, which
//!   may name files, go nowhere.

use std::{
    ffi::{OsStr, OsString},
    io::{self, Read},
    os::unix::ffi::{OsStrExt, OsStringExt},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, PoisonError},
};

/// The argument that makes the app show one file dialog and exit.
pub const FLAG: &str = "--satchel-file-dialog";

/// At most this much of a dialog's answer is read: paths, separated by NUL bytes.
const MAX_ANSWER: u64 = 1 << 20;

/// What the dialog asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// One existing file.
    Open,
    /// Existing files, any number.
    OpenMany,
    /// A file to write, starting from a name if given.
    Save(Option<String>),
    /// A folder.
    Folder,
}

impl Kind {
    fn args(&self) -> Vec<OsString> {
        let mut args = vec![OsString::from(FLAG)];
        match self {
            Kind::Open => args.push("open".into()),
            Kind::OpenMany => args.push("open-many".into()),
            Kind::Folder => args.push("folder".into()),
            Kind::Save(name) => {
                args.push("save".into());
                if let Some(name) = name {
                    args.push(name.into());
                }
            }
        }
        args
    }

    /// The kind named by a dialog process's arguments (after [`FLAG`]).
    fn parse(args: &[OsString]) -> Option<Kind> {
        let kind = args.first()?.to_str()?;
        let name = args.get(1).and_then(|n| n.to_str()).map(str::to_owned);
        match (kind, args.len()) {
            ("open", 1) => Some(Kind::Open),
            ("open-many", 1) => Some(Kind::OpenMany),
            ("folder", 1) => Some(Kind::Folder),
            ("save", 1 | 2) => Some(Kind::Save(name)),
            _ => None,
        }
    }
}

/// Dialogs open now, so a lock can end them.
static OPEN: Mutex<Vec<Arc<Mutex<Child>>>> = Mutex::new(Vec::new());

/// Shows a dialog in a process of its own and waits for it (call it off the main
/// thread). The chosen paths, none if the person cancelled or a lock closed it.
pub fn choose(kind: &Kind) -> io::Result<Vec<PathBuf>> {
    let exe = std::env::current_exe()
        .ok()
        .filter(|p| p.is_file())
        .unwrap_or_else(|| "/proc/self/exe".into());
    let mut child = Command::new(exe)
        .args(kind.args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take();
    let child = Arc::new(Mutex::new(child));
    OPEN.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Arc::clone(&child));
    // Until the dialog's process ends (or is ended by a lock), which closes the pipe.
    let mut answer = Vec::new();
    let read = match stdout {
        Some(out) => out.take(MAX_ANSWER).read_to_end(&mut answer).map(drop),
        None => Ok(()),
    };
    let status = child.lock().unwrap_or_else(PoisonError::into_inner).wait();
    OPEN.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|c| !Arc::ptr_eq(c, &child));
    read?;
    if !status?.success() {
        return Ok(Vec::new());
    }
    Ok(paths(&answer))
}

/// The paths in a dialog's answer: NUL-separated, empty ones left out.
fn paths(answer: &[u8]) -> Vec<PathBuf> {
    answer
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(OsString::from_vec(p.to_vec())))
        .collect()
}

/// Ends every open dialog (a lock, the panic key). A dialog already gone is left
/// alone: a child that was waited for is never signalled, so no other process is.
pub fn close_all() {
    for child in OPEN.lock().unwrap_or_else(PoisonError::into_inner).iter() {
        let _ = child.lock().unwrap_or_else(PoisonError::into_inner).kill();
    }
}

/// In a process started by [`choose`]: shows the dialog and returns the exit code.
/// `None` in the app itself.
pub fn child_if_asked() -> Option<i32> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let (first, rest) = args.split_first()?;
    if first.as_os_str() != OsStr::new(FLAG) {
        return None;
    }
    Some(Kind::parse(rest).map_or(2, |kind| show(&kind)))
}

#[cfg(target_os = "linux")]
fn show(kind: &Kind) -> i32 {
    use gtk::prelude::*;
    use std::io::Write;
    // Ended with the app, whichever way the app ends.
    if rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
        .is_err()
        || rustix::process::getppid().is_none_or(|p| p.as_raw_nonzero().get() == 1)
    {
        return 2;
    }
    if gtk::init().is_err() {
        return 2;
    }
    let (title, action) = match kind {
        Kind::Open | Kind::OpenMany => ("Open File", gtk::FileChooserAction::Open),
        Kind::Save(_) => ("Save File", gtk::FileChooserAction::Save),
        Kind::Folder => ("Select Folder", gtk::FileChooserAction::SelectFolder),
    };
    // GTK's own button labels, in the system's language.
    let dialog = gtk::FileChooserNative::new(Some(title), None::<&gtk::Window>, action, None, None);
    dialog.set_local_only(true);
    dialog.set_select_multiple(*kind == Kind::OpenMany);
    if let Kind::Save(name) = kind {
        dialog.set_do_overwrite_confirmation(true);
        if let Some(name) = name {
            dialog.set_current_name(name);
        }
    }
    let chosen = if dialog.run() == gtk::ResponseType::Accept {
        dialog.filenames()
    } else {
        Vec::new()
    };
    dialog.destroy();
    // What the dialog added to GTK's recent files, before that list is written.
    crate::recent::forget();
    while gtk::events_pending() {
        gtk::main_iteration();
    }
    let mut answer = Vec::new();
    for path in &chosen {
        answer.extend_from_slice(path.as_os_str().as_bytes());
        answer.push(0);
    }
    let mut out = io::stdout().lock();
    if out.write_all(&answer).and_then(|()| out.flush()).is_err() {
        return 2;
    }
    if chosen.is_empty() { 1 } else { 0 }
}

#[cfg(not(target_os = "linux"))]
fn show(_kind: &Kind) -> i32 {
    2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_the_arguments() {
        for kind in [
            Kind::Open,
            Kind::OpenMany,
            Kind::Folder,
            Kind::Save(None),
            Kind::Save(Some("report 보고서.xlsx".into())),
        ] {
            let args = kind.args();
            assert_eq!(args[0], FLAG);
            assert_eq!(Kind::parse(&args[1..]), Some(kind));
        }
        assert_eq!(Kind::parse(&[]), None);
        assert_eq!(Kind::parse(&["open".into(), "x".into()]), None);
        assert_eq!(Kind::parse(&["delete".into()]), None);
    }

    #[test]
    fn an_answer_reads_as_paths_whatever_their_bytes() {
        let answer = b"/media/USB/\xed\x95\x9c.bundle\0/tmp/a b\0\0/raw/\xff\xfe\0";
        let got = paths(answer);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], PathBuf::from("/media/USB/한.bundle"));
        assert_eq!(got[1], PathBuf::from("/tmp/a b"));
        assert_eq!(got[2].as_os_str().as_bytes(), b"/raw/\xff\xfe");
        assert!(paths(b"").is_empty());
    }
}
