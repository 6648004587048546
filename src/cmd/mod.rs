//! One module per subcommand, each a `run` function returning the exit code.

pub mod c1z;
pub mod check;
pub mod events;
pub mod redact;
pub mod rules;
pub mod run;
pub mod source;
pub mod test;

use std::io;

/// Exit codes (ruff / ripgrep conventions).
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// True for the error a closed output pipe gives (`baton-lint big.log | head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
