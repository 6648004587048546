//! `json` (one document at the end) and `jsonl` (one finding per line, as it fires).

use std::io::{self, Write};

use serde::Serialize;

use super::{Reporter, Summary, redacted};
use crate::finding::Finding;
use crate::rules::{Docs, Severity};
use crate::stats::Stats;

/// See the module docs.
#[derive(Default)]
pub struct JsonReporter;

/// See the module docs.
#[derive(Default)]
pub struct JsonlReporter;

#[derive(Serialize)]
struct RuleDoc<'a> {
    code: &'a str,
    name: &'a str,
    category: &'a str,
    severity: Severity,
    cause: &'a str,
    fix: &'a str,
    docs: &'a Docs,
}

#[derive(Serialize)]
struct Document<'a> {
    version: &'static str,
    findings: Vec<Finding>,
    rules: Vec<RuleDoc<'a>>,
    stats: &'a Stats,
    notices: &'a [String],
    overviews: Vec<Overview<'a>>,
}

#[derive(Serialize)]
struct Overview<'a> {
    path: &'a str,
    #[serde(flatten)]
    overview: &'a crate::overview::Overview,
}

impl Reporter for JsonReporter {
    fn finding(&mut self, _: &mut dyn Write, _: &Finding) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary<'_>) -> io::Result<()> {
        let mut fired: Vec<&str> = s.findings.iter().map(|f| f.code.as_str()).collect();
        fired.sort_unstable();
        fired.dedup();
        let rules = fired
            .iter()
            .filter_map(|c| s.rules.find(c))
            .map(|r| RuleDoc {
                code: &r.code,
                name: &r.name,
                category: &r.category,
                severity: r.severity,
                cause: &r.cause,
                fix: &r.fix,
                docs: &r.docs,
            })
            .collect();
        let doc = Document {
            version: env!("CARGO_PKG_VERSION"),
            findings: s.findings.iter().map(redacted).collect(),
            rules,
            stats: s.stats,
            notices: s.notices,
            overviews: s
                .overviews
                .iter()
                .map(|(path, overview)| Overview { path, overview })
                .collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
        out.flush()
    }
}

impl Reporter for JsonlReporter {
    fn finding(&mut self, out: &mut dyn Write, f: &Finding) -> io::Result<()> {
        serde_json::to_writer(&mut *out, &redacted(f))?;
        writeln!(out)?;
        out.flush()
    }

    /// The last line: `{"summary": …}` with the final count and message of every finding
    /// (a streamed line said what was known when it fired), totals and stats.
    fn finish(&mut self, out: &mut dyn Write, s: &Summary<'_>) -> io::Result<()> {
        let by = |sev: Severity| s.findings.iter().filter(|f| f.severity == sev).count();
        let findings: Vec<serde_json::Value> = s
            .findings
            .iter()
            .map(redacted)
            .map(|f| {
                serde_json::json!({
                    "code": f.code, "fingerprint": f.fingerprint, "path": f.path, "line": f.line,
                    "count": f.count, "last_line": f.last_line, "message": f.message,
                })
            })
            .collect();
        let doc = serde_json::json!({ "summary": {
            "findings": findings,
            "errors": by(Severity::Error),
            "warnings": by(Severity::Warning),
            "infos": by(Severity::Info) + by(Severity::Hint),
            "lines": s.stats.lines,
            "notices": s.notices,
        }});
        serde_json::to_writer(&mut *out, &doc)?;
        writeln!(out)?;
        out.flush()
    }
}
