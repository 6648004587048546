//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fmt::Write;

use baton_lint::Finding;

/// A stable, reviewable text rendering of findings for snapshots.
pub fn describe(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let ts = f.first_ts.map_or("-".to_string(), |t| t.to_rfc3339());
        let _ = writeln!(
            out,
            "{} {} {}:{}-{} last={} count={} ts={}\n  message: {}",
            f.code, f.severity, f.path, f.line, f.end_line, f.last_line, f.count, ts, f.message
        );
        if !f.context.is_empty() {
            let ctx: Vec<String> = f.context.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(out, "  context: {}", ctx.join(", "));
        }
        let ev: Vec<String> = f.evidence.iter().map(|e| e.line.to_string()).collect();
        let _ = writeln!(out, "  evidence lines: {}", ev.join(", "));
    }
    if findings.is_empty() {
        out.push_str("(no findings)\n");
    }
    out
}
