//! Rules are data: one TOML file each in `rules/` (embedded at build time) or a user folder.
//! This module holds the compiled form ([`Rule`], [`RuleSet`]) and the literal prefilter that
//! lets a line no rule can match cost one Aho-Corasick scan.

pub mod condition;
pub mod loader;
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
    pub per_value: Option<String>,
    pub ratio: f64,
    pub within_secs: Option<f64>,
    pub max: Vec<String>,
    pub example: Option<Template>,
    pub max_keys: usize,
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

/// The active rules, in code order, with their prefilter.
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// (rule index, slot) for each prefilter slot.
    slots: Vec<(usize, Slot)>,
    /// Slots with no usable literal: evaluated on every event.
    always: Vec<bool>,
    ac: Option<AhoCorasick>,
    /// Aho-Corasick pattern index → slot index.
    pattern_slot: Vec<usize>,
}

impl RuleSet {
    /// Builds the set and its prefilter. Rules are sorted by code.
    pub fn new(mut rules: Vec<Rule>) -> RuleSet {
        rules.sort_by(|a, b| a.code.cmp(&b.code));
        let mut slots = Vec::new();
        let mut always = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut pattern_slot = Vec::new();
        for (ri, r) in rules.iter().enumerate() {
            if r.scope == Scope::C1z {
                continue;
            }
            let mut conds: Vec<(Slot, &Cond)> = vec![(Slot::Main, &r.matcher)];
            if let Some(w) = &r.window {
                if let Some(c) = &w.reset {
                    conds.push((Slot::Reset, c));
                }
                if let Some(c) = &w.expect {
                    conds.push((Slot::Expect, c));
                }
                if let Some(c) = &w.until {
                    conds.push((Slot::Until, c));
                }
                if let Some(c) = &w.per {
                    conds.push((Slot::Per, c));
                }
            }
            for (slot, cond) in conds {
                let si = slots.len();
                slots.push((ri, slot));
                match cond.required_literals() {
                    Some(lits) if !lits.is_empty() => {
                        always.push(false);
                        for l in lits {
                            patterns.push(l);
                            pattern_slot.push(si);
                        }
                    }
                    _ => always.push(true),
                }
            }
        }
        let ac = if patterns.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .ok()
        };
        if ac.is_none() {
            always.iter_mut().for_each(|a| *a = true);
        }
        RuleSet {
            rules,
            slots,
            always,
            ac,
            pattern_slot,
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

    /// Marks in `hits` the slots that may match `raw` (always-slots included).
    pub fn prefilter(&self, raw: &str, hits: &mut Vec<bool>) {
        hits.clear();
        hits.extend_from_slice(&self.always);
        if let Some(ac) = &self.ac {
            for m in ac.find_overlapping_iter(raw) {
                hits[self.pattern_slot[m.pattern().as_usize()]] = true;
            }
        }
    }

    /// Slots that are evaluated on every event (no literal found), for diagnostics.
    pub fn unfiltered(&self) -> Vec<(String, Slot)> {
        self.slots
            .iter()
            .zip(&self.always)
            .filter(|(_, a)| **a)
            .map(|((r, s), _)| (self.rules[*r].code.clone(), *s))
            .collect()
    }

    /// Looks a rule up by code or name.
    pub fn find(&self, code_or_name: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
    }
}
