//! What one Go file says about a connector, read with tree-sitter's Go grammar (never regexes
//! over source): package-level constants and variables, struct literals' fields, methods with
//! their spans and `return` lines, and `ResourceType: "…"` literals.

use tree_sitter::{Node, Parser};

/// A Go expression, as far as a resource type id can be read from it.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Str(String),
    Ident(String),
    /// `x.f` (a field of the receiver, a package member).
    Selector(String, String),
    /// A composite literal: its type name and keyed fields.
    Lit(String, Vec<(String, Expr)>),
    /// A call: its function text and arguments.
    Call(String, Vec<Expr>),
    Other,
}

/// A method of a named type.
#[derive(Clone, Debug)]
pub struct Method {
    pub recv: String,
    pub name: String,
    pub line: u64,
    pub end_line: u64,
    /// What `ResourceType()` returns (its first `return`).
    pub returned: Option<Expr>,
    /// `return` statements with two or more results: (line, the second result's text).
    pub returns: Vec<(u64, String)>,
}

/// One file's facts.
#[derive(Default, Debug)]
pub struct FileFacts {
    pub package: String,
    pub values: Vec<(String, Expr)>,
    /// Composite literals of a named type: (type, keyed fields).
    pub literals: Vec<(String, Vec<(String, Expr)>)>,
    pub methods: Vec<Method>,
    /// `ResourceType: "…"` keyed fields with a string literal: (value, line).
    pub type_strings: Vec<(String, u64)>,
    /// Functions: name → first returned expression (helpers that build resource types).
    pub funcs: Vec<(String, Expr)>,
    pub had_errors: bool,
}

fn text<'a>(n: Node<'_>, src: &'a [u8]) -> &'a str {
    n.utf8_text(src).unwrap_or("")
}

/// The text of `n`'s child `field`, or "" when it has none.
fn child_text<'a>(n: Node<'_>, field: &str, src: &'a [u8]) -> &'a str {
    n.child_by_field_name(field).map_or("", |c| text(c, src))
}

fn line(n: Node<'_>) -> u64 {
    n.start_position().row as u64 + 1
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    if s.len() >= 2 && (s.starts_with('"') || s.starts_with('`')) {
        s[1..s.len() - 1].to_string()
    } else {
        s.to_string()
    }
}

/// The last identifier of a type (`*v2.ResourceType` → `ResourceType`).
fn type_name(n: Node<'_>, src: &[u8]) -> String {
    let t = text(n, src);
    t.trim_start_matches(['*', '&'])
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_string()
}

fn named_children(n: Node<'_>) -> Vec<Node<'_>> {
    let mut c = n.walk();
    n.named_children(&mut c).collect()
}

/// A composite literal's `key: value` pairs.
fn keyed(lit: Node<'_>) -> Vec<(Node<'_>, Node<'_>)> {
    let Some(body) = lit.child_by_field_name("body") else {
        return Vec::new();
    };
    named_children(body)
        .into_iter()
        .filter(|c| c.kind() == "keyed_element")
        .filter_map(|kv| {
            Some((
                kv.child_by_field_name("key")?,
                kv.child_by_field_name("value")?,
            ))
        })
        .collect()
}

fn expr(n: Node<'_>, src: &[u8], depth: u32) -> Expr {
    if depth > 16 {
        return Expr::Other;
    }
    match n.kind() {
        "interpreted_string_literal" | "raw_string_literal" => Expr::Str(unquote(text(n, src))),
        "identifier" => Expr::Ident(text(n, src).to_string()),
        "selector_expression" => {
            let op = child_text(n, "operand", src);
            let f = child_text(n, "field", src);
            Expr::Selector(op.to_string(), f.to_string())
        }
        "unary_expression" | "parenthesized_expression" | "literal_element" => n
            .child_by_field_name("operand")
            .or_else(|| n.named_child(0))
            .map_or(Expr::Other, |o| expr(o, src, depth + 1)),
        "expression_list" => n
            .named_child(0)
            .map_or(Expr::Other, |o| expr(o, src, depth + 1)),
        "composite_literal" => {
            let ty = n
                .child_by_field_name("type")
                .map(|t| type_name(t, src))
                .unwrap_or_default();
            let fields = keyed(n)
                .into_iter()
                .map(|(k, v)| (text(k, src).trim().to_string(), expr(v, src, depth + 1)))
                .collect();
            Expr::Lit(ty, fields)
        }
        "call_expression" => {
            let f = child_text(n, "function", src);
            let args = n
                .child_by_field_name("arguments")
                .map(|a| {
                    named_children(a)
                        .into_iter()
                        .map(|x| expr(x, src, depth + 1))
                        .collect()
                })
                .unwrap_or_default();
            Expr::Call(f.to_string(), args)
        }
        _ => Expr::Other,
    }
}

/// The first `return` of a function body, its results.
fn first_return<'a>(body: Node<'a>) -> Option<Node<'a>> {
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if n.kind() == "return_statement" {
            return n.named_child(0);
        }
        // Not into nested function literals.
        if n.kind() == "func_literal" {
            continue;
        }
        let mut kids = named_children(n);
        kids.reverse();
        stack.extend(kids);
    }
    None
}

fn returns(body: Node<'_>, src: &[u8]) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if n.kind() == "func_literal" {
            continue;
        }
        if n.kind() == "return_statement" {
            if let Some(list) = n.named_child(0) {
                let items = named_children(list);
                if items.len() >= 2 {
                    out.push((line(n), text(items[1], src).to_string()));
                }
            }
        }
        stack.extend(named_children(n));
    }
    out.sort();
    out
}

thread_local! {
    /// One parser per thread (the index parses files on every core).
    static PARSER: std::cell::RefCell<Option<Parser>> = const { std::cell::RefCell::new(None) };
}

/// Reads one file.
pub fn read(src: &[u8]) -> Option<FileFacts> {
    let tree = PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut p = Parser::new();
            p.set_language(&tree_sitter_go::LANGUAGE.into()).ok()?;
            *slot = Some(p);
        }
        slot.as_mut()?.parse(src, None)
    })?;
    let root = tree.root_node();
    let mut f = FileFacts {
        had_errors: root.has_error(),
        ..FileFacts::default()
    };
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "package_clause" => {
                if let Some(id) = n.named_child(0) {
                    f.package = text(id, src).to_string();
                }
            }
            "const_spec" | "var_spec" => {
                let names: Vec<String> = {
                    let mut c = n.walk();
                    n.children_by_field_name("name", &mut c)
                        .map(|x| text(x, src).to_string())
                        .collect()
                };
                if let Some(v) = n.child_by_field_name("value") {
                    for (name, val) in names.iter().zip(named_children(v)) {
                        f.values.push((name.clone(), expr(val, src, 0)));
                    }
                }
            }
            "composite_literal" => {
                // `ResourceType: "…"` anywhere; the fields of literals of the package's own
                // types (`&teamBuilder{resourceType: …}`), kept for resolving `t.resourceType`.
                for (k, v) in keyed(n) {
                    if text(k, src).trim() == "ResourceType" {
                        if let Expr::Str(s) = expr(v, src, 14) {
                            f.type_strings.push((s, line(n)));
                        }
                    }
                }
                let local = n
                    .child_by_field_name("type")
                    .is_some_and(|t| t.kind() == "type_identifier");
                if local {
                    if let Expr::Lit(ty, fields) = expr(n, src, 12) {
                        f.literals.push((ty, fields));
                    }
                }
            }
            "method_declaration" => {
                let recv = n
                    .child_by_field_name("receiver")
                    .and_then(|r| r.named_child(0))
                    .and_then(|d| d.child_by_field_name("type"))
                    .map(|t| type_name(t, src))
                    .unwrap_or_default();
                let name = child_text(n, "name", src);
                let body = n.child_by_field_name("body");
                f.methods.push(Method {
                    recv,
                    name: name.to_string(),
                    line: line(n),
                    end_line: n.end_position().row as u64 + 1,
                    returned: body.and_then(first_return).map(|r| expr(r, src, 0)),
                    returns: body.map(|b| returns(b, src)).unwrap_or_default(),
                });
            }
            "function_declaration" => {
                let name = child_text(n, "name", src);
                if let Some(r) = n.child_by_field_name("body").and_then(first_return) {
                    f.funcs.push((name.to_string(), expr(r, src, 0)));
                }
            }
            _ => {}
        }
        stack.extend(named_children(n));
    }
    Some(f)
}
