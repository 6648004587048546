//! zap JSON records (`--log-format json`): one object, keys `level, ts, caller, msg, error`
//! and any other fields. Strings borrow from the line unless they hold escapes; other fields
//! stay raw JSON until a rule reads them.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::DeserializeSeed;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::event::{Level, Timestamp, Value};

/// The parts of one JSON record. With `zap_keys` off (console trailing fields) only `error` is
/// lifted out of the field list.
#[derive(Debug, Default, PartialEq)]
pub struct Record<'a> {
    pub level: Option<Level>,
    pub ts: Option<Timestamp>,
    pub caller: Option<Cow<'a, str>>,
    pub msg: Option<Cow<'a, str>>,
    pub error: Option<Cow<'a, str>>,
    pub fields: Vec<(Cow<'a, str>, Value<'a>)>,
    /// True when the object had at least one of zap's own keys (`level`, `ts`, `msg`).
    pub looks_zap: bool,
}

/// Parses one JSON object. Returns `None` when the text is not exactly one JSON object.
/// The zap scanner ([`super::scan`]) reads it when it can; serde_json when it declines.
pub fn parse_record(text: &str, zap_keys: bool) -> Option<Record<'_>> {
    scan_record(text, zap_keys).or_else(|| serde_record(text, zap_keys))
}

/// The record as the zap scanner reads it, or `None` when the scanner declines the text.
pub fn scan_record(text: &str, zap_keys: bool) -> Option<Record<'_>> {
    let mut rec = Record::new();
    super::scan::members(text, |k, v, plain| {
        // A string without escapes is its own text between the quotes: no second scan.
        let value = if plain {
            Value::Str(Cow::Borrowed(&v[1..v.len() - 1]))
        } else {
            Value::from_json_text(v)
        };
        rec.member(Cow::Borrowed(k), value, zap_keys)
    })
    .then_some(rec)
}

/// The record as serde_json reads it: the fallback, and the scanner's oracle in tests and
/// fuzzing.
pub fn serde_record(text: &str, zap_keys: bool) -> Option<Record<'_>> {
    let mut de = serde_json::Deserializer::from_str(text);
    // Deep nesting is not an error worth a stack overflow: serde_json's recursion limit (128)
    // stays on and a too-deep record simply becomes a text event.
    let rec = RecordSeed { zap_keys }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(rec)
}

impl<'a> Record<'a> {
    fn new() -> Record<'a> {
        // Room for a typical record's fields at once, instead of growing 4 → 8 → 16.
        Record {
            fields: Vec::with_capacity(16),
            ..Record::default()
        }
    }

    /// Takes one top-level member: zap's own keys (the first of each with a usable value) are
    /// lifted out, everything else is a field.
    fn member(&mut self, key: Cow<'a, str>, value: Value<'a>, zap_keys: bool) {
        let value = if zap_keys || key == "error" {
            match self.lift(&key, value) {
                Some(v) => v,
                None => return,
            }
        } else {
            value
        };
        self.fields.push((key, value));
    }

    /// Lifts the value of a zap key out of the fields; gives it back when it stays a field.
    fn lift(&mut self, key: &str, value: Value<'a>) -> Option<Value<'a>> {
        match (key, value) {
            ("level", Value::Str(s)) if self.level.is_none() => {
                self.looks_zap = true;
                self.level = Level::parse(&s);
                if self.level.is_some() {
                    None
                } else {
                    Some(Value::Str(s))
                }
            }
            ("ts", v) if self.ts.is_none() => {
                self.looks_zap = true;
                self.ts = match &v {
                    Value::Num(n) => Timestamp::from_epoch_secs(*n),
                    Value::Str(s) => crate::parse::console::parse_time(s),
                    _ => None,
                };
                if self.ts.is_some() { None } else { Some(v) }
            }
            ("caller", Value::Str(s)) if self.caller.is_none() => {
                self.caller = Some(s);
                None
            }
            ("msg", Value::Str(s)) if self.msg.is_none() => {
                self.looks_zap = true;
                self.msg = Some(s);
                None
            }
            ("error", Value::Str(s)) if self.error.is_none() => {
                self.error = Some(s);
                None
            }
            (_, v) => Some(v),
        }
    }
}

struct RecordSeed {
    zap_keys: bool,
}

impl<'de> de::DeserializeSeed<'de> for RecordSeed {
    type Value = Record<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Record<'de>, D::Error> {
        d.deserialize_map(RecordVisitor {
            zap_keys: self.zap_keys,
        })
    }
}

struct RecordVisitor {
    zap_keys: bool,
}

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = Record<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a zap JSON record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record<'de>, A::Error> {
        let mut rec = Record::new();
        while let Some(CowStr(key)) = map.next_key::<CowStr<'de>>()? {
            let raw: &'de RawValue = map.next_value()?;
            rec.member(key, Value::from_json_text(raw.get()), self.zap_keys);
        }
        Ok(rec)
    }
}

/// A string that borrows from the input unless it had to be unescaped.
struct CowStr<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zap_keys_are_lifted_and_the_rest_kept_raw() {
        let line = r#"{"level":"warn","ts":1755896702.117301,"caller":"uhttp/wrapper.go:586","msg":"base-http-client: HTTP error status","status_code":429,"headers":{"Retry-After":["30"]}}"#;
        let r = parse_record(line, true).unwrap();
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(
            r.msg.as_deref(),
            Some("base-http-client: HTTP error status")
        );
        assert!(matches!(r.msg, Some(Cow::Borrowed(_))));
        assert_eq!(r.fields.len(), 2);
        assert_eq!(r.fields[0].1, Value::Num(429.0));
        assert!(matches!(r.fields[1].1, Value::Json(_)));
    }

    #[test]
    fn escaped_strings_are_unescaped() {
        let r = parse_record(r#"{"msg":"a\"b","error":"x\ny"}"#, true).unwrap();
        assert_eq!(r.msg.as_deref(), Some("a\"b"));
        assert_eq!(r.error.as_deref(), Some("x\ny"));
    }

    #[test]
    fn not_one_object_is_none() {
        assert!(parse_record(r#"{"level":"#, true).is_none());
        assert!(parse_record(r#"{"a":1} trailing"#, true).is_none());
        assert!(parse_record(r#"[1,2]"#, true).is_none());
        let deep = "[".repeat(100_000);
        assert!(parse_record(&format!("{{\"a\":{deep}"), true).is_none());
    }

    use crate::fuzzing::scanner_agrees as agree;

    #[test]
    fn the_scanner_and_serde_json_agree() {
        for t in [
            r#"{"level":"info","ts":1755896702.117301,"msg":"m","n":-0.5e-3,"o":{"a":[1,"}"]}}"#,
            r#"{"level":"INFO","ts":"2025-08-22T14:04:23.409-0700","msg":"console time"}"#,
            r#"{"level":"nope","level":"warn","msg":1,"msg":"second"}"#,
            r#"{"msg":"\u00e9 \ud83d\ude00 lone \ud800","error":"a\"b\\c\/d\n"}"#,
            r#"{"error":{"nested":true},"error":"second","caller":null}"#,
            r#"{"ts":1e999,"big":123456789012345678901234567890,"t":true,"f":false,"z":null}"#,
            r#"{"a\nb":1,"msg":"escaped key: serde_json reads it"}"#,
            "{\"msg\":\"tab\there\"}",
            r#"{"msg":"x"} {"msg":"y"}"#,
            r#"{"msg":"unterminated}"#,
            "\t{ \"msg\" :\r\n\"spaced\" }\n",
            "{}",
            "[]",
        ] {
            agree(t);
        }
        assert!(agree(r#"{"level":"info","msg":"é ✓","x":[]}"#));
    }

    #[test]
    fn the_scanner_reads_every_corpus_record_itself() {
        fn logs(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    logs(&p, out);
                } else if p.extension().is_some_and(|x| x == "log") {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        logs(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
            &mut files,
        );
        let (mut records, mut scanned) = (0, 0);
        for f in files {
            let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
            for line in text.lines() {
                if serde_record(line, true).is_some() {
                    records += 1;
                    scanned += usize::from(agree(line));
                }
            }
        }
        assert!(records > 500, "{records} records in the corpus");
        assert_eq!(
            scanned, records,
            "every corpus record is read by the scanner"
        );
    }
}
