//! Outcomes: did a transient failure recover? A rule with `[outcome]` keeps, per finding, the
//! keys of its failures that no success has followed yet. A `resolved_by` event of the same key
//! (or one that names no key: an info-level progress line proves the sync went on) clears them.
//! A finding whose keys are all cleared recovered; one that still holds a key when the input
//! ends, or whose failures kept coming for `confirm_after_secs` of log time with no success
//! between, is the failure.

use std::collections::{BTreeMap, HashMap};

use crate::event::Timestamp;

/// Keys remembered per finding; past it only a success that names no key resolves it.
const MAX_KEYS: usize = 64;

#[derive(Debug, Default)]
struct Pending {
    /// Keys of failures not followed by a success (`""` stands for "any").
    keys: Vec<String>,
    /// More keys than [`MAX_KEYS`] were seen.
    overflow: bool,
    /// The success that cleared the last key, while no failure came after it.
    resolved_at: Option<u64>,
    /// First failure since the last success.
    streak_start: Option<Timestamp>,
    /// Decided as a failure (time ran out): stays one whatever comes later.
    confirmed: bool,
}

/// The outcome state of every finding of the rules that declare one.
#[derive(Debug, Default)]
pub struct Outcomes {
    by_finding: HashMap<usize, Pending>,
    /// Rule index → its findings with outcome state.
    by_rule: HashMap<usize, Vec<usize>>,
    /// Rule index → how many of its findings wait for a success now.
    pending: BTreeMap<usize, usize>,
}

impl Pending {
    fn waits(&self) -> bool {
        !self.confirmed && self.resolved_at.is_none()
    }
}

impl Outcomes {
    /// One more failure of finding `idx` (rule `ri`) with `key`, at log time `ts`. Failures
    /// that kept coming for `confirm_after` seconds confirm the finding.
    pub fn failed(
        &mut self,
        ri: usize,
        idx: usize,
        key: String,
        ts: Option<Timestamp>,
        confirm_after: Option<f64>,
    ) {
        let mut fresh = false;
        let p = self.by_finding.entry(idx).or_insert_with(|| {
            self.by_rule.entry(ri).or_default().push(idx);
            fresh = true;
            Pending::default()
        });
        if p.confirmed {
            return;
        }
        let waited = !fresh && p.waits();
        if p.resolved_at.take().is_some() {
            p.streak_start = None;
        }
        if let Some(t) = ts {
            let start = *p.streak_start.get_or_insert(t);
            if confirm_after.is_some_and(|after| t.secs_since(start) >= after) {
                p.confirmed = true;
            }
        }
        if !p.keys.contains(&key) {
            if p.keys.len() < MAX_KEYS {
                p.keys.push(key);
            } else {
                p.overflow = true;
            }
        }
        let waits = p.waits();
        self.count(ri, waited, waits);
    }

    /// Keeps `pending` in step with one finding going from `before` to `after` waiting.
    fn count(&mut self, ri: usize, before: bool, after: bool) {
        match (before, after) {
            (false, true) => *self.pending.entry(ri).or_default() += 1,
            (true, false) => {
                if let Some(n) = self.pending.get_mut(&ri) {
                    *n -= 1;
                    if *n == 0 {
                        self.pending.remove(&ri);
                    }
                }
            }
            _ => {}
        }
    }

    /// The rules with a failure waiting for its outcome, in rule order: only their `resolved_by`
    /// and `failed_by` need to be looked at (on a healthy log, none).
    pub fn waiting_rules(&self) -> Vec<usize> {
        self.pending.keys().copied().collect()
    }

    /// A success of rule `ri` for `key` at `line`: clears the matching failures.
    pub fn resolved(&mut self, ri: usize, key: &str, line: u64) {
        let Some(list) = self.by_rule.get(&ri) else {
            return;
        };
        let mut cleared = 0;
        for idx in list {
            let Some(p) = self.by_finding.get_mut(idx) else {
                continue;
            };
            if !p.waits() {
                continue;
            }
            if key.is_empty() {
                p.keys.clear();
                p.overflow = false;
            } else {
                p.keys.retain(|k| !k.is_empty() && k != key);
            }
            if p.keys.is_empty() && !p.overflow {
                p.resolved_at = Some(line);
                cleared += 1;
            }
        }
        for _ in 0..cleared {
            self.count(ri, true, false);
        }
    }

    /// The scope ended with rule `ri`'s failures standing: confirms every undecided one.
    pub fn confirm_all(&mut self, ri: usize) {
        let mut ended = 0;
        for idx in self.by_rule.get(&ri).into_iter().flatten() {
            if let Some(p) = self.by_finding.get_mut(idx) {
                if p.waits() {
                    p.confirmed = true;
                    ended += 1;
                }
            }
        }
        for _ in 0..ended {
            self.count(ri, true, false);
        }
    }

    /// True while finding `idx` waits for its outcome.
    pub fn undecided(&self, idx: usize) -> bool {
        self.by_finding.get(&idx).is_some_and(|p| !p.confirmed)
    }

    /// The line of the success that finding `idx` recovered at, if it did.
    pub fn recovered_at(&self, idx: usize) -> Option<u64> {
        self.by_finding
            .get(&idx)
            .filter(|p| !p.confirmed)
            .and_then(|p| p.resolved_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_success_of_the_same_key_or_of_no_key_resolves() {
        let mut o = Outcomes::default();
        o.failed(0, 0, "api.example.com".into(), None, None);
        o.failed(0, 0, "other.example.com".into(), None, None);
        o.resolved(0, "api.example.com", 5);
        assert_eq!(o.recovered_at(0), None, "one host still failing");
        o.resolved(0, "", 9);
        assert_eq!(o.recovered_at(0), Some(9));
        // A failure after the success makes it pending again.
        o.failed(0, 0, "api.example.com".into(), None, None);
        assert_eq!(o.recovered_at(0), None);
        assert!(o.undecided(0));
    }

    #[test]
    fn failures_that_persist_confirm_a_failure_for_good() {
        let t = |s: f64| Some(Timestamp::from_epoch_secs(s).unwrap());
        let mut o = Outcomes::default();
        o.failed(1, 3, String::new(), t(10.0), Some(60.0));
        o.failed(1, 3, String::new(), t(50.0), Some(60.0));
        assert!(o.undecided(3), "40 s of failures");
        o.resolved(1, "", 4);
        // A new streak starts after the success.
        o.failed(1, 3, String::new(), t(100.0), Some(60.0));
        o.failed(1, 3, String::new(), t(130.0), Some(60.0));
        assert!(o.undecided(3));
        o.failed(1, 3, String::new(), t(161.0), Some(60.0));
        assert!(!o.undecided(3), "61 s of failures");
        o.resolved(1, "", 12);
        assert_eq!(o.recovered_at(3), None, "stays a failure");
    }
}
