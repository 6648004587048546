//! `rdjsonl`: reviewdog's diagnostic format, one JSON object per line, written as findings fire.

use std::io::{self, Write};

use serde_json::json;

use super::{Reporter, Summary, redacted};
use crate::finding::Finding;
use crate::rules::Severity;

/// See the module docs.
pub struct RdjsonlReporter;

impl Reporter for RdjsonlReporter {
    fn finding(&mut self, out: &mut dyn Write, f: &Finding) -> io::Result<()> {
        let f = redacted(f);
        let severity = match f.severity {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
            Severity::Info | Severity::Hint => "INFO",
        };
        let d = json!({
            "message": f.message,
            "location": { "path": f.path, "range": {
                "start": { "line": f.line.max(1) },
                "end": { "line": f.end_line.max(f.line).max(1) } } },
            "severity": severity,
            "source": { "name": "baton-lint" },
            "code": { "value": f.code },
        });
        serde_json::to_writer(&mut *out, &d)?;
        writeln!(out)?;
        out.flush()
    }

    fn finish(&mut self, out: &mut dyn Write, _: &Summary<'_>) -> io::Result<()> {
        out.flush()
    }
}
