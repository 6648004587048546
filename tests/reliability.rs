//! The defects of the 0.1.0 reliability report (`shared/reports/reliability-0.1.0.md`), each
//! as the reproducer it gave, run against the binary. Each test failed on 0.1.0.
//! See: issue 12. The slow or huge ones (D12a's 5 GiB bomb, D27's 1 GiB `.zst`) are checked
//! here on small versions of the same shape.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BUILT: &str = env!("CARGO_BIN_EXE_baton-lint");

/// The binary under test: this build, or `BATON_LINT_BIN` (to show a reproducer fails on an
/// older release).
fn bin() -> String {
    std::env::var("BATON_LINT_BIN").unwrap_or_else(|_| BUILT.to_string())
}
const AUTH: &str = r#"{"level":"error","ts":1,"msg":"error running connector","error":"rpc error: code = Unauthenticated desc = 401 Unauthorized"}"#;
const PANIC: &str = "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1]\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/cmd/baton-x/main.go:10 +0x1d\n";

fn bl(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    bl_env(args, stdin, &[])
}

fn bl_env(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let w = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    w.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn file(dir: &Path, name: &str, body: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn mkfifo(p: impl AsRef<Path>) {
    let ok = Command::new("mkfifo")
        .arg(p.as_ref())
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo {}", p.as_ref().display());
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn d01_events_redact_secret_fields_by_name() {
    let line = r#"{"level":"info","ts":1,"msg":"config loaded","client_secret":"Zx9-Qw8_Er7","password":"hunter2-Very$ecret","api_key":12345}"#;
    let (_, out, _) = bl(&["events"], line.as_bytes());
    for secret in ["Zx9-Qw8_Er7", "hunter2", "12345"] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
}

#[test]
fn d02_evidence_is_redacted_before_it_is_clipped() {
    let p = r#"{"level":"error","ts":1,"msg":"error running connector","error":"rpc error: code = Unauthenticated desc = 401 Unauthorized","pad":""#;
    let (sec, k) = ("S3cretZx9Qw8Er7Ty6Ui5Op4", r#"","client_secret":""#);
    let line = format!(
        "{p}{}{k}{sec}\",\"n\":1}}\n",
        "x".repeat(600 - p.len() - k.len() - sec.len())
    );
    for fmt in ["jsonl", "full", "sarif", "junit", "json"] {
        let (_, out, _) = bl(&["--isolated", "--format", fmt], line.as_bytes());
        assert!(out.contains("BL201"), "{fmt}: the finding is there");
        assert!(!out.contains("S3cretZx9"), "{fmt}: {out}");
    }
}

#[test]
fn d03_redact_catches_every_listed_form() {
    let lines = [
        r#"{"msg":"connecting","dsn":"postgres://admin:PgPass123@db:5432/app"}"#,
        r#"{"msg":"x","aws_secret_access_key":"wJalrXUtnFEMIK7MDENG"}"#,
        r#"{"msg":"x","headers":{"X-Api-Key":["k3y-value-123"]}}"#,
        r#"level=error msg="login failed" password="hunter2""#,
        r#"{"msg":"x","pagerduty_api_key":"pd-key-123"}"#,
        r#"{"msg":"x","nextcloud_password":"nc-pw-456"}"#,
        "dial https://svc:UserinfoPw9@api.example.com",
        r#"{"secretAccessKey":"sak-789","passphrase":"pp-1","credentials":"cr-2","client_assertion":"ca-3","signing_key":"sk-4"}"#,
        r#"{"password":["arr-5"],"token":{"value":"obj-6"},"X-Auth-Token":["xat-7"],"Cookie":["ck-8"]}"#,
        "client_secret='sq-9' {Username:bob Password:gopw-10}",
        "access_token%3Denc-11%26x",
        r#"{"pass\u0077ord":"esc-12"}"#,
    ];
    let input = lines.join("\n") + "\n";
    let (code, out, _) = bl(&["redact"], input.as_bytes());
    assert_eq!(code, 0);
    for secret in [
        "PgPass123",
        "wJalrXUtnFEMIK7MDENG",
        "k3y-value-123",
        "hunter2",
        "pd-key-123",
        "nc-pw-456",
        "UserinfoPw9",
        "sak-789",
        "pp-1",
        "cr-2",
        "ca-3",
        "sk-4",
        "arr-5",
        "obj-6",
        "xat-7",
        "ck-8",
        "sq-9",
        "gopw-10",
        "enc-11",
        "esc-12",
    ] {
        assert!(!out.contains(secret), "{secret} leaked:\n{out}");
    }
    // The JSON lines stay JSON.
    for (i, l) in out.lines().enumerate() {
        if lines[i].starts_with('{') {
            serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{l}: {e}"));
        }
    }
    // The jq-pretty header array and a raw PEM body, across lines.
    let pretty = "{\n  \"headers\": {\n    \"Authorization\": [\n      \"SSWS 00pretty-secret\"\n    ]\n  }\n}\n-----BEGIN PRIVATE KEY-----\nMIIEvQpembody\n-----END PRIVATE KEY-----\n";
    let (_, out, _) = bl(&["redact"], pretty.as_bytes());
    assert!(
        !out.contains("00pretty-secret") && !out.contains("MIIEvQpembody"),
        "{out}"
    );
}

#[test]
fn d04_template_fields_named_as_secrets_are_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r4");
    std::fs::create_dir(&rules).unwrap();
    file(
        &rules,
        "X100-login-failed.toml",
        br#"code = "X100"
name = "login-failed"
severity = "error"
message = "login failed for {user} with {password}"
[match]
field = "msg"
regex = "^login failed"
"#,
    );
    let line = r#"{"level":"error","ts":1,"msg":"login failed","user":"bob","password":"hunter2-Very$ecret"}"#;
    for fmt in [
        "concise", "json", "sarif", "github", "gitlab", "rdjsonl", "junit",
    ] {
        let (_, out, err) = bl(
            &[
                "--isolated",
                "--rules",
                s(&rules),
                "--extend-select",
                "X100",
                "--format",
                fmt,
                "-",
            ],
            line.as_bytes(),
        );
        assert!(out.contains("login failed for bob"), "{fmt}: {out}{err}");
        assert!(!out.contains("hunter2"), "{fmt}: {out}");
    }
}

#[test]
fn d05_a_fifo_or_dev_stdin_loses_no_byte() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("in.fifo");
    mkfifo(&fifo);
    let f2 = fifo.clone();
    let writer = std::thread::spawn(move || std::fs::write(&f2, PANIC).unwrap());
    let (code, out, _) = bl(&["--isolated", "--format", "concise", s(&fifo)], b"");
    writer.join().unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("BL901"), "{out}");
    let (code, out, _) = bl(
        &["--isolated", "--format", "concise", "/dev/stdin"],
        PANIC.as_bytes(),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("BL901"), "{out}");
    // A .c1z and a gzip down a pipe are told by their magic bytes too.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(PANIC.as_bytes()).unwrap();
    let (code, out, _) = bl(
        &["--isolated", "--format", "concise"],
        &gz.finish().unwrap(),
    );
    assert_eq!(code, 1, "{out}");
    let (code, _, err) = bl(&["--isolated"], b"C1ZF\0not really zstd");
    assert_eq!(code, 2);
    assert!(err.contains("zstd") || err.contains("c1z"), "{err}");
}

#[test]
fn d06_an_output_that_is_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let victim = file(dir.path(), "victim.log", PANIC.as_bytes());
    let out_spec = format!("sarif={}", s(&victim));
    let (code, _, err) = bl(&["--isolated", "--output", &out_spec, s(&victim)], b"");
    assert_eq!(code, 2);
    assert!(err.contains("both an input"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), PANIC);
}

#[test]
fn d07_redact_keeps_json_valid_and_says_what_it_cuts() {
    let (_, out, _) = bl(
        &["redact"],
        br#"{"msg":"call failed","error":"bad param \"token=abc123\" rejected"}
"#,
    );
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("still JSON");
    assert!(!v["error"].as_str().unwrap().contains("abc123"));
}

#[test]
fn d09_redaction_is_as_fast_on_non_ascii_text() {
    let make = |word: &str| {
        (0..100_000)
            .map(|i| format!("{{\"level\":\"info\",\"msg\":\"synced user {word} {i}\",\"path\":\"/v2/users/{i}\"}}\n"))
            .collect::<String>()
    };
    let time = |text: &str| {
        let t = Instant::now();
        let (code, _, _) = bl(&["redact"], text.as_bytes());
        assert_eq!(code, 0);
        t.elapsed()
    };
    let ascii = time(&make("Polzovatel"));
    let cyrillic = time(&make("Пользователь"));
    // 0.1.0: 100–180× slower. Same order of magnitude now (generous for a loaded machine).
    assert!(
        cyrillic < ascii * 4 + Duration::from_millis(300),
        "ASCII {ascii:?}, non-ASCII {cyrillic:?}"
    );
}

#[test]
fn d10_d15_control_characters_are_escaped_and_junit_is_well_formed() {
    let line = format!("\x07{AUTH}\x1b]0;pwned\x07\r\n");
    let (_, xml, _) = bl(&["--isolated", "--format", "junit"], line.as_bytes());
    let mut reader = quick_xml::Reader::from_str(&xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed: {e}\n{xml}"),
        }
    }
    assert!(!xml.contains('\x07') && !xml.contains('\x1b'), "{xml}");
    for fmt in ["full", "concise", "table"] {
        let (_, out, _) = bl(&["--isolated", "--format", fmt], line.as_bytes());
        assert!(
            !out.contains('\x1b') && !out.contains('\x07'),
            "{fmt}: {out:?}"
        );
    }
}

#[test]
fn d11_directories_follow_symlinks_and_say_what_they_skip() {
    let dir = tempfile::tempdir().unwrap();
    let real = file(dir.path(), "panic.log", PANIC.as_bytes());
    let logs = dir.path().join("containers");
    std::fs::create_dir(&logs).unwrap();
    std::os::unix::fs::symlink(&real, logs.join("current.log")).unwrap();
    std::os::unix::fs::symlink(&logs, logs.join("loop")).unwrap();
    mkfifo(logs.join("pipe.log"));
    let (code, out, _) = bl(&["--isolated", "--format", "full", s(&logs)], b"");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("BL901"), "{out}");
    assert!(out.contains("symlink loop"), "{out}");
    assert!(out.contains("not a regular file"), "{out}");
}

#[test]
fn d11_tar_hard_links_are_noted() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(PANIC.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "panic.log", PANIC.as_bytes())
        .unwrap();
    let mut l = tar::Header::new_gnu();
    l.set_entry_type(tar::EntryType::Link);
    l.set_size(0);
    b.append_link(&mut l, "again.log", "panic.log").unwrap();
    let t = file(dir.path(), "logs.tar", &b.into_inner().unwrap());
    let (_, out, _) = bl(&["--isolated", s(&t)], b"");
    assert!(out.contains("again.log: a hard link to panic.log"), "{out}");
}

#[test]
fn d12_sigterm_is_honoured_while_blocked_on_a_named_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("quiet.fifo");
    mkfifo(&fifo);
    let mut child = Command::new(bin())
        .args(["--isolated", s(&fifo)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    unsafe_kill(child.id(), "TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(t.elapsed() < Duration::from_secs(8));
}

#[test]
fn d12_sigterm_stops_c1z_decompression_and_removes_the_temp_copy() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    // A zstd frame of RLE blocks: 4 bytes each for 128 KiB of zeros, 8 GiB in all.
    let mut bomb = b"C1ZF\0".to_vec();
    bomb.extend_from_slice(&[0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]);
    let blocks = 65_536;
    for i in 0..blocks {
        let last = (i == blocks - 1) as u32;
        let header = last | (1 << 1) | ((128 * 1024) << 3);
        bomb.extend_from_slice(&header.to_le_bytes()[..3]);
        bomb.push(0);
    }
    let c1z = file(dir.path(), "bomb.c1z", &bomb);
    let mut child = Command::new(bin())
        .args(["--isolated", "--max-c1z-bytes", "100000000000", s(&c1z)])
        .env("TMPDIR", &tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    unsafe_kill(child.id(), "TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "temp files left: {left:?}");
}

fn unsafe_kill(pid: u32, sig: &str) {
    assert!(
        Command::new("kill")
            .args([&format!("-{sig}"), &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
}

#[test]
fn d14_a_bom_or_utf16_log_is_read_as_text() {
    let bom = [b"\xef\xbb\xbf".as_slice(), PANIC.as_bytes()].concat();
    let (code, out, _) = bl(&["--isolated", "--format", "concise"], &bom);
    assert_eq!(code, 1, "{out}");
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(
            format!("{AUTH}\n")
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes()),
        )
        .collect();
    let (code, out, _) = bl(&["--isolated", "--format", "full"], &utf16);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("BL201") && out.contains("decoded from UTF-16LE"),
        "{out}"
    );
}

#[test]
fn d16_stats_survive_sigint() {
    let mut child = Command::new(bin())
        .args(["--isolated", "--stats", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for _ in 0..1000 {
        writeln!(stdin, "{AUTH}").unwrap();
    }
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(800));
    unsafe_kill(child.id(), "INT");
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["stats"]["bytes"].as_u64().unwrap() > 100_000,
        "{}",
        doc["stats"]
    );
}

#[test]
fn d17_rule_folder_errors_name_the_file_and_a_fifo_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(dir.path().join("x.toml"));
    let (code, _, err) = bl(&["check-rules", s(dir.path())], b"");
    assert_eq!(code, 2);
    assert!(
        err.contains("x.toml") && err.contains("not a regular file"),
        "{err}"
    );
}

#[test]
fn d18_a_huge_literal_alternation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let words: Vec<String> = (0..20_000).map(|i| format!("w{i}")).collect();
    file(
        dir.path(),
        "X200-big.toml",
        format!(
            "code = \"X200\"\nname = \"big\"\nseverity = \"error\"\nmessage = \"m\"\n[match]\nfield = \"msg\"\nregex = '''{}'''\n",
            words.join("|")
        )
        .as_bytes(),
    );
    let (code, _, err) = bl(&["check-rules", s(dir.path())], b"");
    assert_eq!(code, 2);
    assert!(err.contains("the limit is"), "{err}");
}

#[test]
fn d20_gzip_with_trailing_garbage_keeps_its_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(PANIC.as_bytes()).unwrap();
    let mut data = gz.finish().unwrap();
    data.extend_from_slice(b"\x00\x01garbage after the stream");
    let f = file(dir.path(), "t.log.gz", &data);
    let (code, out, _) = bl(&["--isolated", s(&f)], b"");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("BL901") && out.contains("ended badly"),
        "{out}"
    );
}

#[test]
fn d21_run_explains_exit_255_and_signals() {
    let (code, out, _) = bl(&["run", "--", "sh", "-c", "exit 255"], b"");
    assert_eq!(code, 255);
    assert!(
        out.contains("status 255") && !out.contains("signal 127"),
        "{out}"
    );
    let (_, out, _) = bl(&["run", "--", "sh", "-c", "kill -9 $$"], b"");
    assert!(
        out.contains("SIGKILL") && !out.contains("most often the OOM"),
        "{out}"
    );
}

#[test]
fn d22_jobs_is_bounded() {
    let (code, _, err) = bl(&["-j", "1000000", "-"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("1 to 256"), "{err}");
}

#[test]
fn d23_prose_is_not_redacted() {
    let text = "the API requires basic authentication\nfailed to get token: 401 Unauthorized\n";
    let (_, out, _) = bl(&["redact"], text.as_bytes());
    assert_eq!(out, text);
}

#[test]
fn d24_a_closed_stdout_exits_zero_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let body: String = (0..3000)
        .map(|i| {
            format!(
                "{}\n",
                AUTH.replace("\"ts\":1", &format!("\"ts\":{i},\"n\":{i}"))
            )
        })
        .collect();
    let f = file(dir.path(), "big.log", body.as_bytes());
    for fmt in ["concise", "full", "json", "sarif"] {
        let mut child = Command::new(bin())
            .args(["--isolated", "--format", fmt, s(&f)])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{fmt}");
    }
}

#[test]
fn d25_check_rules_rejects_placeholders_nothing_fills() {
    let dir = tempfile::tempdir().unwrap();
    file(
        dir.path(),
        "X300-x.toml",
        br#"code = "X300"
name = "x"
severity = "error"
message = "failed: {bogus_field}"
[match]
field = "msg"
contains = "failed"
"#,
    );
    let (code, _, err) = bl(&["check-rules", s(dir.path())], b"");
    assert_eq!(code, 2);
    assert!(err.contains("{bogus_field}"), "{err}");
}

#[test]
fn d26_no_all_clear_after_an_unreadable_input() {
    let (code, out, _) = bl(&["--isolated", "/nonexistent/x.log"], b"");
    assert_eq!(code, 2);
    assert!(out.contains("could not be read"), "{out}");
    let (code, out, _) = bl(&["--isolated", "-"], b"C1ZF\0garbage");
    assert_eq!(code, 2);
    assert!(!out.contains("No known failures found in 0 lines"), "{out}");
}

#[test]
fn d27_decompressed_size_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let mut z = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
    z.write_all(format!("{AUTH}\n").as_bytes()).unwrap();
    z.write_all(&vec![b'\n'; 4 << 20]).unwrap();
    let f = file(dir.path(), "nl.log.zst", &z.finish().unwrap());
    let (code, out, _) = bl(
        &["--isolated", "--max-decompressed-bytes", "1000000", s(&f)],
        b"",
    );
    assert_eq!(code, 1, "the findings before the cap are kept: {out}");
    assert!(out.contains("cap of 1000000 bytes"), "{out}");
}

#[test]
fn d28_non_finite_numbers_are_no_measurements() {
    let line = r#"{"level":"warn","ts":1,"caller":"uhttp/wrapper.go:586","msg":"base-http-client: HTTP error status","status_code":1e999}"#;
    let (_, out, _) = bl(&["--isolated", "--format", "concise"], line.as_bytes());
    assert!(!out.contains("BL304"), "{out}");
}
