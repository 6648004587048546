//! `baton-lint run -- ./baton-yourservice ARGS…`: starts the connector with JSON logs, lints its
//! stderr live (passing it through with `--tee`), and exits with the connector's own status
//! when it failed — explained, since from baton-sdk v0.25 that status is the error's gRPC code.
//! A plain pipe (`connector | baton-lint`) loses that status.

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use super::check::{Input, build_sinks, exit_code, finish_sinks, lint_inputs, watch_banner};
use crate::cli::RunArgs;
use crate::config;

/// What a connector's exit status means.
pub fn explain_status(code: Option<i32>, signal: Option<i32>) -> String {
    if let Some(sig) = signal {
        return match sig {
            9 => "the connector was killed by SIGKILL (signal 9): the kernel's OOM killer, an orchestrator or a person sent it — the log cannot tell which (on Kubernetes, `kubectl describe pod` says `OOMKilled` when it was memory)".to_string(),
            15 => "the connector was stopped by SIGTERM (signal 15): something asked it to stop (a deploy, a timeout, Ctrl-C on a parent)".to_string(),
            s => format!("the connector was killed by signal {s}"),
        };
    }
    let Some(code) = code else {
        return "the connector ended without an exit status".to_string();
    };
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
        // A shell reports a child killed by signal N as 128+N; the connector itself was not.
        c if c > 128 && c < 160 => format!(
            "{base}: a wrapper script reporting signal {} (128+{})",
            c - 128,
            c - 128
        ),
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
    if !args.check.files.is_empty() {
        anyhow::bail!(
            "run lints the connector's own log; put the connector and its arguments after `--` (files given: {})",
            args.check.files.len()
        );
    }
    let mut cfg = config::resolve(&args.check.rules, args.check.fail_on)?;
    super::check::attach_source(&mut cfg, &args.check)?;
    let mut sinks = build_sinks(&args.check, true)?;
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
    // The connector's log is named after it (`baton-okta.log`): a real artifact name for
    // SARIF and editors, where `-` would be none.
    let name = args.check.stdin_filename.clone().unwrap_or_else(|| {
        let base = std::path::Path::new(prog).file_name().map_or_else(
            || "connector".to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        format!("{base}.log")
    });
    watch_banner(&args.check, &name, None);
    let mut o = lint_inputs(
        &cfg,
        &args.check,
        vec![Input::Stream(name.clone(), reader)],
        &mut sinks,
    );
    let status = child.wait().context("waiting for the connector")?;
    #[cfg(unix)]
    let (code, signal) = {
        use std::os::unix::process::ExitStatusExt;
        let signal = status.signal();
        (
            status
                .code()
                .or_else(|| signal.map(|s| 128 + s))
                .unwrap_or(1),
            signal,
        )
    };
    #[cfg(not(unix))]
    let (code, signal) = (status.code().unwrap_or(1), None);
    if code != 0 {
        o.notices.push(explain_status(status.code(), signal));
    }
    let ok = finish_sinks(&mut sinks, &o, &cfg, &args.check);
    watch_banner(&args.check, &name, Some(&o));
    if code != 0 {
        return Ok(code.clamp(1, 255) as u8);
    }
    Ok(exit_code(&o, &cfg, &args.check, ok))
}
