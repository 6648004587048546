//! `github`: GitHub Actions workflow commands, written as findings fire:
//! `::error file=…,line=…,endLine=…,title=…::message`. GitHub shows only a few annotations per
//! step, so at most [`MAX_ANNOTATIONS_PER_LEVEL`] per level are written, then one notice with
//! the number left out. info and hint map to `notice`.

use std::io::{self, Write};

use super::{Reporter, Summary, redacted};
use crate::finding::Finding;
use crate::rules::Severity;

/// GitHub displays 10 annotations of each level per step.
pub const MAX_ANNOTATIONS_PER_LEVEL: usize = 10;

/// Escapes a command's message: `%`, `\r`, `\n`.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property: as [`escape_data`], plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// See the module docs.
#[derive(Default)]
pub struct GithubReporter {
    written: [usize; 3],
    skipped: usize,
}

fn command(s: Severity) -> (&'static str, usize) {
    match s {
        Severity::Error => ("error", 0),
        Severity::Warning => ("warning", 1),
        Severity::Info | Severity::Hint => ("notice", 2),
    }
}

impl Reporter for GithubReporter {
    fn finding(&mut self, out: &mut dyn Write, f: &Finding) -> io::Result<()> {
        let (cmd, slot) = command(f.severity);
        if self.written[slot] >= MAX_ANNOTATIONS_PER_LEVEL {
            self.skipped += 1;
            return Ok(());
        }
        self.written[slot] += 1;
        let f = redacted(f);
        let mut props = Vec::new();
        // A pull request shows annotations on files of the repository: the Go code when
        // `--source` placed the finding there.
        if let Some(s) = &f.source {
            props.push(format!("file={}", escape_property(&s.path)));
            props.push(format!("line={}", s.line.max(1)));
        } else {
            if f.path != "-" {
                props.push(format!("file={}", escape_property(&f.path)));
            }
            props.push(format!("line={}", f.line.max(1)));
            props.push(format!("endLine={}", f.end_line.max(f.line).max(1)));
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("{} {}", f.code, f.name))
        ));
        let mut msg = f.message.clone();
        if f.count > 1 {
            msg.push_str(&format!(" (×{}, last at line {})", f.count, f.last_line));
        }
        if let Some(s) = &f.source {
            msg.push_str(&format!(" (log: {}:{}, in {})", f.path, f.line, s.symbol));
        }
        writeln!(out, "::{cmd} {}::{}", props.join(","), escape_data(&msg))?;
        out.flush()
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary<'_>) -> io::Result<()> {
        if self.skipped > 0 {
            writeln!(
                out,
                "::notice title=baton-lint::{}",
                escape_data(&format!(
                    "{} more finding(s) not shown as annotations (GitHub shows {} per level); see the job summary or run with --format full",
                    self.skipped, MAX_ANNOTATIONS_PER_LEVEL
                ))
            )?;
        }
        for n in s.notices {
            writeln!(out, "::notice title=baton-lint::{}", escape_data(n))?;
        }
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
