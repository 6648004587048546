//! Hostile input: whatever a broken connector, a truncated archive or a copy-paste produces.
//! Nothing panics, nothing stalls, every line is accounted for.

use baton_lint::parse::{Line, Parser};
use baton_lint::rules::load_builtin;
use baton_lint::{EventKind, RuleSet, lint_text};
use proptest::prelude::*;

fn rules() -> RuleSet {
    RuleSet::new(load_builtin().unwrap())
}

/// Parses `text`; returns (kinds of events, line totals agree?, every span inside the input?).
fn parse(text: &str) -> (Vec<EventKind>, bool, bool) {
    let lines = text.split('\n').count() as u64;
    let mut p = Parser::new();
    let mut kinds = Vec::new();
    let mut inside = true;
    let mut off = 0;
    let mut on = |ev: &baton_lint::Event<'_>| {
        kinds.push(ev.kind);
        inside &= ev.span.first_line >= 1
            && ev.span.first_line <= ev.span.last_line
            && ev.span.last_line <= lines;
    };
    for (i, l) in text.split('\n').enumerate() {
        p.push(
            Line {
                text: l,
                number: i as u64 + 1,
                offset: off,
            },
            &mut on,
        );
        off += l.len() as u64 + 1;
    }
    p.finish(&mut on);
    (
        kinds,
        p.stats.lines_by_kind.total() == p.stats.lines && p.stats.lines == lines,
        inside,
    )
}

#[test]
fn invalid_utf8_nul_crlf_and_ansi() {
    let set = rules();
    let bytes = b"\xff\xfe\x00junk\r\n{\"level\":\"info\",\"msg\":\"Sync\x00complete.\"}\r\n\x1b[31m2025-08-22T14:04:23.409-0700\x1b[0m\tERROR\tsync/syncer.go:1\tSyncing resources...\r\n";
    let text = String::from_utf8_lossy(bytes);
    let r = lint_text(&set, &text, "hostile");
    assert_eq!(r.stats.lines, 3);
    assert_eq!(r.stats.lines_by_kind.total(), 3);
    assert_eq!(
        r.stats.events.console, 1,
        "ANSI colours stripped, CR removed"
    );
}

#[test]
fn a_json_record_cut_at_every_byte_offset() {
    let set = rules();
    let rec = r#"{"level":"error","ts":1755896720.554012,"caller":"cli/commands.go:480","msg":"error running connector","error":"runner: error processing task: rpc error: code = Unauthenticated desc = validate failed: rpc error: code = Unauthenticated desc = 401 Unauthorized","nested":{"a":[1,2,{"b":"c\"d"}]}}"#;
    for cut in 0..=rec.len() {
        let Some(head) = rec.get(..cut) else { continue };
        let text = format!("{head}\n{rec}");
        let (kinds, totals, inside) = parse(&text);
        assert!(totals && inside, "cut at {cut}");
        assert_eq!(
            *kinds.last().unwrap(),
            EventKind::Json,
            "the full record after a cut one still parses (cut {cut})"
        );
        let _ = lint_text(&set, &text, "cut");
    }
}

#[test]
fn json_nested_100000_levels_is_text_not_a_stack_overflow() {
    let deep = format!("{{\"a\":{}", "[".repeat(100_000));
    let (kinds, totals, _) = parse(&deep);
    assert_eq!(kinds, vec![EventKind::Text]);
    assert!(totals);
    let deep_obj = format!("{}{}", "{\"a\":".repeat(100_000), "1");
    let _ = lint_text(&rules(), &deep_obj, "deep");
}

#[test]
fn timestamps_going_backwards_and_lines_without_any() {
    let set = rules();
    // Two processes interleaved with clock skew, then lines with no time at all.
    let mut text = String::new();
    for i in 0..12 {
        let ts = if i % 2 == 0 {
            1000.0 + i as f64
        } else {
            990.0 + i as f64
        };
        text.push_str(&format!(r#"{{"level":"warn","ts":{ts},"msg":"retrying operation","error":"rpc error: code = Unavailable desc = 429 Too Many Requests","wait":1}}"#));
        text.push('\n');
    }
    for _ in 0..10 {
        text.push_str("retrying operation without a timestamp: 429 Too Many Requests\n");
    }
    let r = lint_text(&set, &text, "skew");
    assert!(
        r.findings.iter().any(|f| f.code == "BL301"),
        "a storm despite the skew"
    );
    let none = "runner: error processing task: boom\nplain\n".repeat(1000);
    let r = lint_text(&set, &none, "no-ts");
    assert_eq!(r.stats.lines, 2000);
}

#[test]
fn a_million_distinct_keys_for_a_keyed_rule_stay_bounded() {
    // Each line a different error: BL303 keys its count window by the error text.
    let mut text = String::with_capacity(120 << 20);
    for i in 0..1_000_000u32 {
        text.push_str(&format!(r#"{{"level":"warn","ts":{},"msg":"retrying operation","error":"desc = failure {i}","wait":1}}"#, 1000 + i / 100));
        text.push('\n');
    }
    let r = lint_text(&rules(), &text, "keys");
    assert_eq!(r.stats.lines, 1_000_000);
    assert!(
        r.findings.iter().all(|f| f.code != "BL303"),
        "no single error repeated"
    );
}

#[test]
fn full_disk_on_output_is_an_error_not_a_panic() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton-lint"))
        .args([
            "--isolated",
            "-q",
            "--output",
            "json=/dev/full",
            "corpus/demo/failing-sync.log",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("/dev/full") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn every_line_of_every_corpus_file_is_accounted_for() {
    let set = rules();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut n = 0;
    for entry in walk(&root) {
        let text = std::fs::read_to_string(&entry).unwrap();
        let wc_l = text.bytes().filter(|b| *b == b'\n').count() as u64;
        let r = lint_text(&set, &text, "x");
        assert_eq!(r.stats.lines, wc_l, "{}", entry.display());
        assert_eq!(r.stats.lines_by_kind.total(), wc_l, "{}", entry.display());
        n += 1;
    }
    assert!(n > 40);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "log") {
            out.push(p);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn parsing_never_panics_and_spans_stay_inside(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        let (_, totals, inside) = parse(&text);
        prop_assert!(totals);
        prop_assert!(inside);
    }

    #[test]
    fn zap_shaped_lines_never_panic(lines in proptest::collection::vec("[{}\\[\\]\":,a-z0-9 .\\\\\t-]{0,80}", 0..40)) {
        let text = lines.join("\n");
        let (_, totals, inside) = parse(&text);
        prop_assert!(totals && inside);
        let _ = lint_text(&rules(), &text, "prop");
    }

    #[test]
    fn a_count_window_never_holds_more_than_its_cap(keys in proptest::collection::vec(0u32..50_000, 1..3000), cap in 1usize..64) {
        use baton_lint::rules::window::{CountState, Mark};
        let mut c = CountState::new(3, 60.0, None, cap);
        for (i, k) in keys.iter().enumerate() {
            let m = Mark { line: i as u64, end_line: i as u64, ts: Some(baton_lint::Timestamp(i as i64 * 1_000_000_000)), caps: Vec::new(), evidence: String::new() };
            c.observe(&k.to_string(), m.ts, || m.clone(), &[]);
            prop_assert!(c.len() <= cap);
        }
    }
}
