//! `baton-lint c1z FILE…` (findings, or `--stats`: the counts `baton stats` shows) and
//! `baton-lint diff OLD NEW` (two syncs side by side, drops to 0 flagged).

use std::io::{self, Write};
use std::path::Path;

use anyhow::{Result, bail};
use serde_json::json;

use super::check::{self as chk, Input};
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use crate::c1z::{self, C1zOptions, C1zSummary, SyncStats};
use crate::cli::{C1zArgs, DiffArgs};
use crate::config;
use crate::report::Format;

/// Runs `c1z`.
pub fn run(args: &C1zArgs) -> Result<u8> {
    if args.check.files.is_empty() {
        bail!("c1z: name at least one .c1z file");
    }
    for f in &args.check.files {
        if !matches!(c1z::sniff(f), Ok(Some(_))) {
            bail!(
                "{}: not a .c1z file (the first bytes are not C1ZF or C1Z3)",
                f.display()
            );
        }
    }
    if args.check.stats {
        return run_stats(args);
    }
    let mut cfg = config::resolve(&args.check.rules, args.check.fail_on)?;
    chk::attach_source(&mut cfg, &args.check)?;
    let mut sinks = chk::build_sinks(&args.check, false)?;
    let inputs = args.check.files.iter().cloned().map(Input::Path).collect();
    let o = chk::lint_inputs(&cfg, &args.check, inputs, &mut sinks);
    let ok = chk::finish_sinks(&mut sinks, &o, &cfg, &args.check);
    Ok(chk::exit_code(&o, &cfg, &args.check, ok))
}

fn stats_json(path: &Path, s: &C1zSummary) -> serde_json::Value {
    json!({
        "path": path.display().to_string(),
        "format": s.format,
        "engine": s.engine,
        "syncs": s.syncs,
        "sync": s.chosen,
        "stats": s.stats,
        "merge": s.merge,
        "disagreements": s.disagreements,
    })
}

fn stats_text(out: &mut dyn Write, path: &Path, s: &C1zSummary, markdown: bool) -> io::Result<()> {
    let Some(sync) = &s.chosen else {
        return writeln!(out, "{}: no sync run in this file", path.display());
    };
    let state = match &sync.ended_at {
        Some(t) => format!("finished {t}"),
        None => "NOT finished".to_string(),
    };
    let kind = match (&s.format, &s.engine) {
        (c1z::Format::V1, _) => "v1 (SQLite)".to_string(),
        (c1z::Format::V3, e) => format!("v3 ({})", e.as_deref().unwrap_or("pebble")),
    };
    let head = format!(
        "{}: {kind}, {} sync(s); latest: {} ({}, {state})",
        path.display(),
        s.syncs.len(),
        sync.sync_id,
        sync.sync_type
    );
    let Some(st) = &s.stats else {
        return writeln!(out, "{head}\n  (no counts recorded for this sync)");
    };
    let o = c1z::lint_stats(st);
    let mut head = head;
    if let Some(m) = &s.merge {
        head.push_str(&format!(
            "\n  read {} live tables ({} virtual): {} points, {} older versions, {} tombstones, {} shadowed by {} range deletions, {} outside virtual-table bounds; {} visible records",
            m.tables, m.virtual_tables, m.points, m.older_versions, m.tombstones,
            m.shadowed_by_range_dels, m.range_dels, m.hidden_by_bounds, m.visible
        ));
    }
    for d in &s.disagreements {
        head.push_str(&format!("\n  note: {d} (the table counts the records)"));
    }
    if markdown {
        writeln!(
            out,
            "### {head}\n\n| Resource type | Resources | Entitlements | Grants |\n| --- | ---: | ---: | ---: |"
        )?;
        for (rt, r) in &o.types {
            writeln!(
                out,
                "| {rt} | {} | {} | {} |",
                r.resources.unwrap_or(0),
                r.entitlements.map_or(0, |e| e.0),
                r.grants.map_or(0, |g| g.0)
            )?;
        }
        writeln!(
            out,
            "| **total** | {} | {} | {} |\n",
            st.resources, st.entitlements, st.grants
        )
    } else {
        writeln!(out, "{head}")?;
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
            .force_no_tty();
        t.set_header(vec!["Resource type", "Resources", "Entitlements", "Grants"]);
        for (rt, r) in &o.types {
            let n = |p: Option<(u64, Option<u64>)>| p.map_or("-".to_string(), |x| x.0.to_string());
            t.add_row(vec![
                rt.clone(),
                r.resources.unwrap_or(0).to_string(),
                n(r.entitlements),
                n(r.grants),
            ]);
        }
        t.add_row(vec![
            "total".to_string(),
            st.resources.to_string(),
            st.entitlements.to_string(),
            st.grants.to_string(),
        ]);
        writeln!(out, "{t}")
    }
}

fn run_stats(args: &C1zArgs) -> Result<u8> {
    let format = args.check.format.unwrap_or(Format::Full);
    let opts = C1zOptions {
        max_bytes: args.check.max_c1z_bytes,
    };
    // c1z values (ids, types, names) come from the file: redacted, controls escaped.
    let mut out = crate::redact::CleanWriter::new(io::stdout().lock());
    let mut docs = Vec::new();
    let mut code = EXIT_CLEAN;
    for f in &args.check.files {
        match c1z::summarize(f, opts, None) {
            Ok((s, _)) => match format {
                Format::Json
                | Format::Jsonl
                | Format::Sarif
                | Format::Gitlab
                | Format::Junit
                | Format::Rdjsonl => docs.push(stats_json(f, &s)),
                Format::Github => stats_text(&mut out, f, &s, true)?,
                Format::Full | Format::Table | Format::Concise => {
                    stats_text(&mut out, f, &s, false)?
                }
            },
            Err(e) => {
                eprintln!("baton-lint: {}: {e}", f.display());
                code = EXIT_ERROR;
            }
        }
    }
    match format {
        Format::Jsonl => {
            for d in &docs {
                writeln!(out, "{d}")?;
            }
        }
        Format::Sarif => {
            // A valid SARIF log with no results; the counts ride in the run's properties.
            let doc = json!({ "version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
                "runs": [{ "tool": { "driver": { "name": "baton-lint", "version": env!("CARGO_PKG_VERSION") } },
                           "results": [], "properties": { "c1zStats": docs } }] });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        _ if !docs.is_empty() => writeln!(out, "{}", serde_json::to_string_pretty(&docs)?)?,
        _ => {}
    }
    Ok(code)
}

/// One row of a diff.
#[derive(serde::Serialize)]
struct DiffRow {
    what: String,
    old: Option<u64>,
    new: Option<u64>,
    /// `added`, `removed`, `dropped to 0`, or empty.
    flag: &'static str,
}

fn diff_rows(a: &SyncStats, b: &SyncStats) -> Vec<DiffRow> {
    let mut keys: Vec<&String> = a.resources_by_type.keys().collect();
    for k in b.resources_by_type.keys() {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut rows: Vec<DiffRow> = keys
        .into_iter()
        .map(|k| {
            let (o, n) = (
                a.resources_by_type.get(k).copied(),
                b.resources_by_type.get(k).copied(),
            );
            let flag = match (o, n) {
                (None, Some(_)) => "added",
                (Some(_), None) => "removed",
                (Some(x), Some(0)) if x > 0 => "dropped to 0",
                _ => "",
            };
            DiffRow {
                what: k.clone(),
                old: o,
                new: n,
                flag,
            }
        })
        .collect();
    for (what, o, n) in [
        ("entitlements", a.entitlements, b.entitlements),
        ("grants", a.grants, b.grants),
    ] {
        rows.push(DiffRow {
            what: format!("({what})"),
            old: Some(o),
            new: Some(n),
            flag: if o > 0 && n == 0 { "dropped to 0" } else { "" },
        });
    }
    rows
}

fn change(o: Option<u64>, n: Option<u64>) -> String {
    match (o, n) {
        (Some(o), Some(n)) if o == n => "=".into(),
        (Some(o), Some(n)) => {
            let d = n as i64 - o as i64;
            if o > 0 {
                format!("{d:+} ({:+.0}%)", d as f64 * 100.0 / o as f64)
            } else {
                format!("{d:+}")
            }
        }
        _ => "".into(),
    }
}

/// Runs `diff`.
pub fn run_diff(args: &DiffArgs) -> Result<u8> {
    let opts = C1zOptions {
        max_bytes: args.max_c1z_bytes,
    };
    let load = |p: &Path, which: Option<&str>| -> Result<C1zSummary> {
        c1z::summarize(p, opts, which)
            .map(|(s, _)| s)
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    };
    let (old_name, new_name, a, b) = match &args.new {
        Some(new) => {
            let (a, b) = (load(&args.old, None)?, load(new, None)?);
            (
                args.old.display().to_string(),
                new.display().to_string(),
                a,
                b,
            )
        }
        None => {
            // One file: its two latest finished syncs.
            let all = load(&args.old, None)?;
            let mut done: Vec<_> = all.syncs.iter().filter(|s| s.ended_at.is_some()).collect();
            done.sort_by(|x, y| x.ended_at.cmp(&y.ended_at));
            if done.len() < 2 {
                bail!(
                    "{}: holds {} finished sync(s); diff one file needs two (or give OLD and NEW)",
                    args.old.display(),
                    done.len()
                );
            }
            let (x, y) = (
                done[done.len() - 2].sync_id.clone(),
                done[done.len() - 1].sync_id.clone(),
            );
            let a = load(&args.old, Some(&x))?;
            let b = load(&args.old, Some(&y))?;
            (format!("sync {x}"), format!("sync {y}"), a, b)
        }
    };
    let (Some(sa), Some(sb)) = (&a.stats, &b.stats) else {
        bail!("no counts recorded for one of the syncs");
    };
    let rows = diff_rows(sa, sb);
    let flagged = rows
        .iter()
        .any(|r| r.flag == "removed" || r.flag == "dropped to 0");
    // c1z values (ids, types, names) come from the file: redacted, controls escaped.
    let mut out = crate::redact::CleanWriter::new(io::stdout().lock());
    match args.format.as_str() {
        "json" => {
            let doc = json!({ "old": { "name": old_name, "sync": a.chosen }, "new": { "name": new_name, "sync": b.chosen }, "rows": rows, "flagged": flagged });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        "markdown" => {
            writeln!(
                out,
                "| Resource type | {old_name} | {new_name} | Change | |\n| --- | ---: | ---: | ---: | --- |"
            )?;
            for r in &rows {
                let f = |v: Option<u64>| v.map_or("-".into(), |n| n.to_string());
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    r.what,
                    f(r.old),
                    f(r.new),
                    change(r.old, r.new),
                    r.flag
                )?;
            }
        }
        _ => {
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
                .force_no_tty();
            t.set_header(vec![
                "Resource type".to_string(),
                old_name.clone(),
                new_name.clone(),
                "Change".into(),
                "".into(),
            ]);
            let f = |v: Option<u64>| v.map_or("-".into(), |n| n.to_string());
            for r in &rows {
                t.add_row(vec![
                    r.what.clone(),
                    f(r.old),
                    f(r.new),
                    change(r.old, r.new),
                    r.flag.to_string(),
                ]);
            }
            writeln!(out, "{t}")?;
            if flagged {
                writeln!(
                    out,
                    "Flagged: a resource type was removed or dropped to 0 — check permissions for it (BL602)."
                )?;
            }
        }
    }
    Ok(if flagged { EXIT_FINDINGS } else { EXIT_CLEAN })
}
