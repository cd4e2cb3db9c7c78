//! Human-readable output.

use std::path::Path;

use anyhow::Result;
use satchel_api::{
    Info, RecordSummary, RecordView, SnippetPart, form::Form, records::HistoryEntry,
};

use crate::terminal::{Escape, neutralise};
use unicode_width::UnicodeWidthStr;

pub(crate) fn created(json: bool, dir: &Path, info: &Info, recovery: &str) -> Result<()> {
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "vault": dir.display().to_string(),
                "fingerprint": info.fingerprint,
                "fingerprint_hex": info.fingerprint_hex,
                "recovery_key": recovery,
            }))?
        );
        return Ok(());
    }
    say!("Vault created in {}", dir.display());
    say!();
    say!("Device fingerprint: {}", info.fingerprint);
    say!("                    {}", info.fingerprint_hex);
    say!();
    say!("Recovery key (shown only now; write it on paper and keep it away from this computer):");
    say!();
    say!("    {recovery}");
    say!();
    say!("It opens the vault if the passphrase is lost. Anyone holding it can too.");
    Ok(())
}

pub(crate) fn rekeyed(json: bool, recovery: &str) -> Result<()> {
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "recovery_key": recovery }))?
        );
        return Ok(());
    }
    say!("The vault is re-encrypted under a new key. The old recovery key no longer works.");
    say!();
    say!(
        "New recovery key (shown only now; write it on paper and keep it away from this computer):"
    );
    say!();
    say!("    {recovery}");
    say!();
    say!(
        "Destroy the old one. Copies of the vault folder made before now still open with the old passphrase."
    );
    Ok(())
}

pub(crate) fn info(info: &Info) -> Result<()> {
    say!("Device fingerprint: {}", info.fingerprint);
    say!("                    {}", info.fingerprint_hex);
    say!(
        "Records:            {} ({} deleted)",
        info.records,
        info.deleted_records
    );
    say!("Ops:                {}", info.ops);
    say!("Attachments:        {}", info.attachments);
    let memory = if info.kdf.m_kib.is_multiple_of(1024) {
        format!("{} MiB", info.kdf.m_kib / 1024)
    } else {
        format!("{} KiB", info.kdf.m_kib)
    };
    say!(
        "Key derivation:     {} (m = {memory}, t = {}, p = {})",
        info.kdf.profile,
        info.kdf.t,
        info.kdf.p
    );
    say!(
        "Format:             keyslots {}, schema {}, SQLCipher {}",
        info.keyslots_format,
        info.schema_version,
        info.cipher_version
    );
    Ok(())
}

pub(crate) fn forms(forms: &[Form], lang: &str) -> Result<()> {
    for f in forms {
        say!(
            "{:<12} v{:<3} {}  {}",
            f.name,
            f.version,
            pad(f.label.get(lang), 20),
            count(f.fields.len(), "field", "fields")
        );
    }
    Ok(())
}

pub(crate) fn form(form: &Form, lang: &str) -> Result<()> {
    say!(
        "{} (version {}): {}",
        form.name,
        form.version,
        form.label.get(lang)
    );
    for f in &form.fields {
        let kind = serde_json::to_value(f.kind)?
            .as_str()
            .unwrap_or("?")
            .to_owned();
        let req = if f.required { "required" } else { "" };
        say!(
            "  {:<18} {:<14} {:<9} {}",
            f.id,
            kind,
            req,
            f.label.get(lang)
        );
        if let Some(s) = f
            .section
            .as_deref()
            .and_then(|s| form.sections.iter().find(|x| x.id == s))
        {
            let when = s
                .relevant
                .as_ref()
                .map(|r| format!(", only when: {r}"))
                .unwrap_or_default();
            say!("  {:<18} in section: {}{when}", "", s.label.get(lang));
        }
        if let Some(r) = &f.relevant {
            say!("  {:<18} only when: {r}", "");
        }
        if let Some(c) = &f.constraint {
            let message = f
                .constraint_message
                .as_ref()
                .map(|m| m.get(lang))
                .unwrap_or("");
            say!("  {:<18} must meet: {c}  {message}", "");
        }
        if let Some(d) = &f.default {
            say!("  {:<18} starts as: {}", "", f.display(d, lang));
        }
        if !f.options.is_empty() {
            let opts: Vec<String> = f
                .options
                .iter()
                .map(|o| format!("{} ({})", o.id, o.label.get(lang)))
                .collect();
            say!("  {:<18} options: {}", "", opts.join(", "));
        }
    }
    Ok(())
}

pub(crate) fn summaries(list: &[RecordSummary]) -> Result<()> {
    if list.is_empty() {
        say!("No records.");
        return Ok(());
    }
    for r in list {
        let mut flags = String::new();
        if r.deleted {
            flags.push_str(" [deleted]");
        }
        if r.conflicts > 0 {
            flags.push_str(&format!(" [{} conflict(s)]", r.conflicts));
        }
        say!(
            "{}  {:<10} {}  {}{}",
            r.id,
            r.form,
            r.updated,
            r.title,
            flags
        );
    }
    Ok(())
}

/// Search results: each record's line, then its snippet with the matches in bold on
/// a terminal and in `[brackets]` otherwise.
pub(crate) fn found(list: &[RecordSummary], filtered: bool) -> Result<()> {
    use std::io::IsTerminal;
    if list.is_empty() {
        say!(
            "{}",
            if filtered {
                "No records match this search with these filters."
            } else {
                "No records match."
            }
        );
        return Ok(());
    }
    let bold = std::io::stdout().is_terminal();
    for r in list {
        summaries(std::slice::from_ref(r))?;
        if !r.snippet.is_empty() {
            crate::write_line(&format!("    {}", snippet(&r.snippet, bold)));
        }
    }
    Ok(())
}

/// A snippet as one line: every part neutralised as all record text is, then the
/// matches marked (the only escape sequences written are ours).
pub(crate) fn snippet(parts: &[SnippetPart], bold: bool) -> String {
    let mut out = String::new();
    for p in parts {
        let text = neutralise(&p.text, Escape::Text);
        match (p.hit, bold) {
            (false, _) => out.push_str(&text),
            (true, true) => out.push_str(&format!("\x1b[1m{text}\x1b[22m")),
            (true, false) => out.push_str(&format!("[{text}]")),
        }
    }
    out
}

pub(crate) fn record(r: &RecordView) -> Result<()> {
    say!("Record   {}", r.id);
    match r.form_version {
        Some(v) => say!("Form     {} (version {v})", r.form),
        None => say!("Form     {}", r.form),
    }
    say!("Created  {}", r.created);
    say!("Updated  {}", r.updated);
    if !r.assigned.is_empty() {
        say!("Assigned {}", r.assigned.join(", "));
    }
    if r.deleted {
        say!("Status   deleted (kept in history until purged)");
    }
    if r.delete_conflict {
        say!("Status   deleted on another device while edited here; both kept");
    }
    say!();
    let width = r.fields.iter().map(|f| f.label.width()).max().unwrap_or(0);
    for f in &r.fields {
        let label = pad(&f.label, width);
        match f.values.as_slice() {
            [one] => say!("{label}  {}", one.display),
            many => {
                say!("{label}  CONFLICT: {} values", many.len());
                for v in many {
                    say!(
                        "{}  - {}  ({}, {}, value {})",
                        " ".repeat(width),
                        v.display,
                        v.author,
                        v.time,
                        &v.op[..12.min(v.op.len())]
                    );
                }
            }
        }
    }
    if !r.attachments.is_empty() {
        say!();
        say!("Attachments");
        for a in &r.attachments {
            say!("  {}  {} bytes  blake3 {}", a.name, a.size, a.blake3);
        }
    }
    Ok(())
}

pub(crate) fn history(entries: &[HistoryEntry]) -> Result<()> {
    for e in entries {
        let kind = serde_json::to_value(e.kind)?
            .as_str()
            .unwrap_or("?")
            .to_owned();
        say!("{}  {:<6} by {} (#{})", e.time, kind, e.author, e.seq);
        if e.purged {
            say!("    (content purged)");
        }
        for c in &e.changes {
            say!("    {} = {}", c.field, c.shown);
        }
    }
    Ok(())
}

/// Pads to a display width, counting CJK characters as two columns.
fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(text.width())))
}

/// An audit export's verification: a line per device, then each anomaly.
pub(crate) fn audit(report: &satchel_audit::AuditReport) {
    let code = |c: satchel_audit::AnomalyCode| {
        serde_json::to_value(c)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    if report.organisation {
        say!("Each op checked against the organisation's membership at its time.");
    }
    for a in &report.organisation_anomalies {
        say!("Organisation: {}: {}", code(a.code), a.detail);
    }
    for d in &report.devices {
        let short = d.device.get(..16).unwrap_or(&d.device);
        let latest = d
            .latest_checkpoint
            .map_or_else(String::new, |s| format!(", the latest at {s}"));
        say!(
            "Device {short}…: {} op(s), {} in an unbroken chain, {} checkpoint(s){latest}: {}",
            d.ops,
            d.chain,
            d.checkpoints,
            if d.anomalies.is_empty() {
                "OK".to_owned()
            } else {
                count(d.anomalies.len(), "anomaly", "anomalies")
            }
        );
        for a in &d.anomalies {
            let at = match (a.seq, a.size) {
                (Some(seq), _) => format!(" (op {seq})"),
                (None, Some(size)) => format!(" (checkpoint at {size})"),
                (None, None) => String::new(),
            };
            say!("  {}{at}: {}", code(a.code), a.detail);
        }
    }
    for o in &report.openings {
        let short = o.record.get(..8).unwrap_or(&o.record);
        say!(
            "Record {short}… opened: {} op(s) open their commitments, {} held as headers only, {} void: {}",
            o.opened,
            o.withheld,
            o.void,
            if o.anomalies.is_empty() {
                "its replay gives the record exported".to_owned()
            } else {
                count(o.anomalies.len(), "anomaly", "anomalies")
            }
        );
        for a in &o.anomalies {
            let at = a.seq.map_or_else(String::new, |seq| format!(" (op {seq})"));
            say!("  {}{at}: {}", code(a.code), a.detail);
        }
    }
    if let Some(a) = &report.accepted {
        say!(
            "Accepted-ops log of the exporter: {} op(s), {} checkpoint(s): {}",
            a.ops,
            a.checkpoints,
            if a.anomalies.is_empty() {
                "OK".to_owned()
            } else {
                count(a.anomalies.len(), "anomaly", "anomalies")
            }
        );
        for x in &a.anomalies {
            let at = x
                .size
                .map_or_else(String::new, |s| format!(" (checkpoint at {s})"));
            say!("  {}{at}: {}", code(x.code), x.detail);
        }
    }
    say!(
        "{} device(s), {} op(s): {}.",
        report.devices.len(),
        report.devices.iter().map(|d| d.ops).sum::<u64>(),
        if report.anomalies == 0 {
            "nothing found".to_owned()
        } else {
            count(report.anomalies, "anomaly", "anomalies")
        }
    );
}

/// What an XLSForm holds, and what its import left out or changed.
pub(crate) fn xlsform_summary(s: &satchel_api::form_xlsform::Summary) {
    say!("Form `{}` version {}: {}", s.form, s.version, s.title);
    say!(
        "  {}, {}, {}, {}",
        count(s.fields, "field", "fields"),
        count(s.sections, "section", "sections"),
        count(
            s.rules,
            "skip-logic or constraint rule",
            "skip-logic and constraint rules"
        ),
        count(s.lists, "choice list", "choice lists")
    );
    for l in &s.languages {
        let name = if l.name.is_empty() {
            "(unnamed label column)"
        } else {
            &l.name
        };
        match &l.mapped {
            Some(m) => say!("  language {name}: shown as {m}"),
            None => {
                say!("  language {name}: kept with the form (the app shows en, ko and zh-Hans)")
            }
        }
    }
    for n in &s.notes {
        let place = match (n.row, &n.column) {
            (Some(r), Some(c)) => format!("{} row {r}, column `{c}`", n.sheet),
            (Some(r), None) => format!("{} row {r}", n.sheet),
            (None, Some(c)) => format!("{}, column `{c}`", n.sheet),
            (None, None) => n.sheet.clone(),
        };
        let more = if n.rows > 1 {
            format!(" ({} rows)", n.rows)
        } else {
            String::new()
        };
        let what = match n.code.as_str() {
            "presentation" => format!(
                "`{}` changes only how the form looks: left out",
                n.construct
            ),
            "metadata" => format!(
                "`{}` is filled by ODK itself: left out (each record's history says who and when)",
                n.construct
            ),
            "unused_calculation" => format!(
                "the calculation `{}` is used by no field: left out",
                n.construct
            ),
            "label_missing" => format!(
                "{} labels missing in {}: another language's is shown",
                n.rows, n.construct
            ),
            "ignored_column" => format!(
                "column `{}` has no meaning for Satchel: left out",
                n.construct
            ),
            "ignored_setting" => format!(
                "setting `{}` has no meaning for Satchel: left out",
                n.construct
            ),
            "read_only" => "read_only is not kept: the field can be edited".to_owned(),
            "barcode_as_text" => "barcode: typed as text".to_owned(),
            "version_not_number" => {
                format!("version `{}` is not a whole number: version 1", n.construct)
            }
            other => other.to_owned(),
        };
        if n.code == "label_missing" {
            say!("  note: {what}");
        } else {
            say!("  note ({place}{more}): {what}");
        }
    }
}

/// "1 field", "2 fields": the CLI speaks English, whose plural needs only the count.
pub(crate) fn count(n: impl TryInto<u64>, one: &str, many: &str) -> String {
    let n: u64 = n.try_into().unwrap_or(u64::MAX);
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_mark_matches_and_neutralise_record_text() {
        let parts = [
            SnippetPart {
                text: "他住在".into(),
                hit: false,
            },
            SnippetPart {
                text: "延吉".into(),
                hit: true,
            },
            SnippetPart {
                text: "\x1b[2J市".into(),
                hit: false,
            },
        ];
        assert_eq!(snippet(&parts, false), "他住在[延吉]\\u{1b}[2J市");
        assert_eq!(
            snippet(&parts, true),
            "他住在\x1b[1m延吉\x1b[22m\\u{1b}[2J市"
        );
    }

    #[test]
    fn counts_read_as_english_plurals() {
        assert_eq!(count(1u32, "section", "sections"), "1 section");
        assert_eq!(count(0usize, "section", "sections"), "0 sections");
        assert_eq!(count(2u64, "anomaly", "anomalies"), "2 anomalies");
    }
}
