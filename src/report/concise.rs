//! `concise`: one line per finding, written as it fires —
//! `PATH:LINE:COL: SEVERITY CODE message` (the format editors' problem matchers read).

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
        writeln!(
            out,
            "{}:{}:1: {} {} {}",
            f.path, f.line, f.severity, f.code, msg
        )?;
        out.flush()
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary<'_>) -> io::Result<()> {
        for n in s.notices {
            writeln!(out, "note: {n}")?;
        }
        out.flush()
    }
}
