//! `baton-lint [check] [FILES]`: lint every input, stream or buffer the reports, exit by the
//! findings. The core ([`lint_inputs`]) is shared with `baton-lint run`.

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use crate::baseline::{self, Baseline};
use crate::batch::{self, BatchOptions, Unit};
use crate::check::{ReadOptions, lint_reader};
use crate::cli::{CheckArgs, ColorChoice};
use crate::config::{self, Config};
use crate::finding::Finding;
use crate::overview::Overview;
use crate::report::{self, Format, ReportOptions, Reporter, Summary};
use crate::source::SourceIndex;
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
    /// Its reader went away (`| head`): the run exits 0 whatever the format.
    pub closed: bool,
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
    /// Inputs (or archive members) that could not be read.
    pub failed_inputs: usize,
    /// Stopped by a signal or a closed stdout.
    pub stopped: bool,
    /// Findings the `--baseline` hid (kept for `--write-baseline`).
    pub baselined: Vec<Finding>,
}

/// Refuses, before any file is opened for writing, an `--output` or `--summary` that is one
/// of the inputs (same device and inode, so another spelling or a link is caught too):
/// writing it would destroy the log before it is read (report D6).
pub fn refuse_outputs_over_inputs(args: &CheckArgs) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let inputs: Vec<(u64, u64, &Path)> = args
        .files
        .iter()
        .filter(|p| *p != Path::new("-"))
        .filter_map(|p| {
            std::fs::metadata(p)
                .ok()
                .map(|m| (m.dev(), m.ino(), p.as_path()))
        })
        .collect();
    let outputs = args
        .outputs
        .iter()
        .filter_map(|s| s.split_once('=').map(|(_, p)| PathBuf::from(p)))
        .chain(args.summary.clone())
        .chain(args.write_baseline.clone());
    for out in outputs {
        let Ok(m) = std::fs::metadata(&out) else {
            continue;
        };
        if let Some((_, _, input)) = inputs
            .iter()
            .find(|(d, i, _)| *d == m.dev() && *i == m.ino())
        {
            bail!(
                "{} is both an input ({}) and an output: refusing to overwrite it",
                out.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// The sinks of a run: the main format on stdout (unless `-q`), plus every `--output`.
pub fn build_sinks(args: &CheckArgs, live: bool) -> Result<Vec<Sink>> {
    let format = args.format.unwrap_or(Format::Full);
    let tty = io::stdout().is_terminal();
    let opts = ReportOptions {
        color: use_color(args.color) && format.is_human(),
        show_stats: args.stats,
        width: None,
        tty,
        live,
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
            closed: false,
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
            live: false,
        };
        sinks.push(Sink {
            format,
            reporter: report::reporter(format, opts),
            out: Box::new(io::BufWriter::new(file)),
            dest: path.to_string(),
            failed: false,
            closed: false,
        });
    }
    Ok(sinks)
}

fn absorb(o: &mut Outcome, unit: Unit, baseline: &Baseline, index: Option<&SourceIndex>) {
    match unit.outcome {
        Ok(mut d) => {
            if let Some(ix) = index {
                for f in &mut d.findings {
                    f.source = ix.locate(f);
                }
            }
            let (hidden, shown): (Vec<Finding>, Vec<Finding>) =
                d.findings.into_iter().partition(|f| baseline.contains(f));
            d.findings = shown;
            o.baselined.extend(hidden);
            o.notices.extend(d.notices);
            if let Some(ov) = d.overview {
                o.overviews.push((unit.name, ov));
            }
            o.stats.merge(&d.stats);
            o.findings.extend(d.findings);
        }
        Err(e) if e.contains("consumer stopped") || e.contains("Broken pipe") => o.stopped = true,
        Err(e) => {
            eprintln!("baton-lint: {}: {}", clean(&unit.name), clean(&e));
            o.had_error = true;
            o.failed_inputs += 1;
        }
    }
}

/// Input text in a message of ours: redacted, control characters made visible.
fn clean(s: &str) -> String {
    crate::redact::escape_controls(&crate::redact::redact(s)).into_owned()
}

/// Hands a finding to every sink (unless the baseline holds it); a closed stdout stops the run.
fn to_sinks(
    sinks: &mut [Sink],
    sink_err: &mut Option<io::Error>,
    baseline: &Baseline,
    index: Option<&SourceIndex>,
    f: &Finding,
) -> io::Result<()> {
    if baseline.contains(f) {
        return Ok(());
    }
    let mapped;
    let f = match index.and_then(|ix| ix.locate(f)) {
        Some(loc) => {
            let mut g = f.clone();
            g.source = Some(loc);
            mapped = g;
            &mapped
        }
        None => f,
    };
    for s in sinks.iter_mut() {
        if let Err(e) = s.finding(f) {
            s.failed = true;
            if s.dest == "stdout" && e.kind() == io::ErrorKind::BrokenPipe {
                s.closed = true;
                return Err(e);
            }
            sink_err.get_or_insert(io::Error::new(e.kind(), format!("{}: {e}", s.dest)));
        }
    }
    Ok(())
}

fn progress_bar(args: &CheckArgs, total: usize) -> Option<indicatif::ProgressBar> {
    if args.quiet || !io::stderr().is_terminal() {
        return None;
    }
    if total < 2 {
        // One large file: a spinner with the bytes read so far — not for stdin (interactive)
        // nor with findings streamed to the same terminal.
        let one_file =
            args.files.len() == 1 && std::fs::metadata(&args.files[0]).is_ok_and(|m| m.is_file());
        let streamed = args.format.unwrap_or(Format::Full).is_streaming();
        if !one_file || streamed {
            return None;
        }
        let pb = indicatif::ProgressBar::new_spinner();
        let style = indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
        pb.set_style(style);
        let bar = pb.clone();
        std::thread::spawn(move || {
            while !bar.is_finished() {
                let mb = crate::input::bytes_read() as f64 / 1e6;
                bar.set_message(format!("{mb:.1} MB read"));
                bar.tick();
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        });
        return Some(pb);
    }
    let pb = indicatif::ProgressBar::new(total as u64);
    let style =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} inputs, {msg} [{elapsed}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    pb.set_style(style);
    Some(pb)
}

/// Lints every input in input order, streaming findings to `sinks` as they fire. Several
/// files with `-j` > 1 are linted in parallel; their findings are then written in input order.
pub fn lint_inputs(
    cfg: &Config,
    args: &CheckArgs,
    inputs: Vec<Input>,
    sinks: &mut [Sink],
) -> Outcome {
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    // One stream at a time: it gets the cores (workers parse and evaluate ahead of the engine).
    let read = ReadOptions {
        max_line_bytes: args.max_line_bytes.max(1),
        workers: if jobs > 1 { jobs } else { 0 },
        in_place: false,
    };
    let opts = BatchOptions {
        read,
        max_c1z_bytes: args.max_c1z_bytes,
        max_decompressed_bytes: args.max_decompressed_bytes,
    };
    let stdin_name = args
        .stdin_filename
        .clone()
        .unwrap_or_else(|| "-".to_string());
    let glob = match batch::glob_set(&args.glob) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("baton-lint: --glob: {e}");
            return Outcome {
                had_error: true,
                ..Outcome::default()
            };
        }
    };
    let mut o = Outcome::default();
    let baseline = match &args.baseline {
        Some(p) => match Baseline::load(p) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("baton-lint: --baseline {e}");
                o.had_error = true;
                return o;
            }
        },
        None => Baseline::default(),
    };
    let mut sink_err: Option<io::Error> = None;
    // Directories are expanded up front; streams keep their place.
    let mut work: Vec<Input> = Vec::new();
    for input in inputs {
        match input {
            Input::Path(p) if p != Path::new("-") && p.is_dir() => {
                let found = batch::expand(&[p], glob.as_ref());
                for e in &found.errors {
                    eprintln!("baton-lint: {}", clean(e));
                }
                o.had_error |= !found.errors.is_empty();
                o.failed_inputs += found.errors.len();
                o.notices.extend(found.skipped);
                work.extend(found.files.into_iter().map(Input::Path));
            }
            other => work.push(other),
        }
    }
    let files: Vec<PathBuf> = work
        .iter()
        .filter_map(|i| match i {
            Input::Path(p) if p != Path::new("-") => Some(p.clone()),
            _ => None,
        })
        .collect();
    let pb = progress_bar(args, work.len());
    if jobs > 1 && files.len() > 1 && files.len() == work.len() {
        // Parallel batch: one task per file, each on one thread; results kept in input order.
        let one_thread = BatchOptions {
            read: ReadOptions { workers: 0, ..read },
            ..opts
        };
        let run = |p: &PathBuf| {
            let units = batch::lint_path(&cfg.rules, p, one_thread, &mut |_| Ok(()));
            if let Some(pb) = &pb {
                pb.inc(1);
            }
            units
        };
        let results: Vec<Vec<Unit>> =
            match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
                Ok(pool) => pool.install(|| {
                    use rayon::prelude::*;
                    files.par_iter().map(run).collect()
                }),
                Err(_) => files.iter().map(run).collect(),
            };
        if let Some(pb) = &pb {
            pb.finish_and_clear();
        }
        'out: for units in results {
            for u in units {
                if let Ok(d) = &u.outcome {
                    for f in &d.findings {
                        if to_sinks(sinks, &mut sink_err, &baseline, cfg.source.as_ref(), f)
                            .is_err()
                        {
                            o.stopped = true;
                            break 'out;
                        }
                    }
                }
                absorb(&mut o, u, &baseline, cfg.source.as_ref());
            }
        }
    } else {
        for input in work {
            let mut on_new =
                |f: &Finding| to_sinks(sinks, &mut sink_err, &baseline, cfg.source.as_ref(), f);
            let units = match input {
                Input::Path(p) if p == Path::new("-") => {
                    crate::input::grow_stdin_pipe();
                    batch::lint_any(
                        &cfg.rules,
                        &stdin_name,
                        Box::new(io::stdin()),
                        opts,
                        &mut on_new,
                    )
                }
                Input::Path(p) => batch::lint_path(&cfg.rules, &p, opts, &mut on_new),
                Input::Stream(name, r) => {
                    vec![batch::unit_of(
                        &name,
                        lint_reader(&cfg.rules, r, &name, read, &mut on_new),
                    )]
                }
            };
            for u in units {
                absorb(&mut o, u, &baseline, cfg.source.as_ref());
            }
            if let Some(pb) = &pb {
                pb.inc(1);
                pb.set_message(format!("{} findings", o.findings.len()));
            }
            if o.stopped {
                break;
            }
            if crate::input::interrupted() {
                o.notices
                    .push("interrupted; findings so far are reported".to_string());
                o.stopped = true;
                break;
            }
        }
        if let Some(pb) = &pb {
            pb.finish_and_clear();
        }
    }
    if let Some(e) = sink_err {
        eprintln!("baton-lint: {e}");
        o.had_error = true;
    }
    o
}

/// Finishes every sink and writes the Markdown summary. Returns false if a write failed.
pub fn finish_sinks(sinks: &mut [Sink], o: &Outcome, cfg: &Config, args: &CheckArgs) -> bool {
    // Notices quote paths and member names from the inputs.
    let notices: Vec<String> = o.notices.iter().map(|n| clean(n)).collect();
    let summary = Summary {
        findings: &o.findings,
        stats: &o.stats,
        rules: &cfg.rules,
        notices: &notices,
        overviews: &o.overviews,
        failed_inputs: o.failed_inputs,
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
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe && s.dest == "stdout" => {
                s.closed = true;
            }
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

/// True when an input is live: stdin, or a named FIFO or device (`<(…)`, `/dev/stdin`).
fn is_live(args: &CheckArgs) -> bool {
    args.files.is_empty()
        || args.files.iter().any(|p| {
            p == Path::new("-") || std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir())
        })
}

/// With `--format concise`, a line on stderr as linting begins and one as it ends: what an
/// editor's background problem matcher (VS Code's `beginsPattern` / `endsPattern`, in
/// `editors/vscode/`) waits for. Never on stdout, which holds only findings.
pub fn watch_banner(args: &CheckArgs, names: &str, done: Option<&Outcome>) {
    if args.quiet || args.format != Some(Format::Concise) {
        return;
    }
    match done {
        None => eprintln!("baton-lint: linting {}", clean(names)),
        Some(o) => eprintln!("baton-lint: done: {} finding(s)", o.findings.len()),
    }
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
/// Finds and indexes the connector's Go source for `--source` (or the config, or a connector
/// module in the working directory); a directory that cannot be read is an error, a file that
/// does not parse a notice.
pub fn attach_source(cfg: &mut config::Config, args: &CheckArgs) -> Result<()> {
    if args.no_source {
        return Ok(());
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let dir = args
        .source
        .clone()
        .or_else(|| cfg.source_dir.clone())
        .or_else(|| crate::source::detect(&cwd));
    let Some(dir) = dir else {
        return Ok(());
    };
    let ix = crate::source::SourceIndex::build(&dir)
        .map_err(|e| anyhow::anyhow!("--source {}: {e}", dir.display()))?;
    cfg.source = Some(ix);
    Ok(())
}

pub fn run(args: &CheckArgs) -> Result<u8> {
    // Start-up on the second core: what linting compiles on first use is built while the
    // rules load (if no thread can start, it is built when first needed, as before).
    let _ = std::thread::Builder::new()
        .name("warm-up".into())
        .spawn(crate::check::warm_up);
    let mut cfg = config::resolve(&args.rules, args.fail_on)?;
    attach_source(&mut cfg, args)?;
    refuse_outputs_over_inputs(args)?;
    let mut sinks = build_sinks(args, is_live(args))?;
    let inputs = if args.files.is_empty() {
        vec![Input::Path(PathBuf::from("-"))]
    } else {
        args.files.iter().cloned().map(Input::Path).collect()
    };
    let names: Vec<String> = args.files.iter().map(|p| p.display().to_string()).collect();
    let names = if names.is_empty() {
        args.stdin_filename.clone().unwrap_or_else(|| "-".into())
    } else {
        names.join(" ")
    };
    watch_banner(args, &names, None);
    if args.files.is_empty() && io::stdin().is_terminal() && !args.quiet {
        eprintln!(
            "baton-lint: reading a log from the terminal; pipe a connector into it (… 2>&1 | baton-lint) or name log files. Ctrl-D ends the input."
        );
    }
    let mut o = lint_inputs(&cfg, args, inputs, &mut sinks);
    if let Some(ix) = &cfg.source {
        o.notices
            .extend(ix.notices.iter().map(|n| format!("--source: {n}")));
    }
    if let Some(p) = &args.write_baseline {
        let all: Vec<Finding> = o.findings.iter().chain(&o.baselined).cloned().collect();
        match baseline::write(p, &all) {
            Ok(()) => eprintln!(
                "baton-lint: wrote {} finding(s) to the baseline {}",
                all.len(),
                p.display()
            ),
            Err(e) => {
                eprintln!("baton-lint: --write-baseline {}: {e}", p.display());
                o.had_error = true;
            }
        }
    }
    if !o.baselined.is_empty() {
        o.notices.push(format!(
            "{} finding(s) hidden by the baseline (--baseline)",
            o.baselined.len()
        ));
    }
    let ok = finish_sinks(&mut sinks, &o, &cfg, args);
    watch_banner(args, &names, Some(&o));
    // A closed stdout (`| head`) exits 0 in every format, streamed or written at the end.
    let closed_stdout =
        sinks.iter().any(|s| s.closed) || (o.stopped && !crate::input::interrupted());
    if closed_stdout {
        return Ok(EXIT_CLEAN);
    }
    Ok(exit_code(&o, &cfg, args, ok))
}
