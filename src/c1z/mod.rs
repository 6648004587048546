//! Lint the sync output itself: `.c1z` files, detected by magic bytes (`C1ZF\0` = v1, zstd +
//! SQLite; `C1Z3\0` = v3, protobuf manifest + Pebble). Both formats answer the same questions
//! through [`Store`] — counts ([`SyncStats`]) and referential facts ([`SyncFacts`]: dangling
//! principals and entitlements, case-variant ids, missing RawId) — so the checks never know
//! which format they read. Findings use the same rule codes and reporters as the logs.

mod checks;
mod v1;
mod v3;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use indexmap::IndexMap;

pub use checks::{C1zLint, lint_file, lint_stats};
pub use v1::V1File;
pub use v3::{MergeStats, V3Error, fuzz_one as fuzz_v3};

/// v1 magic: zstd-compressed SQLite follows.
pub const MAGIC_V1: &[u8; 5] = b"C1ZF\0";
/// v3 magic: u32 big-endian manifest length, protobuf manifest, payload follow.
pub const MAGIC_V3: &[u8; 5] = b"C1Z3\0";
/// Default cap on a v1 file's decompressed size (`--max-c1z-bytes`).
pub const DEFAULT_MAX_C1Z_BYTES: u64 = 4 << 30;

/// The two on-disk formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Format {
    V1,
    V3,
}

/// Reads the first bytes of `path`: `Some(format)` for a `.c1z`, `None` for anything else.
pub fn sniff(path: &Path) -> io::Result<Option<Format>> {
    let mut head = [0u8; 5];
    let mut f = File::open(path)?;
    let mut n = 0;
    while n < 5 {
        match f.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(match &head[..n] {
        h if h == MAGIC_V1 => Some(Format::V1),
        h if h == MAGIC_V3 => Some(Format::V3),
        _ => None,
    })
}

/// A bad `.c1z`: what is wrong, in words for the user (the path is added by the caller).
#[derive(Debug, thiserror::Error)]
pub enum C1zError {
    #[error("not a .c1z file (the first bytes are not C1ZF or C1Z3)")]
    BadMagic,
    #[error("truncated or corrupt zstd stream: {0}")]
    Zstd(String),
    #[error("decompressed size is over the cap of {0} bytes (raise --max-c1z-bytes)")]
    TooLarge(u64),
    #[error("the payload is not a SQLite database: {0}")]
    NotSqlite(String),
    #[error("the database has no `{0}` table (not a baton sync file?)")]
    MissingTable(String),
    #[error("SQLite error: {0}")]
    Sqlite(String),
    #[error("corrupt v3 manifest: {0}")]
    Manifest(String),
    #[error("interrupted")]
    Interrupted,
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    V3(#[from] V3Error),
}

/// Grants whose principal was never synced, for one principal type.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DanglingPrincipals {
    pub resource_type: String,
    pub grants: u64,
    pub principals: u64,
    /// The first principal ids, in order.
    pub examples: Vec<String>,
    /// A synced type that differs only in letter case (`User` vs `user`).
    pub case_of: Option<String>,
}

/// What the referential checks read of one sync, whatever the file's format.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct SyncFacts {
    pub dangling_principals: Vec<DanglingPrincipals>,
    /// Per type, ids that differ only in letter case (the first such group).
    pub case_variants: Vec<(String, Vec<String>)>,
    /// Entitlement ids grants name with no entitlement record (the most named first), and the
    /// number of such grants.
    pub dangling_entitlements: Vec<(String, u64)>,
    pub dangling_entitlement_total: u64,
    /// Resources without a RawId annotation, per type.
    pub missing_raw_id: IndexMap<String, u64>,
}

/// An opened file, either format.
pub enum Store {
    V1(V1File),
    V3(Box<v3::V3Read>),
}

impl Store {
    /// The referential facts of sync `sync_id` (a v3 file holds one sync: its facts).
    pub fn facts(&self, sync_id: &str, limit: u32) -> Result<SyncFacts, C1zError> {
        match self {
            Store::V1(f) => f.facts(sync_id, limit),
            Store::V3(r) => Ok(r.facts.clone()),
        }
    }
}

/// One sync run recorded in the file.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SyncRun {
    pub sync_id: String,
    pub sync_type: String,
    pub started_at: Option<String>,
    /// `None` while the sync never finished.
    pub ended_at: Option<String>,
}

/// Counts of one sync (what `baton stats` shows).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct SyncStats {
    pub sync_id: String,
    /// Resources per resource type, including declared types with none.
    pub resources_by_type: IndexMap<String, u64>,
    pub entitlements_by_type: IndexMap<String, u64>,
    pub grants_by_type: IndexMap<String, u64>,
    pub resource_types: u64,
    pub resources: u64,
    pub entitlements: u64,
    pub grants: u64,
}

/// What one file holds, read once.
#[derive(Debug)]
pub struct C1zSummary {
    pub format: Format,
    /// v3: the storage engine named in the manifest.
    pub engine: Option<String>,
    pub syncs: Vec<SyncRun>,
    /// The sync the checks use: the latest finished one, else the latest.
    pub chosen: Option<SyncRun>,
    pub stats: Option<SyncStats>,
    /// v3: what the LSM merge saw (tables, points, tombstones, range deletions).
    pub merge: Option<MergeStats>,
    /// Where the counts and the file's own record of them disagree (a v3 manifest's stats
    /// sidecar against the records read).
    pub disagreements: Vec<String>,
}

/// Options for reading `.c1z` files.
#[derive(Clone, Copy, Debug)]
pub struct C1zOptions {
    pub max_bytes: u64,
}

impl Default for C1zOptions {
    fn default() -> Self {
        C1zOptions {
            max_bytes: DEFAULT_MAX_C1Z_BYTES,
        }
    }
}

/// Examples kept per finding (dangling principals, case-variant ids, entitlements).
pub const EXAMPLE_LIMIT: usize = 5;

/// Where a manifest's stats sidecar and the records read disagree, in words.
fn stats_disagreements(side: &SyncStats, read: &SyncStats) -> Vec<String> {
    let mut out = Vec::new();
    let mut cmp = |what: &str, a: u64, b: u64| {
        if a != b {
            out.push(format!(
                "{what}: the manifest says {a}, the records hold {b}"
            ));
        }
    };
    cmp("resource types", side.resource_types, read.resource_types);
    cmp("resources", side.resources, read.resources);
    cmp("entitlements", side.entitlements, read.entitlements);
    cmp("grants", side.grants, read.grants);
    for (rt, n) in &side.resources_by_type {
        cmp(
            &format!("resources of {rt}"),
            *n,
            read.resources_by_type.get(rt).copied().unwrap_or(0),
        );
    }
    for (rt, n) in &side.grants_by_type {
        cmp(
            &format!("grants on {rt}"),
            *n,
            read.grants_by_type.get(rt).copied().unwrap_or(0),
        );
    }
    out
}

/// Picks the latest finished sync, else the latest started one.
pub fn choose_sync(syncs: &[SyncRun]) -> Option<SyncRun> {
    let finished = syncs
        .iter()
        .filter(|s| s.ended_at.is_some())
        .max_by(|a, b| a.ended_at.cmp(&b.ended_at));
    finished
        .or_else(|| syncs.iter().max_by(|a, b| a.started_at.cmp(&b.started_at)))
        .cloned()
}

/// Reads a file's sync runs and the counts of its chosen sync (or of `sync_id`).
pub fn summarize(
    path: &Path,
    opts: C1zOptions,
    sync_id: Option<&str>,
) -> Result<(C1zSummary, Store), C1zError> {
    match sniff(path)? {
        Some(Format::V1) => {
            let f = V1File::open(path, opts.max_bytes)?;
            let syncs = f.sync_runs()?;
            let chosen = match sync_id {
                Some(id) => syncs.iter().find(|s| s.sync_id == id).cloned(),
                None => choose_sync(&syncs),
            };
            let stats = chosen.as_ref().map(|s| f.stats(&s.sync_id)).transpose()?;
            Ok((
                C1zSummary {
                    format: Format::V1,
                    engine: None,
                    syncs,
                    chosen,
                    stats,
                    merge: None,
                    disagreements: Vec::new(),
                },
                Store::V1(f),
            ))
        }
        Some(Format::V3) => {
            let r = v3::read(path, opts.max_bytes, EXAMPLE_LIMIT)?;
            let m = &r.manifest;
            let chosen = match sync_id {
                Some(id) => m.syncs.iter().find(|s| s.sync_id == id).cloned(),
                None => choose_sync(&m.syncs),
            };
            // The counts are the records read; the manifest's sidecar is only compared.
            let mut disagreements = Vec::new();
            if let Some(side) = chosen.as_ref().and_then(|c| m.stats.get(&c.sync_id)) {
                disagreements = stats_disagreements(side, &r.stats);
            }
            let stats = chosen.as_ref().map(|_| r.stats.clone());
            Ok((
                C1zSummary {
                    format: Format::V3,
                    engine: Some(m.engine.clone()),
                    syncs: m.syncs.clone(),
                    chosen,
                    stats,
                    merge: Some(r.merge.clone()),
                    disagreements,
                },
                Store::V3(Box::new(r)),
            ))
        }
        None => Err(C1zError::BadMagic),
    }
}
