//! Entry points shared by the fuzz targets (`fuzz/`) and by `cargo test`, which replays the
//! regression corpus in `tests/fuzz-regressions/` through the same functions.

use std::sync::LazyLock;

use crate::event::Event;
use crate::parse::{Line, Parser};
use crate::rules::{RuleSet, load_builtin, load_str, template::Template};

static RULES: LazyLock<RuleSet> =
    LazyLock::new(|| RuleSet::new(load_builtin().expect("built-in rules load")));

fn check_span(ev: &Event<'_>, lines: u64) {
    assert!(
        ev.span.first_line >= 1
            && ev.span.first_line <= ev.span.last_line
            && ev.span.last_line <= lines,
        "span {:?} outside 1..={lines}",
        ev.span
    );
}

/// Parses `data` line by line and lints it with every built-in rule.
pub fn parse_and_lint(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let lines = text.split('\n').count() as u64;
    let mut p = Parser::new();
    let mut offset = 0;
    for (i, l) in text.split('\n').enumerate() {
        p.push(
            Line {
                text: l,
                number: i as u64 + 1,
                offset,
            },
            &mut |ev| check_span(ev, lines),
        );
        offset += l.len() as u64 + 1;
    }
    p.finish(&mut |ev| check_span(ev, lines));
    assert_eq!(
        p.stats.lines_by_kind.total(),
        p.stats.lines,
        "every line has a kind"
    );
    let _ = crate::check::lint_text(&RULES, &text, "fuzz");
}

/// Wraps `data` so it opens a pretty-printed JSON block, then a panic trace.
pub fn multiline(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    parse_and_lint(format!("{{\n{text}\n}}").as_bytes());
    parse_and_lint(format!("panic: boom\n\ngoroutine 1 [running]:\n{text}").as_bytes());
}

/// Loads `data` as a rule file; a rule that loads runs on a small sample.
pub fn rule_loader(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rule) = load_str("fuzz.toml", src) {
        let set = RuleSet::new(vec![rule]);
        let sample = "{\"level\":\"error\",\"ts\":1.0,\"msg\":\"error running connector\",\"error\":\"rpc error: code = Unavailable desc = 429 Too Many Requests\"}\nplain text\n";
        let _ = crate::check::lint_text(&set, sample, "fuzz");
    }
}

/// Parses `data` as a message template and renders it.
pub fn template(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = Template::parse(src) {
        let _ = t.render(&|n| (n.len() % 2 == 0).then(|| format!("<{n}>").into()));
        let _ = t.names();
    }
}

/// Redacts `data`; a second pass must change nothing.
pub fn redact(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let once = crate::redact::redact(&text).into_owned();
    let twice = crate::redact::redact(&once).into_owned();
    assert_eq!(once, twice, "redaction is idempotent");
}

/// The secret that [`secret_never_leaves`] plants.
const PLANTED: &str = "Zq9FuzzSecretQ7w";

/// Plants a secret into arbitrary text in one of the positions logs hold them (chosen by the
/// first byte) and checks it leaves through neither `redact` nor any finding a reporter prints.
pub fn secret_never_leaves(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    // The fuzzer learns the marker: text that holds it outside the planted position is not
    // the case under test.
    if text.contains(&PLANTED[..6]) {
        return;
    }
    let json = serde_json::to_string(&text).unwrap_or_default();
    let s = PLANTED;
    let planted = match sel % 8 {
        0 => format!(
            "{{\"level\":\"error\",\"ts\":1,\"msg\":{json},\"error\":\"401 Unauthorized\",\"password\":\"{s}\"}}"
        ),
        1 => format!("{text} Authorization: Bearer {s}"),
        2 => format!("{text} https://svc:{s}@api.example.com/x"),
        3 => format!("{text} client_secret={s}"),
        4 => format!(
            "{{\"level\":\"warn\",\"msg\":{json},\"status_code\":401,\"headers\":{{\"X-Api-Key\":[\"{s}\"]}}}}"
        ),
        5 => format!("{text}\n-----BEGIN RSA PRIVATE KEY-----\n{s}\n-----END RSA PRIVATE KEY-----"),
        6 => format!(
            "{{\n  \"level\": \"error\",\n  \"msg\": {json},\n  \"error\": \"401 Unauthorized\",\n  \"token\": [\n    \"{s}\"\n  ]\n}}"
        ),
        _ => format!(
            "2025-08-22T14:04:23.409-0700\tERROR\tconnector/x.go:1\t{}\t{{\"error\": \"401 Unauthorized\", \"api_key\": \"{s}\"}}",
            text.replace(['\t', '\n'], " ")
        ),
    };
    let once = crate::redact::redact(&planted);
    assert!(!once.contains(s), "redact leaked it: {once}");
    let mut lines = crate::redact::LineRedactor::default();
    for l in planted.lines() {
        let r = lines.line(l);
        assert!(!r.contains(s), "redact (line by line) leaked it: {r}");
    }
    let r = crate::check::lint_text(&RULES, &planted, "fuzz");
    for f in &r.findings {
        let shown = crate::report::redacted(f);
        let doc = serde_json::to_string(&shown).unwrap_or_default();
        assert!(!doc.contains(s), "a finding leaked it: {doc}");
    }
}

/// A v3 `.c1z`, sstable or Pebble MANIFEST (the first byte says which): read it all.
pub fn c1z_v3(data: &[u8]) {
    crate::c1z::fuzz_v3(data);
}

/// The zap scanner against serde_json, its oracle: on the bytes as they are, on each of their
/// lines, and on the bytes placed as a value, a string's contents and a key of a zap record.
pub fn zap_scan(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    scanner_agrees(&text);
    for line in text.split('\n') {
        scanner_agrees(line);
    }
    scanner_agrees(&format!(
        "{{\"level\":\"info\",\"ts\":1755896702.117301,\"msg\":\"m\",\"x\":{text}}}"
    ));
    scanner_agrees(&format!(
        "{{\"level\":\"error\",\"msg\":\"{text}\",\"n\":1}}"
    ));
    scanner_agrees(&format!("{{\"{text}\":1,\"msg\":\"k\"}}"));
}

/// Both readers on `t`, with and without zap's keys: whenever the scanner reads the text,
/// serde_json reads the same record, and `parse_record` (the scanner, then serde_json) always
/// gives serde_json's answer. Returns whether the scanner read it (the unit tests ask).
pub fn scanner_agrees(t: &str) -> bool {
    use crate::parse::json::{parse_record, scan_record, serde_record};
    let mut scanned = false;
    for zap_keys in [true, false] {
        let oracle = serde_record(t, zap_keys);
        if let Some(r) = scan_record(t, zap_keys) {
            assert_eq!(Some(r), oracle, "scanner and serde_json differ on {t:?}");
            scanned = true;
        }
        assert_eq!(parse_record(t, zap_keys), oracle, "parse_record on {t:?}");
    }
    scanned
}
