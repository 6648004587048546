//! A finding: one failure, however many log lines it spans. Repeats, parent/child copies and
//! the retry loop around a failure merge into one finding with a count, first and last line
//! and time, and a few evidence lines.

use indexmap::IndexMap;
use serde::Serialize;

use crate::event::Timestamp;
use crate::rules::Severity;

/// Evidence lines kept per finding.
pub const MAX_EVIDENCE: usize = 3;
/// Characters kept per evidence line.
pub const MAX_EVIDENCE_CHARS: usize = 600;

/// One log line (or the first lines of a multi-line event) that shows the failure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    pub line: u64,
    pub text: String,
}

/// One finding.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    pub message: String,
    /// The input: a file path, or `-` for stdin.
    pub path: String,
    /// First line of the first occurrence.
    pub line: u64,
    /// Last line of the first occurrence (multi-line events, windows).
    pub end_line: u64,
    /// Line of the last occurrence.
    pub last_line: u64,
    /// Matching events merged into this finding.
    pub count: u64,
    #[serde(serialize_with = "ser_ts")]
    pub first_ts: Option<Timestamp>,
    #[serde(serialize_with = "ser_ts")]
    pub last_ts: Option<Timestamp>,
    /// What the failure happened in: `resource_type`, `resource_id`, `operation`,
    /// `grpc_method`, `host`, when known.
    pub context: IndexMap<String, String>,
    pub evidence: Vec<Evidence>,
    /// Stable across runs on the same input: code, path and group key.
    pub fingerprint: String,
    /// Placeholder values captured from the first occurrence (and window aggregates).
    #[serde(skip)]
    pub vars: IndexMap<String, String>,
    /// Index of the rule in the rule set.
    #[serde(skip)]
    pub rule: usize,
    /// Already handed to a streaming sink.
    #[serde(skip)]
    pub streamed: bool,
}

fn ser_ts<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_rfc3339()),
        None => s.serialize_none(),
    }
}

impl Finding {
    /// Seconds from first to last occurrence, when both have a time.
    pub fn span_secs(&self) -> Option<f64> {
        Some(self.last_ts?.secs_since(self.first_ts?))
    }

    /// Adds an evidence line if there is room and it is not a duplicate: redacted whole,
    /// then clipped (a cut can hide a secret from the patterns, never the other way round).
    pub fn add_evidence(&mut self, line: u64, raw: &str) {
        if self.evidence.len() >= MAX_EVIDENCE || self.evidence.iter().any(|e| e.line == line) {
            return;
        }
        self.evidence.push(Evidence {
            line,
            text: redacted_clip(raw),
        });
    }
}

/// `raw` redacted, then clipped: how any input text becomes evidence.
pub fn redacted_clip(raw: &str) -> String {
    clip(&crate::redact::redact(raw))
}

/// Cuts `raw` to [`MAX_EVIDENCE_CHARS`] characters (and its first 8 lines), marking the cut.
pub fn clip(raw: &str) -> String {
    // The common case: one short line.
    if raw.len() <= MAX_EVIDENCE_CHARS && memchr::memchr(b'\n', raw.as_bytes()).is_none() {
        return raw.to_string();
    }
    let mut out = String::new();
    for (i, l) in raw.lines().enumerate() {
        if i == 8 {
            out.push_str("\n…");
            break;
        }
        if i > 0 {
            out.push('\n');
        }
        out.push_str(l);
        if out.len() > MAX_EVIDENCE_CHARS {
            break;
        }
    }
    match out.char_indices().nth(MAX_EVIDENCE_CHARS) {
        Some((i, _)) => format!("{}…", &out[..i]),
        None => out,
    }
}

/// FNV-1a, 64 bit: a stable hash for fingerprints (std's hasher may change between releases).
pub fn fnv1a(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}
