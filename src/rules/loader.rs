//! Loading rule files: TOML → [`RuleSpec`] → validated, compiled [`Rule`]. Every error names the
//! file, the line and column, and the rule code when it is known.

use std::fmt;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::condition::{CmpOp, Cond, LazyRegex, LitMatch, Needles, Pred};
use super::spec::{CondSpec, RuleSpec, WindowSpec};
use super::template::Template;
use super::{Docs, Rule, Severity, Window, WindowKind};
use crate::event::{EventKind, Level};

/// Built-in rule files: (path relative to the repo, contents), embedded by `build.rs`.
mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// Most bytes one pattern (a regex, or a field test's `contains` strings) may have.
pub const MAX_PATTERN_BYTES: usize = 64 << 10;

/// A bad rule file: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    /// The rule's code, or `?` when the file did not get that far.
    pub rule: String,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: rule {}: {}",
            self.file, self.line, self.col, self.rule, self.message
        )
    }
}

impl std::error::Error for RuleError {}

struct Ctx<'a> {
    file: &'a str,
    src: &'a str,
    rule: String,
    /// Compile regexes now (user files) rather than on first use (the built-in rules).
    eager: bool,
}

impl Ctx<'_> {
    fn err(&self, span: Option<Range<usize>>, message: impl Into<String>) -> RuleError {
        let (line, col) = span.map_or((1, 1), |s| line_col(self.src, s.start));
        RuleError {
            file: self.file.to_string(),
            line,
            col,
            rule: self.rule.clone(),
            message: message.into(),
        }
    }
}

fn line_col(src: &str, at: usize) -> (usize, usize) {
    let at = at.min(src.len());
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Finds `code = "…"` textually, so that even a file that fails to parse names its rule.
fn sniff_code(src: &str) -> String {
    src.lines()
        .find_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("code")?.trim_start().strip_prefix('=')?;
            Some(
                rest.trim()
                    .trim_matches(|c| c == '"' || c == '\'')
                    .to_string(),
            )
        })
        .unwrap_or_else(|| "?".to_string())
}

/// Parses and compiles one rule file's text.
pub fn load_str(file: &str, src: &str) -> Result<Rule, RuleError> {
    load_with(file, src, true)
}

fn load_with(file: &str, src: &str, eager: bool) -> Result<Rule, RuleError> {
    let mut cx = Ctx {
        file,
        src,
        rule: sniff_code(src),
        eager,
    };
    let spec: RuleSpec = toml::from_str(src).map_err(|e| {
        let msg = e.message().to_string();
        cx.err(e.span(), msg)
    })?;
    cx.rule = spec.code.get_ref().clone();
    compile(&cx, spec)
}

/// Loads the rules built into the binary.
pub fn load_builtin() -> Result<Vec<Rule>, RuleError> {
    builtin::BUILTIN
        .iter()
        .map(|(path, src)| load_with(path, src, false))
        .collect()
}

/// Loads the built-in rules without their embedded test cases: what linting needs. The cases
/// are half of the rule files' bytes, and parsing them was a sixth of a short run's start-up;
/// `baton-lint test` loads them with [`load_builtin`].
/// The two halves of the files are parsed on two threads (start-up time).
pub fn load_builtin_for_lint() -> Result<Vec<Rule>, RuleError> {
    let load = |files: &[(&str, &str)]| -> Result<Vec<Rule>, RuleError> {
        files
            .iter()
            .map(|(path, src)| load_with(path, without_tests(src), false))
            .collect()
    };
    let (first, second) = builtin::BUILTIN.split_at(builtin::BUILTIN.len() / 2);
    let (first, second) = crate::par::join(|| load(first), || load(second));
    let mut rules = first?;
    rules.extend(second?);
    Ok(rules)
}

/// A rule file's text up to its first `[[tests.…]]` table (the cases close every file).
fn without_tests(src: &str) -> &str {
    match src.find("\n[[tests.") {
        Some(i) => &src[..i + 1],
        None => src,
    }
}

/// Loads every `*.toml` file in `dir` (sorted by name). An error names the file it is about;
/// a `*.toml` that is not a regular file (a FIFO, a device) is refused, never waited on.
pub fn load_dir(dir: &Path) -> Result<Vec<Rule>, RuleError> {
    let io_err = |path: &Path, e: std::io::Error| RuleError {
        file: path.display().to_string(),
        line: 0,
        col: 0,
        rule: "?".into(),
        message: e.to_string(),
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "toml") {
            paths.push(p);
        }
    }
    paths.sort();
    paths
        .iter()
        .map(|p| {
            // metadata follows a symlink: what counts is what would be read.
            let meta = std::fs::metadata(p).map_err(|e| io_err(p, e))?;
            if !meta.is_file() {
                return Err(io_err(
                    p,
                    std::io::Error::other("not a regular file; rule files must be plain files"),
                ));
            }
            let src = std::fs::read_to_string(p).map_err(|e| io_err(p, e))?;
            load_str(&p.display().to_string(), &src)
        })
        .collect()
}

/// Checks that no two rules share a code or a name.
pub fn check_unique(rules: &[Rule]) -> Result<(), RuleError> {
    let mut seen: std::collections::HashMap<&str, &Rule> = Default::default();
    for r in rules {
        for key in [r.code.as_str(), r.name.as_str()] {
            if let Some(prev) = seen.insert(key, r) {
                return Err(RuleError {
                    file: r.origin.clone(),
                    line: 1,
                    col: 1,
                    rule: r.code.clone(),
                    message: format!("duplicate rule `{key}` (also defined in {})", prev.origin),
                });
            }
        }
    }
    Ok(())
}

fn compile(cx: &Ctx<'_>, s: RuleSpec) -> Result<Rule, RuleError> {
    let code = s.code.get_ref();
    let code_ok = code.len() >= 4
        && code.chars().take_while(|c| c.is_ascii_uppercase()).count() >= 1
        && code
            .trim_start_matches(|c: char| c.is_ascii_uppercase())
            .chars()
            .all(|c| c.is_ascii_digit())
        && code.chars().last().is_some_and(|c| c.is_ascii_digit());
    if !code_ok {
        return Err(cx.err(
            Some(s.code.span()),
            format!("code `{code}` must look like `BL123`"),
        ));
    }
    let name = s.name.get_ref();
    let kebab = !name.is_empty()
        && name.split('-').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !kebab {
        return Err(cx.err(
            Some(s.name.span()),
            format!("name `{name}` must be kebab-case"),
        ));
    }
    let severity = Severity::parse(s.severity.get_ref()).ok_or_else(|| {
        cx.err(
            Some(s.severity.span()),
            "severity must be one of error, warning, info, hint",
        )
    })?;
    let preview = match &s.status {
        None => false,
        Some(st) => match st.get_ref().as_str() {
            "stable" => false,
            "preview" => true,
            _ => return Err(cx.err(Some(st.span()), "status must be `stable` or `preview`")),
        },
    };
    let scope = match &s.scope {
        None => super::Scope::Log,
        Some(sc) => match sc.get_ref().as_str() {
            "log" => super::Scope::Log,
            "c1z" => super::Scope::C1z,
            _ => return Err(cx.err(Some(sc.span()), "scope must be `log` or `c1z`")),
        },
    };
    let message = template(cx, &s.message)?;
    let group = s.group.as_ref().map(|g| template(cx, g)).transpose()?;
    let matcher = match (&s.matcher, scope) {
        (Some(m), _) => cond(cx, m)?,
        (None, super::Scope::C1z) => Cond::Any(Vec::new()),
        (None, super::Scope::Log) => return Err(cx.err(None, "a log rule needs a `[match]` table")),
    };
    let window = s.window.as_ref().map(|w| window(cx, w)).transpose()?;
    if let Some(w) = &window {
        if w.kind == WindowKind::Absence && w.expect.is_none() {
            return Err(cx.err(None, "an absence window needs `expect`"));
        }
        if w.kind != WindowKind::Absence && w.expect_before {
            return Err(cx.err(None, "`expect_before` is for absence windows only"));
        }
        if w.kind == WindowKind::Ratio
            && (w.per.is_none() || w.per_value.is_none() || w.until.is_none() || w.ratio <= 0.0)
        {
            return Err(cx.err(
                None,
                "a ratio window needs `per`, `per_value`, `ratio` and `until`",
            ));
        }
    }
    let outcome = s
        .outcome
        .as_ref()
        .map(|o| {
            Ok::<_, RuleError>(super::Outcome {
                resolved_by: cond(cx, &o.resolved_by)?,
                failed_by: o.failed_by.as_ref().map(|c| cond(cx, c)).transpose()?,
                key: o.key.as_ref().map(|k| template(cx, k)).transpose()?,
                confirm_after_secs: positive(cx, &o.confirm_after_secs, "confirm_after_secs")?,
                message: o.message.as_ref().map(|m| template(cx, m)).transpose()?,
            })
        })
        .transpose()?;
    let message_src = s.message.into_inner();
    Ok(Rule {
        code: code.clone(),
        name: name.clone(),
        category: s.category,
        severity,
        preview,
        scope,
        message,
        message_src: message_src.clone(),
        cause: s.cause,
        fix: s.fix,
        group,
        fallback: s.fallback,
        suppressed_by: s.suppressed_by,
        absorbed_by: s.absorbed_by,
        outcome,
        docs: Docs {
            // A quick local rule without docs still says what it finds (SARIF, `rule CODE`).
            what: if s.docs.what.is_empty() {
                message_src.clone()
            } else {
                s.docs.what
            },
            why: s.docs.why,
            example: s.docs.example,
        },
        matcher,
        window,
        invalid: s.tests.invalid,
        valid: s.tests.valid,
        origin: cx.file.to_string(),
    })
}

fn template(cx: &Ctx<'_>, t: &Spanned<String>) -> Result<Template, RuleError> {
    Template::parse(t.get_ref()).map_err(|e| {
        // Point inside the string: the span starts at the opening quote.
        let start = t.span().start + 1 + e.offset;
        cx.err(Some(start..start), format!("template: {}", e.message))
    })
}

fn positive(cx: &Ctx<'_>, v: &Option<Spanned<f64>>, what: &str) -> Result<Option<f64>, RuleError> {
    match v {
        None => Ok(None),
        Some(x) if *x.get_ref() > 0.0 && x.get_ref().is_finite() => Ok(Some(*x.get_ref())),
        Some(x) => Err(cx.err(
            Some(x.span()),
            format!("`{what}` must be a positive number"),
        )),
    }
}

fn window(cx: &Ctx<'_>, w: &WindowSpec) -> Result<Window, RuleError> {
    let kind = match w.kind.get_ref().as_str() {
        "count" => WindowKind::Count,
        "burst" => WindowKind::Burst,
        "repeat" => WindowKind::Repeat,
        "absence" => WindowKind::Absence,
        "ratio" => WindowKind::Ratio,
        other => {
            return Err(cx.err(
                Some(w.kind.span()),
                format!("window kind `{other}` is not one of count, burst, repeat, absence, ratio"),
            ));
        }
    };
    let threshold = match &w.threshold {
        Some(t) if *t.get_ref() >= 1 && *t.get_ref() <= 1_000_000 => *t.get_ref() as usize,
        Some(t) => return Err(cx.err(Some(t.span()), "`threshold` must be between 1 and 1000000")),
        None if matches!(kind, WindowKind::Count | WindowKind::Burst) => {
            return Err(cx.err(
                Some(w.kind.span()),
                "a count or burst window needs `threshold`",
            ));
        }
        None => 1,
    };
    let window_secs = positive(cx, &w.window_secs, "window_secs")?;
    if matches!(kind, WindowKind::Count | WindowKind::Burst) && window_secs.is_none() {
        return Err(cx.err(
            Some(w.kind.span()),
            "a count or burst window needs `window_secs`",
        ));
    }
    let max_keys = match &w.max_keys {
        Some(m) if *m.get_ref() >= 1 && *m.get_ref() <= 1 << 20 => *m.get_ref() as usize,
        Some(m) => return Err(cx.err(Some(m.span()), "`max_keys` must be between 1 and 1048576")),
        None => super::window::DEFAULT_MAX_KEYS,
    };
    let opt_cond = |c: &Option<Spanned<CondSpec>>| c.as_ref().map(|c| cond(cx, c)).transpose();
    let key = w.key.as_ref().map(|k| template(cx, k)).transpose()?;
    if kind == WindowKind::Repeat && key.is_none() {
        return Err(cx.err(
            Some(w.kind.span()),
            "a repeat window needs `key` (the value that must not repeat)",
        ));
    }
    Ok(Window {
        kind,
        threshold,
        window_secs: window_secs.unwrap_or(f64::INFINITY),
        span_secs: positive(cx, &w.span_secs, "span_secs")?,
        key,
        scope: w.scope.as_ref().map(|k| template(cx, k)).transpose()?,
        reset: opt_cond(&w.reset)?,
        expect: opt_cond(&w.expect)?,
        until: opt_cond(&w.until)?,
        per: opt_cond(&w.per)?,
        per_value: w.per_value.as_deref().map(crate::context::FieldName::from),
        ratio: match &w.ratio {
            Some(r) if *r.get_ref() > 0.0 && r.get_ref().is_finite() => *r.get_ref(),
            Some(r) => return Err(cx.err(Some(r.span()), "`ratio` must be a positive number")),
            None => 0.0,
        },
        within_secs: positive(cx, &w.within_secs, "within_secs")?,
        expect_before: w.expect_before,
        max: w
            .max
            .iter()
            .map(|f| crate::context::FieldName::from(f.as_str()))
            .collect(),
        example: w
            .example
            .as_ref()
            .map(|e| {
                Template::parse(e)
                    .map_err(|er| cx.err(None, format!("example template: {}", er.message)))
            })
            .transpose()?,
        max_keys,
    })
}

fn cond(cx: &Ctx<'_>, c: &Spanned<CondSpec>) -> Result<Cond, RuleError> {
    let span = Some(c.span());
    let s = c.get_ref();
    let combinators = [s.all.is_some(), s.any.is_some(), s.not.is_some()];
    let n_comb = combinators.iter().filter(|b| **b).count();
    let preds = [
        s.contains.is_some(),
        s.regex.is_some(),
        s.equals.is_some(),
        s.exists.is_some(),
        s.gt.is_some(),
        s.ge.is_some(),
        s.lt.is_some(),
        s.le.is_some(),
    ];
    let n_pred = preds.iter().filter(|b| **b).count();
    let n_sets = s.level.is_some() as usize + s.kind.is_some() as usize;
    let parts = n_comb + n_sets + (s.field.is_some() || n_pred > 0) as usize;
    if parts == 0 {
        return Err(cx.err(
            span,
            "empty condition: use all, any, not, level, kind or field with a test",
        ));
    }
    if parts > 1 {
        // Several tests in one table mean "all of them".
        let mut all = Vec::new();
        if let Some(v) = &s.all {
            for x in v {
                all.push(cond(cx, x)?);
            }
        }
        if let Some(v) = &s.any {
            let mut any = Vec::new();
            for x in v {
                any.push(cond(cx, x)?);
            }
            all.push(Cond::Any(any));
        }
        if let Some(x) = &s.not {
            all.push(Cond::Not(Box::new(cond(cx, x)?)));
        }
        if let Some(l) = &s.level {
            all.push(levels(cx, span.clone(), &l.to_vec())?);
        }
        if let Some(k) = &s.kind {
            all.push(kinds(cx, span.clone(), &k.to_vec())?);
        }
        if s.field.is_some() || n_pred > 0 {
            all.push(leaf(cx, span, s, n_pred)?);
        }
        return Ok(Cond::All(all));
    }
    if let Some(v) = &s.all {
        return Ok(Cond::All(
            v.iter().map(|x| cond(cx, x)).collect::<Result<_, _>>()?,
        ));
    }
    if let Some(v) = &s.any {
        return Ok(Cond::Any(
            v.iter().map(|x| cond(cx, x)).collect::<Result<_, _>>()?,
        ));
    }
    if let Some(x) = &s.not {
        return Ok(Cond::Not(Box::new(cond(cx, x)?)));
    }
    if let Some(l) = &s.level {
        return levels(cx, span, &l.to_vec());
    }
    if let Some(k) = &s.kind {
        return kinds(cx, span, &k.to_vec());
    }
    leaf(cx, span, s, n_pred)
}

fn levels(cx: &Ctx<'_>, span: Option<Range<usize>>, names: &[String]) -> Result<Cond, RuleError> {
    let ls = names
        .iter()
        .map(|n| {
            Level::parse(n).ok_or_else(|| cx.err(span.clone(), format!("unknown level `{n}`")))
        })
        .collect::<Result<_, _>>()?;
    Ok(Cond::Level(ls))
}

fn kinds(cx: &Ctx<'_>, span: Option<Range<usize>>, names: &[String]) -> Result<Cond, RuleError> {
    let ks = names
        .iter()
        .map(|n| {
            EventKind::from_name(n).ok_or_else(|| {
                cx.err(
                    span.clone(),
                    format!("unknown kind `{n}` (json, console, multi-line-json, text, panic)"),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Cond::Kind(ks))
}

fn leaf(
    cx: &Ctx<'_>,
    span: Option<Range<usize>>,
    s: &CondSpec,
    n_pred: usize,
) -> Result<Cond, RuleError> {
    let Some(field) = &s.field else {
        return Err(cx.err(
            span,
            "a test needs `field` (msg, error, raw, or a field name)",
        ));
    };
    if n_pred != 1 {
        return Err(cx.err(
            span,
            "a field test needs exactly one of contains, regex, equals, exists, gt, ge, lt, le",
        ));
    }
    let fields = field.to_vec();
    if fields.is_empty() || fields.iter().any(|f| f.is_empty()) {
        return Err(cx.err(span, "`field` must name at least one field"));
    }
    let pred = if let Some(c) = &s.contains {
        let lits = c.to_vec();
        if lits.iter().any(|l| l.is_empty()) || lits.is_empty() {
            return Err(cx.err(span, "`contains` needs non-empty strings"));
        }
        if lits.iter().map(String::len).sum::<usize>() > MAX_PATTERN_BYTES {
            return Err(cx.err(
                span,
                format!("`contains` strings add up to more than {MAX_PATTERN_BYTES} bytes"),
            ));
        }
        Pred::Contains(Needles::new(lits))
    } else if let Some(r) = &s.regex {
        // The size limit bounds compiled programs, not a literal set (which skips the regex
        // engine): a million-word alternation took 1.7 GB (report D18). Cap the text.
        if r.get_ref().len() > MAX_PATTERN_BYTES {
            return Err(cx.err(
                Some(r.span()),
                format!(
                    "regex is {} bytes; the limit is {MAX_PATTERN_BYTES}",
                    r.get_ref().len()
                ),
            ));
        }
        // A pattern that is a set of plain strings (most `msg` patterns are) needs no regex
        // engine: asked of the syntax tree first, so it is never compiled (compiling every
        // pattern was most of the start-up time). Parsed once: the syntax check, the literal
        // form and the prefilter's literals all come from this tree (each parse of a Unicode
        // pattern costs, and there are ~90 built in).
        let pattern = r.get_ref();
        let invalid = |e: String| {
            let first = e
                .lines()
                .last()
                .unwrap_or("invalid regex")
                .trim()
                .to_string();
            cx.err(Some(r.span()), format!("invalid regex: {first}"))
        };
        let hir = regex_syntax::Parser::new().parse(pattern);
        let literal =
            hir.as_ref()
                .ok()
                .and_then(|h| match h.properties().explicit_captures_len() {
                    0 => LitMatch::from_hir(h),
                    1 => LitMatch::from_hir_with_group(h),
                    _ => None,
                });
        match literal {
            Some(lm) => Pred::Literals(lm),
            None => {
                // Built-in rules compile their regexes on first use (start-up time: most never
                // run on a given log); a user's rule file is compiled now, so every error,
                // a size limit's too, names its file and line.
                let re = if cx.eager {
                    LazyRegex::compiled(
                        LazyRegex::build(pattern).map_err(|e| invalid(e.to_string()))?,
                    )
                } else {
                    let hir = hir.map_err(|e| invalid(e.to_string()))?;
                    LazyRegex::lazy_parsed(pattern, &hir)
                };
                let named = pattern.contains("(?P<") || pattern.contains("(?<");
                Pred::Regex(re, named)
            }
        }
    } else if let Some(v) = &s.equals {
        match v {
            toml::Value::String(t) => Pred::EqualsText(t.clone()),
            toml::Value::Integer(i) => Pred::EqualsNum(*i as f64),
            toml::Value::Float(f) => Pred::EqualsNum(*f),
            toml::Value::Boolean(b) => Pred::EqualsText(b.to_string()),
            _ => return Err(cx.err(span, "`equals` takes a string, number or boolean")),
        }
    } else if let Some(e) = s.exists {
        Pred::Exists(e)
    } else {
        let (op, n) = [
            (CmpOp::Gt, s.gt),
            (CmpOp::Ge, s.ge),
            (CmpOp::Lt, s.lt),
            (CmpOp::Le, s.le),
        ]
        .into_iter()
        .find_map(|(op, v)| v.map(|n| (op, n)))
        .expect("n_pred == 1");
        Pred::Cmp(op, n)
    };
    Ok(Cond::Field {
        fields: fields
            .into_iter()
            .map(crate::context::FieldName::new)
            .collect(),
        pred,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_rules_load_the_same_without_their_cases() {
        let full = load_builtin().unwrap();
        let lint = load_builtin_for_lint().unwrap();
        assert_eq!(full.len(), lint.len());
        let with_cases = full.iter().filter(|r| !r.invalid.is_empty()).count();
        assert!(with_cases > 30, "the cases were loaded: {with_cases}");
        for (mut f, l) in full.into_iter().zip(lint) {
            assert!(l.invalid.is_empty() && l.valid.is_empty(), "{}", l.code);
            f.invalid.clear();
            f.valid.clear();
            assert_eq!(format!("{f:?}"), format!("{l:?}"), "{}", f.code);
        }
    }

    const GOOD: &str = r#"
code = "BL999"
name = "sample-rule"
category = "test"
severity = "warning"
message = "saw {what}"
cause = "c"
fix = "f"
[docs]
what = "w"
why = "y"
[match]
field = "msg"
regex = "saw (?P<what>\\w+)"
"#;

    #[test]
    fn good_rule_loads() {
        let r = load_str("x.toml", GOOD).unwrap();
        assert_eq!(r.code, "BL999");
        assert_eq!(r.severity, Severity::Warning);
    }

    #[test]
    fn bad_regex_names_file_line_col_rule() {
        let src = GOOD.replace(r#"saw (?P<what>\\w+)"#, "saw (unclosed");
        let e = load_str("rules/x.toml", &src).unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.line, e.rule.as_str()),
            ("rules/x.toml", 14, "BL999")
        );
        assert_eq!(e.col, 9);
        assert!(e.message.contains("invalid regex"), "{e}");
    }

    #[test]
    fn unknown_key_and_zero_threshold_are_errors() {
        let e = load_str("x.toml", &format!("{GOOD}\nbogus = 1\n")).unwrap_err();
        assert!(e.message.contains("unknown field"), "{e}");
        assert_eq!(e.rule, "BL999");
        let src = format!("{GOOD}[window]\nkind = \"count\"\nthreshold = 0\nwindow_secs = 60\n");
        let e = load_str("x.toml", &src).unwrap_err();
        assert!(e.message.contains("threshold"), "{e}");
        assert_eq!(e.line, 17);
    }

    #[test]
    fn duplicate_codes_are_errors() {
        let a = load_str("a.toml", GOOD).unwrap();
        let mut b = a.clone();
        b.origin = "b.toml".into();
        b.name = "other".into();
        let e = check_unique(&[a, b]).unwrap_err();
        assert!(e.message.contains("duplicate rule `BL999`"), "{e}");
        assert_eq!(e.file, "b.toml");
    }
}
