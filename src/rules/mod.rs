//! Rules are data: one TOML file each in `rules/` (embedded at build time) or a user folder.
//! This module holds the compiled form ([`Rule`], [`RuleSet`]) and the literal prefilter that
//! lets a line no rule can match cost one Aho-Corasick scan.

mod capped;
pub mod condition;
pub mod loader;
mod order;
pub mod select;
pub mod spec;
pub mod template;
pub mod window;

use std::fmt;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;

pub use condition::{Captures, Cond};
pub use loader::{RuleError, load_builtin, load_dir, load_str};
pub use spec::Case;
pub use template::Template;

/// How bad a finding is. Ordered: `Hint < Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Hint,
    Info,
    Warning,
    Error,
}

impl Severity {
    /// Parses `hint`, `info`, `warning` (or `warn`), `error`.
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "hint" => Severity::Hint,
            "info" => Severity::Info,
            "warning" | "warn" => Severity::Warning,
            "error" => Severity::Error,
            _ => return None,
        })
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Hint => "hint",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stateful kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    Count,
    Burst,
    Repeat,
    Absence,
    Ratio,
}

/// A compiled `[window]`.
#[derive(Clone, Debug)]
pub struct Window {
    pub kind: WindowKind,
    pub threshold: usize,
    pub window_secs: f64,
    pub span_secs: Option<f64>,
    pub key: Option<Template>,
    pub scope: Option<Template>,
    pub reset: Option<Cond>,
    pub expect: Option<Cond>,
    pub until: Option<Cond>,
    pub per: Option<Cond>,
    pub per_value: Option<crate::context::FieldName>,
    pub ratio: f64,
    pub within_secs: Option<f64>,
    pub expect_before: bool,
    pub max: Vec<crate::context::FieldName>,
    pub example: Option<Template>,
    pub max_keys: usize,
}

/// A compiled `[outcome]`: see [`spec::OutcomeSpec`].
#[derive(Clone, Debug)]
pub struct Outcome {
    pub resolved_by: Cond,
    pub failed_by: Option<Cond>,
    pub key: Option<Template>,
    pub confirm_after_secs: Option<f64>,
    pub message: Option<Template>,
}

/// Rule documentation.
#[derive(Clone, Debug, Serialize)]
pub struct Docs {
    pub what: String,
    pub why: String,
    pub example: String,
}

/// Where a rule's findings come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Matched against log events.
    Log,
    /// Found by the `.c1z` checks.
    C1z,
}

/// One compiled rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub code: String,
    pub name: String,
    pub category: String,
    pub severity: Severity,
    pub preview: bool,
    pub scope: Scope,
    pub message: Template,
    pub message_src: String,
    pub cause: String,
    pub fix: String,
    pub group: Option<Template>,
    pub fallback: bool,
    pub suppressed_by: Vec<String>,
    pub absorbed_by: Vec<String>,
    pub outcome: Option<Outcome>,
    pub docs: Docs,
    pub matcher: Cond,
    pub window: Option<Window>,
    pub invalid: Vec<Case>,
    pub valid: Vec<Case>,
    /// Where it came from: `rules/BL101-….toml` (built in) or a user file path.
    pub origin: String,
}

/// Which condition of a rule a prefilter slot stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Main,
    Reset,
    Expect,
    Until,
    Per,
}

/// A slot whose condition held for an event, with the named captures it produced.
#[derive(Clone, Debug, PartialEq)]
pub struct SlotHit {
    pub slot: usize,
    pub caps: Captures,
}

/// One prefilter automaton: literals looked for in one text of the event.
struct Scanner {
    ac: AhoCorasick,
    /// Pattern index → slot index.
    slot: Vec<usize>,
    /// Pattern index → the other patterns that are a prefix of it (they match at the same
    /// place, and a leftmost-longest search reports only the longest).
    prefixes: Vec<Vec<usize>>,
}

impl Scanner {
    fn build(pats: Vec<(String, usize)>, ci: bool, memoised: bool) -> Option<Scanner> {
        if pats.is_empty() {
            return None;
        }
        // The raw-line scanners run on every line: the contiguous NFA behind its prefilter
        // (teddy for these few literals). The msg and error scanners run only on memo misses,
        // so the one cheapest to build does, the noncontiguous NFA (the contiguous one is
        // built from it; a DFA of the vendor vocabulary cost ~50 M instructions, about 15 ms,
        // to build at every start).
        let kind = if memoised {
            aho_corasick::AhoCorasickKind::NoncontiguousNFA
        } else {
            aho_corasick::AhoCorasickKind::ContiguousNFA
        };
        let ac = AhoCorasickBuilder::new()
            .kind(Some(kind))
            .prefilter(!memoised)
            .ascii_case_insensitive(ci)
            .match_kind(MatchKind::LeftmostLongest)
            .build(pats.iter().map(|(t, _)| t))
            .ok()?;
        // Normalised once: the pairwise prefix test below allocates nothing (with the vendor
        // vocabulary a scanner holds hundreds of literals).
        let texts = normalised(&pats, ci);
        let prefixes = texts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (0..texts.len())
                    .filter(|&j| j != i && p.starts_with(texts[j].as_str()))
                    .collect()
            })
            .collect();
        Some(Scanner {
            ac,
            slot: pats.into_iter().map(|(_, s)| s).collect(),
            prefixes,
        })
    }

    /// The slots of the literals occurring in `text`, through `memo` when the text is short
    /// enough to repeat (messages and most error texts do, thousands of times a log).
    fn scan_memo(&self, text: &str, hits: &mut [bool], memo: &mut Memo) {
        if text.len() > MEMO_TEXT_BYTES {
            return self.scan(text, hits);
        }
        if let Some(slots) = memo.map.get(text) {
            for &s in slots.iter() {
                hits[s as usize] = true;
            }
            return;
        }
        let mut slots = Vec::new();
        self.each_slot(text, |s| slots.push(s as u32));
        for &s in &slots {
            hits[s as usize] = true;
        }
        memo.insert(text, slots.into_boxed_slice());
    }

    fn each_slot(&self, text: &str, mut f: impl FnMut(usize)) {
        let mut pos = 0;
        while pos < text.len() {
            let input = aho_corasick::Input::new(text).span(pos..text.len());
            let Some(m) = self.ac.find(input) else { break };
            let p = m.pattern().as_usize();
            f(self.slot[p]);
            for &q in &self.prefixes[p] {
                f(self.slot[q]);
            }
            pos = m.start() + 1;
        }
    }

    /// Marks the slot of every literal occurring in `text`. Each search restarts one byte after
    /// the previous match's start, so every start position is visited (and the prefix table
    /// covers shorter literals at the same position); unlike an overlapping scan this lets
    /// aho-corasick use its fast prefilters.
    fn scan(&self, text: &str, hits: &mut [bool]) {
        self.each_slot(text, |s| hits[s] = true);
    }
}

/// The literals' texts as the scanner compares them: lowercased when it ignores case.
fn normalised(pats: &[(String, usize)], ci: bool) -> Vec<String> {
    pats.iter()
        .map(|(t, _)| {
            if ci {
                t.to_ascii_lowercase()
            } else {
                t.clone()
            }
        })
        .collect()
}

/// The literals of `pats` that matter: a slot is hit when any of its literals occurs, so a
/// literal that contains another literal of the same slot (`"insecure-skip-verify"` beside
/// `insecure-skip-verify`) adds nothing, and a repeated one neither. Used for the raw-line
/// scanners, which run on every line: fewer literals, a faster search.
fn prune(pats: Vec<(String, usize)>, ci: bool) -> Vec<(String, usize)> {
    let norm = normalised(&pats, ci);
    let redundant = |i: usize| {
        (0..pats.len()).any(|j| {
            j != i
                && pats[j].1 == pats[i].1
                && norm[i].contains(norm[j].as_str())
                // Of two equal literals the first stays.
                && (norm[i] != norm[j] || j < i)
        })
    };
    let keep: Vec<bool> = (0..pats.len()).map(|i| !redundant(i)).collect();
    pats.into_iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(p))
        .collect()
}

/// Texts longer than this are scanned every time (a long error rarely repeats byte for byte).
const MEMO_TEXT_BYTES: usize = 512;
/// A memo holds at most this many texts, and this many bytes of them; then it starts over.
const MEMO_ENTRIES: usize = 1024;
const MEMO_BYTES: usize = 256 << 10;

/// The prefilter's results per distinct text.
#[derive(Default)]
struct Memo {
    map: std::collections::HashMap<Box<str>, Box<[u32]>, foldhash::fast::FixedState>,
    bytes: usize,
}

impl Memo {
    fn insert(&mut self, text: &str, slots: Box<[u32]>) {
        if self.map.len() >= MEMO_ENTRIES || self.bytes + text.len() > MEMO_BYTES {
            self.map.clear();
            self.bytes = 0;
        }
        self.bytes += text.len() + 4 * slots.len();
        self.map.insert(text.into(), slots);
    }
}

/// What evaluating events reuses from one to the next, kept by the caller (one per thread):
/// the lowercase copy of the line, and the memos of the msg and error scans.
#[derive(Default)]
pub struct Scratch {
    /// The rule set the memos belong to (their slots are its slots).
    owner: u64,
    lower: String,
    msg: Memo,
    error: Memo,
}

/// The active rules, in code order, with their prefilter.
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// (rule index, slot) for each prefilter slot.
    slots: Vec<(usize, Slot)>,
    /// Slots with no usable literal: evaluated on every event.
    always: Vec<bool>,
    /// Literals in the decoded msg, the decoded error, and the raw text (case-sensitive and
    /// ASCII-case-insensitive). Short texts first: most rules key on the message.
    msg: Option<Scanner>,
    error: Option<Scanner>,
    raw: Option<Scanner>,
    raw_ci: Option<Scanner>,
    /// Field tests that stand for slots (`condition::Probe`), run on every event: numeric
    /// ones by the number they read (one read per event for all its tests), and the others.
    numbers: Vec<(condition::Number, Vec<(condition::Pred, usize)>)>,
    probes: Vec<(condition::Probe, usize)>,
    /// Unique per set: a scratch's memos are valid for one set only.
    id: u64,
}

static RULE_SETS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl RuleSet {
    /// Builds the set and its prefilter. Rules are sorted by code.
    pub fn new(mut rules: Vec<Rule>) -> RuleSet {
        rules.sort_by(|a, b| a.code.cmp(&b.code));
        let mut slots = Vec::new();
        let mut always = Vec::new();
        let mut probes = Vec::new();
        let mut numbers: Vec<(condition::Number, Vec<(condition::Pred, usize)>)> = Vec::new();
        let (mut msg, mut error, mut raw, mut raw_ci) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (ri, r) in rules.iter().enumerate() {
            if r.scope == Scope::C1z {
                continue;
            }
            let mut conds: Vec<(Slot, &Cond)> = vec![(Slot::Main, &r.matcher)];
            if let Some(w) = &r.window {
                for (slot, c) in [
                    (Slot::Reset, &w.reset),
                    (Slot::Expect, &w.expect),
                    (Slot::Until, &w.until),
                    (Slot::Per, &w.per),
                ] {
                    if let Some(c) = c {
                        conds.push((slot, c));
                    }
                }
            }
            for (slot, cond) in conds {
                let si = slots.len();
                slots.push((ri, slot));
                match cond.needs() {
                    Some(needs) if !needs.is_empty() => {
                        always.push(false);
                        for need in needs {
                            let l = match need {
                                condition::Need::Lit(l) => l,
                                condition::Need::Number(n, p) => {
                                    match numbers.iter_mut().find(|(m, _)| *m == n) {
                                        Some((_, tests)) => tests.push((p, si)),
                                        None => numbers.push((n, vec![(p, si)])),
                                    }
                                    continue;
                                }
                                condition::Need::Probe(p) => {
                                    probes.push((p, si));
                                    continue;
                                }
                            };
                            // A literal without letters is the same ignoring case: it goes to
                            // the raw scanner. BL904's ` --` among the case-insensitive ones
                            // cost ~25 M instructions on the 5 MB info-level log (teddy's
                            // candidates), in the other scanner nothing measurable.
                            let letters = l.text.bytes().any(|b| b.is_ascii_alphabetic());
                            let list = match (l.place, l.ci && letters) {
                                (condition::Place::Msg, _) => &mut msg,
                                (condition::Place::Error, _) => &mut error,
                                (condition::Place::Raw, false) => &mut raw,
                                (condition::Place::Raw, true) => &mut raw_ci,
                            };
                            list.push((l.text, si));
                        }
                    }
                    _ => always.push(true),
                }
            }
        }
        // After the prefilter took its literals (their choice between equal children is by
        // position), the conditions are put in the order that is cheapest to evaluate.
        for r in &mut rules {
            r.matcher.order_by_cost();
            if let Some(w) = &mut r.window {
                for c in [&mut w.reset, &mut w.expect, &mut w.until, &mut w.per]
                    .into_iter()
                    .flatten()
                {
                    c.order_by_cost();
                }
            }
        }
        // The automata are built on two threads (they are most of a short run's start-up). Built
        // as msg + error against raw + raw_ci, one side took about 2 ms and the other 0.2 ms
        // (timed on a 20-line log): msg and error hold the vendor vocabulary (241 and 172
        // literals). Now msg goes alone against the other three.
        let (msg, (error, raw, raw_ci)) = crate::par::join(
            // msg and error are short: ignoring case there costs little and keeps it simple.
            || Scanner::build(msg, true, true),
            || {
                let error = Scanner::build(error, true, true);
                let raw = Scanner::build(prune(raw, false), false, false);
                // Case-insensitive literals are searched, lowercased, in a lowercased copy of
                // the line: the same result, but the search can use aho-corasick's prefilters.
                let lower = prune(raw_ci, true)
                    .into_iter()
                    .map(|(t, s)| (t.to_ascii_lowercase(), s))
                    .collect();
                (error, raw, Scanner::build(lower, false, false))
            },
        );
        RuleSet {
            id: RULE_SETS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            rules,
            slots,
            always,
            numbers,
            probes,
            msg,
            error,
            raw,
            raw_ci,
        }
    }

    /// Number of prefilter slots.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The (rule, slot) pairs, in order.
    pub fn slots(&self) -> &[(usize, Slot)] {
        &self.slots
    }

    /// Marks in `hits` the slots that may match `ev` (always-slots included). `scratch` is the
    /// caller's reusable state (one per thread).
    pub fn prefilter(
        &self,
        ev: &crate::event::Event<'_>,
        hits: &mut Vec<bool>,
        scratch: &mut Scratch,
    ) {
        hits.clear();
        hits.extend_from_slice(&self.always);
        if scratch.owner != self.id {
            *scratch = Scratch {
                owner: self.id,
                ..Scratch::default()
            };
        }
        if let Some(s) = &self.msg {
            s.scan_memo(&ev.msg, hits, &mut scratch.msg);
        }
        if let Some(s) = &self.error {
            // The error text of a plain text line is the line itself (`context::error_text`).
            match (&ev.error, ev.kind) {
                (Some(e), _) => s.scan_memo(e, hits, &mut scratch.error),
                (None, crate::event::EventKind::Text | crate::event::EventKind::Panic) => {
                    s.scan_memo(&ev.msg, hits, &mut scratch.error)
                }
                (None, _) => {}
            }
        }
        if let Some(s) = &self.raw {
            s.scan(&ev.raw, hits);
        }
        if let Some(s) = &self.raw_ci {
            let lower = &mut scratch.lower;
            lower.clear();
            lower.push_str(&ev.raw);
            lower.make_ascii_lowercase();
            s.scan(lower, hits);
        }
        for (number, tests) in &self.numbers {
            if tests.iter().all(|&(_, si)| hits[si]) {
                continue;
            }
            let Some(v) = number.read(ev) else { continue };
            for (pred, si) in tests {
                if condition::number_passes(pred, v) {
                    hits[*si] = true;
                }
            }
        }
        for (p, si) in &self.probes {
            if !hits[*si] && p.test(ev) {
                hits[*si] = true;
            }
        }
    }

    /// The pure half of matching one event: every slot whose condition holds, in slot order,
    /// with the captures it produced. Depends on nothing but the event, so it can run ahead on
    /// another thread; the engine applies the results in input order.
    pub fn evaluate(
        &self,
        ev: &crate::event::Event<'_>,
        hits: &mut Vec<bool>,
        scratch: &mut Scratch,
        out: &mut Vec<SlotHit>,
    ) {
        self.prefilter(ev, hits, scratch);
        let mut caps = Vec::new();
        for (si, _) in hits.iter().enumerate().filter(|(_, h)| **h) {
            let Some(cond) = self.slot_condition(si) else {
                continue;
            };
            caps.clear();
            if cond.eval(ev, &mut caps) {
                out.push(SlotHit {
                    slot: si,
                    caps: std::mem::take(&mut caps),
                });
            }
        }
    }

    /// The condition prefilter slot `si` stands for.
    fn slot_condition(&self, si: usize) -> Option<&Cond> {
        let (ri, slot) = self.slots[si];
        let rule = &self.rules[ri];
        let w = rule.window.as_ref();
        match slot {
            Slot::Main => Some(&rule.matcher),
            Slot::Reset => w.and_then(|w| w.reset.as_ref()),
            Slot::Expect => w.and_then(|w| w.expect.as_ref()),
            Slot::Until => w.and_then(|w| w.until.as_ref()),
            Slot::Per => w.and_then(|w| w.per.as_ref()),
        }
    }

    /// Looks a rule up by code or name.
    pub fn find(&self, code_or_name: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(pats: &[&str], ci: bool, text: &str) -> Vec<usize> {
        let build = |memoised| {
            Scanner::build(
                pats.iter()
                    .enumerate()
                    .map(|(i, p)| (p.to_string(), i))
                    .collect(),
                ci,
                memoised,
            )
            .unwrap()
        };
        let mut h = vec![false; pats.len()];
        build(false).scan(text, &mut h);
        // The NFA with its memo finds the same, the first time and from the memo.
        let nfa = build(true);
        let mut memo = Memo::default();
        for _ in 0..2 {
            let mut m = vec![false; pats.len()];
            nfa.scan_memo(text, &mut m, &mut memo);
            assert_eq!(m, h, "{text}");
        }
        h.iter()
            .enumerate()
            .filter(|(_, b)| **b)
            .map(|(i, _)| i)
            .collect()
    }

    /// Parts of the zap records [`the_prefilter_never_misses_a_condition_that_holds`] builds:
    /// messages, errors and status codes of the shapes the built-in rules read.
    const MSGS: [&str; 10] = [
        "HTTP request complete",
        "Request complete",
        "base-http-client: HTTP error status",
        "retrying operation",
        "Synced resources",
        "Sync complete.",
        "finished unary call with code Internal",
        "pushed action",
        "runner: error getting next task",
        "listing users failed",
    ];
    const ERRORS: [&str; 10] = [
        "rpc error: code = Unauthenticated desc = 401 Unauthorized",
        "Error 503: backend",
        "unexpected status code: 502",
        "request failed: status_code=503",
        "rpc error: code = PermissionDenied desc = 403 Forbidden",
        "dial tcp: lookup api.example.com: no such host",
        "429 Too Many Requests",
        "x509: certificate signed by unknown authority",
        "http code: 401",
        "",
    ];
    const CODES: [f64; 7] = [200.0, 401.0, 403.0, 429.0, 500.0, 503.0, 61000.0];

    fn record(choice: &[u8; 8]) -> String {
        let mut o = serde_json::Map::new();
        let level = ["info", "warn", "error"][usize::from(choice[0]) % 3];
        o.insert("level".into(), level.into());
        o.insert("ts".into(), 1.5.into());
        o.insert(
            "msg".into(),
            MSGS[usize::from(choice[1]) % MSGS.len()].into(),
        );
        let e = usize::from(choice[2]) % (ERRORS.len() + 2);
        if e < ERRORS.len() {
            o.insert("error".into(), ERRORS[e].into());
        }
        let code = |c: u8| -> Option<serde_json::Value> {
            let n = CODES[usize::from(c / 4) % CODES.len()];
            match c % 4 {
                0 => None,
                1 => Some(n.into()),
                2 => Some(format!("{n}").into()),
                _ => Some("".into()),
            }
        };
        for (key, c) in [
            ("http.status_code", choice[3]),
            ("status_code", choice[4]),
            ("count", choice[5]),
            ("grpc.time_ms", choice[6]),
        ] {
            if let Some(v) = code(c) {
                o.insert(key.into(), v);
            }
        }
        if choice[7] % 3 == 0 {
            o.insert(
                "action".into(),
                serde_json::json!({"operation": "list-resources", "page_token": "t1"}),
            );
        }
        serde_json::Value::Object(o).to_string()
    }

    proptest::proptest! {
        /// Whatever the record, every built-in condition that holds on it has its slot hit by
        /// the prefilter (literals and field probes together never miss one).
        #[test]
        fn the_prefilter_never_misses_a_condition_that_holds(
            choice in proptest::array::uniform8(proptest::num::u8::ANY),
        ) {
            static SET: std::sync::LazyLock<RuleSet> =
                std::sync::LazyLock::new(|| RuleSet::new(load_builtin().unwrap()));
            let line = record(&choice);
            let rec = crate::parse::json::parse_record(&line, true).unwrap();
            let ev = crate::parse::event_of_record(
                rec,
                &line,
                crate::event::Span::default(),
                crate::event::EventKind::Json,
            );
            let mut hits = Vec::new();
            SET.prefilter(&ev, &mut hits, &mut Scratch::default());
            for (si, hit) in hits.iter().enumerate() {
                let Some(cond) = SET.slot_condition(si) else { continue };
                if cond.eval(&ev, &mut Vec::new()) {
                    let (ri, slot) = SET.slots()[si];
                    proptest::prop_assert!(
                        *hit,
                        "{} {:?} holds on {} but its slot was not hit",
                        SET.rules[ri].code, slot, line
                    );
                }
            }
        }
    }

    /// A rule set of the one built-in rule `code`.
    fn one_rule(code: &str) -> RuleSet {
        RuleSet::new(
            load_builtin()
                .unwrap()
                .into_iter()
                .filter(|r| r.code == code)
                .collect(),
        )
    }

    #[test]
    fn a_scratch_serves_one_rule_set_at_a_time() {
        let mut scratch = Scratch::default();
        let a = RuleSet::new(load_builtin().unwrap());
        let b = one_rule("BL201");
        let ev = crate::event::Event::text(
            "listing users failed: 401 Unauthorized",
            crate::event::Span::default(),
        );
        let mut ha = Vec::new();
        a.prefilter(&ev, &mut ha, &mut scratch);
        let mut hb = Vec::new();
        // The memo of `a` must not answer for `b`, whose slots are others.
        b.prefilter(&ev, &mut hb, &mut scratch);
        assert_eq!(hb.len(), b.slot_count());
        let mut fresh = Vec::new();
        b.prefilter(&ev, &mut fresh, &mut Scratch::default());
        assert_eq!(hb, fresh);
    }

    /// A case-insensitive literal without letters (BL904's ` --` of a command-line flag) is
    /// searched by the case-sensitive raw scanner, and still admits every case of the flag.
    #[test]
    fn a_literal_without_letters_is_found_in_any_case() {
        let set = one_rule("BL904");
        let main = (0..set.slot_count())
            .find(|&si| set.slots()[si].1 == Slot::Main)
            .unwrap();
        for line in [
            "$ ./baton-okta --api-token 00aBcDeFgHiJkLmNoPqRsTuVwXyZ --log-level debug",
            "$ ./baton-okta --API-TOKEN 00aBcDeFgHiJkLmNoPqRsTuVwXyZ",
            "baton-github --Client-Secret=abcdef123456 --orgs acme",
        ] {
            let ev = crate::event::Event::text(line, crate::event::Span::default());
            let mut hits = Vec::new();
            set.prefilter(&ev, &mut hits, &mut Scratch::default());
            assert!(hits[main], "{line}");
            assert!(set.rules[0].matcher.eval(&ev, &mut Vec::new()), "{line}");
        }
        assert!(set.raw.is_some() && set.raw_ci.is_some());
    }

    /// Pruned literals hit the same slots as all of them.
    #[test]
    fn pruning_keeps_what_the_slots_see() {
        let pats: Vec<(String, usize)> = [
            ("\"insecure-skip-verify\"", 0),
            ("insecure-skip-verify", 0),
            ("INSECURE-skip", 1),
            ("insecure-skip-verify", 1),
            ("401", 2),
            ("401", 2),
            ("status_code", 3),
        ]
        .into_iter()
        .map(|(t, s)| (t.to_string(), s))
        .collect();
        for ci in [false, true] {
            let kept = prune(pats.clone(), ci);
            assert!(kept.len() < pats.len());
            let all = Scanner::build(pats.clone(), ci, false).unwrap();
            let few = Scanner::build(kept, ci, false).unwrap();
            for text in [
                "x \"insecure-skip-verify\": true",
                "INSECURE-SKIP-VERIFY",
                "insecure-skip only",
                "status_code 401",
                "nothing",
            ] {
                let (mut a, mut b) = (vec![false; 4], vec![false; 4]);
                all.scan(text, &mut a);
                few.scan(text, &mut b);
                assert_eq!(a, b, "{text} ci={ci}");
            }
        }
    }

    #[test]
    fn scanner_finds_overlapping_and_nested_literals() {
        // nested (prefix), nested (inside), and partially overlapping literals
        assert_eq!(
            hits(
                &["request complete", "request", "complete", "questco"],
                false,
                "HTTP request complete"
            ),
            vec![0, 1, 2]
        );
        assert_eq!(
            hits(&["abc", "bcd", "cd"], false, "xxabcdxx"),
            vec![0, 1, 2]
        );
        assert_eq!(
            hits(&["Bearer ", "bear"], true, "auth: BEARER x"),
            vec![0, 1]
        );
        assert_eq!(hits(&["zzz"], false, "abc"), Vec::<usize>::new());
    }
}
