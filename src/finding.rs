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

/// A place in the connector's Go source: the file (as shown: joined to `--source`), the line
/// and the symbol (`userBuilder.List`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceLoc {
    pub path: String,
    pub line: u64,
    pub symbol: String,
}

impl SourceLoc {
    /// `pkg/connector/users.go:57 (userBuilder.List)`.
    pub fn display(&self) -> String {
        if self.symbol.is_empty() {
            format!("{}:{}", self.path, self.line)
        } else {
            format!("{}:{} ({})", self.path, self.line, self.symbol)
        }
    }
}

/// One log line (or the first lines of a multi-line event) that shows the failure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    pub line: u64,
    pub text: String,
}

/// A consequence absorbed into its root cause: another rule's finding on the same chain.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlsoSeen {
    pub code: String,
    pub name: String,
    pub line: u64,
    pub count: u64,
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
    /// Stable across runs, inserted lines and renamed files: see [`fingerprint`].
    pub fingerprint: String,
    /// The line of the success that showed this failure recovered (its severity is then info
    /// at most); absent when it did not recover, or the rule has no `[outcome]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovered_at: Option<u64>,
    /// How many more times the failure came back after its first burst (a window rule that
    /// crossed its threshold again with the same fingerprint): each recurrence is folded into
    /// this finding, so one failure stays one finding however long the stream.
    #[serde(skip_serializing_if = "is_zero")]
    pub recurrences: u64,
    /// Consequences of this failure that other rules saw (absorbed into this root cause).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_seen: Vec<AlsoSeen>,
    /// The line of the connector's Go code the finding is about (`--source`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceLoc>,
    /// Placeholder values captured from the first occurrence (and window aggregates).
    #[serde(skip)]
    pub vars: IndexMap<String, String>,
    /// Index of the rule in the rule set.
    #[serde(skip)]
    pub rule: usize,
    /// Already handed to a streaming sink.
    #[serde(skip)]
    pub streamed: bool,
    /// The error chains of its occurrences: (hash of the innermost error text or of the line,
    /// hash of the host or 0 when unknown). What root-cause ownership compares
    /// (`engine::ownership`).
    #[serde(skip)]
    pub chains: Vec<(u64, u64)>,
    /// Decided: no other rule can own it any more (`engine::Engine::freeze_due`).
    #[serde(skip)]
    pub frozen: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
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

/// Chains remembered per finding.
pub const MAX_CHAINS: usize = 8;

impl Finding {
    /// Records the chains of one occurrence at `line` whose innermost error reads `phrase`,
    /// talking to `host` when known.
    pub fn add_chain(&mut self, line: u64, phrase: Option<&str>, host: Option<&str>) {
        let hashes = [
            Some((chain_hash("line", &line.to_string()), 0)),
            phrase.map(|p| {
                (
                    chain_hash("error", p),
                    host.map_or(0, |h| chain_hash("host", h)),
                )
            }),
        ];
        for h in hashes.into_iter().flatten() {
            if self.chains.len() < MAX_CHAINS && !self.chains.contains(&h) {
                self.chains.push(h);
            }
        }
    }
}

fn chain_hash(kind: &str, text: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in kind.bytes().chain([0]).chain(text.bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
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

/// The context keys that make a finding's identity (with its rule and group key).
pub const IDENTITY_KEYS: [&str; 5] = [
    "resource_type",
    "operation",
    "host",
    "path_template",
    "grpc_method",
];

/// A finding's fingerprint (public API, documented in the README): stable across runs, under
/// inserted or removed log lines and a renamed or moved file. It hashes the rule code, the
/// group key and the identity context ([`IDENTITY_KEYS`]), each normalized so ids, counts,
/// timestamps and tokens do not count (every word holding a digit, and every word over 24
/// characters, reads as `#`); never a line number or a path.
pub fn fingerprint(code: &str, key: &str, context: &IndexMap<String, String>) -> String {
    let mut parts = vec![code.to_string(), normalize(key)];
    for k in IDENTITY_KEYS {
        parts.push(context.get(k).map(|v| normalize(v)).unwrap_or_default());
    }
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    fnv1a(&refs)
}

/// `s` with every word (run of ASCII letters and digits) that holds a digit or is over 24
/// characters long replaced by `#`.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.len() > 24 || word.bytes().any(|b| b.is_ascii_digit()) {
            out.push('#');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_words() {
        assert_eq!(normalize("team/4567 at line 12"), "team/# at line #");
        assert_eq!(normalize("user"), "user");
        assert_eq!(normalize("eyJwYWdlIjoyfQeyJwYWdlIjoyfQ=="), "#==");
    }
}
