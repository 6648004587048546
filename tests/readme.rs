//! The README's rule table is generated from the rule files: this test fails when they drift
//! (set UPDATE_README=1 to rewrite it).

use baton_lint::cmd::rules::markdown_table;
use baton_lint::rules::load_builtin;

#[test]
fn readme_rule_table_is_generated() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let (start, end) = ("<!-- rules:start -->\n", "<!-- rules:end -->");
    let a = readme.find(start).expect("start marker") + start.len();
    let b = readme.find(end).expect("end marker");
    let mut rules = load_builtin().unwrap();
    rules.sort_by(|x, y| x.code.cmp(&y.code));
    let table = markdown_table(&rules);
    if std::env::var_os("UPDATE_README").is_some() {
        let new = format!("{}{}{}", &readme[..a], table, &readme[b..]);
        std::fs::write(path, new).unwrap();
        return;
    }
    assert_eq!(
        &readme[a..b],
        table,
        "README rule table is stale: run UPDATE_README=1 cargo test --test readme"
    );
}
