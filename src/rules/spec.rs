//! The TOML schema of a rule file, exactly as written by a rule author. Unknown keys are
//! rejected; spans are kept where a later check (regex, threshold) must point at the text.

use serde::Deserialize;
use toml::Spanned;

/// One rule file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub code: Spanned<String>,
    pub name: Spanned<String>,
    /// Defaults to `custom`: a quick local rule needs only code, name, severity, message and
    /// a match (the built-in rules all carry their docs; a test checks it).
    #[serde(default = "custom")]
    pub category: String,
    pub severity: Spanned<String>,
    /// `stable` (default) or `preview`.
    #[serde(default)]
    pub status: Option<Spanned<String>>,
    /// One specific line; `{placeholders}` from captures, fields and derived values.
    pub message: Spanned<String>,
    /// Likely cause (Markdown).
    #[serde(default)]
    pub cause: String,
    /// What to change (Markdown).
    #[serde(default)]
    pub fix: String,
    /// `log` (default: matched against log events) or `c1z` (found by the `.c1z` checks; the
    /// file holds only docs, cause and fix, and needs no `match` or cases).
    #[serde(default)]
    pub scope: Option<Spanned<String>>,
    /// Findings whose rendered `group` is equal merge into one (default: one per rule per input).
    #[serde(default)]
    pub group: Option<Spanned<String>>,
    /// A fallback rule stays quiet on events another rule already explains.
    #[serde(default)]
    pub fallback: bool,
    /// Codes of rules that explain the same failure better: when one of them has a finding in
    /// the same input, this rule's findings are dropped at the end of the input.
    #[serde(default)]
    pub suppressed_by: Vec<String>,
    /// Codes of rules that own this rule's failure when both have a finding on the same error
    /// chain (the same innermost error text, or the same line): the finding is absorbed into
    /// theirs and listed there as "also seen".
    #[serde(default)]
    pub absorbed_by: Vec<String>,
    /// How a finding's outcome is known: a transient failure that is followed by success is
    /// "recovered" (info at most); one that is not, by the end of the stream, is the failure.
    #[serde(default)]
    pub outcome: Option<OutcomeSpec>,
    #[serde(default)]
    pub docs: Docs,
    #[serde(rename = "match")]
    pub matcher: Option<Spanned<CondSpec>>,
    #[serde(default)]
    pub window: Option<WindowSpec>,
    #[serde(default)]
    pub tests: Tests,
}

fn custom() -> String {
    "custom".into()
}

/// Per-rule documentation (`baton-lint rule CODE`).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Docs {
    pub what: String,
    pub why: String,
    #[serde(default)]
    pub example: String,
}

/// A string or a list of strings.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    /// The strings as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// A condition: a combinator (`all`, `any`, `not`) or one leaf test.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CondSpec {
    pub all: Option<Vec<Spanned<CondSpec>>>,
    pub any: Option<Vec<Spanned<CondSpec>>>,
    pub not: Option<Box<Spanned<CondSpec>>>,
    /// Event level in this set (`debug`, `info`, `warn`, `error`, …).
    pub level: Option<OneOrMany>,
    /// Event kind in this set (`json`, `console`, `multi-line-json`, `text`, `panic`).
    pub kind: Option<OneOrMany>,
    /// Which value(s) the leaf reads: `msg`, `error`, `raw`, a field by dotted name, or a
    /// derived value (`innermost`, `wire_code`, …). A list means "any of these".
    pub field: Option<OneOrMany>,
    /// Literal substring(s); any one matches.
    pub contains: Option<OneOrMany>,
    /// Regex; named groups become placeholders.
    pub regex: Option<Spanned<String>>,
    /// Exact value (string, number or bool).
    pub equals: Option<toml::Value>,
    pub exists: Option<bool>,
    pub gt: Option<f64>,
    pub ge: Option<f64>,
    pub lt: Option<f64>,
    pub le: Option<f64>,
}

/// The stateful part of a rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    /// `count`, `burst`, `repeat`, `absence` or `ratio`.
    pub kind: Spanned<String>,
    /// count / burst: matches needed within `window_secs`.
    pub threshold: Option<Spanned<i64>>,
    pub window_secs: Option<Spanned<f64>>,
    /// count: also fire when matches keep coming (gaps ≤ `window_secs`) for this long.
    pub span_secs: Option<Spanned<f64>>,
    /// Template of the key that separates state (`{http.url_details.host}`); default: one key.
    pub key: Option<Spanned<String>>,
    /// repeat: template of the scope inside which a key must not come twice.
    pub scope: Option<Spanned<String>>,
    /// count / burst / repeat: an event that clears all state (a success, a call boundary).
    pub reset: Option<Spanned<CondSpec>>,
    /// absence: the event that was expected.
    pub expect: Option<Spanned<CondSpec>>,
    /// absence: decide when this event comes (fire if still waiting; the finding points at it).
    /// Without it the decision comes at end of stream or after `within_secs`.
    pub until: Option<Spanned<CondSpec>>,
    /// absence: decide once log time passes this many seconds after the start event
    /// (default: at end of stream).
    pub within_secs: Option<Spanned<f64>>,
    /// absence: an expected event that came *before* a start of its key satisfies it too (until
    /// the next decision): "did this type ever page?", asked at its last progress line.
    #[serde(default)]
    pub expect_before: bool,
    /// Field names whose maximum over the window is kept as `{max.<field>}`.
    #[serde(default)]
    pub max: Vec<String>,
    /// burst: template of an example value kept for the message as `{examples}`.
    pub example: Option<String>,
    /// ratio: the events whose `per_value` sums to the denominator (last value per `key`).
    pub per: Option<Spanned<CondSpec>>,
    /// ratio: the field read from `per` events (e.g. `count`).
    pub per_value: Option<String>,
    /// ratio: fire when matches ÷ denominator reaches this (and matches ≥ `threshold`).
    pub ratio: Option<Spanned<f64>>,
    /// Cap on keys kept at once (LRU beyond it). Default 4096.
    pub max_keys: Option<Spanned<i64>>,
}

/// `[outcome]`: what proves that a failure recovered.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeSpec {
    /// An event that shows success after the failure (a call that finished OK, a progress line).
    pub resolved_by: Spanned<CondSpec>,
    /// An event that ends the scope with the failure standing (the run's fatal exit, a failed
    /// task): what was still failing then is the failure, whatever succeeds later.
    pub failed_by: Option<Spanned<CondSpec>>,
    /// Template rendered on the failing and the resolving event (`{host}`, `{task_id}`): a
    /// success resolves the failures of its own key. A side where it renders empty matches
    /// every key (an info-level progress line says nothing of the host, and still proves that
    /// the sync went on).
    pub key: Option<Spanned<String>>,
    /// Failures that keep coming for this many log seconds with no success between are the
    /// failure, whatever comes later, and are reported then (a daemon's log never ends).
    /// Default: decided at the end of the input.
    pub confirm_after_secs: Option<Spanned<f64>>,
    /// The message of a finding that recovered, when the failure's own message would say too
    /// much ("paging in a loop" for two workers that fetched one page). Default: the message
    /// with "— recovered: a success followed at line N".
    pub message: Option<Spanned<String>>,
}

/// Embedded cases.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Tests {
    /// Inputs on which the rule must fire.
    #[serde(default)]
    pub invalid: Vec<Case>,
    /// Inputs on which the rule must stay quiet.
    #[serde(default)]
    pub valid: Vec<Case>,
}

/// One embedded case: log lines fed to the rule as a stream.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub input: String,
    /// A line fed `times` times before `input` (for cases that need volume).
    pub repeat_line: Option<String>,
    pub times: Option<usize>,
    /// invalid cases: exact number of findings expected (default: at least one).
    pub findings: Option<usize>,
    /// invalid cases: a substring the first finding's message must contain.
    pub message: Option<String>,
    /// invalid cases: the severity the first finding must have (`info` for a recovery).
    pub severity: Option<String>,
}

impl Case {
    /// The full text the case feeds: `repeat_line` × `times`, then `input`.
    pub fn text(&self) -> String {
        let mut s = String::new();
        if let Some(l) = &self.repeat_line {
            for _ in 0..self.times.unwrap_or(1).min(100_000) {
                s.push_str(l);
                s.push('\n');
            }
        }
        s.push_str(&self.input);
        s
    }
}
