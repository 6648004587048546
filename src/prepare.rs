//! Work that can run ahead of the engine on worker threads: parsing a chunk's single-line zap
//! JSON records and evaluating every rule condition on them. Both depend on the line alone; the
//! parser and the engine then apply the results in input order, exactly as if they had done the
//! work themselves. Lines that need the stream's context stay with the sequential parser:
//! console lines, pretty-printed records, panics, lines with escape codes or invalid UTF-8, and
//! records without a timestamp of their own (they inherit one, which a condition may read).

use std::borrow::Cow;

use crate::event::{EventKind, Level, Span, Timestamp, Value};
use crate::input::{Chunk, for_each_line};
use crate::parse::json::{Record, parse_record};
use crate::parse::{event_of_record, json_body};
use crate::rules::{RuleSet, SlotHit};

const NONE: u32 = u32::MAX;

/// A string of a record: a byte range of its line, or (flag [`OWNED`]) of the chunk's
/// unescaped texts. Eight bytes, so a prepared chunk stays small (report of #16: the in-flight
/// chunks were most of the memory on two cores).
#[derive(Clone, Copy, Debug)]
struct Text(u32, u32);

/// Marks a [`Text`] whose range is in [`Prepared::owned`].
const OWNED: u32 = 1 << 31;
/// Lines, and unescaped text per chunk, past this are left to the engine's own parser (their
/// ranges would not fit beside the flag).
const MAX_PREPARED_BYTES: usize = 1 << 30;

impl Text {
    fn of(line: &str, s: Cow<'_, str>, owned: &mut String) -> Text {
        let base = line.as_ptr() as usize;
        let p = s.as_ptr() as usize;
        match s {
            Cow::Borrowed(b) if p >= base && p + b.len() <= base + line.len() => {
                Text((p - base) as u32, (p - base + b.len()) as u32)
            }
            other => {
                let start = owned.len();
                owned.push_str(&other);
                Text(start as u32 | OWNED, owned.len() as u32)
            }
        }
    }

    fn get<'a>(self, line: &'a str, owned: &'a str) -> Cow<'a, str> {
        let Text(a, b) = self;
        Cow::Borrowed(if a & OWNED != 0 {
            &owned[(a & !OWNED) as usize..b as usize]
        } else {
            &line[a as usize..b as usize]
        })
    }
}

#[derive(Debug)]
enum PValue {
    Str(Text),
    Num(f64),
    Bool(bool),
    Null,
    Json(Text),
}

#[derive(Debug)]
struct PreRecord {
    level: Option<Level>,
    ts: Option<Timestamp>,
    caller: Option<Text>,
    msg: Option<Text>,
    error: Option<Text>,
    fields: (u32, u32),
    /// The slots whose conditions held (a range of `hits`), when they could be evaluated.
    hits: Option<(u32, u32)>,
}

/// The prepared form of one chunk. Reused from chunk to chunk.
#[derive(Debug, Default)]
pub struct Prepared {
    /// Per line of the chunk: the index of its record, or `NONE`.
    lines: Vec<u32>,
    recs: Vec<PreRecord>,
    fields: Vec<(Text, PValue)>,
    hits: Vec<SlotHit>,
    /// The unescaped strings of the chunk's records, one after the other.
    owned: String,
}

/// A record handed back to the parser, and its condition results for the engine.
pub struct Pre<'p, 'a> {
    pub record: Record<'a>,
    pub hits: Option<&'p [SlotHit]>,
}

impl Prepared {
    /// Parses and evaluates every line of `chunk` that can be settled alone.
    pub fn fill(&mut self, chunk: &Chunk, rules: &RuleSet) {
        self.lines.clear();
        self.recs.clear();
        self.fields.clear();
        self.hits.clear();
        self.owned.clear();
        let mut bits = Vec::new();
        // One scratch per worker thread: its memos stay warm from chunk to chunk.
        thread_local! {
            static SCRATCH: std::cell::RefCell<crate::rules::Scratch> = std::cell::RefCell::default();
        }
        for_each_line(chunk, |l| {
            let line = match &l.text {
                Cow::Borrowed(s)
                    if !l.lossy
                        && s.len() < MAX_PREPARED_BYTES
                        && self.owned.len() < MAX_PREPARED_BYTES
                        && memchr::memchr(0x1b, s.as_bytes()).is_none() =>
                {
                    *s
                }
                _ => {
                    self.lines.push(NONE);
                    return;
                }
            };
            let Some(rec) = json_body(line).and_then(|b| parse_record(b, true)) else {
                self.lines.push(NONE);
                return;
            };
            let evaluate = rec.ts.is_some();
            let ev = event_of_record(rec, line, Span::default(), EventKind::Json);
            let hits = evaluate.then(|| {
                let start = self.hits.len() as u32;
                SCRATCH
                    .with(|s| rules.evaluate(&ev, &mut bits, &mut s.borrow_mut(), &mut self.hits));
                (start, self.hits.len() as u32)
            });
            let start = self.fields.len() as u32;
            let owned = &mut self.owned;
            for (k, v) in ev.fields {
                let v = match v {
                    Value::Str(s) => PValue::Str(Text::of(line, s, owned)),
                    Value::Num(n) => PValue::Num(n),
                    Value::Bool(b) => PValue::Bool(b),
                    Value::Null => PValue::Null,
                    Value::Json(j) => PValue::Json(Text::of(line, j, owned)),
                };
                self.fields.push((Text::of(line, k, owned), v));
            }
            self.lines.push(self.recs.len() as u32);
            self.recs.push(PreRecord {
                level: ev.level,
                ts: ev.ts,
                caller: ev.caller.map(|c| Text::of(line, c, owned)),
                // `event_of_record` stands in "" for a missing msg: the same on the way back.
                msg: Some(Text::of(line, ev.msg, owned)),
                error: ev.error.map(|e| Text::of(line, e, owned)),
                fields: (start, self.fields.len() as u32),
                hits,
            });
        });
    }

    /// The prepared record of the chunk's `index`-th line (whose text is `line`), if any.
    pub fn get<'a>(&'a self, index: usize, line: &'a str) -> Option<Pre<'a, 'a>> {
        let r = *self.lines.get(index)?;
        if r == NONE {
            return None;
        }
        let rec = &self.recs[r as usize];
        let owned = self.owned.as_str();
        let fields = self.fields[rec.fields.0 as usize..rec.fields.1 as usize]
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    PValue::Str(t) => Value::Str(t.get(line, owned)),
                    PValue::Num(n) => Value::Num(*n),
                    PValue::Bool(b) => Value::Bool(*b),
                    PValue::Null => Value::Null,
                    PValue::Json(t) => Value::Json(t.get(line, owned)),
                };
                (k.get(line, owned), v)
            })
            .collect();
        Some(Pre {
            record: Record {
                level: rec.level,
                ts: rec.ts,
                caller: rec.caller.map(|t| t.get(line, owned)),
                msg: rec.msg.map(|t| t.get(line, owned)),
                error: rec.error.map(|t| t.get(line, owned)),
                fields,
                looks_zap: true,
            },
            hits: rec.hits.map(|(a, b)| &self.hits[a as usize..b as usize]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prepared_field_is_24_bytes() {
        assert!(std::mem::size_of::<(Text, PValue)>() <= 24);
    }

    #[test]
    fn records_come_back_as_they_were_parsed() {
        let text = "{\"level\":\"info\",\"ts\":1.5,\"msg\":\"a\\\"b\",\"n\":3,\"h\":{\"x\":[\"1\"]},\"s\":\"v\"}\nplain\n{\"msg\":\"no ts\"}\n";
        let chunk = Chunk {
            data: text.as_bytes().to_vec(),
            offset: 0,
            cut: false,
        };
        let rules = RuleSet::new(crate::rules::load_builtin().unwrap());
        let mut p = Prepared::default();
        p.fill(&chunk, &rules);
        let lines: Vec<&str> = text.lines().collect();
        let a = p.get(0, lines[0]).unwrap();
        let direct = parse_record(lines[0], true).unwrap();
        assert_eq!(a.record.msg, direct.msg);
        assert_eq!(a.record.fields, direct.fields);
        assert_eq!(a.record.ts, direct.ts);
        assert!(a.hits.is_some());
        assert!(p.get(1, lines[1]).is_none());
        let c = p.get(2, lines[2]).unwrap();
        assert!(
            c.hits.is_none(),
            "no timestamp: the engine evaluates it in order"
        );
    }
}
