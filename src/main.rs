//! baton-lint's entry point: parse arguments, run the subcommand, map the result to an exit code.

use std::process::ExitCode;

use baton_lint::cli::{Cli, Command};
use baton_lint::cmd;
use clap::Parser;

fn main() -> ExitCode {
    // First, so a signal during startup (rule loading) is never lost.
    baton_lint::input::install_signal_handlers();
    let cli = Cli::parse();
    let result = match &cli.command {
        None => cmd::check::run(&cli.check),
        Some(Command::Check(a)) => cmd::check::run(a),
        Some(Command::Rules(a)) => cmd::rules::run_list(a),
        Some(Command::Rule(a)) => cmd::rules::run_explain(a),
        Some(Command::Test(a)) => cmd::test::run_test(a),
        Some(Command::CheckRules(a)) => cmd::test::run_check_rules(a),
        Some(Command::Events(a)) => cmd::events::run(a),
        Some(Command::Run(a)) => cmd::run::run(a),
        Some(Command::C1z(a)) => cmd::c1z::run(a),
        Some(Command::Diff(a)) => cmd::c1z::run_diff(a),
        Some(Command::Redact(a)) => cmd::redact::run(a),
        Some(Command::Source(a)) => cmd::source::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if cmd::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baton-lint: {e:#}");
            ExitCode::from(cmd::EXIT_ERROR)
        }
    }
}
