//! What `stat` shows of a vault (size, inode, birth and change times, permissions,
//! names) cannot tell whether it has a duress passphrase, before or after that
//! passphrase is used; and the decoy keeps what was put in it.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use satchel_api::files;

use crate::*;

/// One file as `stat` (statx on Linux) shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stat {
    len: u64,
    ino: u64,
    mode: u32,
    birth: Option<SystemTime>,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

fn stat_dir(dir: &Path) -> BTreeMap<String, Stat> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = std::fs::metadata(e.path()).unwrap();
            (
                e.file_name().into_string().unwrap(),
                Stat {
                    len: m.len(),
                    ino: m.ino(),
                    mode: m.mode(),
                    birth: m.created().ok(),
                    mtime: (m.mtime(), m.mtime_nsec()),
                    ctime: (m.ctime(), m.ctime_nsec()),
                },
            )
        })
        .collect()
}

/// What changed for one file across a session, as an observer comparing two
/// `stat`s would see it. Sizes are compared as a sorted pair below (which file holds
/// the records is random).
#[derive(Debug, PartialEq, Eq)]
struct Change {
    /// A new inode or birth time (a file system may hand a freed inode number to the
    /// next file, so either one tells a replaced file).
    replaced: bool,
    mtime_moved: bool,
    ctime_moved: bool,
    mode: u32,
}

fn changes(
    before: &BTreeMap<String, Stat>,
    after: &BTreeMap<String, Stat>,
) -> Vec<(String, Change)> {
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "the folder's entries changed"
    );
    before
        .iter()
        .map(|(name, b)| {
            let a = &after[name];
            (
                name.clone(),
                Change {
                    replaced: a.ino != b.ino || a.birth != b.birth,
                    mtime_moved: a.mtime != b.mtime,
                    ctime_moved: a.ctime != b.ctime,
                    mode: a.mode,
                },
            )
        })
        .collect()
}

fn sizes(s: &BTreeMap<String, Stat>) -> Vec<u64> {
    let mut v: Vec<u64> = s.values().map(|s| s.len).collect();
    v.sort_unstable();
    v
}

/// Lets the clock move past the file system's timestamp granularity.
fn tick() {
    std::thread::sleep(Duration::from_millis(30));
}

fn fresh(dir: &Path) {
    let (v, _) = new_vault(dir);
    drop(v);
}

/// `duress set` changes the folder exactly as a passphrase change does: no database
/// gets a new inode or birth time, and the sizes stay as they were.
#[test]
fn setting_a_duress_passphrase_looks_like_any_passphrase_change() {
    let (with, without) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    fresh(with.path());
    fresh(without.path());
    let (b_with, b_without) = (stat_dir(with.path()), stat_dir(without.path()));
    tick();
    let mut v = satchel_api::unlock(with.path(), &pass(PASS), P).unwrap();
    v.set_duress(&pass("duress passphrase")).unwrap();
    drop(v);
    let mut v = satchel_api::unlock(without.path(), &pass(PASS), P).unwrap();
    v.change_passphrase(&pass("another passphrase")).unwrap();
    drop(v);
    let (a_with, a_without) = (stat_dir(with.path()), stat_dir(without.path()));
    let c_with = changes(&b_with, &a_with);
    assert_eq!(c_with, changes(&b_without, &a_without));
    for db in ["vault.db", "spare.db"] {
        assert_eq!(a_with[db].ino, b_with[db].ino, "{db} got a new inode");
        assert_eq!(
            a_with[db].birth, b_with[db].birth,
            "{db} got a new birth time"
        );
    }
    assert_eq!(sizes(&a_with), sizes(&a_without));
    assert_eq!(sizes(&a_with), sizes(&b_with));
}

/// The coerced unlock rewrites the folder as an ordinary session that changed a
/// record does: the real database is erased inside its own file (same inode, same
/// birth time), nothing is created or removed.
#[test]
fn a_duress_unlock_looks_like_an_ordinary_session() {
    let (with, without) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [with.path(), without.path()] {
        fresh(dir);
    }
    let mut v = satchel_api::unlock(with.path(), &pass(PASS), P).unwrap();
    v.set_duress(&pass("duress passphrase")).unwrap();
    drop(v);
    let mut v = satchel_api::unlock(without.path(), &pass(PASS), P).unwrap();
    v.change_passphrase(&pass(PASS)).unwrap();
    drop(v);
    let (b_with, b_without) = (stat_dir(with.path()), stat_dir(without.path()));
    tick();
    let decoy = satchel_api::unlock(with.path(), &pass("duress passphrase"), P).unwrap();
    assert_eq!(decoy.info().unwrap().records, 0);
    drop(decoy);
    let mut v = satchel_api::unlock(without.path(), &pass(PASS), P).unwrap();
    v.save_draft("new:contact", &serde_json::json!({"inputs": {"name": "x"}}))
        .unwrap();
    v.discard_draft("new:contact").unwrap();
    drop(v);
    let (a_with, a_without) = (stat_dir(with.path()), stat_dir(without.path()));
    assert_eq!(changes(&b_with, &a_with), changes(&b_without, &a_without));
    for db in ["vault.db", "spare.db"] {
        assert_eq!(a_with[db].ino, b_with[db].ino, "{db} got a new inode");
        assert_eq!(
            a_with[db].birth, b_with[db].birth,
            "{db} got a new birth time"
        );
        assert_eq!(a_with[db].mode & 0o777, 0o600);
    }
    assert_eq!(sizes(&a_with), sizes(&a_without));
}

/// A session that changes nothing (a refused command, a read) leaves every byte and
/// every time as it was; the closing touch is only for sessions that changed
/// something.
#[test]
fn a_session_that_changes_nothing_changes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    fresh(dir.path());
    let before = stat_dir(dir.path());
    tick();
    let v = satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();
    v.records(&Default::default()).unwrap();
    drop(v);
    assert_eq!(stat_dir(dir.path()), before);
}

/// Records put in the decoy beforehand (or entered after a duress unlock) stay there:
/// setting the duress passphrase again, and using it, keep them.
#[test]
fn the_decoy_keeps_what_was_put_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    v.add_record("contact", &text(&[("name", "Real Person")]), &[])
        .unwrap();
    v.set_duress(&pass("duress passphrase")).unwrap();
    let mut decoy = v.open_decoy().unwrap();
    assert!(decoy.is_decoy());
    assert_eq!(decoy.info().unwrap().records, 0);
    decoy
        .add_record("contact", &text(&[("name", "Market Vendor")]), &[])
        .unwrap();
    assert!(matches!(
        decoy.change_passphrase(&pass("anything at all")),
        Err(satchel_api::ApiError::DecoyOnly)
    ));
    assert!(matches!(
        decoy.set_duress(&pass("anything at all")),
        Err(satchel_api::ApiError::DecoyOnly)
    ));
    drop(decoy);
    // Replacing the duress passphrase keeps the decoy's records.
    let mut v = satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();
    assert_eq!(v.info().unwrap().records, 1);
    v.set_duress(&pass("second duress phrase")).unwrap();
    drop(v);
    assert!(matches!(
        satchel_api::unlock(dir.path(), &pass("duress passphrase"), P),
        Err(satchel_api::ApiError::WrongPassphrase)
    ));
    let mut decoy = satchel_api::unlock(dir.path(), &pass("second duress phrase"), P).unwrap();
    let shown = decoy.search("Vendor", 10).unwrap();
    assert_eq!(shown.len(), 1, "the prepared record is in the decoy");
    assert!(decoy.search("Real", 10).unwrap().is_empty());
    decoy
        .add_record("contact", &text(&[("name", "Added Under Duress")]), &[])
        .unwrap();
    drop(decoy);
    let decoy = satchel_api::unlock(dir.path(), &pass("second duress phrase"), P).unwrap();
    assert_eq!(decoy.info().unwrap().records, 2);
    assert!(
        !decoy.is_decoy(),
        "after a duress unlock the decoy is the vault"
    );
    decoy.verify().unwrap();
    drop(decoy);
    assert!(satchel_api::unlock(dir.path(), &pass(PASS), P).is_err());
}

/// Which of the two files holds the records is chosen at random at creation.
#[test]
fn the_real_database_is_either_file() {
    let mut seen = [false, false];
    let long = "x".repeat(400);
    for _ in 0..24 {
        let dir = tempfile::tempdir().unwrap();
        let (mut v, _) = new_vault(dir.path());
        let rows: Vec<_> = (0..40)
            .map(|i| text(&[("name", &format!("person {i} {long}"))]))
            .collect();
        v.add_records("contact", &rows).unwrap();
        drop(v);
        let [a, b] = [0, 1].map(|s| {
            std::fs::metadata(files::database(dir.path(), s))
                .unwrap()
                .len()
        });
        seen[usize::from(a < b)] = true;
        if seen == [true, true] {
            return;
        }
    }
    panic!("the records were always in the same file: {seen:?}");
}

/// An attachment large enough for the pack grows one pack, and both packs show the
/// same kind of change at close: neither time says which database was written.
#[test]
fn an_attachment_in_one_pack_shows_as_a_change_of_both() {
    let dir = tempfile::tempdir().unwrap();
    fresh(dir.path());
    let before = stat_dir(dir.path());
    tick();
    let mut v = satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();
    v.add_record(
        "contact",
        &text(&[("name", "With Video")]),
        &[satchel_api::NewAttachment::in_memory(
            "testimony.mp4".into(),
            zeroize::Zeroizing::new(vec![3u8; 3 * 1024 * 1024]),
        )],
    )
    .unwrap();
    drop(v);
    let after = stat_dir(dir.path());
    let c: BTreeMap<String, Change> = changes(&before, &after).into_iter().collect();
    assert_eq!(c["vault.pack"], c["spare.pack"]);
    assert!(c["vault.pack"].mtime_moved && c["vault.pack"].ctime_moved);
    assert!(!c["vault.pack"].replaced);
    assert_eq!(after["vault.pack"].mtime, after["spare.pack"].mtime);
    let mut packs = [after["vault.pack"].len, after["spare.pack"].len];
    packs.sort_unstable();
    assert_eq!(packs[0], 0);
    assert!(packs[1] >= 3 * 1024 * 1024);
}

/// A coerced unlock empties the real database's pack inside its own file: the
/// attachments' sealed chunks are gone, and the file keeps its inode.
#[test]
fn a_duress_unlock_empties_the_real_pack_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    v.add_record(
        "contact",
        &text(&[("name", "With Video")]),
        &[satchel_api::NewAttachment::in_memory(
            "testimony.mp4".into(),
            zeroize::Zeroizing::new(vec![5u8; 3 * 1024 * 1024]),
        )],
    )
    .unwrap();
    v.set_duress(&pass("duress passphrase")).unwrap();
    drop(v);
    let before = stat_dir(dir.path());
    let real = ["vault.pack", "spare.pack"]
        .into_iter()
        .find(|p| before[*p].len >= 3 * 1024 * 1024)
        .unwrap();
    drop(satchel_api::unlock(dir.path(), &pass("duress passphrase"), P).unwrap());
    let after = stat_dir(dir.path());
    assert_eq!(after[real].len, 0, "{real} emptied");
    assert_eq!(after[real].ino, before[real].ino, "{real} kept its inode");
    assert_eq!(after[real].birth, before[real].birth);
}
