//! Runs the cases embedded in rule files: `invalid` cases must fire, `valid` ones must stay
//! quiet. Used by `baton-lint test` and by `cargo test`.

use std::fmt;

use crate::check::lint_text;
use crate::rules::{Case, Rule, RuleSet};

/// How a case failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// An `invalid` case produced no finding (or not the expected ones).
    Missing(String),
    /// A `valid` case produced a finding.
    Noisy(String),
}

/// One failing case.
#[derive(Debug, Clone)]
pub struct CaseFailure {
    pub code: String,
    pub name: String,
    pub origin: String,
    /// `invalid[0]`, `valid[1]`, …
    pub case: String,
    pub failure: Failure,
}

impl fmt::Display for CaseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, why) = match &self.failure {
            Failure::Missing(w) => ("Missing", w),
            Failure::Noisy(w) => ("Noisy", w),
        };
        write!(
            f,
            "{} {} ({}) tests.{}: {kind}: {why}",
            self.code, self.name, self.origin, self.case
        )
    }
}

/// Totals of a test run.
#[derive(Debug, Default)]
pub struct Outcome {
    pub passed: usize,
    pub failures: Vec<CaseFailure>,
}

/// Placeholders the engine fills itself (window aggregates, correlation, the finding's own
/// numbers); `max.<field>` is one too.
const ENGINE_NAMES: &[&str] = &[
    "count",
    "span",
    "first_line",
    "last_line",
    "key",
    "silent_secs",
    "matches",
    "denominator",
    "per_unit",
    "first_seen_line",
    "repeated",
    "examples",
    "call_seq",
    "step",
    "case_hint",
    "before_sync",
];

/// The message placeholders of `rule` that nothing can fill: not a capture of its regexes, not
/// a derived value or one the engine sets, not a field its conditions test, and not a field of
/// any of its own cases. Such a placeholder always renders as `?` (report D25).
pub fn unknown_placeholders(rule: &Rule) -> Vec<String> {
    let mut known: std::collections::HashSet<String> = ENGINE_NAMES
        .iter()
        .chain(crate::context::DERIVED)
        .map(|s| s.to_string())
        .collect();
    known.extend(["msg", "error", "level", "caller", "ts", "raw"].map(String::from));
    rule.matcher.visit(&mut |c| {
        if let crate::rules::condition::Cond::Field { fields, pred } = c {
            known.extend(fields.iter().map(|f| f.to_string()));
            if let crate::rules::condition::Pred::Regex(re, _) = pred {
                known.extend(re.get().capture_names().flatten().map(String::from));
            }
        }
    });
    for case in rule.invalid.iter().chain(&rule.valid) {
        let mut p = crate::parse::Parser::new();
        let mut add = |ev: &crate::event::Event<'_>| {
            known.extend(ev.fields.iter().map(|(k, _)| k.to_string()));
        };
        for (i, l) in case.input.lines().enumerate() {
            p.push(
                crate::parse::Line {
                    text: l,
                    number: i as u64 + 1,
                    offset: 0,
                },
                &mut add,
            );
        }
        p.finish(&mut add);
    }
    let is_known = |name: &str| {
        known.contains(name)
            || name.starts_with("max.")
            // A dotted path into a known JSON field (`action.operation`).
            || name
                .split_once('.')
                .is_some_and(|(head, _)| known.contains(head))
    };
    let mut out: Vec<String> = rule
        .message
        .names()
        .into_iter()
        .filter(|n| !is_known(n))
        .map(String::from)
        .collect();
    out.dedup();
    out
}

/// The rules a case runs with: the rule itself, the rules it defers to (`suppressed_by`), and for
/// a fallback rule every other rule (it must stay quiet where they explain the failure).
pub fn case_rules(rule: &Rule, all: &[Rule]) -> RuleSet {
    let mut set = vec![rule.clone()];
    for other in all {
        let owner =
            rule.suppressed_by.contains(&other.code) || rule.absorbed_by.contains(&other.code);
        if other.code != rule.code && (rule.fallback || owner) {
            set.push(other.clone());
        }
    }
    RuleSet::new(set)
}

fn run_case(rule: &Rule, all: &[Rule], case: &Case, must_fire: bool) -> Option<Failure> {
    let set = case_rules(rule, all);
    let mut res = lint_text(&set, &case.text(), "case");
    res.findings.retain(|f| f.code == rule.code);
    if !must_fire {
        // A failure that recovered is quiet: it is reported as info, not as the failure.
        res.findings.retain(|f| f.recovered_at.is_none());
    }
    let n = res.findings.len();
    if !must_fire {
        return (n > 0).then(|| {
            Failure::Noisy(format!(
                "expected no finding, got {n}: {}",
                res.findings[0].message
            ))
        });
    }
    if n == 0 {
        return Some(Failure::Missing("expected a finding, got none".into()));
    }
    if let Some(want) = case.findings {
        if want != n {
            return Some(Failure::Missing(format!(
                "expected {want} finding(s), got {n}"
            )));
        }
    }
    if let Some(want) = &case.severity {
        let got = res.findings[0].severity.as_str();
        if got != want.as_str() {
            return Some(Failure::Missing(format!(
                "severity {got:?}, expected {want:?}"
            )));
        }
    }
    if let Some(text) = &case.message {
        if !res.findings[0].message.contains(text.as_str()) {
            return Some(Failure::Missing(format!(
                "message {:?} does not contain {text:?}",
                res.findings[0].message
            )));
        }
    }
    None
}

/// Runs every case of every rule.
pub fn run(rules: &[Rule]) -> Outcome {
    let mut out = Outcome::default();
    for r in rules {
        let cases = r
            .invalid
            .iter()
            .map(|c| (c, true, "invalid"))
            .chain(r.valid.iter().map(|c| (c, false, "valid")));
        let mut idx = [0usize; 2];
        for (c, must, label) in cases {
            let i = &mut idx[must as usize];
            let name = format!("{label}[{i}]");
            *i += 1;
            match run_case(r, rules, c, must) {
                None => out.passed += 1,
                Some(failure) => out.failures.push(CaseFailure {
                    code: r.code.clone(),
                    name: r.name.clone(),
                    origin: r.origin.clone(),
                    case: name,
                    failure,
                }),
            }
        }
    }
    out
}
