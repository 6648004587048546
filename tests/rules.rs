//! Rule corpus: each `corpus/BLnnn-name.log` is linted with only rule BLnnn and its findings are
//! pinned by a snapshot (firing lines and near-misses together). And no rule may warn on the
//! healthy runs in `corpus/clean/`.

mod common;

use baton_lint::rules::load_builtin;
use baton_lint::{RuleSet, Severity, lint_text};

#[test]
fn rule_corpus() {
    let all = load_builtin().unwrap();
    insta::glob!("../corpus", "BL*.log", |path| {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let code = &file[..5];
        let rule = all
            .iter()
            .find(|r| r.code == code)
            .unwrap_or_else(|| panic!("{file}: no rule {code}"));
        let set = RuleSet::new(vec![rule.clone()]);
        let text = std::fs::read_to_string(path).unwrap();
        let res = lint_text(&set, &text, &file);
        assert!(
            !res.findings.is_empty(),
            "{file}: the corpus must fire {code}"
        );
        insta::assert_snapshot!(common::describe(&res.findings));
    });
}

#[test]
fn clean_runs_raise_no_warning_or_error() {
    let set = RuleSet::new(load_builtin().unwrap());
    insta::glob!("../corpus", "clean/*.log", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let res = lint_text(&set, &text, &path.display().to_string());
        let loud: Vec<_> = res
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .collect();
        assert!(
            loud.is_empty(),
            "{}:\n{}",
            path.display(),
            common::describe(&res.findings)
        );
        assert!(res.baton_seen, "{} reads as a baton log", path.display());
    });
}
