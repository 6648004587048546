//! Batch inputs: files and directories (recursive, filtered with `--glob`), each opened by its
//! magic bytes — gzip, zstd, tar (each member its own stream, named `archive.tgz:member.log`),
//! `.c1z`, or a plain log. Every stream is linted on its own: no state leaks between them.

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::check::{InputResult, ReadOptions, SMALL_FILE_BYTES, lint_reader, lint_reader_here};
use crate::finding::Finding;
use crate::open::{self, Guarded, Kind, Notes};
use crate::overview::Overview;
use crate::rules::RuleSet;
use crate::stats::Stats;

/// What one stream (a file, or one member of an archive) produced.
pub struct Unit {
    /// `path`, or `archive:member`.
    pub name: String,
    pub outcome: Result<UnitData, String>,
}

/// The results of a stream that could be read.
#[derive(Default)]
pub struct UnitData {
    pub findings: Vec<Finding>,
    pub stats: Stats,
    pub notices: Vec<String>,
    pub overview: Option<Overview>,
}

/// Options for a batch.
#[derive(Clone, Copy, Debug)]
pub struct BatchOptions {
    pub read: ReadOptions,
    pub max_c1z_bytes: u64,
    /// Cap on the decompressed size of one compressed log (`--max-decompressed-bytes`).
    pub max_decompressed_bytes: u64,
}

/// Notices about one stream's input (not findings).
pub fn notices_for(path: &str, r: &InputResult) -> Vec<String> {
    let mut n = Vec::new();
    if r.stats.zap_events() > 0 && !r.baton_seen {
        n.push(format!(
            "{path}: does not look like a baton connector log (zap lines, but none of baton's messages); rules may not apply"
        ));
    }
    let synced = r.overview.syncs_started > 0 || r.overview.syncs_completed > 0;
    if r.baton_seen && synced && r.overview.debug_events == 0 {
        n.push(format!(
            "{path}: no debug-level lines: the checks that read each request (BL102 pagination-cycle, BL501 n-plus-one-requests, BL503 excessive-requests) could not run; re-run the connector with `--log-level debug` to include them"
        ));
    }
    // An idle daemon at info level logs its start and then nothing: no line tells how long it
    // waited, so BL802 daemon-idle cannot decide.
    let o = &r.overview;
    if o.daemon_lines > 0 && o.tasks_processed == 0 && o.debug_events == 0 {
        n.push(format!(
            "{path}: the daemon processed no task in this log, and at info level an idle daemon logs nothing after its start, so how long it waited cannot be told (BL802 daemon-idle); re-run with `--log-level debug` to see its polls, and check in ConductorOne that the connector is enabled and a sync is scheduled"
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

/// Converts a linted stream into a unit.
pub fn unit_of(name: &str, r: io::Result<InputResult>) -> Unit {
    let outcome = match r {
        Ok(r) => Ok(UnitData {
            notices: notices_for(name, &r),
            overview: r.overview.has_sync().then(|| r.overview.clone()),
            findings: r.findings,
            stats: r.stats,
        }),
        Err(e) => Err(e.to_string()),
    };
    Unit {
        name: name.to_string(),
        outcome,
    }
}

/// Builds the `--glob` filter (matched against file names and relative paths).
pub fn glob_set(patterns: &[String]) -> Result<Option<GlobSet>, globset::Error> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p)?);
    }
    b.build().map(Some)
}

/// The files a list of paths stands for, and what the walk passed over.
#[derive(Debug, Default)]
pub struct Expanded {
    pub files: Vec<PathBuf>,
    /// Entries skipped on purpose, with why (special files, symlink loops).
    pub skipped: Vec<String>,
    /// Entries that could not be read (the run exits 2).
    pub errors: Vec<String>,
}

/// Expands directories into the files below them (sorted, so runs are repeatable), following
/// symlinks to files — every log in Kubernetes' `/var/log/containers/` is one — with walkdir's
/// loop detection. Files named directly are kept whatever `--glob` says.
pub fn expand(paths: &[PathBuf], glob: Option<&GlobSet>) -> Expanded {
    let mut out = Expanded::default();
    for p in paths {
        if !p.is_dir() {
            out.files.push(p.clone());
            continue;
        }
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(p).follow_links(true) {
            let entry = match entry {
                Ok(e) => e,
                Err(e) if e.loop_ancestor().is_some() => {
                    let at = e
                        .path()
                        .map_or_else(|| p.display().to_string(), |x| x.display().to_string());
                    out.skipped.push(format!("{at}: skipped: a symlink loop"));
                    continue;
                }
                Err(e) => {
                    let at = e
                        .path()
                        .map_or_else(|| p.display().to_string(), |x| x.display().to_string());
                    let why = e
                        .io_error()
                        .map_or_else(|| e.to_string(), |io| io.to_string());
                    out.errors.push(format!("{at}: {why}"));
                    continue;
                }
            };
            let ft = entry.file_type();
            if ft.is_dir() {
                continue;
            }
            let f = entry.into_path();
            if !glob.is_none_or(|g| g.is_match(&f) || f.file_name().is_some_and(|n| g.is_match(n)))
            {
                continue;
            }
            if !ft.is_file() {
                out.skipped.push(format!(
                    "{}: skipped: not a regular file (a FIFO, socket or device); name it directly to read it",
                    f.display()
                ));
                continue;
            }
            files.push(f);
        }
        files.sort();
        out.files.extend(files);
    }
    out
}

fn error_unit(name: &str, e: impl std::fmt::Display) -> Unit {
    Unit {
        name: name.to_string(),
        outcome: Err(e.to_string()),
    }
}

/// Lints one path: a `.c1z`, an archive (one unit per member), or a (compressed) log. `on_new`
/// sees findings as they fire. A regular file is sniffed for `.c1z` by path; anything else (a
/// FIFO, `/dev/stdin`, `<(…)`) is opened once and sniffed from the same reader.
pub fn lint_path(
    rules: &RuleSet,
    path: &Path,
    opts: BatchOptions,
    on_new: &mut dyn FnMut(&Finding) -> io::Result<()>,
) -> Vec<Unit> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).ok();
    let regular = meta.as_ref().is_some_and(|m| m.is_file());
    // A small log is linted here, threads unstarted (a compressed one still gets them for
    // what it decompresses to: see `lint_stream`).
    let opts = BatchOptions {
        read: ReadOptions {
            in_place: regular && meta.is_some_and(|m| m.len() <= SMALL_FILE_BYTES),
            ..opts.read
        },
        ..opts
    };
    if regular && matches!(crate::c1z::sniff(path), Ok(Some(_))) {
        return vec![lint_c1z(rules, path, &name, opts, on_new)];
    }
    match File::open(path) {
        Ok(f) => lint_any(rules, &name, Box::new(f), opts, on_new),
        Err(e) => vec![error_unit(&name, e)],
    }
}

/// Lints one stream of any kind (stdin, a FIFO, an open file), told apart by its first bytes.
pub fn lint_any(
    rules: &RuleSet,
    name: &str,
    r: Box<dyn Read + Send>,
    opts: BatchOptions,
    on_new: &mut dyn FnMut(&Finding) -> io::Result<()>,
) -> Vec<Unit> {
    let notes = Notes::default();
    let mut units = match open::peek(r, 5, 512) {
        Ok((head, r)) => lint_stream(rules, name, head, Box::new(r), opts, on_new, true, &notes),
        Err(e) => vec![error_unit(name, e)],
    };
    let extra = notes.take();
    if !extra.is_empty() {
        match units.iter_mut().rev().find_map(|u| u.outcome.as_mut().ok()) {
            Some(d) => d.notices.extend(extra),
            None => units.push(Unit {
                name: name.to_string(),
                outcome: Ok(UnitData {
                    notices: extra,
                    ..UnitData::default()
                }),
            }),
        }
    }
    units
}

fn lint_c1z(
    rules: &RuleSet,
    path: &Path,
    name: &str,
    opts: BatchOptions,
    on_new: &mut dyn FnMut(&Finding) -> io::Result<()>,
) -> Unit {
    let outcome = crate::c1z::lint_file(
        path,
        rules,
        crate::c1z::C1zOptions {
            max_bytes: opts.max_c1z_bytes,
        },
    )
    .map_err(|e| e.to_string())
    .and_then(|mut l| {
        for f in &mut l.findings {
            f.path = name.to_string();
            on_new(f).map_err(|e| e.to_string())?;
        }
        Ok(UnitData {
            findings: l.findings,
            stats: Stats::default(),
            notices: l.notices,
            overview: (!l.overview.types.is_empty()).then_some(l.overview),
        })
    });
    Unit {
        name: name.to_string(),
        outcome,
    }
}

/// A `.c1z` that came down a pipe: copied (compressed, under the `.c1z` cap) into a private
/// temporary file, which the `.c1z` reader needs, and removed afterwards.
fn lint_c1z_stream(
    rules: &RuleSet,
    name: &str,
    mut r: Box<dyn Read + Send>,
    opts: BatchOptions,
    on_new: &mut dyn FnMut(&Finding) -> io::Result<()>,
) -> Unit {
    let spool = tempfile::Builder::new()
        .prefix("baton-lint-")
        .tempdir()
        .and_then(|dir| {
            let path = dir.path().join("input.c1z");
            let mut f = File::create(&path)?;
            let n = io::copy(&mut (&mut r).take(opts.max_c1z_bytes + 1), &mut f)?;
            if n > opts.max_c1z_bytes {
                return Err(io::Error::other(format!(
                    "the .c1z is over the cap of {} bytes (raise --max-c1z-bytes)",
                    opts.max_c1z_bytes
                )));
            }
            Ok((dir, path))
        });
    match spool {
        Ok((_dir, path)) => lint_c1z(rules, &path, name, opts, on_new),
        Err(e) => error_unit(name, e),
    }
}

#[allow(clippy::too_many_arguments)]
fn lint_stream(
    rules: &RuleSet,
    name: &str,
    head: Vec<u8>,
    r: Box<dyn Read + Send>,
    opts: BatchOptions,
    on_new: &mut dyn FnMut(&Finding) -> io::Result<()>,
    outer: bool,
    notes: &Notes,
) -> Vec<Unit> {
    let cap = opts.max_decompressed_bytes;
    let decoded = |dec: Box<dyn Read + Send>, what: &'static str| {
        open::peek(Guarded::new(dec, what, name, cap, notes.clone()), 262, 512)
    };
    match open::kind_of(&head) {
        Kind::C1z if outer => vec![lint_c1z_stream(rules, name, r, opts, on_new)],
        Kind::Gzip if outer => {
            match decoded(Box::new(flate2::read::MultiGzDecoder::new(r)), "gzip") {
                Ok((h, dec)) => {
                    lint_stream(rules, name, h, Box::new(dec), opts, on_new, false, notes)
                }
                Err(e) => vec![error_unit(name, format!("gzip: {e}"))],
            }
        }
        Kind::Zstd if outer => match zstd::stream::read::Decoder::new(r) {
            Ok(d) => match decoded(Box::new(d), "zstd") {
                Ok((h, dec)) => {
                    lint_stream(rules, name, h, Box::new(dec), opts, on_new, false, notes)
                }
                Err(e) => vec![error_unit(name, format!("zstd: {e}"))],
            },
            Err(e) => vec![error_unit(name, format!("zstd: {e}"))],
        },
        Kind::Tar => lint_tar(rules, name, r, opts, on_new, notes),
        _ => {
            let (r, enc) = open::utf8_text(&head, r);
            if let Some(enc) = enc {
                notes.push(format!("{name}: decoded from {enc}"));
            }
            let result = if outer && opts.read.in_place {
                lint_reader_here(rules, r, name, opts.read, on_new)
            } else {
                lint_reader(rules, r, name, opts.read, on_new)
            };
            vec![unit_of(name, result)]
        }
    }
}

fn lint_tar<R: Read>(
    rules: &RuleSet,
    name: &str,
    r: R,
    opts: BatchOptions,
    on_new: &mut dyn FnMut(&Finding) -> io::Result<()>,
    notes: &Notes,
) -> Vec<Unit> {
    let mut archive = tar::Archive::new(r);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => return vec![error_unit(name, format!("tar: {e}"))],
    };
    let mut units = Vec::new();
    let mut seen: std::collections::HashSet<String> = Default::default();
    let cap = opts.max_decompressed_bytes;
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                units.push(error_unit(name, format!("tar: {e}")));
                break;
            }
        };
        let member = entry
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "?".into());
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if kind.is_hard_link() {
            let target = entry
                .link_name()
                .ok()
                .flatten()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "?".into());
            notes.push(if seen.contains(&target) {
                format!("{name}:{member}: a hard link to {target}, whose content was linted as {name}:{target}")
            } else {
                format!("{name}:{member}: skipped: a hard link to {target}, which the archive does not hold before it")
            });
            continue;
        }
        if !kind.is_file() {
            notes.push(format!(
                "{name}:{member}: skipped: not a regular file in the archive ({kind:?})"
            ));
            continue;
        }
        seen.insert(member.clone());
        let unit_name = format!("{name}:{member}");
        // A member may itself be compressed (logs/run-1.log.gz inside a tar).
        let mut head = [0u8; 4];
        let n = read_up_to(&mut entry, &mut head);
        let chained = Cursor::new(head[..n].to_vec()).chain(&mut entry);
        let res = match open::kind_of(&head[..n]) {
            Kind::Gzip => {
                let d = flate2::read::MultiGzDecoder::new(chained);
                let g = Guarded::new(d, "gzip", &unit_name, cap, notes.clone());
                lint_reader_here(rules, g, &unit_name, opts.read, on_new)
            }
            Kind::Zstd => match zstd::stream::read::Decoder::new(chained) {
                Ok(d) => {
                    let g = Guarded::new(d, "zstd", &unit_name, cap, notes.clone());
                    lint_reader_here(rules, g, &unit_name, opts.read, on_new)
                }
                Err(e) => Err(e),
            },
            _ => lint_reader_here(rules, chained, &unit_name, opts.read, on_new),
        };
        units.push(unit_of(&unit_name, res));
    }
    units
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}
