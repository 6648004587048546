//! How an input is opened before its lines are read: what its first bytes say it is (gzip,
//! zstd, tar, `.c1z`, UTF-16 or UTF-8 text), sniffed from the *same* reader that is then read
//! (a FIFO, `/dev/stdin` or `<(…)` loses no byte), decompressed under a cap on the decompressed
//! size, and transcoded to UTF-8 when the log is UTF-16. What a reader had to give up on (a cap
//! reached, trailing garbage after a gzip stream) becomes a notice, and the lines read before it
//! keep their findings.

use std::io::{self, Cursor, Read};
use std::sync::{Arc, Mutex};

/// Default cap on the decompressed size of one log stream (`--max-decompressed-bytes`).
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: u64 = 64 << 30;

/// What the first bytes say a stream is.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Kind {
    Gzip,
    Zstd,
    Tar,
    C1z,
    Plain,
}

/// The kind of a stream whose first bytes are `head`.
pub fn kind_of(head: &[u8]) -> Kind {
    if head.starts_with(crate::c1z::MAGIC_V1) || head.starts_with(crate::c1z::MAGIC_V3) {
        Kind::C1z
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Kind::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Kind::Zstd
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Kind::Tar
    } else {
        Kind::Plain
    }
}

/// A stream whose first bytes were read ahead, put back in front of the rest.
pub type Peeked<R> = io::Chain<Cursor<Vec<u8>>, R>;

/// Reads ahead until at least `min` bytes (or end of input) and at most `max`, returning them
/// and a reader that yields every byte. Stops as soon as `min` are there, so a live pipe is
/// not held up waiting for more.
pub fn peek<R: Read>(mut r: R, min: usize, max: usize) -> io::Result<(Vec<u8>, Peeked<R>)> {
    let mut head = vec![0u8; max];
    let mut n = 0;
    while n < min {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(n);
    let cursor = Cursor::new(head.clone());
    Ok((head, cursor.chain(r)))
}

/// Notices the readers of one stream leave for its report.
#[derive(Clone, Default, Debug)]
pub struct Notes(Arc<Mutex<Vec<String>>>);

impl Notes {
    /// Adds a notice.
    pub fn push(&self, s: String) {
        if let Ok(mut v) = self.0.lock() {
            v.push(s);
        }
    }
    /// Takes every notice so far.
    pub fn take(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

/// A decompressing reader held to a cap on what it yields, and forgiving at its end: an error
/// after some data (trailing garbage, a truncated last block) ends the stream with a notice
/// instead of losing what was read, as gzip(1) does with a warning.
pub struct Guarded<R> {
    inner: R,
    what: &'static str,
    name: String,
    read: u64,
    cap: u64,
    notes: Notes,
    done: bool,
}

impl<R: Read> Guarded<R> {
    /// `what` names the format in notices (`gzip`), `name` the input.
    pub fn new(inner: R, what: &'static str, name: &str, cap: u64, notes: Notes) -> Self {
        Guarded {
            inner,
            what,
            name: name.to_string(),
            read: 0,
            cap,
            notes,
            done: false,
        }
    }
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        if self.read >= self.cap {
            self.done = true;
            self.notes.push(format!(
                "{}: decompressed size reached the cap of {} bytes (--max-decompressed-bytes); the rest was not read",
                self.name, self.cap
            ));
            return Ok(0);
        }
        let room = usize::try_from(self.cap - self.read).unwrap_or(usize::MAX);
        let want = buf.len().min(room);
        match self.inner.read(&mut buf[..want]) {
            Ok(n) => {
                self.read += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) if self.read > 0 => {
                self.done = true;
                self.notes.push(format!(
                    "{}: {} data ended badly after {} decompressed bytes ({e}); what came before was linted, the rest was ignored",
                    self.name, self.what, self.read
                ));
                Ok(0)
            }
            Err(e) => Err(io::Error::new(e.kind(), format!("{}: {e}", self.what))),
        }
    }
}

/// Text as UTF-8: a UTF-8 byte-order mark is dropped, and UTF-16 (the NUL of every other
/// byte that ASCII text in UTF-16 has, after a byte-order mark or without one) is transcoded. Returns the reader
/// and the encoding's name when it was not UTF-8.
pub fn utf8_text<'a>(
    head: &[u8],
    r: Box<dyn Read + Send + 'a>,
) -> (Box<dyn Read + Send + 'a>, Option<&'static str>) {
    // A BOM alone is two bytes any binary noise can start with: the text after it must look
    // like UTF-16 too (logs are mostly ASCII: every other byte NUL).
    let body = if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        &head[2..]
    } else {
        head
    };
    let utf16 = if looks_utf16(body, 1) {
        Some(encoding_rs::UTF_16LE)
    } else if looks_utf16(body, 0) {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    };
    if let Some(enc) = utf16 {
        let dec = encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(Some(enc))
            .bom_sniffing(true)
            .build(r);
        return (Box::new(dec), Some(enc.name()));
    }
    let mut r = r;
    if head.starts_with(&[0xef, 0xbb, 0xbf]) {
        // The three bytes are there: `head` was read from this reader.
        let _ = r.read_exact(&mut [0u8; 3]);
    }
    (r, None)
}

/// ASCII text in UTF-16: the byte at `zero` of (nearly) every pair is NUL, the other is not.
fn looks_utf16(head: &[u8], zero: usize) -> bool {
    let pairs: Vec<&[u8]> = head.chunks_exact(2).take(64).collect();
    if pairs.len() < 4 {
        return false;
    }
    let hits = pairs
        .iter()
        .filter(|p| p[zero] == 0 && p[1 - zero] != 0)
        .count();
    hits * 10 >= pairs.len() * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(kind_of(b"C1ZF\0rest"), Kind::C1z);
        assert_eq!(kind_of(b"C1Z3\0rest"), Kind::C1z);
        assert_eq!(kind_of(&[0x1f, 0x8b, 8]), Kind::Gzip);
        assert_eq!(kind_of(b"{\"level\""), Kind::Plain);
    }

    #[test]
    fn peeked_bytes_are_not_lost() {
        let (head, mut r) = peek(&b"hello world"[..], 5, 512).unwrap();
        assert!(head.len() >= 5);
        let mut all = String::new();
        r.read_to_string(&mut all).unwrap();
        assert_eq!(all, "hello world");
    }

    #[test]
    fn utf16_and_bom() {
        let text = "{\"msg\":\"x\"}\n";
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(text.encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        let (mut r, enc) = utf8_text(&le, Box::new(Cursor::new(le.clone())));
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        assert_eq!((out.as_str(), enc), (text, Some("UTF-16LE")));
        // Without a BOM, told by its NULs.
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let (mut r, enc) = utf8_text(&be, Box::new(Cursor::new(be.clone())));
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        assert_eq!((out.as_str(), enc), (text, Some("UTF-16BE")));
        let bom = b"\xef\xbb\xbfabc".to_vec();
        let (mut r, _) = utf8_text(&bom, Box::new(Cursor::new(bom.clone())));
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        assert_eq!(out, "abc");
    }

    #[test]
    fn guarded_keeps_what_came_before_an_error_and_stops_at_the_cap() {
        struct Bad(u8);
        impl Read for Bad {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("invalid gzip header"));
                }
                self.0 -= 1;
                buf[0] = b'x';
                Ok(1)
            }
        }
        let notes = Notes::default();
        let mut out = Vec::new();
        Guarded::new(Bad(3), "gzip", "a.gz", 100, notes.clone())
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"xxx");
        assert!(notes.take()[0].contains("ended badly after 3"));
        let mut out = Vec::new();
        Guarded::new(&[b'y'; 50][..], "zstd", "a.zst", 10, notes.clone())
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out.len(), 10);
        assert!(notes.take()[0].contains("cap of 10 bytes"));
    }
}
