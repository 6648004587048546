//! The sync overview: one row per resource type — resources synced, entitlement and grant
//! progress, errors, rate-limit waits, connector calls — so "which resource type fails?" is
//! answered at a glance. Built from the SDK's progress lines as they stream by.

use indexmap::IndexMap;
use serde::Serialize;

use crate::context;
use crate::event::{Event, Value};
use crate::finding::Finding;

/// Progress of one resource type.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TypeRow {
    /// Resources synced (the last cumulative `Synced resources` count).
    pub resources: Option<u64>,
    /// Resources whose entitlements were listed, and the total to list.
    pub entitlements: Option<(u64, Option<u64>)>,
    /// Resources whose grants were listed, and the total to list.
    pub grants: Option<(u64, Option<u64>)>,
    /// Failures (error and warning findings) attributed to this type: one per failure, however
    /// many copies of it the parent, the child and the retries logged.
    pub errors: u64,
    /// Actions the syncer skipped with a warning (`skipping sync action`: a 404 for a resource
    /// deleted mid-sync).
    pub skipped: u64,
    /// Failures that a success followed (retries that worked).
    pub recovered: u64,
    /// Rate-limited retries and the seconds waited for them.
    pub rate_limit_waits: u64,
    pub rate_limit_wait_secs: f64,
    /// Connector calls for this type (pebble `connector_call_stats_by_resource_type`).
    pub calls: Option<u64>,
}

/// Most resource types an overview has a row of their own for.
pub const MAX_TYPES: usize = 256;
/// The row that takes every type past [`MAX_TYPES`].
pub const OTHER_TYPES: &str = "(other types)";

/// The overview of one input.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Overview {
    pub types: IndexMap<String, TypeRow>,
    /// `Sync complete.` lines seen.
    pub syncs_completed: u64,
    /// Sync starts seen (`Syncing resource types...`).
    pub syncs_started: u64,
    /// HTTP request lines seen (debug level).
    pub requests: u64,
    /// Events at level debug: none means the log was written at info level or above.
    #[serde(skip)]
    pub debug_events: u64,
    /// Task manager lines (`c1_api_task_manager…`): the connector runs as a daemon.
    #[serde(skip)]
    pub daemon_lines: u64,
    /// Tasks the daemon began (`… processing task`).
    #[serde(skip)]
    pub tasks_processed: u64,
}

fn num(ev: &Event<'_>, name: &str) -> Option<u64> {
    ev.get(name)
        .and_then(|v| v.as_f64())
        .filter(|n| *n >= 0.0)
        .map(|n| n as u64)
}

impl Overview {
    /// True when the log held a sync.
    pub fn has_sync(&self) -> bool {
        self.syncs_started > 0 || self.syncs_completed > 0 || !self.types.is_empty()
    }

    /// The row of `rt`. Past [`MAX_TYPES`] rows, new types share one `(other types)` row, so
    /// a stream of any shape keeps the overview bounded (a crafted stream of 10 million type
    /// names held 2.4 GB).
    fn row(&mut self, rt: &str) -> &mut TypeRow {
        let rt = if self.types.len() >= MAX_TYPES && !self.types.contains_key(rt) {
            OTHER_TYPES
        } else {
            rt
        };
        // Looked up by `&str` first: most progress lines name a type that has its row.
        let i = match self.types.get_index_of(rt) {
            Some(i) => i,
            None => self.types.insert_full(rt.to_string(), TypeRow::default()).0,
        };
        &mut self.types[i]
    }

    /// Reads one event (cheap for events that are not progress lines).
    pub fn observe(&mut self, ev: &Event<'_>) {
        if ev.level == Some(crate::event::Level::Debug) {
            self.debug_events += 1;
        }
        let m = ev.msg.as_ref();
        if m.starts_with("c1_api_task_manager") {
            self.daemon_lines += 1;
            if m.ends_with("processing task") {
                self.tasks_processed += 1;
            }
        }
        match m {
            "Syncing resource types..." => self.syncs_started += 1,
            "Sync complete." => {
                self.syncs_completed += 1;
                self.read_call_stats(ev);
            }
            "HTTP request complete"
            | "HTTP request client error"
            | "HTTP request server error"
            | "Request complete" => self.requests += 1,
            "Synced resources" => {
                if let (Some(rt), Some(n)) = (rt_of(ev), num(ev, "count")) {
                    self.row(&rt).resources = Some(n);
                }
            }
            "Syncing entitlements" | "Synced entitlements" | "Syncing grants" | "Synced grants" => {
                let Some(rt) = rt_of(ev) else { return };
                let done = num(ev, "synced").or_else(|| num(ev, "count"));
                let total = num(ev, "total");
                if let Some(done) = done {
                    let row = self.row(&rt);
                    let slot = if m.ends_with("entitlements") {
                        &mut row.entitlements
                    } else {
                        &mut row.grants
                    };
                    *slot = Some((done, total));
                }
            }
            "skipping sync action"
            | "skipping sync entitlement action"
            | "skipping sync grant action" => {
                let rt = context::derived(ev, "resource_type").unwrap_or("?");
                self.row(rt).skipped += 1;
            }
            "ratelimit overlimit - waiting" => {
                let rt = context::derived(ev, "resource_type").unwrap_or("?");
                let wait = ev
                    .get("wait_period")
                    .and_then(|v| crate::event::parse_number_or_duration(&v.as_text()))
                    .unwrap_or(0.0);
                let row = self.row(rt);
                row.rate_limit_waits += 1;
                row.rate_limit_wait_secs += wait;
            }
            "retrying operation" => {
                let err = ev.error.as_deref().unwrap_or("");
                if err.contains("429") || err.contains("Too Many Requests") {
                    let rt = context::derived(ev, "resource_type").unwrap_or("?");
                    let wait = ev.get("wait").and_then(|v| v.as_f64()).unwrap_or(0.0);
                    let row = self.row(rt);
                    row.rate_limit_waits += 1;
                    row.rate_limit_wait_secs += wait;
                }
            }
            _ => {}
        }
    }

    fn read_call_stats(&mut self, ev: &Event<'_>) {
        let Some(Value::Json(j)) = ev.field("connector_call_stats_by_resource_type") else {
            return;
        };
        let Ok(map) = serde_json::from_str::<IndexMap<String, serde_json::Value>>(j) else {
            return;
        };
        for (k, v) in map {
            let Some((_, rt)) = k.split_once(':') else {
                continue;
            };
            let count = v.get("count").and_then(|c| c.as_u64()).unwrap_or(0);
            let row = self.row(rt);
            row.calls = Some(row.calls.unwrap_or(0) + count);
        }
    }

    /// Attributes findings to their resource types: each failure once (a finding already
    /// merges the copies of one failure), recovered ones apart.
    pub fn count_findings(&mut self, findings: &[Finding]) {
        for f in findings {
            let Some(row) = f
                .context
                .get("resource_type")
                .and_then(|rt| self.types.get_mut(rt))
            else {
                continue;
            };
            if f.recovered_at.is_some() {
                row.recovered += 1;
            } else if f.severity >= crate::rules::Severity::Warning {
                row.errors += 1;
            }
        }
    }
}

fn rt_of<'e>(ev: &'e Event<'_>) -> Option<std::borrow::Cow<'e, str>> {
    ev.field("resource_type_id")
        .map(|v| v.as_text())
        .filter(|s| !s.is_empty())
}

/// `12/57` or `12`.
pub fn progress(p: Option<(u64, Option<u64>)>) -> String {
    match p {
        None => "-".into(),
        Some((d, Some(t))) => format!("{d}/{t}"),
        Some((d, None)) => d.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_capped_however_many_types_a_log_names() {
        let mut o = Overview::default();
        for i in 0..5000 {
            o.row(&format!("rt{i}")).resources = Some(1);
        }
        assert_eq!(o.types.len(), MAX_TYPES + 1);
        assert!(o.types.contains_key(OTHER_TYPES));
    }
}
