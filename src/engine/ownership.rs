//! Root cause, once. One failure leaves copies everywhere: the child's call line, the parent's
//! `ratelimit: error running client request`, the retry loop, the daemon's poll error, the exit
//! line. Each rule may see one of them; the rule files say which rule explains which:
//!
//! - `absorbed_by = [codes]`: a finding that shares an error chain (the same innermost error
//!   text on the same host, or the same line — see [`crate::context::chain_phrase`]) with a finding of one of
//!   those rules is that finding's consequence;
//! - `fallback = true`: absorbed by any non-fallback finding on its chain;
//! - `suppressed_by = [codes]`: a consequence of the whole run (a sync that never finished
//!   after a crash): absorbed by a finding of one of those rules in the input (on its chain if
//!   one is, else the earliest); for an absence (something never came after line N), one that
//!   was still failing after line N.
//!
//! A recovered failure owns only consequences that recovered too. A consequence is removed and listed on its root as "also seen", the root keeps its own
//! severity and gains the context (resource type, host, call) it lacked.

use crate::finding::{AlsoSeen, Finding};
use crate::rules::Rule;

/// Most consequences listed on one root.
const MAX_ALSO_SEEN: usize = 8;

/// Two findings share a chain when an occurrence of each has the same line, or the same
/// innermost error with no conflicting host (one side may not know it).
pub fn shares_chain(a: &Finding, b: &Finding) -> bool {
    a.chains.iter().any(|(x, hx)| {
        b.chains
            .iter()
            .any(|(y, hy)| x == y && (*hx == 0 || *hy == 0 || hx == hy))
    })
}

/// Finding indices per rule index: owners are looked for among the findings of the rules a
/// relation names, not among all (a crafted log can hold thousands of findings).
pub(super) fn index(findings: &[Finding], rule_count: usize) -> Vec<Vec<usize>> {
    let mut by_rule = vec![Vec::new(); rule_count];
    for (i, f) in findings.iter().enumerate() {
        by_rule[f.rule].push(i);
    }
    by_rule
}

/// The findings of the rules named in `codes`.
fn of_codes(codes: &[String], rules: &[Rule], by_rule: &[Vec<usize>]) -> Vec<usize> {
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| codes.contains(&r.code))
        .flat_map(|(k, _)| by_rule[k].iter().copied())
        .collect()
}

/// The finding that explains finding `i`, if any (`by_rule` from [`index`]).
pub(super) fn owner_of(
    i: usize,
    findings: &[Finding],
    rules: &[Rule],
    by_rule: &[Vec<usize>],
) -> Option<usize> {
    let f = &findings[i];
    // A frozen finding (its chain's copies long past) may have been reported on a live stream:
    // it stays what it was reported as.
    if f.frozen {
        return None;
    }
    let r = &rules[f.rule];
    let earliest = |it: &mut dyn Iterator<Item = usize>| it.min_by_key(|&j| (findings[j].line, j));
    if !r.absorbed_by.is_empty() || r.fallback {
        // A fallback is owned by any rule: its findings are few (one per input for BL905).
        let candidates = if r.fallback {
            (0..findings.len()).collect()
        } else {
            of_codes(&r.absorbed_by, rules, by_rule)
        };
        let found = earliest(&mut candidates.into_iter().filter(|&j| {
            let g = &findings[j];
            j != i
                && (g.recovered_at.is_none() || f.recovered_at.is_some())
                && g.code != f.code
                && shares_chain(f, g)
                && (r.absorbed_by.contains(&g.code) || (r.fallback && !rules[g.rule].fallback))
        }));
        if found.is_some() {
            return found;
        }
    }
    if r.suppressed_by.is_empty() {
        return None;
    }
    // Something that never came after line N (an absence) is explained by a failure after N:
    // a 401 that ended one sync does not explain why the next sync's log stops.
    let absence = r
        .window
        .as_ref()
        .is_some_and(|w| w.kind == crate::rules::WindowKind::Absence);
    let by_code = |j: &usize| {
        j != &i
            && (findings[*j].recovered_at.is_none() || f.recovered_at.is_some())
            && (!absence || findings[*j].last_line >= f.line)
            && r.suppressed_by.contains(&findings[*j].code)
    };
    let candidates = of_codes(&r.suppressed_by, rules, by_rule);
    earliest(
        &mut candidates
            .iter()
            .copied()
            .filter(|j| by_code(j) && shares_chain(f, &findings[*j])),
    )
    .or_else(|| earliest(&mut candidates.iter().copied().filter(by_code)))
}

/// Absorbs every consequence into its root cause; the survivors keep their order.
pub fn absorb(findings: &mut Vec<Finding>, rules: &[Rule]) {
    let n = findings.len();
    let by_rule = index(findings, rules.len());
    let owner: Vec<Option<usize>> = (0..n)
        .map(|i| owner_of(i, findings, rules, &by_rule))
        .collect();
    // Follow owners to the root; a cycle (two rules naming each other) leaves its start a root.
    let root = |i: usize| {
        let mut cur = i;
        for _ in 0..n {
            match owner[cur] {
                Some(o) if o != i => cur = o,
                _ => break,
            }
        }
        cur
    };
    let roots: Vec<usize> = (0..n).map(root).collect();
    let mut absorbed = vec![false; n];
    for i in 0..n {
        let r = roots[i];
        if r == i {
            continue;
        }
        absorbed[i] = true;
        let (code, name, line, count) = {
            let f = &findings[i];
            (f.code.clone(), f.name.clone(), f.line, f.count)
        };
        let context: Vec<(String, String)> = findings[i]
            .context
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let root = &mut findings[r];
        for (k, v) in context {
            root.context.entry(k).or_insert(v);
        }
        if let Some(a) = root.also_seen.iter_mut().find(|a| a.code == code) {
            a.count += count;
        } else if root.also_seen.len() < MAX_ALSO_SEEN {
            root.also_seen.push(AlsoSeen {
                code,
                name,
                line,
                count,
            });
        }
    }
    let mut i = 0;
    findings.retain(|_| {
        i += 1;
        !absorbed[i - 1]
    });
}
