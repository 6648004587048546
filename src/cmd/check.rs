//! `baton-lint [check] [FILES]`: lint every input, stream or buffer the report, exit by the
//! findings.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::Path;

use anyhow::Result;

use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use crate::check::{InputResult, ReadOptions, lint_reader};
use crate::cli::{CheckArgs, ColorChoice};
use crate::config;
use crate::finding::Finding;
use crate::report::{self, Format, ReportOptions, Summary};
use crate::stats::Stats;

/// Whether to color: `--color`, then `NO_COLOR` / `FORCE_COLOR`, then "is stdout a terminal".
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                false
            } else if std::env::var_os("FORCE_COLOR").is_some_and(|v| !v.is_empty()) {
                true
            } else {
                io::stdout().is_terminal()
            }
        }
    }
}

fn notices_for(path: &str, r: &InputResult) -> Vec<String> {
    let mut n = Vec::new();
    if r.stats.zap_events() > 0 && !r.baton_seen {
        n.push(format!(
            "{path}: does not look like a baton connector log (zap lines, but none of baton's messages); rules may not apply"
        ));
    }
    if r.stats.truncated_lines > 0 {
        n.push(format!(
            "{path}: {} line(s) longer than --max-line-bytes were cut for matching",
            r.stats.truncated_lines
        ));
    }
    if r.stats.lossy_lines > 0 {
        n.push(format!(
            "{path}: {} line(s) were not valid UTF-8 and were decoded lossily",
            r.stats.lossy_lines
        ));
    }
    if r.stats.overflowed_findings > 0 {
        n.push(format!(
            "{path}: {} match(es) were folded into existing findings because a rule reached its cap of distinct findings",
            r.stats.overflowed_findings
        ));
    }
    n
}

/// Runs `check`.
pub fn run(args: &CheckArgs) -> Result<u8> {
    let cfg = config::resolve(&args.rules, args.fail_on)?;
    let format = args.format.unwrap_or(Format::Full);
    let opts = ReportOptions {
        color: use_color(args.color) && format == Format::Full,
        show_stats: args.stats,
    };
    let mut reporter = report::reporter(format, opts);
    let stdout = io::stdout();
    let mut out: Box<dyn Write> = if args.quiet {
        Box::new(io::sink())
    } else {
        Box::new(io::BufWriter::with_capacity(64 << 10, stdout.lock()))
    };
    let read_opts = ReadOptions {
        max_line_bytes: args.max_line_bytes.max(1),
    };
    let stdin_name = args
        .stdin_filename
        .clone()
        .unwrap_or_else(|| "-".to_string());
    let inputs: Vec<&Path> = if args.files.is_empty() {
        vec![Path::new("-")]
    } else {
        args.files.iter().map(|p| p.as_path()).collect()
    };

    let mut findings: Vec<Finding> = Vec::new();
    let mut stats = Stats::default();
    let mut notices = Vec::new();
    let mut had_error = false;
    for input in inputs {
        let mut sink = |f: &Finding| reporter.finding(&mut out, f);
        let res = if input == Path::new("-") {
            lint_reader(&cfg.rules, io::stdin(), &stdin_name, read_opts, &mut sink)
        } else {
            let name = input.display().to_string();
            match File::open(input) {
                Ok(f) => lint_reader(&cfg.rules, f, &name, read_opts, &mut sink),
                Err(e) => Err(e),
            }
        };
        match res {
            Ok(r) => {
                let path = if input == Path::new("-") {
                    stdin_name.clone()
                } else {
                    input.display().to_string()
                };
                notices.extend(notices_for(&path, &r));
                stats.merge(&r.stats);
                findings.extend(r.findings);
            }
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(EXIT_CLEAN),
            Err(e) => {
                eprintln!("baton-lint: {}: {e}", input.display());
                had_error = true;
            }
        }
    }
    let summary = Summary {
        findings: &findings,
        stats: &stats,
        rules: &cfg.rules,
        notices: &notices,
    };
    match reporter
        .finish(&mut out, &summary)
        .and_then(|_| out.flush())
    {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(EXIT_CLEAN),
        r => r?,
    }
    if had_error {
        return Ok(EXIT_ERROR);
    }
    let failing = findings.iter().any(|f| f.severity >= cfg.fail_on);
    Ok(if failing && !args.exit_zero {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}
