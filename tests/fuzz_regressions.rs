//! Replays the fuzz regression corpus (`tests/fuzz-regressions/<target>/*`): every input that
//! once crashed or hung a fuzz target, plus seeds of the shapes that matter, through the same
//! entry points the fuzz targets use (`baton_lint::fuzzing`).

use std::path::Path;

/// A fuzz target's entry point.
type Target = fn(&[u8]);

#[test]
fn replay_fuzz_regressions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let targets: [(&str, Target); 7] = [
        ("parse_lines", baton_lint::fuzzing::parse_and_lint),
        ("multiline", baton_lint::fuzzing::multiline),
        ("rule_loader", baton_lint::fuzzing::rule_loader),
        ("template", baton_lint::fuzzing::template),
        ("redact", baton_lint::fuzzing::redact),
        ("secret", baton_lint::fuzzing::secret_never_leaves),
        ("zap_scan", baton_lint::fuzzing::zap_scan),
    ];
    let mut n = 0;
    for (name, f) in targets {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        assert!(
            !files.is_empty(),
            "{} holds at least one input",
            dir.display()
        );
        for file in files {
            f(&std::fs::read(&file).unwrap());
            n += 1;
        }
    }
    assert!(n >= 5);
}
