//! Text for a terminal. Record values, form labels and peer names come from other
//! devices; printed raw, a control sequence in them could retitle the window, clear
//! the screen or hide lines, and a bidi override could make a name or an id read as
//! something else. Every control character (except newline and tab) and every bidi
//! formatting character is shown as a visible escape instead.

use std::borrow::Cow;

/// How a neutralised character is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
    /// `\u{202e}`, for people.
    Text,
    /// `\u202e`, a JSON string escape: the document still parses to the same value.
    Json,
}

/// Whether `c` must not reach a terminal as it is.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character escaped; borrowed when there is none.
pub(crate) fn neutralise(text: &str, escape: Escape) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        let code = u32::from(c);
        match escape {
            Escape::Text => out.push_str(&format!("\\u{{{code:x}}}")),
            Escape::Json => out.push_str(&format!("\\u{code:04x}")),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_become_visible() {
        let hostile = "A\u{1b}]0;owned\u{7}B\u{202e}gpj.exe\u{9b}2J\r";
        assert_eq!(
            neutralise(hostile, Escape::Text),
            "A\\u{1b}]0;owned\\u{7}B\\u{202e}gpj.exe\\u{9b}2J\\u{d}"
        );
        assert_eq!(neutralise("김철수\n\t王芳", Escape::Text), "김철수\n\t王芳");
        assert!(matches!(
            neutralise("plain", Escape::Text),
            Cow::Borrowed("plain")
        ));
    }

    #[test]
    fn json_escapes_still_parse_to_the_same_string() {
        let value = "x\u{202e}y\u{85}z\u{7f}";
        let json = serde_json::to_string(&value).unwrap();
        let shown = neutralise(&json, Escape::Json);
        assert!(!shown.chars().any(is_unsafe), "{shown}");
        let back: String = serde_json::from_str(&shown).unwrap();
        assert_eq!(back, value);
    }
}
