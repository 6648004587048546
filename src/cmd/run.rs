//! `baton-lint run -- ./baton-yourservice ARGS…`: starts the connector with JSON logs, lints its
//! stderr live (passing it through with `--tee`), and exits with the connector's own status
//! when it failed — explained, since from baton-sdk v0.25 that status is the error's gRPC code.
//! A plain pipe (`connector | baton-lint`) loses that status.

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use super::check::{Input, build_sinks, exit_code, finish_sinks, lint_inputs};
use crate::cli::RunArgs;
use crate::config;

/// What a connector's exit status means.
pub fn explain_status(code: i32) -> String {
    let base = format!("the connector exited with status {code}");
    match code {
        1 => format!(
            "{base}: on baton-sdk ≥ v0.25 that is Canceled (or context canceled); before v0.25 every failure exits 1"
        ),
        2 => format!(
            "{base}: on baton-sdk ≥ v0.25 that is Unknown — an error without a gRPC code; a Go panic also exits 2"
        ),
        3..=16 => format!(
            "{base}: from baton-sdk v0.25 the exit status is the gRPC code of the error — {code} = {} (older SDKs exit 1 for every failure)",
            crate::context::GRPC_CODES[code as usize]
        ),
        137 => format!("{base}: killed by SIGKILL (128+9), most often the OOM killer"),
        c if c > 128 => format!("{base}: killed by signal {}", c - 128),
        _ => base,
    }
}

/// Copies what it reads to our stderr (`--tee`).
struct Tee<R> {
    inner: R,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let _ = io::stderr().write_all(&buf[..n]);
        Ok(n)
    }
}

/// Runs `run`.
pub fn run(args: &RunArgs) -> Result<u8> {
    let cfg = config::resolve(&args.check.rules, args.check.fail_on)?;
    let mut sinks = build_sinks(&args.check)?;
    crate::input::install_signal_handlers();
    let (prog, rest) = args
        .command
        .split_first()
        .context("no connector command given after `--`")?;
    let mut cmd_args = rest.to_vec();
    if !rest
        .iter()
        .any(|a| a == "--log-format" || a.starts_with("--log-format="))
    {
        cmd_args.extend(["--log-format".to_string(), "json".to_string()]);
    }
    let mut child = Command::new(prog)
        .args(&cmd_args)
        .env("BATON_LOG_FORMAT", "json")
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start `{prog}`"))?;
    let stderr = child.stderr.take().context("connector stderr")?;
    let reader: Box<dyn Read + Send> = if args.tee {
        Box::new(Tee { inner: stderr })
    } else {
        Box::new(stderr)
    };
    let name = args
        .check
        .stdin_filename
        .clone()
        .unwrap_or_else(|| "-".to_string());
    let mut o = lint_inputs(
        &cfg,
        &args.check,
        vec![Input::Stream(name, reader)],
        &mut sinks,
    );
    let status = child.wait().context("waiting for the connector")?;
    #[cfg(unix)]
    let code = {
        use std::os::unix::process::ExitStatusExt;
        status
            .code()
            .or_else(|| status.signal().map(|s| 128 + s))
            .unwrap_or(1)
    };
    #[cfg(not(unix))]
    let code = status.code().unwrap_or(1);
    if code != 0 {
        o.notices.push(explain_status(code));
    }
    let ok = finish_sinks(&mut sinks, &o, &cfg, &args.check);
    if code != 0 {
        return Ok(code.clamp(1, 255) as u8);
    }
    Ok(exit_code(&o, &cfg, &args.check, ok))
}
