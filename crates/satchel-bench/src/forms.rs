//! Forms' figures: importing a long XLSForm in three languages, and checking a
//! 200-field form's skip logic and constraints on each keystroke.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rust_xlsxwriter::Workbook;
use satchel_api::form::{Form, Rules};
use serde_json::{Map, Value};

use crate::{peak_rss_kib, percentile, reset_peak};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A survey of `questions` rows in English, Korean and Chinese, in groups of 20 that
/// apply when a yes/no question before them is answered yes, with a constraint on
/// every number: what a long humanitarian survey looks like.
fn survey(questions: usize) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("survey")?;
    let head = [
        "type",
        "name",
        "label::English (en)",
        "label::한국어 (ko)",
        "label::中文 (zh)",
        "hint::English (en)",
        "hint::한국어 (ko)",
        "hint::中文 (zh)",
        "relevant",
        "constraint",
        "constraint_message::English (en)",
        "constraint_message::한국어 (ko)",
        "constraint_message::中文 (zh)",
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    let mut row = 1u32;
    let mut put = |cells: &[&str]| -> Result<()> {
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(row, c as u16, *v)?;
            }
        }
        row += 1;
        Ok(())
    };
    let mut open = false;
    for q in 0..questions {
        if q % 20 == 0 {
            if open {
                put(&["end group"])?;
            }
            let gate = format!("gate_{q}");
            put(&[
                "select_one yn",
                &gate,
                "Continue?",
                "계속할까요?",
                "继续吗？",
            ])?;
            let rel = format!("${{{gate}}} = 'yes'");
            let g = format!("part_{q}");
            put(&["begin group", &g, "Part", "부분", "部分", "", "", "", &rel])?;
            open = true;
        }
        let name = format!("q_{q}");
        let (en, ko, zh) = (
            format!("Question {q} about the household"),
            format!("가구에 관한 질문 {q}"),
            format!("关于家庭的问题 {q}"),
        );
        let cells: Vec<String> = match q % 4 {
            0 => vec![
                "integer".into(),
                name,
                en,
                ko,
                zh,
                "Count people".into(),
                "사람 수".into(),
                "人数".into(),
                String::new(),
                ". >= 0 and . <= 50".into(),
                "0 to 50".into(),
                "0에서 50".into(),
                "0到50".into(),
            ],
            1 => vec!["select_one yn".into(), name, en, ko, zh],
            2 => vec![
                "text".into(),
                name,
                en,
                ko,
                zh,
                String::new(),
                String::new(),
                String::new(),
                format!("${{q_{}}} = 'yes'", q - 1),
                "string-length(.) <= 200".into(),
            ],
            _ => vec!["date".into(), name, en, ko, zh],
        };
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        put(&refs)?;
    }
    if open {
        put(&["end group"])?;
    }
    let ch = wb.add_worksheet();
    ch.set_name("choices")?;
    for (r, cells) in [
        [
            "list_name",
            "name",
            "label::English (en)",
            "label::한국어 (ko)",
            "label::中文 (zh)",
        ],
        ["yn", "yes", "Yes", "예", "是"],
        ["yn", "no", "No", "아니요", "否"],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in cells.iter().enumerate() {
            ch.write_string(r as u32, c as u16, *v)?;
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// Values a person has typed so far into a form, the first `typed` fields filled.
fn answers(form: &Form, typed: usize) -> Map<String, Value> {
    let mut m = Map::new();
    for (i, f) in form.fields.iter().take(typed).enumerate() {
        let v = match f.kind {
            satchel_api::form::FieldType::Integer => Value::from(i % 40),
            satchel_api::form::FieldType::SingleChoice => Value::from("yes"),
            satchel_api::form::FieldType::Date => Value::from("1985-03"),
            _ => Value::from("김철수 金哲洙 Kim"),
        };
        m.insert(f.id.clone(), v);
    }
    m
}

pub(crate) fn figures(questions: usize, rule_fields: usize, keystrokes: usize) -> Result<()> {
    println!("\nForms: XLSForm import and rules");
    let bytes = survey(questions)?;
    // Import: the median of several reads, and the peak memory of one.
    let mut times = Vec::new();
    let mut fields = 0;
    let mut peak = 0;
    for _ in 0..7 {
        let before = {
            reset_peak();
            peak_rss_kib()
        };
        let t = Instant::now();
        let read = satchel_api::form_xlsform::read(&bytes, "survey.xlsx")
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        times.push(t.elapsed());
        peak = peak.max(peak_rss_kib().saturating_sub(before));
        fields = read.form.fields.len();
    }
    times.sort();
    println!(
        "  import of a {questions}-question XLSForm in 3 languages ({} KiB, {fields} fields): median {:.1} ms, peak memory above the process's {:.1} MiB",
        bytes.len() / 1024,
        ms(percentile(&times, 0.5)),
        peak as f64 / 1024.0
    );
    // Rules on each keystroke: a 200-field form, the whole check after each change.
    let form = satchel_api::form_xlsform::read(&survey(rule_fields)?, "survey.xlsx")
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .form;
    let with_rules = form
        .fields
        .iter()
        .filter(|f| f.relevant.is_some() || f.constraint.is_some() || f.section.is_some())
        .count();
    let rules = Rules::new(&form).context("rules")?;
    let mut values = answers(&form, form.fields.len());
    let mut lat: Vec<Duration> = Vec::with_capacity(keystrokes);
    let ids: Vec<String> = form.fields.iter().map(|f| f.id.clone()).collect();
    let mut hidden = 0;
    for k in 0..keystrokes {
        // A keystroke changes one field; the first gate flips now and then, hiding
        // and showing a whole part.
        let id = &ids[k % ids.len()];
        if k % 50 == 0 {
            values.insert(
                ids[0].clone(),
                Value::from(if k % 100 == 0 { "no" } else { "yes" }),
            );
        } else if let Some(Value::Number(n)) = values.get(id) {
            let n = n.as_u64().unwrap_or(0);
            values.insert(id.clone(), Value::from((n + 1) % 40));
        }
        let t = Instant::now();
        let out = rules.check(&form, &|f| values.get(f));
        lat.push(t.elapsed());
        hidden = hidden.max(out.hidden.len());
    }
    lat.sort();
    let t = Instant::now();
    let parsed = Rules::new(&form)?;
    let parse = t.elapsed();
    drop(parsed);
    println!(
        "  rules of a {}-field form ({with_rules} with a rule or in a section that has one), checked whole after each of {keystrokes} keystrokes: p50 {:.3} ms, p99 {:.3} ms (goal < 2 ms); up to {hidden} fields hidden; parsing the rules once {:.2} ms",
        form.fields.len(),
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99)),
        ms(parse)
    );
    Ok(())
}
