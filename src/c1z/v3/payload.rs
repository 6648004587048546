//! The payload after the manifest: the Pebble checkpoint's files, unpacked into a private
//! temporary directory (mode 0700, removed on drop) under the `--max-c1z-bytes` cap.
//! baton-sdk `pkg/dotc1z/format/v3/envelope.go`, `indexed.go`: `TAR_ZSTD` = 1 (and 0), `TAR` = 2,
//! `INDEXED_ZSTD` = 5 = `frame* | index | footer`, footer = `u64 index offset | u32 index length
//! | u64 xxh64(index) | "C1ZIDX1\0"` (big-endian), one zstd frame per file, each checked
//! against its size and xxh64.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use prost::Message;

use super::V3Error;

const INDEX_MAGIC: &[u8; 8] = b"C1ZIDX1\0";
const FOOTER_LEN: u64 = 28;
/// Most files a checkpoint may hold.
const MAX_FILES: usize = 100_000;
/// Largest frame index.
const MAX_INDEX: u64 = 64 << 20;

#[derive(Clone, PartialEq, Message)]
pub(super) struct IndexedFrameIndex {
    #[prost(message, repeated, tag = "1")]
    pub(super) entries: Vec<IndexedFrameEntry>,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct IndexedFrameEntry {
    #[prost(string, tag = "1")]
    pub(super) name: String,
    #[prost(int64, tag = "2")]
    pub(super) frame_offset: i64,
    #[prost(int64, tag = "3")]
    pub(super) compressed_size: i64,
    #[prost(int64, tag = "4")]
    pub(super) raw_size: i64,
    #[prost(fixed64, tag = "5")]
    pub(super) raw_xxh64: u64,
}

/// The unpacked checkpoint.
pub struct Unpacked {
    pub dir: tempfile::TempDir,
    /// File names, in the payload's order.
    pub names: Vec<String>,
}

/// A payload file name is one plain path component: no traversal out of the directory.
fn safe_name(name: &str) -> Result<&str, V3Error> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains('/')
        && !name.contains('\\')
        && !name.contains('\0');
    if ok {
        Ok(name)
    } else {
        Err(V3Error::corrupt(format!(
            "payload file name {name:?} is not a plain file name"
        )))
    }
}

/// Copies `r` into `dir/name`, counting against `budget`; returns the bytes and their xxh64.
fn write_file(
    dir: &Path,
    name: &str,
    r: &mut dyn Read,
    budget: &mut u64,
    max: u64,
) -> Result<(u64, u64), V3Error> {
    let mut out = BufWriter::new(File::create(dir.join(safe_name(name)?))?);
    let mut h = xxhash_rust::xxh64::Xxh64::new(0);
    let mut buf = vec![0u8; 256 << 10];
    let mut n = 0u64;
    loop {
        let k = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(V3Error::corrupt(format!("{name}: {e}"))),
        };
        if *budget < k as u64 {
            return Err(V3Error::TooLarge(max));
        }
        *budget -= k as u64;
        if crate::input::interrupted() {
            return Err(V3Error::Interrupted);
        }
        h.update(&buf[..k]);
        out.write_all(&buf[..k])?;
        n += k as u64;
    }
    out.flush()?;
    Ok((n, h.digest()))
}

/// Unpacks the payload of `path` that starts at `start`, encoded as `encoding`.
pub fn unpack(path: &Path, start: u64, encoding: i32, max: u64) -> Result<Unpacked, V3Error> {
    let dir = tempfile::Builder::new().prefix("baton-lint-").tempdir()?;
    let mut budget = max;
    let mut names = Vec::new();
    let mut f = File::open(path)?;
    match encoding {
        0..=2 => {
            f.seek(SeekFrom::Start(start))?;
            let reader: Box<dyn Read> = if encoding == 2 {
                Box::new(f)
            } else {
                Box::new(
                    zstd::stream::read::Decoder::new(f)
                        .map_err(|e| V3Error::corrupt(format!("zstd payload: {e}")))?,
                )
            };
            let mut ar = tar::Archive::new(reader);
            let entries = ar
                .entries()
                .map_err(|e| V3Error::corrupt(format!("tar payload: {e}")))?;
            for e in entries {
                let mut e = e.map_err(|e| V3Error::corrupt(format!("tar payload: {e}")))?;
                if !e.header().entry_type().is_file() {
                    continue;
                }
                let p = e
                    .path()
                    .map_err(|e| V3Error::corrupt(format!("tar payload: {e}")))?
                    .into_owned();
                // A checkpoint directory may be the tar's top level: keep the file name only,
                // and refuse any `..` on the way.
                if p.components().any(|c| {
                    !matches!(
                        c,
                        std::path::Component::Normal(_) | std::path::Component::CurDir
                    )
                }) {
                    return Err(V3Error::corrupt(format!(
                        "tar entry {} leaves the directory",
                        p.display()
                    )));
                }
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                write_file(dir.path(), &name, &mut e, &mut budget, max)?;
                names.push(name);
                if names.len() > MAX_FILES {
                    return Err(V3Error::corrupt("too many files in the payload".into()));
                }
            }
        }
        5 => {
            let size = f.metadata()?.len();
            if size < start + FOOTER_LEN {
                return Err(V3Error::corrupt("the indexed payload has no footer".into()));
            }
            let mut foot = [0u8; FOOTER_LEN as usize];
            f.seek(SeekFrom::Start(size - FOOTER_LEN))?;
            f.read_exact(&mut foot)?;
            if &foot[20..] != INDEX_MAGIC {
                return Err(V3Error::corrupt(
                    "the indexed payload's footer magic is wrong".into(),
                ));
            }
            let off = u64::from_be_bytes(foot[..8].try_into().expect("8"));
            let len = u64::from(u32::from_be_bytes(foot[8..12].try_into().expect("4")));
            let want = u64::from_be_bytes(foot[12..20].try_into().expect("8"));
            if len > MAX_INDEX
                || off < start
                || off.checked_add(len).is_none_or(|e| e > size - FOOTER_LEN)
            {
                return Err(V3Error::corrupt(
                    "the frame index is out of the payload".into(),
                ));
            }
            let mut idx = vec![0u8; len as usize];
            f.seek(SeekFrom::Start(off))?;
            f.read_exact(&mut idx)?;
            if xxhash_rust::xxh64::xxh64(&idx, 0) != want {
                return Err(V3Error::corrupt("frame index checksum mismatch".into()));
            }
            let index = IndexedFrameIndex::decode(idx.as_slice())
                .map_err(|e| V3Error::corrupt(format!("frame index: {e}")))?;
            if index.entries.len() > MAX_FILES {
                return Err(V3Error::corrupt("too many files in the payload".into()));
            }
            for e in &index.entries {
                let (fo, cs) = (e.frame_offset as u64, e.compressed_size as u64);
                if e.frame_offset < start as i64
                    || e.compressed_size < 0
                    || e.raw_size < 0
                    || fo.checked_add(cs).is_none_or(|end| end > off)
                {
                    return Err(V3Error::corrupt(format!(
                        "frame of {} is out of the payload",
                        e.name
                    )));
                }
                f.seek(SeekFrom::Start(fo))?;
                let frame = (&mut f).take(cs);
                let mut dec = zstd::stream::read::Decoder::new(frame)
                    .map_err(|er| V3Error::corrupt(format!("{}: {er}", e.name)))?
                    .single_frame();
                let (n, h) = write_file(dir.path(), &e.name, &mut dec, &mut budget, max)?;
                if n != e.raw_size as u64 || h != e.raw_xxh64 {
                    return Err(V3Error::corrupt(format!(
                        "{}: checksum or size mismatch ({n} bytes, the index says {})",
                        e.name, e.raw_size
                    )));
                }
                names.push(e.name.clone());
            }
        }
        other => {
            return Err(V3Error::unsupported(format!("payload encoding {other}")));
        }
    }
    Ok(Unpacked { dir, names })
}
