//! Derived values: what a rule or a message needs to know about an event that no single field
//! says — the innermost cause of a nested gRPC error, the wire code, the resource type and
//! operation a failure happened in, the host it was talking to. Computed only on demand.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use crate::event::{Builtin, Event, KeyRef, Value};

/// Names of the derived values, for docs and validation.
pub const DERIVED: &[&str] = &[
    "innermost",
    "wire_code",
    "resource_type",
    "resource_id",
    "operation",
    "grpc_method",
    "host",
    "url",
    "status_code",
    "vendor",
    "vendor_class",
    "vendor_text",
    "vendor_fix",
    "path_template",
    "exit_status",
    "panic.frame",
    "panic.location",
];

/// Derived values whose text is a substring of the event's raw text (so a literal found in
/// them is found in the raw line: the prefilter may rely on it).
pub const DERIVED_SUBSTRING: &[&str] = &[
    "innermost",
    "wire_code",
    "resource_type",
    "resource_id",
    "grpc_method",
    "host",
    "url",
    "vendor_text",
];

macro_rules! re {
    ($name:ident, $pat:expr) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| Regex::new($pat).expect("static regex"));
    };
}

/// Compiles every pattern here now (see [`crate::check::warm_up`]).
pub fn warm_up() {
    for re in [
        &WIRE_CODE,
        &GRANTS_FOR,
        &TYPE_EQ,
        &UNKNOWN_RT,
        &RT_PROVISIONER,
        &DIAL,
        &LOOKUP,
        &URL,
        &STATUS_TEXT,
    ] {
        LazyLock::force(re);
    }
}

re!(WIRE_CODE, r"code = ([A-Za-z]+)");
re!(
    GRANTS_FOR,
    r"listing grants for resource ([^/\s]+)/(\S+?) failed"
);
re!(TYPE_EQ, r"\btype=([^,\s)]+)");
re!(UNKNOWN_RT, r"unknown resource type ([^\s:]+)");
re!(RT_PROVISIONER, r"resource type ([^\s:]+) does not have");
re!(DIAL, r"dial tcp ([^\s:]+:\d+): connect");
re!(
    LOOKUP,
    r"\blookup ([A-Za-z0-9][^\s:]*\.[^\s:]+)(?: on [^\s]+)?: "
);
re!(URL, r#"(https?://[^"\s]+)"#);
// The HTTP status inside an error text, in every shape real errors take (`../shared/
// VENDOR-ERRORS.md` §1, §3): the status line `403 Forbidden`; `http code: 403` (simpleforce),
// `Status code: 401` (go-jira), `StatusCode: 403` (smithy), `status code 401` (PagerDuty),
// `"status":403` / `"status_code":403` in a body, `status 403` and `Request failed with status 403`
// (uhttp); `Error 403:` (googleapi); a bare `: 401` / `401: {` (go-github, go-zendesk, uhttp
// before v0.1.33), only for 401, 403, 407 and 429 there. Never digits in a time, a port or an id.
re!(
    STATUS_TEXT,
    r#"\b([1-5]\d\d) (?:Unauthorized|Forbidden|Too Many Requests|Not Found|Bad Request|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout|Unprocessable Entity|Conflict|Method Not Allowed|Request Timeout|Not Implemented|Gone|Payment Required|Proxy Authentication Required)\b|(?i:\bhttp code|\bstatus[ _]?code|\bstatus)"?\s*[:=]?\s*"?([1-5]\d\d)\b|\bError ([1-5]\d\d):|(?:^|: |desc = )(401|403|407|429)(?::? |$)"#
);

/// `re`'s captures in `text`, asked for only when `re` matches: most texts do not, and a
/// match search costs a fraction of a capture search (which allocates its slots). Derived values
/// run several patterns over each line's text (callgrind, 5 MB info-level log: 15 k capture
/// searches, about 1,200 instructions each).
fn captures<'t>(re: &Regex, text: &'t str) -> Option<regex::Captures<'t>> {
    // The capture search starts where the match does (the lazy DFA finds it), not at the
    // text's start: the same match (the leftmost one starts there; `\b` and `^` still see what
    // is before), for less (5 MB info-level log, when the status pattern still used this:
    // 676 M instructions before, 669 M after).
    let m = re.find(text)?;
    re.captures_at(text, m.start())
}

/// Group 1 of `re` in `text` for a pattern written `pre(…)post` with literal `pre` and `post`:
/// the match without them, so no capture search runs (one costs about 3,700 instructions on
/// a retry line's URL; test `a_framed_group_is_the_capture`).
fn framed<'t>(re: &Regex, text: &'t str, pre: &str, post: &str) -> Option<&'t str> {
    re.find(text)?
        .as_str()
        .strip_prefix(pre)?
        .strip_suffix(post)
}

/// [`GRANTS_FOR`]'s two groups, the type and the id, from its match: the type is what comes
/// before the first `/` (its class has no `/`), the id the rest.
fn grants_for(text: &str) -> Option<(&str, &str)> {
    framed(&GRANTS_FOR, text, "listing grants for resource ", " failed")?.split_once('/')
}

/// The text a failure is described in: `error`, or the line itself for text events.
pub fn error_text<'e>(ev: &'e Event<'_>) -> &'e str {
    ev.error.as_deref().unwrap_or(&ev.msg)
}

/// The innermost cause of a nested chain `rpc error: code = X desc = … rpc error: code = Y desc = Z`
/// (`Z`), one line, without wrapping quotes.
pub fn innermost(text: &str) -> String {
    let tail = match text.rfind("desc = ") {
        Some(p) => &text[p + 7..],
        None => text,
    };
    let tail = tail.trim().trim_matches('"');
    tail.replace('\n', "; ")
}

/// The phrase an error chain is known by, whatever wraps it: the first line of the innermost
/// cause, lower-cased. `status.FromError` makes every outer `desc = ` repeat the whole inner
/// text, so the child's call line, the parent's retry and the exit line of one error all end in
/// the same innermost cause (`rpc error: code = Unavailable desc = connection refused` + the
/// joined `dial tcp …` line reads `connection refused`). Wrappers inside the innermost text are
/// kept: `failed to get token: 401 Unauthorized` (ConductorOne's token) is not the API's
/// `401 Unauthorized`. `None` for an event with no error text.
pub fn chain_phrase(ev: &Event<'_>) -> Option<String> {
    let text = ev.error.as_deref()?;
    let inner = innermost(text);
    let first = inner.split("; ").next().unwrap_or(&inner).trim();
    (!first.is_empty()).then(|| first.to_ascii_lowercase())
}

fn operation_from_method(m: &str) -> Option<&'static str> {
    Some(match m {
        "ListResources" => "list-resources",
        "ListResourceTypes" => "list-resource-types",
        "ListEntitlements" => "list-entitlements",
        "ListStaticEntitlements" => "list-static-entitlements",
        "ListGrants" => "list-grants",
        "Validate" => "validate",
        "Grant" => "grant",
        "Revoke" => "revoke",
        "GetMetadata" => "get-metadata",
        "GetResource" => "get-resource",
        _ => return None,
    })
}

fn operation_from_text(t: &str) -> Option<&'static str> {
    const PAIRS: [(&str, &str); 8] = [
        ("listing static entitlements", "list-static-entitlements"),
        ("listing entitlements", "list-entitlements"),
        ("listing grants", "list-grants"),
        ("sync-grants", "list-grants"),
        ("listing resources", "list-resources"),
        ("listing ticket schemas", "list-ticket-schemas"),
        ("validate failed", "validate"),
        ("grant failed", "grant"),
    ];
    PAIRS.iter().find(|(k, _)| t.contains(k)).map(|(_, v)| *v)
}

fn field_text(ev: &Event<'_>, name: &str) -> Option<String> {
    ev.get(name)
        .map(|v| v.as_text().into_owned())
        .filter(|s| !s.is_empty())
}

/// One derived value of `ev`, or `None` when the event does not say.
pub fn derive(ev: &Event<'_>, name: &str) -> Option<String> {
    let text = error_text(ev);
    match name {
        "innermost" => Some(innermost(text)).filter(|s| !s.is_empty()),
        "wire_code" => framed(&WIRE_CODE, text, "code = ", "").map(str::to_string),
        "resource_type" => field_text(ev, "resource_type_id")
            .or_else(|| field_text(ev, "resource_type"))
            .or_else(|| field_text(ev, "action.resource_type_id"))
            // Before v0.8.0: `skipping sync grant action` with the same Action as `stateAction`.
            .or_else(|| field_text(ev, "stateAction.resource_type_id"))
            .or_else(|| grants_for(text).map(|(t, _)| t.to_string()))
            .or_else(|| framed(&TYPE_EQ, text, "type=", "").map(str::to_string))
            .or_else(|| framed(&UNKNOWN_RT, text, "unknown resource type ", "").map(str::to_string))
            .or_else(|| {
                framed(&RT_PROVISIONER, text, "resource type ", " does not have")
                    .map(str::to_string)
            }),
        "resource_id" => field_text(ev, "resource_id")
            .or_else(|| field_text(ev, "action.resource_id"))
            .or_else(|| grants_for(text).map(|(_, id)| id.to_string())),
        "operation" => field_text(ev, "action.operation").or_else(|| {
            operation_from_text(text)
                .or_else(|| {
                    derive(ev, "grpc_method")
                        .as_deref()
                        .and_then(operation_from_method)
                })
                .map(str::to_string)
        }),
        "grpc_method" => field_text(ev, "grpc.method").or_else(|| {
            // The parent's `method` field is a full gRPC method (`/c1…Service/ListGrants`);
            // `slow connector call` uses `method` for an SDK operation name instead.
            let m = field_text(ev, "method")?;
            m.starts_with('/')
                .then(|| m.rsplit('/').next().unwrap_or(&m).to_string())
        }),
        "host" => field_text(ev, "http.url_details.host")
            .or_else(|| framed(&DIAL, text, "dial tcp ", ": connect").map(str::to_string))
            .or_else(|| captures(&LOOKUP, text).map(|c| c[1].to_string()))
            .or_else(|| {
                framed(&URL, text, "", "").map(|u| {
                    let rest = u.split("://").nth(1).unwrap_or(u);
                    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
                    // `user:password@host`: the host is after the last `@`.
                    authority
                        .rsplit('@')
                        .next()
                        .unwrap_or(authority)
                        .to_string()
                })
            }),
        "url" => framed(&URL, text, "", "").map(str::to_string).or_else(|| {
            let host = field_text(ev, "http.url_details.host")?;
            let path = field_text(ev, "http.url_details.path").unwrap_or_default();
            Some(format!("{host}{path}"))
        }),
        // `derived_num` reads the first source as a number: keep the two in step.
        "status_code" => field_text(ev, "http.status_code")
            .or_else(|| field_text(ev, "status_code"))
            .or_else(|| status_in_text(text)),
        "vendor" | "vendor_class" | "vendor_text" | "vendor_fix" => {
            let hit = crate::vendor::find(text)?;
            Some(match name {
                "vendor" => hit.vendor.to_string(),
                "vendor_class" => hit.class.as_str().to_string(),
                "vendor_text" => hit.token.to_string(),
                _ => hit.fix.to_string(),
            })
        }
        "path_template" => ev
            .get("http.url_details.path")
            .map(|p| path_template(&p.into_text()))
            .filter(|t| !t.is_empty()),
        "exit_status" => Some(exit_status(derive(ev, "wire_code").as_deref()).to_string()),
        // A recovered panic (`gRPC handler panic`, `HTTP request panic`) carries its trace in
        // `stack`; raw panics get these fields from the parser.
        "panic.frame" | "panic.location" => {
            let stack = field_text(ev, "stack")?;
            let info = crate::parse::text::panic_info(&format!("panic: \n{stack}"));
            if name == "panic.frame" {
                info.frame
            } else {
                info.location
            }
        }
        _ => None,
    }
}

/// The HTTP status an error text states (see `STATUS_TEXT`).
pub fn status_in_text(text: &str) -> Option<String> {
    // The code is the match's only digits (no phrase or key word of the pattern has any): read
    // from the match, not by a capture search, which cost ~8 k instructions on a 429 retry
    // error (callgrind, 5 MB info-level log). A test keeps this equal to the captured group.
    let m = STATUS_TEXT.find(text)?.as_str();
    let at = m.find(|c: char| c.is_ascii_digit())?;
    m.get(at..at + 3).map(str::to_string)
}

/// The exit status baton-sdk ≥ 0.25 uses for an error with this gRPC code (older SDKs always
/// exit 1): the code's number, 2 (Unknown) when there is none.
pub fn exit_status(wire_code: Option<&str>) -> u8 {
    wire_code
        .and_then(|c| GRPC_CODES.iter().position(|x| *x == c))
        .map_or(2, |i| i as u8)
}

/// gRPC status codes by number, as `rpc error: code = …` prints them.
pub const GRPC_CODES: [&str; 17] = [
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
];

/// A value by name as text: a field of the event (see [`Event::get`]) or a derived value.
pub fn lookup<'e>(ev: &'e Event<'_>, name: &str) -> Option<Cow<'e, str>> {
    if let Some(v) = ev.get(name) {
        return Some(v.into_text());
    }
    derived(ev, name).map(Cow::Borrowed)
}

/// The number `name` holds on `ev` (a number, or text that is one or a Go duration, in
/// seconds): [`FieldName::lookup`] then [`crate::event::parse_number_or_duration`], without
/// printing a JSON number to read it back (a ratio window's `per_value` is read on every
/// `Synced resources` line). A number reads as that text would: finite, and `-0` as `0`.
pub fn number(ev: &Event<'_>, name: &FieldName) -> Option<f64> {
    match name.get(ev) {
        Some(Value::Num(n)) => n.is_finite().then_some(n + 0.0),
        Some(v) => crate::event::parse_number_or_duration(&v.into_text()),
        None => crate::event::parse_number_or_duration(name.derived(ev)?),
    }
}

/// A name a rule or template reads on every event it is asked of, resolved when the rule
/// loads: which built-in value, key slots ([`KeyRef`]) and derived value it is. Looking it up
/// gives what [`lookup`] gives for its text, without the name comparisons and field scans.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldName {
    text: String,
    key: KeyRef,
    derived: Option<u8>,
}

impl FieldName {
    pub fn new(text: impl Into<String>) -> FieldName {
        let text = text.into();
        FieldName {
            key: KeyRef::of(&text),
            derived: derived_index(&text).map(|i| i as u8),
            text,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The built-in value it names, if any (`msg`, `error`, …).
    pub fn builtin(&self) -> Option<Builtin> {
        self.key.builtin
    }

    /// The event's value ([`Event::get`] of the text).
    pub fn get<'e>(&self, ev: &'e Event<'_>) -> Option<Value<'e>> {
        ev.get_by(&self.text, &self.key)
    }

    /// The event's top-level field of that key ([`Event::field`] of the text).
    pub fn field<'e, 'a>(&self, ev: &'e Event<'a>) -> Option<&'e Value<'a>> {
        ev.field_of(&self.text, &self.key)
    }

    /// [`lookup`] of the text.
    pub fn lookup<'e>(&self, ev: &'e Event<'_>) -> Option<Cow<'e, str>> {
        if let Some(v) = self.get(ev) {
            return Some(v.into_text());
        }
        self.derived(ev).map(Cow::Borrowed)
    }

    /// [`derived`] of the text.
    pub fn derived<'e>(&self, ev: &'e Event<'_>) -> Option<&'e str> {
        derived_at(ev, usize::from(self.derived?))
    }
}

impl std::ops::Deref for FieldName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl From<&str> for FieldName {
    fn from(text: &str) -> FieldName {
        FieldName::new(text)
    }
}

impl PartialEq<&str> for FieldName {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl std::fmt::Display for FieldName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

const _: () = assert!(DERIVED.len() == crate::event::DERIVED_SLOTS);

/// [`derive`], computed once per event and lent out: several rules and templates ask one line
/// for the same status code, host or path template.
pub fn derived<'e>(ev: &'e Event<'_>, name: &str) -> Option<&'e str> {
    // A name that is no derived value (a field the event lacks: most template placeholders on
    // most lines) costs no error-text scan.
    derived_at(ev, derived_index(name)?)
}

/// Derived value `i` of [`DERIVED`], computed once per event.
fn derived_at<'e>(ev: &'e Event<'_>, i: usize) -> Option<&'e str> {
    ev.derived.get_or(i, || derive(ev, DERIVED[i]))
}

/// The index of a derived name in [`DERIVED`]. A `match`, not a search of the list: it runs
/// for every placeholder and field a line lacks, and the compiler tests lengths before bytes
/// (test `derived_index_follows_the_list` keeps the two in step).
fn derived_index(name: &str) -> Option<usize> {
    Some(match name {
        "innermost" => 0,
        "wire_code" => 1,
        "resource_type" => 2,
        "resource_id" => 3,
        "operation" => 4,
        "grpc_method" => 5,
        "host" => 6,
        "url" => 7,
        "status_code" => 8,
        "vendor" => 9,
        "vendor_class" => 10,
        "vendor_text" => 11,
        "vendor_fix" => 12,
        "path_template" => 13,
        "exit_status" => 14,
        "panic.frame" => 15,
        "panic.location" => 16,
        _ => return None,
    })
}

/// A derived value as a number: its text parsed, except that the status code is read as the
/// number of its first source, `http.status_code` (every request line has it; BL304 asks on
/// each), rather than printed and parsed back. The same value: an f64 prints in the shortest
/// form that parses back to it.
pub fn derived_num(ev: &Event<'_>, name: &str) -> Option<f64> {
    if name == "status_code" {
        if let Some(Value::Num(n)) = HTTP_STATUS.field(ev) {
            return Some(*n);
        }
    }
    derived(ev, name).and_then(crate::event::parse_number_or_duration)
}

/// The status code a condition on `status_code` reads (the event's own `status_code` field,
/// else [`derived_num`]) when fields decide it: `Some` of what they say (`Some(None)` for a field
/// that is no number), `None` when no field says anything and the error text decides. The
/// prefilter tests this on every event instead of searching the raw line for the key's name,
/// which every request line has.
pub fn status_from_fields(ev: &Event<'_>) -> Option<Option<f64>> {
    if let Some(v) = STATUS.get(ev) {
        return Some(v.as_f64());
    }
    if let Some(Value::Num(n)) = HTTP_STATUS.field(ev) {
        return Some(Some(*n));
    }
    let text = HTTP_STATUS
        .get(ev)
        .map(Value::into_text)
        .filter(|t| !t.is_empty())?;
    Some(crate::event::parse_number_or_duration(&text))
}

/// The codes an error text may state (`status_in_text`), as numbers: its runs of exactly three
/// digits. The status pattern's code is always one (no digit before or after it), so a test
/// of the text's status passes only if it passes on one of these; the prefilter scans for them
/// instead of running the pattern.
pub fn text_codes(text: &str) -> impl Iterator<Item = f64> + '_ {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            if !b[i].is_ascii_digit() {
                i = next_digit(b, i + 1);
                continue;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 3 {
                let n = b[start..i]
                    .iter()
                    .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
                return Some(f64::from(n));
            }
        }
        None
    })
}

/// The first ASCII digit at or after `i` (or the end), eight bytes at a time: error texts are
/// mostly words (SWAR: a byte `x` of a word is a digit when `x - '0'` is below 10, tested on
/// all eight at once without borrows crossing bytes; a candidate chunk is then read bytewise).
fn next_digit(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        // Bytes at or above 0x80 are never digits; below it, `(x & 0x7f) + (0x80 - '0')` has
        // its high bit set when x >= '0', and `(x & 0x7f) + (0x80 - ':')` when x > '9'.
        let low = w & !HIGH;
        let ge0 = low.wrapping_add(ONES * (0x80 - u64::from(b'0')));
        let gt9 = low.wrapping_add(ONES * (0x80 - u64::from(b':')));
        if ge0 & !gt9 & !w & HIGH != 0 {
            break;
        }
        i += 8;
    }
    b.get(i..)
        .and_then(|rest| rest.iter().position(u8::is_ascii_digit))
        .map_or(b.len(), |p| i + p)
}

/// The two fields a status code is read from, resolved once.
static HTTP_STATUS: LazyLock<FieldName> = LazyLock::new(|| FieldName::new("http.status_code"));
static STATUS: LazyLock<FieldName> = LazyLock::new(|| FieldName::new("status_code"));

/// Replaces path segments that look like ids (numbers, UUIDs, hex, emails, opaque tokens) with
/// `{id}`: `/users/00u1a2b3c4/roles` → `/users/{id}/roles`.
pub fn path_template(path: &str) -> String {
    // Byte positions, not `str::split`: paths are short and their segments shorter, and the
    // `char` searcher set up per segment cost more than the test of the segment (callgrind).
    let path = &path[..memchr::memchr(b'?', path.as_bytes()).unwrap_or(path.len())];
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    loop {
        // `/` is ASCII: every cut is a char boundary.
        let end = rest.bytes().position(|b| b == b'/').unwrap_or(rest.len());
        let seg = &rest[..end];
        out.push_str(if looks_like_id(seg.as_bytes()) {
            "{id}"
        } else {
            seg
        });
        if end == rest.len() {
            return out;
        }
        out.push('/');
        rest = &rest[end + 1..];
    }
}

/// Whether a path segment looks like an id, in one pass over its bytes. It runs for every
/// segment of every request line's path (BL501's key): with five passes a segment and a
/// `char` searcher per segment, a path template cost about 1,700 instructions, now about 900
/// (callgrind, 5 MB debug log).
fn looks_like_id(seg: &[u8]) -> bool {
    if seg.is_empty() {
        return false;
    }
    let (mut digits, mut alpha) = (0usize, 0usize);
    let (mut at, mut hexish, mut opaque) = (false, true, true);
    for &b in seg {
        if b.is_ascii_digit() {
            digits += 1;
        } else if b.is_ascii_alphabetic() {
            alpha += 1;
            hexish &= b.is_ascii_hexdigit();
        } else {
            at |= b == b'@';
            hexish &= b == b'-';
            opaque &= b"-_=".contains(&b);
        }
    }
    let n = seg.len();
    digits == n
        || at
        // UUIDs, hex ids
        || hexish && n >= 8 && digits > 0
        // Opaque ids: long, mixed letters and digits (Okta `00u1a2b3c4D5e6F7g8`, base64-ish).
        || n >= 10 && digits >= 2 && alpha >= 2
        || n >= 20 && opaque
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The five-pass definition the one-pass [`looks_like_id`] replaced: the oracle.
    fn looks_like_id_by_definition(seg: &str) -> bool {
        if seg.is_empty() {
            return false;
        }
        let digits = seg.bytes().filter(u8::is_ascii_digit).count();
        let alpha = seg.bytes().filter(u8::is_ascii_alphabetic).count();
        let hexish = seg.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        digits == seg.len()
            || seg.contains('@')
            || hexish && seg.len() >= 8 && digits > 0
            || seg.len() >= 10 && digits >= 2 && alpha >= 2
            || seg.len() >= 20
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_=".contains(&b))
    }

    #[test]
    fn grants_for_splits_at_the_first_slash_and_the_first_failed() {
        for text in [
            "error: listing grants for resource group/a/b failed: rpc error",
            "listing grants for resource app/1 failed: x failed",
            "listing grants for resource app/1 2 failed",
            "listing grants for resource /1 failed",
        ] {
            let want = captures(&GRANTS_FOR, text).map(|c| (c[1].to_string(), c[2].to_string()));
            let got = grants_for(text).map(|(t, id)| (t.to_string(), id.to_string()));
            assert_eq!(got, want, "{text}");
        }
        assert_eq!(
            grants_for("listing grants for resource group/a/b failed"),
            Some(("group", "a/b"))
        );
    }

    proptest::proptest! {
        /// `framed` gives what the capture search gave, on texts pieced together from the
        /// patterns' own literals and the bytes their classes stop at.
        #[test]
        fn a_framed_group_is_the_capture(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "code = Unavailable", "code = ", "Unavailable", "type=user", "type=", "user",
                "unknown resource type group", "resource type role does not have",
                "resource type ", " does not have", "dial tcp 10.0.0.1:443: connect",
                "dial tcp ", "10.0.0.1:443", ": connect", "https://api.example.com/v1",
                "http://", "/v1?x=1", "listing grants for resource group/12 failed",
                "listing grants for resource ", "group/12", "/", " failed", " ", ",", ")", ":",
                "\"", "\n", "é", "x", "[",
            ]), 0..12),
        ) {
            let text = parts.concat();
            let capture = |re: &Regex| captures(re, &text).map(|c| c[1].to_string());
            let framed = |re: &Regex, pre, post| framed(re, &text, pre, post).map(str::to_string);
            proptest::prop_assert_eq!(framed(&WIRE_CODE, "code = ", ""), capture(&WIRE_CODE));
            proptest::prop_assert_eq!(framed(&TYPE_EQ, "type=", ""), capture(&TYPE_EQ));
            proptest::prop_assert_eq!(
                framed(&UNKNOWN_RT, "unknown resource type ", ""),
                capture(&UNKNOWN_RT)
            );
            proptest::prop_assert_eq!(
                framed(&RT_PROVISIONER, "resource type ", " does not have"),
                capture(&RT_PROVISIONER)
            );
            proptest::prop_assert_eq!(framed(&DIAL, "dial tcp ", ": connect"), capture(&DIAL));
            proptest::prop_assert_eq!(framed(&URL, "", ""), capture(&URL));
            let both = captures(&GRANTS_FOR, &text).map(|c| (c[1].to_string(), c[2].to_string()));
            proptest::prop_assert_eq!(
                grants_for(&text).map(|(t, id)| (t.to_string(), id.to_string())),
                both
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn path_template_keeps_its_definition(path in "[a-z0-9@/?=é-]{0,60}") {
            let path = path.as_str();
            let base = path.split('?').next().unwrap_or(path);
            let want = base
                .split('/')
                .map(|seg| if looks_like_id_by_definition(seg) { "{id}" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            proptest::prop_assert_eq!(path_template(path), want);
        }

        #[test]
        fn looks_like_id_keeps_its_definition(seg in "[0-9a-fA-Z@_=.~é-]{0,40}") {
            proptest::prop_assert_eq!(looks_like_id(seg.as_bytes()), looks_like_id_by_definition(&seg));
        }
    }

    /// Keys and names for [`a_resolved_name_finds_what_its_text_finds`]: slotted keys, their
    /// dotted children, built-in and derived names, and keys without a slot.
    const NAMES: [&str; 16] = [
        "count",
        "action",
        "action.page_token",
        "action.operation",
        "http",
        "http.url_details",
        "http.url_details.host",
        "http.url_details.host.x",
        "grpc.method",
        "msg",
        "level",
        "host",
        "resource_type",
        "status_code",
        "other",
        "other.page_token",
    ];

    fn value_of(i: u8) -> Value<'static> {
        match i % 6 {
            0 => Value::Str(Cow::Borrowed("v")),
            1 => Value::Num(f64::from(i)),
            2 => Value::Json(Cow::Borrowed(
                r#"{"page_token":"t1","operation":"list","host":{"x":"h"}}"#,
            )),
            3 => Value::Json(Cow::Borrowed(
                r#"{"host":"api.example.com","url_details":{"host":"deep"}}"#,
            )),
            4 => Value::Str(Cow::Borrowed("")),
            _ => Value::Null,
        }
    }

    proptest::proptest! {
        /// A name resolved at load (slots, built-in, derived index) finds exactly what its
        /// text finds by name, whatever the event's keys: repeated, dotted, nested or unslotted.
        #[test]
        fn a_resolved_name_finds_what_its_text_finds(
            keys in proptest::collection::vec((0usize..NAMES.len(), proptest::num::u8::ANY), 0..12),
            name in 0usize..NAMES.len(),
        ) {
            let fields = keys
                .iter()
                .map(|&(k, v)| (Cow::Borrowed(NAMES[k]), value_of(v)))
                .collect();
            let ev = Event {
                fields,
                error: Some(Cow::Borrowed("dial tcp: lookup api.example.com: no such host")),
                ..Event::text("a line", crate::event::Span::default())
            };
            let text = NAMES[name];
            let resolved = FieldName::new(text);
            proptest::prop_assert_eq!(resolved.get(&ev), ev.get(text));
            proptest::prop_assert_eq!(resolved.field(&ev), ev.field(text));
            proptest::prop_assert_eq!(resolved.lookup(&ev), lookup(&ev, text));
            proptest::prop_assert_eq!(resolved.derived(&ev), derived(&ev, text));
        }

        /// A window's number ([`number`]) is what its text reads as: any JSON number (whole,
        /// fractional, huge, `-0`), a numeric or duration string, or no number.
        #[test]
        fn a_number_reads_as_its_text_would(
            bits in proptest::num::u64::ANY,
            pick in 0usize..8,
            whole in -2_000_000i64..2_000_000,
        ) {
            let value = match pick {
                0 => Value::Num(f64::from_bits(bits)),
                1 => Value::Num(whole as f64),
                2 => Value::Num(-0.0),
                3 => Value::Num(whole as f64 / 1000.0),
                4 => Value::Str(Cow::Owned(format!("{}ms", whole.abs()))),
                5 => Value::Str(Cow::Owned(format!(" {whole} "))),
                6 => Value::Str(Cow::Borrowed("n/a")),
                _ => Value::Null,
            };
            let ev = Event {
                fields: vec![(Cow::Borrowed("count"), value)],
                ..Event::text("a line", crate::event::Span::default())
            };
            for text in ["count", "wait"] {
                let by_text = lookup(&ev, text)
                    .and_then(|v| crate::event::parse_number_or_duration(&v));
                let got = number(&ev, &FieldName::new(text));
                proptest::prop_assert_eq!(got.map(f64::to_bits), by_text.map(f64::to_bits));
            }
        }
    }

    /// Pieces of the texts the status tests build.
    const STATUS_PARTS: [&str; 24] = [
        "",
        " ",
        ": ",
        "desc = ",
        "\"",
        "=",
        "401",
        "429",
        "503",
        "200",
        "99",
        "7",
        "Unauthorized",
        "Gateway Timeout",
        "Gone",
        "HTTP Code",
        "Status",
        "status_code",
        "StatusCode",
        "Error ",
        "error",
        "\n",
        "x",
        "{",
    ];

    proptest::proptest! {
        /// Every code the status pattern finds in a text is one of the text's codes.
        #[test]
        fn a_status_in_text_is_one_of_its_codes(
            parts in proptest::collection::vec(0usize..STATUS_PARTS.len(), 0..8),
        ) {
            let text: String = parts.iter().map(|&i| STATUS_PARTS[i]).collect();
            if let Some(code) = status_in_text(&text) {
                let n: f64 = code.parse().unwrap();
                proptest::prop_assert!(text_codes(&text).any(|c| c == n), "{:?}", text);
            }
        }

        /// The word-at-a-time digit search finds the first digit a byte loop finds, wherever
        /// it starts and whatever the bytes (non-ASCII included).
        #[test]
        fn the_next_digit_is_the_first_digit(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            from in 0usize..41,
        ) {
            let naive = bytes
                .get(from..)
                .and_then(|r| r.iter().position(u8::is_ascii_digit))
                .map_or(bytes.len(), |p| from + p);
            proptest::prop_assert_eq!(next_digit(&bytes, from), naive);
        }

        /// The code read from the match is the pattern's captured group.
        #[test]
        fn the_status_in_text_is_the_captured_code(
            parts in proptest::collection::vec(0usize..STATUS_PARTS.len(), 0..8),
        ) {
            let text: String = parts.iter().map(|&i| STATUS_PARTS[i]).collect();
            let captured = STATUS_TEXT.captures(&text).and_then(|c| {
                (1..=4).find_map(|i| c.get(i)).map(|m| m.as_str().to_string())
            });
            proptest::prop_assert_eq!(status_in_text(&text), captured, "{:?}", text);
        }

        /// When fields decide the status code, it is the one a condition on `status_code`
        /// reads (its own field, else the derived value); when they do not, the text does.
        #[test]
        fn the_status_from_fields_is_the_one_a_condition_reads(
            keys in proptest::collection::vec((0usize..3, proptest::num::u8::ANY), 0..4),
        ) {
            let names = ["http.status_code", "status_code", "other"];
            let fields = keys
                .iter()
                .map(|&(k, v)| {
                    let value = match v % 4 {
                        0 => Value::Num(f64::from(v) + 300.0),
                        1 => Value::Str(Cow::Owned(format!("{}", u16::from(v) + 300))),
                        2 => Value::Str(Cow::Borrowed("")),
                        _ => Value::Str(Cow::Borrowed("abc")),
                    };
                    (Cow::Borrowed(names[k]), value)
                })
                .collect();
            let ev = Event {
                fields,
                error: Some(Cow::Borrowed("Error 503: backend")),
                ..Event::text("a line", crate::event::Span::default())
            };
            let read = match ev.get("status_code") {
                Some(v) => v.as_f64(),
                None => derived_num(&ev, "status_code"),
            };
            match status_from_fields(&ev) {
                Some(n) => proptest::prop_assert_eq!(n, read),
                None => proptest::prop_assert_eq!(read, Some(503.0)),
            }
        }
    }

    /// The shapes the status pattern is written for (its comment), and digits it must leave.
    #[test]
    fn the_status_in_a_text_in_each_shape() {
        for (text, code) in [
            ("GET https://api.example.com/v1/users: 403 Forbidden", "403"),
            ("simpleforce: http code: 401", "401"),
            ("go-jira: Status code: 401", "401"),
            ("operation error: StatusCode: 403, RequestID: x", "403"),
            ("PagerDuty status code 401", "401"),
            (r#"body: {"status":403,"message":"no"}"#, "403"),
            (r#"{"status_code": 503}"#, "503"),
            ("Request failed with status 429", "429"),
            (
                "googleapi: Error 403: Request had insufficient authentication scopes.",
                "403",
            ),
            (
                "GET https://api.github.com/orgs/x: 401 Bad credentials []",
                "401",
            ),
            ("rpc error: code = Unknown desc = 401", "401"),
            ("429: rate limited", "429"),
        ] {
            assert_eq!(status_in_text(text).as_deref(), Some(code), "{text}");
        }
        for text in [
            "took 12:40:31",
            "dial tcp 10.0.0.1:4031: connection refused",
            "user 4013 not found",
            "listing users failed: 4290 items",
            "page 2: 500 users",
        ] {
            assert_eq!(status_in_text(text), None, "{text}");
        }
    }

    #[test]
    fn looks_like_id_cases() {
        for id in [
            "12345",
            "a@b.c",
            "0b1c2d3e",
            "123e4567-e89b-12d3-a456-426614174000",
            "00u1a2b3c4D5e6F7g8",
            "abcdefghijklmnopqrstuvwxyz_-=",
        ] {
            assert!(looks_like_id(id.as_bytes()), "{id}");
            assert!(looks_like_id_by_definition(id), "{id}");
        }
        for word in [
            "",
            "users",
            "v2",
            "deadbeef",
            "roles-and-groups",
            "api.v59.0",
            "défghijklmnopqrstuvwxyz",
        ] {
            assert!(!looks_like_id(word.as_bytes()), "{word}");
            assert!(!looks_like_id_by_definition(word), "{word}");
        }
    }

    #[test]
    fn derived_index_follows_the_list() {
        for (i, d) in DERIVED.iter().enumerate() {
            assert_eq!(derived_index(d), Some(i), "{d}");
        }
        for other in ["", "hosts", "Host", "panic", "http.status_code"] {
            assert_eq!(derived_index(other), None, "{other}");
        }
    }

    use crate::event::Span;

    #[test]
    fn innermost_cause_of_nested_errors() {
        let e = "rpc error: code = Unavailable desc = error: listing grants for resource team/4567 failed: rpc error: code = Unavailable desc = 429 Too Many Requests";
        assert_eq!(innermost(e), "429 Too Many Requests");
        assert_eq!(innermost("plain failure"), "plain failure");
        assert_eq!(
            innermost(
                "rpc error: code = Unavailable desc = connection refused\ndial tcp 1.2.3.4:443: connect: connection refused"
            ),
            "connection refused; dial tcp 1.2.3.4:443: connect: connection refused"
        );
    }

    #[test]
    fn derived_values_from_error_text() {
        let mut ev = Event::text("x", Span::default());
        ev.error = Some(Cow::Borrowed(
            "sync-grants-for-resource: error listing grants: rpc error: code = Unavailable desc = error: listing grants for resource team/4567 failed: rpc error: code = Unavailable desc = Get \"https://api.github.com/orgs/x\": dial tcp 140.82.112.6:443: connect: connection refused",
        ));
        assert_eq!(derive(&ev, "wire_code").as_deref(), Some("Unavailable"));
        assert_eq!(derive(&ev, "resource_type").as_deref(), Some("team"));
        assert_eq!(derive(&ev, "resource_id").as_deref(), Some("4567"));
        assert_eq!(derive(&ev, "operation").as_deref(), Some("list-grants"));
        assert_eq!(derive(&ev, "host").as_deref(), Some("140.82.112.6:443"));
        assert_eq!(
            derive(&ev, "url").as_deref(),
            Some("https://api.github.com/orgs/x")
        );
    }

    #[test]
    fn path_templates() {
        assert_eq!(
            path_template("/api/v1/users/00u1a2b3c4D5e6F7g8/roles"),
            "/api/v1/users/{id}/roles"
        );
        assert_eq!(
            path_template("/orgs/acme/teams/4567/members"),
            "/orgs/acme/teams/{id}/members"
        );
        assert_eq!(path_template("/users/jane@acme.com"), "/users/{id}");
        assert_eq!(
            path_template("/groups/8f14e45f-ceea-467f-a1ae-3bd1c1d0f3a2"),
            "/groups/{id}"
        );
        assert_eq!(path_template("/api/v1/users"), "/api/v1/users");
        assert_eq!(
            path_template("/orgs/platform-team/members"),
            "/orgs/platform-team/members"
        );
    }
}
