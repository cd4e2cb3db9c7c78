//! One device's history as an auditor checks it, from public parts only: its ops'
//! headers and signatures, and the checkpoints it signed of its log. Every problem is
//! an [`Anomaly`] with a stable code pointing at the op or the checkpoint; nothing
//! stops at the first.

use std::collections::BTreeMap;

use satchel_crypto::identity::LOG_ORIGIN_PREFIX;
use satchel_sync::{OpError, op::Op};
use serde::Serialize;

use crate::checkpoint::Checkpoint;
use crate::log::{Hash, Log, verify_consistency};
use crate::note::NoteVerifier;

/// The name of a device's log and of the key that signs its checkpoints:
/// `satchel/device/` and its Ed25519 key in lowercase hex.
pub fn device_origin(key: &[u8; 32]) -> String {
    format!(
        "{LOG_ORIGIN_PREFIX}device/{}",
        data_encoding::HEXLOWER.encode(key)
    )
}

/// What is wrong, as a stable code (`docs/audit-format.md`, "Anomalies").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AnomalyCode {
    /// An op header that does not parse.
    OpMalformed,
    /// An op whose signature does not verify.
    OpBadSignature,
    /// An op by another device among this device's.
    OpWrongAuthor,
    /// Two different ops at one sequence number: the chain forked.
    ChainFork,
    /// A sequence number missing: an op was dropped (or never given).
    ChainGap,
    /// An op whose `prev` is not the op before it: the chain was spliced.
    ChainBroken,
    /// A checkpoint that is not a signed note of a checkpoint.
    CheckpointMalformed,
    /// A checkpoint whose signature by the device does not verify.
    CheckpointBadSignature,
    /// A checkpoint of another log.
    CheckpointWrongOrigin,
    /// A checkpoint of more ops than the history holds: ops signed for were dropped.
    CheckpointBeyondLog,
    /// A checkpoint whose root is not that of the ops at its size: history rewritten.
    CheckpointMismatch,
    /// Two checkpoints that cannot both be of one append-only log.
    CheckpointsInconsistent,
    /// An op whose author was not a member allowed to write at the op's time (no
    /// valid certificate then, or past its revocation point).
    AuthorNotMember,
    /// The organisation's certificates or revocations do not read, or are of another
    /// organisation.
    OrganisationMalformed,
    /// A checkpoint of another device's log that no trusted witness cosigned: the
    /// exporter kept it without checking it, or its cosignature was stripped.
    CosignatureMissing,
    /// A line in a trusted witness's name that does not verify: forged or damaged.
    CosignatureBad,
    /// A checkpoint a witness cosigned after another of the same log, yet smaller:
    /// the log was shown rolled back.
    CheckpointRolledBack,
    /// A granted opening whose payload does not open its op's commitment, or names an
    /// op that is not the record's.
    OpeningMismatch,
    /// A replay of an opened record's ops does not give the record exported, or one of
    /// its ops is left out.
    ReplayMismatch,
    /// The exporter's accepted-ops log does not hold exactly the ops exported.
    AcceptedMismatch,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Anomaly {
    /// What.
    pub code: AnomalyCode,
    /// The op's sequence number, where one is concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub seq: Option<u64>,
    /// The checkpoint's size, where one is concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub size: Option<u64>,
    /// In a sentence, for people.
    pub detail: String,
}

/// One device's history, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeviceReport {
    /// The device's key, hex.
    pub device: String,
    /// Ops given whose signature verifies.
    pub ops: u64,
    /// The unbroken chain from sequence 1: the log's leaves.
    pub chain: u64,
    /// Checkpoints given whose signature verifies.
    pub checkpoints: u64,
    /// The largest of them.
    pub latest_checkpoint: Option<u64>,
    /// Ops whose signature verifies, by the month of their clock (UTC, `YYYY-MM`).
    pub per_month: BTreeMap<String, u64>,
    /// Everything found wrong, by code then place.
    pub anomalies: Vec<Anomaly>,
}

/// `YYYY-MM` (UTC) of a time in milliseconds since 1970.
fn month(ms: u64) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!("{:04}-{:02}", t.year(), u8::from(t.month())),
        Err(_) => "later than 9999".into(),
    }
}

fn anomaly(code: AnomalyCode, seq: Option<u64>, size: Option<u64>, detail: String) -> Anomaly {
    Anomaly {
        code,
        seq,
        size,
        detail,
    }
}

/// Checks one device's ops (header bytes and signature, in any order) and the
/// checkpoints it signed (C2SP notes): each op's signature; one chain from sequence 1
/// without fork, gap or splice; each checkpoint's signature, its root against the
/// chain's ops at its size, and every pair of checkpoints for consistency.
pub fn verify_device(
    key: &[u8; 32],
    ops: &[(&[u8], &[u8])],
    checkpoints: &[&[u8]],
) -> DeviceReport {
    use AnomalyCode as C;
    let mut found = Vec::new();
    let mut by_seq: BTreeMap<u64, Op> = BTreeMap::new();
    for (i, (header, signature)) in ops.iter().enumerate() {
        let op = match Op::from_parts(header.to_vec(), signature, None) {
            Ok(op) => op,
            Err(OpError::BadSignature) => {
                found.push(anomaly(
                    C::OpBadSignature,
                    None,
                    None,
                    format!("op {} of those given: its signature does not verify", i + 1),
                ));
                continue;
            }
            Err(e) => {
                found.push(anomaly(
                    C::OpMalformed,
                    None,
                    None,
                    format!("op {} of those given: {e}", i + 1),
                ));
                continue;
            }
        };
        let seq = op.header.seq;
        if op.header.author.0 != *key {
            found.push(anomaly(
                C::OpWrongAuthor,
                Some(seq),
                None,
                "an op by another device".into(),
            ));
            continue;
        }
        match by_seq.get(&seq) {
            Some(held) if held.id != op.id => {
                found.push(anomaly(
                    C::ChainFork,
                    Some(seq),
                    None,
                    format!("two different ops at sequence {seq}"),
                ));
            }
            Some(_) => {}
            None => {
                by_seq.insert(seq, op);
            }
        }
    }
    let signed = by_seq.len() as u64;
    let mut per_month: BTreeMap<String, u64> = BTreeMap::new();
    for op in by_seq.values() {
        *per_month.entry(month(op.header.hlc.wall_ms)).or_default() += 1;
    }

    // The chain's leaves: from 1, while each op follows the one before.
    let mut leaves: Vec<Hash> = Vec::new();
    let mut broken = false;
    for (expect, (&seq, op)) in (1u64..).zip(&by_seq) {
        if broken {
            break;
        }
        if seq != expect {
            found.push(anomaly(
                C::ChainGap,
                Some(expect),
                None,
                format!("no op at sequence {expect} (the next held is {seq})"),
            ));
            broken = true;
            continue;
        }
        let prev = leaves.last().copied();
        if op.header.prev.map(|p| p.0) != prev {
            found.push(anomaly(
                C::ChainBroken,
                Some(seq),
                None,
                format!("the op at sequence {seq} does not follow the one before"),
            ));
            broken = true;
            continue;
        }
        leaves.push(op.id.0);
    }
    let log = Log::from_leaves(leaves);

    let origin = device_origin(key);
    let verifier = NoteVerifier::new(&origin, key);
    let mut sizes: BTreeMap<u64, Hash> = BTreeMap::new();
    // Checkpoints within the chain, by size: whether each holds over its leaves.
    let mut within: Vec<(u64, bool)> = Vec::new();
    let full_root = log.root();
    for note in checkpoints {
        let Ok(v) = &verifier else {
            found.push(anomaly(
                C::CheckpointBadSignature,
                None,
                None,
                "the device's key is not an Ed25519 key".into(),
            ));
            break;
        };
        let cp = match Checkpoint::open(note, v) {
            Ok((cp, _)) => cp,
            Err(e) => {
                let code = match e {
                    crate::CheckpointError::WrongOrigin => C::CheckpointWrongOrigin,
                    crate::CheckpointError::Note(
                        crate::NoteError::BadSignature(_) | crate::NoteError::Unverified,
                    ) => C::CheckpointBadSignature,
                    _ => C::CheckpointMalformed,
                };
                found.push(anomaly(code, None, None, format!("a checkpoint: {e}")));
                continue;
            }
        };
        match sizes.get(&cp.size) {
            Some(root) if *root != cp.root => {
                found.push(anomaly(
                    C::CheckpointsInconsistent,
                    None,
                    Some(cp.size),
                    format!("two different roots signed at size {}", cp.size),
                ));
                continue;
            }
            Some(_) => continue,
            None => {}
        }
        sizes.insert(cp.size, cp.root);
        if cp.size > log.size() {
            found.push(anomaly(
                C::CheckpointBeyondLog,
                None,
                Some(cp.size),
                format!(
                    "signed for {} ops; the unbroken chain holds {}",
                    cp.size,
                    log.size()
                ),
            ));
            continue;
        }
        // The checkpoint's root is a prefix of the chain's leaves iff a consistency
        // proof from it to the whole chain verifies: one proof, no tree rebuilt.
        let proof = log.prove_consistency(cp.size).unwrap_or_default();
        let holds = verify_consistency(cp.size, &cp.root, log.size(), &full_root, &proof).is_ok();
        if !holds {
            found.push(anomaly(
                C::CheckpointMismatch,
                None,
                Some(cp.size),
                format!("the ops at size {} do not hash to its root", cp.size),
            ));
        }
        within.push((cp.size, holds));
    }
    // Successive checkpoints: a later one that holds over the chain does not extend
    // an earlier one that does not (two that both fail may still agree with each
    // other, on a history not given; that is not claimed).
    within.sort_unstable();
    for w in within.windows(2) {
        if let [(old, false), (new, true)] = w {
            found.push(anomaly(
                C::CheckpointsInconsistent,
                None,
                Some(*new),
                format!("the checkpoint at size {new} does not extend the one at size {old}"),
            ));
        }
    }
    found.sort_by_key(|a| (a.code, a.seq, a.size));
    DeviceReport {
        device: data_encoding::HEXLOWER.encode(key),
        ops: signed,
        chain: log.size(),
        checkpoints: sizes.len() as u64,
        latest_checkpoint: sizes.keys().next_back().copied(),
        per_month,
        anomalies: found,
    }
}

/// Checks the witnesses' cosignatures of a device's checkpoints: every line in the
/// name of a witness in `witnesses` must verify; with `required`, each checkpoint
/// needs at least one; and no witness may have cosigned a smaller checkpoint after a
/// larger one. Checkpoints that do not open under the device's key are left to
/// [`verify_device`].
pub fn verify_cosignatures(
    key: &[u8; 32],
    checkpoints: &[&[u8]],
    witnesses: &[crate::Witness],
    required: bool,
) -> Vec<Anomaly> {
    use AnomalyCode as C;
    let mut found = Vec::new();
    let Ok(verifier) = NoteVerifier::new(&device_origin(key), key) else {
        return found;
    };
    // (witness, time, size) of every valid cosignature.
    let mut seen: Vec<(String, u64, u64)> = Vec::new();
    for note in checkpoints {
        let Ok((cp, note)) = Checkpoint::open(note, &verifier) else {
            continue;
        };
        let mut any = false;
        let mut bad = false;
        for w in witnesses {
            match w.check(&cp, note.signatures()) {
                Ok(Some(time)) => {
                    any = true;
                    seen.push((w.name().to_owned(), time, cp.size));
                }
                Ok(None) => {}
                Err(_) => {
                    bad = true;
                    found.push(anomaly(
                        C::CosignatureBad,
                        None,
                        Some(cp.size),
                        format!("the cosignature by {} does not verify", w.name()),
                    ));
                }
            }
        }
        if required && !any && !bad {
            found.push(anomaly(
                C::CosignatureMissing,
                None,
                Some(cp.size),
                format!(
                    "no trusted witness cosigned the checkpoint at size {}",
                    cp.size
                ),
            ));
        }
    }
    seen.sort();
    for pair in seen.windows(2) {
        if let [(w1, t1, s1), (w2, t2, s2)] = pair
            && w1 == w2
            && t2 > t1
            && s2 < s1
        {
            found.push(anomaly(
                C::CheckpointRolledBack,
                None,
                Some(*s2),
                format!("{w2} cosigned {s2} ops at {t2}, after {s1} ops at {t1}"),
            ));
        }
    }
    found.sort_by_key(|a| (a.code, a.seq, a.size));
    found
}
