//! baton records in the v0.15+ single-sync keyspace (`pkg/dotc1z/engine/pebble/keys.go`,
//! `internal/rawdb/keyspace.go`): every key is `03 <type> 00 <tuple>`, and the value is one
//! `c1.storage.v3` protobuf per family (`proto/c1/storage/v3/records.proto`, `refs.proto`). The
//! values carry everything the checks need, so key tails (whose shape changed between `pebble2`
//! and `pebble3`) are not parsed. Unknown families are counted and skipped.

use std::collections::{BTreeSet, HashMap, HashSet};

use indexmap::IndexMap;
use prost::Message;

use super::V3Error;
use crate::c1z::{DanglingPrincipals, SyncFacts, SyncRun, SyncStats};

const RAW_ID_URL: &str = "type.googleapis.com/c1.connector.v2.RawId";

#[derive(Clone, PartialEq, Message)]
pub(super) struct Any {
    #[prost(string, tag = "1")]
    pub(super) type_url: String,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct ResourceTypeRecord {
    #[prost(string, tag = "2")]
    pub(super) external_id: String,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct ResourceRecord {
    #[prost(string, tag = "2")]
    pub(super) resource_type_id: String,
    #[prost(string, tag = "3")]
    pub(super) resource_id: String,
    #[prost(message, repeated, tag = "7")]
    pub(super) annotations: Vec<Any>,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct ResourceRef {
    #[prost(string, tag = "1")]
    pub(super) resource_type_id: String,
    #[prost(string, tag = "2")]
    pub(super) resource_id: String,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct EntitlementRecord {
    #[prost(string, tag = "2")]
    pub(super) external_id: String,
    #[prost(message, optional, tag = "3")]
    pub(super) resource: Option<ResourceRef>,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct EntitlementRef {
    #[prost(string, tag = "1")]
    pub(super) resource_type_id: String,
    #[prost(string, tag = "2")]
    pub(super) resource_id: String,
    #[prost(string, tag = "3")]
    pub(super) entitlement_id: String,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct GrantRecord {
    #[prost(string, tag = "2")]
    pub(super) external_id: String,
    #[prost(message, optional, tag = "3")]
    pub(super) entitlement: Option<EntitlementRef>,
    #[prost(message, optional, tag = "4")]
    pub(super) principal: Option<ResourceRef>,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct SyncRunRecord {
    #[prost(string, tag = "1")]
    pub(super) sync_id: String,
    #[prost(int32, tag = "2")]
    pub(super) sync_type: i32,
    #[prost(message, optional, tag = "4")]
    pub(super) started_at: Option<super::manifest::Timestamp>,
    #[prost(message, optional, tag = "5")]
    pub(super) ended_at: Option<super::manifest::Timestamp>,
}

fn decode<M: Message + Default>(v: &[u8], what: &str) -> Result<M, V3Error> {
    M::decode(v).map_err(|e| V3Error::corrupt(format!("a {what} record: {e}")))
}

/// A 64-bit hash of the parts (FNV-1a with separators): set membership for millions of ids
/// without keeping their text.
fn h(parts: &[&str]) -> u64 {
    let mut x: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0xff]) {
            x ^= u64::from(b);
            x = x.wrapping_mul(0x0100_0000_01b3);
        }
    }
    x
}

/// Dangling principals of one type, as the grants stream by.
#[derive(Default)]
struct Dangling {
    grants: u64,
    principals: HashSet<u64>,
    examples: BTreeSet<String>,
}

/// Everything counted in one pass over the records, in key order (resource types, resources,
/// entitlements, grants, sync runs: the type bytes 01 < 02 < 03 < 04 < 06).
#[derive(Default)]
pub struct Collector {
    limit: usize,
    stats: SyncStats,
    resources: HashSet<u64>,
    synced_types: BTreeSet<String>,
    /// Per (type, lower-case id): the first id seen, and the distinct ids (capped).
    case: HashMap<(String, String), Vec<String>>,
    entitlements: HashSet<u64>,
    dangling: IndexMap<String, Dangling>,
    dangling_ents: HashMap<String, u64>,
    dangling_ent_total: u64,
    missing_raw_id: IndexMap<String, u64>,
    pub syncs: Vec<SyncRun>,
    /// Records of families no check reads (indexes, counters, digests, …), by type byte.
    pub other: IndexMap<u8, u64>,
}

impl Collector {
    pub fn new(limit: usize) -> Collector {
        Collector {
            limit,
            ..Collector::default()
        }
    }

    /// Reads one visible record.
    pub fn add(&mut self, key: &[u8], value: &[u8]) -> Result<(), V3Error> {
        let (Some(&0x03), Some(&family)) = (key.first(), key.get(1)) else {
            *self.other.entry(0).or_default() += 1;
            return Ok(());
        };
        match family {
            0x01 => {
                let r: ResourceTypeRecord = decode(value, "resource type")?;
                self.stats.resource_types += 1;
                self.stats
                    .resources_by_type
                    .entry(r.external_id)
                    .or_insert(0);
            }
            0x02 => {
                let r: ResourceRecord = decode(value, "resource")?;
                self.stats.resources += 1;
                *self
                    .stats
                    .resources_by_type
                    .entry(r.resource_type_id.clone())
                    .or_insert(0) += 1;
                self.resources
                    .insert(h(&[&r.resource_type_id, &r.resource_id]));
                if !self.synced_types.contains(&r.resource_type_id) {
                    self.synced_types.insert(r.resource_type_id.clone());
                }
                if !r.annotations.iter().any(|a| a.type_url == RAW_ID_URL) {
                    *self
                        .missing_raw_id
                        .entry(r.resource_type_id.clone())
                        .or_default() += 1;
                }
                let ids = self
                    .case
                    .entry((r.resource_type_id, r.resource_id.to_lowercase()))
                    .or_default();
                if ids.len() < self.limit && !ids.contains(&r.resource_id) {
                    ids.push(r.resource_id);
                }
            }
            0x03 => {
                let r: EntitlementRecord = decode(value, "entitlement")?;
                self.stats.entitlements += 1;
                let rt = r.resource.map(|x| x.resource_type_id).unwrap_or_default();
                *self.stats.entitlements_by_type.entry(rt).or_insert(0) += 1;
                self.entitlements.insert(h(&[&r.external_id]));
            }
            0x04 => {
                let r: GrantRecord = decode(value, "grant")?;
                self.stats.grants += 1;
                let ent = r.entitlement.unwrap_or_default();
                *self
                    .stats
                    .grants_by_type
                    .entry(ent.resource_type_id.clone())
                    .or_insert(0) += 1;
                if !self.entitlements.contains(&h(&[&ent.entitlement_id])) {
                    self.dangling_ent_total += 1;
                    if self.dangling_ents.len() < 10_000
                        || self.dangling_ents.contains_key(&ent.entitlement_id)
                    {
                        *self.dangling_ents.entry(ent.entitlement_id).or_default() += 1;
                    }
                }
                let p = r.principal.unwrap_or_default();
                if !self
                    .resources
                    .contains(&h(&[&p.resource_type_id, &p.resource_id]))
                {
                    if !self.dangling.contains_key(&p.resource_type_id)
                        && self.dangling.len() >= 256
                    {
                        return Ok(());
                    }
                    let d = self.dangling.entry(p.resource_type_id).or_default();
                    d.grants += 1;
                    d.principals.insert(h(&[&p.resource_id]));
                    if d.examples.len() < self.limit
                        || d.examples.last().is_some_and(|l| *l > p.resource_id)
                    {
                        d.examples.insert(p.resource_id);
                        if d.examples.len() > self.limit {
                            d.examples.pop_last();
                        }
                    }
                }
            }
            0x06 => {
                let r: SyncRunRecord = decode(value, "sync run")?;
                self.syncs.push(SyncRun {
                    sync_id: r.sync_id,
                    sync_type: super::manifest::sync_type(r.sync_type),
                    started_at: super::manifest::ts(&r.started_at),
                    ended_at: super::manifest::ts(&r.ended_at),
                });
            }
            f => *self.other.entry(f).or_default() += 1,
        }
        Ok(())
    }

    /// The counts and the referential facts of the sync.
    pub fn finish(mut self, sync_id: &str) -> (SyncStats, SyncFacts) {
        self.stats.sync_id = sync_id.to_string();
        self.stats.resources_by_type.sort_keys();
        self.stats.entitlements_by_type.sort_keys();
        self.stats.grants_by_type.sort_keys();
        self.dangling.sort_keys();
        let synced = &self.synced_types;
        let dangling_principals = self
            .dangling
            .into_iter()
            .map(|(rt, d)| {
                let case_of = synced
                    .iter()
                    .find(|t| t.eq_ignore_ascii_case(&rt) && **t != rt)
                    .cloned();
                DanglingPrincipals {
                    resource_type: rt,
                    grants: d.grants,
                    principals: d.principals.len() as u64,
                    examples: d.examples.into_iter().collect(),
                    case_of,
                }
            })
            .collect();
        let mut variants: Vec<((String, String), Vec<String>)> =
            self.case.into_iter().filter(|(_, v)| v.len() > 1).collect();
        variants.sort();
        let mut case_variants: Vec<(String, Vec<String>)> = Vec::new();
        for ((rt, _), mut ids) in variants {
            if case_variants.last().is_some_and(|(t, _)| *t == rt) {
                continue;
            }
            ids.sort();
            case_variants.push((rt, ids));
        }
        let mut ents: Vec<(String, u64)> = self.dangling_ents.into_iter().collect();
        ents.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ents.truncate(self.limit);
        self.missing_raw_id.sort_keys();
        (
            self.stats,
            SyncFacts {
                dangling_principals,
                case_variants,
                dangling_entitlements: ents,
                dangling_entitlement_total: self.dangling_ent_total,
                missing_raw_id: self.missing_raw_id,
            },
        )
    }
}
