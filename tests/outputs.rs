//! What CI, code scanning and editors rely on (issue 13): fingerprints that survive inserted
//! lines and renamed files, baselines, streamed messages that claim no final count, SARIF
//! URIs, the VS Code problem matcher against real output, and a live `full` report.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_baton-lint");
const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/demo/failing-sync.log");

use common::bl_in;

fn fingerprints(dir: &Path, file: &str) -> Vec<(String, String)> {
    let (_, out, err) = bl_in(dir, &["--isolated", "--format", "json", file]);
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let mut v: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["fingerprint"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn fingerprints_survive_inserted_lines_and_a_renamed_file() {
    let dir = tempfile::tempdir().unwrap();
    let demo = std::fs::read_to_string(DEMO).unwrap();
    std::fs::write(dir.path().join("a.log"), &demo).unwrap();
    // Other lines before and between: every finding moves down.
    let noise = r#"{"level":"info","ts":1755896600.1,"caller":"x/y.go:1","msg":"unrelated line"}"#;
    let moved: String = std::iter::repeat_n(format!("{noise}\n"), 17)
        .chain(
            demo.lines()
                .flat_map(|l| [format!("{l}\n"), format!("{noise}\n")]),
        )
        .collect();
    std::fs::create_dir(dir.path().join("renamed")).unwrap();
    std::fs::write(dir.path().join("renamed/b.log"), moved).unwrap();
    let a = fingerprints(dir.path(), "a.log");
    let b = fingerprints(dir.path(), "renamed/b.log");
    assert!(a.len() >= 2, "{a:?}");
    assert_eq!(a, b);
    // And they tell findings apart.
    let mut unique = a.clone();
    unique.dedup_by(|x, y| x.1 == y.1);
    assert_eq!(unique.len(), a.len(), "{a:?}");
}

#[test]
fn a_baseline_hides_known_findings_and_shows_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let demo = std::fs::read_to_string(DEMO).unwrap();
    std::fs::write(dir.path().join("old.log"), &demo).unwrap();
    let (code, _, err) = bl_in(
        dir.path(),
        &[
            "--isolated",
            "-q",
            "--write-baseline",
            "baseline.json",
            "old.log",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("to the baseline"), "{err}");
    // The same failures again, moved and renamed: nothing new.
    std::fs::write(dir.path().join("new.log"), format!("\n\n{demo}")).unwrap();
    let (code, out, _) = bl_in(
        dir.path(),
        &[
            "--isolated",
            "--format",
            "concise",
            "--baseline",
            "baseline.json",
            "new.log",
        ],
    );
    let shown: Vec<&str> = out.lines().filter(|l| !l.starts_with("note:")).collect();
    assert_eq!((code, shown), (0, vec![]));
    assert!(out.contains("2 finding(s) hidden by the baseline"), "{out}");
    // A new failure shows, alone.
    let panic = "panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/cmd/baton-x/main.go:10 +0x1d\n";
    std::fs::write(dir.path().join("new.log"), format!("{demo}{panic}")).unwrap();
    let (code, out, _) = bl_in(
        dir.path(),
        &[
            "--isolated",
            "--format",
            "concise",
            "--baseline",
            "baseline.json",
            "new.log",
        ],
    );
    assert_eq!(code, 1);
    let codes: Vec<&str> = out
        .lines()
        .filter(|l| !l.starts_with("note:"))
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert_eq!(codes, ["BL901"], "{out}");
    let (code, _, err) = bl_in(
        dir.path(),
        &["--isolated", "--baseline", "missing.json", "new.log"],
    );
    assert_eq!(code, 2, "{err}");
}

/// 30 requests of one template inside one call: an N+1 burst (BL501 fires at 25).
fn n_plus_one_log() -> String {
    let mut s = String::new();
    for i in 0..30 {
        s.push_str(&format!(
            "{{\"level\":\"debug\",\"ts\":{}.5,\"caller\":\"uhttp/transport.go:354\",\"msg\":\"HTTP request complete\",\"http.method\":\"GET\",\"http.url_details.host\":\"api.example.com\",\"http.url_details.path\":\"/api/v1/users/{}/roles\",\"http.url_details.query\":\"\",\"duration\":0.05,\"http.status_code\":200}}\n",
            1755896663 + i,
            1000 + i
        ));
    }
    s.push_str("{\"level\":\"debug\",\"ts\":1755896700.1,\"caller\":\"ugrpc/logging.go:38\",\"msg\":\"finished unary call with code OK\",\"grpc.method\":\"ListGrants\",\"grpc.code\":\"OK\"}\n");
    s
}

#[test]
fn streamed_messages_claim_no_final_count_and_jsonl_ends_with_the_final_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("burst.log"), n_plus_one_log()).unwrap();
    let (_, out, _) = bl_in(
        dir.path(),
        &["--isolated", "--format", "jsonl", "burst.log"],
    );
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let burst = lines
        .iter()
        .find(|f| f["code"] == "BL501")
        .expect("BL501 streamed");
    let streamed = burst["message"].as_str().unwrap();
    assert!(streamed.starts_with("at least 25 requests"), "{streamed}");
    let summary = &lines.last().unwrap()["summary"];
    let fin = summary["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "BL501")
        .unwrap();
    assert_eq!(fin["count"], 30);
    assert!(
        fin["message"].as_str().unwrap().starts_with("30 requests"),
        "{fin}"
    );
    // The end-of-run formats say the final number, alone or next to another file.
    let (_, json, _) = bl_in(dir.path(), &["--isolated", "--format", "json", "burst.log"]);
    let (_, json2, _) = bl_in(
        dir.path(),
        &["--isolated", "--format", "json", "burst.log", "burst.log"],
    );
    let msg = |doc: &str| -> Vec<String> {
        let d: serde_json::Value = serde_json::from_str(doc).unwrap();
        d["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "BL501")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(msg(&json)[0].starts_with("30 requests"), "{json}");
    assert!(msg(&json2).iter().all(|m| m == &msg(&json)[0]));
}

/// A failure whose outcome is not known yet is not streamed: a rate-limit storm that a success
/// ends is reported once, at the end, as recovered (info), never first as a warning.
#[test]
fn a_recovered_storm_is_never_streamed_as_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (_, out, _) = bl_in(dir.path(), &["--isolated", "--format", "jsonl", DEMO]);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let storms: Vec<_> = lines.iter().filter(|f| f["code"] == "BL301").collect();
    assert_eq!(storms.len(), 1, "{storms:?}");
    assert_eq!(storms[0]["severity"], "info", "{storms:?}");
    assert_eq!(storms[0]["recovered_at"], 41, "{storms:?}");
}

fn sarif_uris(doc: &serde_json::Value) -> Vec<String> {
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn sarif_uris_are_uris_relative_to_srcroot() {
    let dir = tempfile::tempdir().unwrap();
    let odd = PathBuf::from("logs dir/run #1.log");
    std::fs::create_dir_all(dir.path().join("logs dir")).unwrap();
    std::fs::copy(DEMO, dir.path().join(&odd)).unwrap();
    let (_, out, _) = bl_in(
        dir.path(),
        &["--isolated", "--format", "sarif", odd.to_str().unwrap()],
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let uris = sarif_uris(&doc);
    assert!(
        uris.iter().all(|u| u == "logs%20dir/run%20%231.log"),
        "{uris:?}"
    );
    let base = &doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"];
    let cwd = std::fs::canonicalize(dir.path()).unwrap();
    assert!(base.as_str().unwrap().starts_with("file:///"), "{base}");
    assert!(base.as_str().unwrap().ends_with('/'), "{base}");
    // An absolute path under the working directory is relative too.
    let abs = cwd.join(&odd);
    let (_, out, _) = Command::new(BIN)
        .args(["--isolated", "--format", "sarif", abs.to_str().unwrap()])
        .current_dir(&cwd)
        .output()
        .map(|o| (0, String::from_utf8_lossy(&o.stdout).into_owned(), ()))
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        sarif_uris(&doc)
            .iter()
            .all(|u| u == "logs%20dir/run%20%231.log")
    );
    // Stdin: named by --stdin-filename, else `stdin`; never `-`.
    let demo = std::fs::read(DEMO).unwrap();
    for (args, want) in [
        (vec!["--stdin-filename", "sync.log"], "sync.log"),
        (vec![], "stdin"),
    ] {
        let mut child = Command::new(BIN)
            .args(["--isolated", "--format", "sarif"])
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&demo).unwrap();
        let out = child.wait_with_output().unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(sarif_uris(&doc).iter().all(|u| u == want), "{args:?}");
    }
}

/// The problem matcher of `editors/vscode/tasks.json`, run by node (JavaScript regex
/// semantics) against real `--format concise` output: every finding line matches with its
/// fields, and the begin and end patterns see the lines baton-lint prints.
#[test]
fn the_vscode_watch_matcher_sees_real_output() {
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("SKIPPED: node is not installed; the matcher test needs it");
        return;
    }
    let tasks = concat!(env!("CARGO_MANIFEST_DIR"), "/editors/vscode/tasks.json");
    let mut child = Command::new(BIN)
        .args([
            "--isolated",
            "--format",
            "concise",
            "--stdin-filename",
            "sync.log",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut demo = std::fs::read_to_string(DEMO).unwrap();
    // A CR inside a message must not break the line.
    demo.push_str("{\"level\":\"error\",\"ts\":1755896800,\"msg\":\"error running connector\",\"error\":\"rpc error: code = Unauthenticated desc = 401 Unauthorized\\r\\nsecond line\"}\n");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(demo.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let script = r#"
const fs = require('fs');
const text = fs.readFileSync(0, 'utf8');
const tasks = JSON.parse(fs.readFileSync(process.argv[process.argv.length - 1], 'utf8').replace(/^\s*\/\/.*$/mg, ''));
const matchers = tasks.tasks.map(t => t.problemMatcher).flat().filter(m => m && m.pattern);
let report = [];
for (const m of matchers) {
  const re = new RegExp(m.pattern.regexp);
  const lines = text.split('\n');
  const hits = lines.filter(l => re.test(l)).map(l => { const g = l.match(re); return [g[m.pattern.file], g[m.pattern.line], g[m.pattern.severity], g[m.pattern.code]]; });
  const bg = m.background || {};
  report.push({ owner: m.owner, hits, begins: bg.beginsPattern ? lines.some(l => new RegExp(bg.beginsPattern).test(l)) : null, ends: bg.endsPattern ? lines.some(l => new RegExp(bg.endsPattern).test(l)) : null });
}
console.log(JSON.stringify(report));
"#;
    let mut node = Command::new("node")
        .args(["-e", script, tasks])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    node.stdin
        .take()
        .unwrap()
        .write_all(all.as_bytes())
        .unwrap();
    let res = node.wait_with_output().unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
    let findings = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("note:"))
        .count();
    assert!(findings >= 3, "the demo's findings and the CR line's");
    for m in report.as_array().unwrap() {
        let hits = m["hits"].as_array().unwrap();
        assert_eq!(hits.len(), findings, "{m}: every finding line matches");
        for h in hits {
            assert_eq!(h[0], "sync.log", "{m}");
            assert!(h[1].as_str().unwrap().parse::<u64>().is_ok(), "{m}");
            assert!(
                ["error", "warning", "info", "hint"].contains(&h[2].as_str().unwrap()),
                "{m}"
            );
            assert!(h[3].as_str().unwrap().starts_with("BL"), "{m}");
        }
        if !m["begins"].is_null() {
            assert_eq!(m["begins"], true, "{m}: beginsPattern");
            assert_eq!(m["ends"], true, "{m}: endsPattern");
        }
    }
}

/// `full` on a pipe prints each finding as it opens, before the input ends.
#[test]
fn full_is_live_through_a_slow_pipe() {
    let mut child = Command::new(BIN)
        .args(["--isolated", "--format", "full", "-"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    writeln!(stdin, r#"{{"level":"error","ts":1,"msg":"error running connector","error":"rpc error: code = Unauthenticated desc = 401 Unauthorized"}}"#).unwrap();
    // The log goes on: a finding another rule could own is streamed once its copies are past.
    writeln!(
        stdin,
        r#"{{"level":"info","ts":5,"msg":"Syncing resource types..."}}"#
    )
    .unwrap();
    stdin.flush().unwrap();
    let first = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("a line before EOF");
    assert!(first.contains("BL201"), "{first}");
    drop(stdin);
    let rest: Vec<String> = rx.iter().collect();
    assert!(child.wait().unwrap().code() == Some(1));
    let all = rest.join("\n");
    assert!(
        all.contains("= fix:") || all.contains("Found 1 finding"),
        "{all}"
    );
}

/// An info-level log says once that the request-level checks could not run; a debug log does not.
#[test]
fn an_info_level_log_says_the_request_checks_were_blind() {
    let dir = tempfile::tempdir().unwrap();
    let clean = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/clean/");
    let note = "no debug-level lines";
    let (_, out, err) = bl_in(
        dir.path(),
        &[
            "--isolated",
            "--format",
            "concise",
            &format!("{clean}skipped-404.info.json.log"),
        ],
    );
    assert_eq!((out + &err).matches(note).count(), 1);
    let (_, out, err) = bl_in(
        dir.path(),
        &[
            "--isolated",
            "--format",
            "concise",
            &format!("{clean}recovered-429.debug.json.log"),
        ],
    );
    assert!(!(out + &err).contains(note));
}

/// An info-level daemon that processed no task is said to be unmeasurable once; a daemon that
/// worked, or one at debug level, gets no such note.
#[test]
fn an_idle_info_level_daemon_gets_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let note = "the daemon processed no task";
    let run = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let (_, out, err) = bl_in(
            dir.path(),
            &["--isolated", "--format", "concise", p.to_str().unwrap()],
        );
        out + &err
    };
    let idle = r#"{"level":"info","ts":0,"caller":"c1api/manager.go:160","msg":"c1_api_task_manager: startup Hello succeeded.","attempts":1}
{"level":"info","ts":1,"caller":"uhttp/gocache.go:148","msg":"http cache config","config":"Backend: memory"}
"#;
    assert_eq!(run("idle.log", idle).matches(note).count(), 1);
    let worked = format!(
        "{idle}{}\n",
        r#"{"level":"info","ts":60,"msg":"c1_api_task_manager.Process(): processing task","task_id":"t1","task_type":"sync_full"}"#
    );
    assert!(!run("worked.log", &worked).contains(note));
    let debug = format!(
        "{idle}{}\n",
        r#"{"level":"debug","ts":30,"msg":"runner: no tasks to process","wait_duration":30}"#
    );
    assert!(!run("debug.log", &debug).contains(note));
}
