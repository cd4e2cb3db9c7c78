//! Granted openings: for records a coordinator chose to show an auditor, the payloads
//! behind their ops' commitments and the records as the exporting vault holds them.
//! The verifier checks that each payload opens its op's commitment and that a replay
//! of the record's ops gives exactly the record exported (`docs/audit-format.md`,
//! "Openings").

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use satchel_sync::OpError;
use satchel_sync::merge::{RecordState, materialise};
use satchel_sync::op::{Op, OpHeader, OpId, RecordId};

use crate::device::{Anomaly, AnomalyCode};

/// One op's payload, given to open its commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenedOp {
    /// The op's id, hex.
    pub op: String,
    /// Its payload bytes (the salt, then the body), hex.
    pub payload: String,
}

/// A record opened to the auditor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// The record's id, hex.
    pub record: String,
    /// The record as the exporting vault holds it (its merged state).
    pub state: RecordState,
    /// The payloads of its ops the vault holds with content.
    pub payloads: Vec<OpenedOp>,
    /// Its ops the vault holds as headers alone (content erased, or withheld from
    /// this device): replayed without content, as the vault does, and counted.
    #[serde(default)]
    pub withheld: Vec<String>,
    /// Its ops the vault holds void (after their author's revocation): in no record,
    /// so not replayed, and counted.
    #[serde(default)]
    pub void: Vec<String>,
}

/// What the verifier found for one opened record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OpeningReport {
    /// The record's id, hex.
    pub record: String,
    /// Ops whose payload opened their commitment.
    pub opened: u64,
    /// Ops the exporter held as headers alone.
    pub withheld: u64,
    /// Ops the exporter held void.
    pub void: u64,
    /// Everything found wrong.
    pub anomalies: Vec<Anomaly>,
}

/// An op's header bytes and signature.
type Parts<'a> = (&'a [u8], &'a [u8]);

fn found(code: AnomalyCode, seq: Option<u64>, detail: String) -> Anomaly {
    Anomaly {
        code,
        seq,
        size: None,
        detail,
    }
}

fn hex(s: &str) -> Option<Vec<u8>> {
    data_encoding::HEXLOWER.decode(s.as_bytes()).ok()
}

/// Checks each opening against the exported ops (`ops`: every op's header bytes and
/// signature, of all devices): each payload opens the commitment of an op of that
/// record; every op of the record is opened, or declared withheld, or declared void,
/// which only a revocation of its author at or before its sequence number explains
/// (`members`: the organisation, if any; outside one nothing is void); and replaying
/// the opened and withheld ops gives the record's state as exported.
pub fn verify_openings(
    openings: &[Opening],
    ops: &[(&[u8], &[u8])],
    members: Option<&satchel_sync::member::Members>,
) -> Vec<OpeningReport> {
    use AnomalyCode as C;
    if openings.is_empty() {
        return Vec::new();
    }
    let wanted: BTreeSet<RecordId> = openings
        .iter()
        .filter_map(|o| hex(&o.record).and_then(|b| b.try_into().ok()).map(RecordId))
        .collect();
    // The exported ops of the records opened, by record then id.
    let mut by_record: BTreeMap<RecordId, BTreeMap<OpId, Parts<'_>>> = BTreeMap::new();
    for (header, signature) in ops {
        let Ok(h) = OpHeader::read(header) else {
            continue; // an anomaly of its device already
        };
        if wanted.contains(&h.record) {
            by_record
                .entry(h.record)
                .or_default()
                .insert(satchel_sync::op::op_id(header), (header, signature));
        }
    }
    let mut out = Vec::with_capacity(openings.len());
    for o in openings {
        let mut anomalies = Vec::new();
        let Some(record) = hex(&o.record)
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .map(RecordId)
        else {
            anomalies.push(found(
                C::ReplayMismatch,
                None,
                "the record's id is not 16 bytes of hex".into(),
            ));
            out.push(OpeningReport {
                record: o.record.clone(),
                opened: 0,
                withheld: 0,
                void: 0,
                anomalies,
            });
            continue;
        };
        let held = by_record.remove(&record).unwrap_or_default();
        let mut opened: Vec<Op> = Vec::new();
        let mut accounted: BTreeSet<OpId> = BTreeSet::new();
        for p in &o.payloads {
            let id = OpId::from_hex(&p.op);
            let Some(((header, signature), id)) = id.and_then(|i| held.get(&i).map(|h| (*h, i)))
            else {
                anomalies.push(found(
                    C::OpeningMismatch,
                    None,
                    format!("op {} is not one of the record's ops in the export", p.op),
                ));
                continue;
            };
            let seq = OpHeader::read(header).ok().map(|h| h.seq);
            let Some(payload) = hex(&p.payload) else {
                anomalies.push(found(
                    C::OpeningMismatch,
                    seq,
                    format!("the payload of op {} is not hex", p.op),
                ));
                continue;
            };
            match Op::from_parts(header.to_vec(), signature, Some(payload)) {
                Ok(op) => {
                    accounted.insert(id);
                    opened.push(op);
                }
                Err(OpError::PayloadMismatch) => anomalies.push(found(
                    C::OpeningMismatch,
                    seq,
                    format!("the payload given does not open op {}'s commitment", p.op),
                )),
                Err(e) => {
                    anomalies.push(found(C::OpeningMismatch, seq, format!("op {}: {e}", p.op)))
                }
            }
        }
        let declared = |list: &[String]| -> BTreeSet<OpId> {
            list.iter()
                .filter_map(|w| OpId::from_hex(w))
                .filter(|id| held.contains_key(id) && !accounted.contains(id))
                .collect()
        };
        let (withheld, void) = (declared(&o.withheld), declared(&o.void));
        for id in &withheld {
            let Some((header, signature)) = held.get(id) else {
                continue;
            };
            match Op::from_parts(header.to_vec(), signature, None) {
                Ok(op) => opened.push(op),
                Err(e) => anomalies.push(found(
                    C::OpeningMismatch,
                    None,
                    format!("op {}: {e}", id.to_hex()),
                )),
            }
        }
        for id in &void {
            let Some(h) = held
                .get(id)
                .and_then(|(header, _)| OpHeader::read(header).ok())
            else {
                continue;
            };
            let revoked = members
                .and_then(|m| m.revoked_from(&h.author))
                .is_some_and(|from| h.seq >= from);
            if !revoked {
                anomalies.push(found(
                    C::ReplayMismatch,
                    Some(h.seq),
                    format!(
                        "op {} is declared void, but no revocation of its author covers it",
                        id.to_hex()
                    ),
                ));
            }
        }
        for (id, (header, _)) in &held {
            if !accounted.contains(id) && !withheld.contains(id) && !void.contains(id) {
                anomalies.push(found(
                    C::ReplayMismatch,
                    OpHeader::read(header).ok().map(|h| h.seq),
                    format!(
                        "op {} of the record is neither opened nor declared withheld or void",
                        id.to_hex()
                    ),
                ));
            }
        }
        let views: Vec<_> = opened.iter().map(Op::view).collect();
        match materialise(&views) {
            Some(state) if state == o.state => {}
            Some(state) => {
                anomalies.push(found(C::ReplayMismatch, None, difference(&state, &o.state)))
            }
            None => anomalies.push(found(
                C::ReplayMismatch,
                None,
                "a replay of the opened ops gives no record".into(),
            )),
        }
        anomalies.sort_by_key(|a| (a.code, a.seq, a.size));
        out.push(OpeningReport {
            record: o.record.clone(),
            opened: accounted.len() as u64,
            withheld: withheld.len() as u64,
            void: void.len() as u64,
            anomalies,
        });
    }
    out
}

/// Where a replayed record differs from the one exported, named by field, never by
/// value.
fn difference(replayed: &RecordState, exported: &RecordState) -> String {
    if replayed.form != exported.form || replayed.form_version != exported.form_version {
        return "the replay gives another form".into();
    }
    if replayed.deleted != exported.deleted || replayed.delete_conflict != exported.delete_conflict
    {
        return "the replay gives another deletion state".into();
    }
    let names: BTreeSet<&String> = replayed
        .fields
        .keys()
        .chain(exported.fields.keys())
        .collect();
    for name in names {
        if replayed.fields.get(name) != exported.fields.get(name) {
            return format!("field `{name}` differs from a replay of the opened ops");
        }
    }
    "the replay's times differ from the record exported".into()
}
