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

impl TableReporter {
    /// A reporter with these options.
    pub fn new(opts: ReportOptions) -> Self {
        TableReporter { opts }
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
    t.set_header(vec![
        "Resource type",
        "Resources",
        "Entitlements",
        "Grants",
        "Errors",
        "Rate-limit waits",
        "Calls",
    ]);
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
        writeln!(
            out,
            "Sync overview for {path} (sync {state}; {} request lines):",
            o.requests
        )?;
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
        if rows.is_empty() {
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
        write_overviews(out, s, self.opts.width)?;
        for n in s.notices {
            writeln!(out, "note: {n}")?;
        }
        if self.opts.show_stats {
            write_stats(out, s.stats)?;
        }
        out.flush()
    }
}
