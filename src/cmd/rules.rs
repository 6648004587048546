//! `baton-lint rules` (the rule table) and `baton-lint rule CODE` (one rule explained).

use std::io::{self, Write};

use anyhow::{Result, bail};
use serde::Serialize;

use super::EXIT_CLEAN;
use crate::cli::{RuleArgs, RulesArgs};
use crate::config;
use crate::rules::{Docs, Rule, Severity};

#[derive(Serialize)]
struct RuleJson<'a> {
    code: &'a str,
    name: &'a str,
    category: &'a str,
    severity: Severity,
    preview: bool,
    stateful: Option<crate::rules::WindowKind>,
    message: &'a str,
    cause: &'a str,
    fix: &'a str,
    docs: &'a Docs,
    origin: &'a str,
}

fn to_json(r: &Rule) -> RuleJson<'_> {
    RuleJson {
        code: &r.code,
        name: &r.name,
        category: &r.category,
        severity: r.severity,
        preview: r.preview,
        stateful: r.window.as_ref().map(|w| w.kind),
        message: &r.message_src,
        cause: &r.cause,
        fix: &r.fix,
        docs: &r.docs,
        origin: &r.origin,
    }
}

fn first_sentence(s: &str) -> String {
    let line = s.trim().lines().next().unwrap_or("");
    match line.find(". ") {
        Some(i) => line[..=i].to_string(),
        None => line.to_string(),
    }
}

/// The Markdown table of rules (the README's rule list is generated from it).
pub fn markdown_table(rules: &[Rule]) -> String {
    let mut s =
        String::from("| code | name | severity | what it finds |\n| --- | --- | --- | --- |\n");
    for r in rules {
        let what = first_sentence(&r.docs.what).replace('|', "\\|");
        s.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.code, r.name, r.severity, what
        ));
    }
    s
}

/// Runs `rules`.
pub fn run_list(args: &RulesArgs) -> Result<u8> {
    let mut rules = if args.all {
        config::load_all_rules(&args.rules.rule_dirs)?
    } else {
        config::resolve(&args.rules, None)?.rules.rules
    };
    rules.sort_by(|a, b| a.code.cmp(&b.code));
    let mut out = io::stdout().lock();
    match args.format.as_str() {
        "json" => {
            serde_json::to_writer_pretty(&mut out, &rules.iter().map(to_json).collect::<Vec<_>>())?;
            writeln!(out)?;
        }
        "markdown" => write!(out, "{}", markdown_table(&rules))?,
        _ => {
            let w = rules.iter().map(|r| r.name.len()).max().unwrap_or(4);
            writeln!(
                out,
                "{:<6} {:<w$} {:<8} {:<9} WHAT",
                "CODE", "NAME", "SEVERITY", "KIND"
            )?;
            for r in &rules {
                let kind = r.window.as_ref().map_or("line", |w| match w.kind {
                    crate::rules::WindowKind::Count => "count",
                    crate::rules::WindowKind::Burst => "burst",
                    crate::rules::WindowKind::Repeat => "repeat",
                    crate::rules::WindowKind::Absence => "absence",
                    crate::rules::WindowKind::Ratio => "ratio",
                });
                writeln!(
                    out,
                    "{:<6} {:<w$} {:<8} {:<9} {}",
                    r.code,
                    r.name,
                    r.severity.as_str(),
                    kind,
                    first_sentence(&r.docs.what)
                )?;
            }
        }
    }
    Ok(EXIT_CLEAN)
}

/// Runs `rule CODE`.
pub fn run_explain(args: &RuleArgs) -> Result<u8> {
    let rules = config::load_all_rules(&args.rule_dirs)?;
    let Some(r) = rules
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(&args.rule) || r.name == args.rule)
    else {
        bail!("no rule `{}` (see `baton-lint rules`)", args.rule);
    };
    let mut out = io::stdout().lock();
    if args.format == "json" {
        serde_json::to_writer_pretty(&mut out, &to_json(r))?;
        writeln!(out)?;
        return Ok(EXIT_CLEAN);
    }
    writeln!(
        out,
        "{} {} ({}, {}{})",
        r.code,
        r.name,
        r.severity,
        r.category,
        if r.preview { ", preview" } else { "" }
    )?;
    writeln!(out)?;
    let section = |out: &mut dyn Write, title: &str, body: &str| -> io::Result<()> {
        if body.trim().is_empty() {
            return Ok(());
        }
        writeln!(out, "## {title}\n{}\n", body.trim())
    };
    section(&mut out, "What it finds", &r.docs.what)?;
    section(&mut out, "Why it matters", &r.docs.why)?;
    section(&mut out, "Example", &r.docs.example)?;
    section(&mut out, "Likely cause", &r.cause)?;
    section(&mut out, "Fix", &r.fix)?;
    writeln!(out, "Defined in {}", r.origin)?;
    Ok(EXIT_CLEAN)
}
