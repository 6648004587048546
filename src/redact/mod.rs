//! Redaction: the one stage every byte from an input passes before it leaves baton-lint —
//! evidence (redacted *before* it is clipped), messages rendered from templates, `events`,
//! `--stats`, paths and tar member names, `.c1z` values, every format, `redact` and `run --tee`.
//!
//! Structured first: a JSON record (a whole line, the fields object at the end of a zap
//! console line, a pretty-printed block) is walked ([`json`]) and the value of every member
//! whose key names a secret ([`keys`]) is replaced whatever its type; then the text patterns
//! ([`text`]) run over every other string for what hides inside (auth schemes, JWTs, URL
//! userinfo, `key=value` forms, DSNs, vendor token prefixes, PEM blocks across lines). Page
//! tokens stay readable: they are evidence of BL101/BL102, not credentials. Line-by-line
//! streams (`baton-lint redact`) carry PEM blocks and pretty-printed secret arrays across lines
//! with [`LineRedactor`].

mod json;
mod keys;
mod lines;
mod text;

use std::borrow::Cow;

pub use keys::is_secret_key;
pub use lines::LineRedactor;
pub use text::{redact_text, warm_up};

/// The replacement text.
pub const REDACTED: &str = "REDACTED";

/// How many `{` of a line are tried as the start of a zap console line's fields object.
const MAX_TAIL_TRIES: usize = 4;

/// `text` (a log line, a multi-line event, a message) with every secret replaced by
/// `REDACTED`; borrowed when nothing was found. JSON stays valid JSON. Idempotent.
pub fn redact(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim_start();
    if trimmed.starts_with(['{', '[']) {
        if let Some(out) = json::redact_json(text) {
            return if out == text {
                Cow::Borrowed(text)
            } else {
                Cow::Owned(out)
            };
        }
    }
    if let Some(out) = redact_console_tail(text) {
        return out;
    }
    redact_text(text)
}

/// A zap console line: `ts<TAB>level<TAB>caller<TAB>msg<TAB>{fields}`. The fields object is
/// redacted as JSON, the columns before it as text.
fn redact_console_tail(text: &str) -> Option<Cow<'_, str>> {
    let end = text.trim_end().len();
    let mut tries = 0;
    for (i, _) in text.match_indices("\t{").chain(text.match_indices(" {")) {
        tries += 1;
        if tries > MAX_TAIL_TRIES {
            return None;
        }
        let start = i + 1;
        if json::json_prefix_len(&text[start..end]) != Some(end - start) {
            continue;
        }
        let head = redact_text(&text[..start]);
        let tail = json::redact_json(&text[start..end])?;
        if matches!(head, Cow::Borrowed(_)) && tail == text[start..end] {
            return Some(Cow::Borrowed(text));
        }
        return Some(Cow::Owned(format!("{head}{tail}{}", &text[end..])));
    }
    None
}

/// The value of a field, placeholder or capture named `name`: `REDACTED` when the name is a
/// secret, else the value redacted as text.
pub fn redact_field<'a>(name: &str, value: &'a str) -> Cow<'a, str> {
    if is_secret_key(name) && !value.is_empty() {
        Cow::Borrowed(REDACTED)
    } else {
        redact(value)
    }
}

/// Redacts the values a finding takes from one event (template placeholders, regex captures,
/// context): a value is secret when its name is, when it holds a secret itself, or when it
/// stands in the event's text only where redacting that text removes it (a capture of
/// `client_secret=(?P<what>\S+)` is named `what`, but its text is still the secret).
pub struct ValueRedactor<'a> {
    raw: &'a str,
    clean: std::cell::OnceCell<String>,
}

impl<'a> ValueRedactor<'a> {
    /// For values taken from the event whose text is `raw`.
    pub fn new(raw: &'a str) -> Self {
        ValueRedactor {
            raw,
            clean: std::cell::OnceCell::new(),
        }
    }

    /// The value `v` of `name`, redacted.
    pub fn value(&self, name: &str, v: &str) -> String {
        let r = redact_field(name, v);
        if matches!(r, Cow::Owned(_)) || r == REDACTED || v.len() < 4 || !self.raw.contains(v) {
            return r.into_owned();
        }
        let clean = self.clean.get_or_init(|| redact(self.raw).into_owned());
        if clean.contains(v) {
            v.to_string()
        } else {
            REDACTED.to_string()
        }
    }
}

/// Replaces control characters (C0 but tab and newline, DEL, C1) with visible escapes, so a
/// log line or a file name cannot move the cursor, recolour or retitle a terminal, nor break a
/// line-based format with a bare CR. Borrowed when there are none.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let bad =
        |c: char| (c.is_control() && c != '\n' && c != '\t') || c == '\u{2028}' || c == '\u{2029}';
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A writer that sends each line through [`redact`] and [`escape_controls`]: for outputs
/// assembled from input values in many places (`c1z --stats`, `diff`), so none can be missed.
pub struct CleanWriter<W: std::io::Write> {
    inner: W,
    line: Vec<u8>,
}

impl<W: std::io::Write> CleanWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        CleanWriter {
            inner,
            line: Vec::new(),
        }
    }

    fn emit(&mut self) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(&self.line);
        let clean = escape_controls(&redact(&text)).into_owned();
        self.line.clear();
        self.inner.write_all(clean.as_bytes())
    }
}

impl<W: std::io::Write> std::io::Write for CleanWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            self.line.extend_from_slice(&rest[..i]);
            self.emit()?;
            self.inner.write_all(b"\n")?;
            rest = &rest[i + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.line.is_empty() {
            self.emit()?;
        }
        self.inner.flush()
    }
}

impl<W: std::io::Write> Drop for CleanWriter<W> {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_line_fields_are_structured() {
        let line = "2025-08-22T14:06:41.301-0700\tINFO\tconnector/x.go:1\tconfig\t{\"client_secret\": [\"a\"], \"n\": 1}";
        let out = redact(line);
        assert!(!out.contains("\"a\""), "{out}");
        assert!(
            out.ends_with("{\"client_secret\": [\"REDACTED\"], \"n\": 1}"),
            "{out}"
        );
    }

    #[test]
    fn whole_json_record() {
        let line = r#"{"level":"info","msg":"config loaded","client_secret":"Zx9-Qw8_Er7","password":"hunter2-Very$ecret"}"#;
        let out = redact(line);
        assert!(!out.contains("Zx9") && !out.contains("hunter2"), "{out}");
        let clean = r#"{"level":"info","msg":"Syncing resources..."}"#;
        assert!(matches!(redact(clean), Cow::Borrowed(_)));
    }

    #[test]
    fn fields_by_name() {
        assert_eq!(redact_field("password", "x"), REDACTED);
        assert_eq!(redact_field("user", "bob"), "bob");
        assert_eq!(escape_controls("a\x1b[31mb\rc"), "a\\u{1b}[31mb\\u{d}c");
    }
}
