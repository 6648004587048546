//! `junit`: JUnit XML for CI test reports — one test case per finding (failed), or one passing
//! case when the log is clean.

use std::io::{self, Write};

use quick_xml::escape::escape;

use super::{Reporter, Summary, redacted};
use crate::finding::Finding;

/// See the module docs.
pub struct JunitReporter;

impl Reporter for JunitReporter {
    fn finding(&mut self, _: &mut dyn Write, _: &Finding) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary<'_>) -> io::Result<()> {
        let n = s.findings.len().max(1);
        let failures = s.findings.len();
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="baton-lint" tests="{n}" failures="{failures}">"#
        )?;
        writeln!(
            out,
            r#"  <testsuite name="baton-lint" tests="{n}" failures="{failures}" errors="0" skipped="0">"#
        )?;
        if s.findings.is_empty() {
            writeln!(
                out,
                r#"    <testcase classname="baton-lint" name="no known failures"/>"#
            )?;
        }
        for f in s.findings {
            let f = redacted(f);
            let name = format!("{} {} at line {}", f.code, f.name, f.line);
            let mut body = String::new();
            body.push_str(&format!(
                "{}:{} (×{}, last at line {})\n",
                f.path, f.line, f.count, f.last_line
            ));
            for e in &f.evidence {
                body.push_str(&format!("{:>6} | {}\n", e.line, e.text));
            }
            if let Some(r) = s.rules.find(&f.code) {
                body.push_str(&format!(
                    "\nLikely cause:\n{}\n\nFix:\n{}\n",
                    r.cause.trim(),
                    r.fix.trim()
                ));
            }
            writeln!(
                out,
                r#"    <testcase classname="{}" name="{}" file="{}" line="{}">"#,
                escape(&f.path),
                escape(&name),
                escape(&f.path),
                f.line
            )?;
            writeln!(
                out,
                r#"      <failure type="{}" message="{}">{}</failure>"#,
                f.severity,
                escape(&f.message),
                escape(&body)
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
        writeln!(out, "</testsuites>")?;
        out.flush()
    }
}
