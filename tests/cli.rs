//! The binary as users run it: exit codes, stdin vs files, streaming through a real pipe,
//! hostile bytes, a closed output pipe, rule-file errors and user rules.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_baton-lint");

const PAGE_TOKEN_LINE: &str = r#"{"level":"error","ts":1755896801.301772,"caller":"ugrpc/logging.go:38","msg":"finished unary call with code Internal","grpc.method":"ListResources","error":"listing resources failed: next page token unchanged (token=eyJwYWdlIjoyfQ==, type=user, parent=<nil>) - likely a connector bug","grpc.code":"Internal"}"#;
const CLEAN_LINE: &str = r#"{"level":"info","ts":1755896663.410277,"caller":"progresslog/progresslog.go:194","msg":"Synced resource types","count":4}"#;

fn run(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn exit_codes_clean_findings_and_errors() {
    let (code, out, _) = run(&["--isolated"], format!("{CLEAN_LINE}\n").as_bytes());
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = run(
        &["--isolated", "--format", "concise"],
        format!("{PAGE_TOKEN_LINE}\n").as_bytes(),
    );
    assert_eq!(code, 1);
    assert!(out.starts_with("-:1:1: error BL101 "), "{out}");
    let (code, _, _) = run(
        &["--isolated", "--exit-zero"],
        format!("{PAGE_TOKEN_LINE}\n").as_bytes(),
    );
    assert_eq!(code, 0);
    let (code, _, err) = run(&["--isolated", "/no/such/file.log"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/file.log"), "{err}");
    let (code, _, err) = run(&["--isolated", "--select", "BL999"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule selector"), "{err}");
    let (code, _, _) = run(&["--bogus-flag"], b"");
    assert_eq!(code, 2);
}

#[test]
fn unreadable_input_is_reported_and_the_others_still_run() {
    let (code, out, err) = run(
        &[
            "--isolated",
            "--format",
            "concise",
            "/no/such.log",
            "corpus/demo/failing-sync.log",
        ],
        b"",
    );
    assert_eq!(code, 2, "an unreadable input makes the run exit 2");
    assert!(err.contains("/no/such.log"));
    assert!(out.contains("corpus/demo/failing-sync.log:"), "{out}");
}

#[test]
fn stdin_filename_and_files_agree() {
    let text = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpus/demo/failing-sync.log"
    ))
    .unwrap();
    let (_, from_file, _) = run(
        &[
            "--isolated",
            "--format",
            "concise",
            "corpus/demo/failing-sync.log",
        ],
        b"",
    );
    let (_, from_stdin, _) = run(
        &[
            "--isolated",
            "--format",
            "concise",
            "--stdin-filename",
            "corpus/demo/failing-sync.log",
        ],
        &text,
    );
    assert_eq!(from_file, from_stdin);
}

#[test]
fn hostile_bytes_never_panic() {
    let (code, out, err) = run(&["--isolated", "--stats"], b"\xff\xfe junk\n{\"level\":");
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.contains("lossy utf-8 lines: 1"), "{out}");
    let noise: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let (code, _, err) = run(&["--isolated"], &noise);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
}

#[test]
fn findings_stream_before_the_writer_closes() {
    let mut child = Command::new(BIN)
        .args(["--isolated", "--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    // Keep reading to the end, so the process never sees a closed pipe.
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    writeln!(stdin, "{CLEAN_LINE}").unwrap();
    writeln!(stdin, "{PAGE_TOKEN_LINE}").unwrap();
    stdin.flush().unwrap();
    // The writer is still open: the finding must arrive anyway.
    let first = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("a finding while stdin is still open");
    assert!(first.contains("\"code\":\"BL101\""), "{first}");
    for _ in 0..3 {
        writeln!(stdin, "{CLEAN_LINE}").unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(stdin);
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

#[test]
fn closed_output_pipe_exits_zero_silently() {
    // Server errors on 5,000 hosts: one finding per host, far more output than a pipe holds.
    let mut big = String::new();
    for i in 0..5_000 {
        big.push_str(&format!(
            "{{\"level\":\"warn\",\"ts\":{i},\"msg\":\"HTTP request server error\",\"http.url_details.host\":\"h{i}.example.com\",\"http.status_code\":500}}\n"
        ));
    }
    let mut child = Command::new(BIN)
        .args(["--isolated", "--format", "jsonl", "--select", "BL304"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(big.as_bytes());
    });
    stdout.read_exact(&mut one).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write_rule(dir: &std::path::Path, file: &str, body: &str) {
    std::fs::write(dir.join(file), body).unwrap();
}

fn user_rule() -> String {
    common::rule_text(
        "ACME001",
        "acme-widget-missing",
        "error",
        "widget {widget} is missing",
        r#"[match]
field = "msg"
regex = 'widget (?P<widget>\w+) not found'
[[tests.invalid]]
input = '{"level":"error","ts":1,"msg":"widget gear not found"}'
[[tests.invalid]]
input = '{"level":"error","ts":1,"msg":"widget cog not found"}'
[[tests.valid]]
input = '{"level":"info","ts":1,"msg":"widget gear found"}'
[[tests.valid]]
input = '{"level":"info","ts":1,"msg":"Sync complete."}'
"#,
    )
}

#[test]
fn user_rules_fire_in_a_normal_run() {
    let dir = tempfile::tempdir().unwrap();
    write_rule(dir.path(), "ACME001-acme-widget-missing.toml", &user_rule());
    let d = dir.path().to_str().unwrap();
    let line = "{\"level\":\"error\",\"ts\":1,\"msg\":\"widget sprocket not found\"}\n";
    let (code, out, err) = run(
        &["--isolated", "--rules", d, "--format", "concise"],
        line.as_bytes(),
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("error ACME001 widget sprocket is missing"),
        "{out}"
    );
    let (code, out, _) = run(&["test", d], b"");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("4 passed, 0 failed"), "{out}");
}

#[test]
fn broken_rule_cases_are_named_missing_or_noisy() {
    let dir = tempfile::tempdir().unwrap();
    let broken = user_rule()
        .replace("widget cog not found", "widget cog is fine")
        .replace("widget gear found", "widget bolt not found");
    write_rule(dir.path(), "ACME001-acme-widget-missing.toml", &broken);
    let (code, out, _) = run(&["test", dir.path().to_str().unwrap()], b"");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ACME001 acme-widget-missing") && out.contains("tests.invalid[1]: Missing"),
        "{out}"
    );
    assert!(out.contains("tests.valid[0]: Noisy"), "{out}");
    assert!(out.contains("2 passed, 2 failed"), "{out}");
}

#[test]
fn check_rules_names_file_line_col_of_a_bad_regex() {
    let dir = tempfile::tempdir().unwrap();
    write_rule(
        dir.path(),
        "ACME001-acme-widget-missing.toml",
        &user_rule().replace(r"(?P<widget>\w+)", "(unclosed"),
    );
    let (code, _, err) = run(&["check-rules", dir.path().to_str().unwrap()], b"");
    assert_eq!(code, 2);
    let want = format!(
        "{}:13:9: rule ACME001: invalid regex",
        dir.path()
            .join("ACME001-acme-widget-missing.toml")
            .display()
    );
    assert!(err.contains(&want), "{err}\nwanted {want}");
}

#[test]
fn rule_explains_and_rules_lists() {
    let (code, out, _) = run(&["rule", "BL101"], b"");
    assert_eq!(code, 0);
    assert!(
        out.contains("BL101 repeated-page-token") && out.contains("## Fix"),
        "{out}"
    );
    let (code, out, _) = run(&["rules", "--format", "json", "--isolated"], b"");
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.as_array().unwrap().iter().any(|r| r["code"] == "BL303"));
    let (code, _, err) = run(&["rule", "BL000"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("no rule `BL000`"), "{err}");
}

#[test]
fn run_lints_a_connector_live_explains_and_keeps_its_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("baton-standin");
    // A stand-in connector: checks it was asked for JSON logs, prints zap lines to stderr, exits 16.
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$*\" in *'--log-format json'*) ;; *) echo 'no --log-format json' >&2; exit 3;; esac\n[ \"$BATON_LOG_FORMAT\" = json ] || exit 4\necho 'connector stdout line'\necho '{}' >&2\necho '{}' >&2\necho 'runner: error processing task: rpc error: code = Unauthenticated desc = validate failed: rpc error: code = Unauthenticated desc = 401 Unauthorized' >&2\nexit 16\n",
            r#"{"level":"info","ts":1755896720.552103,"caller":"ugrpc/logging.go:38","msg":"finished unary call with code Unauthenticated","grpc.method":"Validate","error":"validate failed: rpc error: code = Unauthenticated desc = 401 Unauthorized","grpc.code":"Unauthenticated"}"#,
            r#"{"level":"error","ts":1755896720.554012,"caller":"cli/commands.go:480","msg":"error running connector","error":"runner: error processing task: rpc error: code = Unauthenticated desc = validate failed: rpc error: code = Unauthenticated desc = 401 Unauthorized"}"#,
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    let s = script.to_str().unwrap();
    let (code, out, err) = run(
        &[
            "run",
            "--isolated",
            "--format",
            "concise",
            "--tee",
            "--",
            s,
            "--client-id",
            "x",
        ],
        b"",
    );
    assert_eq!(code, 16, "stdout: {out}\nstderr: {err}");
    assert!(
        out.contains("connector stdout line"),
        "the connector's stdout passes through: {out}"
    );
    assert!(out.contains("error BL201 "), "{out}");
    assert!(
        out.contains("status 16") && out.contains("16 = Unauthenticated"),
        "{out}"
    );
    assert!(
        err.contains("error running connector"),
        "--tee copies the log to stderr: {err}"
    );
}

#[test]
fn extra_outputs_and_the_markdown_summary() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    let summary = dir.path().join("summary.md");
    let args = [
        "--isolated",
        "--format",
        "concise",
        "--output",
        &format!("sarif={}", sarif.display()),
        "--summary",
        summary.to_str().unwrap(),
        "corpus/demo/failing-sync.log",
    ];
    let (code, out, err) = run(&args, b"");
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("error BL101"), "{out}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 2);
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("| error | `BL101` repeated-page-token |"),
        "{md}"
    );
    let (code, _, err) = run(&["--isolated", "--output", "nope=x"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("unknown format `nope`"), "{err}");
}

#[test]
fn redact_removes_every_secret_kind_and_keeps_json_valid() {
    let secrets = [
        (
            "bearer",
            r#"{"level":"debug","ts":1,"msg":"call","http.headers":{"Authorization":["Bearer abcdefgh12345678XYZ"]}}"#,
            "abcdefgh12345678XYZ",
        ),
        (
            "basic",
            "curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA==' https://x",
            "dXNlcjpwYXNzd29yZA",
        ),
        (
            "client_secret",
            r#"{"level":"debug","ts":1,"msg":"token","client_secret":"cs-9f8e7d6c5b"}"#,
            "cs-9f8e7d6c5b",
        ),
        (
            "password",
            r#"{"level":"debug","ts":1,"msg":"bind","password":"hunter2hunter2"}"#,
            "hunter2hunter2",
        ),
        (
            "token field",
            r#"{"level":"debug","ts":1,"msg":"cfg","token":"tok-1a2b3c4d"}"#,
            "tok-1a2b3c4d",
        ),
        (
            "api_key query",
            r#"{"level":"debug","ts":1,"msg":"HTTP request complete","http.url_details.query":"api_key=k-55aa66bb&page=2"}"#,
            "k-55aa66bb",
        ),
        (
            "command line",
            "$ ./baton-okta --api-token 00abcDEF123456 --domain acme.okta.com",
            "00abcDEF123456",
        ),
        (
            "jwt",
            "id eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
        ),
        (
            "aws",
            r#"{"level":"info","ts":1,"msg":"aws","access_key_id":"AKIAIOSFODNN7EXAMPLE"}"#,
            "AKIAIOSFODNN7EXAMPLE",
        ),
        (
            "github",
            "token ghp_1234567890abcdefghijABCDEFGHIJ123456",
            "ghp_1234567890abcdefghij",
        ),
        (
            "github pat",
            "token github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
            "github_pat_11ABCDEFG",
        ),
        (
            "slack",
            r#"{"level":"info","ts":1,"msg":"notify","webhook_token":"xoxb-1234567890-abcdefghij"}"#,
            "xoxb-1234567890",
        ),
        (
            "pem",
            r#"{"level":"debug","ts":1,"msg":"key","pem":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"}"#,
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
        ),
    ];
    let input: String = secrets.iter().map(|(_, l, _)| format!("{l}\n")).collect();
    let (code, out, _) = run(&["redact"], input.as_bytes());
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), secrets.len());
    for ((kind, line, secret), red) in secrets.iter().zip(out.lines()) {
        assert!(!red.contains(secret), "{kind}: {red}");
        assert!(red.contains("REDACTED"), "{kind}: {red}");
        if line.starts_with('{') {
            serde_json::from_str::<serde_json::Value>(red)
                .unwrap_or_else(|e| panic!("{kind}: not JSON any more ({e}): {red}"));
        }
    }
}

#[test]
fn sigint_on_a_live_pipe_reports_what_is_known_and_exits_by_findings() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        let mut child = Command::new(BIN)
            .args(["--isolated", "--format", "full", "--color", "never"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{PAGE_TOKEN_LINE}").unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(500));
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(child.id() as i32, sig) };
        let out = child.wait_with_output().unwrap();
        drop(stdin);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "signal {sig}: {text}");
        assert!(text.contains("error[BL101 repeated-page-token]"), "{text}");
        assert!(
            text.contains("interrupted; findings so far are reported"),
            "{text}"
        );
        assert!(text.contains("Found 1 finding(s)"), "{text}");
    }
}

fn run_in(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_file_is_found_upwards_and_selection_works() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("a/b");
    std::fs::create_dir_all(&sub).unwrap();
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/demo/failing-sync.log");
    // Default: BL101 (error) and BL301 (a storm that recovered: info).
    let (code, out, _) = run_in(&sub, &["--format", "concise", demo]);
    assert_eq!(code, 1);
    assert!(
        out.contains(" error BL101 ") && out.contains(" info BL301 "),
        "{out}"
    );
    // baton-lint.toml two levels up: BL301 off, BL101 demoted to a warning, fail only on errors.
    std::fs::write(
        dir.path().join("baton-lint.toml"),
        "fail-on = \"error\"\n[severity]\nBL301 = \"off\"\nBL101 = \"warning\"\n",
    )
    .unwrap();
    let (code, out, err) = run_in(&sub, &["--format", "concise", demo]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(" warning BL101 ") && !out.contains("BL301"),
        "{out}"
    );
    // --isolated ignores it; selection by prefix, name and category.
    let (_, out, _) = run_in(
        &sub,
        &["--isolated", "--format", "concise", "--select", "BL3", demo],
    );
    assert!(out.contains("BL301") && !out.contains("BL101"), "{out}");
    let (_, out, _) = run_in(
        &sub,
        &[
            "--isolated",
            "--format",
            "concise",
            "--select",
            "pagination",
            "--extend-select",
            "rate-limit-storm",
            demo,
        ],
    );
    assert!(out.contains("BL301") && out.contains("BL101"), "{out}");
    let (_, out, _) = run_in(
        &sub,
        &[
            "--isolated",
            "--format",
            "concise",
            "--ignore",
            "repeated-page-token",
            demo,
        ],
    );
    assert!(out.contains("BL301") && !out.contains("BL101"), "{out}");
    // A bad config file names file, line and column.
    std::fs::write(
        dir.path().join("baton-lint.toml"),
        "fail-on = \"error\"\nbogus = 1\n",
    )
    .unwrap();
    let (code, _, err) = run_in(&sub, &["--format", "concise", demo]);
    assert_eq!(code, 2);
    assert!(
        err.contains("baton-lint.toml:2:1") && err.contains("unknown field"),
        "{err}"
    );
}
