//! Log lines as container runtimes store them, unwrapped to the connector's own line before
//! anything else reads them (connectors run in pods):
//! - CRI / containerd (`/var/log/pods/…`, `/var/log/containers/…`):
//!   `2026-01-01T00:00:00.123456789Z stderr F {json}`; a `P` (partial) line is the first part of
//!   a long line and is joined with the parts after it up to the next `F`;
//! - `kubectl logs --timestamps`: `2026-01-01T00:00:00.123456789Z {json}` (or a zap console line);
//! - Docker's json-file driver: `{"log":"{…}\n","stream":"stderr","time":"…"}`, a `log`
//!   without its trailing newline being a partial line.
//!
//! Sources: the CRI log format of kubelet (`kubernetes/pkg/kubelet/kuberuntime/logs`:
//! `timestamp stream tag content`, tags `P` and `F`), and Docker's `jsonfilelog` driver
//! (`daemon/logger/jsonfilelog/jsonlog`: fields `log`, `stream`, `time`).

/// What a physical line holds.
pub enum Unwrapped<'a> {
    /// Not a container runtime's line: read as it is.
    Plain,
    /// The connector's line inside the runtime's.
    Inner(&'a str),
    /// A line decoded or joined from parts.
    Owned(String),
    /// The first part of a long line: nothing to read until the rest comes.
    Partial,
}

/// Most bytes of one line joined from partial parts (the line cap of the reader, again).
const MAX_JOINED: usize = 1 << 20;

/// Carries the parts of a partial line to the part that ends it.
#[derive(Debug, Default)]
pub struct Joiner {
    buf: String,
    active: bool,
}

impl Joiner {
    /// Whatever a partial line left, to be read as it is at the end of the input.
    pub fn take(&mut self) -> Option<String> {
        self.active = false;
        (!self.buf.is_empty()).then(|| std::mem::take(&mut self.buf))
    }

    fn part(&mut self, s: &str) -> Unwrapped<'static> {
        if self.buf.len() + s.len() <= MAX_JOINED {
            self.buf.push_str(s);
        }
        self.active = true;
        Unwrapped::Partial
    }

    fn last<'a>(&mut self, s: &'a str) -> Unwrapped<'a> {
        if !self.active {
            return Unwrapped::Inner(s);
        }
        self.active = false;
        let mut joined = std::mem::take(&mut self.buf);
        if joined.len() + s.len() <= MAX_JOINED {
            joined.push_str(s);
        }
        Unwrapped::Owned(joined)
    }
}

/// Unwraps `line` if a container runtime wrote it.
pub fn unwrap<'a>(line: &'a str, joiner: &mut Joiner) -> Unwrapped<'a> {
    match line.as_bytes().first() {
        Some(b'{') if line.starts_with("{\"log\":") => docker(line, joiner),
        Some(b'0'..=b'9') => timestamped(line, joiner),
        _ => Unwrapped::Plain,
    }
}

/// The length of an RFC 3339 timestamp at the start of `s` that ends in `Z` or `±hh:mm`
/// (kubelet and kubectl write `…T…Z`; zap's console time is `…-0700` and is not one).
fn rfc3339_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if !(digits(0..4) && b.get(4) == Some(&b'-') && b.get(10) == Some(&b'T') && digits(11..13)) {
        return None;
    }
    // Bytes, not chars: the 40th byte may be inside a character (fuzzing, `parse_lines`: a
    // zap console line with a multi-byte level panicked here); a space is always a boundary.
    let end = b[..b.len().min(40)].iter().position(|&c| c == b' ')?;
    let t = &s[..end];
    let zoned = t.ends_with('Z')
        || (t.len() > 6 && matches!(b[end - 6], b'+' | b'-') && b[end - 3] == b':');
    zoned.then_some(end)
}

fn timestamped<'a>(line: &'a str, joiner: &mut Joiner) -> Unwrapped<'a> {
    let Some(end) = rfc3339_len(line) else {
        return Unwrapped::Plain;
    };
    let rest = &line[end + 1..];
    for stream in ["stderr ", "stdout "] {
        if let Some(r) = rest.strip_prefix(stream) {
            return match (r.strip_prefix("F "), r.strip_prefix("P ")) {
                (Some(content), _) => joiner.last(content),
                (_, Some(content)) => joiner.part(content),
                // `F` with an empty line after it.
                _ if r == "F" => joiner.last(""),
                _ => Unwrapped::Plain,
            };
        }
    }
    // kubectl --timestamps: only in front of what a connector writes (a JSON record or a zap
    // console line), so a plain text line that starts with a time is left alone.
    if rest.starts_with('{') || rfc3339_like(rest) {
        return Unwrapped::Inner(rest);
    }
    Unwrapped::Plain
}

/// A zap console timestamp (`2025-08-22T14:04:23.409-0700`).
fn rfc3339_like(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 19 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b'T'
}

#[derive(serde::Deserialize)]
struct DockerLine {
    log: String,
}

fn docker<'a>(line: &'a str, joiner: &mut Joiner) -> Unwrapped<'a> {
    let Ok(d) = serde_json::from_str::<DockerLine>(line) else {
        return Unwrapped::Plain;
    };
    match d.log.strip_suffix('\n') {
        Some(whole) => match joiner.last(whole) {
            Unwrapped::Inner(s) => Unwrapped::Owned(s.to_string()),
            Unwrapped::Owned(s) => Unwrapped::Owned(s),
            Unwrapped::Plain | Unwrapped::Partial => Unwrapped::Plain,
        },
        None => {
            joiner.part(&d.log);
            Unwrapped::Partial
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(u: Unwrapped<'_>) -> Option<String> {
        match u {
            Unwrapped::Plain => Some("<plain>".into()),
            Unwrapped::Inner(s) => Some(s.to_string()),
            Unwrapped::Owned(s) => Some(s),
            Unwrapped::Partial => None,
        }
    }

    #[test]
    fn shapes() {
        let mut j = Joiner::default();
        let cases = [
            (
                "2026-01-01T00:00:00.123456789Z stderr F {\"a\":1}",
                Some("{\"a\":1}"),
            ),
            (
                "2026-01-01T00:00:00.123456789Z {\"a\":1}",
                Some("{\"a\":1}"),
            ),
            ("2026-01-01T00:00:00+02:00 {\"a\":1}", Some("{\"a\":1}")),
            (
                "{\"log\":\"{\\\"a\\\":1}\\n\",\"stream\":\"stderr\",\"time\":\"x\"}",
                Some("{\"a\":1}"),
            ),
            (
                "2025-08-22T14:04:23.409-0700\tINFO\tx.go:1\tmsg",
                Some("<plain>"),
            ),
            ("2026-01-01T00:00:00Z something happened", Some("<plain>")),
            ("{\"level\":\"info\"}", Some("<plain>")),
            // A multi-byte character across byte 40 (fuzzing): no time, no panic.
            (
                "2025-08-22T14:04:25.573-0700\t\u{fffd}\u{fffd}\u{fffd}\u{fffd}\tretry.go:125\tm",
                Some("<plain>"),
            ),
            (
                "2026-01-01T00:00:00.123456789éééééé stderr F x",
                Some("<plain>"),
            ),
        ];
        for (line, want) in cases {
            assert_eq!(text(unwrap(line, &mut j)).as_deref(), want, "{line}");
        }
    }

    #[test]
    fn partial_lines_are_joined() {
        let mut j = Joiner::default();
        assert!(text(unwrap("2026-01-01T00:00:00Z stderr P {\"a\":", &mut j)).is_none());
        assert!(text(unwrap("2026-01-01T00:00:00Z stderr P 12", &mut j)).is_none());
        assert_eq!(
            text(unwrap("2026-01-01T00:00:01Z stderr F 3}", &mut j)).as_deref(),
            Some("{\"a\":123}")
        );
        assert!(
            text(unwrap(
                "{\"log\":\"{\\\"b\\\":\",\"stream\":\"stderr\"}",
                &mut j
            ))
            .is_none()
        );
        assert_eq!(
            text(unwrap("{\"log\":\"2}\\n\",\"stream\":\"stderr\"}", &mut j)).as_deref(),
            Some("{\"b\":2}")
        );
        assert!(text(unwrap("2026-01-01T00:00:00Z stderr P dangling", &mut j)).is_none());
        assert_eq!(j.take().as_deref(), Some("dangling"));
    }
}
