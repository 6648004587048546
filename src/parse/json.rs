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
#[derive(Debug, Default)]
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
pub fn parse_record(text: &str, zap_keys: bool) -> Option<Record<'_>> {
    let mut de = serde_json::Deserializer::from_str(text);
    // Deep nesting is not an error worth a stack overflow: serde_json's recursion limit (128)
    // stays on and a too-deep record simply becomes a text event.
    let rec = RecordSeed { zap_keys }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(rec)
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
        // Room for a typical record's fields at once, instead of growing 4 → 8 → 16.
        let mut rec = Record {
            fields: Vec::with_capacity(16),
            ..Record::default()
        };
        while let Some(CowStr(key)) = map.next_key::<CowStr<'de>>()? {
            let raw: &'de RawValue = map.next_value()?;
            let special = self.zap_keys || key == "error";
            if special {
                match key.as_ref() {
                    "level" if rec.level.is_none() => {
                        if let Value::Str(s) = Value::from_raw(raw) {
                            rec.level = Level::parse(&s);
                            rec.looks_zap = true;
                            if rec.level.is_some() {
                                continue;
                            }
                        }
                    }
                    "ts" if rec.ts.is_none() => {
                        rec.looks_zap = true;
                        rec.ts = match Value::from_raw(raw) {
                            Value::Num(n) => Timestamp::from_epoch_secs(n),
                            Value::Str(s) => crate::parse::console::parse_time(&s),
                            _ => None,
                        };
                        if rec.ts.is_some() {
                            continue;
                        }
                    }
                    "caller" if rec.caller.is_none() => {
                        if let Value::Str(s) = Value::from_raw(raw) {
                            rec.caller = Some(s);
                            continue;
                        }
                    }
                    "msg" if rec.msg.is_none() => {
                        if let Value::Str(s) = Value::from_raw(raw) {
                            rec.looks_zap = true;
                            rec.msg = Some(s);
                            continue;
                        }
                    }
                    "error" if rec.error.is_none() => {
                        if let Value::Str(s) = Value::from_raw(raw) {
                            rec.error = Some(s);
                            continue;
                        }
                    }
                    _ => {}
                }
            }
            rec.fields.push((key, Value::from_raw(raw)));
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
}
