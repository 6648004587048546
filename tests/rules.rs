//! Rule corpus: each `corpus/BLnnn-name.log` is linted with only rule BLnnn and its findings are
//! pinned by a snapshot (firing lines and near-misses together). And no rule may warn on the
//! healthy runs in `corpus/clean/`.

mod common;

use baton_lint::rules::load_builtin;
use baton_lint::ruletest;
use baton_lint::{RuleSet, Severity, lint_text};

/// Lints a corpus file under its path relative to the crate (snapshots hold no checkout path).
fn lint_file(set: &RuleSet, path: &std::path::Path) -> baton_lint::InputResult {
    let text = std::fs::read_to_string(path).unwrap();
    let rel = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string();
    lint_text(set, &text, &rel)
}

/// The warning and error findings of a result.
fn loud(res: &baton_lint::InputResult) -> Vec<&baton_lint::Finding> {
    res.findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .collect()
}

#[test]
fn rule_corpus() {
    let all = load_builtin().unwrap();
    insta::glob!("../corpus", "BL*.log", |path| {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let code = &file[..5];
        let rule = all
            .iter()
            .find(|r| r.code == code)
            .unwrap_or_else(|| panic!("{file}: no rule {code}"));
        // The rule, plus the rules it defers to (as `baton-lint test` runs it).
        let set = ruletest::case_rules(rule, &all);
        let text = std::fs::read_to_string(path).unwrap();
        let mut res = lint_text(&set, &text, &file);
        res.findings.retain(|f| f.code == code);
        assert!(
            !res.findings.is_empty(),
            "{file}: the corpus must fire {code}"
        );
        insta::assert_snapshot!(common::describe(&res.findings));
    });
}

#[test]
fn clean_runs_raise_no_warning_or_error() {
    let set = RuleSet::new(load_builtin().unwrap());
    let mut healthy = 0;
    insta::glob!("../corpus", "clean/*.log", |path| {
        healthy += 1;
        let res = lint_file(&set, path);
        assert!(
            loud(&res).is_empty(),
            "{}:\n{}",
            path.display(),
            common::describe(&res.findings)
        );
        assert!(res.baton_seen, "{} reads as a baton log", path.display());
        // What a healthy run does report (recoveries, skipped actions: info at most).
        insta::assert_snapshot!(common::describe(&res.findings));
    });
    // SDK versions old and new, JSON and console, debug and info, daemon, parallel workers,
    // recovered 429 / 5xx / timeout, a skipped 404, a transient poll failure, pebble warnings.
    assert!(healthy >= 12, "only {healthy} healthy logs");
}

#[test]
fn streamed_findings_equal_the_final_report() {
    let set = RuleSet::new(load_builtin().unwrap());
    insta::glob!("../corpus", "**/*.log", |path| {
        let text = std::fs::read(path).unwrap();
        let (streamed, res) = common::lint_streaming(&set, text, "x");
        let mut streamed: Vec<_> = streamed.into_iter().map(|f| (f.code, f.line)).collect();
        let mut fin: Vec<_> = res
            .findings
            .iter()
            .map(|f| (f.code.clone(), f.line))
            .collect();
        streamed.sort();
        fin.sort();
        assert_eq!(streamed, fin, "{}", path.display());
    });
}

/// A zap app that is not a baton connector, with baton-like callers: no rule fires, and the
/// run says the log does not look like a baton log.
#[test]
fn callers_alone_fire_nothing_and_foreign_logs_get_a_notice() {
    let text = [
        r#"{"level":"error","ts":1.0,"caller":"sync/syncer.go:1278","msg":"cache warmup failed","attempt":3}"#,
        r#"{"level":"error","ts":2.0,"caller":"ratelimit/grpc.go:151","msg":"order rejected","order_id":"A-1"}"#,
        r#"{"level":"warn","ts":3.0,"caller":"uhttp/wrapper.go:586","msg":"inventory low","sku":"X"}"#,
        r#"{"level":"error","ts":4.0,"caller":"cli/commands.go:480","msg":"shutting down","reason":"signal"}"#,
    ]
    .join("\n");
    let set = RuleSet::new(load_builtin().unwrap());
    let res = lint_text(&set, &text, "foreign.log");
    assert!(
        res.findings.is_empty(),
        "{}",
        common::describe(&res.findings)
    );
    assert!(!res.baton_seen);
    assert_eq!(res.stats.zap_events(), 4);
}

/// Root cause, once: on no input of the corpus do two warning or error findings share an error
/// chain (the same innermost error on the same host, or the same line). Where two rules see
/// one failure, one of them must declare the other its owner (`absorbed_by`, `suppressed_by`).
#[test]
fn no_two_loud_findings_share_an_error_chain() {
    let set = RuleSet::new(load_builtin().unwrap());
    let mut checked = 0;
    insta::glob!("../corpus", "**/*.log", |path| {
        let res = lint_file(&set, path);
        let loud = loud(&res);
        for (i, a) in loud.iter().enumerate() {
            for b in &loud[i + 1..] {
                assert!(
                    !baton_lint::engine::shares_chain(a, b),
                    "{}: {} (line {}) and {} (line {}) report one failure:\n{}",
                    path.display(),
                    a.code,
                    a.line,
                    b.code,
                    b.line,
                    common::describe(&res.findings)
                );
            }
        }
        checked += 1;
    });
    assert!(checked > 40, "the corpus was read ({checked} files)");
}

/// An absence key past the key bound (256 bytes) is cut and hashed the same way for the start
/// event and for the expected one, so a long key is satisfied like a short one.
#[test]
fn a_long_absence_key_meets_its_expected_event() {
    let rule = common::rule_text(
        "BL990",
        "long-key-absence",
        "warning",
        "no end for {rt}",
        "[match]\nfield = \"msg\"\nequals = \"begin\"\n[window]\nkind = \"absence\"\nkey = \"{rt}\"\nexpect = { field = \"msg\", equals = \"end\" }\n",
    );
    let set = RuleSet::new(vec![baton_lint::rules::load_str("x.toml", &rule).unwrap()]);
    for len in [10, 400] {
        let rt = "r".repeat(len);
        let line =
            |m: &str, t: u32| format!(r#"{{"level":"info","ts":{t},"msg":"{m}","rt":"{rt}"}}"#);
        let met = format!("{}\n{}\n", line("begin", 1), line("end", 2));
        assert!(
            lint_text(&set, &met, "x.log").findings.is_empty(),
            "key of {len} bytes"
        );
        let unmet = format!("{}\n", line("begin", 1));
        assert_eq!(
            lint_text(&set, &unmet, "x.log").findings.len(),
            1,
            "key of {len} bytes"
        );
    }
}

/// One BL301 burst (five rate-limited retries of `rt`, one per second from `t`) and, when
/// `ok`, the success that follows it.
fn storm(t: u32, rt: &str, ok: bool) -> String {
    let mut s = String::new();
    for i in 0..5 {
        s += &format!(
            r#"{{"level":"warn","ts":{},"caller":"retry/retry.go:125","msg":"retrying operation","error":"sync-grants-for-resource: error listing grants: rpc error: code = Unavailable desc = error: listing grants for resource {rt}/42 failed: rpc error: code = Unavailable desc = 429 Too Many Requests","wait":2.0}}"#,
            t + i
        );
        s.push('\n');
    }
    if ok {
        s += &format!(
            r#"{{"level":"info","ts":{},"caller":"ugrpc/logging.go:38","msg":"finished unary call with code OK","grpc.method":"ListGrants"}}"#,
            t + 6
        );
        s.push('\n');
    }
    s
}

/// The BL301 findings of `log` under the builtin rules.
fn storm_findings(log: &str) -> Vec<baton_lint::Finding> {
    let set = RuleSet::new(load_builtin().unwrap());
    let mut found = lint_text(&set, log, "x.log").findings;
    found.retain(|f| f.code == "BL301");
    found
}

#[test]
fn a_failure_that_comes_back_is_one_finding() {
    let log = [
        storm(1000, "app", true),
        storm(5000, "app", true),
        storm(9000, "role", true),
        storm(13000, "app", true),
    ]
    .concat();
    let found = storm_findings(&log);
    assert_eq!(found.len(), 2, "{}", common::describe(&found));
    let (app, role) = (&found[0], &found[1]);
    assert_ne!(app.fingerprint, role.fingerprint);
    assert_eq!((app.recurrences, app.count, app.line), (2, 15, 1));
    assert_eq!(app.last_line, 3 * 6 + 5);
    assert_eq!(app.severity, Severity::Info, "every burst recovered");
    assert!(
        app.message.starts_with("5 rate-limited calls in 4s"),
        "{}",
        app.message
    );
    assert!(
        app.message
            .contains("it came back 2 more times (×15 in all, the last at line 23)"),
        "{}",
        app.message
    );
    assert_eq!((role.recurrences, role.count), (0, 5));
}

#[test]
fn a_failure_that_came_back_and_stayed_is_not_recovered() {
    let end = r#"{"level":"error","ts":9000,"msg":"error running connector","error":"rpc error: code = Unavailable desc = 429 Too Many Requests"}"#;
    let log = [storm(1000, "app", true), storm(5000, "app", false)].concat() + end + "\n";
    let found = storm_findings(&log);
    assert_eq!(found.len(), 1, "{}", common::describe(&found));
    assert_eq!(found[0].recurrences, 1);
    assert_eq!(
        found[0].severity,
        Severity::Warning,
        "the last burst failed"
    );
    assert_eq!(found[0].recovered_at, None);
}

#[test]
fn bursts_of_ever_new_fingerprints_stay_bounded() {
    let rule = common::rule_text(
        "BL990",
        "burst",
        "warning",
        "{count} bursts of {id}",
        "[match]\nfield = \"msg\"\nequals = \"hit\"\n[window]\nkind = \"count\"\nthreshold = 2\nwindow_secs = 10\nkey = \"{id}\"\n",
    );
    let set = RuleSet::new(vec![baton_lint::rules::load_str("x.toml", &rule).unwrap()]);
    // Ids of letters only, so no two normalize to the same fingerprint.
    let id = |n: usize| -> String {
        (0..3)
            .map(|k| char::from(b'a' + ((n / 26usize.pow(k)) % 26) as u8))
            .collect()
    };
    let mut log = String::new();
    for n in 0..1500 {
        for _ in 0..2 {
            log += &format!(
                "{{\"level\":\"warn\",\"ts\":{},\"msg\":\"hit\",\"id\":\"{}\"}}\n",
                n * 100,
                id(n)
            );
        }
    }
    let (streamed, r) = common::lint_streaming(&set, log.into_bytes(), "x.log");
    // Each finding is streamed once, when it opens; the bursts folded into it later are not.
    let print = |fs: &[baton_lint::Finding]| -> Vec<String> {
        fs.iter().map(|f| f.fingerprint.clone()).collect()
    };
    assert_eq!(print(&streamed), print(&r.findings));
    assert_eq!(r.findings.len(), 1000);
    assert_eq!(r.stats.overflowed_findings, 500);
    assert_eq!(r.findings.iter().map(|f| f.count).sum::<u64>(), 3000);
    assert_eq!(r.findings[999].recurrences, 500);
}
