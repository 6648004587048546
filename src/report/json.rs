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

    fn finish(&mut self, out: &mut dyn Write, _: &Summary<'_>) -> io::Result<()> {
        out.flush()
    }
}
