//! `table`: the remediation table — Severity | Rule | Symptom | Likely cause | Fix | Count |
//! Where — like the troubleshooting guide's own tables, fitted to the terminal width, then the
//! sync overview.

use std::io::{self, Write};

use comfy_table::{Cell, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::{
    RemediationRow, ReportOptions, Reporter, Summary, remediation_rows, where_short, write_stats,
};
use crate::finding::Finding;
use crate::overview::{Overview, TypeRow, progress};

/// See the module docs.
pub struct TableReporter {
    opts: ReportOptions,
}

/// Under this many columns a finding is a block of label and value rows instead of one row
/// of seven columns (which at 80 columns broke words mid-word and took 60 lines for two).
const NARROW: u16 = 100;

impl TableReporter {
    /// A reporter with these options.
    pub fn new(opts: ReportOptions) -> Self {
        TableReporter { opts }
    }

    fn width(&self) -> Option<u16> {
        self.opts.fit_width()
    }

    /// One finding per block: `Severity Rule (×count, where)` then Symptom, Likely cause and
    /// Fix rows, words wrapped to `width`.
    fn narrow(&self, rows: Vec<RemediationRow>, width: u16) -> String {
        let mut out = String::new();
        for r in rows {
            let f = &r.finding;
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(width)
                .force_no_tty();
            t.set_header(vec![
                Cell::new(f.severity.as_str()),
                Cell::new(format!(
                    "{} {} (×{}, {})",
                    f.code,
                    f.name,
                    f.count,
                    where_short(f)
                )),
            ]);
            let mut symptom = match super::also_seen_text(f) {
                Some(also) => format!("{}\n({also})", f.message),
                None => f.message.clone(),
            };
            if let Some(src) = &f.source {
                symptom.push_str(&format!("\n→ {}", src.display()));
            }
            t.add_row(vec![Cell::new("Symptom"), Cell::new(symptom)]);
            t.add_row(vec![Cell::new("Likely cause"), Cell::new(&r.cause)]);
            t.add_row(vec![Cell::new("Fix"), Cell::new(&r.fix)]);
            out.push_str(&t.to_string());
            out.push('\n');
        }
        out
    }

    fn table(&self) -> Table {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
        match self.opts.width {
            Some(w) => {
                t.set_width(w);
            }
            // On a terminal comfy-table measures its width itself.
            None if self.opts.tty => {}
            None => {
                t.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        if !self.opts.color {
            t.force_no_tty();
        }
        t
    }
}

/// A count, or `-` for none.
fn dash(n: u64) -> String {
    if n == 0 { "-".into() } else { n.to_string() }
}

/// The overview as a table (shared with `full`). The columns that are empty for every type
/// (no skipped actions, no rate-limit waits, no call stats at info level) are left out, so the
/// table fits a narrow terminal.
pub fn overview_table(o: &Overview, width: Option<u16>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).force_no_tty();
    match width {
        Some(w) => {
            t.set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(w);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    // Narrow terminals get headers broken where a reader would break them, not mid-word.
    let narrow = width.is_some_and(|w| w < NARROW);
    let rows = || o.types.values();
    // (wide header, narrow header, shown, cell)
    type Cell<'a> = Box<dyn Fn(&TypeRow) -> String + 'a>;
    let columns: Vec<(&str, &str, bool, Cell<'_>)> = vec![
        (
            "Resources",
            "Resources",
            true,
            Box::new(|r: &TypeRow| r.resources.map_or("-".into(), |n| n.to_string())),
        ),
        (
            "Entitlements",
            "Entitle-\nments",
            true,
            Box::new(|r: &TypeRow| progress(r.entitlements)),
        ),
        (
            "Grants",
            "Grants",
            true,
            Box::new(|r: &TypeRow| progress(r.grants)),
        ),
        (
            "Errors",
            "Errors",
            true,
            Box::new(|r: &TypeRow| dash(r.errors)),
        ),
        (
            "Recovered",
            "Recov-\nered",
            rows().any(|r| r.recovered > 0),
            Box::new(|r: &TypeRow| dash(r.recovered)),
        ),
        (
            "Skipped",
            "Skipped",
            rows().any(|r| r.skipped > 0),
            Box::new(|r: &TypeRow| dash(r.skipped)),
        ),
        (
            "Rate-limit waits",
            "Rate-limit\nwaits",
            rows().any(|r| r.rate_limit_waits > 0),
            Box::new(|r: &TypeRow| {
                if r.rate_limit_waits == 0 {
                    "-".to_string()
                } else {
                    format!(
                        "{} ({})",
                        r.rate_limit_waits,
                        crate::rules::template::format_duration(r.rate_limit_wait_secs.round())
                    )
                }
            }),
        ),
        (
            "Calls",
            "Calls",
            rows().any(|r| r.calls.is_some()),
            Box::new(|r: &TypeRow| r.calls.map_or("-".into(), |n| n.to_string())),
        ),
    ];
    let shown: Vec<_> = columns.iter().filter(|c| c.2).collect();
    let mut header = vec![if narrow {
        "Resource\ntype"
    } else {
        "Resource type"
    }];
    header.extend(shown.iter().map(|c| if narrow { c.1 } else { c.0 }));
    t.set_header(header);
    for (rt, r) in &o.types {
        let mut row = vec![rt.clone()];
        row.extend(shown.iter().map(|c| (c.3)(r)));
        t.add_row(row);
    }
    t
}

/// Writes the overview block for each input that held a sync.
pub fn write_overviews(out: &mut dyn Write, s: &Summary<'_>, width: Option<u16>) -> io::Result<()> {
    for (path, o) in s.overviews {
        if o.types.is_empty() {
            continue;
        }
        let state = if o.syncs_completed > 0 {
            "completed"
        } else {
            "did not complete"
        };
        writeln!(out, "Sync overview for {path}")?;
        writeln!(out, "(sync {state}; {} request lines):", o.requests)?;
        writeln!(out, "{}", overview_table(o, width))?;
    }
    Ok(())
}

impl Reporter for TableReporter {
    fn finding(&mut self, _: &mut dyn Write, _: &Finding) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary<'_>) -> io::Result<()> {
        let rows = remediation_rows(s);
        let width = self.width();
        if let (Some(w), false) = (width.filter(|w| *w < NARROW), rows.is_empty()) {
            write!(out, "{}", self.narrow(rows, w))?;
        } else if rows.is_empty() {
            writeln!(out, "{}", s.nothing_found())?;
        } else {
            let mut t = self.table();
            t.set_header(vec![
                "Severity",
                "Rule",
                "Symptom",
                "Likely cause",
                "Fix",
                "Count",
                "Where",
            ]);
            for RemediationRow {
                finding: f,
                cause,
                fix,
            } in rows
            {
                let mut symptom = match super::also_seen_text(&f) {
                    Some(also) => format!("{}\n({also})", f.message),
                    None => f.message.clone(),
                };
                if let Some(src) = &f.source {
                    symptom.push_str(&format!("\n→ {}", src.display()));
                }
                t.add_row(vec![
                    Cell::new(f.severity.as_str()),
                    Cell::new(format!("{} {}", f.code, f.name)),
                    Cell::new(symptom),
                    Cell::new(cause),
                    Cell::new(fix),
                    Cell::new(f.count),
                    Cell::new(where_short(&f)),
                ]);
            }
            writeln!(out, "{t}")?;
        }
        write_overviews(out, s, width)?;
        for n in s.notices {
            writeln!(out, "note: {n}")?;
        }
        if self.opts.show_stats {
            write_stats(out, s.stats)?;
        }
        out.flush()
    }
}
