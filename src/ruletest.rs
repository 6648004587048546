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

/// The rules a case runs with: the rule itself, the rules it defers to (`suppressed_by`), and for
/// a fallback rule every other rule (it must stay quiet where they explain the failure).
pub fn case_rules(rule: &Rule, all: &[Rule]) -> RuleSet {
    let mut set = vec![rule.clone()];
    for other in all {
        if other.code != rule.code && (rule.fallback || rule.suppressed_by.contains(&other.code)) {
            set.push(other.clone());
        }
    }
    RuleSet::new(set)
}

fn run_case(rule: &Rule, all: &[Rule], case: &Case, must_fire: bool) -> Option<Failure> {
    let set = case_rules(rule, all);
    let mut res = lint_text(&set, &case.text(), "case");
    res.findings.retain(|f| f.code == rule.code);
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
