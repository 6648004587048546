//! Pebble's columnar blocks (`sstable/colblk`, format version 1), read with bounds checks on
//! every offset: a crafted block is an error, never a panic or an out-of-range read.
//!
//! Layout: `[custom header][version u8 = 1][columns u16][rows u32]` then per column
//! `(type u8, page offset u32)`, the pages, and one padding byte. Offsets and alignment are
//! relative to the block start. Types: 1 bool (bitmap), 2 uint, 3 bytes, 4 prefix bytes.

use super::V3Error;

pub const BOOL: u8 = 1;
pub const UINT: u8 = 2;
pub const BYTES: u8 = 3;
pub const PREFIX_BYTES: u8 = 4;

fn bad(what: &str) -> V3Error {
    V3Error::corrupt(format!("columnar block: {what}"))
}

fn u16_at(b: &[u8], off: usize) -> Result<u16, V3Error> {
    b.get(off..off + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or_else(|| bad("truncated"))
}

fn u32_at(b: &[u8], off: usize) -> Result<u32, V3Error> {
    b.get(off..off + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| bad("truncated"))
}

fn u64_at(b: &[u8], off: usize) -> Result<u64, V3Error> {
    b.get(off..off + 8)
        .map(|s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
        .ok_or_else(|| bad("truncated"))
}

fn align(off: usize, to: usize) -> usize {
    (off + to - 1) & !(to - 1)
}

/// A decoded block header: the block, its row count and each column's (type, page start).
pub struct Block<'a> {
    pub data: &'a [u8],
    pub rows: usize,
    cols: Vec<(u8, usize)>,
}

impl<'a> Block<'a> {
    /// Reads the header after `custom` bytes of custom header.
    pub fn new(data: &'a [u8], custom: usize) -> Result<Block<'a>, V3Error> {
        let version = *data.get(custom).ok_or_else(|| bad("truncated header"))?;
        if version != 1 {
            return Err(V3Error::unsupported(format!(
                "columnar block version {version} (only version 1 is known)"
            )));
        }
        let ncols = u16_at(data, custom + 1)? as usize;
        let rows = u32_at(data, custom + 3)? as usize;
        let mut cols = Vec::with_capacity(ncols);
        for c in 0..ncols {
            let at = custom + 7 + 5 * c;
            let typ = *data.get(at).ok_or_else(|| bad("truncated column header"))?;
            let start = u32_at(data, at + 1)? as usize;
            if start > data.len() {
                return Err(bad("column page past the block end"));
            }
            cols.push((typ, start));
        }
        // Rows can only be as many as the bytes could describe (a bitmap is 1 bit a row).
        if rows > data.len().saturating_mul(8) + 64 {
            return Err(bad("more rows than the block can hold"));
        }
        Ok(Block { data, rows, cols })
    }

    pub fn columns(&self) -> usize {
        self.cols.len()
    }

    /// Column `i`'s page start, after checking its type.
    fn start(&self, i: usize, typ: u8) -> Result<usize, V3Error> {
        match self.cols.get(i) {
            Some((t, s)) if *t == typ => Ok(*s),
            Some((t, _)) => Err(bad(&format!("column {i} has type {t}, expected {typ}"))),
            None => Err(bad(&format!("no column {i}"))),
        }
    }

    /// Where column `i` must end: the next column's start, or the padding byte.
    fn end(&self, i: usize) -> usize {
        self.cols
            .get(i + 1)
            .map_or(self.data.len().saturating_sub(1), |(_, s)| *s)
    }

    fn check_end(&self, i: usize, end: usize) -> Result<(), V3Error> {
        if end != self.end(i) {
            return Err(bad(&format!(
                "column {i} decodes to offset {end}, not {}",
                self.end(i)
            )));
        }
        Ok(())
    }

    pub fn uints(&self, i: usize) -> Result<Uints<'a>, V3Error> {
        self.uints_n(i, self.rows)
    }

    /// Column `i` as `n` uints (keyspan boundary columns have their own row count).
    pub fn uints_n(&self, i: usize, n: usize) -> Result<Uints<'a>, V3Error> {
        let (u, end) = Uints::decode(self.data, self.start(i, UINT)?, n)?;
        self.check_end(i, end)?;
        Ok(u)
    }

    pub fn bytes(&self, i: usize) -> Result<RawBytes<'a>, V3Error> {
        self.bytes_n(i, self.rows)
    }

    pub fn bytes_n(&self, i: usize, n: usize) -> Result<RawBytes<'a>, V3Error> {
        let (r, end) = RawBytes::decode(self.data, self.start(i, BYTES)?, n)?;
        self.check_end(i, end)?;
        Ok(r)
    }

    pub fn bitmap(&self, i: usize) -> Result<Bitmap<'a>, V3Error> {
        let (b, end) = Bitmap::decode(self.data, self.start(i, BOOL)?, self.rows)?;
        self.check_end(i, end)?;
        Ok(b)
    }

    pub fn prefix_bytes(&self, i: usize) -> Result<PrefixBytes<'a>, V3Error> {
        let (p, end) = PrefixBytes::decode(self.data, self.start(i, PREFIX_BYTES)?, self.rows)?;
        self.check_end(i, end)?;
        Ok(p)
    }
}

/// A uint column: `encoding` (width 0/1/2/4/8, bit 7 = delta), optional u64 base, aligned
/// little-endian values.
#[derive(Clone, Copy)]
pub struct Uints<'a> {
    data: &'a [u8],
    base: u64,
    width: usize,
    off: usize,
}

impl<'a> Uints<'a> {
    fn decode(b: &'a [u8], mut off: usize, n: usize) -> Result<(Uints<'a>, usize), V3Error> {
        if n == 0 {
            return Ok((
                Uints {
                    data: b,
                    base: 0,
                    width: 0,
                    off,
                },
                off,
            ));
        }
        let enc = *b.get(off).ok_or_else(|| bad("truncated uint column"))?;
        off += 1;
        let width = (enc & 0x7f) as usize;
        let delta = enc & 0x80 != 0;
        if !matches!(width, 0 | 1 | 2 | 4 | 8) || (width == 8 && delta) {
            return Err(bad(&format!("uint encoding 0x{enc:02x}")));
        }
        let mut base = 0;
        if delta {
            base = u64_at(b, off)?;
            off += 8;
        }
        if width > 0 {
            off = align(off, width);
        }
        let end = n
            .checked_mul(width)
            .and_then(|k| k.checked_add(off))
            .filter(|e| *e <= b.len())
            .ok_or_else(|| bad("uint column past the block end"))?;
        Ok((
            Uints {
                data: b,
                base,
                width,
                off,
            },
            end,
        ))
    }

    /// Value `i` (`i < len`, checked at decode).
    pub fn at(&self, i: usize) -> u64 {
        let o = self.off + i * self.width;
        let d = self.data;
        let v = match self.width {
            0 => 0,
            1 => u64::from(d[o]),
            2 => u64::from(u16::from_le_bytes([d[o], d[o + 1]])),
            4 => u64::from(u32::from_le_bytes([d[o], d[o + 1], d[o + 2], d[o + 3]])),
            _ => u64::from_le_bytes(d[o..o + 8].try_into().expect("8 bytes")),
        };
        self.base.wrapping_add(v)
    }
}

/// A bytes column: a uint column of `n + 1` offsets, then the data.
#[derive(Clone, Copy)]
pub struct RawBytes<'a> {
    offsets: Uints<'a>,
    data: &'a [u8],
}

impl<'a> RawBytes<'a> {
    fn decode(b: &'a [u8], off: usize, n: usize) -> Result<(RawBytes<'a>, usize), V3Error> {
        if n == 0 {
            let offsets = Uints {
                data: b,
                base: 0,
                width: 0,
                off,
            };
            return Ok((RawBytes { offsets, data: &[] }, off));
        }
        let (offsets, data_off) = Uints::decode(b, off, n + 1)?;
        let data = &b[data_off..];
        // Offsets must rise and stay inside the data.
        let mut prev = 0;
        for i in 0..=n {
            let o = offsets.at(i);
            if o < prev || o as usize > data.len() {
                return Err(bad("bytes column offsets out of order or range"));
            }
            prev = o;
        }
        let end = data_off + offsets.at(n) as usize;
        Ok((RawBytes { offsets, data }, end))
    }

    /// Slice `i`.
    pub fn at(&self, i: usize) -> &'a [u8] {
        &self.data[self.offsets.at(i) as usize..self.offsets.at(i + 1) as usize]
    }
}

/// A bool column: encoding 0 = words of bits (plus summary words), 1 = all false.
pub struct Bitmap<'a> {
    words: Option<(&'a [u8], usize)>,
}

impl<'a> Bitmap<'a> {
    fn decode(b: &'a [u8], off: usize, n: usize) -> Result<(Bitmap<'a>, usize), V3Error> {
        let enc = *b.get(off).ok_or_else(|| bad("truncated bitmap"))?;
        let off = off + 1;
        match enc {
            1 => Ok((Bitmap { words: None }, off)),
            0 => {
                let off = align(off, 8);
                let words = n.div_ceil(64);
                let size = (words + words.div_ceil(64)) * 8;
                if off + size > b.len() {
                    return Err(bad("bitmap past the block end"));
                }
                Ok((
                    Bitmap {
                        words: Some((b, off)),
                    },
                    off + size,
                ))
            }
            e => Err(bad(&format!("bitmap encoding {e}"))),
        }
    }

    pub fn at(&self, i: usize) -> bool {
        match self.words {
            None => false,
            Some((b, off)) => {
                let o = off + (i / 64) * 8;
                let w = u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
                w & (1 << (i % 64)) != 0
            }
        }
    }
}

/// A prefix-compressed bytes column: `log2(bundle size)`, then a bytes column whose offset 0 is
/// the block-wide shared prefix's length and whose slices are, per bundle, the bundle prefix
/// and then one suffix per row. An empty row suffix repeats the previous row of its bundle.
pub struct PrefixBytes<'a> {
    raw: RawBytesNoZero<'a>,
    shift: u32,
    rows: usize,
}

/// The bytes column of a prefix column: slice `j` spans `[offsets[j], offsets[j+1])` and the
/// shared prefix `[0, offsets[0])`.
struct RawBytesNoZero<'a> {
    offsets: Uints<'a>,
    data: &'a [u8],
}

impl<'a> PrefixBytes<'a> {
    fn decode(b: &'a [u8], off: usize, rows: usize) -> Result<(PrefixBytes<'a>, usize), V3Error> {
        if rows == 0 {
            return Err(bad("empty prefix-bytes column"));
        }
        let shift = u32::from(*b.get(off).ok_or_else(|| bad("truncated prefix column"))?);
        if shift > 16 {
            return Err(bad("prefix bundle size over 65536"));
        }
        let bundles = 1 + ((rows - 1) >> shift);
        let (raw, end) = RawBytes::decode(b, off + 1, rows + bundles)?;
        Ok((
            PrefixBytes {
                raw: RawBytesNoZero {
                    offsets: raw.offsets,
                    data: raw.data,
                },
                shift,
                rows,
            },
            end,
        ))
    }

    fn slice(&self, j: usize) -> &'a [u8] {
        let (lo, hi) = (self.raw.offsets.at(j), self.raw.offsets.at(j + 1));
        &self.raw.data[lo as usize..hi as usize]
    }

    /// Row `i`'s key into `out` (cleared first).
    pub fn key(&self, i: usize, out: &mut Vec<u8>) {
        debug_assert!(i < self.rows);
        out.clear();
        let shared = self.raw.offsets.at(0) as usize;
        out.extend_from_slice(&self.raw.data[..shared]);
        let bundle = i >> self.shift;
        let bundle_idx = bundle * ((1 << self.shift) + 1);
        out.extend_from_slice(self.slice(bundle_idx));
        // The row's suffix, or for a duplicate the nearest non-empty one before it in the bundle.
        let mut j = 1 + bundle + i;
        while j > bundle_idx + 1 && self.slice(j).is_empty() {
            j -= 1;
        }
        out.extend_from_slice(self.slice(j));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crafted_headers_are_errors() {
        assert!(Block::new(&[], 0).is_err());
        assert!(Block::new(&[2, 0, 0, 0, 0, 0, 0, 0], 0).is_err());
        // One column whose page starts past the end.
        let b = [1, 1, 0, 1, 0, 0, 0, UINT, 0xff, 0, 0, 0, 0];
        assert!(Block::new(&b, 0).is_err());
    }

    #[test]
    fn uint_and_bytes_columns() {
        // Header: v1, 2 columns, 2 rows; uint at 17, bytes at 20.
        let mut b = vec![1, 2, 0, 2, 0, 0, 0, UINT, 17, 0, 0, 0, BYTES, 20, 0, 0, 0];
        b.extend([1, 5, 9]); // uints width 1: 5, 9
        b.extend([1, 0, 2, 5]); // offsets width 1: 0, 2, 5
        b.extend(b"abcde");
        b.push(0);
        let blk = Block::new(&b, 0).unwrap();
        let u = blk.uints(0).unwrap();
        assert_eq!((u.at(0), u.at(1)), (5, 9));
        let r = blk.bytes(1).unwrap();
        assert_eq!((r.at(0), r.at(1)), (&b"ab"[..], &b"cde"[..]));
        assert!(blk.bitmap(0).is_err(), "wrong type");
    }
}
