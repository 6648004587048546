//! Lines → typed events. Each line is detected on its own (zap JSON, zap console, plain text),
//! so formats mix freely in one stream; two kinds span several lines and are reassembled here:
//! a JSON record pretty-printed by `jq` and a Go panic with its goroutine trace.

pub mod console;
pub mod container;
pub mod json;
pub mod scan;
pub mod text;

use std::borrow::Cow;

use crate::event::{Event, EventKind, Span, Timestamp, Value};
use crate::stats::Stats;

/// Caps on multi-line reassembly, so memory stays bounded whatever the input.
const MAX_BLOCK_BYTES: usize = 1 << 20;
const MAX_BLOCK_LINES: u64 = 20_000;

/// One physical line handed to the parser.
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    /// The text, without its line terminator.
    pub text: &'a str,
    /// 1-based line number in the input.
    pub number: u64,
    /// Byte offset of the line's start in the input.
    pub offset: u64,
}

enum Pending {
    None,
    /// A pretty-printed JSON record being collected; `depth` counts open braces.
    JsonBlock {
        first: u64,
        offset: u64,
        depth: i64,
        in_str: bool,
        escaped: bool,
        /// Byte end of each collected line in `buf`.
        ends: Vec<usize>,
    },
    /// A panic report being collected.
    Panic {
        first: u64,
        last: u64,
        offset: u64,
    },
}

/// The streaming parser for one input. Feed it lines with [`Parser::push`], then call
/// [`Parser::finish`]; it calls `emit` with each event as soon as the event is complete.
pub struct Parser {
    pending: Pending,
    buf: String,
    last_ts: Option<Timestamp>,
    /// Per-kind event and line counts (the reader adds bytes, lossy and truncated lines).
    pub stats: Stats,
    /// Partial container-runtime lines waiting for the part that ends them.
    joiner: container::Joiner,
    /// Partial lines the joiner holds (counted once the line they belong to is read), and the
    /// line number and offset of the last one.
    parts: u64,
    part_at: (u64, u64),
    /// Physical lines joined into the next event (counted with its kind).
    joined_lines: u64,
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new()
    }
}

impl Parser {
    /// A parser with no pending state.
    pub fn new() -> Parser {
        Parser {
            pending: Pending::None,
            buf: String::new(),
            last_ts: None,
            stats: Stats::default(),
            joiner: container::Joiner::default(),
            parts: 0,
            part_at: (0, 0),
            joined_lines: 0,
        }
    }

    /// Parses one line; emits zero or more events (a finished multi-line event first).
    pub fn push(&mut self, line: Line<'_>, emit: &mut dyn FnMut(&Event<'_>)) {
        self.push_pre(line, None, &mut |ev, _| emit(ev));
    }

    /// [`Parser::push`] with the line's JSON record already parsed (by a worker, see
    /// `prepare`); `emit` is told which event came from that record.
    pub fn push_pre<'a>(
        &mut self,
        line: Line<'a>,
        pre: Option<json::Record<'a>>,
        emit: &mut Emit<'_>,
    ) {
        self.stats.lines += 1;
        // A container runtime's line (CRI, kubectl --timestamps, Docker json-file) holds the
        // connector's line: read that one.
        let owned;
        let (inner, unwrapped) = match container::unwrap(line.text, &mut self.joiner) {
            container::Unwrapped::Plain => (line.text, false),
            container::Unwrapped::Inner(s) => (s, true),
            container::Unwrapped::Owned(s) => {
                // The parts it was joined from are lines of the event it makes (not of
                // whatever line came between them: fuzzing, `parse_lines`).
                self.joined_lines += std::mem::take(&mut self.parts);
                owned = s;
                (owned.as_str(), true)
            }
            container::Unwrapped::Partial => {
                self.parts += 1;
                self.part_at = (line.number, line.offset);
                return;
            }
        };
        let stripped = without_ansi(inner);
        let text = stripped.as_ref();
        // An unwrapped or stripped line is not the line a record was prepared from.
        let pre = if !unwrapped && text.len() == line.text.len() {
            pre
        } else {
            None
        };
        let line = Line { text, ..line };
        match self.pending {
            Pending::None => {}
            Pending::JsonBlock { .. } => {
                if self.continue_block(line, emit) {
                    return;
                }
            }
            Pending::Panic { .. } => {
                if text::continues_panic(line.text) && self.buf.len() < MAX_BLOCK_BYTES {
                    if let Pending::Panic { last, first, .. } = &mut self.pending {
                        if line.number - *first < MAX_BLOCK_LINES {
                            *last = line.number;
                            self.buf.push('\n');
                            self.buf.push_str(line.text);
                            return;
                        }
                    }
                }
                self.flush_panic(emit);
            }
        }
        self.single(line, pre, emit);
    }

    /// Ends the input: whatever is pending is emitted.
    pub fn finish(&mut self, emit: &mut dyn FnMut(&Event<'_>)) {
        self.finish_pre(&mut |ev, _| emit(ev));
    }

    /// [`Parser::finish`] for callers of [`Parser::push_pre`].
    pub fn finish_pre(&mut self, emit: &mut Emit<'_>) {
        // A partial container line never ended: what it holds (an empty text if its parts
        // were empty) is read on its own at its last part's line, after any block that opened
        // after it (read as a line of that block, it was numbered past the input's end:
        // fuzzing, `parse_lines`).
        let rest = self.joiner.take();
        let parts = std::mem::take(&mut self.parts);
        if parts > 0 {
            self.flush_pending(emit);
            let rest = rest.unwrap_or_default();
            let stripped = without_ansi(&rest);
            self.joined_lines += parts - 1;
            let (number, offset) = self.part_at;
            self.single(
                Line {
                    text: &stripped,
                    number,
                    offset,
                },
                None,
                emit,
            );
        }
        self.flush_pending(emit);
    }

    /// Emits the multi-line event still open, if any.
    fn flush_pending(&mut self, emit: &mut Emit<'_>) {
        match self.pending {
            Pending::None => {}
            Pending::JsonBlock { .. } => self.flush_block_as_text(emit),
            Pending::Panic { .. } => self.flush_panic(emit),
        }
    }

    /// A line outside any multi-line event.
    fn single<'a>(&mut self, line: Line<'a>, pre: Option<json::Record<'a>>, emit: &mut Emit<'_>) {
        let span = Span {
            first_line: line.number,
            last_line: line.number,
            byte_offset: line.offset,
        };
        let t = line.text.trim_start();
        if t.starts_with('{') {
            let Some(body) = json_body(line.text) else {
                self.buf.clear();
                self.buf.push_str(line.text);
                self.pending = Pending::JsonBlock {
                    first: line.number,
                    offset: line.offset,
                    depth: 1,
                    in_str: false,
                    escaped: false,
                    ends: vec![self.buf.len()],
                };
                return;
            };
            let from_pre = pre.is_some();
            let rec = pre.or_else(|| json::parse_record(body, true));
            if let Some(rec) = rec {
                let ev = self.record_event(rec, line.text, span, EventKind::Json);
                self.count(EventKind::Json, 1);
                emit(&ev, from_pre);
                return;
            }
            self.stats.malformed_json += 1;
        } else if let Some(c) = console::parse_line(line.text) {
            let mut ev = Event {
                kind: EventKind::Console,
                span,
                ts: Some(c.ts),
                ts_inherited: false,
                level: Some(c.level),
                caller: c.caller.map(Cow::Borrowed),
                msg: Cow::Borrowed(c.msg),
                error: None,
                fields: Vec::new(),
                raw: Cow::Borrowed(line.text),
                nested: Default::default(),
                derived: Default::default(),
                slots: Default::default(),
            };
            if let Some(rec) = c.fields.and_then(|f| json::parse_record(f, false)) {
                ev.error = rec.error;
                ev.fields = rec.fields;
            }
            self.last_ts = ev.ts;
            self.count(EventKind::Console, 1);
            emit(&ev, false);
            return;
        } else if text::starts_panic(line.text) {
            self.buf.clear();
            self.buf.push_str(line.text);
            self.pending = Pending::Panic {
                first: line.number,
                last: line.number,
                offset: line.offset,
            };
            return;
        }
        let mut ev = Event::text(line.text, span);
        self.inherit_ts(&mut ev);
        self.count(EventKind::Text, 1);
        emit(&ev, false);
    }

    fn json_event<'a>(
        &mut self,
        body: &'a str,
        raw: &'a str,
        span: Span,
        kind: EventKind,
    ) -> Option<Event<'a>> {
        let rec = json::parse_record(body, true)?;
        Some(self.record_event(rec, raw, span, kind))
    }

    fn record_event<'a>(
        &mut self,
        rec: json::Record<'a>,
        raw: &'a str,
        span: Span,
        kind: EventKind,
    ) -> Event<'a> {
        let mut ev = event_of_record(rec, raw, span, kind);
        if ev.ts.is_some() {
            self.last_ts = ev.ts;
        } else {
            self.inherit_ts(&mut ev);
        }
        ev
    }

    fn inherit_ts(&self, ev: &mut Event<'_>) {
        if ev.ts.is_none() && self.last_ts.is_some() {
            ev.ts = self.last_ts;
            ev.ts_inherited = true;
        }
    }

    fn count(&mut self, kind: EventKind, lines: u64) {
        self.stats.events.add(kind, 1);
        let joined = std::mem::take(&mut self.joined_lines);
        self.stats.lines_by_kind.add(kind, lines + joined);
    }

    /// Adds a line to a pending JSON block. Returns false when the line does not belong to it
    /// (the block was flushed and the caller must parse the line on its own).
    fn continue_block(&mut self, line: Line<'_>, emit: &mut Emit<'_>) -> bool {
        let t = line.text.trim();
        // A complete record or console line inside a "block" means the `{` was not one.
        let intrudes =
            (t.starts_with("{\"") && t.ends_with('}')) || console::parse_line(line.text).is_some();
        let Pending::JsonBlock {
            first,
            depth,
            in_str,
            escaped,
            ends,
            ..
        } = &mut self.pending
        else {
            return false;
        };
        if intrudes
            || self.buf.len() + line.text.len() > MAX_BLOCK_BYTES
            || line.number - *first >= MAX_BLOCK_LINES
        {
            self.flush_block_as_text(emit);
            return false;
        }
        self.buf.push('\n');
        self.buf.push_str(line.text);
        ends.push(self.buf.len());
        for b in line.text.bytes() {
            if *escaped {
                *escaped = false;
            } else if *in_str {
                match b {
                    b'\\' => *escaped = true,
                    b'"' => *in_str = false,
                    _ => {}
                }
            } else {
                match b {
                    b'"' => *in_str = true,
                    b'{' | b'[' => *depth += 1,
                    b'}' | b']' => *depth -= 1,
                    _ => {}
                }
            }
        }
        if *depth <= 0 {
            self.close_block(line.number, emit);
        }
        true
    }

    fn close_block(&mut self, last: u64, emit: &mut Emit<'_>) {
        let Pending::JsonBlock { first, offset, .. } = self.pending else {
            return;
        };
        let span = Span {
            first_line: first,
            last_line: last,
            byte_offset: offset,
        };
        let buf = std::mem::take(&mut self.buf);
        let parsed = self
            .json_event(&buf, &buf, span, EventKind::MultiLineJson)
            .map(|ev| {
                emit(&ev, false);
            });
        if parsed.is_some() {
            self.count(EventKind::MultiLineJson, last - first + 1);
            self.pending = Pending::None;
            self.buf = buf;
            self.buf.clear();
        } else {
            self.buf = buf;
            self.stats.malformed_json += 1;
            self.flush_block_as_text(emit);
        }
    }

    /// Emits every collected line of a JSON block that did not form a record as text.
    fn flush_block_as_text(&mut self, emit: &mut Emit<'_>) {
        let Pending::JsonBlock {
            first,
            offset,
            ends,
            ..
        } = std::mem::replace(&mut self.pending, Pending::None)
        else {
            return;
        };
        let buf = std::mem::take(&mut self.buf);
        let mut start = 0;
        for (i, end) in ends.iter().enumerate() {
            let text = &buf[start..*end];
            let number = first + i as u64;
            let span = Span {
                first_line: number,
                last_line: number,
                // Offsets of later lines are not tracked exactly; the block's start is kept.
                byte_offset: offset,
            };
            let mut ev = Event::text(text, span);
            self.inherit_ts(&mut ev);
            self.count(EventKind::Text, 1);
            emit(&ev, false);
            start = (*end + 1).min(buf.len());
        }
        self.buf = buf;
        self.buf.clear();
    }

    fn flush_panic(&mut self, emit: &mut Emit<'_>) {
        let Pending::Panic {
            first,
            last,
            offset,
        } = std::mem::replace(&mut self.pending, Pending::None)
        else {
            return;
        };
        let buf = std::mem::take(&mut self.buf);
        {
            let body = buf.trim_end();
            let info = text::panic_info(body);
            let first_line = body.lines().next().unwrap_or("");
            let mut fields = vec![(
                Cow::Borrowed("panic.message"),
                Value::Str(Cow::Owned(info.message)),
            )];
            if let Some(f) = info.frame {
                fields.push((Cow::Borrowed("panic.frame"), Value::Str(Cow::Owned(f))));
            }
            if let Some(l) = info.location {
                fields.push((Cow::Borrowed("panic.location"), Value::Str(Cow::Owned(l))));
            }
            if let Some(g) = info.goroutine {
                fields.push((Cow::Borrowed("panic.goroutine"), Value::Str(Cow::Owned(g))));
            }
            let mut ev = Event {
                kind: EventKind::Panic,
                fields,
                msg: Cow::Borrowed(first_line),
                raw: Cow::Borrowed(body),
                ..Event::text(
                    first_line,
                    Span {
                        first_line: first,
                        last_line: last,
                        byte_offset: offset,
                    },
                )
            };
            self.inherit_ts(&mut ev);
            emit(&ev, false);
        }
        self.count(EventKind::Panic, last - first + 1);
        self.buf = buf;
        self.buf.clear();
    }
}

/// Where the parser sends events: each with whether it came from a prepared record.
pub type Emit<'e> = dyn FnMut(&Event<'_>, bool) + 'e;

/// The body of a line that is a one-line JSON record candidate: it starts with `{` (after
/// blanks) and is more than a lone `{` (which opens a pretty-printed record).
pub fn json_body(text: &str) -> Option<&str> {
    let t = text.trim_start();
    if !t.starts_with('{') {
        return None;
    }
    let body = t.trim_end();
    (body != "{").then_some(body)
}

/// The event of a parsed JSON record (before timestamp inheritance).
pub fn event_of_record<'a>(
    rec: json::Record<'a>,
    raw: &'a str,
    span: Span,
    kind: EventKind,
) -> Event<'a> {
    Event {
        kind,
        span,
        ts: rec.ts,
        ts_inherited: false,
        level: rec.level,
        caller: rec.caller,
        msg: rec.msg.unwrap_or(Cow::Borrowed("")),
        error: rec.error,
        fields: rec.fields,
        raw: Cow::Borrowed(raw),
        nested: Default::default(),
        derived: Default::default(),
        slots: Default::default(),
    }
}

/// `s` without its ANSI escape sequences; borrowed when it has none (most lines).
fn without_ansi(s: &str) -> Cow<'_, str> {
    if memchr::memchr(0x1b, s.as_bytes()).is_some() {
        Cow::Owned(strip_ansi(s))
    } else {
        Cow::Borrowed(s)
    }
}

/// Removes ANSI escape sequences (CSI `ESC [ … final`, and lone `ESC x`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('[') => {
                chars.next();
                for n in chars.by_ref() {
                    if ('@'..='~').contains(&n) {
                        break;
                    }
                }
            }
            Some(_) => {
                chars.next();
            }
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &str) -> Vec<(EventKind, u64, u64, String)> {
        let mut p = Parser::new();
        let mut out = Vec::new();
        let mut off = 0;
        for (i, l) in input.split('\n').enumerate() {
            let line = Line {
                text: l,
                number: i as u64 + 1,
                offset: off,
            };
            off += l.len() as u64 + 1;
            p.push(line, &mut |e| {
                out.push((
                    e.kind,
                    e.span.first_line,
                    e.span.last_line,
                    e.msg.to_string(),
                ))
            });
        }
        p.finish(&mut |e| {
            out.push((
                e.kind,
                e.span.first_line,
                e.span.last_line,
                e.msg.to_string(),
            ))
        });
        assert_eq!(
            p.stats.lines_by_kind.total(),
            p.stats.lines,
            "every line accounted for"
        );
        out
    }

    #[test]
    fn jq_block_reassembles() {
        let input = "$ jq . run.json\n{\n  \"level\": \"error\",\n  \"msg\": \"error running connector\",\n  \"action\": {\n    \"id\": \"1\"\n  }\n}\nafter";
        let evs = parse_all(input);
        assert_eq!(evs[0].0, EventKind::Text);
        assert_eq!(
            evs[1],
            (
                EventKind::MultiLineJson,
                2,
                8,
                "error running connector".into()
            )
        );
        assert_eq!(evs[2].0, EventKind::Text);
    }

    #[test]
    fn unclosed_block_becomes_text_and_intruding_record_parses() {
        let evs =
            parse_all("{\n  \"level\": \"info\",\n{\"level\":\"info\",\"msg\":\"Sync complete.\"}");
        let kinds: Vec<_> = evs.iter().map(|e| e.0).collect();
        assert_eq!(
            kinds,
            vec![EventKind::Text, EventKind::Text, EventKind::Json]
        );
    }

    #[test]
    fn panic_is_one_event_and_next_line_is_its_own() {
        let input = "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x1d\nexit status 2\n{\"level\":\"info\",\"msg\":\"x\"}";
        let evs = parse_all(input);
        assert_eq!(evs[0], (EventKind::Panic, 1, 6, "panic: boom".into()));
        assert_eq!(evs[1].0, EventKind::Json);
    }

    #[test]
    fn ansi_codes_are_stripped() {
        let evs = parse_all(
            "\x1b[34m2025-08-22T14:04:23.409-0700\x1b[0m\tINFO\tsync/syncer.go:1278\tSyncing resource types...",
        );
        assert_eq!(evs[0].0, EventKind::Console);
        assert_eq!(evs[0].3, "Syncing resource types...");
    }

    #[test]
    fn truncated_json_is_text() {
        let evs = parse_all("{\"level\":");
        assert_eq!(evs[0].0, EventKind::Text);
    }

    /// Partial container lines count with the line they end in, whatever comes between, and
    /// with what is left at the end (`parse_all` checks every line is counted once: fuzzing,
    /// `parse_lines`, found `{"log":"i"}` and a blank line counted three times for two), and
    /// what is left at the end is read at its own line, not past the input's last one.
    #[test]
    fn partial_container_lines_are_counted_once() {
        for input in [
            "{\"log\":\"i\"}\n",
            "{\"log\":\"\"}",
            "{\"log\":\"\"}\n{\"log\":\"\"}\nplain",
            "{\"log\":\"{\\\"a\\\":\"}\nplain\n{\"log\":\"1}\\n\"}",
            "2026-01-01T00:00:00Z stderr P {\"a\":\nplain\n2026-01-01T00:00:01Z stderr F 1}",
            "2026-01-01T00:00:00Z stderr P x\n2026-01-01T00:00:00Z stderr P y",
            "{\"log\":\"\"}\n{",
            "{\"log\":\"x\"}\n{\n\"a\": 1",
            "{\"log\":\"{\"}\npanic: boom\n\ngoroutine 1 [running]:",
        ] {
            let lines = input.split('\n').count() as u64;
            for (_, first, last, _) in parse_all(input) {
                assert!(1 <= first && first <= last && last <= lines, "{input:?}");
            }
        }
        let evs = parse_all("{\"log\":\"{\\\"a\\\":\"}\nplain\n{\"log\":\"1}\\n\"}");
        assert_eq!(evs[0].3, "plain");
        assert_eq!(evs[1].0, EventKind::Json);
    }
}
