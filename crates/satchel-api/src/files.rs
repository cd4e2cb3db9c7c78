//! The files of a vault directory and how they are written.
//!
//! A vault is one directory holding `keyslots` and two SQLCipher databases,
//! `vault.db` and `spare.db`, each with its pack of sealed attachment chunks
//! (`vault.pack`, `spare.pack`). All of them always exist and all look random; which
//! database a passphrase opens is recorded inside its encrypted slot. The second one
//! is the duress decoy when a duress passphrase is set, and filler otherwise, so the
//! directory looks the same either way.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use satchel_crypto::rng;

/// The keyslots file name.
pub const KEYSLOTS: &str = "keyslots";
/// The two database file names, by selector.
pub const DATABASES: [&str; 2] = ["vault.db", "spare.db"];
/// Their packs, by selector (`satchel_store::pack_path`).
pub const PACKS: [&str; 2] = ["vault.pack", "spare.pack"];
const SIDECARS: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Path of the keyslots file.
pub fn keyslots(dir: &Path) -> PathBuf {
    dir.join(KEYSLOTS)
}

/// Path of database `selector` (0 or 1).
pub fn database(dir: &Path, selector: u8) -> PathBuf {
    let [first, second] = DATABASES;
    dir.join(if selector & 1 == 0 { first } else { second })
}

/// Path of the pack of database `selector`.
pub fn pack(dir: &Path, selector: u8) -> PathBuf {
    satchel_store::pack_path(&database(dir, selector))
}

/// Every file a vault may hold, existing or not.
pub fn all(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![keyslots(dir)];
    for (db, pack) in DATABASES.into_iter().zip(PACKS) {
        out.push(dir.join(db));
        for s in SIDECARS {
            out.push(dir.join(format!("{db}{s}")));
        }
        out.push(dir.join(pack));
    }
    out
}

/// Whether `name` is one of Satchel's temporary files (see [`temp_beside`]): a copy
/// of a vault file being built, left behind if its writer was interrupted, or an
/// SQLite sidecar of one. A keyslots copy still opens with its passphrase.
fn is_temp_of_ours(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    [KEYSLOTS, DATABASES[0], DATABASES[1], PACKS[0], PACKS[1]]
        .iter()
        .any(|base| {
            rest.strip_prefix(base)
                .and_then(|r| r.strip_prefix('.'))
                .and_then(|r| r.split_once(".tmp"))
                .is_some_and(|(tag, sidecar)| {
                    tag.len() == 12
                        && tag.bytes().all(|b| b.is_ascii_hexdigit())
                        && (sidecar.is_empty() || SIDECARS.contains(&sidecar))
                })
        })
}

/// Satchel's files in `dir` as it is now: the fixed names that exist, and any
/// temporary copies left by an interrupted write. Keyslots copies come first.
pub fn present(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut temps = Vec::new();
    match fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry?;
                if entry.file_name().to_str().is_some_and(is_temp_of_ours) {
                    temps.push(entry.path());
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    }
    temps.sort();
    let keyslot_temp = |p: &PathBuf| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(".keyslots."))
    };
    let (keyslot_temps, other_temps): (Vec<_>, Vec<_>) = temps.into_iter().partition(keyslot_temp);
    let mut out: Vec<PathBuf> = all(dir).into_iter().filter(|p| p.exists()).collect();
    out.splice(0..0, keyslot_temps);
    out.extend(other_temps);
    Ok(out)
}

/// Whether `path` is a keyslots file or a temporary copy of one.
pub fn holds_keyslots(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == KEYSLOTS || (n.starts_with(".keyslots.") && is_temp_of_ours(n)))
}

fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o
}

/// Restricts a file to its owner (SQLite creates files with the process umask; its
/// sidecar files copy the database's mode).
pub fn owner_only(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates `dir` (owner-only) if it does not exist.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Creates `dir` owner-only, or makes it owner-only if it exists.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    create_dir(dir)?;
    #[cfg(unix)]
    fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    Ok(())
}

/// Flushes a directory entry change (create, rename, unlink) to disk.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes a new file that must not exist yet, and syncs it.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = options().write(true).create_new(true).open(path)?;
    let result = f.write_all(bytes).and_then(|()| f.sync_all());
    if result.is_err() {
        let _ = fs::remove_file(path);
    }
    result?;
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Creates a new file that must not exist yet, owner-only, for the caller to fill.
pub fn create_new(path: &Path) -> io::Result<File> {
    options().write(true).create_new(true).open(path)
}

/// A fresh hidden temporary path beside `path`, to build a file and rename it into place.
pub fn temp_beside(path: &Path) -> io::Result<PathBuf> {
    let tag = data_encoding::HEXLOWER.encode(&rng::array::<6>().map_err(io::Error::other)?);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    Ok(path.with_file_name(format!(".{name}.{tag}.tmp")))
}

/// Removes the files [`temp_beside`] made for `name` in `dir` and an interrupted
/// writer left: `.NAME.<12 hex digits>.tmp`, regular files only. Returns how many.
pub fn remove_stale_temps(dir: &Path, name: &str) -> io::Result<usize> {
    let prefix = format!(".{name}.");
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let file = entry.file_name();
        let Some(tag) = file
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|r| r.strip_suffix(".tmp"))
        else {
            continue;
        };
        if tag.len() == 12
            && tag.bytes().all(|b| b.is_ascii_hexdigit())
            && entry.file_type()?.is_file()
        {
            fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Replaces `path` atomically (temporary file, fsync, rename, fsync of the directory),
/// then overwrites the old file's blocks with random bytes through a handle kept
/// open across the rename, so the old contents do not linger on disk (where the file
/// system writes in place; see docs/vault-security.md for flash and CoW caveats).
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let old = OpenOptions::new().write(true).open(path).ok();
    let old_len = old
        .as_ref()
        .and_then(|f| f.metadata().ok())
        .map_or(0, |m| m.len());
    let tmp = temp_beside(path)?;
    write_new(&tmp, bytes)?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    if let Some(old) = old {
        scrub(old, old_len)?;
    }
    Ok(())
}

/// Overwrites `len` bytes of `file` with random bytes from its start, and syncs.
pub fn scrub(mut file: File, len: u64) -> io::Result<()> {
    let mut noise = vec![0u8; usize::try_from(len).unwrap_or(0).min(1 << 20)];
    rng::fill(&mut noise).map_err(io::Error::other)?;
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(noise.len());
        file.write_all(noise.get(..n).unwrap_or_default())?;
        left -= n as u64;
    }
    file.sync_all()
}

/// Overwrites a file in place with random bytes and syncs it (the panic wipe's first
/// and most important step). Missing files are fine.
pub fn overwrite(path: &Path) -> io::Result<()> {
    match OpenOptions::new().write(true).open(path) {
        Ok(f) => {
            let len = f.metadata()?.len();
            scrub(f, len)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Empties a file in place (its inode, creation time and permissions stay) and
/// removes its SQLite sidecars, so a new database can be built inside it.
pub fn empty_in_place(path: &Path) -> io::Result<()> {
    let f = options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    f.sync_all()?;
    for s in SIDECARS {
        let mut p = path.as_os_str().to_owned();
        p.push(s);
        remove(Path::new(&p))?;
    }
    Ok(())
}

/// A fresh, empty, owner-only temporary file beside `path` (see [`temp_beside`]).
pub fn new_temp_beside(path: &Path) -> io::Result<PathBuf> {
    let tmp = temp_beside(path)?;
    drop(options().write(true).create_new(true).open(&tmp)?);
    Ok(tmp)
}

/// Temporary copies of database `selector` left beside it (no sidecars), oldest name
/// order.
pub fn database_temps(dir: &Path, selector: u8) -> io::Result<Vec<PathBuf>> {
    let base = database(dir, selector);
    let name = base
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    Ok(present(dir)?
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".tmp"))
        })
        .collect())
}

/// Removes the temporary copies an interrupted write left: keyslots copies are
/// overwritten first (each still opens with its passphrase), database copies and
/// their sidecars removed.
pub fn remove_temps(dir: &Path) -> io::Result<usize> {
    let temps: Vec<PathBuf> = present(dir)?
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_temp_of_ours)
        })
        .collect();
    for p in temps.iter().filter(|p| holds_keyslots(p)) {
        overwrite(p)?;
    }
    for p in &temps {
        remove(p)?;
    }
    if !temps.is_empty() {
        sync_dir(dir)?;
    }
    Ok(temps.len())
}

/// Removes a file if it exists.
pub fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Removes a database file and its SQLite sidecars.
pub fn remove_database(path: &Path) -> io::Result<()> {
    remove(path)?;
    for s in SIDECARS {
        let mut p = path.as_os_str().to_owned();
        p.push(s);
        remove(Path::new(&p))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_swaps_contents_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("keyslots");
        write_new(&p, b"old").unwrap();
        assert!(
            write_new(&p, b"again").is_err(),
            "write_new never overwrites"
        );
        replace(&p, b"new contents").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new contents");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn temporary_copies_are_recognised_and_nothing_else() {
        for ours in [
            ".keyslots.0123456789ab.tmp",
            ".vault.db.abcdef012345.tmp",
            ".spare.db.abcdef012345.tmp-wal",
            ".spare.db.abcdef012345.tmp-journal",
        ] {
            assert!(is_temp_of_ours(ours), "{ours}");
        }
        for other in [
            "keyslots",
            ".keyslots.0123456789a.tmp",
            ".keyslots.0123456789ag.tmp",
            ".keyslots.0123456789ab.tmpx",
            ".notes.0123456789ab.tmp",
            "photo.jpg",
            ".keyslots.0123456789ab.tmp-wal-",
        ] {
            assert!(!is_temp_of_ours(other), "{other}");
        }
    }

    #[test]
    fn present_lists_keyslots_copies_first() {
        let dir = tempfile::tempdir().unwrap();
        for n in [
            "vault.db",
            ".vault.db.000000000000.tmp",
            "keyslots",
            ".keyslots.111111111111.tmp",
            "mine.txt",
        ] {
            fs::write(dir.path().join(n), b"x").unwrap();
        }
        let names: Vec<String> = present(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                ".keyslots.111111111111.tmp",
                "keyslots",
                "vault.db",
                ".vault.db.000000000000.tmp"
            ]
        );
    }

    #[test]
    fn overwrite_keeps_length_and_changes_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        fs::write(&p, [0u8; 4096]).unwrap();
        overwrite(&p).unwrap();
        let after = fs::read(&p).unwrap();
        assert_eq!(after.len(), 4096);
        assert_ne!(after, vec![0u8; 4096]);
        overwrite(&dir.path().join("missing")).unwrap();
    }
}
