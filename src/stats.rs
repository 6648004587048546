//! Run statistics, always kept: bytes, lines, events and lines by kind, lossy and truncated
//! lines. Every input line is accounted for: the lines of all event kinds add up to `lines`.

use serde::Serialize;

use crate::event::EventKind;

/// Counters for one input or (merged) for a whole run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub bytes: u64,
    pub lines: u64,
    pub events: KindCounts,
    /// Physical lines per event kind; their sum equals `lines`.
    pub lines_by_kind: KindCounts,
    /// Lines that were not valid UTF-8 and were decoded lossily.
    pub lossy_lines: u64,
    /// Lines longer than `--max-line-bytes`, cut for matching.
    pub truncated_lines: u64,
    /// Lines that began like a JSON record but did not parse (kept as text events).
    pub malformed_json: u64,
    /// Findings that could not get a group of their own because a rule hit its group cap;
    /// they were counted into the rule's overflow finding.
    pub overflowed_findings: u64,
}

/// One counter per [`EventKind`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KindCounts {
    pub json: u64,
    pub console: u64,
    pub multi_line_json: u64,
    pub text: u64,
    pub panic: u64,
}

impl KindCounts {
    /// Adds `n` to the counter for `kind`.
    pub fn add(&mut self, kind: EventKind, n: u64) {
        match kind {
            EventKind::Json => self.json += n,
            EventKind::Console => self.console += n,
            EventKind::MultiLineJson => self.multi_line_json += n,
            EventKind::Text => self.text += n,
            EventKind::Panic => self.panic += n,
        }
    }

    /// The sum over all kinds.
    pub fn total(&self) -> u64 {
        self.json + self.console + self.multi_line_json + self.text + self.panic
    }

    fn merge(&mut self, o: &KindCounts) {
        self.json += o.json;
        self.console += o.console;
        self.multi_line_json += o.multi_line_json;
        self.text += o.text;
        self.panic += o.panic;
    }
}

impl Stats {
    /// Adds another input's counters to these.
    pub fn merge(&mut self, o: &Stats) {
        self.bytes += o.bytes;
        self.lines += o.lines;
        self.events.merge(&o.events);
        self.lines_by_kind.merge(&o.lines_by_kind);
        self.lossy_lines += o.lossy_lines;
        self.truncated_lines += o.truncated_lines;
        self.malformed_json += o.malformed_json;
        self.overflowed_findings += o.overflowed_findings;
    }

    /// Zap-formatted (JSON or console) events: the ones that make a stream look like a log.
    pub fn zap_events(&self) -> u64 {
        self.events.json + self.events.console + self.events.multi_line_json
    }
}
