//! Compiled match conditions (all / any / not, level and kind sets, field tests) and how they
//! are evaluated against an event. Also computes the literals a condition needs, for the
//! prefilter.

use std::borrow::Cow;

use regex::Regex;

use crate::context::{self, FieldName};
use crate::event::{Builtin, Event, EventKind, Level, Value};

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Level(Vec<Level>),
    Kind(Vec<EventKind>),
    Field { fields: Vec<FieldName>, pred: Pred },
}

/// A test on one value.
#[derive(Debug, Clone)]
pub enum Pred {
    Contains(Needles),
    /// The regex, and whether it has named groups (else `is_match` suffices).
    Regex(LazyRegex, bool),
    /// A regex without named groups that stands for a set of literal strings.
    Literals(LitMatch),
    EqualsText(String),
    EqualsNum(f64),
    Exists(bool),
    Cmp(CmpOp, f64),
}

/// Literals looked for in a text, each with its searcher built once: `str::contains` set up a
/// searcher on every call (about 230 instructions a call on the short messages the `contains`
/// conditions of every HTTP line read; callgrind, 5 MB debug log).
#[derive(Debug, Clone)]
pub struct Needles {
    texts: Vec<String>,
    finders: Vec<memchr::memmem::Finder<'static>>,
}

impl Needles {
    /// The literals `texts`, each with its searcher.
    pub fn new(texts: Vec<String>) -> Needles {
        let finders = texts
            .iter()
            .map(|t| memchr::memmem::Finder::new(t.as_bytes()).into_owned())
            .collect();
        Needles { texts, finders }
    }

    /// The literals, in order.
    pub fn texts(&self) -> &[String] {
        &self.texts
    }

    /// Whether any literal occurs in `hay`.
    pub fn any_in(&self, hay: &str) -> bool {
        self.finders
            .iter()
            .any(|f| f.find(hay.as_bytes()).is_some())
    }
}

/// A regex compiled on first use: most rules never meet a line their regex must run on, and
/// compiling every built-in pattern was most of the start-up time. The pattern's syntax was
/// checked when the rule loaded; rules from user files are compiled then too, so a pattern over
/// the size limits is an error naming the file.
#[derive(Debug, Clone)]
pub struct LazyRegex {
    pattern: String,
    re: std::sync::OnceLock<Regex>,
    /// The prefix literals for the prefilter ([`regex_literals`]), worked out once.
    literals: std::sync::OnceLock<Option<(Vec<String>, bool)>>,
}

/// Regex limits: compiled size and lazy-DFA cache (user rules are bounded by them).
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
pub const REGEX_DFA_LIMIT: usize = 2 << 20;

impl LazyRegex {
    /// Compiles `pattern` with the limits.
    pub fn build(pattern: &str) -> Result<Regex, regex::Error> {
        regex::RegexBuilder::new(pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_DFA_LIMIT)
            .build()
    }

    /// Already compiled.
    pub fn compiled(re: Regex) -> LazyRegex {
        let cell = std::sync::OnceLock::new();
        let pattern = re.as_str().to_string();
        let _ = cell.set(re);
        LazyRegex {
            pattern,
            re: cell,
            literals: std::sync::OnceLock::new(),
        }
    }

    /// Compiled when first used.
    pub fn lazy(pattern: &str) -> LazyRegex {
        LazyRegex {
            pattern: pattern.to_string(),
            re: std::sync::OnceLock::new(),
            literals: std::sync::OnceLock::new(),
        }
    }

    /// Compiled when first used, with the syntax tree the loader already parsed: the prefix
    /// literals come from it instead of a second parse (each parse of a Unicode pattern costs).
    pub fn lazy_parsed(pattern: &str, hir: &regex_syntax::hir::Hir) -> LazyRegex {
        let re = LazyRegex::lazy(pattern);
        // A leading (?i) is searched ignoring case: its literals come from the pattern without
        // it, parsed when the prefilter asks.
        if !pattern.starts_with("(?i)") {
            let _ = re.literals.set(hir_literals(hir).map(|l| (l, false)));
        }
        re
    }

    /// The prefix literals every match starts with, and whether they ignore case.
    pub fn literals(&self) -> Option<&(Vec<String>, bool)> {
        self.literals
            .get_or_init(|| regex_literals(&self.pattern))
            .as_ref()
    }

    /// The compiled regex. A pattern the syntax check passed but the compiler refuses (over a
    /// limit) matches nothing rather than panic.
    pub fn get(&self) -> &Regex {
        self.re.get_or_init(|| {
            Self::build(&self.pattern).unwrap_or_else(|_| Regex::new(r"[^\s\S]").expect("valid"))
        })
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }
}

/// A numeric comparison.
#[derive(Debug, Clone, Copy)]
pub enum CmpOp {
    Gt,
    Ge,
    Lt,
    Le,
}

/// Named captures collected while a condition matched.
pub type Captures = Vec<(String, String)>;

impl Cond {
    /// Calls `f` on this condition and every condition inside it.
    pub fn visit(&self, f: &mut dyn FnMut(&Cond)) {
        f(self);
        match self {
            Cond::All(cs) | Cond::Any(cs) => cs.iter().for_each(|c| c.visit(f)),
            Cond::Not(c) => c.visit(f),
            _ => {}
        }
    }

    /// True if `ev` satisfies the condition. Named regex groups are appended to `caps` (only
    /// from branches that matched).
    pub fn eval(&self, ev: &Event<'_>, caps: &mut Captures) -> bool {
        match self {
            Cond::All(cs) => {
                let mark = caps.len();
                let ok = cs.iter().all(|c| c.eval(ev, caps));
                if !ok {
                    caps.truncate(mark);
                }
                ok
            }
            Cond::Any(cs) => cs.iter().any(|c| {
                let mark = caps.len();
                let ok = c.eval(ev, caps);
                if !ok {
                    caps.truncate(mark);
                }
                ok
            }),
            Cond::Not(c) => {
                let mut scratch = Vec::new();
                !c.eval(ev, &mut scratch)
            }
            Cond::Level(ls) => ev.level.is_some_and(|l| ls.contains(&l)),
            Cond::Kind(ks) => ks.contains(&ev.kind),
            Cond::Field { fields, pred } => fields.iter().any(|f| eval_field(ev, f, pred, caps)),
        }
    }

    /// What the prefilter can look for to know the condition may hold: every event it matches
    /// has at least one of these (a literal, ASCII case-insensitively, in its text; or a field
    /// test that passes); `None` when no such set is known.
    pub fn needs(&self) -> Option<Vec<Need>> {
        match self {
            // The most selective part: literals in the message first (its scan is memoised
            // per distinct message, so nearly free; a raw-line literal is searched on every
            // line), then the longest shortest literal (a field test counts as a long one).
            Cond::All(cs) => cs.iter().filter_map(Cond::needs).max_by_key(|needs| {
                let len = |n: &Need| match n {
                    Need::Lit(l) => l.text.len(),
                    Need::Number(..) | Need::Probe(_) => PROBE_RANK,
                };
                let shortest = needs.iter().map(len).min().unwrap_or(0);
                let in_msg = needs
                    .iter()
                    .all(|n| matches!(n, Need::Lit(l) if l.place == Place::Msg))
                    && shortest >= 4;
                (in_msg, shortest)
            }),
            Cond::Any(cs) => {
                let mut out = Vec::new();
                for c in cs {
                    out.extend(c.needs()?);
                }
                Some(out)
            }
            // Panic events always start with one of these.
            Cond::Kind(ks) if ks == &[EventKind::Panic] => Some(
                ["panic: ", "fatal error: "]
                    .map(|t| {
                        Need::Lit(Lit {
                            text: t.into(),
                            place: Place::Msg,
                            ci: false,
                        })
                    })
                    .to_vec(),
            ),
            Cond::Not(_) | Cond::Level(_) | Cond::Kind(_) => None,
            Cond::Field { fields, pred } => {
                let mut out = Vec::new();
                for f in fields {
                    out.extend(field_needs(f, pred)?);
                }
                Some(out)
            }
        }
    }

    /// The literals of [`Cond::needs`] (tests).
    #[cfg(test)]
    pub fn required_literals(&self) -> Option<Vec<Lit>> {
        self.needs().map(|ns| {
            ns.into_iter()
                .filter_map(|n| match n {
                    Need::Lit(l) => Some(l),
                    Need::Number(..) | Need::Probe(_) => None,
                })
                .collect()
        })
    }
}

/// How a field test ranks against literals when an `all` picks its most selective child: as
/// selective as a literal this long.
const PROBE_RANK: usize = 16;

/// What the prefilter looks for to know that a condition may hold on an event.
#[derive(Clone, Debug)]
pub enum Need {
    /// A literal in one of the event's texts.
    Lit(Lit),
    /// A numeric test of a number the event may hold, run on every event: far more selective
    /// than the key's name or the number's digits in the raw line (every request line has
    /// `"http.status_code"`, and timestamps are full of 401s), and cheap through the key slots.
    /// The prefilter reads each [`Number`] once per event for all the tests of it.
    Number(Number, Pred),
    /// Another test run on every event, for the same reason.
    Probe(Probe),
}

/// A field test other than a number's the prefilter runs on every event.
#[derive(Clone, Debug)]
pub enum Probe {
    /// `exists = true` of a field with no derived value.
    Present(FieldName),
    /// A numeric test of a code the error text states (`context::text_codes`).
    TextCodes(Pred),
}

/// Where a probe's number comes from. Probes of one source share one read per event.
#[derive(Clone, Debug, PartialEq)]
pub enum Number {
    /// A field with no derived value, as a condition reads it.
    Field(FieldName),
    /// The derived status code's field part (`context::status_from_fields`); its error-text
    /// part is found by other needs (`status_needs`).
    StatusFields,
}

impl Number {
    pub fn read(&self, ev: &Event<'_>) -> Option<f64> {
        match self {
            Number::Field(f) => num(ev, f),
            Number::StatusFields => context::status_from_fields(ev).flatten(),
        }
    }
}

impl Probe {
    /// True when the event may pass the test the probe stands for.
    pub fn test(&self, ev: &Event<'_>) -> bool {
        match self {
            Probe::Present(f) => test_text(ev, f, |_| true),
            Probe::TextCodes(p) => {
                context::text_codes(context::error_text(ev)).any(|v| number_passes(p, v))
            }
        }
    }
}

/// What the prefilter needs of one field's test.
fn field_needs(field: &FieldName, pred: &Pred) -> Option<Vec<Need>> {
    let name = field.as_str();
    let numeric = matches!(pred, Pred::EqualsNum(_) | Pred::Cmp(..));
    if numeric && name == "status_code" {
        return Some(status_needs(pred));
    }
    let plain = field.builtin().is_none() && !context::DERIVED.contains(&name);
    if plain && numeric {
        let number = Number::Field(field.clone());
        return Some(vec![Need::Number(number, pred.clone())]);
    }
    if plain && matches!(pred, Pred::Exists(true)) {
        return Some(vec![Need::Probe(Probe::Present(field.clone()))]);
    }
    field_literals(name, pred).map(|ls| ls.into_iter().map(Need::Lit).collect())
}

/// A numeric test of the derived status code: its field part as a probe, and its error-text
/// part as the code's digits there (an equality) or a scan of the text's codes (a comparison:
/// the pattern's literals instead made BL304 read the status of every 429 retry line, +22 M
/// instructions on the 5 MB info-level log).
fn status_needs(pred: &Pred) -> Vec<Need> {
    let mut out = vec![Need::Number(Number::StatusFields, pred.clone())];
    match pred {
        // The text part reads three digits from 100 to 599: those very digits.
        Pred::EqualsNum(n) if n.fract() == 0.0 && (100.0..600.0).contains(n) => {
            let digits = format!("{}", *n as i64);
            // The error text is `error`, else the message (`context::error_text`).
            for place in [Place::Error, Place::Msg] {
                out.push(Need::Lit(Lit {
                    text: digits.clone(),
                    place,
                    ci: false,
                }));
            }
        }
        Pred::EqualsNum(_) => {}
        _ => out.push(Need::Probe(Probe::TextCodes(pred.clone()))),
    }
    out
}

/// Which text of an event a prefilter literal is looked for in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    /// The decoded `msg` (for text events the line itself).
    Msg,
    /// The decoded `error`; for a text line, the line (the error text derived values read,
    /// `context::error_text`).
    Error,
    /// The raw text of the event (keys, other fields, `raw` conditions).
    Raw,
}

/// A prefilter literal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Lit {
    pub text: String,
    pub place: Place,
    /// Comes from a case-insensitive regex: must be searched ignoring ASCII case.
    pub ci: bool,
}

/// The places a field's text is found in: decoded msg / error, or the raw line.
fn places(field: &str) -> Option<&'static [Place]> {
    match field {
        "msg" => Some(&[Place::Msg]),
        "error" => Some(&[Place::Error]),
        "level" | "kind" | "ts" => None,
        // Derived from the error text (the line itself for text events).
        f if context::DERIVED_SUBSTRING.contains(&f) => Some(&[Place::Error, Place::Msg]),
        f if context::DERIVED.contains(&f) => None,
        _ => Some(&[Place::Raw]),
    }
}

fn field_literals(field: &str, pred: &Pred) -> Option<Vec<Lit>> {
    // A vendor class is found by its vocabulary's tokens in the error text (or the message).
    if let (true, Pred::EqualsText(class)) = (field == "vendor_class", pred) {
        let class = crate::vendor::Class::parse(class)?;
        let texts = crate::vendor::VOCABULARY.texts_of(class);
        if texts.is_empty() {
            return None;
        }
        return Some(
            texts
                .into_iter()
                .map(|text| Lit {
                    // The error text: `error`, or a text line itself (the prefilter scans it in
                    // that place then). A zap line without `error` names no vendor failure.
                    text,
                    place: Place::Error,
                    ci: false,
                })
                .collect(),
        );
    }
    let (texts, ci): (Vec<String>, bool) = match pred {
        // zap writes whole numbers as digits: `"status_code":401`.
        Pred::EqualsNum(n) if n.fract() == 0.0 && n.abs() >= 100.0 && n.abs() < 1e15 => {
            return Some(vec![Lit {
                text: format!("{}", *n as i64),
                place: Place::Raw,
                ci: false,
            }]);
        }
        // A built-in or derived value (plain fields are probed): no literal is known.
        Pred::Exists(true) | Pred::Cmp(..) | Pred::EqualsNum(_) => return None,
        Pred::Contains(lits) => (lits.texts().to_vec(), false),
        Pred::EqualsText(s) => (vec![s.clone()], false),
        Pred::Regex(re, _) => re.literals()?.clone(),
        Pred::Literals(lm) => (lm.texts().to_vec(), false),
        _ => return None,
    };
    let places = places(field)?;
    let mut out = Vec::new();
    for place in places {
        for t in &texts {
            // The raw line of a JSON record holds field values escaped: only literals that
            // escaping cannot change are looked for there (`raw` itself is searched as is).
            let ok = match place {
                Place::Raw if field != "raw" => literal_ok(t),
                _ => t.len() >= 3,
            };
            if !ok {
                return None;
            }
            out.push(Lit {
                text: t.clone(),
                place: *place,
                ci,
            });
        }
    }
    Some(out)
}

/// A literal is usable in raw JSON when escaping cannot change it and it is long enough to help.
fn literal_ok(l: &str) -> bool {
    l.len() >= 3
        && l.bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_control() && !b"\"\\<>&".contains(&b))
}

/// Prefix literals every match of the regex starts with (regex-syntax's extractor), and whether
/// the regex is case-insensitive.
fn regex_literals(pattern: &str) -> Option<(Vec<String>, bool)> {
    // A leading (?i) is dropped: those literals are then searched ignoring case.
    let (pat, ci) = match pattern.strip_prefix("(?i)") {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let hir = regex_syntax::Parser::new().parse(pat).ok()?;
    Some((hir_literals(&hir)?, ci))
}

/// The prefix literals of a parsed pattern (regex-syntax's extractor), when there are 1 to 64
/// of them and each is at least 3 bytes.
fn hir_literals(hir: &regex_syntax::hir::Hir) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let mut ex = Extractor::new();
    ex.kind(ExtractKind::Prefix);
    let seq = ex.extract(hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.len() > 64 {
        return None;
    }
    let mut out = Vec::new();
    for l in lits {
        let s = std::str::from_utf8(l.as_bytes()).ok()?;
        if s.len() < 3 {
            return None;
        }
        out.push(s.to_string());
    }
    Some(out)
}

/// A regex that only stands for a set of literal strings: `^(a|b)$` (equals one),
/// `^prefix (x|y)` (starts with one), `(x|y) suffix$`, `next page token (unchanged|same)`
/// (contains one). Matched with string comparisons: the same answers, without the regex engine.
/// `^(?P<name>a|b)$` too: its one group holds the whole value.
#[derive(Debug, Clone)]
pub struct LitMatch {
    set: LitSet,
    /// The name of the group around the whole value (`^(?P<name>…)$`), captured as the regex
    /// captures it.
    capture: Option<String>,
}

/// A literal set and where its literals must stand: the whole value (`^…$`), its start, its
/// end, or anywhere (searched for).
#[derive(Debug, Clone)]
enum LitSet {
    Whole(Vec<String>),
    Prefix(Vec<String>),
    Suffix(Vec<String>),
    Anywhere(Needles),
}

impl LitMatch {
    /// The literal form of `pattern`, when it has one.
    pub fn of(pattern: &str) -> Option<LitMatch> {
        LitMatch::from_hir(&regex_syntax::Parser::new().parse(pattern).ok()?)
    }

    /// The literal form of a parsed pattern: `^` and `$` (not multi-line) around a set of
    /// literals. Anchors anywhere else, as in `^a|b$` (`(^a)|(b$)`), leave it to the regex.
    pub fn from_hir(hir: &regex_syntax::hir::Hir) -> Option<LitMatch> {
        use regex_syntax::hir::{HirKind, Look};
        let parts: &[regex_syntax::hir::Hir] = match hir.kind() {
            HirKind::Concat(xs) => xs,
            _ => std::slice::from_ref(hir),
        };
        let is = |h: Option<&regex_syntax::hir::Hir>, look: Look| {
            h.is_some_and(|h| matches!(h.kind(), HirKind::Look(l) if *l == look))
        };
        let start = is(parts.first(), Look::Start);
        let rest = &parts[usize::from(start)..];
        let end = is(rest.last(), Look::End);
        let body = &rest[..rest.len() - usize::from(end)];
        let texts = concat_set(body, 64)?;
        let set = match (start, end) {
            (true, true) => LitSet::Whole(texts),
            (true, false) => LitSet::Prefix(texts),
            (false, true) => LitSet::Suffix(texts),
            (false, false) => LitSet::Anywhere(Needles::new(texts)),
        };
        Some(LitMatch { set, capture: None })
    }

    /// The literal form of a parsed pattern with groups: only `^(…)$` with one group around
    /// the whole body, whose value is then the whole text (BL611's `^(?P<resources>50|100|…)$`
    /// on every `Synced resources` line: a match and a capture search before).
    pub fn from_hir_with_group(hir: &regex_syntax::hir::Hir) -> Option<LitMatch> {
        use regex_syntax::hir::{HirKind, Look};
        let is = |h: &regex_syntax::hir::Hir, look: Look| matches!(h.kind(), HirKind::Look(l) if *l == look);
        let HirKind::Concat(parts) = hir.kind() else {
            return None;
        };
        let [start, group, end] = parts.as_slice() else {
            return None;
        };
        let HirKind::Capture(group) = group.kind() else {
            return None;
        };
        if !is(start, Look::Start)
            || !is(end, Look::End)
            || group.sub.properties().explicit_captures_len() != 0
        {
            return None;
        }
        Some(LitMatch {
            set: LitSet::Whole(literal_set(&group.sub, 64)?),
            capture: group.name.as_deref().map(str::to_string),
        })
    }

    /// The name the whole value is captured under, if any.
    pub fn capture(&self) -> Option<&str> {
        self.capture.as_deref()
    }

    /// The literals, in order.
    pub fn texts(&self) -> &[String] {
        match &self.set {
            LitSet::Whole(t) | LitSet::Prefix(t) | LitSet::Suffix(t) => t,
            LitSet::Anywhere(n) => n.texts(),
        }
    }

    /// Whether `v` matches, as the regex would.
    pub fn matches(&self, v: &str) -> bool {
        match &self.set {
            LitSet::Whole(set) => set.iter().any(|l| v == l),
            LitSet::Prefix(set) => set.iter().any(|l| v.starts_with(l.as_str())),
            LitSet::Suffix(set) => set.iter().any(|l| v.ends_with(l.as_str())),
            LitSet::Anywhere(n) => n.any_in(v),
        }
    }
}

/// Every string a regex without repetition, classes or look-around matches (at most `cap`).
fn literal_set(h: &regex_syntax::hir::Hir, cap: usize) -> Option<Vec<String>> {
    use regex_syntax::hir::HirKind;
    match h.kind() {
        HirKind::Empty => Some(vec![String::new()]),
        HirKind::Literal(l) => Some(vec![String::from_utf8(l.0.to_vec()).ok()?]),
        HirKind::Capture(c) => literal_set(&c.sub, cap),
        HirKind::Alternation(xs) => {
            let mut out = Vec::new();
            for x in xs {
                out.extend(literal_set(x, cap)?);
                if out.len() > cap {
                    return None;
                }
            }
            Some(out)
        }
        HirKind::Concat(xs) => concat_set(xs, cap),
        _ => None,
    }
}

/// Every string the concatenation of `xs` matches (at most `cap`).
fn concat_set(xs: &[regex_syntax::hir::Hir], cap: usize) -> Option<Vec<String>> {
    let mut out = vec![String::new()];
    for x in xs {
        let part = literal_set(x, cap)?;
        if out.len() * part.len() > cap {
            return None;
        }
        out = out
            .iter()
            .flat_map(|a| part.iter().map(move |b| format!("{a}{b}")))
            .collect();
    }
    Some(out)
}

/// `test` on the field's text, or false when there is none: `msg`, `error` and `raw` are the
/// event's own, any other name a top-level field, else a dotted path or derived value
/// ([`context::lookup`]). A whole number in a top-level field (`count`, `status_code`) is
/// printed on the stack: the text tests of every `Synced resources` line (BL611's `count`)
/// allocated and formatted it through `core::fmt` before (callgrind, 5 MB info-level log:
/// 35 k numbers, about 480 instructions each). The text is the same as
/// [`crate::event::format_num`]'s.
fn test_text(ev: &Event<'_>, field: &FieldName, test: impl FnOnce(&str) -> bool) -> bool {
    let text = match field.builtin() {
        Some(Builtin::Msg) => Cow::Borrowed(&*ev.msg),
        Some(Builtin::Error) => match ev.error.as_deref() {
            Some(e) => Cow::Borrowed(e),
            None => return false,
        },
        Some(Builtin::Raw) => Cow::Borrowed(&*ev.raw),
        // One lookup of the field, and a whole number stays on the stack.
        _ => match field.field(ev) {
            Some(Value::Num(n)) => match crate::event::whole(*n) {
                Some(i) => return test(itoa::Buffer::new().format(i)),
                None => Cow::Owned(crate::event::format_num(*n)),
            },
            Some(v) => v.as_text(),
            None => match field.lookup(ev) {
                Some(t) => t,
                None => return false,
            },
        },
    };
    test(&text)
}

fn eval_field(ev: &Event<'_>, field: &FieldName, pred: &Pred, caps: &mut Captures) -> bool {
    match pred {
        Pred::Exists(want) => test_text(ev, field, |_| true) == *want,
        Pred::Contains(lits) => test_text(ev, field, |v| lits.any_in(v)),
        Pred::EqualsText(s) => test_text(ev, field, |v| v == s.as_str()),
        Pred::Regex(re, false) => test_text(ev, field, |v| re.get().is_match(v)),
        Pred::Literals(lm) => test_text(ev, field, |v| {
            let hit = lm.matches(v);
            if let (true, Some(name)) = (hit, lm.capture()) {
                caps.push((name.to_string(), v.to_string()));
            }
            hit
        }),
        Pred::Regex(re, true) => test_text(ev, field, |v| {
            let re = re.get();
            // The capture engines are slower: most texts do not match, find that out first.
            if !re.is_match(v) {
                return false;
            }
            let Some(c) = re.captures(v) else {
                return false;
            };
            for name in re.capture_names().flatten() {
                if let Some(m) = c.name(name) {
                    caps.push((name.to_string(), m.as_str().to_string()));
                }
            }
            true
        }),
        Pred::EqualsNum(_) | Pred::Cmp(..) => {
            num(ev, field).is_some_and(|v| number_passes(pred, v))
        }
    }
}

/// A numeric test on a number (false for the other tests).
pub fn number_passes(pred: &Pred, v: f64) -> bool {
    match pred {
        Pred::EqualsNum(n) => v == *n,
        Pred::Cmp(op, n) => match op {
            CmpOp::Gt => v > *n,
            CmpOp::Ge => v >= *n,
            CmpOp::Lt => v < *n,
            CmpOp::Le => v <= *n,
        },
        _ => false,
    }
}

fn num(ev: &Event<'_>, field: &FieldName) -> Option<f64> {
    if let Some(v) = field.get(ev) {
        return v.as_f64();
    }
    context::derived_num(ev, field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_prefix_literals() {
        let lits = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            regex_literals("next page token (unchanged|is the same)"),
            Some((
                lits(&["next page token unchanged", "next page token is the same"]),
                false
            ))
        );
        assert_eq!(
            regex_literals("(?i)too many requests"),
            Some((lits(&["too many requests"]), true))
        );
        assert_eq!(regex_literals(r"\d+ requests"), None);
        assert_eq!(regex_literals("a|bc"), None);
        let f =
            |field: &str, re: &str| field_literals(field, &Pred::Regex(LazyRegex::lazy(re), false));
        assert!(
            f("http.query", r#""(password|token)""#).is_none(),
            "a quote may be escaped in a field's raw JSON"
        );
        assert_eq!(
            f("raw", r#""(password|token)""#).map(|v| v.len()),
            Some(2),
            "but not in the raw text itself"
        );
        assert_eq!(
            f("msg", r#""(password|token)""#).map(|v| v[0].place),
            Some(Place::Msg),
            "msg is decoded"
        );
    }

    #[test]
    fn literal_regexes_match_like_the_regex() {
        let pats = [
            "^(HTTP request complete|Request complete)$",
            "^finished (unary|stream) call with code",
            "next page token (unchanged|is the same)",
            "code = (Unauthenticated)$",
            "^a|b$",
            "b|b$",
            "^(?:a|b)$",
            "(?i)too many",
            "^x.y$",
            r"^a\$",
            "",
        ];
        let texts = [
            "HTTP request complete",
            "HTTP request complete ",
            "Request complete",
            "finished unary call with code OK",
            "xfinished stream call with code",
            "error: next page token is the same - bug",
            "rpc error: code = Unauthenticated",
            "a",
            "b",
            "ab",
            "xb",
            "TOO MANY",
            "x-y",
            "a$",
            "",
        ];
        let mut literal = 0;
        for p in pats {
            let re = Regex::new(p).unwrap();
            let Some(lm) = LitMatch::of(p) else { continue };
            literal += 1;
            for t in texts {
                assert_eq!(lm.matches(t), re.is_match(t), "{p:?} on {t:?}");
            }
        }
        assert_eq!(
            literal, 6,
            "all but the alternations at top level, (?i) and `.`"
        );
    }

    proptest::proptest! {
        #[test]
        fn literal_form_agrees_with_the_regex(
            // Letters, now and then one special character, escaped (a literal) or not.
            words in proptest::collection::vec("[ab]{0,3}(\\\\[.$^()|?*]|[.$^()|?*])?[ab]{0,2}", 1..4),
            start: bool,
            end: bool,
            group: bool,
            texts in proptest::collection::vec("[ab.$^()|]{0,6}", 1..8),
        ) {
            let mut p = words.join("|");
            if group {
                p = format!("({p})");
            }
            if start {
                p.insert(0, '^');
            }
            if end {
                p.push('$');
            }
            let (Ok(re), Some(lm)) = (Regex::new(&p), LitMatch::of(&p)) else {
                return Ok(());
            };
            for t in &texts {
                proptest::prop_assert_eq!(lm.matches(t), re.is_match(t), "{:?} on {:?}", p, t);
            }
        }

        /// `^(?P<g>…)$` and `^(…)$` in literal form match as the regex does and capture
        /// what it captures: the group's text, under its name.
        #[test]
        fn a_grouped_literal_form_captures_what_the_regex_does(
            words in proptest::collection::vec("[ab]{0,3}(\\\\[.$^()|?*]|[.$^()|?*])?[ab]{0,2}", 1..4),
            named: bool,
            texts in proptest::collection::vec("[ab.$^()|]{0,6}", 1..8),
        ) {
            let open = if named { "(?P<g>" } else { "(" };
            let p = format!("^{open}{})$", words.join("|"));
            let hir = regex_syntax::Parser::new().parse(&p);
            let (Ok(re), Ok(hir)) = (Regex::new(&p), hir) else {
                return Ok(());
            };
            let Some(lm) = LitMatch::from_hir_with_group(&hir) else {
                return Ok(());
            };
            proptest::prop_assert_eq!(lm.capture(), named.then_some("g"));
            let field = FieldName::from("msg");
            // The literals themselves (matches), and random texts (mostly not).
            let all: Vec<String> = lm.texts().iter().cloned().chain(texts).collect();
            for t in &all {
                let ev = Event::text(t, crate::event::Span::default());
                let mut caps = Vec::new();
                let hit = eval_field(&ev, &field, &Pred::Literals(lm.clone()), &mut caps);
                proptest::prop_assert_eq!(hit, re.is_match(t), "{:?} on {:?}", p, t);
                let want: Captures = re
                    .captures(t)
                    .and_then(|c| c.name("g"))
                    .map(|m| vec![("g".to_string(), m.as_str().to_string())])
                    .unwrap_or_default();
                proptest::prop_assert_eq!(caps, want, "{:?} on {:?}", p, t);
            }
        }
    }

    #[test]
    fn bl611s_page_size_pattern_is_matched_as_literals() {
        let p = "^(?P<resources>50|100|200|250|500|1000|2000|5000|10000)$";
        let lm = LitMatch::from_hir_with_group(&regex_syntax::Parser::new().parse(p).unwrap())
            .expect("a literal form");
        assert_eq!(lm.capture(), Some("resources"));
        assert!(lm.matches("500") && !lm.matches("5000 ") && !lm.matches("20"));
        for p in ["^(a)(b)$", "^(a)b$", "(?P<x>a)$", "^(?P<x>a|b*)$"] {
            let hir = regex_syntax::Parser::new().parse(p).unwrap();
            assert!(LitMatch::from_hir_with_group(&hir).is_none(), "{p}");
        }
    }

    #[test]
    fn a_number_is_tested_as_the_text_it_prints_as() {
        for n in [
            250.0,
            0.0,
            -0.0,
            -17.0,
            2.5,
            1e20,
            999_999_999_999_999.0,
            f64::NAN,
        ] {
            let ev = Event {
                fields: vec![("count".into(), Value::Num(n))],
                ..Event::text("x", crate::event::Span::default())
            };
            let want = ev.field("count").map(|v| v.as_text().into_owned());
            let mut seen = None;
            assert!(test_text(&ev, &"count".into(), |v| {
                seen = Some(v.to_string());
                true
            }));
            assert_eq!(seen, want, "{n}");
            assert_eq!(seen.as_deref(), Some(crate::event::format_num(n).as_str()));
        }
        let ev = Event::text("x", crate::event::Span::default());
        assert!(
            !test_text(&ev, &"count".into(), |_| true),
            "no field, no test"
        );
    }

    #[test]
    fn a_status_code_read_as_a_number_is_the_derived_one() {
        for n in [200.0, 503.0, 429.5, 1e20, -0.0, 0.1 + 0.2] {
            let ev = Event {
                fields: vec![("http.status_code".into(), crate::event::Value::Num(n))],
                ..Event::text("x", crate::event::Span::default())
            };
            let derived = context::derived(&ev, "status_code")
                .and_then(crate::event::parse_number_or_duration);
            assert_eq!(num(&ev, &"status_code".into()), derived, "{n}");
        }
    }

    #[test]
    fn all_picks_the_most_selective_child() {
        let c = Cond::All(vec![
            Cond::Level(vec![Level::Error]),
            Cond::Field {
                fields: vec!["msg".into()],
                pred: Pred::Contains(Needles::new(vec!["retrying operation".into()])),
            },
        ]);
        let want = Lit {
            text: "retrying operation".into(),
            place: Place::Msg,
            ci: false,
        };
        assert_eq!(c.required_literals(), Some(vec![want]));
        let any = Cond::Any(vec![c.clone(), Cond::Level(vec![Level::Error])]);
        assert_eq!(any.required_literals(), None);
    }
}
