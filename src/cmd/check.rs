//! `baton-lint [check] [FILES]`: lint every input, stream or buffer the reports, exit by the
//! findings. The core ([`lint_inputs`]) is shared with `baton-lint run`.

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use crate::check::{InputResult, ReadOptions, lint_reader};
use crate::cli::{CheckArgs, ColorChoice};
use crate::config::{self, Config};
use crate::finding::Finding;
use crate::overview::Overview;
use crate::report::{self, Format, ReportOptions, Reporter, Summary};
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

/// One input stream.
pub enum Input {
    /// A path (`-` is stdin).
    Path(PathBuf),
    /// An already-open stream with its name (a connector's stderr).
    Stream(String, Box<dyn Read + Send>),
}

/// One report destination.
pub struct Sink {
    pub format: Format,
    reporter: Box<dyn Reporter>,
    out: Box<dyn Write>,
    /// Where it goes, for error messages.
    dest: String,
    /// Failed writes stop this sink only (a closed stdout ends the run quietly).
    failed: bool,
}

impl Sink {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        if self.failed {
            return Ok(());
        }
        self.reporter.finding(&mut self.out, f)
    }
}

/// Everything the inputs produced.
#[derive(Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub stats: Stats,
    pub notices: Vec<String>,
    pub overviews: Vec<(String, Overview)>,
    pub had_error: bool,
    /// Stopped by a signal or a closed stdout.
    pub stopped: bool,
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

/// The sinks of a run: the main format on stdout (unless `-q`), plus every `--output`.
pub fn build_sinks(args: &CheckArgs) -> Result<Vec<Sink>> {
    let format = args.format.unwrap_or(Format::Full);
    let tty = io::stdout().is_terminal();
    let opts = ReportOptions {
        color: use_color(args.color) && format.is_human(),
        show_stats: args.stats,
        width: None,
        tty,
    };
    let mut sinks = Vec::new();
    if !args.quiet {
        let out: Box<dyn Write> = if tty {
            Box::new(io::LineWriter::new(io::stdout()))
        } else {
            Box::new(io::BufWriter::with_capacity(64 << 10, io::stdout()))
        };
        sinks.push(Sink {
            format,
            reporter: report::reporter(format, opts),
            out,
            dest: "stdout".into(),
            failed: false,
        });
    }
    for spec in &args.outputs {
        let Some((name, path)) = spec.split_once('=') else {
            bail!("--output takes FORMAT=PATH (e.g. sarif=findings.sarif), got `{spec}`");
        };
        let Some(format) = Format::from_name(name) else {
            bail!(
                "--output: unknown format `{name}` (full, table, concise, json, jsonl, sarif, github, junit, gitlab, rdjsonl)"
            );
        };
        let file = File::create(path).with_context(|| format!("--output: cannot create {path}"))?;
        let opts = ReportOptions {
            color: false,
            show_stats: args.stats,
            width: None,
            tty: false,
        };
        sinks.push(Sink {
            format,
            reporter: report::reporter(format, opts),
            out: Box::new(io::BufWriter::new(file)),
            dest: path.to_string(),
            failed: false,
        });
    }
    Ok(sinks)
}

/// Lints every input in order, streaming findings to `sinks` as they fire.
pub fn lint_inputs(
    cfg: &Config,
    args: &CheckArgs,
    inputs: Vec<Input>,
    sinks: &mut [Sink],
) -> Outcome {
    let read_opts = ReadOptions {
        max_line_bytes: args.max_line_bytes.max(1),
    };
    let stdin_name = args
        .stdin_filename
        .clone()
        .unwrap_or_else(|| "-".to_string());
    let mut o = Outcome::default();
    for input in inputs {
        let mut sink_err: Option<io::Error> = None;
        let mut on_new = |f: &Finding| -> io::Result<()> {
            for s in sinks.iter_mut() {
                if let Err(e) = s.finding(f) {
                    s.failed = true;
                    if s.dest == "stdout" && e.kind() == io::ErrorKind::BrokenPipe {
                        // A closed stdout ends the run quietly.
                        return Err(e);
                    }
                    sink_err.get_or_insert(io::Error::new(e.kind(), format!("{}: {e}", s.dest)));
                }
            }
            Ok(())
        };
        let (name, res) = match input {
            Input::Path(p) if p == Path::new("-") => (
                stdin_name.clone(),
                lint_reader(&cfg.rules, io::stdin(), &stdin_name, read_opts, &mut on_new),
            ),
            Input::Path(p) if matches!(crate::c1z::sniff(&p), Ok(Some(_))) => {
                lint_c1z_input(cfg, args, &p, &mut on_new, &mut o);
                continue;
            }
            Input::Path(p) => {
                let name = p.display().to_string();
                let res = File::open(&p)
                    .and_then(|f| lint_reader(&cfg.rules, f, &name, read_opts, &mut on_new));
                (name, res)
            }
            Input::Stream(name, r) => {
                let res = lint_reader(&cfg.rules, r, &name, read_opts, &mut on_new);
                (name, res)
            }
        };
        if let Some(e) = sink_err {
            eprintln!("baton-lint: {e}");
            o.had_error = true;
        }
        match res {
            Ok(r) => {
                o.notices.extend(notices_for(&name, &r));
                if r.overview.has_sync() {
                    o.overviews.push((name.clone(), r.overview.clone()));
                }
                o.stats.merge(&r.stats);
                o.findings.extend(r.findings);
                if crate::input::interrupted() {
                    o.notices
                        .push(format!("{name}: interrupted; findings so far are reported"));
                    o.stopped = true;
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                o.stopped = true;
                break;
            }
            Err(e) => {
                eprintln!("baton-lint: {name}: {e}");
                o.had_error = true;
            }
        }
    }
    o
}

/// A `.c1z` input in a normal run: its findings stream like a log's.
fn lint_c1z_input(
    cfg: &Config,
    args: &CheckArgs,
    path: &Path,
    on_new: &mut dyn FnMut(&Finding) -> io::Result<()>,
    o: &mut Outcome,
) {
    let opts = crate::c1z::C1zOptions {
        max_bytes: args.max_c1z_bytes,
    };
    match crate::c1z::lint_file(path, &cfg.rules, opts) {
        Ok(l) => {
            for f in &l.findings {
                if on_new(f).is_err() {
                    o.stopped = true;
                }
            }
            o.notices.extend(l.notices);
            if !l.overview.types.is_empty() {
                o.overviews.push((path.display().to_string(), l.overview));
            }
            o.findings.extend(l.findings);
        }
        Err(e) => {
            eprintln!("baton-lint: {}: {e}", path.display());
            o.had_error = true;
        }
    }
}

/// Finishes every sink and writes the Markdown summary. Returns false if a write failed.
pub fn finish_sinks(sinks: &mut [Sink], o: &Outcome, cfg: &Config, args: &CheckArgs) -> bool {
    let summary = Summary {
        findings: &o.findings,
        stats: &o.stats,
        rules: &cfg.rules,
        notices: &o.notices,
        overviews: &o.overviews,
    };
    let mut ok = true;
    for s in sinks.iter_mut() {
        if s.failed {
            continue;
        }
        let res = if args.statistics && s.dest == "stdout" {
            write_statistics(&mut s.out, &o.findings)
        } else {
            s.reporter.finish(&mut s.out, &summary)
        };
        match res.and_then(|_| s.out.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe && s.dest == "stdout" => {}
            Err(e) => {
                eprintln!("baton-lint: {}: {e}", s.dest);
                ok = false;
            }
        }
    }
    let summary_path = args.summary.clone().or_else(|| {
        (args.format == Some(Format::Github))
            .then(|| std::env::var_os("GITHUB_STEP_SUMMARY").map(PathBuf::from))
            .flatten()
    });
    if let Some(p) = summary_path {
        let text = report::markdown_summary(&summary);
        let res = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = res {
            eprintln!("baton-lint: --summary {}: {e}", p.display());
            ok = false;
        }
    }
    ok
}

/// `--statistics`: findings per rule, most first.
fn write_statistics(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    let mut counts: indexmap::IndexMap<(&str, &str), (u64, u64)> = indexmap::IndexMap::new();
    for f in findings {
        let e = counts
            .entry((f.code.as_str(), f.name.as_str()))
            .or_default();
        e.0 += 1;
        e.1 += f.count;
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    for ((code, name), (n, lines)) in rows {
        writeln!(out, "{n:>5}  {code}  {name}  ({lines} matching events)")?;
    }
    Ok(())
}

/// The exit code for an outcome.
pub fn exit_code(o: &Outcome, cfg: &Config, args: &CheckArgs, sinks_ok: bool) -> u8 {
    if o.had_error || !sinks_ok {
        return EXIT_ERROR;
    }
    let failing = o.findings.iter().any(|f| f.severity >= cfg.fail_on);
    if failing && !args.exit_zero {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// Runs `check`.
pub fn run(args: &CheckArgs) -> Result<u8> {
    let cfg = config::resolve(&args.rules, args.fail_on)?;
    let mut sinks = build_sinks(args)?;
    crate::input::install_signal_handlers();
    let inputs = if args.files.is_empty() {
        vec![Input::Path(PathBuf::from("-"))]
    } else {
        args.files.iter().cloned().map(Input::Path).collect()
    };
    let o = lint_inputs(&cfg, args, inputs, &mut sinks);
    let closed_stdout = o.stopped && !crate::input::interrupted();
    let ok = finish_sinks(&mut sinks, &o, &cfg, args);
    if closed_stdout {
        return Ok(EXIT_CLEAN);
    }
    Ok(exit_code(&o, &cfg, args, ok))
}
