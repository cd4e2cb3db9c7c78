//! Skip logic and constraints: the subset of XPath 1.0 that XLSForm `relevant`,
//! `constraint` and `required` cells use, parsed once into a tree and evaluated
//! against a record's values with no I/O, clock or randomness.
//!
//! ```
//! use satchel_forms::expr::{Context, Expr, Val};
//!
//! struct Answers;
//! impl Context for Answers {
//!     fn field(&self, name: &str) -> Option<Val> {
//!         (name == "age").then(|| Val::Num(12.0))
//!     }
//!     fn current(&self) -> Option<Val> {
//!         Some(Val::Str("김철수".into()))
//!     }
//! }
//!
//! let rule = Expr::parse("${age} >= 5 and string-length(.) <= 40").unwrap();
//! assert!(rule.eval_bool(&Answers));
//! assert_eq!(rule.references().into_iter().collect::<Vec<_>>(), ["age"]);
//! assert!(Expr::parse("today() > ${dob}").is_err());
//! ```
//!
//! The subset, its conversion rules and its limits are specified in `docs/forms.md`
//! ("Skip logic and constraints"); `assets/forms/expr-vectors.json` holds the vectors.
//!
//! Expressions come inside forms that peers share, so both halves are bounded.
//! Parsing refuses a source over [`MAX_SOURCE_CHARS`], a tree deeper than
//! [`MAX_DEPTH`] (checked on the way down, before recursing, so no input can exhaust
//! the stack) and a call with more than [`MAX_ARGS`] arguments; `regex` patterns are
//! compiled once, at parse time, by the linear-time `regex` crate under a size limit.
//! Evaluation visits each node at most once (no loops, no recursion beyond the
//! tree's depth) and cannot fail: XPath's conversions give `NaN`, `""` or `false`.

use std::{borrow::Cow, collections::BTreeSet};

/// Most characters in an expression's source.
pub const MAX_SOURCE_CHARS: usize = 4_000;
/// Deepest nesting: parentheses, function calls, unary minus and operators together
/// (`not(not(1))` and `((1))` are 2 deep, `1 + 2 * 3` is 2, a literal 0).
pub const MAX_DEPTH: usize = 64;
/// Most arguments in one function call.
pub const MAX_ARGS: usize = 64;
/// Most characters in a `regex()` pattern.
pub const MAX_PATTERN_CHARS: usize = 1_000;
/// Most bytes a compiled `regex()` pattern (and its lazy DFA) may take.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Names that ODK offers but Satchel refuses: their value changes with the clock or
/// by chance, so two devices (or one device on two days) would judge the same record
/// differently, and a vault's checks must give the same answer wherever they run.
const NOT_DETERMINISTIC: &[&str] = &["today", "now", "random", "uuid"];

/// A parsed expression (an XLSForm `relevant`, `constraint` or `required` cell).
#[derive(Debug, Clone)]
pub struct Expr {
    source: String,
    root: Node,
    references: BTreeSet<String>,
    uses_current: bool,
}

/// Two expressions are equal when their source text is: the tree is a function of it.
impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Expr {}

/// A value during evaluation (XPath 1.0 types as ODK uses them).
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// A string; an empty or unknown field reads as `""`.
    Str(String),
    /// A number (IEEE double: `NaN` and infinities included).
    Num(f64),
    /// A boolean.
    Bool(bool),
}

/// What an expression reads: fields' values by name, and `.` (the value being checked).
pub trait Context {
    /// The value of field `name` (`${name}`), `None` when unknown or empty (treated as "").
    fn field(&self, name: &str) -> Option<Val>;
    /// The value `.` stands for, `None` when empty.
    fn current(&self) -> Option<Val>;
}

/// Why an expression was refused. Offsets count characters (not bytes) from 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExprError {
    /// Nothing but spaces.
    #[error("the expression is empty")]
    Empty,
    /// Longer than [`MAX_SOURCE_CHARS`].
    #[error("the expression is {chars} characters long; at most {max} are allowed")]
    TooLong {
        /// Characters given.
        chars: usize,
        /// Most allowed.
        max: usize,
    },
    /// A token that does not fit where it stands.
    #[error("at offset {at}: expected {expected}, found {found}")]
    Unexpected {
        /// Where the token starts.
        at: usize,
        /// What would have fitted.
        expected: String,
        /// What is there.
        found: String,
    },
    /// A string literal with no closing quote.
    #[error("the string starting at offset {at} has no closing `{quote}`")]
    UnterminatedString {
        /// Where the opening quote is.
        at: usize,
        /// The quote that is missing.
        quote: char,
    },
    /// `${` not followed by a field name and `}`.
    #[error(
        "expected a field name and `}}` after the `${{` at offset {at}: a name starts with a letter or `_` and goes on with letters, digits, `_`, `-` or `.`"
    )]
    BadField {
        /// Where the `$` is.
        at: usize,
    },
    /// A bare name: an XPath path, which the subset does not have.
    #[error(
        "`{name}` at offset {at} is not supported: read a field as ${{{name}}} and the value being checked as `.`"
    )]
    BareName {
        /// Where the name starts.
        at: usize,
        /// The name (shortened when long).
        name: String,
    },
    /// A function the subset does not have.
    #[error("unknown function `{name}()` at offset {at}; the functions are {FUNCTION_LIST}")]
    UnknownFunction {
        /// Where the name starts.
        at: usize,
        /// The name (shortened when long).
        name: String,
    },
    /// A function whose value depends on the clock or on chance.
    #[error(
        "`{name}()` at offset {at} is refused: its value depends on the clock or on chance, so two devices, or one device on two days, could judge the same record differently"
    )]
    NotDeterministic {
        /// Where the name starts.
        at: usize,
        /// The name.
        name: String,
    },
    /// A call with the wrong number of arguments.
    #[error("`{name}()` at offset {at} takes {expected}, not {found}")]
    Arity {
        /// Where the name starts.
        at: usize,
        /// The function.
        name: String,
        /// How many it takes, in words.
        expected: &'static str,
        /// How many were given.
        found: usize,
    },
    /// A call with more than [`MAX_ARGS`] arguments.
    #[error("`{name}()` at offset {at} has more than {max} arguments")]
    TooManyArguments {
        /// Where the name starts.
        at: usize,
        /// The function.
        name: String,
        /// Most allowed.
        max: usize,
    },
    /// Nested deeper than [`MAX_DEPTH`].
    #[error(
        "the expression nests deeper than {max} levels at offset {at} (parentheses, function calls and operators together)"
    )]
    TooDeep {
        /// Where the level that is one too many starts.
        at: usize,
        /// Most allowed.
        max: usize,
    },
    /// A `regex()` pattern that is not a string literal.
    #[error(
        "the pattern of `regex()` at offset {at} must be a string in quotes, written in the expression itself"
    )]
    PatternNotLiteral {
        /// Where the pattern argument starts.
        at: usize,
    },
    /// A `regex()` pattern longer than [`MAX_PATTERN_CHARS`].
    #[error(
        "the pattern of `regex()` at offset {at} is {chars} characters long; at most {max} are allowed"
    )]
    PatternTooLong {
        /// Where the pattern starts.
        at: usize,
        /// Characters given.
        chars: usize,
        /// Most allowed.
        max: usize,
    },
    /// A `regex()` pattern that does not compile.
    #[error("the pattern of `regex()` at offset {at} is not a valid regular expression: {reason}")]
    BadPattern {
        /// Where the pattern starts.
        at: usize,
        /// What is wrong with it.
        reason: String,
    },
}

impl ExprError {
    /// Where in the source the problem is (characters from 0), when it is at one place.
    pub fn offset(&self) -> Option<usize> {
        match self {
            Self::Empty | Self::TooLong { .. } => None,
            Self::Unexpected { at, .. }
            | Self::UnterminatedString { at, .. }
            | Self::BadField { at }
            | Self::BareName { at, .. }
            | Self::UnknownFunction { at, .. }
            | Self::NotDeterministic { at, .. }
            | Self::Arity { at, .. }
            | Self::TooManyArguments { at, .. }
            | Self::TooDeep { at, .. }
            | Self::PatternNotLiteral { at }
            | Self::PatternTooLong { at, .. }
            | Self::BadPattern { at, .. } => Some(*at),
        }
    }
}

impl Expr {
    /// Parses an expression; refuses anything outside the subset with the offset and
    /// what was expected.
    pub fn parse(src: &str) -> Result<Expr, ExprError> {
        let chars = src.chars().count();
        if chars > MAX_SOURCE_CHARS {
            return Err(ExprError::TooLong {
                chars,
                max: MAX_SOURCE_CHARS,
            });
        }
        let tokens = lex(&src.chars().collect::<Vec<_>>());
        if matches!(tokens.first(), Some(Token { tok: Tok::End, .. })) {
            return Err(ExprError::Empty);
        }
        let mut p = Parser {
            tokens,
            pos: 0,
            end: chars,
            nest: 0,
            references: BTreeSet::new(),
            uses_current: false,
        };
        let (root, _) = p.expr(0).map_err(|e| *e)?;
        if !p.is_next(|t| matches!(t, Tok::End)) {
            return Err(p.unexpected("an operator or the end of the expression".into()));
        }
        Ok(Expr {
            source: src.to_owned(),
            root,
            references: p.references,
            uses_current: p.uses_current,
        })
    }

    /// Field names read through `${name}`, sorted, unique.
    pub fn references(&self) -> BTreeSet<String> {
        self.references.clone()
    }

    /// Whether `.` appears (`string-length()` with no argument counts: it reads `.`).
    pub fn uses_current(&self) -> bool {
        self.uses_current
    }

    /// Evaluates; total (never panics, never errors at run time: XPath semantics give
    /// NaN, "", false).
    pub fn eval(&self, ctx: &dyn Context) -> Val {
        eval(&self.root, ctx).into_val()
    }

    /// `boolean(eval(...))` per XPath 1.0: number ≠ 0 and not NaN; string non-empty;
    /// bool itself.
    pub fn eval_bool(&self, ctx: &dyn Context) -> bool {
        eval(&self.root, ctx).truth()
    }

    /// The source text as given.
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl Val {
    /// XPath 1.0 `boolean()`: a number is true when neither 0 nor NaN, a string when
    /// not empty.
    pub fn to_bool(&self) -> bool {
        match self {
            Val::Str(s) => !s.is_empty(),
            Val::Num(n) => num_truth(*n),
            Val::Bool(b) => *b,
        }
    }

    /// XPath 1.0 `number()`: a string is a trimmed decimal (`" -2.5 "`) or NaN; true
    /// is 1, false 0.
    pub fn to_num(&self) -> f64 {
        match self {
            Val::Str(s) => str_to_num(s),
            Val::Num(n) => *n,
            Val::Bool(b) => bool_to_num(*b),
        }
    }

    /// XPath 1.0 `string()`: `3` not `3.0`, `0.5`, `NaN`, `Infinity`, `-Infinity`,
    /// `true`, `false`; never an exponent.
    pub fn to_str(&self) -> String {
        match self {
            Val::Str(s) => s.clone(),
            Val::Num(n) => num_to_str(*n),
            Val::Bool(b) => bool_to_str(*b).to_owned(),
        }
    }
}

// ---------------------------------------------------------------------------------
// Conversions (XPath 1.0 §4.2–4.4), shared by `Val` and evaluation.

/// XPath's whitespace (S in XML 1.0): what `number()` trims and choice lists split on.
fn is_xpath_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn num_truth(n: f64) -> bool {
    n != 0.0 && !n.is_nan()
}

fn bool_to_num(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

fn bool_to_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// XPath 1.0 §4.4: optional whitespace, an optional `-`, then `Digits ('.' Digits?)?`
/// or `'.' Digits`, optional whitespace; anything else (`+1`, `1e3`, `""`) is NaN.
fn str_to_num(s: &str) -> f64 {
    let t = s.trim_matches(is_xpath_space);
    let unsigned = t.strip_prefix('-').unwrap_or(t);
    let (int, frac) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (unsigned, None),
    };
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    let well_formed = digits(int)
        && frac.is_none_or(digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    if !well_formed {
        return f64::NAN;
    }
    t.parse().unwrap_or(f64::NAN)
}

/// XPath 1.0 §4.2: integers without `.0`, `-0` as `0`, no exponent. Rust's `Display`
/// for `f64` is the shortest decimal that reads back to the same number and never
/// uses an exponent, which is what XPath asks for.
fn num_to_str(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_owned()
    } else if n == f64::INFINITY {
        "Infinity".to_owned()
    } else if n == f64::NEG_INFINITY {
        "-Infinity".to_owned()
    } else if n == 0.0 {
        "0".to_owned()
    } else {
        format!("{n}")
    }
}

/// The ids in an ODK multiple-choice value: separated by spaces.
fn choices(list: &str) -> impl Iterator<Item = &str> {
    list.split(is_xpath_space).filter(|id| !id.is_empty())
}

/// XPath 1.0 `round()`: the nearest integer, halves towards positive infinity
/// (`round(-2.5)` is -2); `NaN` and infinities as they are. `floor(x + 0.5)` would
/// round 0.49999999999999994 up, hence the subtraction, which is exact.
fn round_half_up(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let floor = x.floor();
    let r = if x - floor >= 0.5 { floor + 1.0 } else { floor };
    if r == 0.0 && x.is_sign_negative() {
        -0.0
    } else {
        r
    }
}

/// ODK's `round(x, digits)`: to `digits` decimal places (tens, hundreds... when
/// negative), halves as in `round(x)`. In binary floating point, like JavaScript's
/// `Math.round(x * 100) / 100`: `round(1.005, 2)` is 1 because 1.005 × 100 is
/// 100.49999999999999 in doubles.
fn round_to(x: f64, digits: f64) -> f64 {
    if x.is_nan() || digits.is_nan() {
        return f64::NAN;
    }
    if !x.is_finite() {
        return x;
    }
    // Beyond ±400 places every finite double is already (or rounds to) itself or 0.
    let d = digits.trunc().clamp(-400.0, 400.0) as i32;
    let scale = 10f64.powi(d.saturating_abs());
    if d >= 0 {
        let scaled = x * scale;
        // Already a whole number at that scale: nothing to round.
        if !scaled.is_finite() || scaled.abs() >= 4_503_599_627_370_496.0 {
            return x;
        }
        round_half_up(scaled) / scale
    } else {
        let r = round_half_up(x / scale) * scale;
        // 0 × ∞ when the scale overflows: every finite number rounds to 0 there.
        if r.is_nan() { 0.0 } else { r }
    }
}

// ---------------------------------------------------------------------------------
// Tokens.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Field(String),
    Dot,
    /// A function name or an operator word (`and`, `or`, `div`, `mod`): which one
    /// depends on where it stands, as in XPath 1.0 §3.7.
    Name(String),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// A character that starts no token: reported when the parser reaches it, so
    /// errors come in the order they stand.
    Bad(Box<ExprError>),
    End,
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    tok: Tok,
    /// Offset in characters.
    at: usize,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Splits the source into tokens, ending with `End` or with the first `Bad`.
fn lex(chars: &[char]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        let (tok, len) = match c {
            c if is_xpath_space(c) => {
                i += 1;
                continue;
            }
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ',' => (Tok::Comma, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '*' => (Tok::Star, 1),
            '=' => (Tok::Eq, 1),
            '!' if next == Some('=') => (Tok::Ne, 2),
            '<' if next == Some('=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '>' if next == Some('=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '\'' | '"' => lex_string(chars, i, c),
            '$' => lex_field(chars, i),
            '0'..='9' => lex_number(chars, i),
            '.' if next.is_some_and(|d| d.is_ascii_digit()) => lex_number(chars, i),
            '.' => (Tok::Dot, 1),
            c if is_name_start(c) => lex_name(chars, i),
            '!' => (bad(i, "`!=` (negation is written `not(...)`)", c), 0),
            '/' => (
                bad(
                    i,
                    "a value or an operator (paths are not supported: read a field as ${name})",
                    c,
                ),
                0,
            ),
            _ => (bad(i, "a value or an operator", c), 0),
        };
        let stop = matches!(tok, Tok::Bad(_));
        tokens.push(Token { tok, at: i });
        if stop {
            return tokens;
        }
        i += len;
    }
    tokens.push(Token {
        tok: Tok::End,
        at: i,
    });
    tokens
}

fn bad(at: usize, expected: &str, c: char) -> Tok {
    Tok::Bad(Box::new(ExprError::Unexpected {
        at,
        expected: expected.to_owned(),
        found: describe_char(c),
    }))
}

/// A character as a message shows it: invisible ones by code point.
fn describe_char(c: char) -> String {
    if c.is_whitespace() || c.is_control() || c == '`' {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("`{c}`")
    }
}

/// `'...'` or `"..."`; XPath 1.0 has no escapes (a string holding `'` is quoted
/// with `"`).
fn lex_string(chars: &[char], start: usize, quote: char) -> (Tok, usize) {
    let body = chars.iter().skip(start + 1);
    match body.clone().position(|&c| c == quote) {
        Some(n) => (Tok::Str(body.take(n).collect()), n + 2),
        None => (
            Tok::Bad(Box::new(ExprError::UnterminatedString { at: start, quote })),
            0,
        ),
    }
}

/// `${name}`, as XLSForm writes a reference to another field.
fn lex_field(chars: &[char], start: usize) -> (Tok, usize) {
    if chars.get(start + 1) != Some(&'{') {
        let found = chars.get(start + 1).map_or_else(
            || "the end of the expression".to_owned(),
            |&c| describe_char(c),
        );
        let expected = "`{` after `$` (a field is read as ${name})".to_owned();
        return (
            Tok::Bad(Box::new(ExprError::Unexpected {
                at: start,
                expected,
                found,
            })),
            0,
        );
    }
    let mut name = String::new();
    let mut i = start + 2;
    while let Some(&c) = chars.get(i) {
        let fits = if name.is_empty() {
            is_name_start(c)
        } else {
            is_name_char(c)
        };
        if !fits {
            break;
        }
        name.push(c);
        i += 1;
    }
    if name.is_empty() || chars.get(i) != Some(&'}') {
        return (Tok::Bad(Box::new(ExprError::BadField { at: start })), 0);
    }
    (Tok::Field(name), i + 1 - start)
}

/// XPath 1.0 `Number`: `Digits ('.' Digits?)?` or `'.' Digits`; no sign, no exponent.
fn lex_number(chars: &[char], start: usize) -> (Tok, usize) {
    let digits_from = |i: usize| -> String {
        chars
            .iter()
            .skip(i)
            .take_while(|c| c.is_ascii_digit())
            .collect()
    };
    let mut text = digits_from(start);
    if chars.get(start + text.len()) == Some(&'.') {
        text.push('.');
        let frac = digits_from(start + text.len());
        text.push_str(&frac);
    }
    // ASCII only, so bytes are characters. Too many digits give infinity, as in XPath.
    let len = text.len();
    match text.parse::<f64>() {
        Ok(n) => (Tok::Num(n), len),
        Err(_) => (bad(start, "a number", '.'), 0),
    }
}

/// A function name or an operator word. XPath names may hold `-` and `.`
/// (`count-selected`), and a prefix (`jr:choice-name`), which is only read so that
/// the message can name the unsupported function.
fn lex_name(chars: &[char], start: usize) -> (Tok, usize) {
    let mut name = String::new();
    let mut i = start;
    while let Some(&c) = chars.get(i) {
        let prefix = c == ':' && chars.get(i + 1).is_some_and(|&n| is_name_start(n));
        if !(is_name_char(c) || prefix) {
            break;
        }
        name.push(c);
        i += 1;
    }
    (Tok::Name(name), i - start)
}

/// How a message shows a token.
fn describe(tok: &Tok) -> String {
    let fixed = match tok {
        Tok::Num(n) => return format!("the number {}", clip(&num_to_str(*n))),
        Tok::Str(s) => return format!("the string \"{}\"", clip(s)),
        Tok::Field(name) => return format!("the field ${{{}}}", clip(name)),
        Tok::Name(name) => return format!("`{}`", clip(name)),
        Tok::Dot => "`.`",
        Tok::LParen => "`(`",
        Tok::RParen => "`)`",
        Tok::Comma => "`,`",
        Tok::Plus => "`+`",
        Tok::Minus => "`-`",
        Tok::Star => "`*`",
        Tok::Eq => "`=`",
        Tok::Ne => "`!=`",
        Tok::Lt => "`<`",
        Tok::Le => "`<=`",
        Tok::Gt => "`>`",
        Tok::Ge => "`>=`",
        Tok::Bad(_) => "an invalid character",
        Tok::End => "the end of the expression",
    };
    fixed.to_owned()
}

/// A name or literal shortened for a message: a 4,000-character one helps nobody.
fn clip(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

// ---------------------------------------------------------------------------------
// The tree and the parser.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// The binary operator a token is, if any: `and`, `or`, `div` and `mod` are
/// operators where an operator may stand, as in XPath 1.0 §3.7.
fn operator(tok: &Tok) -> Option<Op> {
    match tok {
        Tok::Name(n) if n == "or" => Some(Op::Or),
        Tok::Name(n) if n == "and" => Some(Op::And),
        Tok::Eq => Some(Op::Eq),
        Tok::Ne => Some(Op::Ne),
        Tok::Lt => Some(Op::Lt),
        Tok::Le => Some(Op::Le),
        Tok::Gt => Some(Op::Gt),
        Tok::Ge => Some(Op::Ge),
        Tok::Plus => Some(Op::Add),
        Tok::Minus => Some(Op::Sub),
        Tok::Star => Some(Op::Mul),
        Tok::Name(n) if n == "div" => Some(Op::Div),
        Tok::Name(n) if n == "mod" => Some(Op::Mod),
        _ => None,
    }
}

/// Precedence, lowest first (XPath 1.0 §3.4–3.5); unary minus binds tighter still.
fn precedence(op: Op) -> usize {
    match op {
        Op::Or => 0,
        Op::And => 1,
        Op::Eq | Op::Ne => 2,
        Op::Lt | Op::Le | Op::Gt | Op::Ge => 3,
        Op::Add | Op::Sub => 4,
        Op::Mul | Op::Div | Op::Mod => 5,
    }
}

const OPERATOR_WORDS: [&str; 4] = ["and", "or", "div", "mod"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Not,
    True,
    False,
    Selected,
    CountSelected,
    StringLength,
    Regex,
    String,
    Number,
    Int,
    Boolean,
    If,
    Concat,
    Contains,
    StartsWith,
    EndsWith,
    Coalesce,
    Round,
    Abs,
    Min,
    Max,
}

/// Every function: name, meaning, fewest and most arguments.
const FUNCTIONS: &[(&str, Func, usize, usize)] = &[
    ("not", Func::Not, 1, 1),
    ("true", Func::True, 0, 0),
    ("false", Func::False, 0, 0),
    ("selected", Func::Selected, 2, 2),
    ("count-selected", Func::CountSelected, 1, 1),
    ("string-length", Func::StringLength, 0, 1),
    ("regex", Func::Regex, 2, 2),
    ("string", Func::String, 1, 1),
    ("number", Func::Number, 1, 1),
    ("int", Func::Int, 1, 1),
    ("boolean", Func::Boolean, 1, 1),
    ("if", Func::If, 3, 3),
    ("concat", Func::Concat, 1, MAX_ARGS),
    ("contains", Func::Contains, 2, 2),
    ("starts-with", Func::StartsWith, 2, 2),
    ("ends-with", Func::EndsWith, 2, 2),
    ("coalesce", Func::Coalesce, 2, 2),
    ("round", Func::Round, 1, 2),
    ("abs", Func::Abs, 1, 1),
    ("min", Func::Min, 1, MAX_ARGS),
    ("max", Func::Max, 1, MAX_ARGS),
];

/// The names in [`FUNCTIONS`], for messages (a test keeps the two in step).
const FUNCTION_LIST: &str = "not, true, false, selected, count-selected, string-length, regex, string, number, int, boolean, if, concat, contains, starts-with, ends-with, coalesce, round, abs, min, max";

fn arity_text(min: usize, max: usize) -> &'static str {
    match (min, max) {
        (0, 0) => "no arguments",
        (0, 1) => "no argument or 1",
        (1, 1) => "1 argument",
        (1, 2) => "1 or 2 arguments",
        (2, 2) => "2 arguments",
        (3, 3) => "3 arguments",
        _ => "at least 1 argument",
    }
}

#[derive(Debug, Clone)]
enum Node {
    Num(f64),
    Str(Box<str>),
    Field(Box<str>),
    Current,
    Neg(Box<Node>),
    /// Operators of one precedence level, left to right: `a - b + c` is one node, so
    /// a long flat sum or `or` list does not deepen the tree.
    Ops(Box<Node>, Vec<(Op, Node)>),
    Call(Func, Vec<Node>),
    /// `regex(subject, 'pattern')`, compiled when parsed.
    Regex(Box<Node>, Box<regex::Regex>),
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Offset of the end of the source.
    end: usize,
    /// Levels open on the way down (parentheses, calls, minus signs, operators):
    /// bounded before each recursion, so hostile nesting ends in an error, not a
    /// stack overflow.
    nest: usize,
    references: BTreeSet<String>,
    uses_current: bool,
}

/// Errors are boxed while parsing: every `?` on the recursive path copies the
/// result, and a small one keeps each level's stack frame small.
type PResult<T> = Result<T, Box<ExprError>>;

fn fail<T>(e: ExprError) -> PResult<T> {
    Err(Box::new(e))
}

#[cold]
#[inline(never)]
fn too_deep(at: usize) -> Box<ExprError> {
    Box::new(ExprError::TooDeep { at, max: MAX_DEPTH })
}

/// Parse results carry the height of the subtree they built, which is bounded by
/// [`MAX_DEPTH`] so evaluation and drop recurse no deeper either.
type Parsed = PResult<(Node, usize)>;

impl Parser {
    /// Where the next token starts.
    fn next_at(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |t| t.at)
    }

    fn peek(&self) -> Token {
        self.tokens.get(self.pos).cloned().unwrap_or(Token {
            tok: Tok::End,
            at: self.end,
        })
    }

    fn is_next(&self, f: impl Fn(&Tok) -> bool) -> bool {
        self.tokens.get(self.pos).is_some_and(|t| f(&t.tok))
    }

    /// Takes the next token out of the list.
    fn take(&mut self) -> Token {
        let end = Token {
            tok: Tok::End,
            at: self.end,
        };
        let token = match self.tokens.get_mut(self.pos) {
            Some(t) => std::mem::replace(t, end),
            None => end,
        };
        self.pos += 1;
        token
    }

    /// The error for the next token, which does not fit: a bad character's own
    /// error, or what was expected and what is there.
    fn unexpected(&self, mut expected: String) -> ExprError {
        let Token { tok, at } = self.peek();
        if let Tok::Bad(e) = tok {
            return *e;
        }
        if let Tok::Name(n) = &tok
            && OPERATOR_WORDS
                .iter()
                .any(|w| n.eq_ignore_ascii_case(w) && n != w)
        {
            expected.push_str(" (`and`, `or`, `div` and `mod` are written in lower case)");
        }
        ExprError::Unexpected {
            at,
            expected,
            found: describe(&tok),
        }
    }

    /// One more level open at `at`, refused past the limit before any recursion.
    fn enter(&mut self, at: usize) -> PResult<()> {
        self.nest += 1;
        if self.nest > MAX_DEPTH {
            return Err(too_deep(at));
        }
        Ok(())
    }

    /// The next token as an operator, if it is one whose precedence `accept`s.
    fn next_operator(&self, accept: impl Fn(usize) -> bool) -> Option<Op> {
        let op = operator(&self.tokens.get(self.pos)?.tok)?;
        accept(precedence(op)).then_some(op)
    }

    /// Operators of precedence `min` and tighter, by precedence climbing: the
    /// operators of one level in a row become one node, and descending to the
    /// operand of an operator counts as a level before it recurses.
    fn expr(&mut self, min: usize) -> Parsed {
        let (mut lhs, mut height) = self.unary()?;
        while let Some(first) = self.next_operator(|p| p >= min) {
            let level = precedence(first);
            let at = self.next_at();
            self.enter(at)?;
            let mut rest = Vec::new();
            while let Some(op) = self.next_operator(|p| p == level) {
                self.take();
                let (rhs, h) = self.expr(level + 1)?;
                height = height.max(h);
                rest.push((op, rhs));
            }
            self.nest -= 1;
            // The operand's subexpression binds tighter, so what follows is a
            // looser operator (or none): levels only go down in this loop.
            height += 1;
            if height > MAX_DEPTH {
                return Err(too_deep(at));
            }
            lhs = Node::Ops(Box::new(lhs), rest);
        }
        Ok((lhs, height))
    }

    /// `-x`, `--x`...: XPath's unary minus binds tighter than `*`.
    fn unary(&mut self) -> Parsed {
        let start = self.next_at();
        let mut minuses = 0;
        while self.is_next(|t| matches!(t, Tok::Minus)) {
            self.enter(self.next_at())?;
            self.take();
            minuses += 1;
        }
        let (mut node, height) = self.primary()?;
        self.nest -= minuses;
        for _ in 0..minuses {
            node = Node::Neg(Box::new(node));
        }
        let height = height + minuses;
        if height > MAX_DEPTH {
            return Err(too_deep(start));
        }
        Ok((node, height))
    }

    // The functions on the recursive path (`expr`, `unary`, `primary`, `group`,
    // `call`) keep few locals, and everything else is in functions they call and
    // return from: without optimisation each function's frame holds every local of
    // every branch, and MAX_DEPTH levels of it must fit a thread's stack.

    fn primary(&mut self) -> Parsed {
        let is_call = self.is_next(|t| matches!(t, Tok::Name(_)))
            && self
                .tokens
                .get(self.pos + 1)
                .is_some_and(|t| matches!(t.tok, Tok::LParen));
        if is_call {
            self.call()
        } else if self.is_next(|t| matches!(t, Tok::LParen)) {
            self.group()
        } else {
            self.leaf()
        }
    }

    /// `(expr)`. Parentheses count towards the depth although they build no node:
    /// the limit is on what an author sees.
    fn group(&mut self) -> Parsed {
        let at = self.take().at;
        self.enter(at)?;
        let (node, height) = self.expr(0)?;
        self.close_group(at)?;
        self.nest -= 1;
        if height >= MAX_DEPTH {
            return Err(too_deep(at));
        }
        Ok((node, height + 1))
    }

    #[inline(never)]
    fn close_group(&mut self, open: usize) -> PResult<()> {
        if !self.is_next(|t| matches!(t, Tok::RParen)) {
            return fail(self.unexpected(format!("`)` to close the `(` at offset {open}")));
        }
        self.take();
        Ok(())
    }

    /// A literal, `${field}` or `.`; anything else is an error here.
    #[inline(never)]
    fn leaf(&mut self) -> Parsed {
        let Token { tok, at } = self.take();
        match tok {
            Tok::Num(n) => Ok((Node::Num(n), 0)),
            Tok::Str(s) => Ok((Node::Str(s.into()), 0)),
            Tok::Field(name) => {
                let node = Node::Field(name.as_str().into());
                self.references.insert(name);
                Ok((node, 0))
            }
            Tok::Dot => {
                self.uses_current = true;
                Ok((Node::Current, 0))
            }
            Tok::Name(name) if OPERATOR_WORDS.contains(&name.as_str()) => {
                fail(ExprError::Unexpected {
                    at,
                    expected: "a value".into(),
                    found: format!("the operator `{name}`"),
                })
            }
            Tok::Name(name) => fail(ExprError::BareName {
                at,
                name: clip(&name),
            }),
            Tok::Bad(e) => Err(e),
            tok => fail(ExprError::Unexpected {
                at,
                expected: "a value".into(),
                found: describe(&tok),
            }),
        }
    }

    /// `name(args)`; the next tokens are a name and `(`.
    fn call(&mut self) -> Parsed {
        let callee = self.callee()?;
        let mut args = Vec::new();
        let mut starts = Vec::new();
        let mut height = 0;
        let mut done = self.is_next(|t| matches!(t, Tok::RParen));
        if done {
            self.take();
        }
        while !done {
            if args.len() == MAX_ARGS {
                return fail(callee.too_many());
            }
            starts.push(self.next_at());
            let (arg, h) = self.expr(0)?;
            height = height.max(h);
            args.push(arg);
            done = self.after_argument(&callee)?;
        }
        self.nest -= 1;
        self.finish_call(callee, args, &starts, height)
    }

    /// Reads a function's name and `(`, and opens its level.
    #[inline(never)]
    fn callee(&mut self) -> PResult<Callee> {
        let Token { tok, at } = self.take();
        self.take(); // `(`
        let Tok::Name(name) = tok else {
            return fail(ExprError::Unexpected {
                at,
                expected: "a function name".into(),
                found: describe(&tok),
            });
        };
        if NOT_DETERMINISTIC.contains(&name.as_str()) {
            return fail(ExprError::NotDeterministic { at, name });
        }
        let Some(&(_, func, min, max)) = FUNCTIONS.iter().find(|(n, ..)| *n == name) else {
            return fail(ExprError::UnknownFunction {
                at,
                name: clip(&name),
            });
        };
        self.enter(at)?;
        Ok(Callee {
            at,
            name,
            func,
            min,
            max,
        })
    }

    /// After an argument: `,` (more follow) or `)` (the last); true after the last.
    #[inline(never)]
    fn after_argument(&mut self, callee: &Callee) -> PResult<bool> {
        if self.is_next(|t| matches!(t, Tok::Comma)) {
            self.take();
            Ok(false)
        } else if self.is_next(|t| matches!(t, Tok::RParen)) {
            self.take();
            Ok(true)
        } else {
            fail(self.unexpected(format!(
                "`,` or `)` in the call of `{}()` at offset {}",
                callee.name, callee.at
            )))
        }
    }

    /// Checks a call's arity and depth and builds its node.
    #[inline(never)]
    fn finish_call(
        &mut self,
        callee: Callee,
        args: Vec<Node>,
        starts: &[usize],
        height: usize,
    ) -> Parsed {
        let Callee {
            at,
            name,
            func,
            min,
            max,
        } = callee;
        if args.len() < min || args.len() > max {
            return fail(ExprError::Arity {
                at,
                name,
                expected: arity_text(min, max),
                found: args.len(),
            });
        }
        if height >= MAX_DEPTH {
            return Err(too_deep(at));
        }
        let node = match func {
            Func::Regex => {
                let pattern_at = starts.get(1).copied().unwrap_or(at);
                let mut args = args.into_iter();
                let (Some(subject), Some(Node::Str(pattern))) = (args.next(), args.next()) else {
                    return fail(ExprError::PatternNotLiteral { at: pattern_at });
                };
                let regex = compile(&pattern, pattern_at)?;
                Node::Regex(Box::new(subject), Box::new(regex))
            }
            Func::StringLength if args.is_empty() => {
                // XPath 1.0 §4.2: with no argument, the length of the context node.
                self.uses_current = true;
                Node::Call(func, vec![Node::Current])
            }
            _ => Node::Call(func, args),
        };
        Ok((node, height + 1))
    }
}

/// A function being called, once its name is read.
struct Callee {
    at: usize,
    name: String,
    func: Func,
    min: usize,
    max: usize,
}

impl Callee {
    #[inline(never)]
    fn too_many(&self) -> ExprError {
        ExprError::TooManyArguments {
            at: self.at,
            name: self.name.clone(),
            max: MAX_ARGS,
        }
    }
}

/// Compiles a `regex()` pattern once, at parse time. The `regex` crate matches in
/// time linear in the text and refuses patterns that compile too big, so a hostile
/// form cannot stall a device.
fn compile(pattern: &str, at: usize) -> Result<regex::Regex, ExprError> {
    let chars = pattern.chars().count();
    if chars > MAX_PATTERN_CHARS {
        return Err(ExprError::PatternTooLong {
            at,
            chars,
            max: MAX_PATTERN_CHARS,
        });
    }
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| ExprError::BadPattern {
            at,
            reason: pattern_problem(&e),
        })
}

/// One line on what is wrong with a pattern (the `regex` crate's message repeats
/// the pattern over several lines).
fn pattern_problem(e: &regex::Error) -> String {
    match e {
        regex::Error::CompiledTooBig(_) => "it is too large once compiled".to_owned(),
        regex::Error::Syntax(text) => text
            .lines()
            .find_map(|l| l.trim().strip_prefix("error: "))
            .unwrap_or("it is not valid syntax")
            .to_owned(),
        _ => "it does not compile".to_owned(),
    }
}

// ---------------------------------------------------------------------------------
// Evaluation.

/// A value while evaluating: strings borrow from the tree when they can, so literals
/// cost no allocation.
#[derive(Debug, Clone)]
enum V<'e> {
    Str(Cow<'e, str>),
    Num(f64),
    Bool(bool),
}

impl<'e> V<'e> {
    const EMPTY: V<'static> = V::Str(Cow::Borrowed(""));

    fn from_val(v: Option<Val>) -> V<'e> {
        match v {
            None => V::EMPTY,
            Some(Val::Str(s)) => V::Str(Cow::Owned(s)),
            Some(Val::Num(n)) => V::Num(n),
            Some(Val::Bool(b)) => V::Bool(b),
        }
    }

    fn into_val(self) -> Val {
        match self {
            V::Str(s) => Val::Str(s.into_owned()),
            V::Num(n) => Val::Num(n),
            V::Bool(b) => Val::Bool(b),
        }
    }

    fn truth(&self) -> bool {
        match self {
            V::Str(s) => !s.is_empty(),
            V::Num(n) => num_truth(*n),
            V::Bool(b) => *b,
        }
    }

    fn num(&self) -> f64 {
        match self {
            V::Str(s) => str_to_num(s),
            V::Num(n) => *n,
            V::Bool(b) => bool_to_num(*b),
        }
    }

    fn string(&self) -> Cow<'_, str> {
        match self {
            V::Str(s) => Cow::Borrowed(s),
            V::Num(n) => Cow::Owned(num_to_str(*n)),
            V::Bool(b) => Cow::Borrowed(bool_to_str(*b)),
        }
    }

    fn into_string(self) -> Cow<'e, str> {
        match self {
            V::Str(s) => s,
            V::Num(n) => Cow::Owned(num_to_str(n)),
            V::Bool(b) => Cow::Borrowed(bool_to_str(b)),
        }
    }

    /// Whether `string()` of this is empty; numbers and booleans never are.
    fn is_empty_string(&self) -> bool {
        matches!(self, V::Str(s) if s.is_empty())
    }
}

/// XPath 1.0 §3.4 `=` for single values: as booleans if either is one, else as
/// numbers if either is one (NaN equals nothing), else as strings.
fn equal(a: &V<'_>, b: &V<'_>) -> bool {
    match (a, b) {
        (V::Bool(_), _) | (_, V::Bool(_)) => a.truth() == b.truth(),
        (V::Num(_), _) | (_, V::Num(_)) => a.num() == b.num(),
        (V::Str(x), V::Str(y)) => x == y,
    }
}

fn eval<'e>(node: &'e Node, ctx: &dyn Context) -> V<'e> {
    match node {
        Node::Num(n) => V::Num(*n),
        Node::Str(s) => V::Str(Cow::Borrowed(s)),
        Node::Field(name) => V::from_val(ctx.field(name)),
        Node::Current => V::from_val(ctx.current()),
        Node::Neg(x) => V::Num(-eval(x, ctx).num()),
        Node::Ops(first, rest) => {
            let mut acc = eval(first, ctx);
            for (op, x) in rest {
                acc = match op {
                    // A node holds one level, so an `or` node holds only `or`s: the
                    // first true operand decides (XPath 1.0 §3.4 leaves the rest
                    // unevaluated).
                    Op::Or if acc.truth() => return V::Bool(true),
                    Op::And if !acc.truth() => return V::Bool(false),
                    Op::Or | Op::And => V::Bool(eval(x, ctx).truth()),
                    op => apply(*op, &acc, &eval(x, ctx)),
                };
            }
            acc
        }
        Node::Call(func, args) => call(*func, args, ctx),
        Node::Regex(subject, regex) => V::Bool(regex.is_match(&eval(subject, ctx).string())),
    }
}

fn apply(op: Op, a: &V<'_>, b: &V<'_>) -> V<'static> {
    match op {
        Op::Eq => V::Bool(equal(a, b)),
        // For single values `!=` is the negation of `=` (so NaN != NaN).
        Op::Ne => V::Bool(!equal(a, b)),
        // Relational operators compare numbers; NaN makes them false.
        Op::Lt => V::Bool(a.num() < b.num()),
        Op::Le => V::Bool(a.num() <= b.num()),
        Op::Gt => V::Bool(a.num() > b.num()),
        Op::Ge => V::Bool(a.num() >= b.num()),
        Op::Add => V::Num(a.num() + b.num()),
        Op::Sub => V::Num(a.num() - b.num()),
        Op::Mul => V::Num(a.num() * b.num()),
        Op::Div => V::Num(a.num() / b.num()),
        // XPath's `mod` truncates like Java's and Rust's `%` (5 mod -2 is 1).
        Op::Mod => V::Num(a.num() % b.num()),
        // Handled with short-circuit in `eval`.
        Op::Or => V::Bool(a.truth() || b.truth()),
        Op::And => V::Bool(a.truth() && b.truth()),
    }
}

fn call<'e>(func: Func, args: &'e [Node], ctx: &dyn Context) -> V<'e> {
    let ev = |n: &'e Node| eval(n, ctx);
    let string_test = |a: &'e Node, b: &'e Node, test: fn(&str, &str) -> bool| {
        V::Bool(test(&ev(a).string(), &ev(b).string()))
    };
    match (func, args) {
        (Func::Not, [x]) => V::Bool(!ev(x).truth()),
        (Func::True, []) => V::Bool(true),
        (Func::False, []) => V::Bool(false),
        (Func::Selected, [list, id]) => {
            let (list, id) = (ev(list), ev(id));
            let id = id.string();
            let id = id.trim_matches(is_xpath_space);
            V::Bool(!id.is_empty() && choices(&list.string()).any(|c| c == id))
        }
        (Func::CountSelected, [list]) => V::Num(choices(&ev(list).string()).count() as f64),
        (Func::StringLength, [s]) => V::Num(ev(s).string().chars().count() as f64),
        (Func::String, [x]) => V::Str(ev(x).into_string()),
        (Func::Number, [x]) => V::Num(ev(x).num()),
        (Func::Int, [x]) => V::Num(ev(x).num().trunc()),
        (Func::Boolean, [x]) => V::Bool(ev(x).truth()),
        (Func::If, [cond, then, other]) => {
            if ev(cond).truth() {
                ev(then)
            } else {
                ev(other)
            }
        }
        (Func::Concat, parts) => {
            let mut out = String::new();
            for part in parts {
                out.push_str(&ev(part).string());
            }
            V::Str(Cow::Owned(out))
        }
        (Func::Contains, [a, b]) => string_test(a, b, |a, b| a.contains(b)),
        (Func::StartsWith, [a, b]) => string_test(a, b, |a, b| a.starts_with(b)),
        (Func::EndsWith, [a, b]) => string_test(a, b, |a, b| a.ends_with(b)),
        (Func::Coalesce, [a, b]) => {
            let a = ev(a);
            if a.is_empty_string() { ev(b) } else { a }
        }
        (Func::Round, [x]) => V::Num(round_half_up(ev(x).num())),
        (Func::Round, [x, digits]) => V::Num(round_to(ev(x).num(), ev(digits).num())),
        (Func::Abs, [x]) => V::Num(ev(x).num().abs()),
        (Func::Min | Func::Max, xs) => {
            let mut acc: Option<f64> = None;
            for x in xs {
                let n = ev(x).num();
                // Any NaN makes the result NaN (f64::min would skip it).
                if n.is_nan() {
                    return V::Num(f64::NAN);
                }
                acc = Some(match acc {
                    None => n,
                    Some(a) if func == Func::Min => a.min(n),
                    Some(a) => a.max(n),
                });
            }
            V::Num(acc.unwrap_or(f64::NAN))
        }
        // The parser checks every call's arity and builds `regex` as its own node,
        // so no other shape exists; evaluation is total all the same.
        _ => V::Num(f64::NAN),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// Fields `age` 12, `consent` "yes", `langs` "ko en", `name` "김철수", `zh`
    /// "李小龙", `zero` 0, `flag` true, `blank` ""; `.` is "12".
    struct Ctx {
        fields: HashMap<String, Val>,
        current: Option<Val>,
    }

    impl Context for Ctx {
        fn field(&self, name: &str) -> Option<Val> {
            self.fields.get(name).cloned()
        }
        fn current(&self) -> Option<Val> {
            self.current.clone()
        }
    }

    fn ctx() -> Ctx {
        let fields = [
            ("age", Val::Num(12.0)),
            ("consent", Val::Str("yes".into())),
            ("langs", Val::Str("ko en".into())),
            ("name", Val::Str("김철수".into())),
            ("zh", Val::Str("李小龙".into())),
            ("zero", Val::Num(0.0)),
            ("flag", Val::Bool(true)),
            ("blank", Val::Str(String::new())),
        ];
        Ctx {
            fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            current: Some(Val::Str("12".into())),
        }
    }

    fn ev(src: &str) -> Val {
        match Expr::parse(src) {
            Ok(e) => e.eval(&ctx()),
            Err(e) => panic!("{src}: {e}"),
        }
    }

    fn num(src: &str) -> f64 {
        match ev(src) {
            Val::Num(n) => n,
            other => panic!("{src} gave {other:?}"),
        }
    }

    fn yes(src: &str) -> bool {
        match ev(src) {
            Val::Bool(b) => b,
            other => panic!("{src} gave {other:?}"),
        }
    }

    fn text(src: &str) -> String {
        match ev(src) {
            Val::Str(s) => s,
            other => panic!("{src} gave {other:?}"),
        }
    }

    fn err(src: &str) -> ExprError {
        match Expr::parse(src) {
            Ok(e) => panic!("{src} parsed as {e:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn arithmetic_follows_ieee() {
        assert_eq!(num("1 + 2"), 3.0);
        assert_eq!(num("5 - 7"), -2.0);
        assert_eq!(num("2.5 * 4"), 10.0);
        assert_eq!(num("7 div 2"), 3.5);
        assert_eq!(num("7 mod 3"), 1.0);
        assert_eq!(num("5 mod -2"), 1.0);
        assert_eq!(num("-5 mod 2"), -1.0);
        assert_eq!(num("1 div 0"), f64::INFINITY);
        assert_eq!(num("-1 div 0"), f64::NEG_INFINITY);
        assert!(num("0 div 0").is_nan());
        assert!(num("5 mod 0").is_nan());
        assert_eq!(num("-(3)"), -3.0);
        assert_eq!(num("--3"), 3.0);
        assert_eq!(num(".5 + 12."), 12.5);
        assert_eq!(num("${age}-2"), 10.0);
        assert_eq!(num("${age}*${age}"), 144.0);
        assert!(num("${consent} + 1").is_nan());
        assert!(num("${blank} + 1").is_nan());
        assert!(num("${missing} + 1").is_nan());
        assert_eq!(num("true() + true()"), 2.0);
    }

    #[test]
    fn precedence_and_associativity_are_xpaths() {
        assert_eq!(num("1 + 2 * 3"), 7.0);
        assert_eq!(num("(1 + 2) * 3"), 9.0);
        assert_eq!(num("10 - 4 - 3"), 3.0);
        assert_eq!(num("8 div 4 div 2"), 1.0);
        assert_eq!(num("-2 * 3"), -6.0);
        assert_eq!(num("2 * -3"), -6.0);
        assert_eq!(num("1 - -1"), 2.0);
        assert_eq!(num("7 mod 4 * 2"), 6.0);
        // `or` binds loosest, then `and`, then `=`, then `<`.
        assert!(yes("1 = 1 or 1 = 2 and 1 = 2"));
        assert!(!yes("(1 = 1 or 1 = 2) and 1 = 2"));
        assert!(yes("1 < 2 = 2 < 3"));
        assert!(yes("3 > 2 > 1 = false()"));
        assert!(yes("1 = 1 = 1"));
        assert!(yes("1 + 1 = 2"));
    }

    #[test]
    fn equality_follows_the_type_rules() {
        // Either side boolean: compared as booleans.
        assert!(yes("${consent} = true()"));
        assert!(yes("${blank} = false()"));
        assert!(yes("${flag} = 1"));
        assert!(yes("${zero} = false()"));
        assert!(yes("'false' = true()"));
        // Else either side a number: compared as numbers.
        assert!(yes("${age} = '12'"));
        assert!(yes("${age} = ' 12 '"));
        assert!(!yes("${age} = 'twelve'"));
        assert!(yes("${age} != 'twelve'"));
        assert!(!yes("(0 div 0) = (0 div 0)"));
        assert!(yes("(0 div 0) != (0 div 0)"));
        // Else strings, exactly.
        assert!(yes("${consent} = 'yes'"));
        assert!(!yes("${consent} = 'Yes'"));
        assert!(yes("'1.0' != '1'"));
        assert!(yes("${name} = '김철수'"));
        assert!(yes("${missing} = ''"));
    }

    #[test]
    fn relational_operators_compare_numbers() {
        assert!(yes("${age} >= 12"));
        assert!(yes("${age} <= 12"));
        assert!(!yes("${age} > 12"));
        assert!(!yes("${age} < 12"));
        assert!(yes("'9' < '10'"));
        assert!(yes("true() > false()"));
        for op in ["<", "<=", ">", ">="] {
            assert!(!yes(&format!("${{blank}} {op} 1")), "{op}");
            assert!(!yes(&format!("'a' {op} 'b'")), "{op}");
        }
        assert!(yes(". > 11"));
    }

    #[test]
    fn logic_short_circuits_and_converts() {
        assert!(yes("1 and 'x'"));
        assert!(!yes("1 and ''"));
        assert!(yes("0 or ${consent}"));
        assert!(!yes("0 or ${blank} or 0 div 0"));
        assert!(yes("not(${blank})"));
        assert!(!yes("not(${consent})"));
        assert!(yes("true() and not(false())"));
        assert_eq!(ev("1 or 0"), Val::Bool(true));
    }

    #[test]
    fn conversions_to_number() {
        let n = |s: &str| Val::Str(s.into()).to_num();
        assert_eq!(n("12"), 12.0);
        assert_eq!(n(" 12 "), 12.0);
        assert_eq!(n("\t-2.5\n"), -2.5);
        assert_eq!(n(".5"), 0.5);
        assert_eq!(n("5."), 5.0);
        assert_eq!(n("-.5"), -0.5);
        assert_eq!(n("007"), 7.0);
        for nan in [
            "", " ", "-", ".", "-.", "+1", "1e3", "1E3", "0x10", "1,5", "١٢", "１２", "NaN",
            "Infinity", "1 2", "--1", "\u{a0}1",
        ] {
            assert!(n(nan).is_nan(), "{nan:?}");
        }
        assert_eq!(Val::Bool(true).to_num(), 1.0);
        assert_eq!(Val::Bool(false).to_num(), 0.0);
        assert_eq!(num("number('  3  ')"), 3.0);
        assert!(num("number('abc')").is_nan());
    }

    #[test]
    fn conversions_to_string() {
        let s = |n: f64| Val::Num(n).to_str();
        assert_eq!(s(3.0), "3");
        assert_eq!(s(-3.0), "-3");
        assert_eq!(s(0.5), "0.5");
        assert_eq!(s(-0.0), "0");
        assert_eq!(s(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(s(1e21), "1000000000000000000000");
        assert_eq!(s(1e-7), "0.0000001");
        assert_eq!(s(f64::NAN), "NaN");
        assert_eq!(s(f64::INFINITY), "Infinity");
        assert_eq!(s(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(Val::Bool(true).to_str(), "true");
        assert_eq!(Val::Bool(false).to_str(), "false");
        assert_eq!(text("string(1 div 0)"), "Infinity");
        assert_eq!(text("string(${age} div 8)"), "1.5");
        assert_eq!(text("string(${missing})"), "");
    }

    #[test]
    fn conversions_to_boolean() {
        assert!(!Val::Num(0.0).to_bool());
        assert!(!Val::Num(-0.0).to_bool());
        assert!(!Val::Num(f64::NAN).to_bool());
        assert!(Val::Num(-1.0).to_bool());
        assert!(Val::Num(f64::INFINITY).to_bool());
        assert!(!Val::Str(String::new()).to_bool());
        assert!(Val::Str("false".into()).to_bool());
        assert!(Val::Str(" ".into()).to_bool());
        assert!(yes("boolean('0')"));
        assert!(!yes("boolean(0)"));
        let e = Expr::parse("${age} - 12").unwrap();
        assert!(!e.eval_bool(&ctx()));
    }

    #[test]
    fn choice_functions() {
        assert!(yes("selected(${langs}, 'ko')"));
        assert!(yes("selected(${langs}, 'en')"));
        assert!(yes("selected(${langs}, ' en ')"));
        assert!(!yes("selected(${langs}, 'k')"));
        assert!(!yes("selected(${langs}, 'ko en')"));
        assert!(!yes("selected(${langs}, '')"));
        assert!(!yes("selected(${missing}, 'ko')"));
        assert!(yes("selected('  a\tb  ', 'b')"));
        assert!(yes("selected(12, ${age})"));
        assert_eq!(num("count-selected(${langs})"), 2.0);
        assert_eq!(num("count-selected('  a  b c ')"), 3.0);
        assert_eq!(num("count-selected(${missing})"), 0.0);
    }

    #[test]
    fn string_functions_count_characters() {
        assert_eq!(num("string-length(${name})"), 3.0);
        assert_eq!(num("string-length(${zh})"), 3.0);
        assert_eq!(num("string-length('')"), 0.0);
        assert_eq!(num("string-length(12.5)"), 4.0);
        assert_eq!(num("string-length()"), 2.0);
        assert_eq!(
            text("concat(${name}, ' ', ${age}, '/', true())"),
            "김철수 12/true"
        );
        assert_eq!(text("concat('x')"), "x");
        assert!(yes("contains(${name}, '철')"));
        assert!(yes("contains('abc', '')"));
        assert!(!yes("contains('abc', 'd')"));
        assert!(yes("starts-with(${zh}, '李')"));
        assert!(!yes("starts-with(${zh}, '龙')"));
        assert!(yes("ends-with(${zh}, '龙')"));
        assert!(yes("ends-with(${age}, '2')"));
        assert_eq!(text("string(${flag})"), "true");
    }

    #[test]
    fn regex_matches_anywhere_unless_anchored() {
        assert!(yes("regex(${consent}, 'es')"));
        assert!(!yes("regex(${consent}, '^es$')"));
        assert!(yes("regex(., '^[0-9]{2}$')"));
        assert!(yes("regex(${name}, '^\\p{Hangul}+$')"));
        assert!(yes("regex(${zh}, '^\\p{Han}{2,4}$')"));
        assert!(!yes("regex(${missing}, '.')"));
        assert!(yes("regex(${missing}, '^$')"));
        assert!(yes("regex(${age} * 2, '^24$')"));
        assert!(yes("regex(., (\"^1\"))"));
    }

    #[test]
    fn number_functions() {
        assert_eq!(num("int(2.7)"), 2.0);
        assert_eq!(num("int(-2.7)"), -2.0);
        assert_eq!(num("int('12.9')"), 12.0);
        assert!(num("int('x')").is_nan());
        assert_eq!(num("round(2.5)"), 3.0);
        assert_eq!(num("round(-2.5)"), -2.0);
        assert_eq!(num("round(2.4)"), 2.0);
        assert_eq!(num("round(0.49999999999999994)"), 0.0);
        assert!(num("round(-0.2)").is_sign_negative());
        assert_eq!(num("round(1.23456, 2)"), 1.23);
        assert_eq!(num("round(1.23456, 4)"), 1.2346);
        assert_eq!(num("round(1234.5, -2)"), 1200.0);
        assert_eq!(num("round(1250, -2)"), 1300.0);
        assert_eq!(num("round(2.5, 0)"), 3.0);
        assert_eq!(num("round(1.5, 400)"), 1.5);
        assert_eq!(round_to(1e300, 5.0), 1e300);
        assert_eq!(round_to(-1e300, -5.0), -1e300);
        assert_eq!(num("round(123, -400)"), 0.0);
        assert_eq!(num("round(1 div 0, 2)"), f64::INFINITY);
        assert!(num("round(1, 'x')").is_nan());
        assert!(num("round(${blank})").is_nan());
        assert_eq!(num("abs(-3.5)"), 3.5);
        assert_eq!(num("min(3, 1, 2)"), 1.0);
        assert_eq!(num("max(3, 1, 2)"), 3.0);
        assert_eq!(num("max(${age})"), 12.0);
        assert!(num("max(1, ${blank})").is_nan());
        assert!(num("min(0 div 0, 1)").is_nan());
        assert_eq!(num("number(true())"), 1.0);
    }

    #[test]
    fn control_functions() {
        assert_eq!(text("if(${age} < 18, 'minor', 'adult')"), "minor");
        assert_eq!(ev("if(${blank}, 1, 'x')"), Val::Str("x".into()));
        assert_eq!(ev("coalesce(${blank}, ${age})"), Val::Num(12.0));
        assert_eq!(ev("coalesce(${missing}, 'none')"), Val::Str("none".into()));
        assert_eq!(ev("coalesce(${name}, 'none')"), Val::Str("김철수".into()));
        assert_eq!(ev("coalesce(${zero}, 5)"), Val::Num(0.0));
        assert!(yes("boolean(${consent})"));
        assert!(yes("true()"));
        assert!(!yes("false()"));
    }

    #[test]
    fn references_and_current_are_reported() {
        let e = Expr::parse("${b} > 1 and ${a} = ${b} or selected(${multi-part.x}, 'y')").unwrap();
        assert_eq!(
            e.references().into_iter().collect::<Vec<_>>(),
            ["a", "b", "multi-part.x"]
        );
        assert!(!e.uses_current());
        assert!(Expr::parse(". > 1").unwrap().uses_current());
        assert!(Expr::parse("string-length() < 5").unwrap().uses_current());
        assert!(
            Expr::parse("${이름} != ''")
                .unwrap()
                .references()
                .contains("이름")
        );
        let e = Expr::parse(" 1 + 1 ").unwrap();
        assert_eq!(e.source(), " 1 + 1 ");
        assert_eq!(e, Expr::parse(" 1 + 1 ").unwrap());
        assert_ne!(e, Expr::parse("1 + 1").unwrap());
    }

    #[test]
    fn empty_and_unknown_values_read_as_empty_strings() {
        let none = Ctx {
            fields: HashMap::new(),
            current: None,
        };
        let e = Expr::parse(". = '' and ${x} = '' and string-length(.) = 0").unwrap();
        assert!(e.eval_bool(&none));
        assert_eq!(
            Expr::parse(".").unwrap().eval(&none),
            Val::Str(String::new())
        );
    }

    #[test]
    fn every_parse_error_kind_is_reported_with_its_place() {
        assert_eq!(err(""), ExprError::Empty);
        assert_eq!(err(" \t\n"), ExprError::Empty);
        assert_eq!(
            err(&"1".repeat(MAX_SOURCE_CHARS + 1)),
            ExprError::TooLong {
                chars: 4001,
                max: 4000
            }
        );
        // Characters, not bytes: 4,000 Hangul syllables are 12,000 bytes.
        assert!(matches!(
            err(&format!("'{}'", "가".repeat(MAX_SOURCE_CHARS - 1))),
            ExprError::TooLong { chars: 4001, .. }
        ));
        assert!(Expr::parse(&format!("'{}'", "가".repeat(MAX_SOURCE_CHARS - 2))).is_ok());

        let e = err("1 +");
        assert_eq!(e.offset(), Some(3));
        assert_eq!(
            e.to_string(),
            "at offset 3: expected a value, found the end of the expression"
        );
        assert_eq!(
            err("(1 + 2").to_string(),
            "at offset 6: expected `)` to close the `(` at offset 0, found the end of the expression"
        );
        assert!(
            err("1 AND 2")
                .to_string()
                .contains("are written in lower case")
        );
        assert!(
            err("${a} ${b}")
                .to_string()
                .contains("found the field ${b}")
        );
        assert!(matches!(err("and 1"), ExprError::Unexpected { at: 0, .. }));
        assert!(matches!(
            err("1 = = 2"),
            ExprError::Unexpected { at: 4, .. }
        ));
        assert!(matches!(err("1 ! 2"), ExprError::Unexpected { at: 2, .. }));
        assert!(
            err("/data/age")
                .to_string()
                .contains("paths are not supported")
        );
        assert!(matches!(err("1 # 2"), ExprError::Unexpected { at: 2, .. }));
        assert!(err("1\u{3000}+ 1").to_string().contains("U+3000"));
        assert!(matches!(err("$age"), ExprError::Unexpected { at: 0, .. }));
        assert!(matches!(err("* 2"), ExprError::Unexpected { at: 0, .. }));
        assert!(matches!(err("1 2"), ExprError::Unexpected { at: 2, .. }));
        assert!(matches!(err("1..2"), ExprError::Unexpected { at: 2, .. }));
        assert!(matches!(
            err("not(1,)"),
            ExprError::Unexpected { at: 6, .. }
        ));
        assert!(matches!(
            err("not(1 2)"),
            ExprError::Unexpected { at: 6, .. }
        ));
        assert!(matches!(err(")"), ExprError::Unexpected { at: 0, .. }));

        assert_eq!(
            err("1 + 'abc"),
            ExprError::UnterminatedString { at: 4, quote: '\'' }
        );
        assert_eq!(
            err("\"abc' = 1"),
            ExprError::UnterminatedString { at: 0, quote: '"' }
        );
        // Errors come in the order they stand: the operand is missing before the
        // string is seen to be open.
        assert!(matches!(
            err("1 + * 'abc"),
            ExprError::Unexpected { at: 4, .. }
        ));

        for bad in ["${}", "${1a}", "${a b}", "${a", "${a+b}", "${-a}"] {
            assert_eq!(err(bad), ExprError::BadField { at: 0 }, "{bad}");
        }
        assert_eq!(
            err("age > 1"),
            ExprError::BareName {
                at: 0,
                name: "age".into()
            }
        );
        assert!(err("age > 1").to_string().contains("${age}"));
        assert_eq!(
            err("1 + substr(., 1, 2)"),
            ExprError::UnknownFunction {
                at: 4,
                name: "substr".into()
            }
        );
        assert!(matches!(
            err("jr:choice-name(., 'x')"),
            ExprError::UnknownFunction { name, .. } if name == "jr:choice-name"
        ));
        assert!(matches!(err("NOT(1)"), ExprError::UnknownFunction { .. }));
        for f in ["today()", "now()", "random()", "uuid()"] {
            let e = err(&format!("{f} > ${{dob}}"));
            assert!(
                matches!(e, ExprError::NotDeterministic { at: 0, .. }),
                "{f}"
            );
            assert!(e.to_string().contains("clock"), "{e}");
        }
        assert_eq!(
            err("x = 1 or selected(${a})"),
            ExprError::BareName {
                at: 0,
                name: "x".into()
            }
        );
        assert_eq!(
            err("selected(${a})"),
            ExprError::Arity {
                at: 0,
                name: "selected".into(),
                expected: "2 arguments",
                found: 1
            }
        );
        assert_eq!(
            err("true(1)").to_string(),
            "`true()` at offset 0 takes no arguments, not 1"
        );
        assert!(matches!(err("if(1, 2)"), ExprError::Arity { found: 2, .. }));
        assert!(matches!(err("round()"), ExprError::Arity { found: 0, .. }));
        assert!(matches!(err("concat()"), ExprError::Arity { found: 0, .. }));
        assert!(matches!(
            err("string-length(1, 2)"),
            ExprError::Arity { .. }
        ));
        let many = format!("concat({})", vec!["'a'"; MAX_ARGS + 1].join(","));
        assert!(matches!(
            err(&many),
            ExprError::TooManyArguments { at: 0, max: 64, .. }
        ));
        assert!(Expr::parse(&format!("concat({})", vec!["'a'"; MAX_ARGS].join(","))).is_ok());
        assert_eq!(
            err("regex(., ${pattern})"),
            ExprError::PatternNotLiteral { at: 9 }
        );
        assert!(matches!(
            err("regex(., concat('a', 'b'))"),
            ExprError::PatternNotLiteral { .. }
        ));
        assert!(matches!(
            err(&format!(
                "regex(., '{}')",
                "a".repeat(MAX_PATTERN_CHARS + 1)
            )),
            ExprError::PatternTooLong { at: 9, .. }
        ));
        let e = err("regex(., '(ab')");
        assert!(matches!(e, ExprError::BadPattern { at: 9, .. }), "{e:?}");
        assert!(e.to_string().contains("unclosed group"), "{e}");
        assert!(!e.to_string().contains('\n'), "{e}");
        // Backreferences and lookaround are Java's, not the linear-time engine's.
        assert!(matches!(
            err("regex(., '(a)\\1')"),
            ExprError::BadPattern { .. }
        ));
        assert!(matches!(
            err("regex(., '(?=a)')"),
            ExprError::BadPattern { .. }
        ));
        let e = err("regex(., '(?:a{1000}){1000}')");
        assert_eq!(
            e,
            ExprError::BadPattern {
                at: 9,
                reason: "it is too large once compiled".into()
            }
        );
    }

    /// `((…(1)…))` `n` deep, and the same with other kinds of nesting.
    fn nested(n: usize) -> [String; 5] {
        [
            format!("{}1{}", "(".repeat(n), ")".repeat(n)),
            format!("{}1{}", "not(".repeat(n), ")".repeat(n)),
            format!("{}1", "-".repeat(n)),
            format!("{}1{}", "(1 + ".repeat(n), ")".repeat(n)),
            format!("{}1{}", "-(".repeat(n / 2), ")".repeat(n / 2)),
        ]
    }

    #[test]
    fn nesting_is_bounded_without_exhausting_the_stack() {
        // A small stack: the parser must refuse long before it is used up, and
        // evaluation and drop stay within the accepted depth.
        let worker = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                for src in nested(MAX_DEPTH) {
                    if src.starts_with("(1 + ") {
                        // Each level is a parenthesis and an operator.
                        assert!(Expr::parse(&src).is_err());
                        let ok = &nested(MAX_DEPTH / 2)[3];
                        assert_eq!(Expr::parse(ok).unwrap().eval(&ctx()), Val::Num(33.0));
                        continue;
                    }
                    let e = Expr::parse(&src).unwrap_or_else(|e| panic!("{src}: {e}"));
                    assert!(e.eval_bool(&ctx()), "{src}");
                }
                for src in nested(MAX_DEPTH + 2) {
                    assert!(
                        matches!(Expr::parse(&src), Err(ExprError::TooDeep { max: 64, .. })),
                        "{src}"
                    );
                }
                for src in nested(MAX_SOURCE_CHARS) {
                    let short: String = src.chars().take(MAX_SOURCE_CHARS).collect();
                    assert!(
                        matches!(Expr::parse(&short), Err(ExprError::TooDeep { .. })),
                        "{}",
                        &short[..20]
                    );
                }
                // A long flat list is one level, however long.
                let flat = vec!["${age}"; 400].join(" + ");
                assert_eq!(Expr::parse(&flat).unwrap().eval(&ctx()), Val::Num(4800.0));
                let ors = vec!["selected(${langs}, 'x')"; 120].join(" or ");
                assert!(!Expr::parse(&ors).unwrap().eval_bool(&ctx()));
            })
            .unwrap();
        worker.join().unwrap();
        assert_eq!(
            err(&format!("{}1{}", "(".repeat(65), ")".repeat(65))),
            ExprError::TooDeep { at: 64, max: 64 }
        );
    }

    #[test]
    fn function_list_names_every_function() {
        let names: Vec<&str> = FUNCTIONS.iter().map(|(n, ..)| *n).collect();
        assert_eq!(names.join(", "), FUNCTION_LIST);
        for (name, _, min, max) in FUNCTIONS {
            assert!(min <= max, "{name}");
            assert_ne!(arity_text(*min, *max), "", "{name}");
            assert!(!NOT_DETERMINISTIC.contains(name));
        }
    }

    // ---- Vectors: assets/forms/expr-vectors.json --------------------------------

    fn val_of(v: &serde_json::Value) -> Option<Val> {
        match v {
            serde_json::Value::Null => None,
            serde_json::Value::Bool(b) => Some(Val::Bool(*b)),
            serde_json::Value::Number(n) => Some(Val::Num(n.as_f64().unwrap())),
            serde_json::Value::String(s) => Some(Val::Str(s.clone())),
            other => panic!("not a value: {other}"),
        }
    }

    /// The same value, with NaN equal to NaN and 0 to -0 as XPath's `=` has it.
    fn same(a: &Val, b: &Val) -> bool {
        match (a, b) {
            (Val::Num(x), Val::Num(y)) => x == y || (x.is_nan() && y.is_nan()),
            _ => a == b,
        }
    }

    #[test]
    fn vectors() {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("../../../assets/forms/expr-vectors.json")).unwrap();
        let good = file["good"].as_array().unwrap();
        let bad = file["bad"].as_array().unwrap();
        assert!(good.len() >= 60 && bad.len() >= 25);
        for v in good {
            let src = v["expr"].as_str().unwrap();
            let fields = v.get("fields").and_then(|f| f.as_object());
            let ctx = Ctx {
                fields: fields
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, v)| Some((k.clone(), val_of(v)?)))
                    .collect(),
                current: v.get("current").and_then(val_of),
            };
            let expected = match (v.get("result_type").and_then(|t| t.as_str()), &v["result"]) {
                (Some("number"), serde_json::Value::String(s)) => Val::Num(match s.as_str() {
                    "NaN" => f64::NAN,
                    "Infinity" => f64::INFINITY,
                    "-Infinity" => f64::NEG_INFINITY,
                    other => panic!("{src}: result {other}"),
                }),
                (None, r) => val_of(r).unwrap_or_else(|| panic!("{src}: no result")),
                (t, r) => panic!("{src}: result_type {t:?} with {r}"),
            };
            let e = Expr::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
            let got = e.eval(&ctx);
            assert!(
                same(&got, &expected),
                "{src}: {got:?}, expected {expected:?}"
            );
            assert_eq!(e.eval_bool(&ctx), expected.to_bool(), "{src}");
            if let Some(refs) = v.get("references") {
                let refs: BTreeSet<String> = serde_json::from_value(refs.clone()).unwrap();
                assert_eq!(e.references(), refs, "{src}");
            }
            if let Some(current) = v.get("uses_current") {
                assert_eq!(Some(e.uses_current()), current.as_bool(), "{src}");
            }
        }
        for v in bad {
            let src = v["expr"].as_str().unwrap();
            let want = v["error"].as_str().unwrap();
            match Expr::parse(src) {
                Ok(e) => panic!("{src}: parsed as {e:?}"),
                Err(e) => assert!(e.to_string().contains(want), "{src}: {e}"),
            }
        }
    }

    // ---- Properties ----------------------------------------------------------------

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Well-formed expressions of the subset, as text.
        fn source() -> impl Strategy<Value = String> {
            let leaf = prop_oneof![
                Just(".".to_owned()),
                "[abc]".prop_map(|f| format!("${{{f}}}")),
                (0u32..1000).prop_map(|n| n.to_string()),
                (0u32..1000, 0u32..100).prop_map(|(a, b)| format!("{a}.{b}")),
                "[a-c 가한汉 ]{0,5}".prop_map(|s| format!("'{s}'")),
                Just("true()".to_owned()),
                Just("string-length()".to_owned()),
            ];
            const ONE: &[&str] = &[
                "not",
                "string",
                "number",
                "int",
                "boolean",
                "round",
                "abs",
                "string-length",
                "count-selected",
            ];
            const TWO: &[&str] = &[
                "selected",
                "contains",
                "starts-with",
                "ends-with",
                "coalesce",
                "round",
                "concat",
            ];
            const MANY: &[&str] = &["concat", "min", "max"];
            const PATTERNS: &[&str] = &["^a", "[0-9]+$", "\\p{Hangul}", ""];
            leaf.prop_recursive(5, 48, 4, |inner| {
                prop_oneof![
                    (inner.clone(), prop::sample::select(OPS), inner.clone())
                        .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
                    inner.clone().prop_map(|a| format!("-{a}")),
                    inner.clone().prop_map(|a| format!("({a})")),
                    (prop::sample::select(ONE), inner.clone())
                        .prop_map(|(f, a)| format!("{f}({a})")),
                    (prop::sample::select(TWO), inner.clone(), inner.clone())
                        .prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
                    (inner.clone(), inner.clone(), inner.clone())
                        .prop_map(|(c, a, b)| format!("if({c}, {a}, {b})")),
                    (
                        prop::sample::select(MANY),
                        prop::collection::vec(inner.clone(), 1..5)
                    )
                        .prop_map(|(f, xs)| format!("{f}({})", xs.join(", "))),
                    (inner, prop::sample::select(PATTERNS))
                        .prop_map(|(s, p)| format!("regex({s}, '{p}')")),
                ]
            })
        }

        const OPS: &[&str] = &[
            "or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod",
        ];

        fn value() -> impl Strategy<Value = Option<Val>> {
            prop_oneof![
                Just(None),
                any::<f64>().prop_map(|n| Some(Val::Num(n))),
                prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-0.0)]
                    .prop_map(|n| Some(Val::Num(n))),
                any::<bool>().prop_map(|b| Some(Val::Bool(b))),
                any::<String>().prop_map(|s| Some(Val::Str(s))),
                "[a-c0-9 .-]{0,8}".prop_map(|s| Some(Val::Str(s))),
            ]
        }

        /// Text built from the subset's tokens, mostly not well formed: reaches the
        /// parser's error paths far more often than arbitrary strings do.
        fn token_soup() -> impl Strategy<Value = String> {
            const TOKENS: &[&str] = &[
                "(",
                ")",
                "${a}",
                "${",
                "}",
                ".",
                "1",
                "2.5",
                "'x'",
                "\"가\"",
                "'",
                "and",
                "or",
                "div",
                "mod",
                "+",
                "-",
                "*",
                "=",
                "!=",
                "<",
                ">=",
                "not(",
                "selected(",
                "regex(",
                "string-length(",
                "concat(",
                "if(",
                ",",
                " ",
                "today(",
                "x",
                "AND",
            ];
            prop::collection::vec(prop::sample::select(TOKENS), 0..300).prop_map(|t| t.concat())
        }

        proptest! {
            #[test]
            fn parse_never_panics(src in any::<String>()) {
                let _ = Expr::parse(&src);
            }

            #[test]
            fn parse_never_panics_on_token_soup(src in token_soup()) {
                if let Ok(e) = Expr::parse(&src) {
                    let _ = e.eval(&ctx());
                }
            }

            #[test]
            fn well_formed_expressions_parse_and_evaluate(
                src in source(),
                a in value(),
                b in value(),
                c in value(),
                current in value(),
            ) {
                let e = Expr::parse(&src);
                prop_assert!(e.is_ok(), "{}: {:?}", src, e);
                let e = e.unwrap();
                let fields = [("a", a), ("b", b), ("c", c)]
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.to_owned(), v?)))
                    .collect();
                let ctx = Ctx { fields, current };
                let first = e.eval(&ctx);
                // Deterministic: the same answers twice.
                prop_assert!(same(&first, &e.eval(&ctx)));
                prop_assert_eq!(e.eval_bool(&ctx), first.to_bool());
                for name in e.references() {
                    let field = format!("${{{name}}}");
                    prop_assert!(src.contains(&field));
                }
            }

            #[test]
            fn numbers_read_back_from_their_string(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
                let s = Val::Num(x).to_str();
                prop_assert!(!s.contains('e') && !s.contains('E'), "{}", s);
                prop_assert_eq!(Val::Str(s.clone()).to_num(), x, "{}", s);
                let e = Expr::parse("number(string(${x}))").unwrap();
                let ctx = Ctx {
                    fields: [("x".to_owned(), Val::Num(x))].into_iter().collect(),
                    current: None,
                };
                prop_assert_eq!(e.eval(&ctx), Val::Num(x));
            }

            #[test]
            fn operators_bind_as_a_reference_model_says(m in model()) {
                let src = m.render(0, false);
                let e = Expr::parse(&src);
                prop_assert!(e.is_ok(), "{}: {:?}", src, e);
                let got = e.unwrap().eval(&ctx());
                let want = m.eval();
                prop_assert!(same(&got, &want), "{}: {:?}, the model says {:?}", src, got, want);
            }
        }

        /// A naive reference: a tree of small numbers and operators, evaluated
        /// directly and printed with only the parentheses precedence needs.
        #[derive(Debug, Clone)]
        enum M {
            Lit(u8),
            Neg(Box<M>),
            Bin(Box<M>, &'static str, Box<M>),
        }

        fn precedence(op: &str) -> usize {
            match op {
                "or" => 0,
                "and" => 1,
                "=" | "!=" => 2,
                "<" | "<=" | ">" | ">=" => 3,
                "+" | "-" => 4,
                _ => 5,
            }
        }

        fn model() -> impl Strategy<Value = M> {
            (0u8..6).prop_map(M::Lit).prop_recursive(5, 40, 2, |inner| {
                prop_oneof![
                    inner.clone().prop_map(|m| M::Neg(Box::new(m))),
                    (inner.clone(), prop::sample::select(OPS), inner)
                        .prop_map(|(a, op, b)| M::Bin(Box::new(a), op, Box::new(b))),
                ]
            })
        }

        impl M {
            /// Parentheses only where the context binds tighter, or on the right of
            /// an operator of the same level (all levels associate to the left).
            fn render(&self, outer: usize, right: bool) -> String {
                match self {
                    M::Lit(n) => n.to_string(),
                    M::Neg(m) => match **m {
                        M::Bin(..) => format!("-({})", m.render(0, false)),
                        _ => format!("-{}", m.render(6, false)),
                    },
                    M::Bin(a, op, b) => {
                        let p = precedence(op);
                        let s = format!("{} {op} {}", a.render(p, false), b.render(p, true));
                        if p < outer || (p == outer && right) {
                            format!("({s})")
                        } else {
                            s
                        }
                    }
                }
            }

            fn eval(&self) -> Val {
                match self {
                    M::Lit(n) => Val::Num(f64::from(*n)),
                    M::Neg(m) => Val::Num(-m.eval().to_num()),
                    M::Bin(a, op, b) => {
                        let (a, b) = (a.eval(), b.eval());
                        let (x, y) = (a.to_num(), b.to_num());
                        let eq = match (&a, &b) {
                            (Val::Bool(_), _) | (_, Val::Bool(_)) => a.to_bool() == b.to_bool(),
                            _ => x == y,
                        };
                        match *op {
                            "or" => Val::Bool(a.to_bool() || b.to_bool()),
                            "and" => Val::Bool(a.to_bool() && b.to_bool()),
                            "=" => Val::Bool(eq),
                            "!=" => Val::Bool(!eq),
                            "<" => Val::Bool(x < y),
                            "<=" => Val::Bool(x <= y),
                            ">" => Val::Bool(x > y),
                            ">=" => Val::Bool(x >= y),
                            "+" => Val::Num(x + y),
                            "-" => Val::Num(x - y),
                            "*" => Val::Num(x * y),
                            "div" => Val::Num(x / y),
                            _ => Val::Num(x % y),
                        }
                    }
                }
            }
        }
    }
}
