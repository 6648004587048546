//! `baton-lint source --explain DIR`: what `--source` understood of a connector.

use std::io::Write;

use anyhow::Result;

use super::EXIT_CLEAN;
use crate::cli::SourceArgs;
use crate::source::SourceIndex;

pub fn run(args: &SourceArgs) -> Result<u8> {
    let ix = SourceIndex::build(&args.dir)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.dir.display()))?;
    let text = if args.json {
        serde_json::to_string_pretty(&ix)? + "\n"
    } else {
        ix.explain()
    };
    // Through the redacting writer like every output (a Go string literal can hold a secret);
    // a closed pipe (`| head`) ends quietly.
    let mut out = crate::redact::CleanWriter::new(std::io::stdout().lock());
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(EXIT_CLEAN),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(EXIT_CLEAN),
        Err(e) => Err(e.into()),
    }
}
