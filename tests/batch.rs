//! Batch inputs: compressed files and archives give the same findings as the plain logs, state
//! never leaks between inputs, and the output does not depend on the thread count.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_baton-lint");

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(name)
}

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// concise output with the path prefix replaced, so plain and archived runs compare.
fn findings(args: &[&str], strip: &str) -> Vec<String> {
    let (_, out) = run(args);
    out.lines()
        .filter(|l| !l.starts_with("note:"))
        .map(|l| {
            l.split_once(": ")
                .map(|(_, rest)| rest.to_string())
                .unwrap_or_default()
        })
        .map(|l| l.replace(strip, ""))
        .collect()
}

const LOGS: [&str; 3] = [
    "demo/failing-sync.log",
    "BL303-endless-retry.log",
    "BL201-unauthenticated.log",
];

#[test]
fn gz_zst_and_tgz_give_the_same_findings_as_the_plain_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        std::fs::File::create(dir.path().join("logs.tgz")).unwrap(),
        flate2::Compression::fast(),
    ));
    for name in LOGS {
        let text = std::fs::read(corpus(name)).unwrap();
        let plain = findings(
            &[
                "--isolated",
                "--format",
                "concise",
                corpus(name).to_str().unwrap(),
            ],
            "",
        );
        assert!(!plain.is_empty(), "{name} fires something");
        let stem = name.replace('/', "_");
        let gz = dir.path().join(format!("{stem}.gz"));
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        enc.write_all(&text).unwrap();
        enc.finish().unwrap();
        let zst = dir.path().join(format!("{stem}.zst"));
        std::fs::write(&zst, zstd::encode_all(text.as_slice(), 3).unwrap()).unwrap();
        assert_eq!(
            findings(
                &["--isolated", "--format", "concise", gz.to_str().unwrap()],
                ""
            ),
            plain,
            "{name}.gz"
        );
        assert_eq!(
            findings(
                &["--isolated", "--format", "concise", zst.to_str().unwrap()],
                ""
            ),
            plain,
            "{name}.zst"
        );
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, format!("run/{stem}"), text.as_slice())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
    // Each member is its own stream, named archive:member.
    let tgz = dir.path().join("logs.tgz");
    let (_, out) = run(&["--isolated", "--format", "concise", tgz.to_str().unwrap()]);
    for name in LOGS {
        let stem = name.replace('/', "_");
        let plain = findings(
            &[
                "--isolated",
                "--format",
                "concise",
                corpus(name).to_str().unwrap(),
            ],
            "",
        );
        let prefix = format!("{}:run/{stem}:", tgz.display());
        let member: Vec<String> = out
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .map(|l| l.split_once(": ").unwrap().1.to_string())
            .collect();
        assert_eq!(member, plain, "{prefix}");
    }
}

#[test]
fn half_a_burst_in_each_of_two_files_is_no_burst() {
    let dir = tempfile::tempdir().unwrap();
    let line = |t: f64| {
        format!(
            r#"{{"level":"warn","ts":{t},"msg":"retrying operation","error":"rpc error: code = Unavailable desc = 429 Too Many Requests","wait":1.0}}"#
        )
    };
    // Retries at 100 s, 101 s, … for the seconds in `secs`.
    let write = |name: &str, secs: std::ops::Range<usize>| {
        let path = dir.path().join(name);
        let text: String = secs.map(|i| line(100.0 + i as f64) + "\n").collect();
        std::fs::write(&path, text).unwrap();
        path
    };
    let a = write("a.log", 0..3);
    let b = write("b.log", 3..6);
    let both = write("both.log", 0..6);
    for j in ["1", "2"] {
        let (code, out) = run(&[
            "--isolated",
            "--select",
            "BL301",
            "--format",
            "concise",
            "-j",
            j,
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ]);
        assert_eq!((code, out.as_str()), (0, ""), "-j {j}");
    }
    let (code, out) = run(&[
        "--isolated",
        "--select",
        "BL301",
        "--format",
        "concise",
        both.to_str().unwrap(),
    ]);
    assert_eq!(
        code, 1,
        "a storm is a warning, at the default --fail-on warning"
    );
    assert!(
        out.contains("warning BL301 6 rate-limited calls"),
        "the same lines in one file do burst (reported when the input ends: no success \
         followed, so it did not recover): {out}"
    );
}

#[test]
fn output_is_identical_with_one_and_two_threads_and_directories_expand() {
    let dir = corpus("");
    let d = dir.to_str().unwrap();
    let one = run(&[
        "--isolated",
        "--format",
        "json",
        "-j",
        "1",
        "--glob",
        "BL*.log",
        d,
    ]);
    let two = run(&[
        "--isolated",
        "--format",
        "json",
        "-j",
        "2",
        "--glob",
        "BL*.log",
        d,
    ]);
    assert_eq!(one, two);
    let doc: serde_json::Value = serde_json::from_str(&one.1).unwrap();
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.iter().all(|p| p.contains("/BL")),
        "--glob kept only the rule corpus"
    );
    assert!(
        paths.windows(2).all(|w| w[0] <= w[1]),
        "findings in input (sorted path) order"
    );
    let rules_fired: std::collections::BTreeSet<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(rules_fired.len() >= 30, "{rules_fired:?}");
}

#[test]
fn one_stream_gives_the_same_output_on_one_thread_and_on_several() {
    // Every corpus log in one stream, several times over: many read chunks, so workers prepare
    // chunks out of order and records meet pending multi-line events at chunk edges.
    let mut logs: Vec<PathBuf> = Vec::new();
    for dir in ["", "clean", "parse", "demo"] {
        for e in std::fs::read_dir(corpus(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "log") {
                logs.push(p);
            }
        }
    }
    logs.sort();
    let mut stream = Vec::new();
    for round in 0..8 {
        for p in &logs {
            stream.extend_from_slice(&std::fs::read(p).unwrap());
            if round % 2 == 1 {
                // An unterminated line glues the next file's first line to it.
                stream.push(b'\n');
            }
        }
    }
    assert!(stream.len() > 2 << 20, "spans several read chunks");
    let lint = |j: &str| {
        let mut child = Command::new(BIN)
            .args(["--isolated", "--format", "json", "-j", j, "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let data = stream.clone();
        let feeder = std::thread::spawn(move || stdin.write_all(&data));
        let out = child.wait_with_output().unwrap();
        feeder.join().unwrap().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let one = lint("1");
    assert!(
        one.matches("\"code\"").count() > 50,
        "the corpus fires rules"
    );
    for j in ["2", "3"] {
        let other = lint(j);
        let diff = one
            .lines()
            .zip(other.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b);
        assert!(
            diff.is_none() && one.len() == other.len(),
            "-j {j} differs from -j 1 at output line {:?}",
            diff.map(|(i, (a, b))| (i + 1, a.to_string(), b.to_string()))
        );
    }
}

/// A small file is linted in place (no reader or worker threads, `SMALL_FILE_BYTES`); the same
/// bytes from stdin go through the reader and the workers. Both must find the same, in every
/// format's view: the JSON document is compared whole.
#[test]
fn a_small_file_linted_in_place_finds_what_the_threads_find() {
    let mut checked = 0;
    for dir in ["", "clean", "parse", "demo"] {
        let mut logs: Vec<PathBuf> = std::fs::read_dir(corpus(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .collect();
        logs.sort();
        for p in logs {
            let bytes = std::fs::read(&p).unwrap();
            if bytes.len() as u64 > baton_lint::check::SMALL_FILE_BYTES {
                continue;
            }
            let name = p.display().to_string();
            let by_path = Command::new(BIN)
                .args(["--isolated", "--format", "json", "-j", "2", &name])
                .output()
                .unwrap();
            let mut child = Command::new(BIN)
                .args(["--isolated", "--format", "json", "-j", "2"])
                .args(["--stdin-filename", &name, "-"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(&bytes).unwrap();
            let by_stdin = child.wait_with_output().unwrap();
            assert_eq!(by_path.status.code(), by_stdin.status.code(), "{name}");
            assert_eq!(
                String::from_utf8_lossy(&by_path.stdout),
                String::from_utf8_lossy(&by_stdin.stdout),
                "{name}"
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "the corpus has small logs ({checked})");
}
