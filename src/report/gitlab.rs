//! `gitlab`: GitLab Code Quality JSON — an array of issues with unique, stable fingerprints.

use std::io::{self, Write};

use serde_json::json;

use super::{Reporter, Summary, redacted};
use crate::finding::Finding;
use crate::rules::Severity;

/// See the module docs.
pub struct GitlabReporter;

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "minor",
        Severity::Hint => "info",
    }
}

impl Reporter for GitlabReporter {
    fn finding(&mut self, _: &mut dyn Write, _: &Finding) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary<'_>) -> io::Result<()> {
        let issues: Vec<_> = s
            .findings
            .iter()
            .map(|f| {
                let f = redacted(f);
                json!({
                    "type": "issue",
                    "check_name": format!("{} {}", f.code, f.name),
                    "description": f.message,
                    "severity": severity(f.severity),
                    "categories": ["Bug Risk"],
                    "fingerprint": f.fingerprint,
                    "location": { "path": f.path, "lines": { "begin": f.line.max(1), "end": f.end_line.max(f.line).max(1) } },
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &issues)?;
        writeln!(out)?;
        out.flush()
    }
}
