//! The organisation's rules at import and for this device's own edits: the attack
//! from the issue (a peer of a peer purging a record it did not create) is refused
//! everywhere, kept aside with its reason, and the record stays.

use satchel_api::{ApiError, Vault};

use crate::*;

fn befriend(a: &mut Vault, an: &str, b: &mut Vault, bn: &str) {
    a.add_peer(&b.identity().card, bn).unwrap();
    b.add_peer(&a.identity().card, an).unwrap();
}

fn send(
    from: &mut Vault,
    to_name: &str,
    to: &mut Vault,
    dir: &Path,
) -> satchel_api::sync::ImportReport {
    let out = dir.join(format!("out-{}", rand_name()));
    let r = from.export_bundle(&[to_name.to_owned()], &out).unwrap();
    to.import_bundle(&out.join(r.file)).unwrap()
}

fn rand_name() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

/// Enrols `device` into `coordinator`'s organisation as `role`; returns the approval
/// text (which carries the new certificate first).
fn approve(coordinator: &mut Vault, device: &Vault, name: &str, role: &str) -> String {
    let req = device.enrol_request(name).unwrap();
    coordinator
        .enrol_approve(&req.text, &req.fingerprint, role, 30)
        .unwrap()
        .text
}

#[test]
fn a_field_workers_purge_of_a_record_they_did_not_create_is_refused_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    let (mut b, _) = new_vault(&tmp.path().join("b"));
    let (mut c, _) = new_vault(&tmp.path().join("c"));
    a.org_create("Border Aid", "Coordinator", 30).unwrap();
    let for_b = approve(&mut a, &b, "Worker B", "field");
    b.enrol_accept(&for_b).unwrap();
    // C is certified as a field worker, but its vault never accepted: it does not
    // apply the rules to itself, as a tampered or old build would not.
    let for_c = approve(&mut a, &c, "Worker C", "field");
    b.member_import(&for_c).unwrap();
    befriend(&mut a, "a", &mut b, "b");
    befriend(&mut b, "b", &mut c, "c");

    let rid = a
        .add_record("contact", &text(&[("name", "Kept Safe")]), &[])
        .unwrap();
    send(&mut a, "b", &mut b, tmp.path());
    send(&mut b, "c", &mut c, tmp.path());
    assert_eq!(c.search("Kept", 5).unwrap().len(), 1);

    // B, a field worker, may not purge what A created: refused on B itself.
    assert!(matches!(b.purge_record(&rid), Err(ApiError::Membership(_))));
    // C does it anyway, and sends it to B: refused there, kept aside with why.
    c.add_record("contact", &text(&[("name", "C's own")]), &[])
        .unwrap();
    c.purge_record(&rid).unwrap();
    let r = send(&mut c, "b", &mut b, tmp.path());
    assert_eq!(r.applied, 1, "C's own record is heard: {r:?}");
    assert_eq!((r.refused, r.quarantined), (1, 0), "{r:?}");
    let held = b.quarantine().unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].reason, "refused");
    assert!(held[0].detail.contains("purge"), "{}", held[0].detail);
    // Authors by member name and role, this device marked.
    assert_eq!(held[0].author, "Worker C (field)");
    assert_eq!(
        b.history(&rid, "en").unwrap()[0].author,
        "Coordinator (coordinator)"
    );
    assert_eq!(
        a.history(&rid, "en").unwrap()[0].author,
        "Coordinator (coordinator, this device)"
    );
    assert_eq!(
        b.search("Kept", 5).unwrap().len(),
        1,
        "the record stays on B"
    );
    // And on A: B has nothing of the purge to pass on.
    send(&mut b, "a", &mut a, tmp.path());
    assert_eq!(
        a.search("Kept", 5).unwrap().len(),
        1,
        "the record stays on A"
    );
    assert_eq!(
        a.search("own", 5).unwrap().len(),
        1,
        "C's own record reached A"
    );
}

#[test]
fn ops_of_a_device_outside_the_organisation_are_kept_aside() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    let (mut d, _) = new_vault(&tmp.path().join("d"));
    a.org_create("Border Aid", "Coordinator", 30).unwrap();
    befriend(&mut a, "a", &mut d, "d");
    d.add_record("contact", &text(&[("name", "Stranger")]), &[])
        .unwrap();
    let r = send(&mut d, "a", &mut a, tmp.path());
    assert_eq!((r.applied, r.refused), (0, 1), "{r:?}");
    let held = a.quarantine().unwrap();
    assert_eq!(held[0].reason, "refused");
    assert!(
        held[0].detail.contains("not a member"),
        "{}",
        held[0].detail
    );
    assert!(a.search("Stranger", 5).unwrap().is_empty());
    // Enrolled afterwards, the op held aside is heard at the next import.
    let for_d = approve(&mut a, &d, "Worker D", "field");
    d.enrol_accept(&for_d).unwrap();
    d.add_record("contact", &text(&[("name", "Second")]), &[])
        .unwrap();
    let r = send(&mut d, "a", &mut a, tmp.path());
    assert_eq!(r.applied, 2, "{r:?}");
    assert!(a.quarantine().unwrap().is_empty());
}

#[test]
fn an_auditor_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    let (mut e, _) = new_vault(&tmp.path().join("e"));
    a.org_create("Border Aid", "Coordinator", 30).unwrap();
    let for_e = approve(&mut a, &e, "Auditor", "auditor");
    e.enrol_accept(&for_e).unwrap();
    assert!(matches!(
        e.add_record("contact", &text(&[("name", "x")]), &[]),
        Err(ApiError::Membership(_))
    ));
    assert!(matches!(
        e.add_records("contact", &[text(&[("name", "x")])]),
        Err(ApiError::Membership(_))
    ));
    assert_eq!(e.info().unwrap().records, 0);
}

#[test]
fn a_revoked_device_is_heard_up_to_its_revocation_point_only() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    let (mut b, _) = new_vault(&tmp.path().join("b"));
    a.org_create("Border Aid", "Coordinator", 30).unwrap();
    let for_b = approve(&mut a, &b, "Worker B", "field");
    b.enrol_accept(&for_b).unwrap();
    befriend(&mut a, "a", &mut b, "b");
    b.add_record("contact", &text(&[("name", "Before Seizure")]), &[])
        .unwrap();
    send(&mut b, "a", &mut a, tmp.path());
    // B's laptop is seized: revoked from the op after the last one A holds.
    let rev = a.member_revoke("Worker B", None).unwrap();
    assert!(rev.starts_with("SATCHEL-REVOKE-"));
    assert!(
        a.members()
            .unwrap()
            .iter()
            .any(|m| m.name == "Worker B" && m.status == "revoked from op 2")
    );
    // What the seized device writes afterwards is refused; what came before stays.
    b.add_record("contact", &text(&[("name", "After Seizure")]), &[])
        .unwrap();
    let r = send(&mut b, "a", &mut a, tmp.path());
    assert_eq!((r.applied, r.refused), (0, 1), "{r:?}");
    assert_eq!(a.search("Before", 5).unwrap().len(), 1);
    assert!(a.search("After", 5).unwrap().is_empty());
    assert!(a.quarantine().unwrap()[0].detail.contains("revoked"));
    // The last coordinator cannot be revoked.
    assert!(matches!(
        a.member_revoke("Coordinator", None),
        Err(ApiError::Membership(_))
    ));
    // A field worker revokes no one.
    assert!(matches!(
        b.member_revoke("Coordinator", None),
        Err(ApiError::Membership(_))
    ));
}

#[test]
fn no_approval_without_the_fingerprint_read_from_the_device() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    let (b, _) = new_vault(&tmp.path().join("b"));
    a.org_create("Border Aid", "Coordinator", 30).unwrap();
    let req = b.enrol_request("Worker B").unwrap();
    let words: Vec<&str> = req.fingerprint.split(' ').collect();
    let three = words[..3].join(" ");
    let wrong = format!("{} zoo", words[..3].join(" "));
    for typed in ["", three.as_str(), wrong.as_str()] {
        assert!(matches!(
            a.enrol_approve(&req.text, typed, "field", 30),
            Err(ApiError::FingerprintMismatch)
        ));
    }
    assert_eq!(a.members().unwrap().len(), 1, "nothing certified");
    let four = words[..4].join(" ").to_uppercase();
    a.enrol_approve(&req.text, &four, "field", 30).unwrap();
    assert_eq!(a.members().unwrap().len(), 2);
}

#[test]
fn a_request_is_approved_with_its_words_as_a_korean_or_chinese_screen_shows_them() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    a.org_create("Border Aid", "Coordinator", 30).unwrap();
    for (i, lang) in ["ko", "zh-Hans"].into_iter().enumerate() {
        let (b, _) = new_vault(&tmp.path().join(format!("b{i}")));
        let req = b.enrol_request(&format!("Worker {i}")).unwrap();
        let shown = satchel_api::sync::words_in(&req.fingerprint, lang);
        assert_ne!(shown, req.fingerprint);
        let mut other = shown.split(' ').collect::<Vec<_>>();
        other.rotate_left(1);
        assert!(matches!(
            a.enrol_approve(&req.text, &other.join(" "), "field", 30),
            Err(ApiError::FingerprintMismatch)
        ));
        a.enrol_approve(&req.text, &shown, "field", 30).unwrap();
    }
    assert_eq!(a.members().unwrap().len(), 3);
}
