//! The Audit screen's files: an audit export read and checked (`satchel-audit`,
//! docs/audit-format.md), the report of the one checked last kept for the session,
//! and that report saved as HTML. Nothing here needs the vault: an export holds signed
//! headers only, and checking one trusts nothing this device holds.

use std::{
    io::Read,
    path::{Path, PathBuf},
};

use satchel_api::{ApiError, error::AuditFileProblem};
use satchel_audit::AuditReport;
use serde::Serialize;
use ts_rs::TS;

/// Largest export read, in MiB: an op is about half a KiB in an export, so this is
/// about a million ops, and a file picked by mistake (a video) is refused before it
/// is read into memory.
pub const MAX_EXPORT_MIB: u64 = 512;
const MAX_EXPORT: u64 = MAX_EXPORT_MIB * 1024 * 1024;

/// An audit export checked: the report, and the name of the file it came from.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AuditChecked {
    /// The file's name, without its folder.
    pub file: String,
    /// What the check found.
    pub report: AuditReport,
}

fn too_large() -> ApiError {
    ApiError::AuditFile(AuditFileProblem::TooLarge {
        max_mib: MAX_EXPORT_MIB,
    })
}

/// The name the report gives a file: its last component, shortened, with no folder.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().chars().take(255).collect())
        .unwrap_or_default()
}

/// An export's bytes from a file, refused when larger than [`MAX_EXPORT_MIB`].
pub fn read(path: &Path) -> Result<Vec<u8>, ApiError> {
    let file = std::fs::File::open(path).map_err(|e| ApiError::Io(e.kind()))?;
    let len = file.metadata().map_err(|e| ApiError::Io(e.kind()))?.len();
    if len > MAX_EXPORT {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    // The file may grow while it is read: never past the limit.
    file.take(MAX_EXPORT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ApiError::Io(e.kind()))?;
    if bytes.len() as u64 > MAX_EXPORT {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Parses and checks an export, reporting `(ops checked, ops in all)`.
pub fn check(bytes: &[u8], progress: &mut dyn FnMut(u64, u64)) -> Result<AuditReport, ApiError> {
    if bytes.len() as u64 > MAX_EXPORT {
        return Err(too_large());
    }
    let export = satchel_audit::AuditExport::parse(bytes)?;
    Ok(satchel_audit::verify_export_with(&export, progress))
}

/// The name the save dialog suggests for a report: the export's, as HTML.
pub fn report_name(export: &str) -> String {
    let stem = Path::new(export)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "satchel-audit".into());
    format!("{stem}-report.html")
}

/// Refuses a file to be written into the vault's own folder, which holds Satchel's
/// files only (a file of another kind there would stop a wipe from finishing).
pub fn outside_vault(vault: &Path, out: &Path) -> Result<(), ApiError> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let folder = std::fs::canonicalize(parent).map_err(|_| ApiError::ExportNotWritten)?;
    if std::fs::canonicalize(vault).is_ok_and(|v| v == folder) {
        return Err(ApiError::ExportIntoVault);
    }
    Ok(())
}

/// Writes the report of `checked` as one self-contained HTML file at `out`,
/// atomically: a reader never sees half a report, and a failure leaves nothing.
/// `checked_at` says when it was checked.
pub fn save_html(
    vault: &Path,
    checked: &AuditChecked,
    out: &Path,
    checked_at: &str,
) -> Result<(), ApiError> {
    outside_vault(vault, out)?;
    let page = satchel_audit::html::report_html(&checked.report, &checked.file, checked_at);
    satchel_api::files::replace(out, page.as_bytes()).map_err(|e| match e.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => ApiError::DiskFull,
        _ => ApiError::ExportNotWritten,
    })
}
