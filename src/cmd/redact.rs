//! `baton-lint redact [FILES]`: the input written back line by line with every secret replaced
//! by `REDACTED`, structure kept (JSON lines stay valid JSON), so a log can be attached to a bug
//! report. Invalid UTF-8 is written back lossily; overlong lines are cut like everywhere else.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use anyhow::Result;

use super::{EXIT_CLEAN, EXIT_ERROR};
use crate::cli::EventsArgs;
use crate::input::{self, for_each_line};
use crate::redact::redact;

/// Redacts `src` into `out`; returns the number of lines changed.
pub fn redact_stream<R: Read + Send + 'static>(src: R, out: &mut dyn Write) -> io::Result<u64> {
    let mut changed = 0u64;
    let mut err = None;
    input::stream(src, input::DEFAULT_MAX_LINE_BYTES, |chunk| {
        for_each_line(chunk, |l| {
            if err.is_some() {
                return;
            }
            let r = redact(&l.text);
            changed += matches!(r, std::borrow::Cow::Owned(_)) as u64;
            if let Err(e) = out
                .write_all(r.as_bytes())
                .and_then(|_| out.write_all(b"\n"))
            {
                err = Some(e);
            }
        });
        err.is_none()
    })?;
    match err {
        Some(e) => Err(e),
        None => out.flush().map(|_| changed),
    }
}

/// Runs `redact`.
pub fn run(args: &EventsArgs) -> Result<u8> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let files: Vec<&Path> = if args.files.is_empty() {
        vec![Path::new("-")]
    } else {
        args.files.iter().map(|p| p.as_path()).collect()
    };
    let mut code = EXIT_CLEAN;
    let mut total = 0;
    for f in files {
        let res = if f == Path::new("-") {
            redact_stream(io::stdin(), &mut out)
        } else {
            File::open(f).and_then(|file| redact_stream(file, &mut out))
        };
        match res {
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(EXIT_CLEAN),
            Err(e) => {
                eprintln!("baton-lint: {}: {e}", f.display());
                code = EXIT_ERROR;
            }
        }
    }
    out.flush()?;
    eprintln!("baton-lint: redacted secrets on {total} line(s)");
    Ok(code)
}
