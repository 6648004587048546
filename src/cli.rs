//! Command-line arguments (clap derive). `baton-lint [FILES]` checks; subcommands list, explain
//! and test rules, and show how lines parse.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

/// Tells a baton connector author why their connector broke and what to change, from its logs.
#[derive(Debug, Parser)]
#[command(
    name = "baton-lint",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  baton-yourservice --log-level debug --log-format json 2>&1 | baton-lint\n  baton-lint logs/*.log\n  baton-lint --format concise ci.log\n  baton-lint rule BL101\n\nExit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, I/O or rule errors."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check logs for known connector failures (the default).
    Check(CheckArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Explain one rule: what, why, example, cause and fix.
    #[command(alias = "explain")]
    Rule(RuleArgs),
    /// Run the rules' embedded test cases; reports each failing case as Missing or Noisy.
    Test(TestArgs),
    /// Validate rule files without running anything.
    CheckRules(CheckRulesArgs),
    /// Print the parsed events of the input, one JSON object per line (debugging parsers).
    Events(EventsArgs),
    /// Write logs back with every secret replaced by REDACTED (JSON stays valid JSON), for
    /// attaching to a bug report.
    Redact(EventsArgs),
    /// Lint `.c1z` sync files (also detected by magic bytes in a normal run).
    C1z(C1zArgs),
    /// Compare two syncs: counts per resource type side by side (`diff OLD.c1z NEW.c1z`, or
    /// `diff FILE.c1z` for the two latest finished syncs inside one file).
    Diff(DiffArgs),
    /// Run a connector and lint its logs live: `baton-lint run -- ./baton-yourservice ARGS…`.
    Run(RunArgs),
    /// What `--source` understood of a connector's Go code: `source --explain DIR`.
    Source(SourceArgs),
}

/// `baton-lint source`.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Print the index: resource syncer types, the resource type ids they return, their methods.
    #[arg(long)]
    pub explain: bool,
    /// Output as JSON.
    #[arg(long)]
    pub json: bool,
    /// The connector's directory (default: the working directory).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

/// `baton-lint c1z`. Here `--stats` prints the counts per resource type, entitlements and grants
/// of the latest finished sync (what `baton stats` shows) instead of the findings.
#[derive(Debug, Args)]
#[command(
    mut_arg("files", |a| a.help(".c1z sync files to lint (v1 and v3); `-` or none for stdin")),
    mut_arg("stats", |a| a.help("Print the counts per resource type of the latest finished sync instead of the findings"))
)]
pub struct C1zArgs {
    #[command(flatten)]
    pub check: CheckArgs,
}

/// `baton-lint diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older sync file (or the only file, holding two syncs).
    pub old: PathBuf,
    /// The newer sync file.
    pub new: Option<PathBuf>,
    /// `text` (default), `json` or `markdown`.
    #[arg(long, default_value = "text", value_parser = ["text", "json", "markdown"])]
    pub format: String,
    /// Cap on a v1 file's decompressed size, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::c1z::DEFAULT_MAX_C1Z_BYTES)]
    pub max_c1z_bytes: u64,
}

/// `baton-lint run`: starts the connector with JSON logs, lints its stderr live, keeps (and
/// explains) its exit status.
#[derive(Debug, Args)]
#[command(mut_arg("stdin_filename", |a| a.help("Name to report for the connector's log (default: the program's name + .log)")))]
pub struct RunArgs {
    /// Also copy the connector's stderr (its log) to baton-lint's stderr.
    #[arg(long)]
    pub tee: bool,
    #[command(flatten)]
    pub check: CheckArgs,
    /// The connector and its arguments (after `--`).
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// When to color output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Which severity makes the exit code 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}

/// Rule selection and configuration shared by `check` and `rules`.
#[derive(Debug, Args, Clone, Default)]
pub struct RuleOptions {
    /// Folder of extra rule files (*.toml), added to the built-in rules. Repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    pub rule_dirs: Vec<PathBuf>,
    /// Only run these rules: codes, code prefixes (BL2), names or categories; `ALL`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Run these rules in addition to the selected ones.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub extend_select: Vec<String>,
    /// Do not run these rules.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Also run rules still in preview.
    #[arg(long)]
    pub preview: bool,
    /// Configuration file (default: the nearest baton-lint.toml above the working directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long, conflicts_with = "config")]
    pub isolated: bool,
}

/// `baton-lint check`.
#[derive(Debug, Args, Clone, Default)]
pub struct CheckArgs {
    /// Log files to check; `-` or none for stdin.
    #[arg(value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Output format (default: full).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Print run statistics (bytes, lines, events by kind, lossy and truncated lines).
    #[arg(long)]
    pub stats: bool,
    /// When to use colors (NO_COLOR and FORCE_COLOR are honoured with `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print nothing; only the exit code tells.
    #[arg(short, long)]
    pub quiet: bool,
    /// Exit 1 when a finding has at least this severity (default: warning).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Exit 0 even when there are findings.
    #[arg(long)]
    pub exit_zero: bool,
    /// Cut lines longer than this many bytes (they are counted and noted).
    #[arg(long, value_name = "BYTES", default_value_t = crate::input::DEFAULT_MAX_LINE_BYTES)]
    pub max_line_bytes: usize,
    /// Name to report for stdin instead of `-`.
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,
    /// The connector's Go source: put each finding on the line of code it is about (SARIF,
    /// github and concise point there). Default: `source` in baton-lint.toml, or the working
    /// directory when it is a Go module requiring baton-sdk.
    #[arg(long, value_name = "DIR", conflicts_with = "no_source")]
    pub source: Option<PathBuf>,
    /// Do not map findings onto Go source, even when a connector module is found.
    #[arg(long)]
    pub no_source: bool,
    /// Cap on a v1 `.c1z` file's decompressed size, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::c1z::DEFAULT_MAX_C1Z_BYTES)]
    pub max_c1z_bytes: u64,
    /// Cap on the decompressed size of one compressed log (gzip, zstd), in bytes; what
    /// follows is not read, and a notice says so.
    #[arg(long, value_name = "BYTES", default_value_t = crate::open::DEFAULT_MAX_DECOMPRESSED_BYTES)]
    pub max_decompressed_bytes: u64,
    /// In directories, only files matching this glob (repeatable), e.g. `--glob '*.log.gz'`.
    #[arg(long, value_name = "GLOB")]
    pub glob: Vec<String>,
    /// Threads to use (default: the number of CPUs). Several files are linted in parallel; a
    /// single input is parsed and matched ahead on N threads (a file of 64 KiB or less is
    /// linted on one: threads would cost more than they save). The output is the same, in
    /// input order, whatever N; `-j 1` runs everything on one thread.
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_jobs)]
    pub jobs: Option<usize>,
    /// Also write FORMAT to PATH (repeatable), e.g. `--output sarif=findings.sarif`.
    #[arg(long = "output", value_name = "FORMAT=PATH")]
    pub outputs: Vec<String>,
    /// Write the remediation table as Markdown to FILE (appended; default with `--format github`:
    /// $GITHUB_STEP_SUMMARY when set).
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Print the number of findings per rule instead of the findings.
    #[arg(long)]
    pub statistics: bool,
    /// Hide the findings recorded in FILE (by rule and fingerprint): CI fails only on new ones.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record every finding of this run in FILE, for `--baseline`.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    #[command(flatten)]
    pub rules: RuleOptions,
}

/// `baton-lint rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `table` (default), `json`, or `markdown` (the README's rule list).
    #[arg(long, default_value = "table", value_parser = ["table", "json", "markdown"])]
    pub format: String,
    /// List every rule, including ones not selected by the configuration.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub rules: RuleOptions,
}

/// `baton-lint rule CODE`.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Rule code (BL101) or name (repeated-page-token).
    pub rule: String,
    /// `text` (default) or `json`.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    /// Extra rule folders to look in.
    #[arg(long = "rules", value_name = "DIR")]
    pub rule_dirs: Vec<PathBuf>,
}

/// `baton-lint test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Folder of rule files to test (default: the built-in rules).
    pub dir: Option<PathBuf>,
}

/// `baton-lint check-rules`.
#[derive(Debug, Args)]
pub struct CheckRulesArgs {
    /// Folder of rule files to validate.
    pub dir: PathBuf,
}

/// `baton-lint events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Files to parse; `-` or none for stdin.
    pub files: Vec<PathBuf>,
}

/// Most threads `-j` takes: far more than any machine gains from, few enough that a typo
/// (`-j 1000000`) cannot spend a minute and a gigabyte starting threads.
pub const MAX_JOBS: usize = 256;

fn parse_jobs(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=MAX_JOBS).contains(&n) => Ok(n),
        _ => Err(format!("expected a number of threads from 1 to {MAX_JOBS}")),
    }
}
