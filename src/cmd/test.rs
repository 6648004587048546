//! `baton-lint test [DIR]` and `baton-lint check-rules DIR`.

use std::io::Write;

use anyhow::Result;

use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use crate::cli::{CheckRulesArgs, TestArgs};
use crate::rules::{load_builtin, load_dir, loader::check_unique};
use crate::ruletest;

/// Runs `test`: every embedded case; exit 1 on any failure.
pub fn run_test(args: &TestArgs) -> Result<u8> {
    let rules = match &args.dir {
        Some(d) => load_dir(d)?,
        None => load_builtin()?,
    };
    check_unique(&rules)?;
    let outcome = ruletest::run(&rules);
    let mut out = std::io::stdout().lock();
    for f in &outcome.failures {
        writeln!(out, "{f}")?;
    }
    writeln!(
        out,
        "{} passed, {} failed",
        outcome.passed,
        outcome.failures.len()
    )?;
    Ok(if outcome.failures.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    })
}

/// Runs `check-rules`: load and validate only.
pub fn run_check_rules(args: &CheckRulesArgs) -> Result<u8> {
    match load_dir(&args.dir).and_then(|r| check_unique(&r).map(|_| r)) {
        Ok(rules) => {
            let mut bad = 0;
            for r in &rules {
                for name in ruletest::unknown_placeholders(r) {
                    eprintln!(
                        "baton-lint: {}: rule {}: message placeholder {{{name}}} is not a capture, a derived value, nor a field of this rule's conditions or cases; it would always print as `?`",
                        r.origin, r.code
                    );
                    bad += 1;
                }
            }
            if bad > 0 {
                return Ok(EXIT_ERROR);
            }
            writeln!(
                std::io::stdout(),
                "{} rule(s) OK in {}",
                rules.len(),
                args.dir.display()
            )?;
            Ok(EXIT_CLEAN)
        }
        Err(e) => {
            eprintln!("baton-lint: {e}");
            Ok(EXIT_ERROR)
        }
    }
}
