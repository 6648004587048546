//! Reporters: where findings meet the user. One trait, one small module per format; every
//! message and evidence line goes through the redactor before it is written.

mod concise;
mod full;
mod json;

use std::io::{self, Write};

use clap::ValueEnum;

use crate::finding::Finding;
use crate::rules::{RuleSet, Severity};
use crate::stats::Stats;

pub use concise::ConciseReporter;
pub use full::FullReporter;
pub use json::{JsonReporter, JsonlReporter};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Findings grouped by rule with evidence, cause and fix (for people).
    Full,
    /// One line per finding: `PATH:LINE:COL: SEVERITY CODE message` (editors' problem matchers).
    Concise,
    /// One JSON document at the end: findings, rules that fired, run stats.
    Json,
    /// One JSON object per finding, written when it fires.
    Jsonl,
}

/// Everything a buffered reporter needs at the end of a run.
pub struct Summary<'a> {
    pub findings: &'a [Finding],
    pub stats: &'a Stats,
    pub rules: &'a RuleSet,
    /// Notices about the input (not findings): "does not look like a baton log", cut lines…
    pub notices: &'a [String],
}

/// A push-style sink for findings (ripgrep's `Sink`): `finding` as each one fires (streaming
/// formats write it there), `finish` with the whole run.
pub trait Reporter {
    /// A finding just fired (its count may still grow).
    fn finding(&mut self, out: &mut dyn Write, f: &Finding) -> io::Result<()>;
    /// The run ended.
    fn finish(&mut self, out: &mut dyn Write, summary: &Summary<'_>) -> io::Result<()>;
}

/// Options shared by reporters.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportOptions {
    pub color: bool,
    pub show_stats: bool,
}

/// The reporter for `format`.
pub fn reporter(format: Format, opts: ReportOptions) -> Box<dyn Reporter> {
    match format {
        Format::Full => Box::new(FullReporter::new(opts)),
        Format::Concise => Box::new(ConciseReporter::default()),
        Format::Json => Box::new(JsonReporter),
        Format::Jsonl => Box::new(JsonlReporter),
    }
}

/// A finding with message and evidence redacted: what every reporter prints.
pub fn redacted(f: &Finding) -> Finding {
    let mut f = f.clone();
    f.message = crate::redact::redact(&f.message).into_owned();
    for e in &mut f.evidence {
        e.text = crate::redact::redact(&e.text).into_owned();
    }
    for v in f.context.values_mut() {
        *v = crate::redact::redact(v).into_owned();
    }
    f
}

/// ANSI color for a severity.
fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Error => "\x1b[1;31m",
        Severity::Warning => "\x1b[1;33m",
        Severity::Info => "\x1b[1;34m",
        Severity::Hint => "\x1b[1;36m",
    }
}

/// The stats block printed by `--stats` in human formats.
pub fn write_stats(out: &mut dyn Write, s: &Stats) -> io::Result<()> {
    writeln!(out, "stats: {} bytes, {} lines", s.bytes, s.lines)?;
    writeln!(
        out,
        "  events: {} json, {} console, {} multi-line json, {} text, {} panic",
        s.events.json, s.events.console, s.events.multi_line_json, s.events.text, s.events.panic
    )?;
    writeln!(
        out,
        "  lines:  {} json, {} console, {} multi-line json, {} text, {} panic",
        s.lines_by_kind.json,
        s.lines_by_kind.console,
        s.lines_by_kind.multi_line_json,
        s.lines_by_kind.text,
        s.lines_by_kind.panic
    )?;
    writeln!(
        out,
        "  lossy utf-8 lines: {}, truncated lines: {}, malformed json: {}",
        s.lossy_lines, s.truncated_lines, s.malformed_json
    )
}
