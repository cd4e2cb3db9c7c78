//! The organisation's rules at import and for this device's own edits: the attack
//! from the issue (a peer of a peer purging a record it did not create) is refused
//! everywhere, kept aside with its reason, and the record stays.

use satchel_api::error::MemberReason;
use satchel_api::{ApiError, Vault};

use crate::*;

fn befriend(a: &mut Vault, an: &str, b: &mut Vault, bn: &str) {
    a.add_peer(&b.identity().card, bn).unwrap();
    b.add_peer(&a.identity().card, an).unwrap();
}

pub(crate) fn send(
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

/// A coordinator ("Coordinator" of "Border Aid") and a field worker it enrolled
/// ("Worker B"), each the other's peer ("a" and "b").
pub(crate) fn coordinator_and_worker(dir: &Path) -> (Vault, Vault) {
    let (mut a, _) = new_vault(&dir.join("a"));
    let (mut b, _) = new_vault(&dir.join("b"));
    a.org_create("Border Aid", "Coordinator", 30).unwrap();
    let for_b = approve(&mut a, &b, "Worker B", "field");
    b.enrol_accept(&for_b).unwrap();
    befriend(&mut a, "a", &mut b, "b");
    (a, b)
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
    // Both workers are assigned the record (a field worker receives no other).
    a.assign_record(&rid, "Worker B", true).unwrap();
    a.assign_record(&rid, "Worker C", true).unwrap();
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

/// A field worker assigned someone else's record back-dates a "creation" of it to
/// become its creator, then purges it: the coordinator refuses both, and the record,
/// its creator and its content stay.
#[test]
fn a_back_dated_creation_gives_a_field_worker_no_creators_rights() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = coordinator_and_worker(tmp.path());
    let rid = a
        .add_record("contact", &text(&[("name", "Kept Safe")]), &[])
        .unwrap();
    a.assign_record(&rid, "Worker B", true).unwrap();
    send(&mut a, "b", &mut b, tmp.path());
    let a_id = a.resolve_author("Coordinator").unwrap();
    let created_by_a = |v: &Vault| {
        let filter = satchel_api::filter::RecordFilter {
            author: Some(a_id.clone()),
            ..Default::default()
        };
        v.search_filtered("Kept", &filter, 0).unwrap().items.len()
    };
    assert_eq!(created_by_a(&a), 1);

    // B's tampered build: a creation of A's record dated a year before it, then a
    // purge, which B's own vault now allows (it counts B as the creator).
    let year_ago = 1_000
        * (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            - 365 * 86_400);
    b.forge_creation_for_tests(&rid, "contact", &[("name", "Taken Over")], year_ago)
        .unwrap();
    let r = send(&mut b, "a", &mut a, tmp.path());
    assert_eq!((r.applied, r.refused), (0, 1), "{r:?}");
    // The purge in a later bundle, when the forged creation would have been held.
    b.purge_record(&rid).unwrap();
    let r = send(&mut b, "a", &mut a, tmp.path());
    assert_eq!((r.applied, r.refused), (0, 1), "{r:?}");
    let held = a.quarantine().unwrap();
    assert_eq!(held.len(), 2, "{held:?}");
    assert!(
        held.iter().any(|q| q.detail.contains("created once")),
        "{held:?}"
    );
    assert!(held.iter().any(|q| q.detail.contains("purge")), "{held:?}");
    assert_eq!(
        a.search("Kept", 5).unwrap().len(),
        1,
        "the record stays on A"
    );
    assert_eq!(a.search("Taken", 5).unwrap().len(), 0);
    assert_eq!(created_by_a(&a), 1, "A is still its creator");
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
    let (mut a, mut b) = coordinator_and_worker(tmp.path());
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

/// A newer `contact` form that asks for what the attacker wanted.
fn contact_v2(v: &Vault, version: i64) -> String {
    let mut contact = v.form("contact").unwrap();
    contact.version = version;
    let mut extra = contact.fields[0].clone();
    extra.id = "relatives".into();
    extra.label.en = "Full name + phone of relatives still in the North".into();
    contact.fields.push(extra);
    contact.to_json().unwrap()
}

#[test]
fn certificates_and_revocations_travel_in_bundles() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = coordinator_and_worker(tmp.path());
    let (mut c, _) = new_vault(&tmp.path().join("c"));
    befriend(&mut b, "b", &mut c, "c");
    // C enrols after B: B learns of C only through A's next bundle.
    let for_c = approve(&mut a, &c, "Worker C", "field");
    c.enrol_accept(&for_c).unwrap();
    assert_eq!(b.members().unwrap().len(), 2);
    send(&mut a, "b", &mut b, tmp.path());
    let names: Vec<String> = b.members().unwrap().into_iter().map(|m| m.name).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.contains(&"Worker C".to_owned()));
    c.add_record("contact", &text(&[("name", "Before Loss")]), &[])
        .unwrap();
    let r = send(&mut c, "b", &mut b, tmp.path());
    assert_eq!((r.applied, r.refused), (1, 0), "{r:?}");
    // C's laptop is lost: A revokes it; the revocation reaches B by bundle, and
    // what C writes afterwards, relayed by nobody but C itself, is refused there.
    a.member_revoke("Worker C", Some(2)).unwrap();
    send(&mut a, "b", &mut b, tmp.path());
    assert!(
        b.members()
            .unwrap()
            .iter()
            .any(|m| m.name == "Worker C" && m.status == "revoked from op 2")
    );
    c.add_record("contact", &text(&[("name", "After Loss")]), &[])
        .unwrap();
    let r = send(&mut c, "b", &mut b, tmp.path());
    assert_eq!((r.applied, r.refused), (0, 1), "{r:?}");
    assert!(b.search("After", 5).unwrap().is_empty());
    assert_eq!(b.search("Before", 5).unwrap().len(), 1);
}

#[test]
fn a_form_from_anyone_but_a_coordinator_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = coordinator_and_worker(tmp.path());
    let (mut c, _) = new_vault(&tmp.path().join("c"));
    befriend(&mut b, "b", &mut c, "c");
    // A field worker installs no form.
    let v2 = contact_v2(&b, 2);
    assert!(matches!(b.import_form(&v2), Err(ApiError::Membership(_))));
    // Nor an XLSForm, and is told so before any summary.
    let xlsx = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets/forms/examples/screening.xlsx"),
    )
    .unwrap();
    for dry in [true, false] {
        assert!(matches!(
            b.import_xlsform(&xlsx, "screening.xlsx", dry),
            Err(ApiError::Membership(_))
        ));
    }
    // C, outside the organisation, installs one and sends it: B refuses it.
    c.import_form(&contact_v2(&c, 2)).unwrap();
    let r = send(&mut c, "b", &mut b, tmp.path());
    assert_eq!(r.forms_refused, c.forms().unwrap().len(), "{r:?}");
    assert_eq!(b.form("contact").unwrap().version, 1);
    // The coordinator's version is published, reaches B, and B passes it on to
    // another field worker with the coordinator's signature.
    let (mut d, _) = new_vault(&tmp.path().join("d"));
    let for_d = approve(&mut a, &d, "Worker D", "field");
    d.enrol_accept(&for_d).unwrap();
    befriend(&mut b, "b", &mut d, "d");
    a.import_form(&contact_v2(&a, 3)).unwrap();
    let r = send(&mut a, "b", &mut b, tmp.path());
    assert_eq!(r.forms_refused, 0, "{r:?}");
    assert_eq!(b.form("contact").unwrap().version, 3);
    let r = send(&mut b, "d", &mut d, tmp.path());
    assert_eq!(r.forms_refused, 0, "{r:?}");
    assert_eq!(d.form("contact").unwrap().version, 3);
    // Publishing again is for coordinators only.
    assert!(matches!(
        b.publish_form("contact"),
        Err(ApiError::Membership(_))
    ));
    assert_eq!(a.publish_form("contact").unwrap().version, 3);
}

#[test]
fn a_field_worker_receives_in_full_only_what_they_created_or_were_assigned() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    let (mut f, _) = new_vault(&tmp.path().join("f"));
    let (mut g, _) = new_vault(&tmp.path().join("g"));
    a.org_create("Border Aid", "Coordinator", 30).unwrap();
    for (v, name) in [(&mut f, "Worker F"), (&mut g, "Worker G")] {
        let cert = approve(&mut a, v, name, "field");
        v.enrol_accept(&cert).unwrap();
    }
    befriend(&mut a, "a", &mut f, "f");
    befriend(&mut a, "a", &mut g, "g");
    let alpha = a
        .add_record("contact", &text(&[("name", "Alpha Canary")]), &[])
        .unwrap();
    let bravo = a
        .add_record("contact", &text(&[("name", "Bravo Canary")]), &[])
        .unwrap();
    // A bundle for a field worker is made for them alone.
    let out = tmp.path().join("both");
    assert!(matches!(
        a.export_bundle(&["f".to_owned(), "g".to_owned()], &out),
        Err(ApiError::Membership(m)) if m.reason == MemberReason::FieldWorkerExport && m.to_string().contains("on their own")
    ));
    let r = send(&mut a, "f", &mut f, tmp.path());
    assert_eq!(r.applied, 2, "the chain arrives whole: {r:?}");
    assert!(f.search("Canary", 5).unwrap().is_empty());
    assert!(f.record(&alpha, "en").is_err());
    assert!(
        f.history(&bravo, "en")
            .unwrap()
            .iter()
            .all(|h| h.changes.is_empty()),
        "headers only"
    );
    // Assigned, the record comes in full with the next bundle; F edits it.
    let own = f
        .add_record("contact", &text(&[("name", "F's own")]), &[])
        .unwrap();
    assert!(matches!(
        f.assign_record(&own, "Worker G", true),
        Err(ApiError::Membership(m)) if m.reason == MemberReason::CoordinatorOnly && m.to_string().contains("assign")
    ));
    a.assign_record(&alpha, "Worker F", true).unwrap();
    assert_eq!(
        a.record(&alpha, "en").unwrap().assigned,
        vec!["Worker F (field)".to_owned()]
    );
    send(&mut a, "f", &mut f, tmp.path());
    assert_eq!(f.search("Alpha", 5).unwrap().len(), 1);
    assert!(f.search("Bravo", 5).unwrap().is_empty());
    f.edit_record(&alpha, &text(&[("name", "Alpha Canary Seen")]), &[])
        .unwrap();
    let r = send(&mut f, "a", &mut a, tmp.path());
    assert_eq!(
        (r.applied, r.refused),
        (2, 0),
        "F's own record and its edit: {r:?}"
    );
    assert_eq!(a.search("Seen", 5).unwrap().len(), 1);
    // G, not assigned, may not edit Alpha: refused on G and, were it sent, everywhere.
    send(&mut a, "g", &mut g, tmp.path());
    assert!(g.search("Alpha", 5).unwrap().is_empty());
    // Taken back: F may edit no more, and, the coordinator holding it, offloads it.
    f.set_offload_policy(false).unwrap();
    a.assign_record(&alpha, "Worker F", false).unwrap();
    send(&mut a, "f", &mut f, tmp.path());
    assert!(matches!(
        f.edit_record(&alpha, &text(&[("name", "Again")]), &[]),
        Err(ApiError::Membership(_))
    ));
    assert!(f.offload(false).unwrap().erased >= 1);
    assert!(f.search("Alpha", 5).unwrap().is_empty());
}

fn holds(v: &Vault, canary: &[u8]) -> bool {
    v.plaintext_for_tests()
        .windows(canary.len())
        .any(|w| w == canary)
}

#[test]
fn a_field_vault_offloads_what_a_coordinator_acknowledged_and_keeps_its_assignments() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    let (mut f, _) = new_vault(&tmp.path().join("f"));
    a.org_create("Border Aid", "Coordinator", 30).unwrap();
    let cert = approve(&mut a, &f, "Worker F", "field");
    f.enrol_accept(&cert).unwrap();
    befriend(&mut a, "a", &mut f, "f");
    let photo = b"JPEG OffloadCanaryPhoto 7f3a".repeat(50_000); // 1.4 MB: in the pack
    let seen = f
        .add_record(
            "contact",
            &text(&[("name", "OffloadCanaryZeta 은신처 藏身")]),
            &[satchel_api::NewAttachment::in_memory(
                "face.jpg".into(),
                zeroize::Zeroizing::new(photo.clone()),
            )],
        )
        .unwrap();
    let kept = a
        .add_record("contact", &text(&[("name", "AssignedKeeper")]), &[])
        .unwrap();
    a.assign_record(&kept, "Worker F", true).unwrap();
    assert!(
        f.offload_policy().unwrap().enabled,
        "on by default for field"
    );
    // Nothing acknowledged yet: nothing goes.
    let dry = f.offload(true).unwrap();
    assert_eq!((dry.erased, dry.kept_unacknowledged), (0, 1), "{dry:?}");
    assert!(holds(&f, "OffloadCanaryZeta".as_bytes()));
    assert!(holds(&f, b"OffloadCanaryPhoto"));
    // The coordinator imports, and its next bundle acknowledges: F offloads at once.
    send(&mut f, "a", &mut a, tmp.path());
    assert!(!a.offload_policy().unwrap().enabled, "off for coordinators");
    let r = send(&mut a, "f", &mut f, tmp.path());
    assert_eq!(r.offloaded, 1, "{r:?}");
    for canary in [
        "OffloadCanaryZeta".as_bytes(),
        "은신처".as_bytes(),
        "藏身".as_bytes(),
        b"OffloadCanaryPhoto",
        b"face.jpg",
    ] {
        assert!(!holds(&f, canary), "{}", String::from_utf8_lossy(canary));
    }
    assert!(f.record(&seen, "en").is_err());
    assert_eq!(
        f.search("AssignedKeeper", 5).unwrap().len(),
        1,
        "assigned stays"
    );
    assert_eq!(f.offload_policy().unwrap().held, 1);
    // The chains still verify, and the coordinator has everything.
    let report = f.verify().unwrap();
    assert_eq!((report.ops, report.records), (3, 1), "{report:?}");
    assert_eq!(a.search("OffloadCanaryZeta", 5).unwrap().len(), 1);
    let view = a.record(&seen, "en").unwrap();
    let got = a.attachment(&seen, &view.attachments[0].blake3).unwrap();
    assert_eq!(&got[..], &photo[..]);
    // Coordinators refuse to offload; a dry run changes nothing.
    assert!(matches!(a.offload(false), Err(ApiError::Membership(_))));
    let again = f.offload(true).unwrap();
    assert_eq!((again.erased, again.held, again.done), (0, 1, false));
}

/// What a device holds that others must agree on: each record's fields, and which
/// ops count.
fn state(v: &Vault) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .records(&satchel_api::ListFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| {
            let view = v.record(&v.resolve_id(&r.id).unwrap(), "en").unwrap();
            let fields = view
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "{}={:?}",
                        f.id,
                        f.values.iter().map(|x| &x.display).collect::<Vec<_>>()
                    )
                })
                .collect::<Vec<_>>()
                .join(";");
            (r.id, fields)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_revoked_devices_op_relayed_by_a_third_device_is_voided_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    let (mut b, _) = new_vault(&tmp.path().join("b"));
    let (mut c, _) = new_vault(&tmp.path().join("c"));
    a.org_create("Border Aid", "Coordinator", 30).unwrap();
    for (v, name) in [(&mut b, "Coordinator Two"), (&mut c, "Worker C")] {
        let role = if name.starts_with("Coord") {
            "coordinator"
        } else {
            "field"
        };
        let cert = approve(&mut a, v, name, role);
        v.enrol_accept(&cert).unwrap();
    }
    befriend(&mut a, "a", &mut b, "b");
    befriend(&mut b, "b", &mut c, "c");
    send(&mut a, "b", &mut b, tmp.path()); // B learns of C
    c.add_record("contact", &text(&[("name", "Before Seizure")]), &[])
        .unwrap();
    send(&mut c, "b", &mut b, tmp.path());
    send(&mut b, "a", &mut a, tmp.path());
    // C is seized. A revokes it from its second op; B has not heard yet, and takes
    // what the seized device writes next.
    a.member_revoke("Worker C", Some(2)).unwrap();
    c.add_record("contact", &text(&[("name", "After Seizure")]), &[])
        .unwrap();
    let r = send(&mut c, "b", &mut b, tmp.path());
    assert_eq!(r.applied, 1, "{r:?}");
    assert_eq!(b.search("After", 5).unwrap().len(), 1);
    // Relayed by B, A refuses it: into C's chain void, its content set aside.
    let before = state(&a);
    let r = send(&mut b, "a", &mut a, tmp.path());
    assert_eq!((r.applied, r.refused), (0, 1), "{r:?}");
    assert_eq!(state(&a), before, "A's records are as they were");
    // The revocation reaches B, which voids what it had taken.
    send(&mut a, "b", &mut b, tmp.path());
    assert!(b.search("After", 5).unwrap().is_empty());
    let held = b.quarantine().unwrap();
    assert_eq!(held.len(), 1);
    assert!(held[0].detail.contains("revoked"), "{}", held[0].detail);
    assert_eq!(state(&a), state(&b), "A and B agree");
    assert_eq!(a.search("Before", 5).unwrap().len(), 1);
    b.verify().unwrap();
}

#[test]
fn one_refused_edit_does_not_hold_back_a_workers_later_work() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    let (mut f, _) = new_vault(&tmp.path().join("f"));
    let (mut g, _) = new_vault(&tmp.path().join("g"));
    a.org_create("Border Aid", "Coordinator", 30).unwrap();
    // F is certified but runs a build that does not apply the rules to itself.
    let cert = approve(&mut a, &f, "Worker F", "field");
    a.member_import(&cert).unwrap();
    let cert = approve(&mut a, &g, "Worker G", "field");
    g.enrol_accept(&cert).unwrap();
    befriend(&mut a, "a", &mut f, "f");
    befriend(&mut a, "a", &mut g, "g");
    let theirs = a
        .add_record("contact", &text(&[("name", "Coordinator's")]), &[])
        .unwrap();
    // F is assigned the record for a while, then no longer.
    a.assign_record(&theirs, "Worker F", true).unwrap();
    send(&mut a, "f", &mut f, tmp.path());
    a.assign_record(&theirs, "Worker F", false).unwrap();
    // F edits it anyway (refused), then goes on with its own work.
    f.edit_record(&theirs, &text(&[("name", "Edited Without Right")]), &[])
        .unwrap();
    f.add_record("contact", &text(&[("name", "Later Work")]), &[])
        .unwrap();
    let r = send(&mut f, "a", &mut a, tmp.path());
    assert_eq!((r.applied, r.refused, r.quarantined), (1, 1, 0), "{r:?}");
    assert_eq!(a.search("Later", 5).unwrap().len(), 1, "not held back");
    assert!(a.search("Without", 5).unwrap().is_empty());
    assert_eq!(a.quarantine().unwrap()[0].reason, "refused");
    assert_eq!(a.search("Coordinator's", 5).unwrap().len(), 1);
    a.verify().unwrap();
    // Its next bundle passes the void edit on as a header: G's device agrees.
    send(&mut a, "g", &mut g, tmp.path());
    assert_eq!(
        g.search("Later", 5).unwrap().len(),
        0,
        "need to know: F's record is not G's"
    );
    assert!(g.search("Without", 5).unwrap().is_empty());
}

#[test]
fn two_coordinators_who_revoke_and_re_enrol_at_once_converge() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    let (mut b, _) = new_vault(&tmp.path().join("b"));
    let (mut w, _) = new_vault(&tmp.path().join("w"));
    let (mut w2, _) = new_vault(&tmp.path().join("w2"));
    a.org_create("Border Aid", "Ana", 30).unwrap();
    let cert = approve(&mut a, &b, "Bo", "coordinator");
    b.enrol_accept(&cert).unwrap();
    let cert = approve(&mut a, &w, "Worker", "field");
    w.enrol_accept(&cert).unwrap();
    befriend(&mut a, "a", &mut b, "b");
    befriend(&mut a, "a", &mut w, "w");
    befriend(&mut b, "b", &mut w, "w");
    w.add_record("contact", &text(&[("name", "First")]), &[])
        .unwrap();
    w.add_record("contact", &text(&[("name", "Second")]), &[])
        .unwrap();
    send(&mut w, "a", &mut a, tmp.path());
    send(&mut w, "b", &mut b, tmp.path());
    send(&mut a, "b", &mut b, tmp.path());
    // Both hear W's laptop was lost, at once: A revokes it from op 2, B from op 3,
    // and B enrols the worker's new laptop.
    a.member_revoke("Worker", Some(2)).unwrap();
    b.member_revoke("Worker", Some(3)).unwrap();
    let cert = approve(&mut b, &w2, "Worker (new laptop)", "field");
    w2.enrol_accept(&cert).unwrap();
    befriend(&mut b, "b", &mut w2, "w2");
    w2.add_record("contact", &text(&[("name", "From New Laptop")]), &[])
        .unwrap();
    send(&mut w2, "b", &mut b, tmp.path());
    // Each sends to the other, in both orders.
    send(&mut a, "b", &mut b, tmp.path());
    send(&mut b, "a", &mut a, tmp.path());
    send(&mut a, "b", &mut b, tmp.path());
    let members = |v: &Vault| {
        let mut m: Vec<(String, String)> = v
            .members()
            .unwrap()
            .into_iter()
            .map(|m| (m.name, m.status))
            .collect();
        m.sort();
        m
    };
    assert_eq!(members(&a), members(&b));
    assert!(
        members(&a).contains(&("Worker".to_owned(), "revoked from op 2".to_owned())),
        "the earlier point wins: {:?}",
        members(&a)
    );
    assert_eq!(state(&a), state(&b));
    assert!(
        a.search("Second", 5).unwrap().is_empty(),
        "op 2 is void everywhere"
    );
    assert_eq!(a.search("First", 5).unwrap().len(), 1);
    assert_eq!(a.search("New Laptop", 5).unwrap().len(), 1);
}

#[test]
fn records_keep_the_form_version_they_were_made_with() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    let (mut f, _) = new_vault(&tmp.path().join("f"));
    a.org_create("Border Aid", "Coordinator", 30).unwrap();
    let cert = approve(&mut a, &f, "Worker F", "field");
    f.enrol_accept(&cert).unwrap();
    befriend(&mut a, "a", &mut f, "f");
    f.set_offload_policy(false).unwrap();
    let old = f
        .add_record("contact", &text(&[("name", "Made With One")]), &[])
        .unwrap();
    a.import_form(&contact_v2(&a, 2)).unwrap();
    send(&mut a, "f", &mut f, tmp.path());
    assert_eq!(f.form("contact").unwrap().version, 2);
    // The old record shows with version 1: the new field is not among its fields.
    let view = f.record(&old, "en").unwrap();
    assert_eq!(view.form_version, Some(1));
    let new = f
        .add_record(
            "contact",
            &text(&[("name", "Made With Two"), ("relatives", "x")]),
            &[],
        )
        .unwrap();
    let view = f.record(&new, "en").unwrap();
    assert_eq!(view.form_version, Some(2));
    assert!(view.fields.iter().any(|x| x.id == "relatives"));
    // Both reach the coordinator, each with its version; an edit brings the old
    // one to version 2.
    let r = send(&mut f, "a", &mut a, tmp.path());
    assert_eq!((r.applied, r.invalid), (2, 0), "{r:?}");
    assert_eq!(a.record(&old, "en").unwrap().form_version, Some(1));
    assert_eq!(a.record(&new, "en").unwrap().form_version, Some(2));
    f.edit_record(&old, &text(&[("relatives", "y")]), &[])
        .unwrap();
    assert_eq!(f.record(&old, "en").unwrap().form_version, Some(2));
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
