//! Pebble blocks as they sit in an sstable: `data | compression indicator (1) | masked CRC32C
//! of data and indicator (4)` (pebble v2.1.5 `sstable/block/block.go`, `compression.go`).
//! Reading one checks its checksum first and decompresses under a size cap, so a flipped byte
//! is an error and never a wrong answer.

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::V3Error;

/// Largest block (on disk or decompressed) a reader accepts; baton-sdk writes 32 KiB blocks,
/// and an index block of a large table is a few KiB.
pub const MAX_BLOCK: u64 = 64 << 20;

/// Where a block is: offset and length of its data (the 5-byte trailer follows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handle {
    pub offset: u64,
    pub length: u64,
}

/// A LevelDB/Pebble unsigned varint at the front of `b`: (value, bytes read).
pub fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Some((v, i + 1));
        }
    }
    None
}

/// A block handle (two varints) at the front of `b`.
pub fn decode_handle(b: &[u8]) -> Option<(Handle, usize)> {
    let (offset, n) = uvarint(b)?;
    let (length, m) = uvarint(&b[n..])?;
    Some((Handle { offset, length }, n + m))
}

/// The masked CRC32C of LevelDB, RocksDB and Pebble (`internal/crc`).
pub fn masked_crc(parts: &[&[u8]]) -> u32 {
    let c = parts.iter().fold(0u32, |c, p| crc32c::crc32c_append(c, p));
    (c.rotate_right(15)).wrapping_add(0xa282_ead8)
}

/// Reads exactly `len` bytes at `off` of `f`.
pub fn read_at(f: &File, off: u64, len: u64, what: &str) -> Result<Vec<u8>, V3Error> {
    if len > MAX_BLOCK {
        return Err(V3Error::corrupt(format!(
            "{what}: {len} bytes is over the block cap"
        )));
    }
    let mut buf = vec![0u8; len as usize];
    f.read_exact_at(&mut buf, off)
        .map_err(|e| V3Error::corrupt(format!("{what}: cannot read {len} bytes at {off}: {e}")))?;
    Ok(buf)
}

/// Reads the block at `h` of `f` (a file of `size` bytes): checks the trailer's checksum and
/// returns the decompressed block.
pub fn read_block(f: &File, size: u64, h: Handle, what: &str) -> Result<Vec<u8>, V3Error> {
    let end = h
        .offset
        .checked_add(h.length)
        .and_then(|e| e.checked_add(5));
    if end.is_none_or(|e| e > size) {
        return Err(V3Error::corrupt(format!(
            "{what}: block handle ({}, {}) runs past the end of the table",
            h.offset, h.length
        )));
    }
    let raw = read_at(f, h.offset, h.length + 5, what)?;
    let (data, trailer) = raw.split_at(h.length as usize);
    let indicator = trailer[0];
    let stored = u32::from_le_bytes([trailer[1], trailer[2], trailer[3], trailer[4]]);
    if masked_crc(&[data, &[indicator]]) != stored {
        return Err(V3Error::corrupt(format!(
            "{what}: checksum mismatch in the block at offset {}",
            h.offset
        )));
    }
    decompress(data, indicator, what)
}

/// Decompresses one block's data by its indicator (0 none, 1 Snappy, 7 Zstd with a uvarint
/// length prefix); any other indicator (8 = MinLZ, …) is unsupported.
pub fn decompress(data: &[u8], indicator: u8, what: &str) -> Result<Vec<u8>, V3Error> {
    match indicator {
        0 => Ok(data.to_vec()),
        1 => {
            let n = snap::raw::decompress_len(data)
                .map_err(|e| V3Error::corrupt(format!("{what}: bad Snappy block: {e}")))?;
            if n as u64 > MAX_BLOCK {
                return Err(V3Error::corrupt(format!(
                    "{what}: a {n}-byte block is over the cap"
                )));
            }
            snap::raw::Decoder::new()
                .decompress_vec(data)
                .map_err(|e| V3Error::corrupt(format!("{what}: bad Snappy block: {e}")))
        }
        7 => {
            let (n, k) = uvarint(data)
                .ok_or_else(|| V3Error::corrupt(format!("{what}: bad Zstd block length")))?;
            if n > MAX_BLOCK {
                return Err(V3Error::corrupt(format!(
                    "{what}: a {n}-byte block is over the cap"
                )));
            }
            let out = zstd::bulk::decompress(&data[k..], n as usize)
                .map_err(|e| V3Error::corrupt(format!("{what}: bad Zstd block: {e}")))?;
            if out.len() as u64 != n {
                return Err(V3Error::corrupt(format!(
                    "{what}: Zstd block length mismatch"
                )));
            }
            Ok(out)
        }
        other => Err(V3Error::unsupported(format!(
            "{what}: block compression indicator {other} (8 = MinLZ) has no decoder here"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_handles() {
        assert_eq!(uvarint(&[0x96, 0x01]), Some((150, 2)));
        assert_eq!(uvarint(&[0x80]), None);
        assert_eq!(
            decode_handle(&[0xed, 0x0e, 0x45]),
            Some((
                Handle {
                    offset: 1901,
                    length: 69
                },
                3
            ))
        );
    }

    #[test]
    fn masked_crc_of_leveldb() {
        // LevelDB's crc32c test vector: crc32c("123456789") = 0xe3069283, masked.
        let c: u32 = 0xe306_9283;
        assert_eq!(
            masked_crc(&[b"1234", b"56789"]),
            c.rotate_right(15).wrapping_add(0xa282_ead8)
        );
    }

    #[test]
    fn unknown_compression_is_unsupported_not_garbage() {
        let e = decompress(b"abc", 8, "t").unwrap_err();
        assert!(e.to_string().contains("MinLZ"), "{e}");
        assert!(decompress(b"\xff\xff\xff\xff\xff\x0f", 1, "t").is_err());
    }
}
