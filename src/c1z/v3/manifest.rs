//! The v3 manifest: `C1Z3\0`, a u32 big-endian length, a protobuf `c1.c1z.v3.C1ZManifestV3`
//! (engine, format version, payload encoding, every sync run with its stats sidecar; field
//! numbers from baton-sdk's manifest.proto / records.proto, checked against real files).

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use indexmap::IndexMap;
use prost::Message;

use crate::c1z::{C1zError, MAGIC_V3, SyncRun, SyncStats};

/// Largest manifest baton-sdk writes.
const MAX_MANIFEST: u32 = 16 << 20;

#[derive(Clone, PartialEq, Message)]
pub(super) struct Timestamp {
    #[prost(int64, tag = "1")]
    pub(super) seconds: i64,
    #[prost(int32, tag = "2")]
    pub(super) nanos: i32,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct SyncStatsRecord {
    #[prost(string, tag = "1")]
    sync_id: String,
    #[prost(uint64, tag = "2")]
    resource_types: u64,
    #[prost(uint64, tag = "3")]
    resources: u64,
    #[prost(uint64, tag = "4")]
    entitlements: u64,
    #[prost(uint64, tag = "5")]
    grants: u64,
    #[prost(map = "string, uint64", tag = "7")]
    resources_by_resource_type: HashMap<String, u64>,
    #[prost(map = "string, uint64", tag = "8")]
    grants_by_entitlement_resource_type: HashMap<String, u64>,
    #[prost(map = "string, uint64", tag = "9")]
    entitlements_by_resource_type: HashMap<String, u64>,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct SyncRunSummary {
    #[prost(string, tag = "1")]
    pub(super) sync_id: String,
    #[prost(int32, tag = "2")]
    pub(super) sync_type: i32,
    #[prost(message, optional, tag = "3")]
    pub(super) started_at: Option<Timestamp>,
    #[prost(message, optional, tag = "4")]
    pub(super) ended_at: Option<Timestamp>,
    #[prost(string, tag = "5")]
    pub(super) parent_sync_id: String,
    #[prost(message, optional, tag = "6")]
    pub(super) stats: Option<SyncStatsRecord>,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct ManifestV3 {
    #[prost(string, tag = "1")]
    pub(super) engine: String,
    #[prost(uint32, tag = "2")]
    pub(super) engine_schema_version: u32,
    #[prost(int32, tag = "4")]
    pub(super) payload_encoding: i32,
    #[prost(message, repeated, tag = "40")]
    pub(super) sync_runs: Vec<SyncRunSummary>,
}

/// What the manifest says.
#[derive(Debug)]
pub struct Manifest {
    /// The storage engine (`pebble3`, …).
    pub engine: String,
    /// Pebble's format major version (24 for every file baton-sdk v0.10–v0.25 writes).
    pub engine_schema_version: u32,
    pub payload_encoding: i32,
    /// Where the payload starts (after magic, length and manifest).
    pub payload_start: u64,
    pub syncs: Vec<SyncRun>,
    pub stats: HashMap<String, SyncStats>,
}

pub(super) fn ts(t: &Option<Timestamp>) -> Option<String> {
    let t = t.as_ref()?;
    let nanos = t.seconds as i128 * 1_000_000_000 + t.nanos as i128;
    // Out of i64 nanoseconds (year 1678..2262): not a time a sync ran (report D28).
    let nanos = i64::try_from(nanos).ok()?;
    Some(crate::event::Timestamp(nanos).to_rfc3339())
}

/// The SyncType enum of records.proto, in the order the v1 `sync_type` column lists them.
pub(super) fn sync_type(n: i32) -> String {
    match n {
        1 => "full".into(),
        2 => "partial".into(),
        3 => "resources_only".into(),
        4 => "partial_upserts".into(),
        5 => "partial_deletions".into(),
        other => format!("type {other}"),
    }
}

fn sorted(m: &HashMap<String, u64>) -> IndexMap<String, u64> {
    let mut v: Vec<_> = m.iter().map(|(k, v)| (k.clone(), *v)).collect();
    v.sort();
    v.into_iter().collect()
}

/// Reads and decodes the manifest of `path`.
pub fn read_manifest(path: &Path) -> Result<Manifest, C1zError> {
    let mut f = File::open(path)?;
    let mut head = [0u8; 9];
    f.read_exact(&mut head)
        .map_err(|_| C1zError::Manifest("file ends inside the header".into()))?;
    if &head[..5] != MAGIC_V3 {
        return Err(C1zError::BadMagic);
    }
    let len = u32::from_be_bytes([head[5], head[6], head[7], head[8]]);
    if len > MAX_MANIFEST {
        return Err(C1zError::Manifest(format!(
            "manifest length {len} is over the 16 MiB limit"
        )));
    }
    let mut buf = vec![0u8; len as usize];
    f.read_exact(&mut buf)
        .map_err(|_| C1zError::Manifest("file ends inside the manifest".into()))?;
    let m = ManifestV3::decode(buf.as_slice()).map_err(|e| C1zError::Manifest(e.to_string()))?;
    let mut stats = HashMap::new();
    let syncs = m
        .sync_runs
        .iter()
        .map(|r| {
            if let Some(s) = &r.stats {
                let by_type = sorted(&s.resources_by_resource_type);
                stats.insert(
                    r.sync_id.clone(),
                    SyncStats {
                        sync_id: r.sync_id.clone(),
                        resource_types: s.resource_types,
                        resources: s.resources,
                        entitlements: s.entitlements,
                        grants: s.grants,
                        resources_by_type: by_type,
                        entitlements_by_type: sorted(&s.entitlements_by_resource_type),
                        grants_by_type: sorted(&s.grants_by_entitlement_resource_type),
                    },
                );
            }
            SyncRun {
                sync_id: r.sync_id.clone(),
                sync_type: sync_type(r.sync_type),
                started_at: ts(&r.started_at),
                ended_at: ts(&r.ended_at),
            }
        })
        .collect();
    Ok(Manifest {
        engine: m.engine,
        engine_schema_version: m.engine_schema_version,
        payload_encoding: m.payload_encoding,
        payload_start: 9 + u64::from(len),
        syncs,
        stats,
    })
}
