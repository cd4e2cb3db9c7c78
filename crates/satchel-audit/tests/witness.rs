//! The logs in sync: a recipient checks that a sender's log only grew since the
//! checkpoint it kept, then cosigns; the sender takes the cosignature back.

use satchel_audit::witness::{
    DeviceLogKey, LogRefusal, check_sender_log, check_sender_log_by_leaves, cosigned,
    merge_cosignature, witness_of,
};
use satchel_audit::{Checkpoint, Hash, Log, Note};
use satchel_crypto::identity::DeviceKeys;

fn device(seed: u8) -> DeviceKeys {
    DeviceKeys::from_secret_bytes(&[seed; 64]).unwrap()
}

fn leaves(n: u8, salt: u8) -> Vec<Hash> {
    (0..n).map(|i| [i ^ salt; 32]).collect()
}

/// The device's signed checkpoint of the first `n` of `leaves`.
fn note(keys: &DeviceKeys, leaves: &[Hash]) -> Vec<u8> {
    let log = Log::from_leaves(leaves.iter().copied());
    let origin = satchel_audit::device_origin(&keys.public().signing);
    Checkpoint::new(&origin, log.size(), log.root())
        .sign(&DeviceLogKey::log(keys))
        .unwrap()
        .to_bytes()
}

fn proof(leaves: &[Hash], from: u64) -> (u64, Vec<Hash>) {
    let log = Log::from_leaves(leaves.iter().copied());
    (from, log.prove_consistency(from).unwrap())
}

#[test]
fn a_log_that_grew_is_accepted_with_a_proof_from_the_size_kept() {
    let a = device(1);
    let key = a.public().signing;
    let all = leaves(9, 0);
    let kept = note(&a, &all[..4]);
    let sent = note(&a, &all);
    // First sight: nothing to compare with.
    let (cp, _) = check_sender_log(&key, None, &sent, &[]).unwrap();
    assert_eq!(cp.size, 9);
    // Proofs from other sizes do not count; the one from 4 does.
    let others = [proof(&all, 2), proof(&all, 6)];
    assert_eq!(
        check_sender_log(&key, Some(&kept), &sent, &others).unwrap_err(),
        LogRefusal::Unproven { kept: 4 }
    );
    let with = [proof(&all, 2), proof(&all, 4)];
    assert_eq!(
        check_sender_log(&key, Some(&kept), &sent, &with)
            .unwrap()
            .0
            .size,
        9
    );
    // The same checkpoint again: no proof needed.
    assert!(check_sender_log(&key, Some(&sent), &sent, &[]).is_ok());
}

#[test]
fn a_rewound_or_rewritten_log_is_refused_with_its_reason() {
    let a = device(1);
    let key = a.public().signing;
    let all = leaves(9, 0);
    let kept = note(&a, &all[..6]);
    // Smaller than kept: restored from an old copy.
    assert_eq!(
        check_sender_log(&key, Some(&kept), &note(&a, &all[..3]), &[]).unwrap_err(),
        LogRefusal::Rewound { kept: 6, sent: 3 }
    );
    // Same size, other leaves.
    let other = leaves(6, 0x80);
    assert_eq!(
        check_sender_log(&key, Some(&kept), &note(&a, &other), &[]).unwrap_err(),
        LogRefusal::Forked { kept: 6, sent: 6 }
    );
    // Larger, with a proof over a history that differs from the one kept.
    let mut forked = all.clone();
    forked[2] = [0xEE; 32];
    let sent = note(&a, &forked);
    assert_eq!(
        check_sender_log(&key, Some(&kept), &sent, &[proof(&forked, 6)]).unwrap_err(),
        LogRefusal::Forked { kept: 6, sent: 9 }
    );
    // A checkpoint signed by another device, or not a note at all.
    let b = device(2);
    assert!(matches!(
        check_sender_log(&key, None, &note(&b, &all), &[]),
        Err(LogRefusal::Malformed(_))
    ));
    assert!(matches!(
        check_sender_log(&key, None, b"junk", &[]),
        Err(LogRefusal::Malformed(_))
    ));
}

#[test]
fn without_a_proof_the_leaves_held_decide() {
    let a = device(1);
    let key = a.public().signing;
    let all = leaves(9, 0);
    let kept = note(&a, &all[..4]);
    let sent = note(&a, &all);
    assert!(check_sender_log_by_leaves(&key, &kept, &sent, &all).is_ok());
    // Leaves held that stop short: still unproven.
    assert_eq!(
        check_sender_log_by_leaves(&key, &kept, &sent, &all[..7]).unwrap_err(),
        LogRefusal::Unproven { kept: 4 }
    );
    // Held leaves that differ from what the sender now signs.
    let mut held = all.clone();
    held[7] = [0xEE; 32];
    assert_eq!(
        check_sender_log_by_leaves(&key, &kept, &sent, &held).unwrap_err(),
        LogRefusal::Forked { kept: 4, sent: 9 }
    );
    assert_eq!(
        check_sender_log_by_leaves(&key, &sent, &kept, &all).unwrap_err(),
        LogRefusal::Rewound { kept: 9, sent: 4 }
    );
}

#[test]
fn a_cosignature_goes_back_to_the_log_and_only_a_valid_one_is_merged() {
    let (a, w) = (device(1), device(2));
    let own = note(&a, &leaves(5, 0));
    let (cp, n) = check_sender_log(&a.public().signing, None, &own, &[]).unwrap();
    let back = cosigned(n, &cp, &DeviceLogKey::witness(&w), 1_790_000_000).unwrap();
    let witness = witness_of(&w.public().signing).unwrap();
    assert_eq!(
        witness.check(&cp, back.signatures()).unwrap(),
        Some(1_790_000_000)
    );
    let merged = merge_cosignature(&own, &back.to_bytes(), &witness).unwrap();
    assert_eq!(merged.signatures().len(), 2);
    // Nothing new the second time.
    assert!(merge_cosignature(&merged.to_bytes(), &back.to_bytes(), &witness).is_none());
    // Another witness's cosignature is not this witness's.
    let stranger = witness_of(&device(3).public().signing).unwrap();
    assert!(merge_cosignature(&own, &back.to_bytes(), &stranger).is_none());
    // A cosignature of another checkpoint, or a forged one, is not merged.
    let other = note(&a, &leaves(6, 0));
    assert!(merge_cosignature(&other, &back.to_bytes(), &witness).is_none());
    let mut forged = Note::parse(&back.to_bytes()).unwrap();
    let mut line = forged.signatures()[1].clone();
    let last = line.bytes.len() - 1;
    line.bytes[last] ^= 1;
    forged.add_signature(line);
    assert!(merge_cosignature(&own, &forged.to_bytes(), &witness).is_none());
}

/// The bundle vectors' log sections were written without this crate (a tree hash
/// written out in the vector test): their checkpoint opens under the sender's key,
/// hashes its ops, and its proof from size 1 verifies here.
#[test]
fn the_bundle_vectors_log_section_verifies_here() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../satchel-sync/tests/vectors/bundle/good-one-recipient.txt"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let (_, hex) = text.split_once("\n\n").unwrap();
    let hex: String = hex.split_whitespace().collect();
    let bytes = data_encoding::HEXLOWER.decode(hex.as_bytes()).unwrap();
    let sender = device(0x51);
    let peer = sender.public().signing;
    let opened =
        satchel_crypto::bundle::open(&device(0x52), bytes.as_slice(), |s| *s == peer, 1 << 30)
            .unwrap();
    let (body, _) = satchel_sync::bundle::BundleBody::read(&opened.content).unwrap();
    let ids: Vec<Hash> = body.ops.iter().map(|o| o.id.0).collect();
    let (cp, _) = check_sender_log(&peer, None, &body.log.checkpoint, &[]).unwrap();
    assert_eq!(
        (cp.size, cp.root),
        (3, Log::from_leaves(ids.clone()).root())
    );
    let kept = note(&sender, &ids[..1]);
    assert_eq!(body.log.proofs.len(), 1);
    assert!(check_sender_log(&peer, Some(&kept), &body.log.checkpoint, &body.log.proofs).is_ok());
}
