//! Structured redaction of JSON text, byte for byte: the value of every member whose key names
//! a secret ([`is_secret_key`]) becomes `"REDACTED"` whatever its type (string, array, object,
//! number), and every other string is decoded, redacted as text, and re-encoded only when it
//! changed. Everything else — key order, spacing, newlines of a pretty-printed record, escapes —
//! is copied as it was, so valid JSON stays valid JSON.

use super::keys::is_secret_key;
use super::text::redact_text;

/// Nesting deeper than this is not walked (the text patterns still run over it).
const MAX_DEPTH: usize = 256;

/// `src` redacted, when `src` is exactly one JSON object or array (surrounding white space
/// allowed); `None` when it is not JSON.
pub fn redact_json(src: &str) -> Option<String> {
    let mut w = Walker {
        s: src.as_bytes(),
        src,
        i: 0,
        out: String::with_capacity(src.len()),
    };
    w.ws();
    if !matches!(w.peek(), Some(b'{' | b'[')) {
        return None;
    }
    w.value(0, false)?;
    w.ws();
    (w.i == w.s.len()).then_some(w.out)
}

/// The length of the JSON object or array that starts `src`, if it is one (what follows is
/// not looked at). Used to find the fields object at the end of a zap console line.
pub fn json_prefix_len(src: &str) -> Option<usize> {
    let mut w = Walker {
        s: src.as_bytes(),
        src,
        i: 0,
        out: String::new(),
    };
    if !matches!(w.peek(), Some(b'{' | b'[')) {
        return None;
    }
    w.value(0, false)?;
    Some(w.i)
}

struct Walker<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    out: String,
}

impl Walker<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Copies white space.
    fn ws(&mut self) {
        let start = self.i;
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
        self.out.push_str(&self.src[start..self.i]);
    }

    /// Walks one value; under `secret` every scalar in it becomes `"REDACTED"` (a `null`
    /// stays `null`) and arrays and objects keep their shape, as the SDK's own
    /// `["REDACTED"]` headers do.
    fn value(&mut self, depth: usize, secret: bool) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let start = self.i;
        match self.peek()? {
            b'{' => self.object(depth, secret)?,
            b'[' => self.array(depth, secret)?,
            b'"' => {
                let (raw_end, escaped) = self.string_end()?;
                if secret {
                    self.out.push_str("\"REDACTED\"");
                } else {
                    self.string_value(start, raw_end, escaped);
                }
                self.i = raw_end;
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.'))
                {
                    self.i += 1;
                }
                let raw = &self.src[start..self.i];
                if raw.is_empty() {
                    return None;
                }
                if secret && raw != "null" {
                    self.out.push_str("\"REDACTED\"");
                } else {
                    self.out.push_str(raw);
                }
            }
        }
        Some(())
    }

    fn object(&mut self, depth: usize, inherited: bool) -> Option<()> {
        self.i += 1;
        self.out.push('{');
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            self.out.push('}');
            return Some(());
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let start = self.i;
            let (end, escaped) = self.string_end()?;
            let raw = &self.src[start..end];
            let secret = if escaped {
                serde_json::from_str::<String>(raw).is_ok_and(|k| is_secret_key(&k))
            } else {
                is_secret_key(&raw[1..raw.len() - 1])
            };
            self.out.push_str(raw);
            self.i = end;
            self.ws();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            self.out.push(':');
            self.ws();
            self.value(depth + 1, inherited || secret)?;
            if self.after_item(b'}')? {
                return Some(());
            }
        }
    }

    fn array(&mut self, depth: usize, secret: bool) -> Option<()> {
        self.i += 1;
        self.out.push('[');
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            self.out.push(']');
            return Some(());
        }
        loop {
            self.value(depth + 1, secret)?;
            if self.after_item(b']')? {
                return Some(());
            }
        }
    }

    /// After an object member or array element: copies `,` (more follow: `false`) or the
    /// `close` bracket (`true`); anything else is not JSON.
    fn after_item(&mut self, close: u8) -> Option<bool> {
        self.ws();
        let c = self.peek()?;
        if c != b',' && c != close {
            return None;
        }
        self.i += 1;
        self.out.push(c as char);
        if c == b',' {
            self.ws();
        }
        Some(c == close)
    }

    /// The end (exclusive) of the string starting at `self.i`, and whether it has escapes.
    fn string_end(&self) -> Option<(usize, bool)> {
        let mut j = self.i + 1;
        let mut escaped = false;
        loop {
            let k = j + memchr::memchr2(b'"', b'\\', &self.s[j..])?;
            if self.s[k] == b'"' {
                return Some((k + 1, escaped));
            }
            escaped = true;
            j = k + 2;
            if j > self.s.len() {
                return None;
            }
        }
    }

    /// Writes the string `src[start..end]` (quotes included), redacted as text.
    fn string_value(&mut self, start: usize, end: usize, escaped: bool) {
        let raw = &self.src[start..end];
        if !escaped {
            match redact_text(&raw[1..end - start - 1]) {
                std::borrow::Cow::Borrowed(_) => self.out.push_str(raw),
                std::borrow::Cow::Owned(s) => self.push_encoded(&s),
            }
            return;
        }
        let Ok(decoded) = serde_json::from_str::<String>(raw) else {
            // Not a valid JSON string (a lone surrogate escape…): redact the raw text.
            self.out.push_str(&redact_text(raw));
            return;
        };
        match redact_text(&decoded) {
            std::borrow::Cow::Borrowed(_) => self.out.push_str(raw),
            std::borrow::Cow::Owned(s) => self.push_encoded(&s),
        }
    }

    fn push_encoded(&mut self, s: &str) {
        // Serialising a str cannot fail.
        self.out
            .push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"REDACTED\"".into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_of_any_type() {
        let src = r#"{"msg":"x","password":["a","b"],"token":{"value":"t0k"},"api_key":12345,"headers":{"X-Api-Key":["k3y-value-123"],"Cookie":["sid=abc"]},"n":1}"#;
        let out = redact_json(src).unwrap();
        for s in ["\"a\"", "t0k", "12345", "k3y-value-123", "sid=abc"] {
            assert!(!out.contains(s), "{s} in {out}");
        }
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["password"], serde_json::json!(["REDACTED", "REDACTED"]));
        assert_eq!(v["headers"]["Cookie"][0], "REDACTED");
        assert_eq!(v["token"]["value"], "REDACTED");
        assert_eq!(v["n"], 1);
    }

    #[test]
    fn layout_and_escapes_are_kept() {
        let src = "{\n  \"msg\": \"bad param \\\"token=abc123\\\" rejected\",\n  \"pass\\u0077ord\": \"hunter2\"\n}";
        let out = redact_json(src).unwrap();
        assert!(!out.contains("abc123") && !out.contains("hunter2"), "{out}");
        assert!(out.starts_with("{\n  \"msg\": "), "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["password"], "REDACTED");
        let clean = r#"{"level":"info","msg":"Syncing resources...","resource_type":"user"}"#;
        assert_eq!(redact_json(clean).unwrap(), clean);
    }

    #[test]
    fn not_json() {
        assert!(redact_json("plain text").is_none());
        assert!(redact_json(r#"{"a":"b""#).is_none());
        assert!(redact_json(r#"{"a":"b"} trailing"#).is_none());
        assert_eq!(json_prefix_len(r#"{"a":1} tail"#), Some(7));
    }
}
