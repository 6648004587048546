//! The typed event every parser produces and every rule reads: where it came from (source,
//! line range, byte offset), when (log time), its level, caller, message, error, fields and the
//! raw text. Events borrow from the input line whenever they can.

use std::borrow::Cow;
use std::fmt;

use serde_json::value::RawValue;

mod slots;
pub use slots::{Builtin, KeyRef, KeySlots, SLOT_KEYS, slot_of};

/// Which parser recognised an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// One zap JSON record on one line (`--log-format json`).
    Json,
    /// One zap console line (`--log-format console`), tabs or runs of spaces between columns.
    Console,
    /// A zap JSON record pretty-printed over several lines (e.g. by `jq`), reassembled.
    MultiLineJson,
    /// Anything else: the raw error line printed on exit, prompts, curl output, tables.
    Text,
    /// A Go panic or runtime fatal error with its goroutine trace, as one event.
    Panic,
}

impl EventKind {
    /// Stable lower-case name, used in stats, snapshots and the `kind` rule condition.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Json => "json",
            EventKind::Console => "console",
            EventKind::MultiLineJson => "multi-line-json",
            EventKind::Text => "text",
            EventKind::Panic => "panic",
        }
    }

    /// Parses the name given by [`EventKind::as_str`].
    pub fn from_name(name: &str) -> Option<EventKind> {
        Some(match name {
            "json" => EventKind::Json,
            "console" => EventKind::Console,
            "multi-line-json" => EventKind::MultiLineJson,
            "text" => EventKind::Text,
            "panic" => EventKind::Panic,
            _ => return None,
        })
    }
}

/// A zap level. Unknown level strings are kept as `None` on the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
    DPanic,
    Panic,
    Fatal,
}

impl Level {
    /// Parses zap's lowercase (JSON) or capital (console) level names.
    pub fn parse(s: &str) -> Option<Level> {
        const NAMES: [(&str, Level); 8] = [
            ("debug", Level::Debug),
            ("info", Level::Info),
            ("warn", Level::Warn),
            ("warning", Level::Warn),
            ("error", Level::Error),
            ("dpanic", Level::DPanic),
            ("panic", Level::Panic),
            ("fatal", Level::Fatal),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, l)| *l)
    }

    /// zap's lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::DPanic => "dpanic",
            Level::Panic => "panic",
            Level::Fatal => "fatal",
        }
    }
}

/// A point in log time: nanoseconds since the Unix epoch. JSON's epoch floats and console's
/// local ISO8601 times both become this, so windows compare them directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

/// The latest log time taken, in seconds since the epoch (a year in 2255): later, or before
/// 1970, is no log time, and a time's nanoseconds must fit an i64.
pub const MAX_EPOCH_SECS: i64 = 9_000_000_000;

impl Timestamp {
    /// From zap's `ts` epoch seconds float. Returns `None` for NaN or absurd values.
    pub fn from_epoch_secs(secs: f64) -> Option<Timestamp> {
        if !secs.is_finite() || !(0.0..=MAX_EPOCH_SECS as f64).contains(&secs) {
            return None;
        }
        Some(Timestamp((secs * 1e9).round() as i64))
    }

    /// Seconds since the epoch, as a float.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// Seconds elapsed from `earlier` to `self` (negative if the clock went backwards).
    pub fn secs_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / 1e9
    }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2025-08-22T21:04:23.409Z`.
    pub fn to_rfc3339(self) -> String {
        let nanos = self.0 as i128;
        match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
            Ok(t) => {
                let fmt = time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
                );
                t.format(&fmt)
                    .unwrap_or_else(|_| format!("{:.3}", self.as_secs_f64()))
            }
            Err(_) => format!("{:.3}", self.as_secs_f64()),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// A field value as a rule sees it. Objects and arrays stay raw JSON text until asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    Str(Cow<'a, str>),
    Num(f64),
    Bool(bool),
    Null,
    /// A JSON object or array, as text.
    Json(Cow<'a, str>),
}

impl<'a> Value<'a> {
    /// Decodes one raw JSON value. Strings are unescaped (borrowed when they hold no escapes).
    pub fn from_raw(raw: &'a RawValue) -> Value<'a> {
        Value::from_json_text(raw.get())
    }

    /// Decodes JSON value text (as [`Value::from_raw`]), owned or borrowed.
    pub fn from_json_text(text: &'a str) -> Value<'a> {
        // JSON's own whitespace: the only kind a valid value can have around it (`str::trim`
        // decodes a char at each end to test it for Unicode's).
        let t = text.trim_ascii();
        match t.as_bytes().first() {
            Some(b'"') => {
                if !t[1..].contains('\\') && t.len() >= 2 {
                    Value::Str(Cow::Borrowed(&t[1..t.len() - 1]))
                } else {
                    match serde_json::from_str::<String>(t) {
                        Ok(s) => Value::Str(Cow::Owned(s)),
                        Err(_) => Value::Str(Cow::Borrowed(t)),
                    }
                }
            }
            Some(b'{') | Some(b'[') => Value::Json(Cow::Borrowed(t)),
            Some(b't') if t == "true" => Value::Bool(true),
            Some(b'f') if t == "false" => Value::Bool(false),
            Some(b'n') if t == "null" => Value::Null,
            _ => match plain_decimal(t).map_or_else(|| t.parse::<f64>(), Ok) {
                // `1e999` overflows to infinity: kept as text, never compared as a number.
                Ok(n) if n.is_finite() => Value::Num(n),
                _ => Value::Str(Cow::Borrowed(t)),
            },
        }
    }

    /// From an owned `serde_json::Value` (the result of a nested lookup).
    pub fn from_serde(v: &serde_json::Value) -> Value<'static> {
        match v {
            serde_json::Value::String(s) => Value::Str(Cow::Owned(s.clone())),
            serde_json::Value::Number(n) => Value::Num(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Null => Value::Null,
            other => Value::Json(Cow::Owned(other.to_string())),
        }
    }

    /// The value as text: strings as they are, numbers in shortest form, JSON as JSON.
    /// A one-element array of a string (HTTP header values) reads as that string.
    pub fn as_text(&self) -> Cow<'_, str> {
        match self {
            Value::Str(s) => Cow::Borrowed(s.as_ref()),
            Value::Num(n) => Cow::Owned(format_num(*n)),
            Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Value::Null => Cow::Borrowed("null"),
            Value::Json(j) => match single_string_array(j) {
                Some(s) => Cow::Owned(s),
                None => Cow::Borrowed(j.as_ref()),
            },
        }
    }

    /// [`Value::as_text`] by value: borrowed strings stay borrowed.
    pub fn into_text(self) -> Cow<'a, str> {
        match self {
            Value::Str(s) => s,
            Value::Json(j) => match single_string_array(&j) {
                Some(s) => Cow::Owned(s),
                None => j,
            },
            other => Cow::Owned(other.as_text().into_owned()),
        }
    }

    /// The value as a number: numbers, numeric strings, Go duration strings (`1m0s`, `183ms`,
    /// in seconds) and one-element arrays of those (`["30"]`).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Str(s) => parse_number_or_duration(s),
            Value::Bool(_) | Value::Null => None,
            Value::Json(j) => single_string_array(j).and_then(|s| parse_number_or_duration(&s)),
        }
    }
}

fn single_string_array(j: &str) -> Option<String> {
    if !j.starts_with('[') {
        return None;
    }
    let v: Vec<serde_json::Value> = serde_json::from_str(j).ok()?;
    match v.as_slice() {
        [serde_json::Value::String(s)] => Some(s.clone()),
        [serde_json::Value::Number(n)] => Some(n.to_string()),
        _ => None,
    }
}

/// Formats a float the way Go's `strconv.FormatFloat(f, 'f', -1, 64)` would for common values.
pub fn format_num(n: f64) -> String {
    match whole(n) {
        Some(i) => itoa::Buffer::new().format(i).to_string(),
        None => format!("{n}"),
    }
}

/// `n` as the integer [`format_num`] prints it as: whole numbers under 10^15.
pub fn whole(n: f64) -> Option<i64> {
    (n.fract() == 0.0 && n.abs() < 1e15).then_some(n as i64)
}

/// The value of a plain decimal (`-`, digits, and optionally `.` and digits: zap's `ts`,
/// status codes, counts and durations), or `None` for any other text, which `str::parse`
/// reads. The same value `str::parse` gives (Clinger's fast path, the one it tries first): at
/// most 19 digits whose value is at most 2^53 and at most 22 of them after the point, so the
/// digits and the power of ten are exact in an `f64` and the one division rounds correctly.
/// Measured: 163 instructions a number through `str::parse`, two or three numbers a line.
fn plain_decimal(t: &str) -> Option<f64> {
    let (neg, digits) = match t.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    // One pass: the digits' value, and where the point is (`usize::MAX`: none).
    let mut m: u64 = 0;
    let mut dot = usize::MAX;
    for (i, &b) in digits.iter().enumerate() {
        let d = b.wrapping_sub(b'0');
        if d < 10 {
            // Wraps only for 20 digits without a point, declined below.
            m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        } else if b == b'.' && dot == usize::MAX {
            dot = i;
        } else {
            return None;
        }
    }
    let decimals = match dot {
        usize::MAX => 0,
        // `.5` and `5.` are numbers to `str::parse`, not to JSON: left to it.
        0 => return None,
        d if d + 1 == digits.len() => return None,
        d => digits.len() - d - 1,
    };
    // A point among 20 bytes leaves at most 19 digits: `m` is exact then.
    if (dot == usize::MAX && digits.len() > 19) || m > 1 << 53 || decimals > 22 {
        return None;
    }
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let v = m as f64 / POW10[decimals];
    Some(if neg { -v } else { v })
}

/// Parses a plain number or a Go duration string (`1m0s`, `29.998731s`, `183.4ms`, `4s`) into
/// seconds.
pub fn parse_number_or_duration(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        // `inf`, `NaN` and `1e999` are no measurement (report D28).
        return n.is_finite().then_some(n);
    }
    parse_go_duration(s).filter(|n| n.is_finite())
}

fn parse_go_duration(s: &str) -> Option<f64> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_end == 0 {
            return None;
        }
        let n: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += n * mult;
        rest = &rest[unit_end..];
    }
    Some(if neg { -total } else { total })
}

/// Where an event sits in its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    /// First physical line, 1-based.
    pub first_line: u64,
    /// Last physical line, 1-based (equal to `first_line` for one-line events).
    pub last_line: u64,
    /// Byte offset of the first line's start in the input.
    pub byte_offset: u64,
}

/// One typed event: what a rule matches against.
#[derive(Clone, Debug)]
pub struct Event<'a> {
    pub kind: EventKind,
    pub span: Span,
    /// Log time; for lines without their own timestamp, the last one seen (`ts_inherited`).
    pub ts: Option<Timestamp>,
    pub ts_inherited: bool,
    pub level: Option<Level>,
    pub caller: Option<Cow<'a, str>>,
    /// The zap `msg`; for text events the line itself; for panics the first line.
    pub msg: Cow<'a, str>,
    /// The zap `error` field, when present.
    pub error: Option<Cow<'a, str>>,
    /// All other fields in record order, values kept raw until a rule asks for them.
    pub fields: Vec<(Cow<'a, str>, Value<'a>)>,
    /// The raw text of the event (all its lines, `\n`-joined, for multi-line events).
    pub raw: Cow<'a, str>,
    /// Nested objects parsed for dotted lookups, so each is parsed once per event.
    pub nested: NestedCache,
    /// Derived values computed for this event (`context::lookup`): several rules and templates
    /// ask for the same status code, host or path template of one line.
    pub derived: DerivedCache,
    /// Where the slotted keys are among `fields` (see [`KeySlots`]), filled on first use: the
    /// fields must not change after a lookup.
    pub slots: KeySlots,
}

/// How many derived values there are (`context::DERIVED` names them; checked there).
pub const DERIVED_SLOTS: usize = 17;

/// Derived values of one event, one cell per derived name, each computed at most once and then
/// lent out: several rules and templates ask one line for the same host or path template.
#[derive(Clone, Debug, Default)]
pub struct DerivedCache([std::cell::OnceCell<Option<String>>; DERIVED_SLOTS]);

impl DerivedCache {
    /// The value in cell `index`, computed by `f` the first time it is asked for. Kept as the
    /// `String` it was made as: shrinking it to a `Box<str>` cost a reallocation per path
    /// template, once for every request line.
    pub fn get_or(&self, index: usize, f: impl FnOnce() -> Option<String>) -> Option<&str> {
        self.0[index].get_or_init(f).as_deref()
    }
}

/// Nested objects of one event, per field index: parsed (only for an object the scanner
/// declines), and scanned into members (every other one).
#[derive(Clone, Debug, Default)]
pub struct NestedCache(
    std::cell::RefCell<Vec<(usize, serde_json::Value)>>,
    /// Per field index, its object's members as (key, value) byte ranges of its text, or
    /// `None` when the scanner declined it (then it is parsed).
    std::cell::RefCell<Vec<(usize, Option<Members>)>>,
);

/// An object's members: (key start, key end, value start, value end) in its text.
type Members = Vec<[u32; 4]>;

impl<'a> Event<'a> {
    /// A plain text event for one line.
    pub fn text(line: &'a str, span: Span) -> Event<'a> {
        Event {
            kind: EventKind::Text,
            span,
            ts: None,
            ts_inherited: false,
            level: None,
            caller: None,
            msg: Cow::Borrowed(line),
            error: None,
            fields: Vec::new(),
            raw: Cow::Borrowed(line),
            nested: NestedCache::default(),
            derived: DerivedCache::default(),
            slots: KeySlots::default(),
        }
    }

    /// Looks a field up by name. Built-in names: `msg`, `error`, `level`, `caller`, `raw`,
    /// `kind`, `ts`. Any other name is first tried as a whole key (zap keys contain dots, e.g.
    /// `http.url_details.path`), then as a dotted path into nested objects (`http.headers.Retry-After`,
    /// `action.page_token`).
    pub fn get(&self, name: &str) -> Option<Value<'_>> {
        if let Some(b) = Builtin::of(name) {
            return self.builtin(b);
        }
        if let Some(v) = self.field(name) {
            return Some(v.clone());
        }
        let head = self.dotted_head(name)?;
        self.nested_value(head, name)
    }

    /// [`Event::get`] for a name resolved at load ([`KeyRef::of`] of `name`): the same value,
    /// found through the slot table where the name has slots.
    pub fn get_by(&self, name: &str, key: &KeyRef) -> Option<Value<'_>> {
        if let Some(b) = key.builtin {
            return self.builtin(b);
        }
        let table = self.slot_table();
        if let Some(v) = self.field_by(name, key.slot, table) {
            return Some(v.clone());
        }
        let head = match (&key.heads, table) {
            (Some(heads), Some(t)) => heads
                .iter()
                .find_map(|&s| t[s as usize].checked_sub(1))
                .map(usize::from)?,
            _ => self.dotted_head(name)?,
        };
        self.nested_value(head, name)
    }

    /// A built-in value.
    pub fn builtin(&self, b: Builtin) -> Option<Value<'_>> {
        match b {
            Builtin::Msg => Some(Value::Str(Cow::Borrowed(&self.msg))),
            Builtin::Error => self.error.as_deref().map(|e| Value::Str(Cow::Borrowed(e))),
            Builtin::Level => self.level.map(|l| Value::Str(Cow::Borrowed(l.as_str()))),
            Builtin::Caller => self.caller.as_deref().map(|c| Value::Str(Cow::Borrowed(c))),
            Builtin::Raw => Some(Value::Str(Cow::Borrowed(&self.raw))),
            Builtin::Kind => Some(Value::Str(Cow::Borrowed(self.kind.as_str()))),
            Builtin::Ts => self.ts.map(|t| Value::Num(t.as_secs_f64())),
        }
    }

    fn slot_table(&self) -> Option<&[u8; SLOT_KEYS.len()]> {
        self.slots
            .table(self.fields.iter().map(|(k, _)| k.as_ref()))
    }

    /// The first top-level field named `key`, through the slot table when the key has a slot.
    fn field_by(
        &self,
        key: &str,
        slot: Option<u8>,
        table: Option<&[u8; SLOT_KEYS.len()]>,
    ) -> Option<&Value<'a>> {
        match (slot, table) {
            (Some(s), Some(t)) => {
                let i = t[s as usize].checked_sub(1)?;
                Some(&self.fields[usize::from(i)].1)
            }
            _ => self.field(key),
        }
    }

    /// [`Event::field`] for a name resolved at load.
    pub fn field_of(&self, key: &str, r: &KeyRef) -> Option<&Value<'a>> {
        match r.slot {
            Some(_) => self.field_by(key, r.slot, self.slot_table()),
            None => self.field(key),
        }
    }

    /// Dotted path: the longest key that is a prefix of `name` at a dot (the first field of
    /// that key). One pass over the fields: most names asked for on most lines
    /// (`action.page_token` on a request line) have no such key at all.
    fn dotted_head(&self, name: &str) -> Option<usize> {
        let mut head: Option<usize> = None;
        for (i, (k, _)) in self.fields.iter().enumerate() {
            let at_dot = name.as_bytes().get(k.len()) == Some(&b'.');
            if at_dot
                && name.starts_with(k.as_ref())
                && head.is_none_or(|h| self.fields[h].0.len() < k.len())
            {
                head = Some(i);
            }
        }
        head
    }

    /// The value at dotted `name` inside field `idx`, whose key is a prefix of `name` at a dot.
    fn nested_value(&self, idx: usize, name: &str) -> Option<Value<'_>> {
        let rest = &name[self.fields[idx].0.len() + 1..];
        let Value::Json(j) = &self.fields[idx].1 else {
            return None;
        };
        // Most nested lookups (`action.page_token`, `http.headers.Retry-After`) are answered
        // from the object's members, scanned once per event; only an unusual object (a key
        // with an escape) is parsed.
        let mut scanned = self.nested.1.borrow_mut();
        let pos = match scanned.iter().position(|(i, _)| *i == idx) {
            Some(p) => p,
            None => {
                scanned.push((idx, scan_members(j)));
                scanned.len() - 1
            }
        };
        if let Some(members) = &scanned[pos].1 {
            let (v, deeper) = pick(members, j, rest)?;
            return match descend_text(v, deeper) {
                Descent::Found(t) => value_text(t),
                Descent::Absent => None,
                Descent::Unsure => descend(&serde_json::from_str(v).ok()?, deeper),
            };
        }
        drop(scanned);
        let mut cache = self.nested.0.borrow_mut();
        let pos = match cache.iter().position(|(i, _)| *i == idx) {
            Some(p) => p,
            None => {
                cache.push((idx, serde_json::from_str(j).ok()?));
                cache.len() - 1
            }
        };
        descend(&cache[pos].1, rest)
    }

    /// The first top-level field named exactly `key`.
    pub fn field(&self, key: &str) -> Option<&Value<'a>> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// `msg` and `error` together, the text most rules read.
    pub fn message_and_error(&self) -> String {
        match &self.error {
            Some(e) => format!("{}: {}", self.msg, e),
            None => self.msg.to_string(),
        }
    }
}

/// What scanning an object's text for a dotted path found.
#[derive(Debug, PartialEq)]
enum Descent<'t> {
    /// The value's JSON text.
    Found(&'t str),
    /// There is no such value.
    Absent,
    /// The scan cannot tell (a key with an escape): parse the object.
    Unsure,
}

/// The members of the object `text` as byte ranges, or `None` when the scanner declines it.
fn scan_members(text: &str) -> Option<Members> {
    let base = text.as_ptr() as usize;
    let at = |s: &str| (s.as_ptr() as usize - base) as u32;
    let mut out = Vec::new();
    let whole = u32::try_from(text.len()).is_ok()
        && crate::parse::scan::members(text, |k, v, _| {
            out.push([at(k), at(k) + k.len() as u32, at(v), at(v) + v.len() as u32])
        });
    whole.then_some(out)
}

/// One level of [`descend`] on scanned members: the value of the longest prefix of `rest`
/// (whole, then cut at a dot) that is a key, exactly or else ignoring ASCII case, and what
/// of `rest` is left after it. As serde_json builds an object (a sorted map: this crate does
/// not enable `preserve_order`), a repeated key holds its last value, and a case-insensitive
/// match is the smallest matching key; the tests check both against serde_json itself.
fn pick<'t, 'r>(members: &[[u32; 4]], text: &'t str, rest: &'r str) -> Option<(&'t str, &'r str)> {
    let key = |m: &[u32; 4]| &text[m[0] as usize..m[1] as usize];
    let value = |m: &[u32; 4]| &text[m[2] as usize..m[3] as usize];
    let last = |k: &str| members.iter().rev().find(|m| key(m) == k);
    let mut end = rest.len();
    loop {
        let want = &rest[..end];
        let found = last(want).or_else(|| {
            let smallest = members
                .iter()
                .map(key)
                .filter(|k| k.eq_ignore_ascii_case(want))
                .min()?;
            last(smallest)
        });
        if let Some(m) = found {
            return Some((value(m), rest.get(end + 1..).unwrap_or("")));
        }
        end = rest[..end].rfind('.')?;
    }
}

/// [`descend`] on an object's text, without building it (see [`pick`]).
fn descend_text<'t>(mut cur: &'t str, mut rest: &str) -> Descent<'t> {
    while !rest.is_empty() {
        if !cur
            .trim_start_matches([' ', '\t', '\n', '\r'])
            .starts_with('{')
        {
            return Descent::Absent;
        }
        let Some(members) = scan_members(cur) else {
            return Descent::Unsure;
        };
        match pick(&members, cur, rest) {
            Some((v, r)) => (cur, rest) = (v, r),
            None => return Descent::Absent,
        }
    }
    Descent::Found(cur)
}

/// A nested value from its JSON text, as [`Value::from_serde`] makes it from the parsed value.
fn value_text(text: &str) -> Option<Value<'_>> {
    let b = text.as_bytes();
    if b.len() >= 2 && b[0] == b'"' && memchr::memchr(b'\\', b).is_none() {
        return Some(Value::Str(Cow::Borrowed(&text[1..text.len() - 1])));
    }
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .map(|v| Value::from_serde(&v))
}

/// Descends into a parsed object along a dotted path. Keys inside nested objects may contain
/// dots too (the longest key wins), and header maps are canonicalised (`Retry-After`), so keys
/// match ignoring ASCII case.
fn descend(root: &serde_json::Value, path: &str) -> Option<Value<'static>> {
    let mut cur = root;
    let mut rest = path;
    'outer: while !rest.is_empty() {
        let obj = cur.as_object()?;
        let mut end = rest.len();
        loop {
            let key = &rest[..end];
            let found = obj.get(key).or_else(|| {
                obj.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            });
            if let Some(v) = found {
                cur = v;
                rest = rest.get(end + 1..).unwrap_or("");
                continue 'outer;
            }
            end = rest[..end].rfind('.')?;
        }
    }
    Some(Value::from_serde(cur))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        /// itoa prints what `format!` printed (the definition before it).
        #[test]
        fn format_num_keeps_its_definition(
            n in proptest::prop_oneof![
                (-2_000_000_000_000_000i64..2_000_000_000_000_000).prop_map(|i| i as f64),
                proptest::num::f64::ANY,
            ]
        ) {
            let old = if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", n as i64)
            } else {
                format!("{n}")
            };
            proptest::prop_assert_eq!(format_num(n), old);
        }

        /// The plain-decimal fast path gives `str::parse`'s value to the bit whenever it
        /// answers (integers up to 20 digits, up to 24 decimals, signs, exponents, stray
        /// bytes), and always answers for zap's timestamps (epoch seconds, 6 decimals).
        #[test]
        fn a_plain_decimal_is_what_parse_reads(
            int in "-?[0-9]{1,20}",
            frac in proptest::option::of("[0-9]{0,24}"),
            tail in proptest::option::of("[eE+x ]"),
            ts in (0u64..4_000_000_000, 0u64..1_000_000_000, 6usize..10),
        ) {
            let mut t = int.clone();
            if let Some(f) = &frac {
                t.push('.');
                t.push_str(f);
            }
            if let Some(x) = &tail {
                t.push_str(x);
            }
            let want = t.parse::<f64>().ok();
            if let Some(v) = plain_decimal(&t) {
                proptest::prop_assert_eq!(Some(v.to_bits()), want.map(f64::to_bits), "{}", t);
            }
            let (secs, nanos, places) = ts;
            let stamp = format!("{secs}.{:0places$}", nanos % 10u64.pow(places as u32));
            let want = stamp.parse::<f64>().ok().map(f64::to_bits);
            match plain_decimal(&stamp) {
                Some(v) => proptest::prop_assert_eq!(Some(v.to_bits()), want, "{}", stamp),
                // zap's epoch seconds with microseconds are always taken.
                None => proptest::prop_assert!(places > 6, "{} declined", stamp),
            }
        }
    }

    #[test]
    fn a_plain_decimal_takes_zaps_numbers_and_no_others() {
        for t in [
            "1755896663.409112",
            "200",
            "-3",
            "0",
            "-0",
            "0.5",
            "29.998731",
        ] {
            let v = plain_decimal(t).unwrap_or_else(|| panic!("{t} declined"));
            assert_eq!(v.to_bits(), t.parse::<f64>().unwrap().to_bits(), "{t}");
        }
        for t in [
            "",
            "-",
            ".5",
            "5.",
            "1e3",
            "+1",
            "1_0",
            "12345678901234567890",
            "0x1",
        ] {
            assert_eq!(plain_decimal(t), None, "{t}");
        }
    }

    /// A small random JSON value: keys that collide, differ in case or hold dots, repeated
    /// keys, escapes, arrays, whitespace.
    fn random_json(seed: &mut u64, depth: u32, out: &mut String) {
        fn pick(seed: &mut u64, n: u64) -> u64 {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed % n
        }
        let ws = [" ", "", "\n  ", ""];
        match if depth == 0 {
            pick(seed, 5)
        } else {
            pick(seed, 8)
        } {
            0 => out.push_str(["\"x\"", "\"y\\n\"", "\"\\u0041\"", "\"\""][pick(seed, 4) as usize]),
            1 => out.push_str(
                ["1", "2.5", "-0", "1e3", "12345678901234567890"][pick(seed, 5) as usize],
            ),
            2 => out.push_str(["true", "false", "null"][pick(seed, 3) as usize]),
            3 => out.push_str("[\"30\"]"),
            4 => out.push_str("[1, {\"a\": 2}]"),
            _ => {
                let keys = ["a", "A", "b", "a.b", "A.B", "c", "b.c", "", "\\u0061"];
                out.push('{');
                let n = pick(seed, 5);
                for i in 0..n {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(ws[pick(seed, 4) as usize]);
                    out.push('"');
                    out.push_str(keys[pick(seed, keys.len() as u64) as usize]);
                    out.push_str("\":");
                    out.push_str(ws[pick(seed, 4) as usize]);
                    random_json(seed, depth - 1, out);
                }
                out.push_str(ws[pick(seed, 4) as usize]);
                out.push('}');
            }
        }
    }

    /// Scanning an object's text finds what descending the parsed object finds.
    #[test]
    fn scanned_descent_is_parsed_descent() {
        let paths = [
            "a", "A", "b", "c", "a.b", "a.b.c", "A.b", "b.c.a", "a.", ".a", "x", "a.a.a",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let (mut found, mut unsure, mut total) = (0, 0, 0);
        for _ in 0..20_000 {
            let mut obj = String::new();
            random_json(&mut seed, 3, &mut obj);
            let Ok(parsed) = serde_json::from_str::<serde_json::Value>(&obj) else {
                continue;
            };
            for path in paths {
                total += 1;
                let want = descend(&parsed, path);
                let got = match descend_text(&obj, path) {
                    Descent::Found(t) => {
                        found += 1;
                        value_text(t)
                    }
                    Descent::Absent => None,
                    Descent::Unsure => {
                        unsure += 1;
                        want.clone()
                    }
                };
                assert_eq!(got, want, "{path} in {obj}");
                // And through an event, whose first level is scanned once and kept.
                let ev = Event {
                    fields: vec![("o".into(), Value::Json(Cow::Borrowed(&obj)))],
                    ..Event::text("x", Span::default())
                };
                assert_eq!(ev.get(&format!("o.{path}")), want, "o.{path} in {obj}");
                assert_eq!(
                    ev.get(&format!("o.{path}")),
                    want,
                    "again: o.{path} in {obj}"
                );
            }
        }
        // The scan answered nearly every lookup itself, and found values often.
        assert!(unsure * 10 < total, "{unsure} of {total} unsure");
        assert!(found > 5_000, "{found} of {total} found");
    }

    #[test]
    fn durations_parse_to_seconds() {
        assert_eq!(parse_number_or_duration("1m0s"), Some(60.0));
        assert_eq!(parse_number_or_duration("29.5s"), Some(29.5));
        assert_eq!(parse_number_or_duration("183.4ms"), Some(0.1834));
        assert_eq!(parse_number_or_duration("4"), Some(4.0));
        assert_eq!(parse_number_or_duration("1h2m"), Some(3720.0));
        assert_eq!(parse_number_or_duration("soon"), None);
        assert_eq!(parse_number_or_duration("5x"), None);
    }

    #[test]
    fn nested_lookup_descends_and_ignores_header_case() {
        let ev = Event {
            fields: vec![(
                Cow::Borrowed("http.headers"),
                Value::Json(Cow::Borrowed(
                    r#"{"Retry-After":["30"],"X-Ratelimit-Remaining":["0"]}"#,
                )),
            )],
            ..Event::text("x", Span::default())
        };
        assert_eq!(
            ev.get("http.headers.retry-after").unwrap().as_f64(),
            Some(30.0)
        );
        assert_eq!(
            ev.get("http.headers.X-Ratelimit-Remaining")
                .unwrap()
                .as_text(),
            "0"
        );
        assert!(ev.get("http.headers.nope").is_none());
        assert!(ev.get("http.nope").is_none());
    }

    #[test]
    fn the_longest_key_at_a_dot_is_the_one_descended() {
        let field = |k: &'static str, v: Value<'static>| (Cow::Borrowed(k), v);
        let json = |t: &'static str| Value::Json(Cow::Borrowed(t));
        let ev = Event {
            fields: vec![
                field("a", json(r#"{"b":{"c":"via a"},"x":"ax"}"#)),
                field("a.b", json(r#"{"c":"via a.b"}"#)),
                field("a.b", json(r#"{"c":"second a.b"}"#)),
                field("s", Value::Str(Cow::Borrowed("plain"))),
                field("ab", json(r#"{"c":"not at a dot"}"#)),
            ],
            ..Event::text("x", Span::default())
        };
        assert_eq!(ev.get("a.b.c").unwrap().as_text(), "via a.b");
        assert_eq!(ev.get("a.x").unwrap().as_text(), "ax");
        assert!(
            ev.get("a.b.x").is_none(),
            "the longest key wins, no fallback to `a`"
        );
        assert!(ev.get("s.x").is_none(), "a plain value has no members");
        assert!(ev.get("abc").is_none());
        assert!(ev.get("missing.c").is_none());
    }

    #[test]
    fn levels_parse_in_any_case() {
        assert_eq!(Level::parse("warn"), Some(Level::Warn));
        assert_eq!(Level::parse("WARN"), Some(Level::Warn));
        assert_eq!(Level::parse("warning"), Some(Level::Warn));
        assert_eq!(Level::parse("DPANIC"), Some(Level::DPanic));
        assert_eq!(Level::parse("warn "), None);
        assert_eq!(Level::parse("verbose"), None);
    }

    #[test]
    fn timestamps_render_in_utc() {
        let t = Timestamp::from_epoch_secs(1755896663.409112).unwrap();
        assert_eq!(t.to_rfc3339(), "2025-08-22T21:04:23.409Z");
        assert!(Timestamp::from_epoch_secs(f64::NAN).is_none());
    }
}
