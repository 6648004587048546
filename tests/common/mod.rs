//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fmt::Write;

use baton_lint::Finding;

/// The text of a rule file: the given head (code, name, severity, message) with placeholder
/// category, cause, fix and docs, then `rest` (its `[match]` and the tables after it).
pub fn rule_text(code: &str, name: &str, severity: &str, message: &str, rest: &str) -> String {
    format!(
        "code = \"{code}\"\nname = \"{name}\"\ncategory = \"test\"\nseverity = \"{severity}\"\nmessage = \"{message}\"\ncause = \"c\"\nfix = \"f\"\n[docs]\nwhat = \"w\"\nwhy = \"y\"\n{rest}"
    )
}

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

/// Runs the built binary in `dir` (no colour, stdin closed): (exit code, stdout, stderr).
pub fn bl_in(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton-lint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Lints `text` as a stream: the findings handed to the streaming sink, in order, and the
/// end-of-input result.
pub fn lint_streaming(
    set: &baton_lint::RuleSet,
    text: Vec<u8>,
    path: &str,
) -> (Vec<Finding>, baton_lint::InputResult) {
    let mut streamed = Vec::new();
    let res = baton_lint::lint_reader(
        set,
        std::io::Cursor::new(text),
        path,
        baton_lint::ReadOptions::default(),
        &mut |f| {
            streamed.push(f.clone());
            Ok(())
        },
    )
    .unwrap();
    (streamed, res)
}
