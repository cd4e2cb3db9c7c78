//! Stopping an import or export from another thread (the app's lock, panic key and
//! Cancel): it ends with `Cancelled` and the vault is as before.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use satchel_api::{ApiError, ListFilter, NewAttachment};
use zeroize::Zeroizing;

use crate::*;

/// Two vaults that know each other; `a` holds `n` records for `b`.
fn pair(n: usize) -> (tempfile::TempDir, Vault, Vault, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    let (mut b, _) = new_vault(&tmp.path().join("b"));
    a.add_peer(&b.identity().card, "b").unwrap();
    b.add_peer(&a.identity().card, "a").unwrap();
    let rows: Vec<_> = (0..n)
        .map(|i| text(&[("name", &format!("contact {i}")), ("phone", "010")]))
        .collect();
    a.add_records("contact", &rows).unwrap();
    let out = tmp.path().join("out");
    let file = a.export_bundle(&["b".into()], &out).unwrap().file;
    (tmp, a, b, out.join(file))
}

fn count(v: &Vault) -> usize {
    v.records(&ListFilter::default()).unwrap().len()
}

#[test]
fn a_raised_flag_stops_import_and_export_and_changes_nothing() {
    let (_tmp, mut a, mut b, bundle) = pair(20);
    let flag = Arc::new(AtomicBool::new(true));
    b.set_cancel(Arc::clone(&flag)).unwrap();
    assert!(matches!(b.import_bundle(&bundle), Err(ApiError::Cancelled)));
    assert_eq!(count(&b), 0);
    assert_eq!(b.info().unwrap().ops, 0, "nothing half-imported");

    a.set_cancel(Arc::clone(&flag)).unwrap();
    let out = bundle.with_file_name("again");
    assert!(matches!(
        a.export_bundle(&["b".into()], &out),
        Err(ApiError::Cancelled)
    ));
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().count() == 0);

    // Lowered again, the same work succeeds: the flag stops, it does not break.
    flag.store(false, Ordering::Relaxed);
    assert_eq!(b.import_bundle(&bundle).unwrap().applied, 20);
    assert_eq!(count(&b), 20);
}

#[test]
fn an_import_stopped_midway_rolls_back() {
    // The flag goes up halfway through an attachment, which streams inside the
    // import's transaction: the records applied with it are rolled back too.
    let (tmp, mut a, mut b, _) = pair(1_000);
    let photo: Vec<u8> = (0..4u32 << 20).map(|i| (i % 251) as u8).collect();
    let attachment = NewAttachment::in_memory("photo.jpg".into(), Zeroizing::new(photo));
    a.add_record("contact", &text(&[("name", "with photo")]), &[attachment])
        .unwrap();
    let out = tmp.path().join("out2");
    let bundle = out.join(a.export_bundle(&["b".into()], &out).unwrap().file);
    let flag = Arc::new(AtomicBool::new(false));
    b.set_cancel(Arc::clone(&flag)).unwrap();
    let mut raised_at = None;
    let result = b.import_bundle_file(&bundle, &mut |done, total| {
        if raised_at.is_none() && done * 2 >= total && done < total {
            flag.store(true, Ordering::Relaxed);
            raised_at = Some(done);
        }
    });
    assert!(raised_at.is_some(), "the flag went up midway");
    assert!(matches!(result, Err(ApiError::Cancelled)), "{result:?}");
    assert_eq!(b.info().unwrap().ops, 0, "nothing half-imported");
    assert_eq!(
        b.info().unwrap().attachments,
        0,
        "no part of the photo kept"
    );
    flag.store(false, Ordering::Relaxed);
    assert_eq!(b.import_bundle(&bundle).unwrap().applied, 1_001);
    assert_eq!(b.info().unwrap().attachments, 1);
}
