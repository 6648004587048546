//! Raw arguments + `baton-lint.toml` → one validated configuration: which rules run, from
//! where, and what fails the run. Command-line flags win over the file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::cli::{FailOn, RuleOptions};
use crate::rules::loader::{check_unique, load_builtin_for_lint};
use crate::rules::select::{Selection, selector_known};
use crate::rules::{Rule, RuleSet, Severity, load_dir};

/// The configuration file name looked for from the working directory upwards.
pub const CONFIG_FILE: &str = "baton-lint.toml";

/// `baton-lint.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub extend_select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub preview: bool,
    /// Rule folders, relative to the configuration file.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    pub fail_on: Option<String>,
    /// Per-rule severity overrides: `BL301 = "error"`, or `"off"`.
    #[serde(default)]
    pub severity: indexmap::IndexMap<String, String>,
    /// The connector's Go source (`--source`), relative to the configuration file.
    pub source: Option<PathBuf>,
}

/// The resolved configuration.
pub struct Config {
    pub rules: RuleSet,
    pub fail_on: Severity,
    /// `source = "…"` of the configuration file, resolved against its directory.
    pub source_dir: Option<PathBuf>,
    /// The index of the connector's Go source, when one was asked for or found.
    pub source: Option<crate::source::SourceIndex>,
}

/// Finds the nearest `baton-lint.toml` from `start` upwards.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(CONFIG_FILE))
        .find(|p| p.is_file())
}

fn read_config(path: &Path) -> Result<FileConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        let (line, col) = e
            .span()
            .map(|s| {
                let before = &text[..s.start.min(text.len())];
                (
                    before.matches('\n').count() + 1,
                    before.rsplit('\n').next().map_or(0, str::len) + 1,
                )
            })
            .unwrap_or((1, 1));
        anyhow::anyhow!("{}:{line}:{col}: {}", path.display(), e.message())
    })
}

/// Loads built-in and user rules (no selection applied).
pub fn load_all_rules(dirs: &[PathBuf]) -> Result<Vec<Rule>> {
    let mut rules = load_builtin_for_lint()?;
    for d in dirs {
        rules.extend(load_dir(d)?);
    }
    check_unique(&rules)?;
    Ok(rules)
}

/// Resolves rule options (and the config file) into the active rule set and failure threshold.
pub fn resolve(opts: &RuleOptions, fail_on: Option<FailOn>) -> Result<Config> {
    let file = if opts.isolated {
        None
    } else if let Some(p) = &opts.config {
        Some((p.clone(), read_config(p)?))
    } else {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        match find_config(&cwd) {
            Some(p) => Some((p.clone(), read_config(&p)?)),
            None => None,
        }
    };
    let (base, fc) = match file {
        Some((p, fc)) => (p.parent().map(Path::to_path_buf).unwrap_or_default(), fc),
        None => (PathBuf::new(), FileConfig::default()),
    };
    let mut dirs: Vec<PathBuf> = fc.rules.iter().map(|d| base.join(d)).collect();
    dirs.extend(opts.rule_dirs.iter().cloned());
    let all = load_all_rules(&dirs)?;

    let pick = |cli: &[String], file: &[String]| {
        if cli.is_empty() {
            file.to_vec()
        } else {
            cli.to_vec()
        }
    };
    let mut severity = Vec::new();
    for (sel, sev) in &fc.severity {
        let s = match sev.as_str() {
            "off" => None,
            other => Some(Severity::parse(other).with_context(|| {
                format!("{CONFIG_FILE}: severity `{other}` for {sel} is not error, warning, info, hint or off")
            })?),
        };
        severity.push((sel.clone(), s));
    }
    let selection = Selection {
        select: pick(&opts.select, &fc.select),
        extend_select: [fc.extend_select.clone(), opts.extend_select.clone()].concat(),
        ignore: [fc.ignore.clone(), opts.ignore.clone()].concat(),
        severity,
        preview: opts.preview || fc.preview,
    };
    for s in selection
        .select
        .iter()
        .chain(&selection.extend_select)
        .chain(&selection.ignore)
    {
        if !selector_known(s, &all) {
            bail!(
                "unknown rule selector `{s}`: not a rule code, prefix, name or category (see `baton-lint rules`)"
            );
        }
    }
    let fail_on = match (fail_on, fc.fail_on.as_deref()) {
        (Some(FailOn::Error), _) => Severity::Error,
        (Some(FailOn::Warning), _) => Severity::Warning,
        (Some(FailOn::Info), _) => Severity::Info,
        (None, Some(s)) => Severity::parse(s).with_context(|| {
            format!("{CONFIG_FILE}: fail-on `{s}` is not error, warning or info")
        })?,
        (None, None) => Severity::Warning,
    };
    Ok(Config {
        rules: RuleSet::new(selection.apply(all)),
        fail_on,
        source_dir: fc.source.as_ref().map(|s| base.join(s)),
        source: None,
    })
}
