//! Input: stdin or files read in chunks of whole lines by a reader thread and handed to the
//! parser over a bounded channel (backpressure, recycled buffers). Lines longer than the cap are
//! cut for matching and counted; memory stays bounded whatever the input.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, bounded};

/// Default cap on one line's length (`--max-line-bytes`).
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;
/// Bytes read at a time, and so the size of a chunk. 128 KiB: the same instructions as 256 KiB
/// (5 MB log, callgrind), and on two cores the in-flight chunks with their prepared records
/// were a third of the peak memory (200 MB from stdin, -j 2: 20.5 -> 15.2 MiB with the
/// smaller prepared records and pool).
pub(crate) const READ_BUF: usize = 128 << 10;
/// The least free room in a chunk buffer worth a read of its own (see `read_chunks`).
const MIN_ROOM: usize = 16 << 10;
const CHANNEL_CHUNKS: usize = 4;

/// A run of complete lines (the last one may lack its `\n` at end of input).
pub struct Chunk {
    pub data: Vec<u8>,
    /// Byte offset of `data[0]` in the input.
    pub offset: u64,
    /// The chunk is one line cut at the line cap (the rest of that line was not read).
    pub cut: bool,
}

/// What the reader saw besides the lines themselves.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReadStats {
    pub bytes: u64,
    pub truncated_lines: u64,
}

/// Where the chunker puts chunks, and where it gets empty buffers from.
pub trait ChunkSink {
    /// Hands a chunk on; an error stops reading (the consumer is gone).
    fn send(&mut self, chunk: Chunk) -> io::Result<()>;
    /// An empty buffer to fill, recycled if possible.
    fn buffer(&mut self) -> Vec<u8> {
        Vec::with_capacity(READ_BUF)
    }
}

/// The threaded sink: a bounded channel (backpressure) and a pool of recycled buffers.
struct ChannelSink {
    tx: Sender<Chunk>,
    pool: Receiver<Vec<u8>>,
}

impl ChunkSink for ChannelSink {
    fn send(&mut self, chunk: Chunk) -> io::Result<()> {
        self.tx
            .send(chunk)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "consumer stopped"))
    }
    fn buffer(&mut self) -> Vec<u8> {
        let mut v = self
            .pool
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(READ_BUF));
        v.clear();
        v
    }
}

/// What the reader has handed on so far, readable while it runs: what an interrupted run
/// reports (the reader may be blocked in read() and is never joined then).
#[derive(Debug, Default)]
pub struct Progress {
    bytes: std::sync::atomic::AtomicU64,
    truncated_lines: std::sync::atomic::AtomicU64,
}

impl Progress {
    /// The stats as of now.
    pub fn snapshot(&self) -> ReadStats {
        ReadStats {
            bytes: self.bytes.load(Ordering::Relaxed),
            truncated_lines: self.truncated_lines.load(Ordering::Relaxed),
        }
    }
}

/// Bytes handed on by every reader thread of this process: what a progress display shows.
static BYTES_READ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Bytes read so far by all inputs (reader threads), for a progress display.
pub fn bytes_read() -> u64 {
    BYTES_READ.load(Ordering::Relaxed)
}

/// A sink that records [`Progress`] as chunks pass.
struct Tracked<S> {
    inner: S,
    progress: Arc<Progress>,
}

impl<S: ChunkSink> ChunkSink for Tracked<S> {
    fn send(&mut self, chunk: Chunk) -> io::Result<()> {
        let end = chunk.offset + chunk.data.len() as u64 - chunk.cut as u64;
        let before = self.progress.bytes.fetch_max(end, Ordering::Relaxed);
        BYTES_READ.fetch_add(end.saturating_sub(before), Ordering::Relaxed);
        if chunk.cut {
            self.progress
                .truncated_lines
                .fetch_add(1, Ordering::Relaxed);
        }
        self.inner.send(chunk)
    }
    fn buffer(&mut self) -> Vec<u8> {
        self.inner.buffer()
    }
}

/// The reader thread and its progress.
pub(crate) type Reader = (thread::JoinHandle<io::Result<ReadStats>>, Arc<Progress>);

/// Starts the reader thread: `src` cut into chunks for `sink`. Detached in spirit: on SIGINT it
/// may be blocked in read(), and the process ends without waiting for it.
pub(crate) fn spawn_reader<R, S>(src: R, max_line: usize, sink: S) -> io::Result<Reader>
where
    R: Read + Send + 'static,
    S: ChunkSink + Send + 'static,
{
    let progress = Arc::new(Progress::default());
    let mut sink = Tracked {
        inner: sink,
        progress: Arc::clone(&progress),
    };
    let handle = thread::Builder::new()
        .name("baton-lint-reader".into())
        .spawn(move || read_chunks(src, max_line, &mut sink))?;
    Ok((handle, progress))
}

/// The same-thread sink: calls the consumer directly (for readers that cannot move to a
/// thread, such as the members of a tar archive).
struct DirectSink<F> {
    consume: F,
    stopped: bool,
}

impl<F: FnMut(&Chunk) -> bool> ChunkSink for DirectSink<F> {
    fn send(&mut self, chunk: Chunk) -> io::Result<()> {
        if !(self.consume)(&chunk) || interrupted() {
            self.stopped = true;
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "consumer stopped",
            ));
        }
        Ok(())
    }
}

fn take_from(sink: &mut dyn ChunkSink, init: &[u8]) -> Vec<u8> {
    let mut v = sink.buffer();
    v.extend_from_slice(init);
    v
}

/// Reads `src` into chunks of whole lines for `sink`. Sends what is there as soon as a read
/// returns, so a live pipe is processed line by line.
pub fn read_chunks(
    mut src: impl Read,
    max_line: usize,
    sink: &mut dyn ChunkSink,
) -> io::Result<ReadStats> {
    let max_line = max_line.max(1);
    let mut stats = ReadStats::default();
    let mut buf: Vec<u8> = Vec::with_capacity(READ_BUF.min(max_line + 1).max(4096));
    let mut offset = 0u64; // offset of buf[0]
    let mut skipping = false; // discarding the rest of an over-long line
    let mut scratch = vec![0u8; READ_BUF];
    loop {
        // A read fills at most the chunk buffer's free room, so a buffer keeps its capacity
        // (growing every one to twice READ_BUF was 1.2 MiB of a two-core run's peak memory);
        // only a partial line that leaves less than MIN_ROOM makes it grow.
        let room = buf.capacity() - buf.len();
        let want = if room >= MIN_ROOM {
            room.min(READ_BUF)
        } else {
            READ_BUF
        };
        let n = match src.read(&mut scratch[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        stats.bytes += n as u64;
        let mut data = &scratch[..n];
        if skipping {
            match memchr::memchr(b'\n', data) {
                Some(p) => {
                    skipping = false;
                    offset += p as u64 + 1;
                    data = &data[p + 1..];
                }
                None => {
                    offset += n as u64;
                    continue;
                }
            }
        }
        buf.extend_from_slice(data);
        if buf.len() > max_line {
            skipping = cut_long_lines(&mut buf, &mut offset, max_line, &mut stats, sink)?;
        }
        if let Some(p) = memchr::memrchr(b'\n', &buf) {
            let rest = take_from(sink, &buf[p + 1..]);
            buf.truncate(p + 1);
            let data = std::mem::replace(&mut buf, rest);
            let len = data.len() as u64;
            sink.send(Chunk {
                data,
                offset,
                cut: false,
            })?;
            offset += len;
        }
    }
    if !buf.is_empty() {
        sink.send(Chunk {
            data: buf,
            offset,
            cut: false,
        })?;
    }
    Ok(stats)
}

/// Sends every line of `buf` longer than `max` as its own chunk, cut to `max` bytes, with the
/// lines before it as another chunk, so offsets stay exact. Returns true when the incomplete
/// last line was already too long (the rest of it must be skipped).
fn cut_long_lines(
    buf: &mut Vec<u8>,
    offset: &mut u64,
    max: usize,
    stats: &mut ReadStats,
    sink: &mut dyn ChunkSink,
) -> io::Result<bool> {
    let mut start = 0;
    let mut seg_start = 0;
    let mut skipping = false;
    while start < buf.len() {
        let end = memchr::memchr(b'\n', &buf[start..]).map(|p| start + p);
        let line_end = end.unwrap_or(buf.len());
        if line_end - start > max {
            if start > seg_start {
                let data = take_from(sink, &buf[seg_start..start]);
                sink.send(Chunk {
                    data,
                    offset: *offset + seg_start as u64,
                    cut: false,
                })?;
            }
            let mut cut = take_from(sink, &buf[start..start + max]);
            cut.push(b'\n');
            sink.send(Chunk {
                data: cut,
                offset: *offset + start as u64,
                cut: true,
            })?;
            stats.truncated_lines += 1;
            seg_start = end.map_or(buf.len(), |e| e + 1);
            skipping = end.is_none();
        }
        match end {
            Some(e) => start = e + 1,
            None => break,
        }
    }
    if seg_start > 0 {
        buf.drain(..seg_start);
        *offset += seg_start as u64;
    }
    Ok(skipping)
}

/// One decoded line of a chunk.
pub struct ChunkLine<'a> {
    pub text: std::borrow::Cow<'a, str>,
    pub offset: u64,
    pub lossy: bool,
}

/// Splits a chunk into lines (`\n`, with a trailing `\r` removed), decoding invalid UTF-8
/// lossily.
pub fn for_each_line(chunk: &Chunk, mut f: impl FnMut(ChunkLine<'_>)) {
    let data = &chunk.data;
    let mut start = 0usize;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |p| start + p);
        let mut line = &data[start..end];
        if let [head @ .., b'\r'] = line {
            line = head;
        }
        let (text, lossy) = match std::str::from_utf8(line) {
            Ok(s) => (std::borrow::Cow::Borrowed(s), false),
            Err(_) => (String::from_utf8_lossy(line), true),
        };
        f(ChunkLine {
            text,
            offset: chunk.offset + start as u64,
            lossy,
        });
        start = end + 1;
    }
}

/// Grows the stdin pipe to 1 MiB when stdin is a pipe (Linux): a pipe of the default 64 KiB
/// makes the writer and the reader take turns far more often. Failure changes nothing.
pub fn grow_stdin_pipe() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: fcntl on fd 0 with F_SETPIPE_SZ takes an int and touches no memory of ours;
        // on anything but a pipe it fails with EBADF / EINVAL, which is ignored.
        unsafe {
            libc::fcntl(0, libc::F_SETPIPE_SZ, 1 << 20);
        }
    }
}

static INTERRUPTED: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();

/// How long a run may take to stop after SIGINT / SIGTERM before it is ended: long enough to
/// report what was found, short enough that an input that blocks (a FIFO with no writer, a
/// silent pipe) cannot keep the process alive.
pub const SIGNAL_GRACE: Duration = Duration::from_secs(3);

/// Turns SIGINT and SIGTERM into a flag: the stream stops at the next chunk (or within 100 ms
/// when no data comes), and the run reports what it found so far. A second signal ends the
/// process at once (the default action), and so does the grace period running out. Installed
/// first thing in `main`, before anything slow, so an early signal is never lost.
pub fn install_signal_handlers() {
    let flag = INTERRUPTED.get_or_init(|| Arc::new(AtomicBool::new(false)));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // Order matters: the conditional default sees the flag before this signal sets it.
        let _ = signal_hook::flag::register_conditional_default(sig, Arc::clone(flag));
        let _ = signal_hook::flag::register(sig, Arc::clone(flag));
    }
    let flag = Arc::clone(flag);
    let _ = thread::Builder::new()
        .name("baton-lint-signal".into())
        .spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(50));
            }
            thread::sleep(SIGNAL_GRACE);
            eprintln!(
                "baton-lint: still not done {} s after the signal (an input that blocks?); exiting",
                SIGNAL_GRACE.as_secs()
            );
            std::process::exit(130);
        });
}

/// True once SIGINT or SIGTERM arrived (after [`install_signal_handlers`]).
pub fn interrupted() -> bool {
    INTERRUPTED.get().is_some_and(|f| f.load(Ordering::Relaxed))
}

/// Runs `consume` on every chunk of `src` while a reader thread reads ahead. Returns the
/// reader's stats, or its I/O error.
pub fn stream<R, F>(src: R, max_line: usize, mut consume: F) -> io::Result<ReadStats>
where
    R: Read + Send + 'static,
    F: FnMut(&Chunk) -> bool,
{
    let (tx, rx) = bounded::<Chunk>(CHANNEL_CHUNKS);
    let (pool_tx, pool_rx) = bounded::<Vec<u8>>(CHANNEL_CHUNKS + 2);
    let (reader, progress) = spawn_reader(src, max_line, ChannelSink { tx, pool: pool_rx })?;
    loop {
        let chunk = match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(c) => c,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) if interrupted() => {
                // The reader may be blocked in read(): leave it; the process is ending.
                return Ok(progress.snapshot());
            }
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => continue,
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        };
        if !consume(&chunk) || interrupted() {
            break;
        }
        let _ = pool_tx.try_send(chunk.data);
    }
    drop(rx);
    if interrupted() {
        return Ok(progress.snapshot());
    }
    join_reader(reader)
}

/// The reader thread's result once its consumer is done.
pub(crate) fn join_reader(
    reader: thread::JoinHandle<io::Result<ReadStats>>,
) -> io::Result<ReadStats> {
    match reader.join() {
        Ok(Ok(stats)) => Ok(stats),
        // The consumer stopped early (e.g. the output pipe closed): not an input error.
        Ok(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ReadStats::default()),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(io::Error::other("reader thread panicked")),
    }
}

/// Like [`stream`], but in the calling thread: for readers that cannot move to another thread.
pub fn stream_here<R: Read, F: FnMut(&Chunk) -> bool>(
    src: R,
    max_line: usize,
    consume: F,
) -> io::Result<ReadStats> {
    let mut sink = DirectSink {
        consume,
        stopped: false,
    };
    match read_chunks(src, max_line, &mut sink) {
        Err(e) if sink.stopped && e.kind() == io::ErrorKind::BrokenPipe => Ok(ReadStats::default()),
        r => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(input: &[u8], max: usize) -> (Vec<(String, u64)>, ReadStats) {
        let mut out = Vec::new();
        let stats = stream(std::io::Cursor::new(input.to_vec()), max, |c| {
            for_each_line(c, |l| out.push((l.text.into_owned(), l.offset)));
            true
        })
        .unwrap();
        (out, stats)
    }

    #[test]
    fn splits_lines_with_offsets_and_crlf() {
        let (l, s) = lines_of(b"ab\r\ncd\nlast", 100);
        assert_eq!(
            l,
            vec![("ab".into(), 0), ("cd".into(), 4), ("last".into(), 7)]
        );
        assert_eq!(s.bytes, 11);
    }

    #[test]
    fn long_lines_are_cut_and_counted() {
        let mut input = vec![b'x'; 5000];
        input.extend_from_slice(b"\nshort\n");
        let (l, s) = lines_of(&input, 100);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].0.len(), 100);
        assert_eq!(l[1], ("short".into(), 5001));
        assert_eq!(s.truncated_lines, 1);
    }

    #[test]
    fn the_same_thread_path_gives_the_same_lines() {
        let input = b"a\nbb\r\nccc".repeat(50_000);
        let (threaded, _) = lines_of(&input, 1 << 20);
        let mut here = Vec::new();
        stream_here(std::io::Cursor::new(&input), 1 << 20, |c| {
            for_each_line(c, |l| here.push((l.text.into_owned(), l.offset)));
            true
        })
        .unwrap();
        assert_eq!(threaded, here);
    }

    #[test]
    fn chunk_buffers_keep_their_size_and_every_byte() {
        let input: Vec<u8> = (0..20_000u32)
            .flat_map(|i| {
                format!(
                    "{{\"msg\":\"line {i}\",\"pad\":\"{}\"}}\n",
                    "x".repeat((i % 300) as usize)
                )
                .into_bytes()
            })
            .collect();
        let mut joined = Vec::new();
        let mut widest = 0;
        stream_here(std::io::Cursor::new(&input), 1 << 20, |c| {
            widest = widest.max(c.data.capacity());
            joined.extend_from_slice(&c.data);
            true
        })
        .unwrap();
        assert_eq!(joined, input);
        assert!(widest <= READ_BUF, "a chunk buffer grew to {widest} bytes");
    }

    #[test]
    fn invalid_utf8_is_lossy() {
        let (l, _) = lines_of(b"\xff\xfe junk\n", 100);
        assert_eq!(l[0].0, "\u{fffd}\u{fffd} junk");
    }
}
