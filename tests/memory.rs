//! Peak memory stays bounded whatever the input: measured on the real binary with
//! /usr/bin/time -v (peak RSS of the child). One test binary, run in sequence.

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_baton-lint");

/// Runs baton-lint on `file` and returns its peak RSS in KiB.
fn peak_rss_kib(file: &std::path::Path) -> u64 {
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(BIN)
        .args(["--isolated", "--stats", "--format", "concise"])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("/usr/bin/time is installed (Debian package `time`)");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "{err}");
    err.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no RSS in: {err}"))
}

#[test]
fn a_50_mb_line_stays_under_64_mib() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one-line.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    f.write_all(b"{\"level\":\"error\",\"msg\":\"").unwrap();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..50 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\"}\n{\"level\":\"info\",\"msg\":\"Sync complete.\"}\n")
        .unwrap();
    drop(f);
    let kib = peak_rss_kib(&path);
    assert!(kib < 64 * 1024, "peak RSS {kib} KiB for a 50 MB line");
}

#[test]
fn a_100_mb_line_stays_under_64_mib() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge-line.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let chunk = vec![b'y'; 1 << 20];
    for _ in 0..100 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\n").unwrap();
    drop(f);
    let kib = peak_rss_kib(&path);
    assert!(kib < 64 * 1024, "peak RSS {kib} KiB for a 100 MB line");
}

#[test]
fn a_million_distinct_keys_stay_under_64_mib() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..1_000_000u32 {
        // Distinct errors (BL303's key) and distinct hosts (BL403/BL304 groups).
        writeln!(
            f,
            r#"{{"level":"warn","ts":{},"msg":"retrying operation","error":"rpc error: code = Unavailable desc = connection refused\ndial tcp 10.{}.{}.{}:443: connect: connection refused","wait":1}}"#,
            1000 + i / 100,
            i >> 16,
            (i >> 8) & 255,
            i & 255
        )
        .unwrap();
    }
    drop(f);
    let kib = peak_rss_kib(&path);
    assert!(
        kib < 64 * 1024,
        "peak RSS {kib} KiB for 1,000,000 distinct keys"
    );
}
