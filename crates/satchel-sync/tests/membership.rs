//! The membership state and the authorisation rules: behaviour, bad inputs, and
//! property tests (any order of the same set gives the same state; the role rules).

use proptest::prelude::*;
use satchel_crypto::identity::DeviceKeys;
use satchel_sync::{
    authz::{self, Action, DenyReason, RecordFacts},
    member::{
        CERT_PREFIX, CertId, Certificate, CertificateDraft, DAY, EnrolmentRequest, MemberError,
        Members, OrgRoot, Refusal, Revocation, Role, VoidRevocation,
    },
    op::DeviceId,
};

pub(crate) const NOW: u64 = 1_790_000_000;

pub(crate) fn keys(n: u8) -> DeviceKeys {
    DeviceKeys::from_secret_bytes(&[n; 64]).unwrap()
}

pub(crate) fn id(k: &DeviceKeys) -> DeviceId {
    DeviceId(k.public().signing)
}

/// An organisation as ADR 0018 recommends: coordinators `a` and `b` certified by the
/// root, field worker `f` enrolled by `a`, auditor `u` by `b`.
pub(crate) struct World {
    pub(crate) root: OrgRoot,
    pub(crate) a: DeviceKeys,
    pub(crate) b: DeviceKeys,
    pub(crate) f: DeviceKeys,
    pub(crate) u: DeviceKeys,
    pub(crate) cert_a: Certificate,
    pub(crate) cert_b: Certificate,
    pub(crate) cert_f: Certificate,
    pub(crate) cert_u: Certificate,
    pub(crate) members: Members,
}

pub(crate) fn enrol(
    members: &Members,
    by: &DeviceKeys,
    who: &DeviceKeys,
    name: &str,
    role: Role,
    serial: u8,
) -> Certificate {
    let request = EnrolmentRequest::create(who, name, [serial; 16]).unwrap();
    members
        .approve(by, &request, role, [serial; 16], NOW, 30)
        .unwrap()
}

pub(crate) fn world() -> World {
    let (a, b, f, u) = (keys(1), keys(2), keys(3), keys(4));
    let (root, cert_a) = OrgRoot::create([9; 64], &a.public(), "Ana", [1; 16], NOW, 365).unwrap();
    let mut members = Members::new(root.org());
    members.insert_certificate(cert_a.clone()).unwrap();
    let cert_b = root
        .issue(&CertificateDraft {
            org: root.org(),
            serial: [2; 16],
            device: b.public(),
            name: "Bo".into(),
            role: Role::Coordinator,
            not_before: NOW,
            not_after: NOW + 365 * DAY,
        })
        .unwrap();
    members.insert_certificate(cert_b.clone()).unwrap();
    let cert_f = enrol(&members, &a, &f, "Fatima", Role::Field, 3);
    members.insert_certificate(cert_f.clone()).unwrap();
    let cert_u = enrol(&members, &b, &u, "Uri", Role::Auditor, 4);
    members.insert_certificate(cert_u.clone()).unwrap();
    World {
        root,
        a,
        b,
        f,
        u,
        cert_a,
        cert_b,
        cert_f,
        cert_u,
        members,
    }
}

#[test]
fn members_are_heard_in_their_role_and_strangers_are_not() {
    let w = world();
    let m = &w.members;
    assert_eq!(m.check(id(&w.a), 1, NOW), Ok(Role::Coordinator));
    assert_eq!(m.check(id(&w.b), 1, NOW), Ok(Role::Coordinator));
    assert_eq!(m.check(id(&w.f), 7, NOW), Ok(Role::Field));
    assert_eq!(m.check(id(&w.u), 1, NOW), Ok(Role::Auditor));
    assert_eq!(m.check(id(&keys(50)), 1, NOW), Err(Refusal::UnknownAuthor));
    assert_eq!(m.list(NOW).len(), 4);
    assert_eq!(m.list(NOW)[0].certificate.name(), "Ana");
}

#[test]
fn validity_is_judged_at_the_time_given() {
    let w = world();
    let m = &w.members;
    let end = NOW + 30 * DAY;
    assert_eq!(m.check(id(&w.f), 1, end - 1), Ok(Role::Field));
    assert_eq!(
        m.check(id(&w.f), 1, end),
        Err(Refusal::Expired { not_after: end })
    );
    assert_eq!(
        m.check(id(&w.f), 1, NOW - 1),
        Err(Refusal::NotYetValid { not_before: NOW })
    );
}

#[test]
fn an_expired_issuer_makes_the_certificates_it_issued_invalid() {
    let w = world();
    // u's certificate (30 days) expires; a renewal by a (60 days) brings u back. A
    // coordinator certified for 30 days takes what it issued down when it expires.
    let later = NOW + 30 * DAY;
    let mut m = w.members.clone();
    let renewed_u = m
        .issue(
            &w.a,
            &CertificateDraft {
                org: m.org(),
                serial: [40; 16],
                device: w.u.public(),
                name: "Uri".into(),
                role: Role::Auditor,
                not_before: NOW,
                not_after: NOW + 60 * DAY,
            },
            NOW,
        )
        .unwrap();
    assert_eq!(
        m.check(id(&w.u), 1, later),
        Err(Refusal::Expired { not_after: later })
    );
    m.insert_certificate(renewed_u).unwrap();
    assert_eq!(m.check(id(&w.u), 1, later), Ok(Role::Auditor));
    let short = enrol(&w.members, &w.a, &keys(61), "Sun", Role::Coordinator, 61);
    let mut with_short = w.members.clone();
    with_short.insert_certificate(short.clone()).unwrap();
    let only_b = Members::from_parts(
        m.org(),
        [w.cert_a.clone(), short, {
            with_short
                .issue(
                    &keys(61),
                    &CertificateDraft {
                        org: m.org(),
                        serial: [41; 16],
                        device: keys(60).public(),
                        name: "Lee".into(),
                        role: Role::Field,
                        not_before: NOW,
                        not_after: NOW + 90 * DAY,
                    },
                    NOW,
                )
                .unwrap()
        }],
        [],
    )
    .unwrap();
    assert_eq!(only_b.check(id(&keys(60)), 1, NOW), Ok(Role::Field));
    assert_eq!(
        only_b.check(id(&keys(60)), 1, later),
        Err(Refusal::BadIssuer)
    );
}

#[test]
fn a_certificate_signed_by_a_field_worker_is_not_honoured_and_cannot_be_made_through_members() {
    let w = world();
    let stranger = keys(70);
    let request = EnrolmentRequest::create(&stranger, "Mallory", [7; 16]).unwrap();
    assert_eq!(
        w.members
            .approve(&w.f, &request, Role::Coordinator, [7; 16], NOW, 30)
            .unwrap_err(),
        MemberError::IssuerNotCoordinator
    );
    // Signed by hand (the field worker's key is a valid Ed25519 key): the signature
    // verifies, the issuer does not lead to the root.
    let forged = forge_cert(&w.f, &w.members, &stranger, Role::Coordinator);
    let mut m = w.members.clone();
    m.insert_certificate(forged).unwrap();
    assert_eq!(m.check(id(&stranger), 1, NOW), Err(Refusal::BadIssuer));
}

/// A certificate signed by `by` without asking whether `by` may: `by`'s key used as
/// if it were a root, naming the real organisation.
pub(crate) fn forge_cert(
    by: &DeviceKeys,
    real: &Members,
    who: &DeviceKeys,
    role: Role,
) -> Certificate {
    let by_root = OrgRoot::from_secret_bytes(&by.to_secret_bytes()).unwrap();
    by_root
        .issue(&CertificateDraft {
            org: real.org(),
            serial: [0xEF; 16],
            device: who.public(),
            name: "Mallory".into(),
            role,
            not_before: NOW,
            not_after: NOW + 30 * DAY,
        })
        .unwrap()
}

#[test]
fn a_forged_certificate_does_not_parse() {
    let w = world();
    let mut bytes = w.cert_f.write();
    let n = bytes.len();
    bytes[n - 70] ^= 1; // the issuer's last byte
    assert_eq!(
        Certificate::read(&bytes).unwrap_err(),
        MemberError::BadSignature
    );
    let mut bytes = w.cert_f.write();
    bytes[60] ^= 1; // inside the device key
    assert_eq!(
        Certificate::read(&bytes).unwrap_err(),
        MemberError::BadSignature
    );
}

#[test]
fn a_revoked_device_is_heard_before_its_revocation_point_and_refused_after() {
    let w = world();
    let mut m = w.members.clone();
    let rev = m.revoke(&w.b, w.cert_f.id(), 5, NOW).unwrap();
    m.insert_revocation(rev.clone()).unwrap();
    assert_eq!(m.check(id(&w.f), 4, NOW), Ok(Role::Field));
    assert_eq!(
        m.check(id(&w.f), 5, NOW),
        Err(Refusal::Revoked { from_seq: 5 })
    );
    assert_eq!(
        m.check(id(&w.f), 500, NOW),
        Err(Refusal::Revoked { from_seq: 5 })
    );
    assert_eq!(m.revocation_effect(&rev.id()), Some(Ok(5)));
    // A renewal does not bring a revoked device back: its keys may be in other hands.
    // Members refuses to make one; one made anyway does not count.
    let draft = CertificateDraft {
        org: m.org(),
        serial: [80; 16],
        device: w.f.public(),
        name: "Fatima".into(),
        role: Role::Field,
        not_before: NOW + 1,
        not_after: NOW + 90 * DAY,
    };
    assert_eq!(
        m.issue(&w.a, &draft, NOW).unwrap_err(),
        MemberError::DeviceRevoked
    );
    let renewal = w.members.issue(&w.a, &draft, NOW).unwrap();
    m.insert_certificate(renewal).unwrap();
    assert_eq!(
        m.check(id(&w.f), 6, NOW + 2),
        Err(Refusal::Revoked { from_seq: 5 })
    );
    // A later revocation with an earlier point lowers it.
    let earlier = m.revoke(&w.a, w.cert_f.id(), 2, NOW + 3).unwrap();
    m.insert_revocation(earlier).unwrap();
    assert_eq!(m.revoked_from(&id(&w.f)), Some(2));
}

#[test]
fn revoking_a_coordinator_voids_what_it_issued_and_what_it_revokes_later() {
    let w = world();
    let mut m = w.members.clone();
    // b issued u's certificate.
    let rev = m.revoke(&w.a, w.cert_b.id(), 1, NOW).unwrap();
    m.insert_revocation(rev).unwrap();
    assert_eq!(m.check(id(&w.u), 1, NOW), Err(Refusal::BadIssuer));
    let orphans: Vec<_> = m.issued_by(id(&w.b)).map(Certificate::id).collect();
    assert_eq!(orphans, [w.cert_u.id()]);
    // Renewed by a, the auditor is back.
    let cert_u = m.certificate(&w.cert_u.id()).unwrap().clone();
    let renewal = m
        .issue(
            &w.a,
            &CertificateDraft {
                org: m.org(),
                serial: [42; 16],
                device: *cert_u.device(),
                name: cert_u.name().into(),
                role: cert_u.role(),
                not_before: NOW,
                not_after: cert_u.not_after(),
            },
            NOW,
        )
        .unwrap();
    m.insert_certificate(renewal).unwrap();
    assert_eq!(m.check(id(&w.u), 1, NOW), Ok(Role::Auditor));
    assert_eq!(
        m.revoke(&w.b, w.cert_f.id(), 1, NOW).unwrap_err(),
        MemberError::IssuerNotCoordinator
    );
}

#[test]
fn the_last_coordinator_cannot_be_revoked() {
    let w = world();
    let mut m = w.members.clone();
    let rev_b = m.revoke(&w.a, w.cert_b.id(), 1, NOW).unwrap();
    m.insert_revocation(rev_b).unwrap();
    assert_eq!(
        m.revoke(&w.a, w.cert_a.id(), 1, NOW).unwrap_err(),
        MemberError::LastCoordinator
    );
    // The root's revocations are settled first: revoking a would void a's
    // revocation of b, so it is allowed and b comes back.
    let by_root = w.root.revoke(&m, w.cert_a.id(), 1, NOW).unwrap();
    m.insert_revocation(by_root).unwrap();
    assert_eq!(m.check(id(&w.b), 1, NOW), Ok(Role::Coordinator));
    assert_eq!(
        m.check(id(&w.a), 1, NOW),
        Err(Refusal::Revoked { from_seq: 1 })
    );
    // With a alone, neither a nor the root may revoke a.
    let alone = Members::from_parts(m.org(), [w.cert_a.clone(), w.cert_f.clone()], []).unwrap();
    assert_eq!(
        alone.revoke(&w.a, w.cert_a.id(), 1, NOW).unwrap_err(),
        MemberError::LastCoordinator
    );
    assert_eq!(
        w.root.revoke(&alone, w.cert_a.id(), 1, NOW).unwrap_err(),
        MemberError::LastCoordinator
    );
    // Two coordinators revoking each other at once: one revocation wins, the other
    // is void (its issuer is gone), and a coordinator remains.
    let m0 = w.members.clone();
    let a_revokes_b = m0.revoke(&w.a, w.cert_b.id(), 1, NOW).unwrap();
    let b_revokes_a = m0.revoke(&w.b, w.cert_a.id(), 1, NOW).unwrap();
    let both = Members::from_parts(
        m0.org(),
        m0.certificates().cloned(),
        [a_revokes_b.clone(), b_revokes_a.clone()],
    )
    .unwrap();
    let effects = [
        both.revocation_effect(&a_revokes_b.id()).unwrap(),
        both.revocation_effect(&b_revokes_a.id()).unwrap(),
    ];
    assert_eq!(effects.iter().filter(|e| e.is_ok()).count(), 1);
    assert!(effects.contains(&Err(VoidRevocation::IssuerNotCoordinator)));
    let coordinators = [id(&w.a), id(&w.b)]
        .iter()
        .filter(|d| both.check(**d, 1, NOW) == Ok(Role::Coordinator))
        .count();
    assert_eq!(coordinators, 1);
}

#[test]
fn the_root_can_revoke_a_rogue_coordinator_and_wins_over_it() {
    let w = world();
    let m0 = w.members.clone();
    // b (seized) revokes a; the root revokes b. The root's revocation is settled
    // first, so b's is void whatever the clocks say.
    let b_unchecked = OrgRoot::from_secret_bytes(&w.b.to_secret_bytes()).unwrap();
    let rogue = b_unchecked.revoke(&m0, w.cert_a.id(), 1, 0).unwrap();
    assert_eq!(rogue.issued_at(), 0);
    let by_root = w.root.revoke(&m0, w.cert_b.id(), 1, NOW + 100).unwrap();
    let m = Members::from_parts(
        m0.org(),
        m0.certificates().cloned(),
        [rogue.clone(), by_root],
    )
    .unwrap();
    assert_eq!(
        m.revocation_effect(&rogue.id()),
        Some(Err(VoidRevocation::IssuerNotCoordinator))
    );
    assert_eq!(m.check(id(&w.a), 1, NOW), Ok(Role::Coordinator));
}

#[test]
fn a_revocation_waits_for_its_certificate() {
    let w = world();
    let rev = w.members.revoke(&w.a, w.cert_f.id(), 3, NOW).unwrap();
    let mut m = Members::new(w.members.org());
    m.insert_revocation(rev.clone()).unwrap();
    assert_eq!(
        m.revocation_effect(&rev.id()),
        Some(Err(VoidRevocation::UnknownTarget))
    );
    for c in w.members.certificates() {
        m.insert_certificate(c.clone()).unwrap();
    }
    assert_eq!(m.revocation_effect(&rev.id()), Some(Ok(3)));
    assert_eq!(
        m.check(id(&w.f), 3, NOW),
        Err(Refusal::Revoked { from_seq: 3 })
    );
}

#[test]
fn objects_of_another_organisation_are_refused() {
    let w = world();
    let (_, other) = OrgRoot::create([8; 64], &w.a.public(), "Ana", [1; 16], NOW, 1).unwrap();
    let mut m = w.members.clone();
    assert_eq!(
        m.insert_certificate(other).unwrap_err(),
        MemberError::WrongOrganisation
    );
}

#[test]
fn a_newer_certificate_decides_the_role() {
    let w = world();
    let mut m = w.members.clone();
    let promoted = m
        .issue(
            &w.a,
            &CertificateDraft {
                org: m.org(),
                serial: [90; 16],
                device: w.f.public(),
                name: "Fatima".into(),
                role: Role::Coordinator,
                not_before: NOW + 10,
                not_after: NOW + 20 * DAY,
            },
            NOW,
        )
        .unwrap();
    m.insert_certificate(promoted).unwrap();
    assert_eq!(m.check(id(&w.f), 1, NOW + 5), Ok(Role::Field));
    assert_eq!(m.check(id(&w.f), 1, NOW + 10), Ok(Role::Coordinator));
}

#[test]
fn text_forms_round_trip_forgive_case_and_spaces_and_catch_typos() {
    let w = world();
    let text = w.cert_f.to_text();
    assert!(text.starts_with(CERT_PREFIX));
    assert!(
        text.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'),
        "QR alphanumeric alphabet only"
    );
    assert_eq!(w.cert_f.qr_bytes(), text.as_bytes());
    assert_eq!(Certificate::from_text(&text).unwrap(), w.cert_f);
    let sloppy: String = text
        .to_lowercase()
        .as_bytes()
        .chunks(20)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n ");
    assert_eq!(Certificate::from_text(&sloppy).unwrap(), w.cert_f);
    // One character changed: the checksum catches it before any parsing.
    let mut typo = text.clone().into_bytes();
    let at = CERT_PREFIX.len() + 30;
    typo[at] = if typo[at] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        Certificate::from_text(std::str::from_utf8(&typo).unwrap()).unwrap_err(),
        MemberError::BadText("certificate")
    );
    // A request's text is not a certificate, even with the prefix swapped.
    let request = EnrolmentRequest::create(&w.f, "Fatima", [1; 16]).unwrap();
    let swapped = request.to_text().replacen("SATCHEL-ENROL-", CERT_PREFIX, 1);
    assert!(Certificate::from_text(&swapped).is_err());
    assert_eq!(
        EnrolmentRequest::from_text(&request.to_text()).unwrap(),
        request
    );
    let rev = w.members.revoke(&w.a, w.cert_f.id(), 1, NOW).unwrap();
    assert_eq!(Revocation::from_text(&rev.to_text()).unwrap(), rev);
    assert!(Certificate::from_text(&"A".repeat(5000)).is_err());
    // The longest certificate (a 64-byte name) as docs/membership-format.md says.
    let longest = w
        .members
        .issue(
            &w.a,
            &CertificateDraft {
                org: w.members.org(),
                serial: [1; 16],
                device: keys(8).public(),
                name: "k".repeat(64),
                role: Role::Field,
                not_before: NOW,
                not_after: NOW + DAY,
            },
            NOW,
        )
        .unwrap();
    assert_eq!(longest.write().len(), Certificate::MAX_LEN);
    assert_eq!(Certificate::MAX_LEN, 291);
    assert_eq!(longest.to_text().len(), 485);
    assert_eq!(rev.write().len(), Revocation::LEN);
    assert_eq!(Revocation::LEN, 177);
    assert_eq!(EnrolmentRequest::MAX_LEN, 210);
}

#[test]
fn names_are_bounded_and_clean() {
    let k = keys(5);
    for bad in ["", " Kim", "Kim ", "Kim\nLee", &"가".repeat(22)] {
        assert_eq!(
            EnrolmentRequest::create(&k, bad, [0; 16]).unwrap_err(),
            MemberError::BadName,
            "{bad:?}"
        );
    }
    assert!(EnrolmentRequest::create(&k, &"가".repeat(21), [0; 16]).is_ok());
    assert!(EnrolmentRequest::create(&k, "김철수 (Yanji)", [0; 16]).is_ok());
}

#[test]
fn validity_must_be_a_real_period() {
    let w = world();
    let draft = |nb, na| CertificateDraft {
        org: w.members.org(),
        serial: [1; 16],
        device: keys(6).public(),
        name: "Kim".into(),
        role: Role::Field,
        not_before: nb,
        not_after: na,
    };
    for (nb, na) in [(NOW, NOW), (NOW, NOW - 1), (NOW, NOW + 4000 * DAY)] {
        assert_eq!(
            w.members.issue(&w.a, &draft(nb, na), NOW).unwrap_err(),
            MemberError::BadValidity
        );
    }
}

// ------------------------------------------------------------------------------
// Property tests

/// A pool of objects from several coordinators: certificates (some forged by a field
/// worker, some renewals, some expired) and revocations, including mutual ones and
/// ones of the last coordinator.
fn pool() -> (Members, Vec<Certificate>, Vec<Revocation>) {
    let w = world();
    let m = &w.members;
    let c = keys(30);
    let d = keys(31);
    let mut certs: Vec<Certificate> = m.certificates().cloned().collect();
    certs.push(enrol(m, &w.b, &c, "Chen", Role::Field, 30));
    certs.push(enrol(m, &w.a, &d, "Dae", Role::Coordinator, 31));
    certs.push(forge_cert(&w.f, m, &keys(32), Role::Coordinator));
    certs.push(
        m.issue(
            &w.a,
            &CertificateDraft {
                org: m.org(),
                serial: [33; 16],
                device: w.f.public(),
                name: "Fatima".into(),
                role: Role::Field,
                not_before: NOW - 100 * DAY,
                not_after: NOW - 10 * DAY,
            },
            NOW,
        )
        .unwrap(),
    );
    let full = Members::from_parts(m.org(), certs.clone(), []).unwrap();
    let dae_cert = certs[5].id();
    let chen_cert = certs[4].id();
    let revs = vec![
        full.revoke(&w.a, w.cert_b.id(), 1, NOW).unwrap(),
        full.revoke(&w.b, w.cert_a.id(), 1, NOW).unwrap(),
        full.revoke(&w.b, w.cert_f.id(), 3, NOW + 1).unwrap(),
        full.revoke(&w.a, w.cert_f.id(), 9, NOW + 2).unwrap(),
        full.revoke(&d, chen_cert, 2, NOW).unwrap(),
        full.revoke(&d, w.cert_a.id(), 1, NOW + 5).unwrap(),
        full.revoke(&w.a, dae_cert, 1, NOW + 7).unwrap(),
        w.root.revoke(&full, w.cert_u.id(), 4, NOW + 3).unwrap(),
    ];
    (full, certs, revs)
}

fn full_cert_a(full: &Members) -> CertId {
    full.certificates()
        .find(|c| c.issuer().0 == full.org().0)
        .unwrap()
        .id()
}

fn state(org: &Members, certs: &[Certificate], revs: &[Revocation]) -> Members {
    Members::from_parts(org.org(), certs.iter().cloned(), revs.iter().cloned()).unwrap()
}

#[derive(Clone)]
enum Item {
    Cert(Certificate),
    Rev(Revocation),
}

/// Inserts one by one, certificates and revocations interleaved by `picks`.
fn incremental(org: &Members, items: &[Item]) -> Members {
    let mut m = Members::new(org.org());
    for item in items {
        match item {
            Item::Cert(c) => m.insert_certificate(c.clone()).unwrap(),
            Item::Rev(r) => m.insert_revocation(r.clone()).unwrap(),
        };
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any order and any subset delivered twice: the same set gives the same state,
    /// the same answers, and at least one coordinator whenever one had a chain.
    #[test]
    fn members_do_not_depend_on_arrival_order(
        keep in proptest::collection::vec(any::<bool>(), 16),
        order in Just((0..16usize).collect::<Vec<_>>()).prop_shuffle(),
        order2 in Just((0..16usize).collect::<Vec<_>>()).prop_shuffle(),
        dup in 0..16usize,
    ) {
        let (full, certs, revs) = pool();
        let items: Vec<Item> =
            certs.iter().cloned().map(Item::Cert).chain(revs.iter().cloned().map(Item::Rev)).collect();
        prop_assert_eq!(items.len(), 16);
        let chosen = |ord: &[usize]| -> Vec<Item> {
            ord.iter().filter(|i| keep[**i]).map(|i| items[*i].clone()).collect()
        };
        let one = incremental(&full, &chosen(&order));
        let mut twice = chosen(&order2);
        twice.push(items[dup].clone());
        if keep[dup] {
            // A redelivery of something already in the set.
            let two = incremental(&full, &twice);
            prop_assert_eq!(&one, &two);
        }
        let batch_certs: Vec<Certificate> =
            certs.iter().enumerate().filter(|(i, _)| keep[*i]).map(|(_, c)| c.clone()).collect();
        let batch_revs: Vec<Revocation> = revs
            .iter()
            .enumerate()
            .filter(|(i, _)| keep[certs.len() + *i])
            .map(|(_, r)| r.clone())
            .collect();
        let batch = state(&full, &batch_certs, &batch_revs);
        prop_assert_eq!(&one, &batch);
        for n in [1u8, 2, 3, 4, 30, 31, 32] {
            for at in [NOW - 20 * DAY, NOW, NOW + 40 * DAY] {
                for seq in [1u64, 3, 5, 10] {
                    let d = id(&keys(n));
                    prop_assert_eq!(one.check(d, seq, at), batch.check(d, seq, at));
                }
            }
        }
        // Whenever the root's certificate for a is in the set, revocations leave a
        // coordinator (a, b or d; all their certificates are valid at NOW).
        if batch_certs.iter().any(|c| c.id() == full_cert_a(&full)) {
            let left = [1u8, 2, 31]
                .iter()
                .filter(|n| batch.check(id(&keys(**n)), u64::MAX, NOW) == Ok(Role::Coordinator))
                .count();
            prop_assert!(left >= 1, "no coordinator left");
        }
    }

    /// Two coordinators, one revoking a worker while the other re-enrols (renews)
    /// them: every delivery order gives the same state, and the worker stays revoked.
    #[test]
    fn concurrent_revoke_and_re_enrol_converge(order in Just((0..3usize).collect::<Vec<_>>()).prop_shuffle()) {
        let w = world();
        let m = &w.members;
        let revoke = m.revoke(&w.a, w.cert_f.id(), 4, NOW).unwrap();
        let renew = m.issue(&w.b, &CertificateDraft {
            org: m.org(),
            serial: [77; 16],
            device: w.f.public(),
            name: "Fatima".into(),
            role: Role::Field,
            not_before: NOW,
            not_after: NOW + 60 * DAY,
        }, NOW).unwrap();
        let re_enrol_new_keys = enrol(m, &w.b, &keys(78), "Fatima", Role::Field, 78);
        let items = [Item::Cert(renew), Item::Rev(revoke), Item::Cert(re_enrol_new_keys)];
        let mut a_side = m.clone();
        let mut b_side = m.clone();
        for i in &order {
            match &items[*i] {
                Item::Cert(c) => { a_side.insert_certificate(c.clone()).unwrap(); }
                Item::Rev(r) => { a_side.insert_revocation(r.clone()).unwrap(); }
            }
        }
        for item in items.iter().rev() {
            match item {
                Item::Cert(c) => { b_side.insert_certificate(c.clone()).unwrap(); }
                Item::Rev(r) => { b_side.insert_revocation(r.clone()).unwrap(); }
            }
        }
        prop_assert_eq!(&a_side, &b_side);
        prop_assert_eq!(a_side.check(id(&w.f), 4, NOW + 40 * DAY), Err(Refusal::Revoked { from_seq: 4 }));
        prop_assert_eq!(a_side.check(id(&w.f), 3, NOW + 40 * DAY), Ok(Role::Field));
        prop_assert_eq!(a_side.check(id(&keys(78)), 1, NOW), Ok(Role::Field));
    }
}

// ------------------------------------------------------------------------------
// Authorisation

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![
        Just(Role::Field),
        Just(Role::Coordinator),
        Just(Role::Auditor)
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::Create),
        Just(Action::Write),
        Just(Action::Delete),
        Just(Action::Purge),
        Just(Action::PublishForm),
        Just(Action::ChangeMembership),
        Just(Action::Assign),
    ]
}

fn device() -> impl Strategy<Value = DeviceId> {
    (0u8..4).prop_map(|n| DeviceId([n; 32]))
}

/// The rules written out a second, naive way.
fn model(
    role: Role,
    author: DeviceId,
    action: Action,
    record: Option<(DeviceId, &[DeviceId])>,
) -> bool {
    let created = record.is_some_and(|(c, _)| c == author);
    let assigned = record.is_some_and(|(_, a)| a.contains(&author));
    // A record held is created again by no one but its creator, whatever their role.
    let recreated = action == Action::Create && record.is_some() && !created;
    match role {
        Role::Coordinator => !recreated,
        Role::Auditor => false,
        Role::Field => match action {
            Action::Create => !recreated,
            Action::Write => record.is_none() || created || assigned,
            Action::Delete => created || assigned,
            Action::Purge => created,
            Action::PublishForm | Action::ChangeMembership | Action::Assign => false,
        },
    }
}

proptest! {
    #[test]
    fn authorisation_follows_the_rules(
        role in role(),
        author in device(),
        action in action(),
        exists in any::<bool>(),
        creator in device(),
        assigned in proptest::collection::vec(device(), 0..3),
    ) {
        let facts = RecordFacts { created_by: creator, assigned_to: &assigned };
        let got = authz::authorise(role, author, action, exists.then_some(&facts));
        let want = model(role, author, action, exists.then_some((creator, assigned.as_slice())));
        prop_assert_eq!(got.is_ok(), want, "{:?}", got);
        if let Err(denied) = got {
            prop_assert_eq!(denied.role, role);
            prop_assert_eq!(denied.action, action);
            prop_assert!(!denied.reason.reason().is_empty());
        }
    }

    #[test]
    fn a_field_worker_never_purges_what_they_did_not_create(
        author in device(),
        creator in device(),
        assigned in proptest::collection::vec(device(), 0..3),
    ) {
        prop_assume!(author != creator);
        let facts = RecordFacts { created_by: creator, assigned_to: &assigned };
        let denied = authz::authorise(Role::Field, author, Action::Purge, Some(&facts)).unwrap_err();
        prop_assert_eq!(denied.reason, DenyReason::PurgeNotCreator);
    }

    #[test]
    fn no_one_creates_again_a_record_someone_else_created(
        role in prop_oneof![Just(Role::Coordinator), Just(Role::Field)],
        author in device(),
        creator in device(),
        assigned in proptest::collection::vec(device(), 0..3),
    ) {
        prop_assume!(author != creator);
        let facts = RecordFacts { created_by: creator, assigned_to: &assigned };
        let denied = authz::authorise(role, author, Action::Create, Some(&facts)).unwrap_err();
        prop_assert_eq!(denied.reason, DenyReason::RecordExists);
        prop_assert!(authz::authorise(role, creator, Action::Create, Some(&facts)).is_ok());
        prop_assert!(authz::authorise(role, author, Action::Create, None).is_ok());
    }

    #[test]
    fn a_coordinator_is_refused_only_a_second_creation_and_an_auditor_always(
        author in device(),
        action in action(),
        exists in any::<bool>(),
        creator in device(),
    ) {
        prop_assume!(!(action == Action::Create && exists && author != creator));
        let facts = RecordFacts { created_by: creator, assigned_to: &[] };
        prop_assert!(authz::authorise(Role::Coordinator, author, action, exists.then_some(&facts)).is_ok());
        prop_assert_eq!(
            authz::authorise(Role::Auditor, author, action, exists.then_some(&facts)).unwrap_err().reason,
            DenyReason::AuditorWritesNothing
        );
    }
}

#[test]
fn an_op_is_checked_for_its_author_then_its_role() {
    use satchel_sync::{
        authz::OpRefused,
        hlc::Hlc,
        op::{Body, Draft, Op, OpKind, RecordId},
        vv::VersionVector,
    };
    let w = world();
    let mut m = w.members.clone();
    let rev = m.revoke(&w.a, w.cert_f.id(), 3, NOW).unwrap();
    m.insert_revocation(rev).unwrap();
    let op = |k: &DeviceKeys, seq: u64, kind: OpKind| {
        let body = match kind {
            OpKind::Write => Body::Write(satchel_sync::op::WriteBody::new("contact")),
            _ => Body::Empty,
        };
        Op::create(
            k,
            Draft {
                seq,
                prev: (seq > 1).then_some(satchel_sync::op::OpId([1; 32])),
                hlc: Hlc::default(),
                record: RecordId([7; 16]),
                kind,
                context: VersionVector::default(),
            },
            &body,
        )
        .unwrap()
        .header
    };
    let at = m.at(NOW);
    let theirs = RecordFacts {
        created_by: id(&w.a),
        assigned_to: &[],
    };
    assert_eq!(
        authz::check_op(&at, &op(&w.f, 2, OpKind::Write), None),
        Ok(Role::Field)
    );
    assert_eq!(
        authz::check_op(&at, &op(&w.f, 2, OpKind::Purge), Some(&theirs)),
        Err(OpRefused::Role(authz::Denied {
            role: Role::Field,
            action: Action::Purge,
            reason: DenyReason::PurgeNotCreator
        }))
    );
    // After its revocation point the author is refused before its role is asked.
    assert_eq!(
        authz::check_op(&at, &op(&w.f, 3, OpKind::Write), None),
        Err(OpRefused::Author(Refusal::Revoked { from_seq: 3 }))
    );
    assert_eq!(
        authz::check_op(&at, &op(&w.u, 1, OpKind::Write), None)
            .unwrap_err()
            .to_string(),
        "create refused for the auditor role: auditors write nothing"
    );
    assert_eq!(
        authz::check_op(&at, &op(&w.b, 9, OpKind::Purge), Some(&theirs)),
        Ok(Role::Coordinator)
    );
}

#[test]
fn refusals_name_the_rule() {
    let me = DeviceId([1; 32]);
    let denied = authz::authorise(Role::Field, me, Action::PublishForm, None).unwrap_err();
    assert_eq!(
        denied.to_string(),
        "publish_form refused for the field role: only coordinators publish forms, change \
         membership or assign records"
    );
    let assigned = [me];
    let facts = RecordFacts {
        created_by: DeviceId([2; 32]),
        assigned_to: &assigned,
    };
    assert!(authz::authorise(Role::Field, me, Action::Write, Some(&facts)).is_ok());
    assert!(authz::authorise(Role::Field, me, Action::Delete, Some(&facts)).is_ok());
    assert_eq!(
        authz::authorise(Role::Field, me, Action::Purge, Some(&facts))
            .unwrap_err()
            .reason,
        DenyReason::PurgeNotCreator
    );
}

#[test]
fn the_creator_is_the_author_of_the_earliest_creation_not_of_the_earliest_op() {
    use satchel_sync::{
        hlc::Hlc,
        op::{Body, Draft, Op, OpKind, RecordId},
        vv::VersionVector,
    };
    let (a, f) = (keys(1), keys(3));
    let op = |k: &DeviceKeys, wall_ms: u64, context: VersionVector| {
        Op::create(
            k,
            Draft {
                seq: 1,
                prev: None,
                hlc: Hlc {
                    wall_ms,
                    counter: 0,
                },
                record: RecordId([7; 16]),
                kind: OpKind::Write,
                context,
            },
            &Body::Write(satchel_sync::op::WriteBody::new("contact")),
        )
        .unwrap()
        .header
    };
    let seen = |n: u64| VersionVector([(id(&a), n)].into_iter().collect());
    let created = op(&a, 2_000, VersionVector::default());
    // F's edit, dated before the creation: it saw the creation, so it creates nothing.
    let back_dated_edit = op(&f, 1_000, seen(1));
    assert!(authz::creates(&created) && !authz::creates(&back_dated_edit));
    assert_eq!(authz::creator([&back_dated_edit, &created]), Some(id(&a)));
    // A context that names an author at 0 has seen nothing: it is a creation.
    let claims_nothing = op(&f, 1_000, seen(0));
    assert!(authz::creates(&claims_nothing));
    assert_eq!(authz::creator([&created, &claims_nothing]), Some(id(&f)));
    assert_eq!(authz::creator([&back_dated_edit]), None);
}
