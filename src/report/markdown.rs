//! The remediation table and sync overview as Markdown: the GitHub step summary (`--summary`).

use super::{RemediationRow, Summary, remediation_rows, where_short};
use crate::overview::progress;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The whole summary document.
pub fn markdown_summary(s: &Summary<'_>) -> String {
    let mut out = String::from("## baton-lint\n\n");
    if s.findings.is_empty() {
        out.push_str(&s.nothing_found());
        out.push('\n');
    } else {
        out.push_str("| Severity | Rule | Symptom | Likely cause | Fix | Count | Where |\n");
        out.push_str("| --- | --- | --- | --- | --- | ---: | --- |\n");
        for RemediationRow {
            finding: f,
            cause,
            fix,
        } in remediation_rows(s)
        {
            out.push_str(&format!(
                "| {} | `{}` {} | {} | {} | {} | {} | `{}` |\n",
                f.severity,
                f.code,
                f.name,
                cell(&f.message),
                cell(&cause),
                cell(&fix),
                f.count,
                cell(&where_short(&f))
            ));
        }
    }
    for (path, o) in s.overviews {
        if o.types.is_empty() {
            continue;
        }
        out.push_str(&format!("\n### Sync overview: `{}`\n\n", cell(path)));
        out.push_str("| Resource type | Resources | Entitlements | Grants | Errors | Recovered | Skipped | Rate-limit waits | Calls |\n");
        out.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (rt, r) in &o.types {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                cell(rt),
                r.resources.map_or("-".into(), |n| n.to_string()),
                progress(r.entitlements),
                progress(r.grants),
                r.errors,
                r.recovered,
                r.skipped,
                r.rate_limit_waits,
                r.calls.map_or("-".into(), |n| n.to_string())
            ));
        }
    }
    for n in s.notices {
        out.push_str(&format!("\n> {}\n", cell(n)));
    }
    out
}
