//! v3 files (`C1Z3\0`, baton-sdk v0.10+; the default engine since v0.25.0): a protobuf manifest
//! and a Pebble checkpoint, read in pure Rust, top to bottom:
//!
//! - [`manifest`]: the envelope's manifest (engine, format version, payload encoding, runs);
//! - [`payload`]: the checkpoint's files unpacked into a private temp dir (three encodings);
//! - [`lsm`]: the Pebble MANIFEST replayed to the live tables (virtual, ingested, deleted);
//! - [`sstable`] on [`block`] and [`colblk`]: one table's points and range deletions;
//! - [`merge`]: the newest visible version of each key, streamed;
//! - [`records`]: baton's records decoded and counted for the checks.
//!
//! The format as baton-sdk v0.25.0 and its vendored Pebble v2.1.5 write it is described, with
//! source references, in `../shared/C1Z-V3.md`. What this reader does not know it refuses
//! (exit 2, saying what), rather than guess.

mod block;
mod colblk;
mod lsm;
mod manifest;
mod merge;
mod payload;
mod records;
mod sstable;

use std::path::Path;

pub use manifest::{Manifest, read_manifest};
pub use merge::MergeStats;

use super::{SyncFacts, SyncStats};

/// Pebble's format major version that baton-sdk v0.10–v0.25 writes (`FormatNewest` of pebble
/// v2.1.5 = 24 = `FormatValueSeparation`, tables of `TableFormatPebblev7`).
const PEBBLE_FORMAT: u32 = 24;

/// Why a v3 file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum V3Error {
    #[error("corrupt v3 payload: {0}")]
    Corrupt(String),
    #[error("unsupported v3 file: {0}")]
    Unsupported(String),
    #[error("decompressed size is over the cap of {0} bytes (raise --max-c1z-bytes)")]
    TooLarge(u64),
    #[error("interrupted")]
    Interrupted,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl V3Error {
    pub fn corrupt(s: String) -> V3Error {
        V3Error::Corrupt(s)
    }
    pub fn unsupported(s: String) -> V3Error {
        V3Error::Unsupported(s)
    }
}

/// What reading every record of a v3 file gave.
#[derive(Debug)]
pub struct V3Read {
    pub manifest: Manifest,
    /// The counts of the records read (not the manifest's sidecar).
    pub stats: SyncStats,
    pub facts: SyncFacts,
    pub merge: MergeStats,
    /// Records of families no check reads, by type byte.
    pub other_records: Vec<(u8, u64)>,
}

/// Reads `path` fully: unpacks, replays, merges and counts. `limit` caps the examples kept.
pub fn read(path: &Path, max_bytes: u64, limit: usize) -> Result<V3Read, super::C1zError> {
    let m = read_manifest(path)?;
    match m.engine.as_str() {
        "pebble2" | "pebble3" => {}
        "pebble" => {
            return Err(V3Error::unsupported(
                "engine `pebble` (baton-sdk v0.10–v0.14, several syncs in one keyspace) is not read; re-sync with baton-sdk v0.15 or later".into(),
            )
            .into());
        }
        e => {
            return Err(V3Error::unsupported(format!("storage engine {e:?}")).into());
        }
    }
    if m.engine_schema_version != PEBBLE_FORMAT {
        return Err(V3Error::unsupported(format!(
            "Pebble format version {} (this reader knows {PEBBLE_FORMAT})",
            m.engine_schema_version
        ))
        .into());
    }
    let un = payload::unpack(path, m.payload_start, m.payload_encoding, max_bytes)?;
    let dir = un.dir.path();
    // The WAL of a saved file is truncated to 0 bytes (v0.13.2+); one with data would hold
    // writes this reader cannot replay.
    for n in un.names.iter().filter(|n| n.ends_with(".log")) {
        if std::fs::metadata(dir.join(n))
            .map(|md| md.len())
            .unwrap_or(0)
            > 0
        {
            return Err(V3Error::unsupported(format!(
                "a non-empty write-ahead log ({n}) that this reader cannot replay"
            ))
            .into());
        }
    }
    let version = lsm::replay(&dir.join(lsm::current_manifest(&un.names)?))?;
    let mut tables = Vec::with_capacity(version.tables.len());
    for t in &version.tables {
        if t.largest_seq > version.last_seq && version.last_seq > 0 {
            return Err(V3Error::corrupt(format!(
                "table {:06} holds seqnums up to {}, past the MANIFEST's last {}",
                t.num, t.largest_seq, version.last_seq
            ))
            .into());
        }
        let file = dir.join(format!("{:06}.sst", t.file_num));
        tables.push((sstable::Table::open(&file)?, t.clone()));
    }
    let mut merge = merge::Merge::new(tables)?;
    let mut c = records::Collector::new(limit);
    while let Some((k, v)) = merge.next_visible()? {
        c.add(&k, &v)?;
        if crate::input::interrupted() {
            return Err(V3Error::Interrupted.into());
        }
    }
    let syncs = c.syncs.clone();
    let other_records = c.other.iter().map(|(k, v)| (*k, *v)).collect();
    let mut manifest = m;
    if manifest.syncs.is_empty() {
        manifest.syncs = syncs;
    }
    let id = super::choose_sync(&manifest.syncs)
        .map(|s| s.sync_id)
        .unwrap_or_default();
    let (stats, facts) = c.finish(&id);
    Ok(V3Read {
        manifest,
        stats,
        facts,
        merge: merge.stats,
        other_records,
    })
}

/// The fuzz entry (`fuzz/fuzz_targets/c1z_v3.rs`): the first byte picks what the rest is — a
/// whole `.c1z`, one sstable (every block and range deletion read), or a Pebble MANIFEST. Any
/// result is fine but a panic, a hang or unbounded memory.
pub fn fuzz_one(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("f");
    if std::fs::write(&path, rest).is_err() {
        return;
    }
    match mode % 3 {
        0 => {
            let _ = read(&path, 16 << 20, 5);
        }
        1 => {
            if let Ok(t) = sstable::Table::open(&path) {
                let _ = t.range_dels();
                for i in 0..t.blocks().min(10_000) {
                    let _ = t.block_points(i);
                }
            }
        }
        _ => {
            let _ = lsm::replay(&path);
        }
    }
}

#[cfg(test)]
mod testwrite;

#[cfg(test)]
mod tests {
    use super::testwrite::{self as w, P, T};
    use super::*;

    const SET: u8 = 1;
    const DEL: u8 = 0;

    fn p(key: Vec<u8>, seq: u64, kind: u8, value: Vec<u8>) -> P {
        P {
            key,
            seq,
            kind,
            value,
        }
    }

    /// A file of two tables: an ingested L6 table (on-disk seqnum 0) with the sync's records,
    /// and a newer L0 table with a point delete, a newer version and a range deletion.
    fn files(snappy: bool) -> Vec<(String, Vec<u8>)> {
        let rk = |rt: &str, id: &str| w::key(0x02, &[rt, id]);
        let mut l6 = vec![
            p(w::key(0x01, &["group"]), 0, SET, w::resource_type("group")),
            p(w::key(0x01, &["user"]), 0, SET, w::resource_type("user")),
            p(
                rk("group", "admins"),
                0,
                SET,
                w::resource("group", "admins", true),
            ),
            p(
                rk("user", "Alice@Acme.com"),
                0,
                SET,
                w::resource("user", "Alice@Acme.com", true),
            ),
            p(
                rk("user", "alice@acme.com"),
                0,
                SET,
                w::resource("user", "alice@acme.com", true),
            ),
            p(rk("user", "bob"), 0, SET, w::resource("user", "bob", false)),
            p(
                rk("user", "carol"),
                0,
                SET,
                w::resource("user", "carol", true),
            ),
            p(
                rk("user", "dave"),
                0,
                SET,
                w::resource("user", "dave", true),
            ),
            p(
                w::key(0x03, &["group", "admins", "member"]),
                0,
                SET,
                w::entitlement("group", "admins", "member"),
            ),
        ];
        let g = |who: (&str, &str)| w::grant(("group", "admins", "member"), who);
        for (rt, id) in [
            ("User", "bob"),
            ("user", "bob"),
            ("user", "carol"),
            ("user", "zed"),
        ] {
            l6.push(p(
                w::key(0x04, &["group", "admins", "member", rt, id]),
                0,
                SET,
                g((rt, id)),
            ));
        }
        l6.push(p(w::key(0x06, &[]), 0, SET, w::sync_run("2TestSync")));
        l6.sort_by(|a, b| a.key.cmp(&b.key));
        // Newer: dave deleted, bob rewritten with a RawId, carol's grant range-deleted.
        let l0 = vec![
            p(rk("user", "bob"), 20, SET, w::resource("user", "bob", true)),
            p(rk("user", "dave"), 21, DEL, Vec::new()),
        ];
        let carol = w::key(0x04, &["group", "admins", "member", "user", "carol"]);
        let mut carol_end = carol.clone();
        carol_end.push(0);
        let dels = vec![(carol, carol_end, 22)];
        let first = l6.first().unwrap().key.clone();
        let last = l6.last().unwrap().key.clone();
        let man = w::manifest(
            &[
                T {
                    level: 6,
                    num: 4,
                    smallest: (first.clone(), 1),
                    largest: (last.clone(), 1),
                    seqs: (10, 10),
                    backing: None,
                },
                T {
                    level: 0,
                    num: 7,
                    smallest: (rk("user", "bob"), 20 << 8 | 1),
                    largest: (w::key(0x04, &["z"]), 22 << 8 | 15),
                    seqs: (20, 22),
                    backing: None,
                },
                // A table deleted by a later edit (a compaction's input): must not be read.
                T {
                    level: 0,
                    num: 5,
                    smallest: (first, 1),
                    largest: (last, 1),
                    seqs: (1, 9),
                    backing: None,
                },
            ],
            &[(0, 5)],
            22,
        );
        vec![
            ("000004.sst".into(), w::table(&l6, &[], 4, snappy)),
            ("000007.sst".into(), w::table(&l0, &dels, 16, snappy)),
            (
                "000005.sst".into(),
                b"not a table: the MANIFEST deleted it".to_vec(),
            ),
            ("000008.log".into(), Vec::new()),
            ("MANIFEST-000001".into(), man),
            ("marker.manifest.000001.MANIFEST-000001".into(), Vec::new()),
        ]
    }

    fn read_ok(path: &Path) -> V3Read {
        read(path, 1 << 30, 5).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn generated_files_read_alike_in_every_payload_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let mut seen = Vec::new();
        for (enc, snappy) in [(5, true), (2, false), (1, true)] {
            let path = w::c1z(dir.path(), &format!("e{enc}.c1z"), &files(snappy), enc);
            let r = read_ok(&path);
            seen.push((r.stats.clone(), r.facts.clone()));
        }
        assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:#?}");
        let (st, facts) = &seen[0];
        // dave deleted; the other users and the group remain.
        assert_eq!(st.resources_by_type.get("user"), Some(&4));
        assert_eq!(st.resources_by_type.get("group"), Some(&1));
        // carol's grant is range-deleted: 3 grants.
        assert_eq!(st.grants, 3);
        // `User/bob` was never synced (a case mismatch) and `user/zed` neither.
        let d: Vec<(&str, u64, Option<&str>)> = facts
            .dangling_principals
            .iter()
            .map(|d| (d.resource_type.as_str(), d.grants, d.case_of.as_deref()))
            .collect();
        assert_eq!(d, [("User", 1, Some("user")), ("user", 1, None)]);
        assert_eq!(facts.dangling_principals[1].examples, ["zed"]);
        assert_eq!(
            facts.case_variants,
            [(
                "user".to_string(),
                vec!["Alice@Acme.com".to_string(), "alice@acme.com".to_string()]
            )]
        );
        // bob's newer version has a RawId: nothing is missing it.
        assert!(
            facts.missing_raw_id.is_empty(),
            "{:?}",
            facts.missing_raw_id
        );
        assert_eq!(facts.dangling_entitlement_total, 0);
    }

    #[test]
    fn merge_counts_versions_tombstones_and_range_deletions() {
        let dir = tempfile::tempdir().unwrap();
        let path = w::c1z(dir.path(), "m.c1z", &files(true), 5);
        let m = read_ok(&path).merge;
        assert_eq!((m.tables, m.points, m.older_versions), (2, 16, 2));
        assert_eq!(
            (m.tombstones, m.range_dels, m.shadowed_by_range_dels),
            (1, 1, 1)
        );
    }

    #[test]
    fn a_virtual_table_shows_only_its_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let rk = |id: &str| w::key(0x02, &["user", id]);
        let pts: Vec<P> = ["a", "b", "c"]
            .iter()
            .map(|id| p(rk(id), 5, SET, w::resource("user", id, true)))
            .collect();
        let man = w::manifest(
            &[T {
                level: 0,
                num: 9,
                smallest: (rk("a"), 5 << 8 | 1),
                largest: (rk("b"), 5 << 8 | 1),
                seqs: (5, 5),
                backing: Some(3),
            }],
            &[],
            5,
        );
        let f = vec![
            ("000003.sst".to_string(), w::table(&pts, &[], 16, false)),
            ("MANIFEST-000002".into(), man),
            ("marker.manifest.000004.MANIFEST-000002".into(), Vec::new()),
        ];
        let r = read_ok(&w::c1z(dir.path(), "v.c1z", &f, 2));
        assert_eq!(r.stats.resources, 2);
        assert_eq!((r.merge.virtual_tables, r.merge.hidden_by_bounds), (1, 1));
    }

    #[test]
    fn a_flipped_byte_in_a_data_block_is_a_checksum_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = files(false);
        // Byte 40 of the first table lies inside its first (uncompressed) data block.
        f[0].1[40] ^= 0x01;
        let e = read(&w::c1z(dir.path(), "x.c1z", &f, 2), 1 << 30, 5).unwrap_err();
        assert!(e.to_string().contains("checksum mismatch"), "{e}");
    }

    /// Seeds for the fuzz target (`SEED_DIR=… cargo test --lib write_fuzz_seeds -- --ignored`):
    /// the generated tables (mode 1), MANIFEST (mode 2) and whole files (mode 0).
    #[test]
    #[ignore]
    fn write_fuzz_seeds() {
        let out = std::path::PathBuf::from(std::env::var("SEED_DIR").expect("SEED_DIR"));
        std::fs::create_dir_all(&out).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        for (i, (name, data)) in files(true).into_iter().enumerate() {
            let mode = if name.starts_with("MANIFEST") { 2 } else { 1 };
            std::fs::write(out.join(format!("seed-{i}")), [&[mode][..], &data].concat()).unwrap();
        }
        for enc in [1, 2, 5] {
            let p = w::c1z(tmp.path(), "s.c1z", &files(enc != 2), enc);
            let data = std::fs::read(p).unwrap();
            std::fs::write(
                out.join(format!("seed-c1z-{enc}")),
                [&[0u8][..], &data].concat(),
            )
            .unwrap();
        }
    }

    #[test]
    fn unknown_formats_are_refused_with_what() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = files(false);
        // Footer version 8.
        let n = f[0].1.len();
        f[0].1[n - 12] = 8;
        let e = read(&w::c1z(dir.path(), "v8.c1z", &f, 2), 1 << 30, 5).unwrap_err();
        assert!(e.to_string().contains("footer version 8"), "{e}");
        // A non-empty WAL.
        let mut f = files(false);
        f[3].1 = vec![1, 2, 3];
        let e = read(&w::c1z(dir.path(), "wal.c1z", &f, 2), 1 << 30, 5).unwrap_err();
        assert!(e.to_string().contains("write-ahead log"), "{e}");
        // Over the cap.
        let e = read(&w::c1z(dir.path(), "cap.c1z", &files(false), 5), 100, 5).unwrap_err();
        assert!(e.to_string().contains("over the cap"), "{e}");
    }
}
