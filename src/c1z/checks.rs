//! The checks on one `.c1z`, as findings with the logs' rule codes: BL601 empty sync, BL602
//! empty resource type, BL603 dangling principals / entitlements (with a hint when only the
//! letter case differs), BL604 unfinished sync, BL607 missing RawId.

use std::path::Path;

use indexmap::IndexMap;

use super::{C1zError, C1zOptions, C1zSummary, SyncFacts, SyncStats, summarize};
use crate::finding::{Evidence, Finding};
use crate::overview::{Overview, TypeRow};
use crate::rules::RuleSet;

/// Examples kept per finding.
const EXAMPLES: u32 = 5;

/// What linting one file produced.
pub struct C1zLint {
    pub summary: C1zSummary,
    pub findings: Vec<Finding>,
    pub notices: Vec<String>,
    pub overview: Overview,
}

struct Out<'a> {
    rules: &'a RuleSet,
    path: String,
    findings: Vec<Finding>,
}

impl Out<'_> {
    /// Adds a finding for rule `code` unless that rule is not selected.
    fn add(
        &mut self,
        code: &str,
        key: &str,
        message: String,
        evidence: Vec<String>,
        context: IndexMap<String, String>,
    ) {
        let Some(idx) = self.rules.rules.iter().position(|r| r.code == code) else {
            return;
        };
        let rule = &self.rules.rules[idx];
        let count = evidence.len().max(1) as u64;
        self.findings.push(Finding {
            code: rule.code.clone(),
            name: rule.name.clone(),
            severity: rule.severity,
            message,
            path: self.path.clone(),
            line: 1,
            end_line: 1,
            last_line: 1,
            count,
            first_ts: None,
            last_ts: None,
            context,
            evidence: evidence
                .into_iter()
                .map(|text| Evidence { line: 1, text })
                .collect(),
            fingerprint: crate::finding::fingerprint(code, key, &IndexMap::new()),
            recovered_at: None,
            recurrences: 0,
            also_seen: Vec::new(),
            source: None,
            vars: IndexMap::new(),
            rule: idx,
            streamed: false,
            chains: Vec::new(),
            frozen: false,
        });
    }
}

fn ctx(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The overview of a sync's counts (what `--stats` prints).
pub fn lint_stats(stats: &SyncStats) -> Overview {
    let mut o = Overview {
        syncs_completed: 1,
        ..Overview::default()
    };
    let mut types: Vec<&String> = stats.resources_by_type.keys().collect();
    for k in stats
        .entitlements_by_type
        .keys()
        .chain(stats.grants_by_type.keys())
    {
        if !types.contains(&k) {
            types.push(k);
        }
    }
    for t in types {
        let row = TypeRow {
            resources: Some(stats.resources_by_type.get(t).copied().unwrap_or(0)),
            entitlements: stats.entitlements_by_type.get(t).map(|n| (*n, None)),
            grants: stats.grants_by_type.get(t).map(|n| (*n, None)),
            ..TypeRow::default()
        };
        o.types.insert(t.clone(), row);
    }
    o
}

/// Lints `path`.
pub fn lint_file(path: &Path, rules: &RuleSet, opts: C1zOptions) -> Result<C1zLint, C1zError> {
    let (summary, store) = summarize(path, opts, None)?;
    let mut out = Out {
        rules,
        path: path.display().to_string(),
        findings: Vec::new(),
    };
    let mut notices = Vec::new();
    let Some(sync) = summary.chosen.clone() else {
        out.add(
            "BL601",
            "no-sync",
            "the file holds no sync run at all".into(),
            vec![],
            IndexMap::new(),
        );
        return Ok(C1zLint {
            summary,
            findings: out.findings,
            notices,
            overview: Overview::default(),
        });
    };
    let id = sync.sync_id.as_str();
    if sync.ended_at.is_none() {
        out.add(
            "BL604",
            id,
            format!(
                "the latest sync {id} never finished (started {}): the file holds partial data; the checks below use it anyway",
                sync.started_at.as_deref().unwrap_or("?")
            ),
            vec![],
            ctx(&[("sync_id", id)]),
        );
    }
    // A newer run that never finished: the file's latest data is the older finished sync.
    if sync.ended_at.is_some() {
        let newer = summary
            .syncs
            .iter()
            .filter(|s| s.ended_at.is_none() && s.started_at > sync.started_at)
            .max_by(|a, b| a.started_at.cmp(&b.started_at));
        if let Some(run) = newer {
            out.add(
                "BL604",
                &run.sync_id,
                format!(
                    "the latest sync {} never finished (started {}): the checks below use the older finished sync {id} (ended {})",
                    run.sync_id,
                    run.started_at.as_deref().unwrap_or("?"),
                    sync.ended_at.as_deref().unwrap_or("?")
                ),
                vec![],
                ctx(&[("sync_id", &run.sync_id)]),
            );
        }
    }
    let mut overview = summary.stats.as_ref().map(lint_stats).unwrap_or_default();
    // The overview heading says whether the sync finished: an unfinished one is not
    // "completed" (it gets BL604 above).
    overview.syncs_completed = u64::from(sync.ended_at.is_some());
    overview.syncs_started = 1;
    if let Some(st) = &summary.stats {
        if st.resources == 0 {
            out.add(
                "BL601",
                id,
                format!(
                    "sync {id} holds 0 resources ({} resource types)",
                    st.resource_types
                ),
                vec![],
                ctx(&[("sync_id", id)]),
            );
        } else if st.grants == 0 && st.entitlements > 0 && sync.sync_type != "resources_only" {
            // Not an empty sync: resources came, nobody is a member of anything. Normal for a
            // connector without memberships, a bug (Grants returning nothing) for one with.
            notices.push(format!(
                "{}: sync {id} holds {} entitlements but 0 grants: no memberships were synced — expected only if the connector has none (check its Grants methods otherwise)",
                out.path, st.entitlements
            ));
        }
        if st.resources > 0 {
            for (rt, n) in &st.resources_by_type {
                if *n == 0 {
                    out.add(
                        "BL602",
                        rt,
                        format!("resource type {rt} has 0 resources in sync {id} while other types have data"),
                        vec![],
                        ctx(&[("resource_type", rt), ("sync_id", id)]),
                    );
                }
            }
        }
    }
    for d in &summary.disagreements {
        notices.push(format!(
            "{}: {d} (the counts above are the records)",
            out.path
        ));
    }
    referential_checks(&store.facts(id, EXAMPLES)?, id, &mut out);
    Ok(C1zLint {
        summary,
        findings: out.findings,
        notices,
        overview,
    })
}

fn referential_checks(f: &SyncFacts, id: &str, out: &mut Out<'_>) {
    for d in &f.dangling_principals {
        let rt = &d.resource_type;
        let examples: Vec<String> = d.examples.iter().map(|rid| format!("{rt}:{rid}")).collect();
        let hint = match &d.case_of {
            Some(synced) => {
                format!(" — grant uses principal type `{rt}`, the synced type is `{synced}`")
            }
            None => String::new(),
        };
        out.add(
            "BL603",
            &format!("principal:{rt}"),
            format!(
                "{} grant(s) reference {} principal(s) of type {rt} with no resource row, e.g. {}{hint}",
                d.grants,
                d.principals,
                examples.join(", ")
            ),
            examples.iter().map(|e| format!("principal {e}")).collect(),
            ctx(&[("resource_type", rt), ("sync_id", id)]),
        );
    }
    for (rt, ids) in &f.case_variants {
        out.add(
            "BL609",
            &format!("case:{rt}"),
            format!(
                "resource type {rt} holds ids that differ only in letter case: {}",
                ids.join(", ")
            ),
            ids.iter().map(|i| format!("resource {rt}:{i}")).collect(),
            ctx(&[("resource_type", rt), ("sync_id", id)]),
        );
    }
    let total = f.dangling_entitlement_total;
    if total > 0 {
        let examples: Vec<String> = f
            .dangling_entitlements
            .iter()
            .map(|(e, _)| e.clone())
            .collect();
        out.add(
            "BL603",
            "entitlements",
            format!(
                "{total} grant(s) reference entitlements with no entitlement row, e.g. {}",
                examples.join(", ")
            ),
            examples
                .iter()
                .map(|e| format!("entitlement {e}"))
                .collect(),
            ctx(&[("sync_id", id)]),
        );
    }
    let n: u64 = f.missing_raw_id.values().sum();
    if n > 0 {
        let per: Vec<String> = f
            .missing_raw_id
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        out.add(
            "BL607",
            "raw-id",
            format!(
                "{n} resource(s) have no RawId annotation ({})",
                per.join(", ")
            ),
            vec![],
            ctx(&[("sync_id", id)]),
        );
    }
}
