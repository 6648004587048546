//! Events → rules → findings, for one input stream. Stateless rules match one event; windows
//! keep bounded state per rule (see `rules::window`). Matching events of one failure merge into
//! one finding (by the rule's `group` template). A light correlation context (the sync step,
//! the last gRPC call) fills in what a failing line does not say itself.

mod bursts;
mod outcome;
mod ownership;

pub use ownership::shares_chain;

use std::borrow::Cow;
use std::collections::HashMap;

use outcome::Outcomes;

use indexmap::IndexMap;

use crate::context;
use crate::event::{Event, Timestamp};
use crate::finding::{Finding, fnv1a, redacted_clip};
use crate::redact::{ValueRedactor, redact_field};
use crate::rules::window::{AbsenceState, CountOutcome, CountState, Mark, RatioState, RepeatState};
use crate::rules::{Captures, Rule, RuleSet, Severity, Slot, SlotHit, WindowKind};

/// How long (log time) a finding another rule may own waits before it is streamed.
const OWNER_GRACE_SECS: f64 = 2.0;
/// How many lines a finding another rule may own waits before it is streamed.
const OWNER_GRACE_LINES: u64 = 50;
/// Distinct findings kept per rule per input; beyond it matches are counted into the last one.
const MAX_GROUPS_PER_RULE: usize = 1000;
/// Context keys copied onto findings.
const CONTEXT_KEYS: [&str; 5] = [
    "resource_type",
    "resource_id",
    "operation",
    "grpc_method",
    "host",
];

enum State {
    None,
    Count(CountState),
    Repeat(RepeatState),
    Absence(AbsenceState),
    Ratio(RatioState),
}

/// What the stream said recently, for findings whose own line lacks it.
struct Correlation {
    /// The operation of the last step banner (`Syncing grants...` → `list-grants`).
    step: Option<&'static str>,
    /// The last API host seen on an HTTP request line.
    host: Option<String>,
    /// Connector calls finished so far: a new value marks a new call (a scope for windows).
    call_seq: u64,
    /// `call_seq` as text, kept beside it: the keys of request lines name it on every line.
    call_seq_text: String,
    /// Resource types `Synced resources` named (at most [`MAX_SYNCED_TYPES`]).
    synced_types: Vec<String>,
    /// A sync step banner (`Syncing …`) or `Sync complete.` was seen.
    sync_seen: bool,
}

impl Default for Correlation {
    fn default() -> Self {
        Correlation {
            step: None,
            host: None,
            call_seq: 0,
            call_seq_text: "0".into(),
            synced_types: Vec::new(),
            sync_seen: false,
        }
    }
}

/// Resource types remembered for the case hint.
const MAX_SYNCED_TYPES: usize = 256;

impl Correlation {
    /// Values templates can name: `call_seq`, `step`, and (as a fallback) `host`. There is no
    /// "last gRPC method": request lines come *before* their call's `finished unary call` line.
    fn get(&self, name: &str) -> Option<&str> {
        match name {
            "call_seq" => Some(&self.call_seq_text),
            "step" => self.step,
            "host" => self.host.as_deref(),
            _ => None,
        }
    }

    /// `case_hint`: a principal type of the event's `principal_examples` (`"User/9001"`) that
    /// was never synced but differs only in letter case from one that was (`user`) — the
    /// troubleshooting guide's "case sensitivity" cause of grants to missing principals.
    fn case_hint(&self, ev: &Event<'_>) -> Option<String> {
        let examples = ev.field("principal_examples")?.as_text();
        let list: Vec<String> = serde_json::from_str(&examples).ok()?;
        list.iter().find_map(|e| {
            let rt = e.split_once(['/', ':']).map_or(e.as_str(), |(rt, _)| rt);
            if self.synced_types.iter().any(|t| t == rt) {
                return None;
            }
            let synced = self.synced_types.iter().find(|t| t.eq_ignore_ascii_case(rt))?;
            Some(format!(
                "the grants name principal type `{rt}`, the synced type is `{synced}`: resource type ids are case-sensitive"
            ))
        })
    }

    fn update(&mut self, ev: &Event<'_>) {
        let m = ev.msg.as_ref();
        if m.starts_with("Syncing ") || m == "Sync complete." {
            self.sync_seen = true;
        }
        if let Some(step) = m.strip_prefix("Syncing ") {
            self.step = match step.trim_end_matches('.') {
                "resource types" => Some("list-resource-types"),
                "resources" => Some("list-resources"),
                "entitlements" => Some("list-entitlements"),
                "static entitlements" => Some("list-static-entitlements"),
                "grants" => Some("list-grants"),
                "external resources" => Some("list-external-resources"),
                _ => self.step,
            };
        } else if m == "Expanding grants..." {
            self.step = Some("grant-expansion");
        } else if m == "Sync complete." {
            self.step = None;
        }
        if m.starts_with("finished unary call") || m.starts_with("finished stream call") {
            self.call_seq += 1;
            self.call_seq_text.clear();
            {
                use std::fmt::Write;
                let _ = write!(self.call_seq_text, "{}", self.call_seq);
            }
        }
        if m == "Synced resources" && self.synced_types.len() < MAX_SYNCED_TYPES {
            if let Some(rt) = ev.field("resource_type_id").map(|v| v.as_text()) {
                if !self.synced_types.iter().any(|t| t == rt.as_ref()) {
                    self.synced_types.push(rt.into_owned());
                }
            }
        }
        if let Some(v) = ev.field("http.url_details.host") {
            let t = v.as_text();
            if self.host.as_deref() != Some(t.as_ref()) {
                self.host = Some(t.into_owned());
            }
        }
    }
}

/// The rule engine for one input.
pub struct Engine<'r> {
    rules: &'r RuleSet,
    path: String,
    findings: Vec<Finding>,
    groups: HashMap<(usize, String), usize>,
    /// The finding of each (count-window rule, fingerprint): where its later bursts fold.
    bursts: HashMap<(usize, String), usize>,
    group_counts: Vec<usize>,
    states: Vec<State>,
    hits: Vec<bool>,
    scratch: crate::rules::Scratch,
    passed: Vec<SlotHit>,
    key_buf: String,
    scope_buf: String,
    corr: Correlation,
    last_ts: Option<Timestamp>,
    /// The last line seen.
    last_line: u64,
    /// Matches folded into an existing finding because a rule hit its group cap.
    pub overflowed: u64,
    /// Findings opened so far and not yet handed to a streaming sink.
    fresh: Vec<usize>,
    /// How many of `fresh` already have their streamed message rendered.
    rendered: usize,
    /// Recovery state of the findings of rules with `[outcome]`.
    outcomes: Outcomes,
    /// Findings a streaming sink has not had because their outcome or owner was not known.
    held: Vec<usize>,
    /// Findings that another rule may still own, not frozen yet (see `freeze_due`).
    grace: Vec<usize>,
}

impl<'r> Engine<'r> {
    /// An engine over `rules` for the input named `path` (`-` for stdin).
    pub fn new(rules: &'r RuleSet, path: &str) -> Engine<'r> {
        let states = rules
            .rules
            .iter()
            .map(|r| match &r.window {
                None => State::None,
                Some(w) => match w.kind {
                    WindowKind::Count | WindowKind::Burst => State::Count(CountState::new(
                        w.threshold,
                        w.window_secs,
                        w.span_secs,
                        w.max_keys,
                    )),
                    WindowKind::Repeat => {
                        let win = w.window_secs.is_finite().then_some(w.window_secs);
                        State::Repeat(RepeatState::new(win, w.max_keys))
                    }
                    WindowKind::Ratio => State::Ratio(RatioState::new(w.max_keys)),
                    WindowKind::Absence => {
                        let s = AbsenceState::new(w.within_secs, w.max_keys);
                        State::Absence(if w.expect_before {
                            s.expect_before()
                        } else {
                            s
                        })
                    }
                },
            })
            .collect();
        Engine {
            rules,
            path: path.to_string(),
            findings: Vec::new(),
            groups: HashMap::new(),
            bursts: HashMap::new(),
            group_counts: vec![0; rules.rules.len()],
            states,
            hits: Vec::with_capacity(rules.slot_count()),
            scratch: crate::rules::Scratch::default(),
            passed: Vec::new(),
            key_buf: String::new(),
            scope_buf: String::new(),
            corr: Correlation::default(),
            last_ts: None,
            last_line: 0,
            overflowed: 0,
            fresh: Vec::new(),
            rendered: 0,
            outcomes: Outcomes::default(),
            held: Vec::new(),
            grace: Vec::new(),
        }
    }

    /// Runs every rule on one event; `pre` holds its condition results when they were already
    /// computed ([`RuleSet::evaluate`] on a worker thread). Findings opened by it are reported
    /// by [`Engine::drain_new`].
    pub fn on_event(&mut self, ev: &Event<'_>, pre: Option<&[SlotHit]>) {
        self.corr.update(ev);
        self.last_line = self.last_line.max(ev.span.last_line);
        if let Some(t) = ev.ts {
            self.last_ts = Some(t);
        }
        self.freeze_due();
        if let Some(t) = ev.ts {
            self.tick(t);
        }
        let rules = self.rules;
        // Prepared results are read in place; otherwise they are computed into a reused buffer.
        let mut own = std::mem::take(&mut self.passed);
        own.clear();
        let passed: &[SlotHit] = match pre {
            Some(p) => p,
            None => {
                rules.evaluate(ev, &mut self.hits, &mut self.scratch, &mut own);
                &own
            }
        };
        let mut explained = false;
        let mut fallbacks = Vec::new();
        for hit in passed {
            let (ri, slot) = rules.slots()[hit.slot];
            let rule = &rules.rules[ri];
            let w = rule.window.as_ref();
            match slot {
                Slot::Reset => match &mut self.states[ri] {
                    State::Count(s) => s.reset(),
                    State::Repeat(s) => s.reset(),
                    _ => {}
                },
                Slot::Expect => {
                    let w = w.expect("expect slot has a window");
                    let mut key = std::mem::take(&mut self.key_buf);
                    let (caps, corr) = (&hit.caps, &self.corr);
                    render_bounded(
                        w.key.as_ref(),
                        &|n| resolve_name(n, caps, ev, corr),
                        &mut key,
                    );
                    if let State::Absence(s) = &mut self.states[ri] {
                        s.expect(&key);
                    }
                    self.key_buf = key;
                }
                Slot::Per => {
                    let w = w.expect("per slot has a window");
                    let mut key = std::mem::take(&mut self.key_buf);
                    let (caps, corr) = (&hit.caps, &self.corr);
                    render_bounded(
                        w.key.as_ref(),
                        &|n| resolve_name(n, caps, ev, corr),
                        &mut key,
                    );
                    let value = w.per_value.as_ref().and_then(|f| context::number(ev, f));
                    if let (State::Ratio(s), Some(v)) = (&mut self.states[ri], value) {
                        s.per(&key, v);
                    }
                    self.key_buf = key;
                }
                Slot::Until => {
                    if let State::Ratio(s) = &mut self.states[ri] {
                        let (n, denom) = s.take();
                        let w = w.expect("until slot has a window");
                        if n >= w.threshold as u64 && n as f64 >= w.ratio * denom.max(1.0) {
                            self.open_ratio(ri, ev, n, denom);
                        }
                        continue;
                    }
                    let decided = match &mut self.states[ri] {
                        State::Absence(s) => s.until(),
                        _ => Vec::new(),
                    };
                    for (key, start) in decided {
                        self.open_absent(ri, start, &key, Some(ev));
                    }
                }
                Slot::Main => {
                    if rule.fallback {
                        fallbacks.push((ri, hit.caps.clone()));
                        continue;
                    }
                    explained = true;
                    self.matched(ri, ev, &hit.caps);
                }
            }
        }
        self.settle_outcomes(ev, passed);
        self.passed = own;
        if !explained {
            for (ri, caps) in fallbacks {
                self.matched(ri, ev, &caps);
            }
        }
        // A streamed finding says what was known when it fired, whatever the chunking.
        for &i in &self.fresh[self.rendered..] {
            let f = &mut self.findings[i];
            render(&rules.rules[f.rule], f, Moment::Streamed);
        }
        self.rendered = self.fresh.len();
    }

    /// Opens the finding for a ratio decided at `ev` with `n` matches over `denom`.
    fn open_ratio(&mut self, ri: usize, ev: &Event<'_>, n: u64, denom: f64) {
        let per = if denom > 0.0 {
            n as f64 / denom
        } else {
            n as f64
        };
        let caps = vec![
            ("matches".to_string(), n.to_string()),
            ("denominator".to_string(), crate::event::format_num(denom)),
            ("per_unit".to_string(), format!("{per:.1}")),
        ];
        self.merge_or_open(ri, ev, &caps, None);
    }

    /// Applies `ev` to the rules whose failures wait for their outcome (none on a healthy log,
    /// so successes cost nothing there): `resolved_by` clears the failures of its key,
    /// `failed_by` confirms them. An event that is itself a failure of the rule proves nothing.
    fn settle_outcomes(&mut self, ev: &Event<'_>, passed: &[SlotHit]) {
        let waiting = self.outcomes.waiting_rules();
        if waiting.is_empty() {
            return;
        }
        let rules = self.rules;
        let mut caps = Vec::new();
        for ri in waiting {
            let Some(o) = &rules.rules[ri].outcome else {
                continue;
            };
            let failed_too = passed
                .iter()
                .any(|h| rules.slots()[h.slot] == (ri, Slot::Main));
            caps.clear();
            if !failed_too && o.resolved_by.eval(ev, &mut caps) {
                let key = self.outcome_key(ri, &caps, ev);
                self.outcomes.resolved(ri, &key, ev.span.first_line);
            } else if o.failed_by.as_ref().is_some_and(|c| {
                caps.clear();
                c.eval(ev, &mut caps)
            }) {
                self.outcomes.confirm_all(ri);
            }
        }
    }

    /// The `[outcome] key` of rule `ri` rendered on `ev` (empty: matches any key).
    fn outcome_key(&self, ri: usize, caps: &Captures, ev: &Event<'_>) -> String {
        let mut key = self.rules.rules[ri]
            .outcome
            .as_ref()
            .and_then(|o| o.key.as_ref())
            .map(|k| k.render(&|n| resolve(n, caps, ev, &self.corr)))
            .unwrap_or_default();
        bound_key(&mut key);
        key
    }

    /// Records one occurrence of finding `idx`: its error chain, and a failure still waiting
    /// for its outcome.
    pub(super) fn occurred(&mut self, idx: usize, ev: &Event<'_>, caps: &Captures) {
        let ri = self.findings[idx].rule;
        // A finding's first occurrences give its chains; later ones repeat them.
        if self.findings[idx].chains.len() < crate::finding::MAX_CHAINS {
            let phrase = context::chain_phrase(ev);
            let host = phrase.as_ref().and_then(|_| context::derived(ev, "host"));
            self.findings[idx].add_chain(ev.span.first_line, phrase.as_deref(), host);
        }
        if let Some(o) = &self.rules.rules[ri].outcome {
            let key = self.outcome_key(ri, caps, ev);
            self.outcomes
                .failed(ri, idx, key, ev.ts, o.confirm_after_secs);
        }
    }

    /// Opens (or merges into) the finding for an absence decided now: at the start event's
    /// line, with the deciding event (if any) as evidence and `{key}` / `{silent_secs}` set.
    fn open_absent(&mut self, ri: usize, start: Mark, key: &str, decider: Option<&Event<'_>>) {
        let mut caps = start.caps.clone();
        caps.push(("key".to_string(), key.to_string()));
        let mut ev = Event::text(
            &start.evidence,
            crate::event::Span {
                first_line: start.line,
                last_line: start.end_line,
                byte_offset: 0,
            },
        );
        ev.ts = start.ts;
        let before = self.findings.len();
        let idx = self.merge_or_open(ri, &ev, &caps, Some(key));
        let end = decider.and_then(|d| d.ts).or(self.last_ts);
        let opened = self.findings.len() > before;
        let rule = &self.rules.rules[ri];
        let corr = &self.corr;
        let f = &mut self.findings[idx];
        if opened {
            f.vars
                .insert("key".into(), redact_field("key", key).into_owned());
            // The deciding event (e.g. `Sync complete.`) says what the start did not.
            if let Some(d) = decider {
                let clean = ValueRedactor::new(&d.raw);
                for name in rule.message.names() {
                    if !f.vars.contains_key(name) {
                        if let Some(v) = resolve(name, &caps, d, corr) {
                            f.vars.insert(name.to_string(), clean.value(name, &v));
                        }
                    }
                }
            }
        }
        if let Some(d) = decider {
            f.add_evidence(d.span.first_line, &d.raw);
            f.last_line = f.last_line.max(d.span.last_line);
        }
        if let (Some(a), Some(b)) = (start.ts, end) {
            f.vars.insert(
                "silent_secs".into(),
                crate::event::format_num(b.secs_since(a).max(0.0).round()),
            );
        }
    }

    /// Finishes the input: closes windows (absence decided at end of stream) and returns the
    /// findings in the order they were opened, messages rendered.
    pub fn finish(mut self) -> (Vec<Finding>, u64) {
        let rules = self.rules;
        for ri in 0..self.states.len() {
            if let State::Absence(s) = &mut self.states[ri] {
                if rules.rules[ri]
                    .window
                    .as_ref()
                    .is_some_and(|w| w.until.is_some())
                {
                    s.abandon();
                } else {
                    for (key, mark) in s.finish() {
                        self.open_absent(ri, mark, &key, None);
                    }
                }
            }
        }
        for (idx, f) in self.findings.iter_mut().enumerate() {
            if let Some(line) = self.outcomes.recovered_at(idx) {
                f.recovered_at = Some(line);
                f.severity = f.severity.min(Severity::Info);
            }
        }
        ownership::absorb(&mut self.findings, &rules.rules);
        for f in &mut self.findings {
            let rule = &rules.rules[f.rule];
            let Some(line) = f.recovered_at else {
                render(rule, f, Moment::Final);
                continue;
            };
            f.vars.insert("recovered_at".into(), line.to_string());
            match rule.outcome.as_ref().and_then(|o| o.message.as_ref()) {
                Some(m) => render_template(m, f, Moment::Final),
                None => {
                    render(rule, f, Moment::Final);
                    f.message
                        .push_str(&format!(" — recovered: a success followed at line {line}"));
                }
            }
        }
        (self.findings, self.overflowed)
    }

    /// True when a finding must wait before it is streamed: its outcome is not known yet, or
    /// another rule may still turn out to own it (see `ownership`).
    /// True when a finding must wait before it is streamed: its outcome is not known yet, it
    /// is a consequence of the whole run (`suppressed_by`), or another rule may still turn out
    /// to own it on its chain (`absorbed_by`, `fallback`) — see [`Engine::freeze_due`].
    fn must_wait(&self, idx: usize) -> bool {
        let f = &self.findings[idx];
        let rule = &self.rules.rules[f.rule];
        if !rule.suppressed_by.is_empty() || self.outcomes.undecided(idx) {
            return true;
        }
        (!rule.absorbed_by.is_empty() || rule.fallback) && !f.frozen
    }

    /// The copies of one error (child, parent, exit line) come within seconds: a finding that
    /// another rule could own on its chain, and has no outcome to wait for, is frozen once
    /// [`OWNER_GRACE_SECS`] of log time or [`OWNER_GRACE_LINES`] lines have passed since its
    /// last occurrence. A frozen finding can be streamed and is never absorbed. Decided per
    /// event, from the log alone, so the findings do not depend on how input was chunked.
    fn freeze_due(&mut self) {
        if self.grace.is_empty() {
            return;
        }
        let (now, line) = (self.last_ts, self.last_line);
        let findings = &self.findings;
        let (due, waiting): (Vec<usize>, Vec<usize>) = self.grace.iter().partition(|&&idx| {
            let f = &findings[idx];
            let secs = match (now, f.last_ts) {
                (Some(now), Some(last)) => now.secs_since(last),
                _ => 0.0,
            };
            secs >= OWNER_GRACE_SECS || line.saturating_sub(f.last_line) >= OWNER_GRACE_LINES
        });
        self.grace = waiting;
        if due.is_empty() {
            return;
        }
        let by_rule = ownership::index(&self.findings, self.rules.rules.len());
        for idx in due {
            // An owner already seen keeps it for the end of the input, where it is absorbed.
            if ownership::owner_of(idx, &self.findings, &self.rules.rules, &by_rule).is_some() {
                continue;
            }
            let f = &mut self.findings[idx];
            f.frozen = true;
            // What it says when it is streamed is what was known now, whatever the chunking.
            render(&self.rules.rules[f.rule], f, Moment::Streamed);
        }
    }

    /// Findings opened since the last call, messages rendered as of now (streaming output).
    /// Findings of rules that defer to others (`suppressed_by`) wait for [`Engine::finish`].
    pub fn drain_new(&mut self) -> Vec<Finding> {
        let fresh = std::mem::take(&mut self.fresh);
        let done = std::mem::take(&mut self.rendered);
        let rules = self.rules;
        let mut out = Vec::new();
        // Held findings whose outcome is now known (a confirmed failure) go first.
        let held = std::mem::take(&mut self.held);
        let mut waiting = Vec::new();
        for i in held {
            if self.must_wait(i) {
                waiting.push(i);
                continue;
            }
            // Rendered when it was frozen or confirmed (see `freeze_due`, `occurred`).
            let f = &mut self.findings[i];
            f.streamed = true;
            out.push(f.clone());
        }
        for (n, i) in fresh.into_iter().enumerate() {
            if self.must_wait(i) {
                waiting.push(i);
                continue;
            }
            let f = &mut self.findings[i];
            let rule = &rules.rules[f.rule];
            if n >= done {
                render(rule, f, Moment::Streamed);
            }
            f.streamed = true;
            out.push(f.clone());
        }
        self.held = waiting;
        out
    }

    fn tick(&mut self, t: Timestamp) {
        for ri in 0..self.states.len() {
            if let State::Absence(s) = &mut self.states[ri] {
                for (key, mark) in s.tick(t) {
                    self.open_absent(ri, mark, &key, None);
                }
            }
        }
    }

    fn mark(ev: &Event<'_>) -> Mark {
        Mark {
            line: ev.span.first_line,
            end_line: ev.span.last_line,
            ts: ev.ts,
            evidence: mark_text(&ev.raw),
            caps: Vec::new(),
        }
    }

    fn matched(&mut self, ri: usize, ev: &Event<'_>, caps: &Captures) {
        let rule = &self.rules.rules[ri];
        let Some(w) = &rule.window else {
            self.merge_or_open(ri, ev, caps, None);
            return;
        };
        let corr = &self.corr;
        let resolve = |n: &str| resolve(n, caps, ev, corr);
        let named = |n: &context::FieldName| resolve_name(n, caps, ev, corr);
        // Keys are rendered into reused buffers: this runs for most request lines.
        let mut key = std::mem::take(&mut self.key_buf);
        let keyed = !matches!(self.states[ri], State::None | State::Ratio(_));
        render_bounded(w.key.as_ref().filter(|_| keyed), &named, &mut key);
        match &mut self.states[ri] {
            State::None => {}
            State::Count(state) => {
                let values: Vec<Option<f64>> =
                    w.max.iter().map(|f| context::number(ev, f)).collect();
                match state.observe(&key, ev.ts, || Self::mark(ev), &values) {
                    CountOutcome::Quiet => {}
                    CountOutcome::Crossed {
                        first,
                        count,
                        maxes,
                    } => {
                        let idx = self.open_burst(ri, ev, caps, &key, &first, count);
                        if let State::Count(state) = &mut self.states[ri] {
                            state.set_finding(&key, idx);
                        }
                        for (field, v) in w.max.iter().zip(maxes) {
                            if let Some(v) = v {
                                keep_max(&mut self.findings[idx].vars, field, v);
                            }
                        }
                        self.aggregate(ri, idx, ev, caps);
                    }
                    CountOutcome::Extended { finding } => {
                        self.extend(finding, ev, caps);
                        self.aggregate(ri, finding, ev, caps);
                    }
                }
            }
            State::Repeat(state) => {
                if key.is_empty() {
                    self.key_buf = key;
                    return;
                }
                let mut scope = std::mem::take(&mut self.scope_buf);
                render_bounded(w.scope.as_ref(), &named, &mut scope);
                let prev = state.observe(&scope, &key, Self::mark(ev));
                self.scope_buf = scope;
                if let Some(prev) = prev {
                    let mut caps = caps.clone();
                    caps.push(("first_seen_line".into(), prev.line.to_string()));
                    caps.push(("repeated".into(), key.clone()));
                    let before = self.findings.len();
                    let idx = self.merge_or_open(ri, ev, &caps, None);
                    if self.findings.len() > before {
                        self.findings[idx].evidence.insert(
                            0,
                            crate::finding::Evidence {
                                line: prev.line,
                                // A mark holds raw text (see `mark_text`): redacted here.
                                text: redacted_clip(&prev.evidence),
                            },
                        );
                        self.findings[idx].line = prev.line;
                        self.findings[idx].first_ts = prev.ts.or(self.findings[idx].first_ts);
                    }
                }
            }
            State::Ratio(state) => state.observe(),
            State::Absence(state) => {
                // The start event's values name the finding when it is decided later (the
                // deciding line rarely knows them); bounded, so a waiting key stays small.
                let mut vars = Captures::new();
                for name in rule.message.names() {
                    if let Some(v) = resolve(name) {
                        let mut v = v.into_owned();
                        bound_key(&mut v);
                        vars.push((name.to_string(), v));
                    }
                }
                state.start(
                    &key,
                    Mark {
                        caps: vars,
                        ..Self::mark(ev)
                    },
                )
            }
        }
        self.key_buf = key;
    }

    /// Keeps `max.<field>` and `examples` aggregates on an open window finding.
    fn aggregate(&mut self, ri: usize, idx: usize, ev: &Event<'_>, caps: &Captures) {
        let Some(w) = &self.rules.rules[ri].window else {
            return;
        };
        let f = &mut self.findings[idx];
        for field in &w.max {
            let Some(v) = context::number(ev, field) else {
                continue;
            };
            keep_max(&mut f.vars, field, v);
        }
        if let Some(ex) = &w.example {
            let val = ex.render(&|n| resolve(n, caps, ev, &self.corr));
            let val = ValueRedactor::new(&ev.raw).value("examples", &val);
            let list = f.vars.entry("examples".into()).or_default();
            let n = if list.is_empty() {
                0
            } else {
                list.matches(", ").count() + 1
            };
            if n < 3 && !list.split(", ").any(|x| x == val) {
                if !list.is_empty() {
                    list.push_str(", ");
                }
                list.push_str(&val);
            }
        }
    }

    /// Merges `ev` into the finding of its group, or opens a new one. Returns its index.
    fn merge_or_open(
        &mut self,
        ri: usize,
        ev: &Event<'_>,
        caps: &Captures,
        key: Option<&str>,
    ) -> usize {
        let rule = &self.rules.rules[ri];
        let mut group = rule
            .group
            .as_ref()
            .map(|g| g.render(&|n| resolve(n, caps, ev, &self.corr)))
            .unwrap_or_default();
        bound_key(&mut group);
        if let Some(&idx) = self.groups.get(&(ri, group.clone())) {
            self.extend(idx, ev, caps);
            return idx;
        }
        if self.group_counts[ri] >= MAX_GROUPS_PER_RULE {
            self.overflowed += 1;
            let last = latest_of(&self.groups, ri).expect("cap > 0");
            self.extend(last, ev, caps);
            return last;
        }
        let idx = self.open(ri, ev, caps, key.or(Some(&group)));
        self.groups.insert((ri, group), idx);
        self.group_counts[ri] += 1;
        idx
    }

    fn extend(&mut self, idx: usize, ev: &Event<'_>, caps: &Captures) {
        self.occurred(idx, ev, caps);
        let f = &mut self.findings[idx];
        f.count += 1;
        f.last_line = ev.span.last_line;
        if ev.ts.is_some() {
            f.last_ts = ev.ts;
        }
        f.add_evidence(ev.span.first_line, &ev.raw);
        for k in CONTEXT_KEYS {
            if !f.context.contains_key(k) {
                if let Some(v) = context::derived(ev, k) {
                    let v = ValueRedactor::new(&ev.raw).value(k, v);
                    f.context.insert(k.to_string(), v);
                }
            }
        }
    }

    /// What a finding opened at `ev` says it happened in (redacted): the context keys the event
    /// has, and the sync step when the event names no operation.
    pub(super) fn context_of(&self, ev: &Event<'_>) -> IndexMap<String, String> {
        let clean = ValueRedactor::new(&ev.raw);
        let mut ctx = IndexMap::new();
        for k in CONTEXT_KEYS {
            if let Some(v) = context::derived(ev, k) {
                ctx.insert(k.to_string(), clean.value(k, v));
            }
        }
        if !ctx.contains_key("operation") {
            if let Some(step) = self.corr.step {
                ctx.insert("operation".into(), step.to_string());
            }
        }
        ctx
    }

    fn open(&mut self, ri: usize, ev: &Event<'_>, caps: &Captures, key: Option<&str>) -> usize {
        let ctx = self.context_of(ev);
        let fingerprint =
            crate::finding::fingerprint(&self.rules.rules[ri].code, key.unwrap_or(""), &ctx);
        self.open_with(ri, ev, caps, ctx, fingerprint)
    }

    /// Opens a finding of rule `ri` at `ev` with its context and fingerprint already made.
    pub(super) fn open_with(
        &mut self,
        ri: usize,
        ev: &Event<'_>,
        caps: &Captures,
        ctx: IndexMap<String, String>,
        fingerprint: String,
    ) -> usize {
        let rule: &Rule = &self.rules.rules[ri];
        let mut vars = IndexMap::new();
        let clean = ValueRedactor::new(&ev.raw);
        for name in rule.message.names() {
            if let Some(v) = resolve(name, caps, ev, &self.corr) {
                vars.insert(name.to_string(), clean.value(name, &v));
            }
        }
        for (k, v) in caps {
            vars.entry(k.clone()).or_insert_with(|| clean.value(k, v));
        }
        let line = ev.span.first_line;
        let mut f = Finding {
            code: rule.code.clone(),
            name: rule.name.clone(),
            severity: rule.severity,
            message: String::new(),
            path: self.path.clone(),
            line,
            end_line: ev.span.last_line,
            last_line: ev.span.last_line,
            count: 1,
            first_ts: ev.ts,
            last_ts: ev.ts,
            context: ctx,
            evidence: Vec::new(),
            fingerprint,
            vars,
            rule: ri,
            streamed: false,
            recovered_at: None,
            recurrences: 0,
            also_seen: Vec::new(),
            source: None,
            chains: Vec::new(),
            frozen: false,
        };
        f.add_evidence(line, &ev.raw);
        self.findings.push(f);
        let idx = self.findings.len() - 1;
        self.fresh.push(idx);
        self.occurred(idx, ev, caps);
        let rule = &self.rules.rules[ri];
        let ownable = !rule.absorbed_by.is_empty() || rule.fallback;
        if ownable && rule.outcome.is_none() && rule.suppressed_by.is_empty() {
            self.grace.push(idx);
        }
        idx
    }
}

/// The `max.<field>` aggregate of a finding's `vars` raised to `v` if it is higher.
fn keep_max(vars: &mut IndexMap<String, String>, field: &str, v: f64) {
    let key = format!("max.{field}");
    let cur = vars.get(&key).and_then(|s| s.parse::<f64>().ok());
    if cur.is_none_or(|c| v > c) {
        vars.insert(key, crate::event::format_num(v));
    }
}

/// The latest finding (highest index) a `(rule, …)` map holds for rule `ri`: where a rule's
/// matches go once it reached its cap of distinct findings.
fn latest_of(map: &HashMap<(usize, String), usize>, ri: usize) -> Option<usize> {
    map.iter()
        .filter(|((r, _), _)| *r == ri)
        .map(|(_, i)| *i)
        .max()
}

/// A window mark's text. Marks are made for every new key (every request line of a paginated
/// debug log), and few ever become evidence, so a line that fits the evidence clip is kept raw
/// and redacted when it becomes evidence (every use goes through `redacted_clip`; redacting
/// each mark halved the throughput). A longer line is redacted now, before it is clipped: a
/// clip could cut a secret out of the patterns' sight (report D2).
fn mark_text(raw: &str) -> String {
    let fits = raw.len() <= crate::finding::MAX_EVIDENCE_CHARS
        && memchr::memchr(b'\n', raw.as_bytes()).is_none();
    if fits {
        raw.to_string()
    } else {
        redacted_clip(raw)
    }
}

/// Window keys, scopes and groups longer than this are cut and completed with a hash of the
/// whole, so rule state stays bounded in bytes whatever the values a log holds.
const MAX_KEY_BYTES: usize = 256;

/// `t` rendered into `out` (cleared first: a reused buffer, as keys are made on most request
/// and progress lines) and bounded: every window key and scope is made here, so the key of a
/// start event and of its expected event meet whatever their length. No template: empty.
fn render_bounded<'v>(
    t: Option<&crate::rules::Template>,
    get: &dyn Fn(&context::FieldName) -> Option<Cow<'v, str>>,
    out: &mut String,
) {
    out.clear();
    if let Some(t) = t {
        t.render_named_to(get, out);
        bound_key(out);
    }
}

fn bound_key(s: &mut String) {
    if s.len() <= MAX_KEY_BYTES {
        return;
    }
    let hash = fnv1a(&[s.as_str()]);
    let mut cut = MAX_KEY_BYTES - 40;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    s.push('#');
    s.push_str(&hash);
}

/// A placeholder's value: regex captures, then the event's fields, then derived values, then
/// what the stream said recently (correlation).
fn resolve<'x>(
    name: &str,
    caps: &'x Captures,
    ev: &'x Event<'_>,
    corr: &'x Correlation,
) -> Option<Cow<'x, str>> {
    resolve_with(name, caps, ev, corr, || context::lookup(ev, name))
}

/// [`resolve`] of a name resolved at load (window keys and scopes: most request lines).
fn resolve_name<'x>(
    name: &context::FieldName,
    caps: &'x Captures,
    ev: &'x Event<'_>,
    corr: &'x Correlation,
) -> Option<Cow<'x, str>> {
    resolve_with(name, caps, ev, corr, || name.lookup(ev))
}

fn resolve_with<'x>(
    name: &str,
    caps: &'x Captures,
    ev: &'x Event<'_>,
    corr: &'x Correlation,
    lookup: impl FnOnce() -> Option<Cow<'x, str>>,
) -> Option<Cow<'x, str>> {
    if let Some((_, v)) = caps.iter().find(|(k, _)| k == name) {
        return Some(Cow::Borrowed(v));
    }
    if name == "case_hint" {
        return corr.case_hint(ev).map(Cow::Owned);
    }
    // The troubleshooting guide's "the sync never started": the run failed before any step.
    if name == "before_sync" {
        return (!corr.sync_seen).then_some(Cow::Borrowed("before the sync started"));
    }
    lookup()
        .filter(|s| !s.is_empty())
        .or_else(|| corr.get(name).map(Cow::Borrowed))
}

/// When a message is rendered: as its finding opens (streamed formats), when counts may still
/// grow, or at the end with the final numbers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Moment {
    Streamed,
    Final,
}

/// Renders a finding's message from its captured values plus the built-ins `count`, `span`
/// (seconds), `first_line`, `last_line` and the context keys. A streamed message claims no
/// final number: its count reads "at least N" (the end-of-run formats carry the final count).
fn render(rule: &Rule, f: &mut Finding, moment: Moment) {
    render_template(&rule.message, f, moment);
}

/// Renders `template` as a finding's message (see [`render`]).
fn render_template(template: &crate::rules::Template, f: &mut Finding, moment: Moment) {
    let span = f
        .span_secs()
        .map(|s| crate::event::format_num(s.max(0.0).round()));
    let burst = |n: &str| f.vars.get(n).map(|s| Cow::Borrowed(s.as_str()));
    let mut msg = template.render(&|n| match n {
        // A failure that came back: the message tells its first burst (see `Engine::recur`).
        "count" if f.recurrences > 0 => burst("burst.count"),
        "span" if f.recurrences > 0 => burst("burst.span"),
        "count" if moment == Moment::Streamed => Some(Cow::Owned(format!("at least {}", f.count))),
        "count" => Some(Cow::Owned(f.count.to_string())),
        "span" => span.as_deref().map(Cow::Borrowed),
        "first_line" => Some(Cow::Owned(f.line.to_string())),
        "last_line" => Some(Cow::Owned(f.last_line.to_string())),
        _ => f
            .vars
            .get(n)
            .or_else(|| f.context.get(n))
            .map(|s| Cow::Borrowed(s.as_str())),
    });
    if f.recurrences > 0 {
        let n = f.recurrences;
        let times = if n == 1 { "time" } else { "times" };
        let all = match moment {
            Moment::Streamed => format!("at least {}", f.count),
            Moment::Final => f.count.to_string(),
        };
        msg.push_str(&format!(
            " — it came back {n} more {times} (×{all} in all, the last at line {})",
            f.last_line
        ));
    }
    f.message = msg;
}
