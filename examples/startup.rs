//! Start-up of baton-lint on a short log, for `bench/run.sh`: runs `BIN --isolated -q LOG`
//! RUNS times, one after another, and prints the median and 90th-percentile wall time in ms
//! (issue #16's start-up target; the harness takes peak RSS with `/usr/bin/time`, as for its
//! other rows).
//!
//!     startup BIN LOG [RUNS]      # RUNS defaults to 100
//!
//! Wall time is taken around spawn and wait: what a user waits for, process start and exit
//! included. (`getrusage(RUSAGE_CHILDREN)` was tried for the RSS: 11 MiB when run from bash,
//! 193 MiB when run by `cargo run` in CI, for the same 20-line log.)

use std::io::Write;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(bin), Some(log)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: startup BIN LOG [RUNS]");
        return ExitCode::from(2);
    };
    let runs: usize = match args.get(3).map(|r| r.parse()) {
        None => 100,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("startup: RUNS must be a positive number");
            return ExitCode::from(2);
        }
    };
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let status = Command::new(bin)
            .args(["--isolated", "-q", log])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let took = start.elapsed();
        match status {
            // 0: no findings, 1: findings; anything else is a failed run, not a timing.
            Ok(s) if matches!(s.code(), Some(0 | 1)) => ms.push(took.as_secs_f64() * 1e3),
            Ok(s) => {
                eprintln!("startup: {bin} {log} exited with {s}");
                return ExitCode::from(1);
            }
            Err(e) => {
                eprintln!("startup: cannot run {bin}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    ms.sort_by(f64::total_cmp);
    let pick = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    // One line for the harness to read: median ms, p90 ms.
    let line = format!("{:.2} {:.2}\n", pick(0.5), pick(0.9));
    match std::io::stdout().write_all(line.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(1),
    }
}
