//! State of the stateful rule kinds, kept per rule and per key, always bounded (an LRU over
//! keys, at most `threshold` timestamps per key) and dropped when its window closes. Time is
//! log time: the timestamps of the events, never the wall clock.
//!
//! - `count` / `burst`: at least `threshold` matches within `window_secs` (or a run lasting
//!   `span_secs`) opens one burst; later matches within `window_secs` of the last extend it.
//! - `repeat`: the same value seen again inside one scope.
//! - `absence`: a start event with no expected event after it.

use std::collections::VecDeque;

use lru::LruCache;

use super::capped::Capped;

use crate::event::Timestamp;

/// Default cap on keys per rule.
pub const DEFAULT_MAX_KEYS: usize = 4096;
/// Values remembered per repeat scope.
const SEEN_PER_SCOPE: usize = 4096;

/// A key or scope as the state holds it: the 128-bit xxh3 hash of its text. The state keeps
/// no copy of the text (every request line of a paginated log has a new key), costs the same
/// whatever the key's length, and two texts share a hash with odds of about 2^-128.
type KeyHash = u128;

fn key_hash(text: &str) -> KeyHash {
    xxhash_rust::xxh3::xxh3_128(text.as_bytes())
}

/// Where a matching event was: enough to point a finding at it.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub line: u64,
    pub end_line: u64,
    pub ts: Option<Timestamp>,
    pub evidence: String,
    /// The captures of the start event an absence waits on (its `{placeholders}` when the
    /// absence is decided later); empty for the other kinds.
    pub caps: crate::rules::condition::Captures,
}

/// What a count/burst observation did.
#[derive(Debug, PartialEq)]
pub enum CountOutcome {
    /// Below the threshold (or a fresh run started).
    Quiet,
    /// The threshold was crossed now: open a finding. `first` is the run's first match.
    Crossed {
        first: Mark,
        count: u64,
        maxes: Vec<Option<f64>>,
    },
    /// An open burst goes on: update finding `finding`.
    Extended { finding: usize },
}

#[derive(Debug)]
struct Run {
    times: VecDeque<Timestamp>,
    run_start: Option<Timestamp>,
    first: Option<Mark>,
    last: Option<Timestamp>,
    finding: Option<usize>,
    /// Per aggregated field, the largest value seen in this run.
    maxes: Vec<Option<f64>>,
}

impl Run {
    fn new() -> Run {
        Run {
            times: VecDeque::new(),
            run_start: None,
            first: None,
            last: None,
            finding: None,
            maxes: Vec::new(),
        }
    }
}

/// count / burst state for one rule.
#[derive(Debug)]
pub struct CountState {
    keys: Capped<KeyHash, Run>,
    threshold: usize,
    window: f64,
    span: Option<f64>,
}

impl CountState {
    /// New state; `threshold` ≥ 1.
    pub fn new(
        threshold: usize,
        window_secs: f64,
        span_secs: Option<f64>,
        max_keys: usize,
    ) -> Self {
        CountState {
            keys: Capped::new(max_keys),
            threshold: threshold.max(1),
            window: window_secs,
            span: span_secs,
        }
    }

    /// Records a match of `key` at `mark.ts` (events without time count as "now"); `values`
    /// are the event's values of the aggregated fields (their maxima come back on crossing).
    /// `mark` is built only when this match may become a run's first.
    pub fn observe(
        &mut self,
        key: &str,
        ts: Option<Timestamp>,
        mark: impl FnOnce() -> Mark,
        values: &[Option<f64>],
    ) -> CountOutcome {
        let t = ts.unwrap_or_default();
        let key = key_hash(key);
        let run = self.keys.get_or_insert_mut(key, Run::new);
        let gap_ok = run.last.is_some_and(|l| t.secs_since(l) <= self.window);
        if let Some(f) = run.finding {
            if gap_ok {
                run.last = Some(t);
                return CountOutcome::Extended { finding: f };
            }
            // The burst closed: what comes now starts afresh.
            *run = Run::new();
        }
        if !gap_ok {
            run.run_start = Some(t);
            run.first = None;
            run.maxes.clear();
        }
        run.maxes.resize(values.len(), None);
        for (m, v) in run.maxes.iter_mut().zip(values) {
            if let Some(v) = v {
                *m = Some(m.map_or(*v, |c: f64| c.max(*v)));
            }
        }
        while run
            .times
            .front()
            .is_some_and(|&f| t.secs_since(f) > self.window)
        {
            run.times.pop_front();
        }
        run.times.push_back(t);
        if run.times.len() > self.threshold {
            run.times.pop_front();
        }
        if run.first.is_none() || run.times.len() == 1 {
            run.first = Some(mark());
        }
        run.last = Some(t);
        let by_count = run.times.len() >= self.threshold;
        let by_span = self.span.is_some_and(|s| {
            run.times.len() >= 2 && run.run_start.is_some_and(|st| t.secs_since(st) >= s)
        });
        if by_count || by_span {
            let first = run.first.clone().expect("set above");
            return CountOutcome::Crossed {
                first,
                count: run.times.len() as u64,
                maxes: run.maxes.clone(),
            };
        }
        CountOutcome::Quiet
    }

    /// Ties the burst just crossed for `key` to finding `idx`.
    pub fn set_finding(&mut self, key: &str, idx: usize) {
        if let Some(run) = self.keys.get_mut(&key_hash(key)) {
            run.finding = Some(idx);
        }
    }

    /// Forgets everything (a success or a boundary event).
    pub fn reset(&mut self) {
        self.keys.clear();
    }

    /// Keys currently held.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key is held.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// repeat state for one rule: per scope, the values seen and where.
#[derive(Debug)]
pub struct RepeatState {
    scopes: Capped<KeyHash, Seen>,
    window: Option<f64>,
    /// Bytes held (keys, values, evidence), kept under [`REPEAT_STATE_BYTES`].
    bytes: usize,
}

/// The values seen in one scope, and the bytes they hold.
#[derive(Debug)]
struct Seen {
    values: LruCache<KeyHash, Mark>,
    bytes: usize,
}

/// Bytes a repeat rule's state may hold in all (report D8: 4096 scopes × 4096 values with
/// their evidence reached gigabytes on a crafted stream). The least recently used scope goes
/// first; a realistic stream never comes near.
pub const REPEAT_STATE_BYTES: usize = 8 << 20;
/// What an entry costs besides its text (map slots, the mark's fields).
const ENTRY_OVERHEAD: usize = 96;

fn cost(mark: &Mark) -> usize {
    std::mem::size_of::<KeyHash>() + mark.evidence.len() + ENTRY_OVERHEAD
}

impl RepeatState {
    /// New state; values older than `window_secs` (if set) no longer count.
    pub fn new(window_secs: Option<f64>, max_keys: usize) -> Self {
        RepeatState {
            scopes: Capped::new(max_keys),
            window: window_secs,
            bytes: 0,
        }
    }

    /// Records `value` in `scope`; returns where it was seen before, if it was.
    pub fn observe(&mut self, scope: &str, value: &str, mark: Mark) -> Option<Mark> {
        let (scope, value) = (key_hash(scope), key_hash(value));
        if !self.scopes.contains(&scope) {
            // Grows on demand (most scopes see a few values); the caps are enforced below.
            let bytes = std::mem::size_of::<KeyHash>() + ENTRY_OVERHEAD;
            if let Some((_, old)) = self.scopes.push(
                scope,
                Seen {
                    values: LruCache::unbounded(),
                    bytes,
                },
            ) {
                self.bytes -= old.bytes;
            }
            self.bytes += bytes;
        }
        let seen = self.scopes.get_mut(&scope).expect("inserted above");
        if seen.values.len() >= SEEN_PER_SCOPE {
            if let Some((_, m)) = seen.values.pop_lru() {
                seen.bytes -= cost(&m);
                self.bytes -= cost(&m);
            }
        }
        if let Some(prev) = seen.values.get(&value) {
            let fresh = match (self.window, prev.ts, mark.ts) {
                (Some(w), Some(a), Some(b)) => b.secs_since(a) <= w,
                _ => true,
            };
            if fresh {
                return Some(prev.clone());
            }
        }
        let add = cost(&mark);
        if let Some(old) = seen.values.put(value, mark) {
            let c = cost(&old);
            seen.bytes -= c;
            self.bytes -= c;
        }
        seen.bytes += add;
        self.bytes += add;
        // Over budget: forget whole scopes, least recently used first, never the current one.
        while self.bytes > REPEAT_STATE_BYTES && self.scopes.len() > 1 {
            match self.scopes.pop_lru() {
                Some((_, old)) => self.bytes -= old.bytes,
                None => break,
            }
        }
        None
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        self.bytes = 0;
        self.scopes.clear();
    }

    /// Scopes currently held.
    pub fn len(&self) -> usize {
        self.scopes.len()
    }

    /// True when no scope is held.
    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty()
    }
}

/// absence state for one rule: per key, the start event still waiting for its expected event.
#[derive(Debug)]
pub struct AbsenceState {
    waiting: Capped<String, Mark>,
    within: Option<f64>,
    /// With `expect_before`: keys whose expected event already came (a later start of the key
    /// is satisfied); cleared when a decision is made.
    satisfied: Option<Capped<String, ()>>,
}

impl AbsenceState {
    /// New state; with `within_secs` the decision comes once log time passes the deadline,
    /// otherwise at the `until` event or at end of stream.
    pub fn new(within_secs: Option<f64>, max_keys: usize) -> Self {
        AbsenceState {
            waiting: Capped::new(max_keys),
            within: within_secs,
            satisfied: None,
        }
    }

    /// An expected event that came *before* a start also satisfies it (`expect_before`).
    pub fn expect_before(mut self) -> Self {
        let cap = self.waiting.cap();
        self.satisfied = Some(Capped::new(cap));
        self
    }

    /// A start event for `key`: begins waiting unless already waiting.
    pub fn start(&mut self, key: &str, mark: Mark) {
        if self.satisfied.as_ref().is_some_and(|s| s.contains(key)) {
            return;
        }
        if !self.waiting.contains(key) {
            self.waiting.put(key.to_string(), mark);
        }
    }

    /// The expected event for `key` came: stop waiting for it.
    pub fn expect(&mut self, key: &str) {
        self.waiting.pop(key);
        if let Some(s) = &mut self.satisfied {
            // Most expected events repeat a key already satisfied: no new allocation then.
            if s.get(key).is_none() {
                s.put(key.to_string(), ());
            }
        }
    }

    /// The deciding event came: returns every start still waiting (oldest first), and stops.
    pub fn until(&mut self) -> Vec<(String, Mark)> {
        if let Some(s) = &mut self.satisfied {
            s.clear();
        }
        let mut out: Vec<(String, Mark)> = std::iter::from_fn(|| self.waiting.pop_lru()).collect();
        out.sort_by_key(|(_, m)| m.line);
        out
    }

    /// Drops every wait without deciding (the stream ended before the deciding event).
    pub fn abandon(&mut self) {
        self.waiting.clear();
    }

    /// Log time moved to `t`: returns the starts whose deadline passed (and stops waiting).
    pub fn tick(&mut self, t: Timestamp) -> Vec<(String, Mark)> {
        let Some(within) = self.within else {
            return Vec::new();
        };
        if self.waiting.is_empty() {
            return Vec::new();
        }
        let due: Vec<String> = self
            .waiting
            .iter()
            .filter(|(_, m)| m.ts.is_some_and(|s| t.secs_since(s) > within))
            .map(|(k, _)| k.clone())
            .collect();
        let mut out: Vec<(String, Mark)> = due
            .into_iter()
            .filter_map(|k| self.waiting.pop(&k).map(|m| (k, m)))
            .collect();
        out.sort_by_key(|(_, m)| m.line);
        out
    }

    /// End of stream: every start still waiting, when no deadline was set.
    pub fn finish(&mut self) -> Vec<(String, Mark)> {
        if self.within.is_some() {
            return Vec::new();
        }
        self.until()
    }
}

/// ratio state for one rule: matches counted, and the latest `per_value` per key.
#[derive(Debug)]
pub struct RatioState {
    matches: u64,
    per: Capped<String, f64>,
}

impl RatioState {
    /// New state.
    pub fn new(max_keys: usize) -> Self {
        RatioState {
            matches: 0,
            per: Capped::new(max_keys),
        }
    }

    /// One more match.
    pub fn observe(&mut self) {
        self.matches += 1;
    }

    /// The denominator's value for `key` is now `value` (later values replace earlier ones:
    /// progress counts are cumulative).
    pub fn per(&mut self, key: &str, value: f64) {
        // A key seen before is updated in place (made the most recent, as `put` does), so
        // only a new key is copied.
        match self.per.get_mut(key) {
            Some(v) => *v = value,
            None => {
                self.per.put(key.to_string(), value);
            }
        }
    }

    /// Decides and starts over: (matches, denominator).
    pub fn take(&mut self) -> (u64, f64) {
        let denom = self.per.iter().map(|(_, v)| *v).sum();
        let out = (self.matches, denom);
        self.matches = 0;
        self.per.clear();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(secs: i64) -> Mark {
        Mark {
            line: secs as u64,
            end_line: secs as u64,
            ts: Some(Timestamp(secs * 1_000_000_000)),
            evidence: String::new(),
            caps: Vec::new(),
        }
    }

    #[test]
    fn count_fires_at_threshold_not_one_below() {
        let mut c = CountState::new(5, 60.0, None, 16);
        for s in 0..4 {
            assert_eq!(c.observe("k", m(s).ts, || m(s), &[]), CountOutcome::Quiet);
        }
        match c.observe("k", m(4).ts, || m(4), &[]) {
            CountOutcome::Crossed { first, count, .. } => {
                assert_eq!(first.line, 0);
                assert_eq!(count, 5);
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn count_window_slides() {
        let mut c = CountState::new(3, 10.0, None, 16);
        assert_eq!(c.observe("k", m(0).ts, || m(0), &[]), CountOutcome::Quiet);
        assert_eq!(c.observe("k", m(8).ts, || m(8), &[]), CountOutcome::Quiet);
        // 0 has left the window at 11: only 8 and 11 are in it.
        assert_eq!(c.observe("k", m(11).ts, || m(11), &[]), CountOutcome::Quiet);
        assert!(matches!(
            c.observe("k", m(12).ts, || m(12), &[]),
            CountOutcome::Crossed { count: 3, .. }
        ));
    }

    #[test]
    fn count_keys_stay_separate_and_bursts_extend_then_close() {
        let mut c = CountState::new(2, 10.0, None, 16);
        assert_eq!(c.observe("a", m(0).ts, || m(0), &[]), CountOutcome::Quiet);
        assert_eq!(c.observe("b", m(1).ts, || m(1), &[]), CountOutcome::Quiet);
        assert!(matches!(
            c.observe("a", m(2).ts, || m(2), &[]),
            CountOutcome::Crossed { .. }
        ));
        c.set_finding("a", 7);
        assert_eq!(
            c.observe("a", m(5).ts, || m(5), &[]),
            CountOutcome::Extended { finding: 7 }
        );
        // A gap longer than the window closes the burst.
        assert_eq!(
            c.observe("a", m(100).ts, || m(100), &[]),
            CountOutcome::Quiet
        );
        assert!(matches!(
            c.observe("a", m(101).ts, || m(101), &[]),
            CountOutcome::Crossed { .. }
        ));
    }

    #[test]
    fn count_span_fires_on_long_slow_runs() {
        let mut c = CountState::new(100, 70.0, Some(300.0), 16);
        let mut fired = None;
        for i in 0..10 {
            if let CountOutcome::Crossed { first, .. } =
                c.observe("k", m(i * 60).ts, || m(i * 60), &[])
            {
                fired = Some((i, first.line));
                break;
            }
        }
        assert_eq!(fired, Some((5, 0)));
    }

    #[test]
    fn a_million_keys_stay_under_the_cap() {
        let mut c = CountState::new(3, 60.0, None, 4096);
        let mut r = RepeatState::new(None, 4096);
        for i in 0..1_000_000u64 {
            let k = format!("key-{i}");
            c.observe(&k, m(i as i64).ts, || m(i as i64), &[]);
            r.observe(&k, "v", m(i as i64));
        }
        assert_eq!(c.len(), 4096);
        assert_eq!(r.len(), 4096);
    }

    #[test]
    fn repeat_state_stays_under_its_byte_budget() {
        let mut r = RepeatState::new(None, 4096);
        let evidence = "e".repeat(600);
        for i in 0..200_000u64 {
            let mark = Mark {
                evidence: evidence.clone(),
                ..m(i as i64)
            };
            r.observe(&format!("scope-{}", i % 1000), &format!("value-{i}"), mark);
            assert!(
                r.bytes() <= REPEAT_STATE_BYTES + 2048,
                "{} bytes",
                r.bytes()
            );
        }
        assert!(
            r.bytes() > REPEAT_STATE_BYTES / 2,
            "the budget is used, not wasted"
        );
    }

    #[test]
    fn repeat_sees_values_again_in_scope_only() {
        let mut r = RepeatState::new(Some(100.0), 16);
        assert_eq!(r.observe("call-1", "A", m(0)), None);
        assert_eq!(r.observe("call-1", "B", m(1)), None);
        assert_eq!(r.observe("call-2", "A", m(2)), None);
        assert_eq!(r.observe("call-1", "A", m(3)).map(|p| p.line), Some(0));
        assert_eq!(r.observe("call-1", "B", m(500)), None, "outside the window");
        r.reset();
        assert_eq!(r.observe("call-1", "A", m(501)), None);
    }

    fn lines(v: Vec<(String, Mark)>) -> Vec<u64> {
        v.into_iter().map(|(_, m)| m.line).collect()
    }

    #[test]
    fn absence_by_deadline_and_at_end() {
        let mut a = AbsenceState::new(Some(1800.0), 16);
        a.start("", m(0));
        assert!(a.tick(Timestamp(1000 * 1_000_000_000)).is_empty());
        assert_eq!(lines(a.tick(Timestamp(1801 * 1_000_000_000))), vec![0]);
        assert!(a.finish().is_empty());
        let mut b = AbsenceState::new(None, 16);
        b.start("", m(5));
        b.expect("");
        assert!(b.finish().is_empty());
        b.start("", m(6));
        b.start("", m(7));
        assert_eq!(lines(b.finish()), vec![6]);
    }

    #[test]
    fn ratio_keeps_the_last_value_per_key() {
        let mut r = RatioState::new(16);
        for _ in 0..30 {
            r.observe();
        }
        r.per("user", 0.0);
        r.per("user", 2.0);
        r.per("group", 1.0);
        assert_eq!(r.take(), (30, 3.0));
        assert_eq!(r.take(), (0, 0.0));
    }

    #[test]
    fn expect_before_satisfies_a_later_start_until_the_decision() {
        let mut a = AbsenceState::new(None, 16).expect_before();
        a.expect("user");
        a.start("user", m(1));
        a.start("group", m(2));
        let decided: Vec<String> = a.until().into_iter().map(|(k, _)| k).collect();
        assert_eq!(decided, ["group"]);
        // A decision forgets what was satisfied: the next sync starts afresh.
        a.start("user", m(3));
        assert_eq!(a.until().len(), 1);
        // Without the option, an earlier expected event does not count.
        let mut b = AbsenceState::new(None, 16);
        b.expect("user");
        b.start("user", m(4));
        assert_eq!(b.until().len(), 1);
    }

    #[test]
    fn absence_keys_are_separate() {
        let mut a = AbsenceState::new(None, 16);
        a.start("user", m(1));
        a.start("group", m(2));
        a.start("role", m(3));
        a.expect("group");
        assert_eq!(lines(a.until()), vec![1, 3]);
        assert!(a.until().is_empty());
    }
}
