//! Bursts that come back. A count window that crosses its threshold opens a finding; when it
//! crosses again with the fingerprint of an earlier finding of its rule, that is the same
//! failure coming back (a daemon's nightly rate-limit storm), and the burst is folded into the
//! first finding instead of opening another. One failure stays one finding, and the engine's
//! memory stays flat however long the stream.

use super::{Engine, MAX_GROUPS_PER_RULE};
use crate::event::Event;
use crate::rules::Captures;
use crate::rules::window::Mark;

impl Engine<'_> {
    /// The finding for a count window of rule `ri` that crossed its threshold at `ev` (`count`
    /// matches since `first`). A burst with the fingerprint of an earlier finding of the rule is
    /// that failure coming back: it is folded into it (see [`Engine::recur`]), so a daemon's
    /// rate-limit storms of a week are one finding and the engine's memory stays flat. Past
    /// [`MAX_GROUPS_PER_RULE`] fingerprints a burst folds into the rule's latest finding.
    pub(super) fn open_burst(
        &mut self,
        ri: usize,
        ev: &Event<'_>,
        caps: &Captures,
        key: &str,
        first: &Mark,
        count: u64,
    ) -> usize {
        let ctx = self.context_of(ev);
        let fingerprint = crate::finding::fingerprint(&self.rules.rules[ri].code, key, &ctx);
        let mut earlier = self.bursts.get(&(ri, fingerprint.clone())).copied();
        if earlier.is_none() && self.group_counts[ri] >= MAX_GROUPS_PER_RULE {
            earlier = super::latest_of(&self.bursts, ri);
            self.overflowed += u64::from(earlier.is_some());
        }
        if let Some(idx) = earlier {
            self.recur(idx, ev, caps, first, count);
            return idx;
        }
        let idx = self.open_with(ri, ev, caps, ctx, fingerprint);
        let f = &mut self.findings[idx];
        f.line = first.line;
        f.end_line = first.end_line;
        f.first_ts = first.ts.or(f.first_ts);
        f.count = count;
        f.evidence.clear();
        f.add_evidence(first.line, &first.evidence);
        f.add_evidence(ev.span.first_line, &ev.raw);
        self.bursts.insert((ri, f.fingerprint.clone()), idx);
        self.group_counts[ri] += 1;
        idx
    }

    /// Folds a new burst (`count` matches from `first` to `ev`) into finding `idx`, the same
    /// failure seen earlier. Its message keeps describing the first burst (its numbers are
    /// kept as `burst.count` and `burst.span`); the finding's count and last line cover all.
    /// The burst is one more failure for the finding's outcome: it waits again for a success.
    /// A finding already streamed is not streamed again (a streaming sink sees each finding
    /// once; its message claimed "at least" its count); the end-of-run formats tell the rest.
    fn recur(&mut self, idx: usize, ev: &Event<'_>, caps: &Captures, first: &Mark, count: u64) {
        let f = &mut self.findings[idx];
        if f.recurrences == 0 {
            let span = f.span_secs();
            f.vars.insert("burst.count".into(), f.count.to_string());
            if let Some(s) = span {
                let s = crate::event::format_num(s.max(0.0).round());
                f.vars.insert("burst.span".into(), s);
            }
        }
        f.recurrences += 1;
        f.count += count;
        f.last_line = f.last_line.max(ev.span.last_line);
        if ev.ts.is_some() {
            f.last_ts = ev.ts;
        }
        f.add_evidence(first.line, &first.evidence);
        self.occurred(idx, ev, caps);
    }
}
