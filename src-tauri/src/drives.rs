//! Removable drives the user can export a bundle to. The web view sees an opaque id
//! and a label; the path is looked up again here at export time, so no path ever
//! comes from the web view.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// A mounted removable drive as the UI lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct Drive {
    /// Opaque: the index of its mount root and its name there.
    pub id: String,
    /// The volume name.
    pub label: String,
}

/// Where the platform mounts removable drives. `SATCHEL_MEDIA_ROOT` replaces them
/// (the end-to-end test points it at a folder standing in for a USB stick).
pub fn roots() -> Vec<PathBuf> {
    if let Some(root) = std::env::var_os("SATCHEL_MEDIA_ROOT") {
        return vec![PathBuf::from(root)];
    }
    let mut out = Vec::new();
    if cfg!(target_os = "macos") {
        out.push(PathBuf::from("/Volumes"));
    } else if cfg!(unix) {
        // udisks2 mounts under /media/$USER (Debian, Ubuntu) or /run/media/$USER
        // (Fedora, Arch).
        if let Some(user) = std::env::var_os("USER") {
            out.push(Path::new("/media").join(&user));
            out.push(Path::new("/run/media").join(&user));
        }
    }
    out
}

fn entries(roots: &[PathBuf]) -> Vec<(Drive, PathBuf)> {
    let mut out = Vec::new();
    for (i, root) in roots.iter().enumerate() {
        let Ok(dir) = std::fs::read_dir(root) else {
            continue;
        };
        for entry in dir.flatten() {
            // Symlinks are skipped: macOS lists the system disk in /Volumes as one.
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if is_dir && !name.starts_with('.') {
                out.push((
                    Drive {
                        id: format!("{i}/{name}"),
                        label: name,
                    },
                    entry.path(),
                ));
            }
        }
    }
    out.sort_by(|a, b| a.0.label.cmp(&b.0.label));
    out
}

/// Drives mounted now.
pub fn list(roots: &[PathBuf]) -> Vec<Drive> {
    entries(roots).into_iter().map(|(d, _)| d).collect()
}

/// The mount point of the drive with this id, if it is still there.
pub fn find(roots: &[PathBuf], id: &str) -> Option<PathBuf> {
    entries(roots)
        .into_iter()
        .find(|(d, _)| d.id == id)
        .map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_directories_and_finds_them_by_id_only() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("KINGSTON")).unwrap();
        std::fs::create_dir(tmp.path().join(".hidden")).unwrap();
        std::fs::write(tmp.path().join("file"), b"x").unwrap();
        let roots = vec![tmp.path().to_owned(), tmp.path().join("missing")];
        let drives = list(&roots);
        assert_eq!(
            drives,
            vec![Drive {
                id: "0/KINGSTON".into(),
                label: "KINGSTON".into()
            }]
        );
        assert_eq!(
            find(&roots, "0/KINGSTON"),
            Some(tmp.path().join("KINGSTON"))
        );
        assert_eq!(find(&roots, "0/../etc"), None);
        assert_eq!(find(&roots, "/etc"), None);
        assert_eq!(find(&roots, "0/file"), None);
    }
}
