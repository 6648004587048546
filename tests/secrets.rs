//! Nothing secret leaves: a random secret of each kind, planted in each position a connector
//! log can hold one, appears in no output of any format, nor in `events`, `--stats` or
//! `redact`. Each case runs the binary as users do (every format at once through `--output`).
//! See: issue 12 (reliability report D1–D4, D7) — every position here leaked in 0.1.0 or in
//! the audit after it.

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;

const BIN: &str = env!("CARGO_BIN_EXE_baton-lint");
const FORMATS: &[&str] = &[
    "full", "concise", "json", "jsonl", "table", "sarif", "github", "junit", "gitlab", "rdjsonl",
];
const ERR: &str = "rpc error: code = Unauthenticated desc = 401 Unauthorized";

/// Secret-named keys, in the spellings real logs use.
const KEYS: &[&str] = &[
    "password",
    "client_secret",
    "clientSecret",
    "aws_secret_access_key",
    "secretAccessKey",
    "X-Api-Key",
    "apiKey",
    "Cookie",
    "token",
    "access_token",
    "sessionToken",
    "private_key",
    "client_assertion",
    "signature",
    "pagerduty_api_key",
    "nextcloud_password",
    "next_page_secret",
];

/// Where the secret stands. `{k}` is the key, `{s}` the secret, `{pad}` padding that puts the
/// secret across the 600-character evidence cut.
const POSITIONS: &[&str] = &[
    // a field value
    r#"{"level":"error","ts":1,"msg":"error running connector","error":"{e}","{k}":"{s}"}"#,
    // a nested object
    r#"{"level":"error","ts":1,"msg":"error running connector","error":"{e}","config":{"auth":{"{k}":"{s}"}}}"#,
    // an array value, an object value
    r#"{"level":"error","ts":1,"msg":"error running connector","error":"{e}","{k}":["{s}","x"]}"#,
    r#"{"level":"error","ts":1,"msg":"error running connector","error":"{e}","{k}":{"value":"{s}"}}"#,
    // a header map as uhttp logs it
    r#"{"level":"warn","ts":1,"caller":"uhttp/wrapper.go:586","msg":"base-http-client: HTTP error status","status_code":401,"status":"401 Unauthorized","headers":{"{k}":["{s}"]}}"#,
    // URL userinfo
    r#"{"level":"error","ts":1,"msg":"error running connector","error":"{e}: Get \"https://svc:{s}@api.example.com/v1/users\": 401"}"#,
    // inside an error string, key=value and Go %+v forms
    r#"{"level":"error","ts":1,"msg":"error running connector","error":"{e} (request {k}={s})"}"#,
    r#"{"level":"error","ts":1,"msg":"error running connector","error":"{e}: config {User:bob {k}:{s}}"}"#,
    // a zap console line pasted
    "2025-08-22T14:04:23.409-0700\tERROR\tconnector/client.go:88\terror running connector\t{\"error\": \"{e}\", \"{k}\": \"{s}\"}",
    // a jq-pretty block
    "{\n  \"level\": \"error\",\n  \"ts\": 1,\n  \"msg\": \"error running connector\",\n  \"error\": \"{e}\",\n  \"headers\": {\n    \"{k}\": [\n      \"{s}\"\n    ]\n  }\n}",
    // near the evidence cut
    r#"{"level":"error","ts":1,"msg":"error running connector","error":"{e}","pad":"{pad}","{k}":"{s}"}"#,
    // a bearer token and an Okta SSWS token in free text
    r#"{"level":"error","ts":1,"msg":"error running connector","error":"{e}","curl":"curl -H 'Authorization: Bearer {s}' https://x"}"#,
    "2025-08-22T14:04:23.409-0700\tERROR\tconnector/okta.go:12\tcall failed: Authorization: SSWS {s} — {e}",
];

/// Secrets that are secrets by their shape alone, wherever they stand.
const SHAPES: &[&str] = &[
    "ghp_{r}{r}",
    "github_pat_{r}_{r}",
    "glpat-{r}{r}",
    "xoxb-{r}-{r}",
    "AKIA{R}",
    "eyJ{r}.eyJ{r}.{r}",
    "sk_live_{r}{r}",
];

fn lint_everything(dir: &Path, log: &Path, rules: Option<&Path>) -> String {
    let mut args: Vec<String> = vec!["--isolated".into(), "--format".into(), "full".into()];
    for f in FORMATS {
        args.push("--output".into());
        args.push(format!("{f}={}", dir.join(format!("out.{f}")).display()));
    }
    if let Some(r) = rules {
        args.push("--rules".into());
        args.push(r.display().to_string());
        args.push("--extend-select".into());
        args.push("X100".into());
    }
    args.push("--stats".into());
    args.push(log.display().to_string());
    let mut all = String::new();
    let out = Command::new(BIN)
        .args(&args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.code().unwrap_or(9) <= 1,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    all += &String::from_utf8_lossy(&out.stdout);
    all += &String::from_utf8_lossy(&out.stderr);
    for f in FORMATS {
        all += &std::fs::read_to_string(dir.join(format!("out.{f}"))).unwrap();
    }
    for sub in [&["events"][..], &["redact"][..]] {
        let out = Command::new(BIN).args(sub).arg(log).output().unwrap();
        all += &String::from_utf8_lossy(&out.stdout);
        all += &String::from_utf8_lossy(&out.stderr);
    }
    all
}

fn secret_core() -> impl Strategy<Value = String> {
    // Starts with a marker no output has by itself; long enough never to occur by chance.
    "[A-Za-z0-9]{14,22}".prop_map(|s| format!("Zq9{s}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_keyed_secret_never_leaves(k in 0..KEYS.len(), p in 0..POSITIONS.len(), s in secret_core()) {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("sync.log");
        let key = KEYS[k];
        let mut body = POSITIONS[p].replace("{e}", ERR).replace("{k}", key).replace("{s}", &s);
        // Put the secret's first characters just before the 600th character of the line.
        let at = body.find("{pad}").unwrap_or(0);
        let pad = "x".repeat(600usize.saturating_sub(at + key.len() + 8));
        body = body.replace("{pad}", &pad);
        // The positions that name no key hold the secret after a scheme or in userinfo.
        let text = format!("{{\"level\":\"info\",\"ts\":0,\"msg\":\"Syncing resources...\"}}\n{body}\n");
        std::fs::write(&log, &text).unwrap();
        let out = lint_everything(dir.path(), &log, None);
        prop_assert!(!out.contains(&s), "secret {s} (key {key}, position {p}) leaked:\n{}",
            out.lines().filter(|l| l.contains(&s)).take(3).collect::<Vec<_>>().join("\n"));
        prop_assert!(out.contains("BL201") || out.contains("unauthenticated"), "the line still gives its finding");
    }

    #[test]
    fn a_shaped_secret_never_leaves(shape in 0..SHAPES.len(), p in 0..POSITIONS.len(), r in "[a-z0-9]{12,16}", big in "[A-Z0-9]{16}") {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("sync.log");
        let s = SHAPES[shape].replace("{r}", &r).replace("{R}", &big);
        // A plain key, so only the shape can tell it is a secret.
        let body = POSITIONS[p].replace("{e}", ERR).replace("{k}", "detail").replace("{s}", &s).replace("{pad}", "");
        std::fs::write(&log, format!("{body}\n")).unwrap();
        let out = lint_everything(dir.path(), &log, None);
        prop_assert!(!out.contains(&s), "secret {s} (position {p}) leaked:\n{}",
            out.lines().filter(|l| l.contains(&s)).take(3).collect::<Vec<_>>().join("\n"));
    }
}

#[test]
fn a_secret_in_a_rule_template_or_capture_never_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("X100-login-failed.toml"),
        r#"code = "X100"
name = "login-failed"
severity = "error"
message = "login failed for {user} with {password}, secret {what}"
[match]
all = [
  { field = "msg", regex = "^login failed" },
  { field = "error", regex = "client_secret=(?P<what>\\S+)" },
]
"#,
    )
    .unwrap();
    let log = dir.path().join("x.log");
    std::fs::write(
        &log,
        "{\"level\":\"error\",\"ts\":1,\"msg\":\"login failed\",\"user\":\"bob\",\"password\":\"Zq9hunter2VerySecret\",\"error\":\"bad request client_secret=Zq9CapturedSecret\"}\n",
    )
    .unwrap();
    let out = lint_everything(dir.path(), &log, Some(&rules));
    assert!(
        out.contains("login failed for bob"),
        "the rule fired:\n{out}"
    );
    for s in ["Zq9hunter2VerySecret", "Zq9CapturedSecret"] {
        assert!(!out.contains(s), "{s} leaked");
    }
}

#[test]
fn a_raw_pem_block_is_redacted_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("x.log");
    std::fs::write(
        &log,
        format!("{{\"level\":\"error\",\"ts\":1,\"msg\":\"error running connector\",\"error\":\"{ERR}\"}}\nkey:\n-----BEGIN RSA PRIVATE KEY-----\nZq9MIIEowIBAAKCAQEA\nZq9bodyline2\n-----END RSA PRIVATE KEY-----\ndone\n"),
    )
    .unwrap();
    let out = lint_everything(dir.path(), &log, None);
    assert!(!out.contains("Zq9"), "PEM body leaked");
    assert!(out.contains("-----END RSA PRIVATE KEY-----"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    /// The fuzz target's invariant on generated text (the fuzzer runs it on arbitrary bytes).
    #[test]
    fn a_planted_secret_never_leaves_redact_or_findings(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        baton_lint::fuzzing::secret_never_leaves(&data);
    }
}

/// Window marks keep short lines raw and are redacted when they become evidence: the first
/// line of a pagination cycle (BL102) carries a token in its query and a header.
#[test]
fn a_secret_in_a_window_mark_never_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("cycle.log");
    let line = |ts: &str, after: &str| {
        format!(
            r#"{{"level":"debug","ts":{ts},"msg":"HTTP request complete","http.method":"GET","http.url_details.host":"acme.okta.com","http.url_details.path":"/api/v1/users","http.url_details.query":"limit=200&after={after}&access_token=Zq9MarkQuery","http.headers":{{"Authorization":["SSWS Zq9MarkHeader00"]}},"http.status_code":200}}"#
        )
    };
    let text = [
        line("1.0", "00uA"),
        line("1.2", "00uB"),
        line("1.4", "00uA"),
    ]
    .join("\n")
        + "\n";
    std::fs::write(&log, text).unwrap();
    let out = lint_everything(dir.path(), &log, None);
    assert!(out.contains("BL102"), "the cycle is found:\n{out}");
    assert!(
        !out.contains("Zq9Mark"),
        "a mark leaked:\n{}",
        out.lines()
            .filter(|l| l.contains("Zq9Mark"))
            .take(2)
            .collect::<Vec<_>>()
            .join("\n")
    );
}
