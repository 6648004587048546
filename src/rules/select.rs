//! Which rules run: `--select`, `--extend-select`, `--ignore` by code, code prefix, name or
//! category (`ALL` for every rule), and per-rule severity overrides.

use super::{Rule, Severity};

/// A resolved selection.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// If non-empty, only these (default: every stable rule).
    pub select: Vec<String>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    /// (selector, severity); `None` turns the rule off.
    pub severity: Vec<(String, Option<Severity>)>,
    /// Also run preview rules when selecting by prefix, category or `ALL`.
    pub preview: bool,
}

/// True when `sel` names `rule`: `ALL`, a code prefix (`BL2`, `BL201`), the rule name, or its
/// category.
pub fn selector_matches(sel: &str, rule: &Rule) -> bool {
    sel.eq_ignore_ascii_case("ALL")
        || (sel.len() >= 2
            && rule
                .code
                .to_ascii_uppercase()
                .starts_with(&sel.to_ascii_uppercase()))
        || rule.name == sel
        || rule.category == sel
}

/// True when `sel` could name some rule in `rules` (for "unknown selector" errors).
pub fn selector_known(sel: &str, rules: &[Rule]) -> bool {
    rules.iter().any(|r| selector_matches(sel, r))
}

impl Selection {
    /// Applies the selection: the rules that run, with severities overridden.
    pub fn apply(&self, rules: Vec<Rule>) -> Vec<Rule> {
        let explicit = |r: &Rule, sels: &[String]| {
            sels.iter()
                .any(|s| s.eq_ignore_ascii_case(&r.code) || *s == r.name)
        };
        let picked = |r: &Rule, sels: &[String]| {
            sels.iter().any(|s| selector_matches(s, r))
                && (!r.preview || self.preview || explicit(r, sels))
        };
        rules
            .into_iter()
            .filter(|r| {
                let base = if self.select.is_empty() {
                    !r.preview || self.preview
                } else {
                    picked(r, &self.select)
                };
                (base || picked(r, &self.extend_select))
                    && !self.ignore.iter().any(|s| selector_matches(s, r))
            })
            .filter_map(|mut r| {
                for (sel, sev) in &self.severity {
                    if selector_matches(sel, &r) {
                        match sev {
                            Some(s) => r.severity = *s,
                            None => return None,
                        }
                    }
                }
                Some(r)
            })
            .collect()
    }
}
