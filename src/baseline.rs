//! Baselines: the findings a project has accepted for now, by rule code and fingerprint
//! (stable across runs, inserted lines and renamed files). `--write-baseline FILE` records
//! every finding of a run; `--baseline FILE` hides those on later runs, so CI fails only on
//! what is new — as ruff's and semgrep's baselines do.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Finding;

/// The file's format version.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

/// One accepted finding. `message` is for the reader of the file; matching ignores it.
#[derive(Serialize, Deserialize)]
struct Entry {
    code: String,
    fingerprint: String,
    #[serde(default)]
    message: String,
}

/// A loaded baseline.
#[derive(Debug, Default)]
pub struct Baseline {
    known: HashSet<(String, String)>,
}

impl Baseline {
    /// Reads a baseline written by [`write`].
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let f: File = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a baton-lint baseline: {e}", path.display()))?;
        if f.version != VERSION {
            return Err(format!(
                "{}: baseline version {} (this baton-lint reads version {VERSION})",
                path.display(),
                f.version
            ));
        }
        Ok(Baseline {
            known: f
                .findings
                .into_iter()
                .map(|e| (e.code, e.fingerprint))
                .collect(),
        })
    }

    /// True when `f` is in the baseline.
    pub fn contains(&self, f: &Finding) -> bool {
        self.known
            .contains(&(f.code.clone(), f.fingerprint.clone()))
    }
}

/// Writes every finding of `findings` as a baseline (sorted, one entry per fingerprint).
pub fn write(path: &Path, findings: &[Finding]) -> std::io::Result<()> {
    let mut entries: Vec<Entry> = findings
        .iter()
        .map(|f| Entry {
            code: f.code.clone(),
            fingerprint: f.fingerprint.clone(),
            message: crate::report::redacted(f).message,
        })
        .collect();
    entries.sort_by(|a, b| (&a.code, &a.fingerprint).cmp(&(&b.code, &b.fingerprint)));
    entries.dedup_by(|a, b| a.code == b.code && a.fingerprint == b.fingerprint);
    let doc = File {
        version: VERSION,
        findings: entries,
    };
    let text = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?;
    std::fs::write(path, text + "\n")
}
