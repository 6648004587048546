//! Batch inputs: files and directories (recursive, filtered with `--glob`), each opened by its
//! magic bytes — gzip, zstd, tar (each member its own stream, named `archive.tgz:member.log`),
//! `.c1z`, or a plain log. Every stream is linted on its own: no state leaks between them.

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::check::{InputResult, ReadOptions, lint_reader, lint_reader_here};
use crate::finding::Finding;
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
}

/// Notices about one stream's input (not findings).
pub fn notices_for(path: &str, r: &InputResult) -> Vec<String> {
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

/// Expands directories into the files below them (sorted, so runs are repeatable); files
/// named directly are kept whatever `--glob` says.
pub fn expand(paths: &[PathBuf], glob: Option<&GlobSet>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(p)
            .follow_links(false)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .filter(|f| {
                glob.is_none_or(|g| g.is_match(f) || f.file_name().is_some_and(|n| g.is_match(n)))
            })
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

/// What the first bytes say a stream is.
#[derive(Debug, PartialEq)]
enum Kind {
    Gzip,
    Zstd,
    Tar,
    Plain,
}

fn kind_of(head: &[u8]) -> Kind {
    if head.starts_with(&[0x1f, 0x8b]) {
        Kind::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Kind::Zstd
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Kind::Tar
    } else {
        Kind::Plain
    }
}

/// A stream whose first bytes were read ahead, put back in front of the rest.
type Peeked<R> = io::Chain<Cursor<Vec<u8>>, R>;

/// Reads up to 512 bytes of `r`, returning them and a reader that yields everything.
fn peek<R: Read>(mut r: R) -> io::Result<(Vec<u8>, Peeked<R>)> {
    let mut head = vec![0u8; 512];
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(n);
    let cursor = Cursor::new(head.clone());
    Ok((head, cursor.chain(r)))
}

/// Lints one path: a `.c1z`, an archive (one unit per member), or a (compressed) log. `on_new`
/// sees findings as they fire.
pub fn lint_path(
    rules: &RuleSet,
    path: &Path,
    opts: BatchOptions,
    on_new: &mut dyn FnMut(&Finding) -> io::Result<()>,
) -> Vec<Unit> {
    let name = path.display().to_string();
    if matches!(crate::c1z::sniff(path), Ok(Some(_))) {
        let outcome = crate::c1z::lint_file(
            path,
            rules,
            crate::c1z::C1zOptions {
                max_bytes: opts.max_c1z_bytes,
            },
        )
        .map_err(|e| e.to_string())
        .and_then(|l| {
            for f in &l.findings {
                on_new(f).map_err(|e| e.to_string())?;
            }
            Ok(UnitData {
                findings: l.findings,
                stats: Stats::default(),
                notices: l.notices,
                overview: (!l.overview.types.is_empty()).then_some(l.overview),
            })
        });
        return vec![Unit { name, outcome }];
    }
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return vec![Unit {
                name,
                outcome: Err(e.to_string()),
            }];
        }
    };
    match peek(file) {
        Ok((head, r)) => lint_stream(rules, &name, head, Box::new(r), opts, on_new, true),
        Err(e) => vec![Unit {
            name,
            outcome: Err(e.to_string()),
        }],
    }
}

fn lint_stream(
    rules: &RuleSet,
    name: &str,
    head: Vec<u8>,
    r: Box<dyn Read + Send>,
    opts: BatchOptions,
    on_new: &mut dyn FnMut(&Finding) -> io::Result<()>,
    outer: bool,
) -> Vec<Unit> {
    match kind_of(&head) {
        Kind::Gzip if outer => match peek(flate2::read::MultiGzDecoder::new(r)) {
            Ok((h, dec)) => lint_stream(rules, name, h, Box::new(dec), opts, on_new, false),
            Err(e) => vec![Unit {
                name: name.into(),
                outcome: Err(format!("gzip: {e}")),
            }],
        },
        Kind::Zstd if outer => match zstd::stream::read::Decoder::new(r).and_then(peek) {
            Ok((h, dec)) => lint_stream(rules, name, h, Box::new(dec), opts, on_new, false),
            Err(e) => vec![Unit {
                name: name.into(),
                outcome: Err(format!("zstd: {e}")),
            }],
        },
        Kind::Tar => lint_tar(rules, name, r, opts, on_new),
        _ => vec![unit_of(
            name,
            lint_reader(rules, r, name, opts.read, on_new),
        )],
    }
}

fn lint_tar<R: Read>(
    rules: &RuleSet,
    name: &str,
    r: R,
    opts: BatchOptions,
    on_new: &mut dyn FnMut(&Finding) -> io::Result<()>,
) -> Vec<Unit> {
    let mut archive = tar::Archive::new(r);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            return vec![Unit {
                name: name.into(),
                outcome: Err(format!("tar: {e}")),
            }];
        }
    };
    let mut units = Vec::new();
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                units.push(Unit {
                    name: name.into(),
                    outcome: Err(format!("tar: {e}")),
                });
                break;
            }
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let member = entry
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "?".into());
        let unit_name = format!("{name}:{member}");
        // A member may itself be compressed (logs/run-1.log.gz inside a tar).
        let mut head = [0u8; 4];
        let n = read_up_to(&mut entry, &mut head);
        let chained = Cursor::new(head[..n].to_vec()).chain(&mut entry);
        let res = match kind_of(&head[..n]) {
            Kind::Gzip => lint_reader_here(
                rules,
                flate2::read::MultiGzDecoder::new(chained),
                &unit_name,
                opts.read,
                on_new,
            ),
            Kind::Zstd => match zstd::stream::read::Decoder::new(chained) {
                Ok(d) => lint_reader_here(rules, d, &unit_name, opts.read, on_new),
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
