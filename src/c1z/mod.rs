//! Lint the sync output itself: `.c1z` files, detected by magic bytes (`C1ZF\0` = v1, zstd +
//! SQLite; `C1Z3\0` = v3, protobuf manifest + Pebble). v1 files get every check (dangling
//! principals and entitlements, empty syncs and types, missing RawId, unfinished sync); v3 files
//! get what their manifest holds (counts per type, sync runs) and say plainly which checks need
//! a v1 file. Findings use the same rule codes and reporters as the logs.

mod checks;
mod v1;
mod v3;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use indexmap::IndexMap;

pub use checks::{C1zLint, lint_file, lint_stats};
pub use v1::V1File;

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
) -> Result<(C1zSummary, Option<V1File>), C1zError> {
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
                },
                Some(f),
            ))
        }
        Some(Format::V3) => {
            let m = v3::read_manifest(path)?;
            let chosen = match sync_id {
                Some(id) => m.syncs.iter().find(|s| s.sync_id == id).cloned(),
                None => choose_sync(&m.syncs),
            };
            let stats = chosen
                .as_ref()
                .and_then(|c| m.stats.get(&c.sync_id).cloned());
            Ok((
                C1zSummary {
                    format: Format::V3,
                    engine: Some(m.engine),
                    syncs: m.syncs,
                    chosen,
                    stats,
                },
                None,
            ))
        }
        None => Err(C1zError::BadMagic),
    }
}
