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

/// A piece of a search snippet: record text, and whether it is a match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetPart {
    /// The text.
    pub text: String,
    /// It matches a term of the query.
    pub hit: bool,
}

/// Characters a snippet shows before its first match, and in all.
const SNIPPET_BEFORE: usize = 24;
const SNIPPET_CHARS: usize = 96;

/// Lower case without diacritics, as `unicode61 remove_diacritics 2` compares words.
fn fold(word: &[char]) -> String {
    if word.iter().all(char::is_ascii) {
        return word.iter().map(char::to_ascii_lowercase).collect();
    }
    word.iter()
        .collect::<String>()
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where the terms of `query` occur in `text` (chars), each as a char range, and how
/// many different terms occur. The same rules as [`match_expression`]: a word
/// matches every word it begins (the whole word is marked, as FTS5 marks a token);
/// a CJK run matches wherever it occurs inside a CJK run.
fn hits(terms: &[Run], text: &[char]) -> (Vec<(usize, usize)>, usize) {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in text.iter().enumerate() {
        if c.is_alphanumeric() && !is_cjk(*c) {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            words.push((s, i));
        }
    }
    if let Some(s) = start {
        words.push((s, text.len()));
    }
    let folded: Vec<String> = words
        .iter()
        .map(|&(s, e)| text.get(s..e).map(fold).unwrap_or_default())
        .collect();
    let mut out = Vec::new();
    let mut matched = 0;
    for term in terms {
        let before = out.len();
        match term {
            Run::Word(w) => {
                let w = fold(&w.chars().collect::<Vec<_>>());
                for (&(s, e), f) in words.iter().zip(&folded) {
                    if f.starts_with(&w) {
                        out.push((s, e));
                    }
                }
            }
            Run::Cjk(chars) => {
                for (i, window) in text.windows(chars.len().max(1)).enumerate() {
                    if window == chars.as_slice() {
                        out.push((i, i + chars.len()));
                    }
                }
            }
        }
        if out.len() > before {
            matched += 1;
        }
    }
    out.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in out {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    (merged, matched)
}

/// A short piece of a record's text around what `query` matched, with the matches
/// marked: from the value in which most of the query's terms occur (the first such),
/// white space folded, cut with `…` at either end. Empty when no value shows a match.
/// It is record text: for the person who searched, never for a log or an error.
pub fn snippet<'a>(query: &str, values: impl IntoIterator<Item = &'a str>) -> Vec<SnippetPart> {
    let terms = runs(query);
    if terms.is_empty() {
        return Vec::new();
    }
    // The value's text, its matches, and how many terms it holds.
    type Best = (Vec<char>, Vec<(usize, usize)>, usize);
    let mut best: Option<Best> = None;
    for value in values {
        let mut text: Vec<char> = Vec::new();
        for c in value.nfc() {
            if c.is_whitespace() {
                if text.last().is_some_and(|l| *l != ' ') {
                    text.push(' ');
                }
            } else {
                text.push(c);
            }
        }
        if text.last() == Some(&' ') {
            text.pop();
        }
        let (ranges, matched) = hits(&terms, &text);
        if matched > 0 && best.as_ref().is_none_or(|b| matched > b.2) {
            best = Some((text, ranges, matched));
        }
    }
    let Some((text, ranges, _)) = best else {
        return Vec::new();
    };
    let first = ranges.first().copied().unwrap_or((0, 0));
    let mut start = first.0.saturating_sub(SNIPPET_BEFORE);
    let end = text.len().min((start + SNIPPET_CHARS).max(first.1));
    if end - start < SNIPPET_CHARS {
        start = end.saturating_sub(SNIPPET_CHARS);
    }
    let mut parts: Vec<SnippetPart> = Vec::new();
    let push = |from: usize, to: usize, hit: bool, parts: &mut Vec<SnippetPart>| {
        if from < to {
            parts.push(SnippetPart {
                text: text.get(from..to).unwrap_or_default().iter().collect(),
                hit,
            });
        }
    };
    let mut at = start;
    for (s, e) in ranges {
        let (s, e) = (s.max(at), e.min(end));
        if s >= e {
            continue;
        }
        push(at, s, false, &mut parts);
        push(s, e, true, &mut parts);
        at = e;
    }
    push(at, end, false, &mut parts);
    if start > 0 {
        parts.insert(
            0,
            SnippetPart {
                text: "…".to_owned(),
                hit: false,
            },
        );
    }
    if end < text.len() {
        parts.push(SnippetPart {
            text: "…".to_owned(),
            hit: false,
        });
    }
    parts
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
    fn marked(parts: &[SnippetPart]) -> String {
        parts
            .iter()
            .map(|p| {
                if p.hit {
                    format!("[{}]", p.text)
                } else {
                    p.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn snippets_mark_latin_words_by_prefix_without_case_or_accents() {
        assert_eq!(
            marked(&snippet(
                "kim mark",
                ["Met KIM Cheol-su at the\n market", "kim"]
            )),
            "Met [KIM] Cheol-su at the [market]"
        );
        assert_eq!(marked(&snippet("jose", ["José Martí"])), "[José] Martí");
        assert_eq!(marked(&snippet("josé", ["Jose"])), "[Jose]");
        // A word is matched at its start only, as FTS5 prefix queries are.
        assert_eq!(snippet("arket", ["market"]), vec![]);
        assert_eq!(snippet(" ,. ", ["market"]), vec![]);
    }

    #[test]
    fn snippets_mark_hangul_and_hanzi_substrings() {
        assert_eq!(
            marked(&snippet("철수", ["김철수를 시장에서 만났다"])),
            "김[철수]를 시장에서 만났다"
        );
        assert_eq!(
            marked(&snippet("延吉", ["他住在延吉市的朋友家，延吉很冷"])),
            "他住在[延吉]市的朋友家，[延吉]很冷"
        );
        assert_eq!(marked(&snippet("吉", ["延吉市"])), "延[吉]市");
        assert_eq!(
            marked(&snippet("Yanji 延吉", ["Yanji 延吉市 Kim"])),
            "[Yanji] [延吉]市 Kim"
        );
        // Decomposed Hangul in the record matches a composed query.
        let decomposed: String = "김철수".nfd().collect();
        assert_eq!(marked(&snippet("철수", [decomposed.as_str()])), "김[철수]");
    }

    #[test]
    fn snippets_come_from_the_value_with_most_terms_and_are_cut_around_the_match() {
        assert_eq!(
            marked(&snippet("bus yanji", ["bus", "Took the bus to Yanji"])),
            "Took the [bus] to [Yanji]"
        );
        let long = format!("{} needle {}", "a ".repeat(100), "b ".repeat(100));
        let parts = snippet("needle", [long.as_str()]);
        let text = marked(&parts);
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        assert!(text.contains("[needle]"), "{text}");
        let shown: usize = parts.iter().map(|p| p.text.chars().count()).sum();
        assert!(shown <= SNIPPET_CHARS + 2, "{shown}");
        // Near the end: the window moves back to stay full.
        let tail = format!("{} needle", "a ".repeat(100));
        let text = marked(&snippet("needle", [tail.as_str()]));
        assert!(
            text.starts_with('…') && text.ends_with("[needle]"),
            "{text}"
        );
        assert_eq!(snippet("zzz", ["abc"]), vec![]);
    }
}
