//! The audit export: every device's ops as public parts (header bytes and signature,
//! hex) and the checkpoints signed of their logs, in one JSON file that holds no
//! record content (`docs/audit-format.md`, "Audit export"), and its verification.

use serde::{Deserialize, Serialize};

use crate::device::{Anomaly, AnomalyCode, DeviceReport, verify_cosignatures, verify_device};

/// The `format` field of an export.
pub const FORMAT: &str = "satchel-audit-export";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// An op's public parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicOp {
    /// The header bytes, lowercase hex.
    pub header: String,
    /// The Ed25519 signature, lowercase hex.
    pub signature: String,
}

/// One device's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceExport {
    /// The device's Ed25519 key, lowercase hex.
    pub key: String,
    /// Its ops, by sequence number.
    pub ops: Vec<PublicOp>,
    /// Checkpoints of its log (C2SP signed notes, as text).
    pub checkpoints: Vec<String>,
    /// Consistency proofs from each checkpoint to the largest, for tools that check
    /// checkpoints without rebuilding the tree (this verifier checks both).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proofs: Vec<ConsistencyProof>,
}

/// A consistency proof (RFC 9162 §2.1.4) between two checkpoints of one log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The smaller checkpoint's size.
    pub from: u64,
    /// The larger's.
    pub to: u64,
    /// The proof's hashes, lowercase hex, in the RFC's order.
    pub hashes: Vec<String>,
}

/// The organisation the devices belong to: its id and every certificate and
/// revocation the exporting vault holds (their binary forms, hex;
/// docs/membership-format.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationExport {
    /// The organisation's id: its root key, hex.
    pub id: String,
    /// Certificates, hex.
    pub certificates: Vec<String>,
    /// Revocations, hex.
    pub revocations: Vec<String>,
}

/// An audit export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditExport {
    /// [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The device that wrote the export, lowercase hex.
    pub exported_by: String,
    /// The organisation, if the vault is in one: then every op is checked against
    /// its membership at the op's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<OrganisationExport>,
    /// Every device whose ops the exporting vault holds.
    pub devices: Vec<DeviceExport>,
    /// Records opened to the auditor, with their content: only when the exporter
    /// granted them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub openings: Vec<crate::opening::Opening>,
    /// The exporting vault's accepted-ops log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<crate::accepted::AcceptedExport>,
}

/// Why an export cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Not JSON of an export.
    #[error("not a Satchel audit export: {0}")]
    Malformed(String),
    /// Written by a newer version.
    #[error("an audit export of version {0}, newer than this verifier reads ({VERSION})")]
    Newer(u32),
}

impl AuditExport {
    /// Reads an export.
    pub fn parse(bytes: &[u8]) -> Result<Self, ExportError> {
        let e: Self =
            serde_json::from_slice(bytes).map_err(|e| ExportError::Malformed(e.to_string()))?;
        if e.format != FORMAT {
            return Err(ExportError::Malformed(format!("format is not {FORMAT}")));
        }
        if e.version > VERSION {
            return Err(ExportError::Newer(e.version));
        }
        if e.version != VERSION {
            return Err(ExportError::Malformed(format!("version {}", e.version)));
        }
        Ok(e)
    }
}

/// An export, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditReport {
    /// Whether the ops were checked against an organisation's membership.
    pub organisation: bool,
    /// Problems with the organisation's objects themselves.
    pub organisation_anomalies: Vec<Anomaly>,
    /// Each device, in the export's order.
    pub devices: Vec<DeviceReport>,
    /// Each record opened, in the export's order.
    pub openings: Vec<crate::opening::OpeningReport>,
    /// The exporter's accepted-ops log, when the export has one.
    pub accepted: Option<crate::accepted::AcceptedReport>,
    /// Anomalies in all.
    pub anomalies: usize,
}

fn members(org: &OrganisationExport) -> Result<satchel_sync::member::Members, String> {
    use satchel_sync::member::{Certificate, Members, OrgId, Revocation};
    let hex = |s: &str| data_encoding::HEXLOWER.decode(s.as_bytes()).ok();
    let id = hex(&org.id)
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or("the organisation's id is not 32 bytes of hex")?;
    let certs = org
        .certificates
        .iter()
        .map(|c| hex(c).and_then(|b| Certificate::read(&b).ok()))
        .collect::<Option<Vec<_>>>()
        .ok_or("a certificate does not read")?;
    let revs = org
        .revocations
        .iter()
        .map(|r| hex(r).and_then(|b| Revocation::read(&b).ok()))
        .collect::<Option<Vec<_>>>()
        .ok_or("a revocation does not read")?;
    Members::from_parts(OrgId(id), certs, revs).map_err(|e| e.to_string())
}

/// Checks every device of an export ([`verify_device`]) and, with an organisation,
/// that each op's author could write at the op's time.
pub fn verify_export(export: &AuditExport) -> AuditReport {
    verify_export_with(export, &mut |_, _| {})
}

/// [`verify_export`], reporting `(ops checked, ops in all)` after each device.
pub fn verify_export_with(export: &AuditExport, progress: &mut dyn FnMut(u64, u64)) -> AuditReport {
    let total: u64 = export.devices.iter().map(|d| d.ops.len() as u64).sum();
    let mut done = 0u64;
    progress(0, total);
    let hex = |s: &str| data_encoding::HEXLOWER.decode(s.as_bytes()).ok();
    let mut organisation_anomalies = Vec::new();
    let org = export.organisation.as_ref().and_then(|o| match members(o) {
        Ok(m) => Some(m),
        Err(detail) => {
            organisation_anomalies.push(Anomaly {
                code: AnomalyCode::OrganisationMalformed,
                seq: None,
                size: None,
                detail,
            });
            None
        }
    });
    // The witnesses trusted: an organisation's coordinators; outside one, the
    // exporting device, which cosigned what it kept of its peers' logs.
    let witness_keys: Vec<[u8; 32]> = match &org {
        Some(m) => m
            .certificates()
            .filter(|c| c.role() == satchel_sync::member::Role::Coordinator)
            .map(|c| c.device_id().0)
            .collect(),
        None => hex(&export.exported_by)
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .into_iter()
            .collect(),
    };
    let mut witnesses: Vec<crate::Witness> = witness_keys
        .iter()
        .filter_map(|k| crate::witness::witness_of(k).ok())
        .collect();
    witnesses.dedup();
    let mut devices = Vec::with_capacity(export.devices.len());
    for d in &export.devices {
        let Some(key) = hex(&d.key).and_then(|k| <[u8; 32]>::try_from(k).ok()) else {
            devices.push(DeviceReport {
                device: d.key.clone(),
                ops: 0,
                chain: 0,
                checkpoints: 0,
                latest_checkpoint: None,
                per_month: Default::default(),
                anomalies: vec![Anomaly {
                    code: AnomalyCode::OpMalformed,
                    seq: None,
                    size: None,
                    detail: "the device's key is not 32 bytes of hex".into(),
                }],
            });
            done += d.ops.len() as u64;
            progress(done, total);
            continue;
        };
        let decoded = decode(&d.ops);
        let parts = as_parts(&decoded);
        let notes: Vec<&[u8]> = d.checkpoints.iter().map(|c| c.as_bytes()).collect();
        let mut report = verify_device(&key, &parts, &notes);
        report
            .anomalies
            .extend(check_proofs(&key, &notes, &d.proofs));
        // Every checkpoint of another device's log was cosigned when it came.
        let required = d.key != export.exported_by;
        report
            .anomalies
            .extend(verify_cosignatures(&key, &notes, &witnesses, required));
        report.anomalies.sort_by_key(|a| (a.code, a.seq, a.size));
        if let Some(members) = &org {
            for (h, _) in &parts {
                let Ok(header) = satchel_sync::op::OpHeader::read(h) else {
                    continue; // already an anomaly of its own
                };
                if header.author.0 != key {
                    continue;
                }
                let at = header.hlc.wall_ms / 1000;
                if let Err(why) = members.at(at).check_op(&header) {
                    report.anomalies.push(Anomaly {
                        code: AnomalyCode::AuthorNotMember,
                        seq: Some(header.seq),
                        size: None,
                        detail: format!("at the op's time: {why}"),
                    });
                }
            }
            report.anomalies.sort_by_key(|a| (a.code, a.seq, a.size));
        }
        devices.push(report);
        done += d.ops.len() as u64;
        progress(done, total);
    }
    let openings = if export.openings.is_empty() {
        Vec::new()
    } else {
        let decoded = decode(export.devices.iter().flat_map(|d| &d.ops));
        let parts = as_parts(&decoded);
        crate::opening::verify_openings(&export.openings, &parts, org.as_ref())
    };
    let accepted = export.accepted.as_ref().map(|a| {
        let exported: std::collections::BTreeSet<crate::Hash> = export
            .devices
            .iter()
            .flat_map(|d| &d.ops)
            .filter_map(|o| hex(&o.header))
            .map(|h| satchel_sync::op::op_id(&h).0)
            .collect();
        let key = hex(&export.exported_by)
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .unwrap_or_default();
        crate::accepted::verify_accepted(&key, a, &exported)
    });
    let anomalies = organisation_anomalies.len()
        + devices.iter().map(|d| d.anomalies.len()).sum::<usize>()
        + openings.iter().map(|o| o.anomalies.len()).sum::<usize>()
        + accepted.as_ref().map_or(0, |a| a.anomalies.len());
    AuditReport {
        organisation: org.is_some(),
        organisation_anomalies,
        devices,
        openings,
        accepted,
        anomalies,
    }
}

/// Ops' header bytes and signatures, from hex (what does not decode is empty, and
/// refused as such by the checks).
fn decode<'a>(ops: impl IntoIterator<Item = &'a PublicOp>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let hex = |s: &str| {
        data_encoding::HEXLOWER
            .decode(s.as_bytes())
            .unwrap_or_default()
    };
    ops.into_iter()
        .map(|o| (hex(&o.header), hex(&o.signature)))
        .collect()
}

fn as_parts(decoded: &[(Vec<u8>, Vec<u8>)]) -> Vec<(&[u8], &[u8])> {
    decoded
        .iter()
        .map(|(h, s)| (h.as_slice(), s.as_slice()))
        .collect()
}

/// Each proof given between two checkpoints of the device's log holds.
fn check_proofs(key: &[u8; 32], notes: &[&[u8]], proofs: &[ConsistencyProof]) -> Vec<Anomaly> {
    let mut found = Vec::new();
    if proofs.is_empty() {
        return found;
    }
    let Ok(verifier) = crate::witness::log_verifier(key) else {
        return found;
    };
    let roots: std::collections::BTreeMap<u64, crate::Hash> = notes
        .iter()
        .filter_map(|n| crate::Checkpoint::open(n, &verifier).ok())
        .map(|(cp, _)| (cp.size, cp.root))
        .collect();
    for p in proofs {
        let hashes: Option<Vec<crate::Hash>> = p
            .hashes
            .iter()
            .map(|h| {
                data_encoding::HEXLOWER
                    .decode(h.as_bytes())
                    .ok()
                    .and_then(|b| b.try_into().ok())
            })
            .collect();
        let holds = match (roots.get(&p.from), roots.get(&p.to), hashes) {
            (Some(old), Some(new), Some(hashes)) => {
                crate::verify_consistency(p.from, old, p.to, new, &hashes).is_ok()
            }
            _ => false,
        };
        if !holds {
            found.push(Anomaly {
                code: AnomalyCode::CheckpointsInconsistent,
                seq: None,
                size: Some(p.to),
                detail: format!(
                    "the consistency proof from {} to {} ops does not hold between the checkpoints given",
                    p.from, p.to
                ),
            });
        }
    }
    found
}
