//! `concise`: one line per finding, written as it fires —
//! `PATH:LINE:COL: SEVERITY CODE message` (the format editors' problem matchers read). With
//! `--source`, PATH:LINE is the connector's Go code and the log line follows the message.

use std::io::{self, Write};

use super::{Reporter, Summary, redacted};
use crate::finding::Finding;

/// See the module docs.
#[derive(Default)]
pub struct ConciseReporter {
    written: usize,
}

impl Reporter for ConciseReporter {
    fn finding(&mut self, out: &mut dyn Write, f: &Finding) -> io::Result<()> {
        let f = redacted(f);
        self.written += 1;
        let msg = f.message.replace('\n', " ");
        // On the connector's code when `--source` placed it there (the editor jumps to the
        // method to fix), with the log line after the message.
        match &f.source {
            Some(s) => writeln!(
                out,
                "{}:{}:1: {} {} {} (log: {}:{}{})",
                s.path,
                s.line,
                f.severity,
                f.code,
                msg,
                f.path,
                f.line,
                if s.symbol.is_empty() {
                    String::new()
                } else {
                    format!(", in {}", s.symbol)
                }
            )?,
            None => writeln!(
                out,
                "{}:{}:1: {} {} {}",
                f.path, f.line, f.severity, f.code, msg
            )?,
        }
        out.flush()
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary<'_>) -> io::Result<()> {
        for n in s.notices {
            writeln!(out, "note: {n}")?;
        }
        out.flush()
    }
}
