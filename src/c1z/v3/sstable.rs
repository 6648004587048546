//! One Pebble sstable of format `TableFormatPebblev6`/`v7` (pebble v2.1.5 `sstable/table.go`):
//! the footer (checksummed), the metaindex (where the range deletions are), a one- or two-level
//! index of columnar data blocks, and the points in key order, one data block in memory at a
//! time.

use std::fs::File;
use std::path::Path;

use super::V3Error;
use super::block::{self, Handle};
use super::colblk::{BOOL, BYTES, Block, PREFIX_BYTES, UINT};

const PEBBLE_MAGIC: &[u8; 8] = b"\xf0\x9f\xaa\xb3\xf0\x9f\xaa\xb3";
const ROCKSDB_MAGIC: &[u8; 8] = b"\xf7\xcf\xf4\x85\xb7\x41\xe2\x88";

// Footer attributes (`sstable/attributes.go`).
const ATTR_VALUE_BLOCKS: u32 = 1;
const ATTR_TWO_LEVEL_INDEX: u32 = 32;
const ATTR_BLOB_VALUES: u32 = 64;

/// Internal key kinds (`internal/base/internal.go`).
pub const KIND_DEL: u8 = 0;
pub const KIND_SET: u8 = 1;
pub const KIND_MERGE: u8 = 2;
pub const KIND_SINGLE_DEL: u8 = 7;
pub const KIND_RANGE_DEL: u8 = 15;
pub const KIND_SET_WITH_DEL: u8 = 18;
pub const KIND_DEL_SIZED: u8 = 23;

/// One point of a table.
#[derive(Debug, Clone)]
pub struct Point {
    pub key: Vec<u8>,
    pub seq: u64,
    pub kind: u8,
    pub value: Vec<u8>,
}

/// A range deletion `[start, end)` at `seq`.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeDel {
    pub start: Vec<u8>,
    pub end: Vec<u8>,
    pub seq: u64,
}

/// An open table: its file, footer facts and the handles of its data blocks.
pub struct Table {
    file: File,
    size: u64,
    name: String,
    data_blocks: Vec<Handle>,
    range_del: Option<Handle>,
}

impl Table {
    /// Opens `path`: reads and checks the footer, the metaindex and the index.
    pub fn open(path: &Path) -> Result<Table, V3Error> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file =
            File::open(path).map_err(|e| V3Error::corrupt(format!("{name}: cannot open: {e}")))?;
        let size = file
            .metadata()
            .map_err(|e| V3Error::corrupt(format!("{name}: {e}")))?
            .len();
        if size < 57 {
            return Err(V3Error::corrupt(format!(
                "{name}: {size} bytes is too short for an sstable"
            )));
        }
        let tail_len = size.min(61);
        let tail = block::read_at(&file, size - tail_len, tail_len, &name)?;
        let magic = &tail[tail.len() - 8..];
        if magic != PEBBLE_MAGIC {
            let what = if magic == ROCKSDB_MAGIC {
                "a RocksDB"
            } else {
                "an unknown"
            };
            return Err(V3Error::unsupported(format!(
                "{name}: {what} table magic, not Pebble's"
            )));
        }
        let n = tail.len();
        let version = u32::from_le_bytes(tail[n - 12..n - 8].try_into().expect("4"));
        let (footer, attrs) = match version {
            7 if n == 61 => {
                let f = &tail[..];
                let attrs = u32::from_le_bytes(f[41..45].try_into().expect("4"));
                (f, attrs)
            }
            6 => (&tail[n - 57..], 0),
            v => {
                return Err(V3Error::unsupported(format!(
                    "{name}: sstable footer version {v} (versions 6 and 7 are read)"
                )));
            }
        };
        let ck = footer.len() - 16;
        if footer[0] != 1 {
            return Err(V3Error::unsupported(format!(
                "{name}: checksum type {} (only CRC32C is read)",
                footer[0]
            )));
        }
        let stored = u32::from_le_bytes(footer[ck..ck + 4].try_into().expect("4"));
        if block::masked_crc(&[&footer[..ck], &footer[ck + 4..]]) != stored {
            return Err(V3Error::corrupt(format!(
                "{name}: footer checksum mismatch"
            )));
        }
        if attrs & (ATTR_VALUE_BLOCKS | ATTR_BLOB_VALUES) != 0 {
            return Err(V3Error::unsupported(format!(
                "{name}: values stored outside the data blocks (value blocks or blob files)"
            )));
        }
        let (meta, k) = block::decode_handle(&footer[1..])
            .ok_or_else(|| V3Error::corrupt(format!("{name}: bad metaindex handle")))?;
        let (index, _) = block::decode_handle(&footer[1 + k..])
            .ok_or_else(|| V3Error::corrupt(format!("{name}: bad index handle")))?;
        let mut t = Table {
            file,
            size,
            name,
            data_blocks: Vec::new(),
            range_del: None,
        };
        t.read_metaindex(meta)?;
        let top = t.read_index(index)?;
        if attrs & ATTR_TWO_LEVEL_INDEX != 0 {
            for h in top {
                let lower = t.read_index(h)?;
                t.data_blocks.extend(lower);
            }
        } else {
            t.data_blocks = top;
        }
        Ok(t)
    }

    fn block(&self, h: Handle, what: &str) -> Result<Vec<u8>, V3Error> {
        block::read_block(&self.file, self.size, h, &format!("{} {what}", self.name))
    }

    fn read_metaindex(&mut self, h: Handle) -> Result<(), V3Error> {
        let data = self.block(h, "metaindex")?;
        let b = Block::new(&data, 0)?;
        let (keys, values) = (b.bytes(0)?, b.bytes(1)?);
        for i in 0..b.rows {
            match keys.at(i) {
                b"rocksdb.range_del2" => {
                    let (h, _) = block::decode_handle(values.at(i)).ok_or_else(|| {
                        V3Error::corrupt(format!("{}: bad range-deletion handle", self.name))
                    })?;
                    self.range_del = Some(h);
                }
                b"pebble.blob_ref_index" | b"pebble.value_index" => {
                    return Err(V3Error::unsupported(format!(
                        "{}: values in blob files or value blocks",
                        self.name
                    )));
                }
                // Properties, range keys (never written by baton-sdk, and not points).
                _ => {}
            }
        }
        Ok(())
    }

    /// An index block's block handles, in key order.
    fn read_index(&self, h: Handle) -> Result<Vec<Handle>, V3Error> {
        let data = self.block(h, "index")?;
        let b = Block::new(&data, 0)?;
        if b.columns() != 4 {
            return Err(V3Error::unsupported(format!(
                "{}: an index block of {} columns",
                self.name,
                b.columns()
            )));
        }
        let (offsets, lengths) = (b.uints(1)?, b.uints(2)?);
        Ok((0..b.rows)
            .map(|i| Handle {
                offset: offsets.at(i),
                length: lengths.at(i),
            })
            .collect())
    }

    /// The number of data blocks.
    pub fn blocks(&self) -> usize {
        self.data_blocks.len()
    }

    /// The points of data block `i`, in key order.
    pub fn block_points(&self, i: usize) -> Result<Vec<Point>, V3Error> {
        let data = self.block(self.data_blocks[i], "data block")?;
        // 4-byte custom header (the longest key), then DefaultKeySchema's 2 key columns and the
        // 5 data block columns: trailer, prefix-changed, value, is-value-external, is-obsolete.
        let b = Block::new(&data, 4)?;
        let kinds = [PREFIX_BYTES, BYTES, UINT, BOOL, BYTES, BOOL, BOOL];
        if b.columns() != kinds.len() {
            return Err(V3Error::unsupported(format!(
                "{}: a data block of {} columns (the default key schema has 7)",
                self.name,
                b.columns()
            )));
        }
        let prefixes = b.prefix_bytes(0)?;
        let suffixes = b.bytes(1)?;
        let trailers = b.uints(2)?;
        let values = b.bytes(4)?;
        let external = b.bitmap(5)?;
        let mut out = Vec::with_capacity(b.rows);
        for i in 0..b.rows {
            if external.at(i) {
                return Err(V3Error::unsupported(format!(
                    "{}: a value stored outside its data block",
                    self.name
                )));
            }
            let mut key = Vec::new();
            prefixes.key(i, &mut key);
            key.extend_from_slice(suffixes.at(i));
            let t = trailers.at(i);
            out.push(Point {
                key,
                seq: t >> 8,
                kind: (t & 0xff) as u8,
                value: values.at(i).to_vec(),
            });
        }
        Ok(out)
    }

    /// The table's range deletions (a keyspan block: boundary keys, then one row per key).
    pub fn range_dels(&self) -> Result<Vec<RangeDel>, V3Error> {
        let Some(h) = self.range_del else {
            return Ok(Vec::new());
        };
        let data = self.block(h, "range deletions")?;
        if data.len() < 4 {
            return Err(V3Error::corrupt(format!(
                "{}: short keyspan block",
                self.name
            )));
        }
        let nb = u32::from_le_bytes(data[..4].try_into().expect("4")) as usize;
        let b = Block::new(&data, 4)?;
        if b.columns() != 5 || nb > data.len() {
            return Err(V3Error::corrupt(format!(
                "{}: bad keyspan block",
                self.name
            )));
        }
        let bounds = b.bytes_n(0, nb)?;
        let first = b.uints_n(1, nb)?;
        let trailers = b.uints(2)?;
        let mut out = Vec::new();
        for s in 0..nb.saturating_sub(1) {
            let (lo, hi) = (first.at(s) as usize, first.at(s + 1) as usize);
            if lo > hi || hi > b.rows {
                return Err(V3Error::corrupt(format!(
                    "{}: bad keyspan indices",
                    self.name
                )));
            }
            for k in lo..hi {
                let t = trailers.at(k);
                let kind = (t & 0xff) as u8;
                if kind != KIND_RANGE_DEL {
                    return Err(V3Error::unsupported(format!(
                        "{}: a span of kind {kind} in the range-deletion block",
                        self.name
                    )));
                }
                out.push(RangeDel {
                    start: bounds.at(s).to_vec(),
                    end: bounds.at(s + 1).to_vec(),
                    seq: t >> 8,
                });
            }
        }
        Ok(out)
    }
}
