//! The audit export: every device's ops as public parts (header bytes and signature,
//! hex) and the checkpoints signed of their logs, in one JSON file that holds no
//! record content (`docs/audit-format.md`, "Audit export"), and its verification.

use serde::{Deserialize, Serialize};

use crate::device::{Anomaly, AnomalyCode, DeviceReport, verify_device};

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
}

/// An audit export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditExport {
    /// [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The device that wrote the export, lowercase hex.
    pub exported_by: String,
    /// Every device whose ops the exporting vault holds.
    pub devices: Vec<DeviceExport>,
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
pub struct AuditReport {
    /// Each device, in the export's order.
    pub devices: Vec<DeviceReport>,
    /// Anomalies in all.
    pub anomalies: usize,
}

/// Checks every device of an export ([`verify_device`]).
pub fn verify_export(export: &AuditExport) -> AuditReport {
    let hex = |s: &str| data_encoding::HEXLOWER.decode(s.as_bytes()).ok();
    let mut devices = Vec::with_capacity(export.devices.len());
    for d in &export.devices {
        let Some(key) = hex(&d.key).and_then(|k| <[u8; 32]>::try_from(k).ok()) else {
            devices.push(DeviceReport {
                device: d.key.clone(),
                ops: 0,
                chain: 0,
                checkpoints: 0,
                latest_checkpoint: None,
                anomalies: vec![Anomaly {
                    code: AnomalyCode::OpMalformed,
                    seq: None,
                    size: None,
                    detail: "the device's key is not 32 bytes of hex".into(),
                }],
            });
            continue;
        };
        let decoded: Vec<(Vec<u8>, Vec<u8>)> = d
            .ops
            .iter()
            .map(|o| {
                (
                    hex(&o.header).unwrap_or_default(),
                    hex(&o.signature).unwrap_or_default(),
                )
            })
            .collect();
        let parts: Vec<(&[u8], &[u8])> = decoded
            .iter()
            .map(|(h, s)| (h.as_slice(), s.as_slice()))
            .collect();
        let notes: Vec<&[u8]> = d.checkpoints.iter().map(|c| c.as_bytes()).collect();
        devices.push(verify_device(&key, &parts, &notes));
    }
    let anomalies = devices.iter().map(|d| d.anomalies.len()).sum();
    AuditReport { devices, anomalies }
}
