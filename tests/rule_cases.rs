//! Every embedded case of every built-in rule: `invalid` cases fire, `valid` cases stay quiet
//! (the same check as `baton-lint test`).

use baton_lint::rules::{Scope, load_builtin};
use baton_lint::ruletest;

#[test]
fn every_embedded_case_holds() {
    let rules = load_builtin().expect("built-in rules load");
    let outcome = ruletest::run(&rules);
    let report: Vec<String> = outcome.failures.iter().map(|f| f.to_string()).collect();
    assert!(report.is_empty(), "failing cases:\n{}", report.join("\n"));
    let log_rules = rules.iter().filter(|r| r.scope == Scope::Log).count();
    assert!(
        outcome.passed >= 4 * log_rules,
        "each log rule has at least 2 firing and 2 quiet cases"
    );
}

#[test]
fn every_rule_has_two_cases_of_each_kind_and_a_matching_file_name() {
    for r in load_builtin().unwrap() {
        assert_eq!(
            r.origin,
            format!("rules/{}-{}.toml", r.code, r.name),
            "file name = CODE-name.toml"
        );
        // User rules may leave them out; every built-in rule explains itself.
        assert!(
            !r.cause.is_empty() && !r.fix.is_empty() && !r.docs.why.is_empty(),
            "{}: built-in rules carry cause, fix and docs",
            r.code
        );
        assert_ne!(
            r.category, "custom",
            "{}: built-in rules name a category",
            r.code
        );
        if r.scope == Scope::C1z {
            // Found by the .c1z checks, not by matching log lines: tested in tests/c1z.rs.
            continue;
        }
        assert!(
            r.invalid.len() >= 2,
            "{}: needs at least 2 invalid (firing) cases",
            r.code
        );
        assert!(
            r.valid.len() >= 2,
            "{}: needs at least 2 valid (quiet) cases",
            r.code
        );
        let corpus = format!(
            "{}/corpus/{}-{}.log",
            env!("CARGO_MANIFEST_DIR"),
            r.code,
            r.name
        );
        assert!(
            std::path::Path::new(&corpus).is_file(),
            "{}: missing {corpus}",
            r.code
        );
    }
}
