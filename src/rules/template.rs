//! Message templates: `{name}` placeholders (optionally `{name|filter}`), `[[ … ]]` sections that
//! vanish when a placeholder inside them has no value, `{{` / `}}` for literal braces.
//! Filters: `template` (ids in a path → `{id}`), `lower`, `duration` (seconds → `1m30s`),
//! `short` (first line, at most 120 characters).

use std::borrow::Cow;
use std::fmt::Write;

use crate::context::FieldName;

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    segs: Vec<Seg>,
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Lit(String),
    Var {
        name: FieldName,
        filter: Option<Filter>,
    },
    Section(Vec<Seg>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Filter {
    Template,
    Lower,
    Duration,
    Short,
}

/// A template syntax error: what and at which byte of the template.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub offset: usize,
    pub message: String,
}

impl Template {
    /// Parses `src`.
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        let mut stack: Vec<(usize, Vec<Seg>)> = vec![(0, Vec::new())];
        let mut lit = String::new();
        let b = src.as_bytes();
        let mut i = 0;
        let flush = |lit: &mut String, segs: &mut Vec<Seg>| {
            if !lit.is_empty() {
                segs.push(Seg::Lit(std::mem::take(lit)));
            }
        };
        while i < b.len() {
            if src[i..].starts_with("{{") || src[i..].starts_with("}}") {
                lit.push(b[i] as char);
                i += 2;
            } else if src[i..].starts_with("[[") {
                let top = stack
                    .last_mut()
                    .map(|s| &mut s.1)
                    .expect("stack never empty");
                flush(&mut lit, top);
                stack.push((i, Vec::new()));
                i += 2;
            } else if src[i..].starts_with("]]") && stack.len() > 1 {
                let (_, segs) = stack.pop().expect("len > 1");
                let mut segs = segs;
                flush(&mut lit, &mut segs);
                stack
                    .last_mut()
                    .expect("non-empty")
                    .1
                    .push(Seg::Section(segs));
                i += 2;
            } else if b[i] == b'{' {
                let Some(end) = src[i + 1..].find('}') else {
                    return Err(TemplateError {
                        offset: i,
                        message: "unclosed `{`".into(),
                    });
                };
                let inner = &src[i + 1..i + 1 + end];
                let (name, filter) = match inner.split_once('|') {
                    Some((n, f)) => (n.trim(), Some(parse_filter(f.trim(), i)?)),
                    None => (inner.trim(), None),
                };
                let valid = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
                if !valid {
                    return Err(TemplateError {
                        offset: i,
                        message: format!("bad placeholder `{{{inner}}}`"),
                    });
                }
                let top = &mut stack.last_mut().expect("non-empty").1;
                flush(&mut lit, top);
                top.push(Seg::Var {
                    name: FieldName::new(name),
                    filter,
                });
                i += end + 2;
            } else if b[i] == b'}' {
                return Err(TemplateError {
                    offset: i,
                    message: "unmatched `}` (write `}}`)".into(),
                });
            } else {
                let ch = src[i..].chars().next().expect("in bounds");
                lit.push(ch);
                i += ch.len_utf8();
            }
        }
        if stack.len() > 1 {
            return Err(TemplateError {
                offset: stack.last().expect("non-empty").0,
                message: "unclosed `[[` section".into(),
            });
        }
        let (_, mut segs) = stack.pop().expect("non-empty");
        flush(&mut lit, &mut segs);
        Ok(Template { segs })
    }

    /// Every placeholder name used, in order.
    pub fn names(&self) -> Vec<&str> {
        fn walk<'a>(segs: &'a [Seg], out: &mut Vec<&'a str>) {
            for s in segs {
                match s {
                    Seg::Var { name, .. } => out.push(name),
                    Seg::Section(inner) => walk(inner, out),
                    Seg::Lit(_) => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.segs, &mut out);
        out
    }

    /// Renders with `get` resolving placeholders. A placeholder outside sections with no value
    /// renders as `?`.
    pub fn render<'v>(&self, get: &dyn Fn(&str) -> Option<Cow<'v, str>>) -> String {
        let mut out = String::new();
        self.render_to(get, &mut out);
        out
    }

    /// [`Template::render`] appended to `out`.
    pub fn render_to<'v>(&self, get: &dyn Fn(&str) -> Option<Cow<'v, str>>, out: &mut String) {
        render_into(&self.segs, &|n: &FieldName| get(n), out, false);
    }

    /// [`Template::render_to`] with the placeholders as names resolved at load: the hot paths
    /// (window keys and scopes, rendered for most request lines) look them up without name
    /// comparisons ([`FieldName`]).
    pub fn render_named_to<'v>(
        &self,
        get: &dyn Fn(&FieldName) -> Option<Cow<'v, str>>,
        out: &mut String,
    ) {
        render_into(&self.segs, get, out, false);
    }
}

fn parse_filter(f: &str, at: usize) -> Result<Filter, TemplateError> {
    Ok(match f {
        "template" => Filter::Template,
        "lower" => Filter::Lower,
        "duration" => Filter::Duration,
        "short" => Filter::Short,
        _ => {
            return Err(TemplateError {
                offset: at,
                message: format!("unknown filter `{f}` (template, lower, duration, short)"),
            });
        }
    })
}

/// Returns false when inside a section a placeholder had no value (`out` is then left as it
/// was before the section).
fn render_into<'v>(
    segs: &[Seg],
    get: &dyn Fn(&FieldName) -> Option<Cow<'v, str>>,
    out: &mut String,
    in_section: bool,
) -> bool {
    let start = out.len();
    for s in segs {
        match s {
            Seg::Lit(l) => out.push_str(l),
            Seg::Var { name, filter } => match get(name) {
                Some(v) if !(in_section && v.is_empty()) => match filter {
                    None => out.push_str(&v),
                    Some(_) => out.push_str(&apply(&v, *filter)),
                },
                _ if in_section => {
                    out.truncate(start);
                    return false;
                }
                _ => out.push('?'),
            },
            Seg::Section(inner) => {
                render_into(inner, get, out, true);
            }
        }
    }
    true
}

fn apply(v: &str, f: Option<Filter>) -> String {
    match f {
        None => v.to_string(),
        Some(Filter::Template) => crate::context::path_template(v),
        Some(Filter::Lower) => v.to_lowercase(),
        Some(Filter::Short) => {
            let first = v.lines().next().unwrap_or("");
            match first.char_indices().nth(120) {
                Some((i, _)) => format!("{}…", &first[..i]),
                None => first.to_string(),
            }
        }
        Some(Filter::Duration) => match crate::event::parse_number_or_duration(v) {
            Some(s) => format_duration(s),
            None => v.to_string(),
        },
    }
}

/// Seconds as a short human duration: `45s`, `1m30s`, `2h5m`, `0.25s`.
pub fn format_duration(secs: f64) -> String {
    if secs < 60.0 {
        let mut s = String::new();
        if secs >= 10.0 {
            let _ = write!(s, "{}s", secs.round() as i64);
        } else if secs.fract() == 0.0 {
            let _ = write!(s, "{}s", secs as i64);
        } else {
            let _ = write!(s, "{:.2}s", secs);
        }
        return s;
    }
    let total = secs.round() as i64;
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    match (h, m, s) {
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(n: &str) -> Option<Cow<'static, str>> {
        match n {
            "a" => Some("A".into()),
            "path" => Some("/users/12345/roles".into()),
            "secs" => Some("90".into()),
            _ => None,
        }
    }

    #[test]
    fn renders_vars_sections_filters() {
        let t = Template::parse(
            "x {a}[[ in {missing}]][[ has {a}]] {path|template} {secs|duration} {{lit}}",
        )
        .unwrap();
        assert_eq!(t.render(&get), "x A has A /users/{id}/roles 1m30s {lit}");
        assert_eq!(t.names(), vec!["a", "missing", "a", "path", "secs"]);
        assert_eq!(Template::parse("{nope}").unwrap().render(&get), "?");
    }

    #[test]
    fn syntax_errors_have_offsets() {
        assert_eq!(Template::parse("ab {x").unwrap_err().offset, 3);
        assert_eq!(Template::parse("a }").unwrap_err().offset, 2);
        assert!(Template::parse("{a|bogus}").is_err());
        assert!(Template::parse("[[ {a}").is_err());
        assert!(Template::parse("{a b}").is_err());
    }
}
