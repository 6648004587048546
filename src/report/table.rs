//! `table`: the remediation table — Severity | Rule | Symptom | Likely cause | Fix | Count |
//! Where — like the troubleshooting guide's own tables, fitted to the terminal width, then the
//! sync overview.

use std::io::{self, Write};

use comfy_table::{Cell, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::{
    RemediationRow, ReportOptions, Reporter, Summary, remediation_rows, where_short, write_stats,
};
use crate::finding::Finding;
use crate::overview::{Overview, progress};

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
            t.add_row(vec![Cell::new("Symptom"), Cell::new(&f.message)]);
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

/// The overview as a table (shared with `full`).
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
    t.set_header(if narrow {
        vec![
            "Resource\ntype",
            "Resources",
            "Entitle-\nments",
            "Grants",
            "Errors",
            "Rate-limit\nwaits",
            "Calls",
        ]
    } else {
        vec![
            "Resource type",
            "Resources",
            "Entitlements",
            "Grants",
            "Errors",
            "Rate-limit waits",
            "Calls",
        ]
    });
    for (rt, r) in &o.types {
        let waits = if r.rate_limit_waits == 0 {
            "-".to_string()
        } else {
            format!(
                "{} ({})",
                r.rate_limit_waits,
                crate::rules::template::format_duration(r.rate_limit_wait_secs.round())
            )
        };
        t.add_row(vec![
            rt.clone(),
            r.resources.map_or("-".into(), |n| n.to_string()),
            progress(r.entitlements),
            progress(r.grants),
            if r.errors == 0 {
                "-".into()
            } else {
                r.errors.to_string()
            },
            waits,
            r.calls.map_or("-".into(), |n| n.to_string()),
        ]);
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
                t.add_row(vec![
                    Cell::new(f.severity.as_str()),
                    Cell::new(format!("{} {}", f.code, f.name)),
                    Cell::new(&f.message),
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
