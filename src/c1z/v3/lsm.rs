//! The Pebble MANIFEST, replayed to the live set of tables (pebble v2.1.5
//! `internal/manifest/version_edit.go`, `record/record.go`). The MANIFEST is a LevelDB log
//! (32 KiB blocks of checksummed chunks) of version edits; the current one is named by the
//! `marker.manifest.NNNNNN.MANIFEST-XXXXXX` file. Merging every table in the directory instead
//! would resurrect excised and compacted-away records.

use std::collections::BTreeMap;
use std::path::Path;

use super::V3Error;
use super::block::{masked_crc, uvarint};

/// Largest MANIFEST read (baton-sdk's are a few KiB).
const MAX_MANIFEST: u64 = 64 << 20;

/// One internal key bound: user key and trailer (`seq << 8 | kind`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound {
    pub key: Vec<u8>,
    pub trailer: u64,
}

impl Bound {
    fn decode(b: &[u8]) -> Result<Bound, V3Error> {
        if b.len() < 8 {
            return Err(bad("an internal key shorter than its trailer"));
        }
        let (k, t) = b.split_at(b.len() - 8);
        Ok(Bound {
            key: k.to_vec(),
            trailer: u64::from_le_bytes(t.try_into().expect("8")),
        })
    }
}

/// Orders internal keys as Pebble does: user key ascending, then trailer descending.
pub fn cmp_internal(a: (&[u8], u64), b: (&[u8], u64)) -> std::cmp::Ordering {
    a.0.cmp(b.0).then(b.1.cmp(&a.1))
}

/// A live table: the file to read, and what the MANIFEST says of it.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveTable {
    pub level: u32,
    pub num: u64,
    /// The sstable file that holds the points: `num` itself, or a virtual table's backing.
    pub file_num: u64,
    pub virtual_bounds: Option<(Bound, Bound)>,
    pub smallest_seq: u64,
    pub largest_seq: u64,
}

/// The replayed MANIFEST.
#[derive(Debug, Default)]
pub struct Version {
    pub tables: Vec<LiveTable>,
    /// The last sequence number the MANIFEST recorded (no point may be newer).
    pub last_seq: u64,
}

fn bad(what: &str) -> V3Error {
    V3Error::corrupt(format!("Pebble MANIFEST: {what}"))
}

/// The current MANIFEST's file name, from the newest marker in `dir`'s listing.
pub fn current_manifest(names: &[String]) -> Result<String, V3Error> {
    names
        .iter()
        .filter_map(|n| {
            let rest = n.strip_prefix("marker.manifest.")?;
            let (seq, file) = rest.split_once('.')?;
            Some((seq.parse::<u64>().ok()?, file.to_string()))
        })
        .max()
        .map(|(_, f)| f)
        .ok_or_else(|| bad("no `marker.manifest.*` file names the current MANIFEST"))
}

/// The records of a LevelDB log (legacy chunk types 1 full, 2 first, 3 middle, 4 last).
fn log_records(data: &[u8]) -> Result<Vec<Vec<u8>>, V3Error> {
    const BLOCK: usize = 32 * 1024;
    let mut out = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    let mut pos = 0;
    while pos < data.len() {
        let left = BLOCK - pos % BLOCK;
        if left < 7 {
            pos += left;
            continue;
        }
        if pos + 7 > data.len() {
            break;
        }
        let h = &data[pos..pos + 7];
        let crc = u32::from_le_bytes(h[..4].try_into().expect("4"));
        let len = u16::from_le_bytes([h[4], h[5]]) as usize;
        let typ = h[6];
        if typ == 0 && len == 0 && crc == 0 {
            // Zero padding (a preallocated tail).
            pos += left;
            continue;
        }
        let body = data
            .get(pos + 7..pos + 7 + len)
            .ok_or_else(|| bad("a chunk runs past the end"))?;
        if len > left - 7 {
            return Err(bad("a chunk crosses a block boundary"));
        }
        if masked_crc(&[&[typ], body]) != crc {
            return Err(bad("chunk checksum mismatch"));
        }
        match typ {
            1 => out.push(body.to_vec()),
            2 => cur = Some(body.to_vec()),
            3 | 4 => {
                let c = cur
                    .as_mut()
                    .ok_or_else(|| bad("a continuation chunk with no start"))?;
                c.extend_from_slice(body);
                if typ == 4 {
                    out.push(cur.take().expect("set"));
                }
            }
            t => {
                return Err(V3Error::unsupported(format!(
                    "Pebble MANIFEST: log chunk type {t} (only the legacy types 1-4 are read)"
                )));
            }
        }
        pos += 7 + len;
    }
    Ok(out)
}

/// A cursor over one version edit's bytes.
struct Cur<'a>(&'a [u8]);

impl Cur<'_> {
    fn uvarint(&mut self) -> Result<u64, V3Error> {
        let (v, n) = uvarint(self.0).ok_or_else(|| bad("truncated varint"))?;
        self.0 = &self.0[n..];
        Ok(v)
    }

    fn bytes(&mut self) -> Result<Vec<u8>, V3Error> {
        let n = self.uvarint()? as usize;
        if n > self.0.len() {
            return Err(bad("truncated field"));
        }
        let (b, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(b.to_vec())
    }

    fn byte(&mut self) -> Result<u8, V3Error> {
        let (&b, rest) = self.0.split_first().ok_or_else(|| bad("truncated"))?;
        self.0 = rest;
        Ok(b)
    }
}

/// Replays `manifest` (the MANIFEST file) to the live tables.
pub fn replay(manifest: &Path) -> Result<Version, V3Error> {
    let size = std::fs::metadata(manifest)
        .map_err(|e| bad(&e.to_string()))?
        .len();
    if size > MAX_MANIFEST {
        return Err(bad("over 64 MiB"));
    }
    let data = std::fs::read(manifest).map_err(|e| bad(&e.to_string()))?;
    let mut live: BTreeMap<(u32, u64), LiveTable> = BTreeMap::new();
    let mut last_seq = 0;
    for rec in log_records(&data)? {
        let mut c = Cur(&rec);
        while !c.0.is_empty() {
            let tag = c.uvarint()?;
            match tag {
                1 => {
                    let name = c.bytes()?;
                    if name != b"leveldb.BytewiseComparator" {
                        return Err(V3Error::unsupported(format!(
                            "Pebble MANIFEST: comparer {:?} (only the bytewise comparer is read)",
                            String::from_utf8_lossy(&name)
                        )));
                    }
                }
                2 | 3 | 9 => {
                    c.uvarint()?;
                }
                4 => last_seq = c.uvarint()?,
                5 => {
                    c.uvarint()?;
                    c.bytes()?;
                }
                6 => {
                    let level = c.uvarint()? as u32;
                    let num = c.uvarint()?;
                    live.remove(&(level, num));
                }
                // Backing tables of virtual tables: the new-file entries name them.
                105 => {
                    c.uvarint()?;
                    c.uvarint()?;
                }
                106 => {
                    c.uvarint()?;
                }
                7 | 100 | 102 | 103 | 104 => {
                    let t = new_file(&mut c, tag)?;
                    live.insert((t.level, t.num), t);
                }
                107 | 108 => {
                    return Err(V3Error::unsupported(
                        "Pebble MANIFEST: blob files (value separation) are not read".into(),
                    ));
                }
                t => {
                    return Err(V3Error::unsupported(format!(
                        "Pebble MANIFEST: version edit tag {t}"
                    )));
                }
            }
        }
    }
    Ok(Version {
        tables: live.into_values().collect(),
        last_seq,
    })
}

fn new_file(c: &mut Cur<'_>, tag: u64) -> Result<LiveTable, V3Error> {
    let level = c.uvarint()?;
    if level >= 7 {
        return Err(bad("a level over 6"));
    }
    let num = c.uvarint()?;
    if tag == 102 {
        c.uvarint()?;
    }
    c.uvarint()?; // size
    let (smallest, largest) = if tag == 104 {
        let marker = c.byte()?;
        let mut point = None;
        if marker & 1 != 0 {
            point = Some((Bound::decode(&c.bytes()?)?, Bound::decode(&c.bytes()?)?));
        }
        // Range-key bounds (baton-sdk writes no range keys; they bound nothing we read).
        c.bytes()?;
        c.bytes()?;
        point.unwrap_or((
            Bound {
                key: Vec::new(),
                trailer: u64::MAX,
            },
            Bound {
                key: Vec::new(),
                trailer: 0,
            },
        ))
    } else {
        (Bound::decode(&c.bytes()?)?, Bound::decode(&c.bytes()?)?)
    };
    let (mut smallest_seq, mut largest_seq) = (0, 0);
    if tag != 7 {
        smallest_seq = c.uvarint()?;
        largest_seq = c.uvarint()?;
    }
    let mut backing = None;
    if tag == 103 || tag == 104 {
        loop {
            let custom = c.uvarint()?;
            match custom {
                1 => break,
                66 => backing = Some(c.uvarint()?),
                67 | 68 => {
                    return Err(V3Error::unsupported(
                        "Pebble MANIFEST: a table with a synthetic key prefix or suffix".into(),
                    ));
                }
                69 => {
                    return Err(V3Error::unsupported(
                        "Pebble MANIFEST: a table with blob references".into(),
                    ));
                }
                t if t & 64 != 0 => {
                    return Err(V3Error::unsupported(format!(
                        "Pebble MANIFEST: new-file custom tag {t}"
                    )));
                }
                _ => {
                    c.bytes()?;
                }
            }
        }
    }
    Ok(LiveTable {
        level: level as u32,
        num,
        file_num: backing.unwrap_or(num),
        virtual_bounds: backing.map(|_| (smallest, largest)),
        smallest_seq,
        largest_seq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A LevelDB log of `records`, each in one full chunk.
    pub fn log_of(records: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for r in records {
            let crc = masked_crc(&[&[1], r]);
            out.extend(crc.to_le_bytes());
            out.extend((r.len() as u16).to_le_bytes());
            out.push(1);
            out.extend(r);
        }
        out
    }

    #[test]
    fn markers_pick_the_newest_manifest() {
        let names = [
            "marker.manifest.000001.MANIFEST-000005".to_string(),
            "marker.manifest.000002.MANIFEST-000021".to_string(),
            "000004.sst".to_string(),
        ];
        assert_eq!(current_manifest(&names).unwrap(), "MANIFEST-000021");
        assert!(current_manifest(&names[2..]).is_err());
    }

    #[test]
    fn a_flipped_byte_is_a_checksum_error() {
        let mut log = log_of(&[vec![4, 40]]);
        assert_eq!(log_records(&log).unwrap(), vec![vec![4, 40]]);
        log[8] ^= 1;
        assert!(
            log_records(&log)
                .unwrap_err()
                .to_string()
                .contains("checksum")
        );
    }
}
