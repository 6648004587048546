//! `full`: findings grouped by rule, each with its message, where (path:line, count, time
//! span, context), up to three evidence lines, then the rule's likely cause and fix; most
//! severe first, then by rule code. On files it is written at the end of the run. Live (stdin,
//! a pipe, `baton-lint run`), each finding is printed as it opens — its header, where, and
//! first evidence line — and the end brings the grouped summary with the final counts, each
//! rule's cause and fix, the overview and the totals.

use std::io::{self, Write};

use super::{ReportOptions, Reporter, Summary, redacted, severity_color, write_stats};
use crate::finding::Finding;
use crate::rules::Severity;

/// See the module docs.
pub struct FullReporter {
    opts: ReportOptions,
}

impl FullReporter {
    /// A reporter with these options.
    pub fn new(opts: ReportOptions) -> Self {
        FullReporter { opts }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.opts.color {
            format!("{code}{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn where_line(f: &Finding) -> String {
    let mut s = format!("{}:{}", f.path, f.line);
    if f.count > 1 {
        s.push_str(&format!(" (×{}, last at line {}", f.count, f.last_line));
        if let Some(span) = f.span_secs().filter(|s| *s >= 1.0) {
            s.push_str(&format!(
                ", over {}",
                crate::rules::template::format_duration(span.round())
            ));
        }
        s.push(')');
    }
    if let Some(t) = f.first_ts {
        s.push_str(&format!(" at {t}"));
    }
    s
}

impl FullReporter {
    fn header(&self, out: &mut dyn Write, f: &Finding) -> io::Result<()> {
        let head = format!("{}[{} {}]", f.severity, f.code, f.name);
        writeln!(
            out,
            "{}: {}",
            self.paint(severity_color(f.severity), &head),
            self.paint("\x1b[1m", &f.message)
        )?;
        writeln!(out, "  --> {}", where_line(f))?;
        if let Some(s) = &f.source {
            writeln!(out, "  → {}", s.display())?;
        }
        Ok(())
    }
}

impl Reporter for FullReporter {
    fn finding(&mut self, out: &mut dyn Write, f: &Finding) -> io::Result<()> {
        if !self.opts.live {
            return Ok(());
        }
        let f = redacted(f);
        self.header(out, &f)?;
        if let Some(e) = f.evidence.first() {
            let first = e.text.lines().next().unwrap_or("");
            writeln!(out, "{:>6} | {first}", e.line)?;
        }
        writeln!(out)?;
        out.flush()
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary<'_>) -> io::Result<()> {
        let order = super::by_severity(s.findings);
        if self.opts.live && !order.is_empty() {
            writeln!(
                out,
                "{}",
                self.paint("\x1b[1m", "── summary (final counts) ──")
            )?;
        }
        let mut i = 0;
        while i < order.len() {
            let code = &order[i].code;
            let group: Vec<&Finding> = order[i..]
                .iter()
                .take_while(|f| &f.code == code)
                .copied()
                .collect();
            i += group.len();
            for f in &group {
                let f = redacted(f);
                self.header(out, &f)?;
                if self.opts.live {
                    // Context and evidence were shown as the finding opened.
                    continue;
                }
                if !f.context.is_empty() {
                    let ctx: Vec<String> =
                        f.context.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    writeln!(out, "   = in: {}", ctx.join(", "))?;
                }
                if let Some(also) = super::also_seen_text(&f) {
                    writeln!(out, "   = {also}")?;
                }
                for e in &f.evidence {
                    let mut first = true;
                    for l in e.text.lines() {
                        if first {
                            writeln!(out, "{:>6} | {l}", e.line)?;
                            first = false;
                        } else {
                            writeln!(out, "       | {l}")?;
                        }
                    }
                }
            }
            if let Some(rule) = s.rules.find(code) {
                writeln!(out, "   = cause:\n{}", indent(rule.cause.trim(), "       "))?;
                writeln!(out, "   = fix:\n{}", indent(rule.fix.trim(), "       "))?;
            }
            writeln!(out)?;
        }
        super::table::write_overviews(out, s, self.opts.fit_width())?;
        for n in s.notices {
            writeln!(out, "{}: {n}", self.paint("\x1b[1;36m", "note"))?;
        }
        let count = |sev: Severity| s.findings.iter().filter(|f| f.severity == sev).count();
        if s.findings.is_empty() {
            writeln!(out, "{}", s.nothing_found())?;
        } else {
            writeln!(
                out,
                "Found {} finding(s): {} error, {} warning, {} info in {} lines.",
                s.findings.len(),
                count(Severity::Error),
                count(Severity::Warning),
                count(Severity::Info) + count(Severity::Hint),
                s.stats.lines
            )?;
        }
        if self.opts.show_stats {
            write_stats(out, s.stats)?;
        }
        out.flush()
    }
}
