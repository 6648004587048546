//! Reporters: one fixed set of findings rendered in every format (snapshots), SARIF against the
//! official schema, GitHub escaping, the shipped VS Code problem matcher read against `concise`,
//! and no secret from the input in any format.

mod common;

use baton_lint::overview::Overview;
use baton_lint::report::{self, Format, ReportOptions, Summary};
use baton_lint::rules::load_builtin;
use baton_lint::{Finding, RuleSet, lint_text};

const ALL: [Format; 10] = [
    Format::Full,
    Format::Table,
    Format::Concise,
    Format::Json,
    Format::Jsonl,
    Format::Sarif,
    Format::Github,
    Format::Junit,
    Format::Gitlab,
    Format::Rdjsonl,
];

struct Run {
    findings: Vec<Finding>,
    stats: baton_lint::stats::Stats,
    notices: Vec<String>,
    overviews: Vec<(String, Overview)>,
}

impl Run {
    /// What a reporter gets at the end of this run.
    fn summary<'a>(&'a self, rules: &'a RuleSet) -> Summary<'a> {
        Summary {
            findings: &self.findings,
            stats: &self.stats,
            rules,
            notices: &self.notices,
            overviews: &self.overviews,
            failed_inputs: 0,
        }
    }
}

fn corpus(name: &str) -> String {
    std::fs::read_to_string(format!("{}/corpus/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The fixed set: the demo log (a storm, a repeated page token, an overview) and the secrets
/// corpus read from stdin.
fn fixed_run(set: &RuleSet) -> Run {
    let mut run = Run {
        findings: Vec::new(),
        stats: Default::default(),
        notices: Vec::new(),
        overviews: Vec::new(),
    };
    for (text, path) in [
        (
            corpus("demo/failing-sync.log"),
            "corpus/demo/failing-sync.log",
        ),
        (corpus("BL904-credentials-in-log.log"), "-"),
    ] {
        let r = lint_text(set, &text, path);
        run.findings.extend(r.findings);
        run.stats.merge(&r.stats);
        if r.overview.has_sync() {
            run.overviews.push((path.to_string(), r.overview));
        }
    }
    run.notices
        .push("-: 1 line(s) were not valid UTF-8 and were decoded lossily".into());
    run
}

fn render(format: Format, run: &Run, set: &RuleSet) -> String {
    let summary = run.summary(set);
    let opts = ReportOptions {
        color: false,
        show_stats: true,
        width: Some(160),
        tty: false,
        live: false,
    };
    let mut rep = report::reporter(format, opts);
    let mut out: Vec<u8> = Vec::new();
    for f in &run.findings {
        rep.finding(&mut out, f).unwrap();
    }
    rep.finish(&mut out, &summary).unwrap();
    String::from_utf8(out)
        .unwrap()
        .replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
}

#[test]
fn every_format_snapshot() {
    let set = RuleSet::new(load_builtin().unwrap());
    let run = fixed_run(&set);
    assert!(
        run.findings.len() >= 4,
        "{}",
        common::describe(&run.findings)
    );
    for format in ALL {
        let name = format!("{format:?}").to_lowercase();
        // %SRCROOT% is the working directory: where the clone is, not part of the format.
        insta::with_settings!({ filters => vec![(r#""uri": "file://[^"]*/""#, r#""uri": "file://[CWD]/""#)] }, {
            insta::assert_snapshot!(name, render(format, &run, &set));
        });
    }
    let summary = run.summary(&set);
    insta::assert_snapshot!("markdown-summary", report::markdown_summary(&summary));
}

#[test]
fn no_secret_of_the_input_in_any_format() {
    let set = RuleSet::new(load_builtin().unwrap());
    let run = fixed_run(&set);
    let secrets = [
        "s3cr3t-value-x9Y",                                 // client_secret field
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0", // JWT (bearer)
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",      // JWT signature
        "ghp_1234567890abcdefghijABCDEFGHIJ123456",         // GitHub token
    ];
    let input = corpus("BL904-credentials-in-log.log");
    for s in secrets {
        assert!(input.contains(s), "the corpus holds {s}");
    }
    for format in ALL {
        let out = render(format, &run, &set);
        for s in secrets {
            assert!(!out.contains(s), "{format:?} printed a secret: {s}");
        }
    }
}

/// An 80-column terminal: one block per finding, words wrapped whole, the overview fitted.
#[test]
fn table_at_80_columns() {
    let set = RuleSet::new(load_builtin().unwrap());
    let run = fixed_run(&set);
    let summary = run.summary(&set);
    let opts = ReportOptions {
        width: Some(80),
        ..ReportOptions::default()
    };
    let mut out: Vec<u8> = Vec::new();
    report::reporter(Format::Table, opts)
        .finish(&mut out, &summary)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    for l in text.lines() {
        assert!(
            l.chars().count() <= 80,
            "{} columns: {l}",
            l.chars().count()
        );
    }
    assert!(
        !text.contains("Check by hand"),
        "the Fix column shows the fix"
    );
    insta::assert_snapshot!("table_80", text);
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let schema_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/schemas/sarif-schema-2.1.0.json"
    );
    // The schema is public sample data in ../shared (beside the clone in CI), not part of the
    // project: without it this check is skipped, and says so.
    let Ok(schema_text) = std::fs::read_to_string(schema_path) else {
        eprintln!(
            "SKIPPED sarif_validates_against_the_official_schema: {schema_path} is absent (../shared is not beside this clone; CI has it)"
        );
        return;
    };
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let set = RuleSet::new(load_builtin().unwrap());
    let run = fixed_run(&set);
    let doc: serde_json::Value = serde_json::from_str(&render(Format::Sarif, &run, &set)).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
    // And a clean run (no results) validates too.
    let empty = Run {
        findings: vec![],
        stats: Default::default(),
        notices: vec![],
        overviews: vec![],
    };
    let doc: serde_json::Value =
        serde_json::from_str(&render(Format::Sarif, &empty, &set)).unwrap();
    assert!(validator.is_valid(&doc));
}

#[test]
fn github_escapes_messages_and_properties() {
    let set = RuleSet::new(load_builtin().unwrap());
    let mut run = fixed_run(&set);
    let mut f = run.findings[0].clone();
    f.path = "logs/a:b,c%d.log".into();
    f.message = "50% of calls: failed,\nagain\r\x1b[2J".into();
    run.findings = vec![f];
    let out = render(Format::Github, &run, &set);
    let first = out.lines().next().unwrap();
    assert!(first.contains("file=logs/a%3Ab%2Cc%25d.log,"), "{first}");
    // Newlines are the workflow command's %0A; a CR or an escape from the input is made visible
    // before any format sees it (no terminal control from a log line).
    assert!(
        first.contains("::50%25 of calls: failed,%0Aagain\\u{d}\\u{1b}[2J (×7"),
        "{first}"
    );
}

#[test]
fn github_caps_annotations_and_says_how_many_more() {
    let set = RuleSet::new(load_builtin().unwrap());
    let mut run = fixed_run(&set);
    let base = run
        .findings
        .iter()
        .find(|f| f.severity == baton_lint::Severity::Error)
        .unwrap()
        .clone();
    run.findings = (0..25)
        .map(|i| Finding {
            line: i + 1,
            ..base.clone()
        })
        .collect();
    let out = render(Format::Github, &run, &set);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("::error ")).count(),
        report::MAX_ANNOTATIONS_PER_LEVEL
    );
    assert!(
        out.contains("::notice title=baton-lint::15 more finding(s) not shown"),
        "{out}"
    );
}

#[test]
fn vscode_problem_matcher_reads_concise_output() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/editors/vscode/problem-matcher.json"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let set = RuleSet::new(load_builtin().unwrap());
    let run = fixed_run(&set);
    let out = render(Format::Concise, &run, &set);
    for m in v["problemMatcher"].as_array().unwrap() {
        let p = &m["pattern"];
        let re = regex::Regex::new(p["regexp"].as_str().unwrap()).unwrap();
        let idx = |k: &str| p[k].as_u64().unwrap() as usize;
        let lines: Vec<&str> = out.lines().filter(|l| !l.starts_with("note: ")).collect();
        assert_eq!(lines.len(), run.findings.len());
        for (line, f) in lines.iter().zip(&run.findings) {
            let c = re
                .captures(line)
                .unwrap_or_else(|| panic!("no match: {line}"));
            assert_eq!(&c[idx("file")], f.path);
            assert_eq!(c[idx("line")].parse::<u64>().unwrap(), f.line);
            assert_eq!(&c[idx("severity")], f.severity.as_str());
            assert_eq!(&c[idx("code")], f.code);
            assert!(!c[idx("message")].is_empty());
        }
    }
}
