//! One input, top to bottom: reader thread → lines → parser → engine → findings. Streaming
//! findings are handed to the caller as they fire; the rest come back at the end.

use std::io::{self, Read};
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use crate::engine::Engine;
use crate::event::{Event, EventKind};
use crate::finding::Finding;
use crate::input::{self, for_each_line};
use crate::parse::{Line, Parser};
use crate::prepare::Prepared;
use crate::rules::RuleSet;
use crate::stats::Stats;

/// Builds, on the calling thread, the automata and regexes that linting builds on first use
/// (the baton vocabulary, the vendor vocabulary, the context patterns, the secret patterns).
/// The `check` command runs it on a thread of its own while the rules load, so that a short
/// log does not wait for them after its rules.
pub fn warm_up() {
    LazyLock::force(&BATON_VOCABULARY);
    LazyLock::force(&crate::vendor::VOCABULARY);
    crate::context::warm_up();
    crate::redact::warm_up();
}

/// Words only baton connector logs use: one of them in a zap message marks a baton log.
static BATON_VOCABULARY: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::new([
        "Syncing ",
        "Synced ",
        "Sync complete",
        "finished unary call",
        "finished stream call",
        "base-http-client",
        "HTTP request",
        "Request complete",
        "ratelimit",
        "retrying operation",
        "runner:",
        "c1_api_task_manager",
        "error running connector",
        "Logger created",
        "connector service",
        "sync action",
        "ingest invariant",
        "http cache config",
        "grpc",
        "provisioner",
    ])
    .expect("static patterns")
});

/// What one input produced.
#[derive(Debug, Default)]
pub struct InputResult {
    pub findings: Vec<Finding>,
    pub stats: Stats,
    /// At least one zap message used baton's vocabulary.
    pub baton_seen: bool,
    /// Per resource type progress (the sync overview).
    pub overview: crate::overview::Overview,
}

/// Options for reading one input.
#[derive(Clone, Copy, Debug)]
pub struct ReadOptions {
    pub max_line_bytes: usize,
    /// Threads that parse and evaluate ahead of the engine (0: the engine's thread does it,
    /// a reader thread reads ahead).
    pub workers: usize,
    /// Read, parse and lint in the calling thread, with no thread at all: for a small regular
    /// file, where starting threads costs more than they save (see [`SMALL_FILE_BYTES`]).
    pub in_place: bool,
}

/// A regular file up to this size is linted in place ([`ReadOptions::in_place`]): at
/// about 190 MB/s on one thread it takes a third of a millisecond, about what starting the
/// reader and two workers costs (a 20-line log: 10.05 -> 9.44 ms median; its peak RSS did
/// not change).
pub const SMALL_FILE_BYTES: u64 = 64 << 10;

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_line_bytes: input::DEFAULT_MAX_LINE_BYTES,
            workers: 0,
            in_place: false,
        }
    }
}

/// The state of one input on its way through parser and engine.
struct Linter<'r> {
    engine: Engine<'r>,
    parser: Parser,
    overview: crate::overview::Overview,
    line_no: u64,
    lossy: u64,
    baton_seen: bool,
}

impl<'r> Linter<'r> {
    fn new(rules: &'r RuleSet, path: &str) -> Self {
        Linter {
            engine: Engine::new(rules, path),
            parser: Parser::new(),
            overview: crate::overview::Overview::default(),
            line_no: 0,
            lossy: 0,
            baton_seen: false,
        }
    }

    fn on_event(
        engine: &mut Engine<'_>,
        overview: &mut crate::overview::Overview,
        baton_seen: &mut bool,
        ev: &Event<'_>,
        hits: Option<&[crate::rules::SlotHit]>,
    ) {
        if !*baton_seen
            && matches!(
                ev.kind,
                EventKind::Json | EventKind::Console | EventKind::MultiLineJson
            )
            && BATON_VOCABULARY.is_match(ev.msg.as_ref())
        {
            *baton_seen = true;
        }
        overview.observe(ev);
        engine.on_event(ev, hits);
    }

    /// Feeds one chunk (with its prepared records, if a worker made them); returns the findings
    /// it opened (for streaming sinks).
    fn feed(&mut self, chunk: &crate::input::Chunk, prepared: Option<&Prepared>) -> Vec<Finding> {
        let Linter {
            engine,
            parser,
            overview,
            line_no,
            lossy,
            baton_seen,
        } = self;
        let mut index = 0;
        for_each_line(chunk, |l| {
            *line_no += 1;
            *lossy += l.lossy as u64;
            let line = Line {
                text: &l.text,
                number: *line_no,
                offset: l.offset,
            };
            let pre = prepared.and_then(|p| p.get(index, &l.text));
            index += 1;
            let (record, hits) = match pre {
                Some(p) => (Some(p.record), p.hits),
                None => (None, None),
            };
            parser.push_pre(line, record, &mut |ev, from_pre| {
                let hits = if from_pre { hits } else { None };
                Self::on_event(engine, overview, baton_seen, ev, hits)
            });
        });
        engine.drain_new()
    }

    /// Ends the input.
    fn finish(
        mut self,
        read: crate::input::ReadStats,
        on_new: &mut dyn FnMut(&Finding) -> io::Result<()>,
    ) -> io::Result<InputResult> {
        let Linter {
            engine,
            parser,
            overview,
            baton_seen,
            ..
        } = &mut self;
        parser.finish(&mut |ev| Self::on_event(engine, overview, baton_seen, ev, None));
        for f in self.engine.drain_new() {
            on_new(&f)?;
        }
        let (findings, overflowed) = self.engine.finish();
        // Findings held back until the input ended (they defer to other rules) stream now.
        for f in findings.iter().filter(|f| !f.streamed) {
            on_new(f)?;
        }
        let mut stats = self.parser.stats;
        stats.bytes = read.bytes;
        stats.truncated_lines = read.truncated_lines;
        stats.lossy_lines = self.lossy;
        stats.overflowed_findings = overflowed;
        let mut overview = self.overview;
        overview.count_findings(&findings);
        Ok(InputResult {
            findings,
            stats,
            baton_seen: self.baton_seen,
            overview,
        })
    }
}

/// Drives one input through a linter: `read` runs the chunker with the consumer it is given
/// (each chunk with its prepared records when workers made them).
fn drive(
    rules: &RuleSet,
    path: &str,
    on_new: &mut dyn FnMut(&Finding) -> io::Result<()>,
    read: impl FnOnce(
        &mut dyn FnMut(&input::Chunk, Option<&Prepared>) -> bool,
    ) -> io::Result<input::ReadStats>,
) -> io::Result<InputResult> {
    let mut linter = Linter::new(rules, path);
    let mut sink_err: Option<io::Error> = None;
    let stats = read(&mut |chunk, prepared| {
        for f in linter.feed(chunk, prepared) {
            if let Err(e) = on_new(&f) {
                sink_err = Some(e);
                return false;
            }
        }
        true
    });
    if let Some(e) = sink_err {
        return Err(e);
    }
    linter.finish(stats?, on_new)
}

/// Lints one input stream named `path` (a reader thread reads ahead). `on_new` sees each
/// finding when it fires; an error from it (a closed output pipe) stops the input and is
/// returned.
pub fn lint_reader<R: Read + Send + 'static>(
    rules: &RuleSet,
    src: R,
    path: &str,
    opts: ReadOptions,
    on_new: &mut dyn FnMut(&Finding) -> io::Result<()>,
) -> io::Result<InputResult> {
    if opts.workers == 0 {
        return drive(rules, path, on_new, |consume| {
            input::stream(src, opts.max_line_bytes, |c| consume(c, None))
        });
    }
    drive(rules, path, on_new, |consume| {
        crate::pipeline::stream_prepared(
            src,
            opts.max_line_bytes,
            opts.workers,
            |chunk, p: &mut Prepared| p.fill(chunk, rules),
            |chunk, p| consume(chunk, Some(p)),
        )
    })
}

/// [`lint_reader`] in the calling thread, for readers that cannot move (tar members).
pub fn lint_reader_here<R: Read>(
    rules: &RuleSet,
    src: R,
    path: &str,
    opts: ReadOptions,
    on_new: &mut dyn FnMut(&Finding) -> io::Result<()>,
) -> io::Result<InputResult> {
    drive(rules, path, on_new, |consume| {
        input::stream_here(src, opts.max_line_bytes, |c| consume(c, None))
    })
}

/// Lints text in memory (tests, `baton-lint test`): all findings, no streaming.
pub fn lint_text(rules: &RuleSet, text: &str, path: &str) -> InputResult {
    let cursor = io::Cursor::new(text.as_bytes().to_vec());
    lint_reader(rules, cursor, path, ReadOptions::default(), &mut |_| Ok(()))
        .expect("reading memory cannot fail")
}
