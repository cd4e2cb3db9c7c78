//! The verification report as one self-contained HTML file an auditor can hand on:
//! no script, no external resource, every text from the export escaped.

use std::fmt::Write as _;

use crate::export::AuditReport;

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn code(c: crate::AnomalyCode) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

const STYLE: &str = "body{font-family:sans-serif;margin:2rem;max-width:60rem}\
table{border-collapse:collapse;margin:0.5rem 0 1.5rem}\
td,th{border:1px solid #999;padding:0.25rem 0.5rem;text-align:left}\
.ok{color:#1b5e20}.found{color:#b71c1c}code{word-break:break-all}";

/// The report as HTML. `file` names the export checked; `checked_at` says when.
pub fn report_html(report: &AuditReport, file: &str, checked_at: &str) -> String {
    let mut h = String::new();
    let verdict = if report.anomalies == 0 {
        "<p class=\"ok\"><strong>Nothing found.</strong></p>".to_owned()
    } else {
        format!(
            "<p class=\"found\"><strong>{} {} found.</strong></p>",
            report.anomalies,
            if report.anomalies == 1 {
                "anomaly"
            } else {
                "anomalies"
            }
        )
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>Satchel audit report</title><style>{STYLE}</style></head><body>\
         <h1>Satchel audit report</h1><p>Export <code>{}</code>, checked {}.</p>{verdict}",
        esc(file),
        esc(checked_at)
    );
    let _ = write!(
        h,
        "<p>{} device(s), {} op(s). {}</p>",
        report.devices.len(),
        report.devices.iter().map(|d| d.ops).sum::<u64>(),
        if report.organisation {
            "Each op was checked against the organisation's membership at its time."
        } else {
            "No organisation: membership was not checked."
        }
    );
    for a in &report.organisation_anomalies {
        let _ = write!(
            h,
            "<p class=\"found\">Organisation: <code>{}</code> {}</p>",
            code(a.code),
            esc(&a.detail)
        );
    }
    h.push_str(
        "<h2>Devices</h2><table><tr><th>device</th><th>ops</th><th>unbroken chain</th>\
         <th>checkpoints</th><th>latest</th><th>anomalies</th></tr>",
    );
    for d in &report.devices {
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            esc(&d.device),
            d.ops,
            d.chain,
            d.checkpoints,
            d.latest_checkpoint
                .map_or_else(|| "—".to_owned(), |s| s.to_string()),
            if d.anomalies.is_empty() {
                "ok"
            } else {
                "found"
            },
            d.anomalies.len()
        );
    }
    h.push_str("</table><h2>Ops per month</h2><table><tr><th>device</th><th>month (UTC)</th><th>ops</th></tr>");
    for d in &report.devices {
        for (month, n) in &d.per_month {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{n}</td></tr>",
                esc(d.device.get(..16).unwrap_or(&d.device)),
                esc(month)
            );
        }
    }
    h.push_str("</table>");
    if !report.openings.is_empty() {
        h.push_str(
            "<h2>Records opened</h2><table><tr><th>record</th><th>ops opened</th>\
             <th>headers only</th><th>void</th><th>anomalies</th></tr>",
        );
        for o in &report.openings {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                esc(&o.record),
                o.opened,
                o.withheld,
                o.void,
                if o.anomalies.is_empty() {
                    "ok"
                } else {
                    "found"
                },
                o.anomalies.len()
            );
        }
        h.push_str("</table>");
    }
    if let Some(a) = &report.accepted {
        let _ = write!(
            h,
            "<h2>Accepted-ops log</h2><p>{} ops, {} checkpoints: <span class=\"{}\">{} anomalies</span></p>",
            a.ops,
            a.checkpoints,
            if a.anomalies.is_empty() {
                "ok"
            } else {
                "found"
            },
            a.anomalies.len()
        );
    }
    if report.anomalies > 0 {
        h.push_str(
            "<h2>Anomalies</h2><table><tr><th>device or record</th><th>code</th><th>op</th>\
             <th>checkpoint</th><th>detail</th></tr>",
        );
        let devices = report
            .devices
            .iter()
            .map(|d| (d.device.get(..16).unwrap_or(&d.device), &d.anomalies));
        let records = report
            .openings
            .iter()
            .map(|o| (o.record.get(..16).unwrap_or(&o.record), &o.anomalies));
        let accepted = report
            .accepted
            .iter()
            .map(|a| ("accepted-ops log", &a.anomalies));
        for (place, anomalies) in devices.chain(records).chain(accepted) {
            for a in anomalies {
                let _ = write!(
                    h,
                    "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(place),
                    code(a.code),
                    a.seq.map_or_else(String::new, |s| s.to_string()),
                    a.size.map_or_else(String::new, |s| s.to_string()),
                    esc(&a.detail)
                );
            }
        }
        h.push_str("</table>");
    }
    h.push_str("<p>Codes and checks: Satchel's docs/audit-format.md.</p></body></html>\n");
    h
}
