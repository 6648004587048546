//! Reporters: where findings meet the user. One trait, one small module per format; every
//! message and evidence line goes through the redactor before it is written.

mod concise;
mod full;
mod github;
mod gitlab;
mod json;
mod junit;
mod markdown;
mod rdjsonl;
mod sarif;
mod table;

use std::io::{self, Write};

use clap::ValueEnum;

use crate::finding::Finding;
use crate::rules::{RuleSet, Severity};
use crate::stats::Stats;

pub use concise::ConciseReporter;
pub use full::FullReporter;
pub use github::{GithubReporter, MAX_ANNOTATIONS_PER_LEVEL, escape_data, escape_property};
pub use gitlab::GitlabReporter;
pub use json::{JsonReporter, JsonlReporter};
pub use junit::JunitReporter;
pub use markdown::markdown_summary;
pub use rdjsonl::RdjsonlReporter;
pub use sarif::SarifReporter;
pub use table::{TableReporter, overview_table};

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
    /// The remediation table: Severity | Rule | Symptom | Likely cause | Fix | Count | Where.
    Table,
    /// SARIF 2.1.0 (code scanning, editors).
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…`), written as findings fire.
    Github,
    /// JUnit XML (CI test reports).
    Junit,
    /// GitLab Code Quality JSON.
    Gitlab,
    /// reviewdog diagnostic JSON lines.
    Rdjsonl,
}

impl Format {
    /// Streaming formats write each finding when it fires; the others at the end.
    pub fn is_streaming(self) -> bool {
        matches!(
            self,
            Format::Concise | Format::Jsonl | Format::Github | Format::Rdjsonl
        )
    }

    /// Formats for people (color, overview); the rest are machine formats.
    pub fn is_human(self) -> bool {
        matches!(self, Format::Full | Format::Table)
    }

    /// Parses a format name as on the command line (`--output sarif=out.sarif`).
    pub fn from_name(name: &str) -> Option<Format> {
        <Format as ValueEnum>::from_str(name, true).ok()
    }
}

/// Everything a buffered reporter needs at the end of a run.
pub struct Summary<'a> {
    pub findings: &'a [Finding],
    pub stats: &'a Stats,
    pub rules: &'a RuleSet,
    /// Notices about the input (not findings): "does not look like a baton log", cut lines…
    pub notices: &'a [String],
    /// The sync overview of each input that held a sync: (path, overview).
    pub overviews: &'a [(String, crate::overview::Overview)],
    /// Inputs that could not be read (their errors went to stderr).
    pub failed_inputs: usize,
}

impl Summary<'_> {
    /// The closing line when nothing was found: never "no failures" about inputs that were not
    /// read (report D26).
    pub fn nothing_found(&self) -> String {
        match self.failed_inputs {
            0 => format!("No known failures found in {} lines.", self.stats.lines),
            n => format!(
                "No known failures found in the {} lines that could be read; {n} input(s) could not be read (errors above).",
                self.stats.lines
            ),
        }
    }
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
    /// Table width in columns (`None`: the terminal's when `tty`, else no limit).
    pub width: Option<u16>,
    /// Output is a terminal.
    pub tty: bool,
    /// The input is live (stdin, a pipe, a connector run): `full` prints findings as they open.
    pub live: bool,
}

impl ReportOptions {
    /// The width to fit tables to: the set width, else the terminal's; `None` (no limit) off a
    /// terminal.
    pub fn fit_width(&self) -> Option<u16> {
        self.width.or_else(|| {
            if self.tty {
                comfy_table::Table::new().width()
            } else {
                None
            }
        })
    }
}

/// The reporter for `format`.
pub fn reporter(format: Format, opts: ReportOptions) -> Box<dyn Reporter> {
    match format {
        Format::Full => Box::new(FullReporter::new(opts)),
        Format::Concise => Box::new(ConciseReporter::default()),
        Format::Json => Box::new(JsonReporter),
        Format::Jsonl => Box::new(JsonlReporter),
        Format::Table => Box::new(TableReporter::new(opts)),
        Format::Sarif => Box::new(SarifReporter),
        Format::Github => Box::new(GithubReporter::default()),
        Format::Junit => Box::new(JunitReporter),
        Format::Gitlab => Box::new(GitlabReporter),
        Format::Rdjsonl => Box::new(RdjsonlReporter),
    }
}

/// The first sentence of Markdown text that is prose (not a table row, code fence or list
/// bullet): what the remediation table shows of a rule's cause and fix.
pub fn first_sentence(md: &str) -> String {
    let prose = |l: &&str| !l.starts_with('|') && !l.starts_with("```") && !l.starts_with("//");
    let mut para = String::new();
    for l in md.lines().map(str::trim) {
        if l.is_empty() || !prose(&l) {
            if para.is_empty() {
                continue;
            }
            break;
        }
        if !para.is_empty() {
            para.push(' ');
        }
        para.push_str(l.trim_start_matches(['-', '*', ' ']));
    }
    let end = para.find(". ").map_or(para.len(), |i| i + 1);
    para[..end].trim_end_matches(':').to_string()
}

/// What to change, in one sentence, from a rule's `fix` (Markdown): the fix column of the
/// first row when the text opens with a `| symptom | likely cause | fix |` table, else the first
/// prose sentence that is a change rather than a check ("Check by hand: curl …" is skipped).
pub fn fix_summary(md: &str) -> String {
    let lines: Vec<&str> = md
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if let Some(header) = lines.first().filter(|l| l.starts_with('|')) {
        let cells = |l: &str| -> Vec<String> {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().trim_matches('|').trim().to_string())
                .collect()
        };
        let head = cells(header);
        if let Some(col) = head.iter().position(|c| c.eq_ignore_ascii_case("fix")) {
            let row = lines
                .iter()
                .skip(1)
                .find(|l| l.starts_with('|') && !l.contains("---"));
            if let Some(cell) = row.map(|r| cells(r)).and_then(|c| c.get(col).cloned()) {
                return cell;
            }
        }
    }
    let prose: Vec<&str> = md
        .split("\n\n")
        .filter(|p| {
            let p = p.trim_start();
            !p.starts_with("Check by hand") && !p.starts_with('|')
        })
        .collect();
    first_sentence(&prose.join("\n\n"))
}

/// One row of the remediation table (shared by `table` and the Markdown summary).
pub struct RemediationRow {
    /// The finding, redacted.
    pub finding: Finding,
    /// The rule's likely cause and fix, one sentence each.
    pub cause: String,
    pub fix: String,
}

/// `findings` most severe first, then by rule code, path and line: the order people read.
pub fn by_severity(findings: &[Finding]) -> Vec<&Finding> {
    let mut order: Vec<&Finding> = findings.iter().collect();
    order.sort_by(|a, b| {
        (std::cmp::Reverse(a.severity), &a.code, &a.path, a.line).cmp(&(
            std::cmp::Reverse(b.severity),
            &b.code,
            &b.path,
            b.line,
        ))
    });
    order
}

/// The remediation table's rows: most severe first, then by rule, path and line.
pub fn remediation_rows(s: &Summary<'_>) -> Vec<RemediationRow> {
    by_severity(s.findings)
        .into_iter()
        .map(|f| {
            let (cause, fix) = s
                .rules
                .find(&f.code)
                .map(|r| (first_sentence(&r.cause), fix_summary(&r.fix)))
                .unwrap_or_default();
            RemediationRow {
                finding: redacted(f),
                cause,
                fix,
            }
        })
        .collect()
}

/// `path:line` (and the last line when the finding repeats).
pub fn where_short(f: &Finding) -> String {
    if f.last_line > f.line {
        format!("{}:{}–{}", f.path, f.line, f.last_line)
    } else {
        format!("{}:{}", f.path, f.line)
    }
}

/// A finding as every reporter prints it: message, evidence, context and path redacted (a
/// second pass: the engine already redacted what it took from the input; redaction is
/// idempotent), and control characters made visible (no terminal escape from a log line, no
/// bare CR to break a line-based format, nothing XML 1.0 forbids).
pub fn redacted(f: &Finding) -> Finding {
    let clean = |s: &str| crate::redact::escape_controls(&crate::redact::redact(s)).into_owned();
    let mut f = f.clone();
    f.message = clean(&f.message);
    for e in &mut f.evidence {
        e.text = clean(&e.text);
    }
    for (k, v) in f.context.iter_mut() {
        *v = crate::redact::escape_controls(&crate::redact::redact_field(k, v)).into_owned();
    }
    f.path = clean(&f.path);
    if let Some(s) = &mut f.source {
        s.path = clean(&s.path);
        s.symbol = clean(&s.symbol);
    }
    f
}

/// "also seen: BL303 endless-retry ×10 (line 8), …" for a root cause that absorbed others.
pub fn also_seen_text(f: &Finding) -> Option<String> {
    if f.also_seen.is_empty() {
        return None;
    }
    let parts: Vec<String> = f
        .also_seen
        .iter()
        .map(|a| {
            let times = if a.count > 1 {
                format!(" ×{}", a.count)
            } else {
                String::new()
            };
            format!("{} {}{times} (line {})", a.code, a.name, a.line)
        })
        .collect();
    Some(format!("also seen: {}", parts.join(", ")))
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
