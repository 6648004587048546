//! Compiled match conditions (all / any / not, level and kind sets, field tests) and how they
//! are evaluated against an event. Also computes the literals a condition needs, for the
//! prefilter.

use std::borrow::Cow;

use regex::Regex;

use crate::context;
use crate::event::{Event, EventKind, Level};

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Level(Vec<Level>),
    Kind(Vec<EventKind>),
    Field { fields: Vec<String>, pred: Pred },
}

/// A test on one value.
#[derive(Debug, Clone)]
pub enum Pred {
    Contains(Vec<String>),
    Regex(Regex),
    EqualsText(String),
    EqualsNum(f64),
    Exists(bool),
    Cmp(CmpOp, f64),
}

/// A numeric comparison.
#[derive(Debug, Clone, Copy)]
pub enum CmpOp {
    Gt,
    Ge,
    Lt,
    Le,
}

/// Named captures collected while a condition matched.
pub type Captures = Vec<(String, String)>;

impl Cond {
    /// True if `ev` satisfies the condition. Named regex groups are appended to `caps` (only
    /// from branches that matched).
    pub fn eval(&self, ev: &Event<'_>, caps: &mut Captures) -> bool {
        match self {
            Cond::All(cs) => {
                let mark = caps.len();
                let ok = cs.iter().all(|c| c.eval(ev, caps));
                if !ok {
                    caps.truncate(mark);
                }
                ok
            }
            Cond::Any(cs) => cs.iter().any(|c| {
                let mark = caps.len();
                let ok = c.eval(ev, caps);
                if !ok {
                    caps.truncate(mark);
                }
                ok
            }),
            Cond::Not(c) => {
                let mut scratch = Vec::new();
                !c.eval(ev, &mut scratch)
            }
            Cond::Level(ls) => ev.level.is_some_and(|l| ls.contains(&l)),
            Cond::Kind(ks) => ks.contains(&ev.kind),
            Cond::Field { fields, pred } => fields.iter().any(|f| eval_field(ev, f, pred, caps)),
        }
    }

    /// Literals at least one of which occurs (ASCII case-insensitively) in the raw text of
    /// every event this condition matches; `None` when no such set is known.
    pub fn required_literals(&self) -> Option<Vec<String>> {
        match self {
            Cond::All(cs) => cs
                .iter()
                .filter_map(Cond::required_literals)
                .max_by_key(|lits| lits.iter().map(String::len).min().unwrap_or(0)),
            Cond::Any(cs) => {
                let mut out = Vec::new();
                for c in cs {
                    out.extend(c.required_literals()?);
                }
                Some(out)
            }
            Cond::Not(_) | Cond::Level(_) | Cond::Kind(_) => None,
            Cond::Field { fields, pred } => {
                let mut out = Vec::new();
                for f in fields {
                    out.extend(field_literals(f, pred)?);
                }
                Some(out)
            }
        }
    }
}

/// Fields whose text is part of the raw line as written (modulo JSON escapes).
fn value_in_raw(field: &str) -> bool {
    !matches!(field, "level" | "kind" | "ts")
        && (!context::DERIVED.contains(&field) || context::DERIVED_SUBSTRING.contains(&field))
}

fn key_literal(field: &str) -> Option<Vec<String>> {
    if matches!(
        field,
        "msg" | "error" | "raw" | "level" | "kind" | "ts" | "caller"
    ) || context::DERIVED.contains(&field)
    {
        return None;
    }
    // The last dotted component appears as a JSON key in the raw text.
    let key = field.rsplit('.').next().unwrap_or(field);
    literal_ok(key).then(|| vec![key.to_string()])
}

fn field_literals(field: &str, pred: &Pred) -> Option<Vec<String>> {
    match pred {
        Pred::Contains(lits) if value_in_raw(field) => {
            lits.iter().all(|l| literal_ok(l)).then(|| lits.clone())
        }
        Pred::EqualsText(s) if value_in_raw(field) && literal_ok(s) => Some(vec![s.clone()]),
        Pred::Regex(re) if value_in_raw(field) => regex_literals(re.as_str()),
        Pred::Exists(true) | Pred::Cmp(..) | Pred::EqualsNum(_) => key_literal(field),
        _ => None,
    }
}

/// A literal is usable when JSON encoding cannot change it and it is long enough to help.
fn literal_ok(l: &str) -> bool {
    l.len() >= 3
        && l.bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_control() && !b"\"\\<>&".contains(&b))
}

/// Prefix literals every match of the regex starts with (regex-syntax's extractor).
fn regex_literals(pattern: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    // A leading (?i) is dropped: the prefilter is case-insensitive anyway.
    let pat = pattern.strip_prefix("(?i)").unwrap_or(pattern);
    let hir = regex_syntax::Parser::new().parse(pat).ok()?;
    let mut ex = Extractor::new();
    ex.kind(ExtractKind::Prefix);
    let seq = ex.extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.len() > 64 {
        return None;
    }
    let mut out = Vec::new();
    for l in lits {
        let s = std::str::from_utf8(l.as_bytes()).ok()?;
        if !literal_ok(s) {
            return None;
        }
        out.push(s.to_string());
    }
    Some(out)
}

fn value_text<'e>(ev: &'e Event<'_>, field: &str) -> Option<Cow<'e, str>> {
    match field {
        "msg" => Some(Cow::Borrowed(&ev.msg)),
        "error" => ev.error.as_deref().map(Cow::Borrowed),
        "raw" => Some(Cow::Borrowed(&ev.raw)),
        _ => context::lookup(ev, field),
    }
}

fn eval_field(ev: &Event<'_>, field: &str, pred: &Pred, caps: &mut Captures) -> bool {
    match pred {
        Pred::Exists(want) => value_text(ev, field).is_some() == *want,
        Pred::Contains(lits) => {
            value_text(ev, field).is_some_and(|v| lits.iter().any(|l| v.contains(l.as_str())))
        }
        Pred::EqualsText(s) => value_text(ev, field).is_some_and(|v| v == s.as_str()),
        Pred::Regex(re) => {
            let Some(v) = value_text(ev, field) else {
                return false;
            };
            let Some(c) = re.captures(&v) else {
                return false;
            };
            for name in re.capture_names().flatten() {
                if let Some(m) = c.name(name) {
                    caps.push((name.to_string(), m.as_str().to_string()));
                }
            }
            true
        }
        Pred::EqualsNum(n) => num(ev, field).is_some_and(|v| v == *n),
        Pred::Cmp(op, n) => num(ev, field).is_some_and(|v| match op {
            CmpOp::Gt => v > *n,
            CmpOp::Ge => v >= *n,
            CmpOp::Lt => v < *n,
            CmpOp::Le => v <= *n,
        }),
    }
}

fn num(ev: &Event<'_>, field: &str) -> Option<f64> {
    if let Some(v) = ev.get(field) {
        return v.as_f64();
    }
    context::derive(ev, field).and_then(|s| crate::event::parse_number_or_duration(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_prefix_literals() {
        assert_eq!(
            regex_literals("next page token (unchanged|is the same)"),
            Some(vec![
                "next page token unchanged".into(),
                "next page token is the same".into()
            ])
        );
        assert_eq!(
            regex_literals("(?i)too many requests"),
            Some(vec!["too many requests".into()])
        );
        assert_eq!(regex_literals(r"\d+ requests"), None);
        assert_eq!(regex_literals("a|bc"), None);
    }

    #[test]
    fn all_picks_the_most_selective_child() {
        let c = Cond::All(vec![
            Cond::Level(vec![Level::Error]),
            Cond::Field {
                fields: vec!["msg".into()],
                pred: Pred::Contains(vec!["retrying operation".into()]),
            },
        ]);
        assert_eq!(
            c.required_literals(),
            Some(vec!["retrying operation".into()])
        );
        let any = Cond::Any(vec![c.clone(), Cond::Level(vec![Level::Error])]);
        assert_eq!(any.required_literals(), None);
    }
}
