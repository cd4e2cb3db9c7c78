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

/// A dialog to show: its kind, and the files it lists, as a GTK file filter in
/// GVariant text (what a web page's `accept` asks for), or every file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    /// What is chosen.
    pub kind: Kind,
    /// The files listed, as a `GtkFileFilter` in GVariant text; every file if `None`.
    pub filter: Option<String>,
}

impl From<Kind> for Ask {
    fn from(kind: Kind) -> Self {
        Ask { kind, filter: None }
    }
}

impl Ask {
    fn args(&self) -> Vec<OsString> {
        let mut args = vec![OsString::from(FLAG)];
        args.push(
            match self.kind {
                Kind::Open => "open",
                Kind::OpenMany => "open-many",
                Kind::Folder => "folder",
                Kind::Save(_) => "save",
            }
            .into(),
        );
        if let Kind::Save(Some(name)) = &self.kind {
            args.extend(["--name".into(), name.into()]);
        }
        if let Some(filter) = &self.filter {
            args.extend(["--filter".into(), filter.into()]);
        }
        args
    }

    /// The dialog named by a dialog process's arguments (after [`FLAG`]).
    fn parse(args: &[OsString]) -> Option<Ask> {
        let (kind, mut rest) = args.split_first()?;
        let (mut name, mut filter) = (None, None);
        while let [key, value, more @ ..] = rest {
            let value = value.to_str()?.to_owned();
            match key.to_str()? {
                "--name" if name.is_none() => name = Some(value),
                "--filter" if filter.is_none() => filter = Some(value),
                _ => return None,
            }
            rest = more;
        }
        if !rest.is_empty() {
            return None;
        }
        let kind = match kind.to_str()? {
            "open" => Kind::Open,
            "open-many" => Kind::OpenMany,
            "folder" => Kind::Folder,
            "save" => Kind::Save(name.take()),
            _ => return None,
        };
        if name.is_some() {
            return None;
        }
        Some(Ask { kind, filter })
    }
}

/// Dialogs open now, so a lock can end them.
static OPEN: Mutex<Vec<Arc<Mutex<Child>>>> = Mutex::new(Vec::new());

/// Shows a dialog in a process of its own and waits for it (call it off the main
/// thread). The chosen paths, none if the person cancelled or a lock closed it.
pub fn choose(ask: &Ask) -> io::Result<Vec<PathBuf>> {
    let mut child = Command::new(crate::restart::program())
        .args(ask.args())
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

/// Answers a file input of the web view (Choose files, an XLSForm to read) with the
/// same dialog in a process of its own, instead of WebKit's dialog in the app's.
/// Returns at once; the answer reaches the page when the dialog closes.
#[cfg(target_os = "linux")]
pub fn for_web_view(request: &webkit2gtk::FileChooserRequest) {
    use webkit2gtk::FileChooserRequestExt;
    let ask = Ask {
        kind: if request.selects_multiple() {
            Kind::OpenMany
        } else {
            Kind::Open
        },
        filter: request
            .mime_types_filter()
            .and_then(|f| f.to_gvariant())
            .map(|v| v.print(true).to_string()),
    };
    let request = request.clone();
    gtk::glib::MainContext::default().spawn_local(async move {
        let paths = match gtk::gio::spawn_blocking(move || choose(&ask)).await {
            Ok(Ok(paths)) => paths,
            Ok(Err(e)) => {
                eprintln!("satchel-app: the file dialog did not start: {}", e.kind());
                Vec::new()
            }
            Err(_) => Vec::new(),
        };
        let names: Vec<&str> = paths.iter().filter_map(|p| p.to_str()).collect();
        if names.is_empty() || names.len() != paths.len() {
            request.cancel();
        } else {
            request.select_files(&names);
        }
        crate::recent::forget();
    });
}

/// In a process started by [`choose`]: shows the dialog and returns the exit code.
/// `None` in the app itself.
pub fn child_if_asked() -> Option<i32> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let (first, rest) = args.split_first()?;
    if first.as_os_str() != OsStr::new(FLAG) {
        return None;
    }
    Some(Ask::parse(rest).map_or(2, |ask| show(&ask)))
}

#[cfg(target_os = "linux")]
fn show(ask: &Ask) -> i32 {
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
    let kind = &ask.kind;
    let (title, action) = match kind {
        Kind::Open | Kind::OpenMany => ("Open File", gtk::FileChooserAction::Open),
        Kind::Save(_) => ("Save File", gtk::FileChooserAction::Save),
        Kind::Folder => ("Select Folder", gtk::FileChooserAction::SelectFolder),
    };
    // GTK's own button labels, in the system's language.
    let dialog = gtk::FileChooserNative::new(Some(title), None::<&gtk::Window>, action, None, None);
    dialog.set_local_only(true);
    dialog.set_select_multiple(*kind == Kind::OpenMany);
    // The page's filter, and every file as the other choice, as WebKit's own
    // dialog offers.
    let page_filter = ask
        .filter
        .as_deref()
        .and_then(|text| gtk::glib::Variant::parse(None, text).ok())
        .map(|v| gtk::FileFilter::from_gvariant(&v));
    if let Some(filter) = page_filter {
        dialog.add_filter(filter.clone());
        let all = gtk::FileFilter::new();
        all.set_name(Some("*"));
        all.add_pattern("*");
        dialog.add_filter(all);
        dialog.set_filter(&filter);
    }
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
fn show(_ask: &Ask) -> i32 {
    2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialogs_round_trip_through_the_arguments() {
        let filter = Some("('Spreadsheets', [(0, '*.xlsx'), (0, '*.xls')])".to_owned());
        for ask in [
            Ask::from(Kind::Open),
            Ask::from(Kind::OpenMany),
            Ask::from(Kind::Folder),
            Ask::from(Kind::Save(None)),
            Ask::from(Kind::Save(Some("report 보고서.xlsx".into()))),
            Ask {
                kind: Kind::Open,
                filter: filter.clone(),
            },
            Ask {
                kind: Kind::Save(Some("--filter".into())),
                filter,
            },
        ] {
            let args = ask.args();
            assert_eq!(args[0], FLAG);
            assert_eq!(Ask::parse(&args[1..]), Some(ask));
        }
    }

    #[test]
    fn other_arguments_show_no_dialog() {
        let parse =
            |args: &[&str]| Ask::parse(&args.iter().map(OsString::from).collect::<Vec<_>>());
        assert_eq!(parse(&[]), None);
        assert_eq!(parse(&["delete"]), None);
        assert_eq!(parse(&["open", "x"]), None);
        assert_eq!(
            parse(&["open", "--name", "a.txt"]),
            None,
            "a name is for saving"
        );
        assert_eq!(parse(&["save", "--name"]), None);
        assert_eq!(parse(&["save", "--name", "a", "--name", "b"]), None);
        assert_eq!(parse(&["open", "--colour", "red"]), None);
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
