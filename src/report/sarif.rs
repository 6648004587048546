//! `sarif`: SARIF 2.1.0 for code scanning and editors. Rules carry their docs (help = cause and
//! fix in Markdown); results point at the log line, with evidence as related locations, repeats
//! as `occurrenceCount` and a stable partial fingerprint. Stdin is an artifact with the role
//! `standardStream`; input notices become tool execution notifications.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Reporter, Summary, redacted};
use crate::finding::Finding;
use crate::rules::Severity;

/// See the module docs.
pub struct SarifReporter;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

fn location(path: &str, start: u64, end: u64) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": path },
            "region": { "startLine": start.max(1), "endLine": end.max(start).max(1) }
        }
    })
}

/// The SARIF document for a run.
pub fn sarif_document(s: &Summary<'_>) -> Value {
    let mut codes: Vec<&str> = s.findings.iter().map(|f| f.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .filter_map(|c| s.rules.find(c))
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.docs.what },
                "fullDescription": { "text": r.docs.why },
                "help": {
                    "text": format!("Likely cause:\n{}\n\nFix:\n{}", r.cause.trim(), r.fix.trim()),
                    "markdown": format!("**Likely cause**\n\n{}\n\n**Fix**\n\n{}", r.cause.trim(), r.fix.trim()),
                },
                "helpUri": format!("urn:baton-lint:rule:{}", r.code),
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "category": r.category, "tags": [r.category] },
            })
        })
        .collect();
    let results: Vec<Value> = s
        .findings
        .iter()
        .map(|f| {
            let f: Finding = redacted(f);
            let related: Vec<Value> = f
                .evidence
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let mut l = location(&f.path, e.line, e.line);
                    l["id"] = json!(i);
                    l["message"] = json!({ "text": e.text });
                    l
                })
                .collect();
            json!({
                "ruleId": f.code,
                "ruleIndex": codes.iter().position(|c| *c == f.code).unwrap_or(0),
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [location(&f.path, f.line, f.end_line)],
                "relatedLocations": related,
                "occurrenceCount": f.count.max(1),
                "partialFingerprints": { "batonLintFingerprint/v1": f.fingerprint },
                "properties": { "context": f.context, "lastLine": f.last_line,
                    "firstTimestamp": f.first_ts.map(|t| t.to_rfc3339()),
                    "lastTimestamp": f.last_ts.map(|t| t.to_rfc3339()) },
            })
        })
        .collect();
    let mut paths: Vec<&str> = s.findings.iter().map(|f| f.path.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    let artifacts: Vec<Value> = paths
        .iter()
        .map(|p| {
            if *p == "-" {
                json!({ "location": { "uri": "-" }, "roles": ["standardStream"] })
            } else {
                json!({ "location": { "uri": p } })
            }
        })
        .collect();
    let notes: Vec<Value> = s
        .notices
        .iter()
        .map(|n| json!({ "level": "note", "message": { "text": n } }))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "baton-lint",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "urn:baton-lint",
                "rules": rules,
            }},
            "artifacts": artifacts,
            "results": results,
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notes,
            }],
            "properties": {
                "stats": s.stats,
                "overviews": s.overviews.iter().map(|(p, o)| json!({ "path": p, "types": o.types })).collect::<Vec<_>>(),
            },
        }]
    })
}

impl Reporter for SarifReporter {
    fn finding(&mut self, _: &mut dyn Write, _: &Finding) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary<'_>) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &sarif_document(s))?;
        writeln!(out)?;
        out.flush()
    }
}
