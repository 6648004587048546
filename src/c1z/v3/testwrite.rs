//! A small test-only writer of v3 files: columnar Pebble v7 tables, a MANIFEST, and the
//! envelope in each payload encoding, so the reader's tests build the cases the two real
//! samples lack (dangling principals, `User` vs `user`, RawId, range deletions, a virtual
//! table, point deletes, ingested seqnums, flipped bytes). Written from the layouts the reader
//! documents, never from Pebble's code.

use std::path::{Path, PathBuf};

use prost::Message;

use super::block::masked_crc;
use super::colblk::{BOOL, BYTES, PREFIX_BYTES, UINT};
use super::manifest::{ManifestV3, SyncRunSummary, Timestamp};
use super::payload::{IndexedFrameEntry, IndexedFrameIndex};
use super::records::{
    Any, EntitlementRecord, EntitlementRef, GrantRecord, ResourceRecord, ResourceRef,
    ResourceTypeRecord, SyncRunRecord,
};

/// Appends columns to a block, aligning relative to the block start.
struct Cols {
    buf: Vec<u8>,
    header_at: usize,
    col: usize,
}

impl Cols {
    fn new(custom: &[u8], types: &[u8], rows: u32) -> Cols {
        let mut buf = custom.to_vec();
        buf.push(1);
        buf.extend((types.len() as u16).to_le_bytes());
        buf.extend(rows.to_le_bytes());
        let header_at = buf.len();
        for t in types {
            buf.push(*t);
            buf.extend([0; 4]);
        }
        Cols {
            buf,
            header_at,
            col: 0,
        }
    }

    fn start(&mut self) {
        let at = self.header_at + 5 * self.col + 1;
        let off = self.buf.len() as u32;
        self.buf[at..at + 4].copy_from_slice(&off.to_le_bytes());
        self.col += 1;
    }

    fn pad(&mut self, to: usize) {
        while self.buf.len() % to != 0 {
            self.buf.push(0);
        }
    }

    fn uints_raw(&mut self, v: &[u64]) {
        if v.is_empty() {
            return;
        }
        self.buf.push(8);
        self.pad(8);
        for x in v {
            self.buf.extend(x.to_le_bytes());
        }
    }

    fn uints(&mut self, v: &[u64]) {
        self.start();
        self.uints_raw(v);
    }

    fn bytes_raw(&mut self, v: &[&[u8]]) {
        if v.is_empty() {
            return;
        }
        let mut offs = vec![0u64];
        for s in v {
            offs.push(offs.last().unwrap() + s.len() as u64);
        }
        self.uints_raw(&offs);
        for s in v {
            self.buf.extend_from_slice(s);
        }
    }

    fn bytes(&mut self, v: &[&[u8]]) {
        self.start();
        self.bytes_raw(v);
    }

    fn zero_bitmap(&mut self) {
        self.start();
        self.buf.push(1);
    }

    /// A prefix column with no shared or bundle prefixes (bundles of 16): every suffix is the
    /// whole key.
    fn prefix(&mut self, keys: &[&[u8]]) {
        self.start();
        self.buf.push(4);
        let mut slices: Vec<&[u8]> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            if i % 16 == 0 {
                slices.push(b"");
            }
            slices.push(k);
        }
        self.bytes_raw(&slices);
    }

    fn finish(mut self) -> Vec<u8> {
        self.buf.push(0);
        self.buf
    }
}

/// One point to write.
#[derive(Clone)]
pub struct P {
    pub key: Vec<u8>,
    pub seq: u64,
    pub kind: u8,
    pub value: Vec<u8>,
}

/// A table's file bytes: `points` (sorted by key, newest first) in data blocks of `per_block`
/// rows, and range deletions `(start, end, seq)`.
pub fn table(
    points: &[P],
    dels: &[(Vec<u8>, Vec<u8>, u64)],
    per_block: usize,
    snappy: bool,
) -> Vec<u8> {
    let mut file = Vec::new();
    let mut handles = Vec::new();
    let put = |file: &mut Vec<u8>, data: Vec<u8>| -> (u64, u64) {
        let (body, ind) = if snappy {
            (snap::raw::Encoder::new().compress_vec(&data).unwrap(), 1u8)
        } else {
            (data, 0u8)
        };
        let off = file.len() as u64;
        file.extend(&body);
        file.push(ind);
        file.extend(masked_crc(&[&body, &[ind]]).to_le_bytes());
        (off, body.len() as u64)
    };
    for chunk in points.chunks(per_block.max(1)) {
        let keys: Vec<&[u8]> = chunk.iter().map(|p| p.key.as_slice()).collect();
        let maxk = keys.iter().map(|k| k.len()).max().unwrap_or(0) as u32;
        let mut c = Cols::new(
            &maxk.to_le_bytes(),
            &[PREFIX_BYTES, BYTES, UINT, BOOL, BYTES, BOOL, BOOL],
            chunk.len() as u32,
        );
        c.prefix(&keys);
        c.bytes(&vec![&b""[..]; chunk.len()]);
        c.uints(
            &chunk
                .iter()
                .map(|p| p.seq << 8 | u64::from(p.kind))
                .collect::<Vec<_>>(),
        );
        c.zero_bitmap();
        c.bytes(&chunk.iter().map(|p| p.value.as_slice()).collect::<Vec<_>>());
        c.zero_bitmap();
        c.zero_bitmap();
        let sep = chunk.last().unwrap().key.clone();
        handles.push((sep, put(&mut file, c.finish())));
    }
    let mut meta: Vec<(&[u8], Vec<u8>)> = Vec::new();
    let rd;
    if !dels.is_empty() {
        // Boundaries s0, e0, s1, e1, …: span i is [s_i, e_i) holding key i; the spans between
        // them hold none (the deletions must be sorted and must not overlap).
        let mut b2: Vec<&[u8]> = Vec::new();
        let mut i2: Vec<u64> = Vec::new();
        for (i, (s, e, _)) in dels.iter().enumerate() {
            b2.push(s);
            i2.push(i as u64);
            b2.push(e);
            i2.push(i as u64 + 1);
        }
        let nb = b2.len() as u32;
        let mut c = Cols::new(
            &nb.to_le_bytes(),
            &[BYTES, UINT, UINT, BYTES, BYTES],
            dels.len() as u32,
        );
        c.start();
        c.bytes_raw(&b2);
        c.start();
        c.uints_raw(&i2);
        c.uints(&dels.iter().map(|d| d.2 << 8 | 15).collect::<Vec<_>>());
        c.bytes(&vec![&b""[..]; dels.len()]);
        c.bytes(&vec![&b""[..]; dels.len()]);
        let (o, l) = put(&mut file, c.finish());
        rd = handle(o, l);
        meta.push((b"rocksdb.range_del2", rd.clone()));
    }
    let mut c = Cols::new(&[], &[BYTES, UINT, UINT, BYTES], handles.len() as u32);
    c.bytes(&handles.iter().map(|h| h.0.as_slice()).collect::<Vec<_>>());
    c.uints(&handles.iter().map(|h| h.1.0).collect::<Vec<_>>());
    c.uints(&handles.iter().map(|h| h.1.1).collect::<Vec<_>>());
    c.bytes(&vec![&b""[..]; handles.len()]);
    let index = put(&mut file, c.finish());
    let mut c = Cols::new(&[], &[BYTES, BYTES], meta.len() as u32);
    c.bytes(&meta.iter().map(|m| m.0).collect::<Vec<_>>());
    c.bytes(&meta.iter().map(|m| m.1.as_slice()).collect::<Vec<_>>());
    let metaindex = put(&mut file, c.finish());
    let mut footer = vec![1u8];
    footer.extend(handle(metaindex.0, metaindex.1));
    footer.extend(handle(index.0, index.1));
    footer.resize(41, 0);
    let attrs: u32 = if dels.is_empty() { 0x80 } else { 0x90 };
    footer.extend(attrs.to_le_bytes());
    let tail: Vec<u8> = [
        7u32.to_le_bytes().as_slice(),
        b"\xf0\x9f\xaa\xb3\xf0\x9f\xaa\xb3",
    ]
    .concat();
    let crc = masked_crc(&[&footer, &tail]);
    footer.extend(crc.to_le_bytes());
    footer.extend(tail);
    file.extend(footer);
    file
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn handle(o: u64, l: u64) -> Vec<u8> {
    let mut v = Vec::new();
    varint(o, &mut v);
    varint(l, &mut v);
    v
}

/// A MANIFEST entry: a live table.
pub struct T {
    pub level: u64,
    pub num: u64,
    pub smallest: (Vec<u8>, u64),
    pub largest: (Vec<u8>, u64),
    pub seqs: (u64, u64),
    pub backing: Option<u64>,
}

/// The MANIFEST (one record per edit): `tables` added, then `deleted` (level, num) removed.
pub fn manifest(tables: &[T], deleted: &[(u64, u64)], last_seq: u64) -> Vec<u8> {
    let mut edits = Vec::new();
    let mut e = Vec::new();
    varint(1, &mut e);
    varint(26, &mut e);
    e.extend(b"leveldb.BytewiseComparator");
    edits.push(e);
    for t in tables {
        let mut e = Vec::new();
        varint(103, &mut e);
        varint(t.level, &mut e);
        varint(t.num, &mut e);
        varint(1000, &mut e);
        for (k, tr) in [&t.smallest, &t.largest] {
            varint(k.len() as u64 + 8, &mut e);
            e.extend(k);
            e.extend(tr.to_le_bytes());
        }
        varint(t.seqs.0, &mut e);
        varint(t.seqs.1, &mut e);
        if let Some(b) = t.backing {
            varint(66, &mut e);
            varint(b, &mut e);
        }
        varint(1, &mut e);
        edits.push(e);
    }
    let mut e = Vec::new();
    for (l, n) in deleted {
        varint(6, &mut e);
        varint(*l, &mut e);
        varint(*n, &mut e);
    }
    varint(4, &mut e);
    varint(last_seq, &mut e);
    edits.push(e);
    let mut out = Vec::new();
    for r in edits {
        out.extend(masked_crc(&[&[1], &r]).to_le_bytes());
        out.extend((r.len() as u16).to_le_bytes());
        out.push(1);
        out.extend(r);
    }
    out
}

/// A key of family `ty` with tuple parts (no escaping needed for the test ids).
pub fn key(ty: u8, parts: &[&str]) -> Vec<u8> {
    let mut k = vec![0x03, ty];
    for p in parts {
        k.push(0);
        k.extend(p.as_bytes());
    }
    k
}

pub fn resource_type(id: &str) -> Vec<u8> {
    ResourceTypeRecord {
        external_id: id.into(),
    }
    .encode_to_vec()
}

pub fn resource(rt: &str, id: &str, raw_id: bool) -> Vec<u8> {
    let annotations = if raw_id {
        vec![Any {
            type_url: "type.googleapis.com/c1.connector.v2.RawId".into(),
        }]
    } else {
        Vec::new()
    };
    ResourceRecord {
        resource_type_id: rt.into(),
        resource_id: id.into(),
        annotations,
    }
    .encode_to_vec()
}

pub fn entitlement(rt: &str, rid: &str, slug: &str) -> Vec<u8> {
    EntitlementRecord {
        external_id: format!("{rt}:{rid}:{slug}"),
        resource: Some(ResourceRef {
            resource_type_id: rt.into(),
            resource_id: rid.into(),
        }),
    }
    .encode_to_vec()
}

pub fn grant(ent: (&str, &str, &str), principal: (&str, &str)) -> Vec<u8> {
    let eid = format!("{}:{}:{}", ent.0, ent.1, ent.2);
    GrantRecord {
        external_id: format!("{eid}:{}:{}", principal.0, principal.1),
        entitlement: Some(EntitlementRef {
            resource_type_id: ent.0.into(),
            resource_id: ent.1.into(),
            entitlement_id: eid,
        }),
        principal: Some(ResourceRef {
            resource_type_id: principal.0.into(),
            resource_id: principal.1.into(),
        }),
    }
    .encode_to_vec()
}

pub fn sync_run(id: &str) -> Vec<u8> {
    SyncRunRecord {
        sync_id: id.into(),
        sync_type: 1,
        started_at: Some(at(0)),
        ended_at: Some(at(100)),
    }
    .encode_to_vec()
}

/// The test sync's times: seconds after 2023-11-14T22:13:20Z.
fn at(secs: i64) -> Timestamp {
    Timestamp {
        seconds: 1_700_000_000 + secs,
        nanos: 0,
    }
}

/// Writes a `.c1z` of `files` (name, bytes) with payload `encoding` into `dir`.
pub fn c1z(dir: &Path, name: &str, files: &[(String, Vec<u8>)], encoding: i32) -> PathBuf {
    let m = ManifestV3 {
        engine: "pebble3".into(),
        engine_schema_version: 24,
        payload_encoding: encoding,
        sync_runs: vec![SyncRunSummary {
            sync_id: "2TestSync".into(),
            sync_type: 1,
            started_at: Some(at(0)),
            ended_at: Some(at(100)),
            parent_sync_id: String::new(),
            stats: None,
        }],
    }
    .encode_to_vec();
    let mut out = b"C1Z3\0".to_vec();
    out.extend((m.len() as u32).to_be_bytes());
    out.extend(&m);
    let tar = || {
        let mut b = tar::Builder::new(Vec::new());
        for (n, d) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(d.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, n, d.as_slice()).unwrap();
        }
        b.into_inner().unwrap()
    };
    match encoding {
        2 => out.extend(tar()),
        1 => out.extend(zstd::encode_all(tar().as_slice(), 3).unwrap()),
        5 => {
            let mut entries = Vec::new();
            for (n, d) in files {
                let frame = zstd::encode_all(d.as_slice(), 3).unwrap();
                entries.push(IndexedFrameEntry {
                    name: n.clone(),
                    frame_offset: out.len() as i64,
                    compressed_size: frame.len() as i64,
                    raw_size: d.len() as i64,
                    raw_xxh64: xxhash_rust::xxh64::xxh64(d, 0),
                });
                out.extend(frame);
            }
            let idx = IndexedFrameIndex { entries }.encode_to_vec();
            let off = out.len() as u64;
            out.extend(&idx);
            out.extend(off.to_be_bytes());
            out.extend((idx.len() as u32).to_be_bytes());
            out.extend(xxhash_rust::xxh64::xxh64(&idx, 0).to_be_bytes());
            out.extend(b"C1ZIDX1\0");
        }
        _ => unreachable!(),
    }
    let p = dir.join(name);
    std::fs::write(&p, out).unwrap();
    p
}
