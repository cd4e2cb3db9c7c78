//! Full-text search text for FTS5, with CJK made searchable by substring.
//!
//! FTS5's `unicode61` tokenizer treats a run of Hangul or Han characters as one token,
//! so a two-character name inside a sentence would never match. Before indexing we
//! rewrite each CJK run as its overlapping bigrams plus its last character
//! (`김철수` → `김철 철수 수`); a query run of two or more characters becomes the phrase
//! of its bigrams, a single character a prefix. Other words pass through and are
//! matched by prefix. Text is NFC-normalised on both sides.

use unicode_normalization::UnicodeNormalization;

/// Whether `c` is written without spaces between words (Han, Hangul, Kana).
fn is_cjk(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x11FF | 0x3040..=0x30FF | 0x3130..=0x318F | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7AF | 0xD7B0..=0xD7FF
        | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

enum Run {
    Word(String),
    Cjk(Vec<char>),
}

fn runs(text: &str) -> Vec<Run> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut cjk: Vec<char> = Vec::new();
    for c in text.nfc() {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(Run::Word(std::mem::take(&mut word)));
            }
            cjk.push(c);
        } else {
            if !cjk.is_empty() {
                out.push(Run::Cjk(std::mem::take(&mut cjk)));
            }
            if c.is_alphanumeric() {
                word.extend(c.to_lowercase());
            } else if !word.is_empty() {
                out.push(Run::Word(std::mem::take(&mut word)));
            }
        }
    }
    if !word.is_empty() {
        out.push(Run::Word(word));
    }
    if !cjk.is_empty() {
        out.push(Run::Cjk(cjk));
    }
    out
}

fn bigrams(chars: &[char]) -> impl Iterator<Item = String> + '_ {
    chars.windows(2).map(|w| w.iter().collect())
}

/// The text to index for a record's searchable values.
pub fn index_text<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for value in values {
        for run in runs(value) {
            match run {
                Run::Word(w) => {
                    out.push_str(&w);
                    out.push(' ');
                }
                Run::Cjk(chars) => {
                    for b in bigrams(&chars) {
                        out.push_str(&b);
                        out.push(' ');
                    }
                    if let Some(last) = chars.last() {
                        out.push(*last);
                        out.push(' ');
                    }
                }
            }
        }
        out.push('\n');
    }
    out
}

/// An FTS5 MATCH expression for what a person typed, or `None` if it holds nothing
/// searchable. Every term must match (AND). Tokens hold only letters and digits, so
/// quoting them is enough to keep FTS5 syntax out.
pub fn match_expression(query: &str) -> Option<String> {
    let terms: Vec<String> = runs(query)
        .into_iter()
        .map(|run| match run {
            Run::Word(w) => format!("\"{w}\"*"),
            Run::Cjk(chars) if chars.len() == 1 => {
                format!("\"{}\"*", chars.iter().collect::<String>())
            }
            Run::Cjk(chars) => format!("\"{}\"", bigrams(&chars).collect::<Vec<_>>().join(" ")),
        })
        .collect();
    if terms.is_empty() {
        None
    } else {
        Some(terms.join(" AND "))
    }
}

/// The token that stands for a form in the index's `form` column: `f` and the name's
/// bytes in hex, so any name is one exact token.
pub fn form_token(form: &str) -> String {
    let mut out = String::with_capacity(1 + 2 * form.len());
    out.push('f');
    data_encoding::HEXLOWER.encode_append(form.as_bytes(), &mut out);
    out
}

/// The MATCH expression for a search, within `form` when given. What a person typed
/// is matched against record text only, never against the form tokens.
pub fn match_in(query: &str, form: Option<&str>) -> Option<String> {
    let expr = match_expression(query)?;
    Some(match form {
        Some(f) => format!("body : ({expr}) AND form : \"{}\"", form_token(f)),
        None => format!("body : ({expr})"),
    })
}

/// After content is erased (a purge, an offload): rewrites the search index from the
/// entries left. With FTS5's secure-delete a deleted row's positions go, but its
/// terms can stay in the segments' term lists, so the words of a purged record would
/// remain in the database; merging every segment into one keeps only live terms.
pub(crate) fn forget_erased(conn: &rusqlite::Connection) -> Result<(), crate::StoreError> {
    conn.execute("INSERT INTO search (search) VALUES ('optimize')", [])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_runs_become_bigrams_and_a_last_character() {
        assert_eq!(index_text(["김철수 Seoul"]), "김철 철수 수 seoul \n");
        assert_eq!(index_text(["王小明"]), "王小 小明 明 \n");
    }

    #[test]
    fn queries_quote_every_token() {
        assert_eq!(match_expression("철수").unwrap(), "\"철수\"");
        assert_eq!(match_expression("김철수").unwrap(), "\"김철 철수\"");
        assert_eq!(match_expression("수").unwrap(), "\"수\"*");
        assert_eq!(
            match_expression("Kim 철수").unwrap(),
            "\"kim\"* AND \"철수\""
        );
        assert_eq!(
            match_expression("\" OR * NEAR(").unwrap(),
            "\"or\"* AND \"near\"*"
        );
        assert_eq!(match_expression("  ,. "), None);
    }

    #[test]
    fn forms_are_single_tokens_and_queries_stay_in_the_text() {
        assert_eq!(form_token("case"), "f63617365");
        assert_eq!(form_token("field_visit-2"), "f6669656c645f76697369742d32");
        assert_eq!(match_in("kim", None).unwrap(), "body : (\"kim\"*)");
        assert_eq!(
            match_in("김철수 bus", Some("case")).unwrap(),
            "body : (\"김철 철수\" AND \"bus\"*) AND form : \"f63617365\""
        );
        assert_eq!(match_in(" ", Some("case")), None);
    }
}
