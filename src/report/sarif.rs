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

/// The id of the base URI relative artifact locations are resolved against.
const SRCROOT: &str = "%SRCROOT%";

/// Percent-encodes `s` for a URI path: every byte but RFC 3986's unreserved characters and `/`
/// (a `:` too, so `logs.tgz:run.log` is not read as a scheme).
fn encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An input's name as a SARIF artifact location: relative to `%SRCROOT%` (the working
/// directory) when it is under it, else an absolute `file://` URI; stdin (`-`) is `stdin`.
pub fn artifact_location(path: &str) -> Value {
    if path == "-" {
        return json!({ "uri": "stdin", "uriBaseId": SRCROOT });
    }
    let p = std::path::Path::new(path);
    if p.is_absolute() {
        let under = std::env::current_dir()
            .ok()
            .and_then(|cwd| p.strip_prefix(cwd).ok().map(|r| r.to_path_buf()));
        return match under {
            Some(rel) => {
                json!({ "uri": encode_path(&rel.to_string_lossy()), "uriBaseId": SRCROOT })
            }
            None => json!({ "uri": format!("file://{}", encode_path(path)) }),
        };
    }
    let rel = path.strip_prefix("./").unwrap_or(path);
    json!({ "uri": encode_path(rel), "uriBaseId": SRCROOT })
}

fn location(path: &str, start: u64, end: u64) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": artifact_location(path),
            "region": { "startLine": start.max(1), "endLine": end.max(start).max(1) }
        }
    })
}

/// `%SRCROOT%`: the working directory as a `file://` URI ending in `/`.
fn srcroot() -> Value {
    let dir = std::env::current_dir()
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "/".into());
    let dir = if dir.ends_with('/') { dir } else { dir + "/" };
    json!({ SRCROOT: { "uri": format!("file://{}", encode_path(&dir)) } })
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
            let mut related: Vec<Value> = f
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
            // On the Go code (`--source`), the log line becomes a related location: code
            // scanning shows results only on files of the repository.
            if f.source.is_some() {
                let mut l = location(&f.path, f.line, f.end_line);
                l["id"] = json!(related.len());
                l["message"] = json!({ "text": "the log line" });
                related.push(l);
            }
            let mut result = json!({
                "ruleId": f.code,
                "ruleIndex": codes.iter().position(|c| *c == f.code).unwrap_or(0),
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [main_location(&f)],
                "relatedLocations": related,
                "occurrenceCount": f.count.max(1),
                "partialFingerprints": { "batonLintFingerprint/v2": f.fingerprint },
                "properties": { "context": f.context, "lastLine": f.last_line,
                    "recoveredAt": f.recovered_at,
                    "alsoSeen": f.also_seen,
                    "firstTimestamp": f.first_ts.map(|t| t.to_rfc3339()),
                    "lastTimestamp": f.last_ts.map(|t| t.to_rfc3339()) },
            });
            if f.recurrences > 0 {
                result["properties"]["recurrences"] = json!(f.recurrences);
            }
            result
        })
        .collect();
    let mut paths: Vec<&str> = s
        .findings
        .iter()
        .flat_map(|f| {
            std::iter::once(f.path.as_str()).chain(f.source.as_ref().map(|x| x.path.as_str()))
        })
        .collect();
    paths.sort_unstable();
    paths.dedup();
    let artifacts: Vec<Value> = paths
        .iter()
        .map(|p| {
            if *p == "-" {
                json!({ "location": artifact_location(p), "roles": ["standardStream"] })
            } else {
                json!({ "location": artifact_location(p) })
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
            "originalUriBaseIds": srcroot(),
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

/// A result's location: the Go code when `--source` placed it there, else the log line.
fn main_location(f: &Finding) -> Value {
    match &f.source {
        Some(s) => {
            let mut l = location(&s.path, s.line, s.line);
            if !s.symbol.is_empty() {
                l["logicalLocations"] =
                    json!([{ "fullyQualifiedName": s.symbol, "kind": "function" }]);
            }
            l
        }
        None => location(&f.path, f.line, f.end_line),
    }
}
