//! `baton-lint redact [FILES]`: the input written back line by line with every secret replaced
//! by `REDACTED`, structure kept (JSON lines stay valid JSON), so a log can be attached to a bug
//! report. PEM blocks and pretty-printed secret arrays are followed across lines. Invalid UTF-8
//! is written back lossily; a line over the cap (64 MiB here) is cut, and each cut line is said
//! on stderr with its number.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use anyhow::Result;

use super::{EXIT_CLEAN, EXIT_ERROR};
use crate::cli::EventsArgs;
use crate::input::{self, for_each_line};
use crate::redact::LineRedactor;

/// The line cap of `redact`: far above the checker's, since a cut line loses data.
pub const REDACT_MAX_LINE_BYTES: usize = 64 << 20;

/// Redacts `src` into `out`; returns the number of lines changed. Cut lines are said on
/// stderr (`name`, line number).
pub fn redact_stream<R: Read + Send + 'static>(
    src: R,
    name: &str,
    out: &mut dyn Write,
) -> io::Result<u64> {
    let mut changed = 0u64;
    let mut err = None;
    let mut lines = LineRedactor::default();
    let mut n = 0u64;
    input::stream(src, REDACT_MAX_LINE_BYTES, |chunk| {
        for_each_line(chunk, |l| {
            n += 1;
            if err.is_some() {
                return;
            }
            if chunk.cut {
                eprintln!(
                    "baton-lint: {}:{n}: line longer than {REDACT_MAX_LINE_BYTES} bytes; written cut at that length",
                    crate::redact::escape_controls(&crate::redact::redact(name))
                );
            }
            let r = lines.line(&l.text);
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
            redact_stream(io::stdin(), "-", &mut out)
        } else {
            let name = f.display().to_string();
            File::open(f).and_then(|file| redact_stream(file, &name, &mut out))
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
