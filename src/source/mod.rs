//! Findings on the connector's own Go code (`--source DIR`). An index of the connector — each
//! resource syncer type, the resource type id it returns (through constants, variables, struct
//! fields and helpers of its package), its methods' spans and `return` lines, and every
//! `ResourceType: "…"` literal — built with tree-sitter ([`go`]), then each finding is put on the
//! line it is about, best evidence first:
//!
//! 1. the log line's `caller` is a file of the connector → that line;
//! 2. BL603's `User` vs `user` → the `ResourceType: "User"` literal that builds the grant;
//! 3. BL101/BL102 (the page token) → the `return` of the token in that builder's method;
//! 4. a resource type and an operation (`list-grants` → `Grants`, …) → that method;
//! 5. BL701 (provisioner not found) → the builder of that type, which lacks `Grant`/`Revoke`.
//!
//! When nothing maps, the finding stays on the log.

mod go;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use go::{Expr, FileFacts};

use crate::finding::{Finding, SourceLoc};

/// Go files indexed at most (a monorepo past this is cut, and the notice says so).
const MAX_FILES: usize = 20_000;
/// Files larger than this are skipped (generated tables, embedded data).
const MAX_FILE_BYTES: u64 = 2 << 20;

/// One resource syncer.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Builder {
    /// The Go type (`userBuilder`).
    pub ty: String,
    /// The resource type id it returns (`user`), when it could be resolved.
    pub id: Option<String>,
    pub file: String,
    /// Methods: name → (line, end line).
    pub methods: Vec<(String, u64, u64)>,
    /// `return` lines of List / Entitlements / Grants that hand back the request's token
    /// (`pToken.Token`): (method, line).
    pub token_returns: Vec<(String, u64)>,
}

/// The index of one connector tree.
#[derive(Debug, Default, serde::Serialize)]
pub struct SourceIndex {
    /// The directory as given (paths are shown joined to it).
    pub root: PathBuf,
    pub files: usize,
    pub builders: Vec<Builder>,
    /// `ResourceType: "…"` literals: (value, file, line).
    pub type_strings: Vec<(String, String, u64)>,
    /// Files that did not parse cleanly, or were skipped: said, never fatal.
    pub notices: Vec<String>,
    /// Every indexed file, relative to the root.
    #[serde(skip)]
    pub paths: Vec<String>,
}

/// Skipped while walking: vendored code, test data, hidden and build directories.
fn skip_dir(name: &str) -> bool {
    matches!(name, "vendor" | "testdata" | "node_modules" | "dist") || name.starts_with('.')
}

fn generated(src: &[u8]) -> bool {
    let head = &src[..src.len().min(2048)];
    let head = String::from_utf8_lossy(head);
    head.lines()
        .take_while(|l| !l.starts_with("package "))
        .any(|l| l.starts_with("// Code generated") && l.contains("DO NOT EDIT"))
}

/// A package's facts, merged over its files (each value keeps the file it came from).
#[derive(Default)]
struct Pkg {
    values: HashMap<String, Expr>,
    funcs: HashMap<String, Expr>,
    literals: Vec<(String, Vec<(String, Expr)>)>,
    methods: Vec<(String, go::Method)>,
    type_strings: Vec<(String, String, u64)>,
}

impl Pkg {
    /// The string an expression stands for, through constants, variables, resource type
    /// literals (`Id:`), struct fields set in the package's literals, and helper calls.
    fn resolve(&self, e: &Expr, recv: &str, depth: u32) -> Option<String> {
        if depth > 12 {
            return None;
        }
        match e {
            Expr::Str(s) => Some(s.clone()),
            Expr::Ident(name) => {
                if let Some(v) = self.values.get(name) {
                    return self.resolve(v, recv, depth + 1);
                }
                None
            }
            Expr::Lit(_, fields) => fields
                .iter()
                .find(|(k, _)| k == "Id")
                .and_then(|(_, v)| self.resolve(v, recv, depth + 1)),
            // `o.resourceType`: the field set where the package builds a `recv` value.
            Expr::Selector(_, field) => self
                .literals
                .iter()
                .filter(|(ty, _)| ty == recv)
                .flat_map(|(_, fs)| fs.iter())
                .find(|(k, _)| k == field)
                .and_then(|(_, v)| self.resolve(v, recv, depth + 1))
                .or_else(|| {
                    self.values
                        .get(field)
                        .and_then(|v| self.resolve(v, recv, depth + 1))
                }),
            Expr::Call(f, args) => {
                let name = f.rsplit('.').next().unwrap_or(f);
                self.funcs
                    .get(name)
                    .and_then(|r| self.resolve(r, recv, depth + 1))
                    .or_else(|| args.iter().find_map(|a| self.resolve(a, recv, depth + 1)))
            }
            Expr::Other => None,
        }
    }
}

impl SourceIndex {
    /// Indexes the Go files under `root`.
    pub fn build(root: &Path) -> std::io::Result<SourceIndex> {
        if !root.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} is not a directory", root.display()),
            ));
        }
        let mut idx = SourceIndex {
            root: root.to_path_buf(),
            ..SourceIndex::default()
        };
        let mut pkgs: HashMap<String, Pkg> = HashMap::new();
        let walk = walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0
                    || !(e.file_type().is_dir() && skip_dir(&e.file_name().to_string_lossy()))
            });
        // Walk first (sorted, bounded), then read and parse on every core, then merge in order.
        let mut files = Vec::new();
        for entry in walk.flatten() {
            let name = entry.file_name().to_string_lossy();
            if !entry.file_type().is_file() || !name.ends_with(".go") || name.ends_with("_test.go")
            {
                continue;
            }
            if files.len() >= MAX_FILES {
                idx.notices.push(format!(
                    "more than {MAX_FILES} Go files: the rest were not indexed"
                ));
                break;
            }
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .into_owned();
            if entry.metadata().map(|m| m.len()).unwrap_or(0) > MAX_FILE_BYTES {
                idx.notices.push(format!("{rel}: over 2 MiB, not indexed"));
                continue;
            }
            files.push((rel, entry.into_path()));
        }
        use rayon::prelude::*;
        let parsed: Vec<(String, Result<Option<FileFacts>, String>)> = files
            .into_par_iter()
            .map(|(rel, path)| {
                let r = match std::fs::read(&path) {
                    Err(_) => Err(format!("{rel}: cannot be read")),
                    Ok(src) if generated(&src) => Ok(None),
                    Ok(src) => go::read(&src)
                        .map(Some)
                        .ok_or_else(|| format!("{rel}: could not be parsed")),
                };
                (rel, r)
            })
            .collect();
        for (rel, r) in parsed {
            let facts = match r {
                Ok(Some(f)) => f,
                Ok(None) => continue,
                Err(n) => {
                    idx.notices.push(n);
                    continue;
                }
            };
            if facts.had_errors {
                idx.notices.push(format!(
                    "{rel}: has Go syntax errors; what parsed was indexed"
                ));
            }
            idx.files += 1;
            idx.paths.push(rel.clone());
            let dir = Path::new(&rel)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            merge(
                pkgs.entry(format!("{dir}\0{}", facts.package)).or_default(),
                facts,
                &rel,
            );
        }
        let mut keys: Vec<&String> = pkgs.keys().collect();
        keys.sort();
        for k in keys {
            let pkg = &pkgs[k];
            idx.type_strings.extend(pkg.type_strings.iter().cloned());
            let mut by_type: Vec<&str> = pkg
                .methods
                .iter()
                .filter(|(_, m)| m.name == "ResourceType")
                .map(|(_, m)| m.recv.as_str())
                .collect();
            by_type.sort();
            by_type.dedup();
            for ty in by_type {
                let mut ms: Vec<&(String, go::Method)> =
                    pkg.methods.iter().filter(|(_, m)| m.recv == ty).collect();
                ms.sort_by(|a, b| (&a.0, a.1.line).cmp(&(&b.0, b.1.line)));
                if !ms
                    .iter()
                    .any(|(_, m)| matches!(m.name.as_str(), "List" | "Entitlements" | "Grants"))
                {
                    continue;
                }
                let (file, rt) = ms
                    .iter()
                    .find(|(_, m)| m.name == "ResourceType")
                    .expect("filtered");
                let id = rt.returned.as_ref().and_then(|e| pkg.resolve(e, ty, 0));
                let token_returns = ms
                    .iter()
                    .filter(|(_, m)| matches!(m.name.as_str(), "List" | "Entitlements" | "Grants"))
                    .flat_map(|(_, m)| {
                        m.returns
                            .iter()
                            .filter(|(_, second)| {
                                second.ends_with(".Token") || second.ends_with(".GetToken()")
                            })
                            .map(|(l, _)| (m.name.clone(), *l))
                    })
                    .collect();
                idx.builders.push(Builder {
                    ty: ty.to_string(),
                    id,
                    file: file.clone(),
                    methods: ms
                        .iter()
                        .map(|(f, m)| (format!("{f}\0{}", m.name), m.line, m.end_line))
                        .collect(),
                    token_returns,
                });
            }
        }
        Ok(idx)
    }

    fn path(&self, rel: &str) -> String {
        if self.root == Path::new(".") {
            rel.to_string()
        } else {
            self.root.join(rel).to_string_lossy().into_owned()
        }
    }

    fn builder_of(&self, rt: &str) -> Option<&Builder> {
        self.builders.iter().find(|b| b.id.as_deref() == Some(rt))
    }

    /// The method `name` of `b`: (file, line).
    fn method(b: &Builder, name: &str) -> Option<(String, u64)> {
        b.methods.iter().find_map(|(k, l, _)| {
            let (file, m) = k.split_once('\0')?;
            (m == name).then(|| (file.to_string(), *l))
        })
    }

    /// Where in the connector's code `f` is about, when the index knows.
    pub fn locate(&self, f: &Finding) -> Option<SourceLoc> {
        let at = |rel: &str, line: u64, symbol: String| {
            Some(SourceLoc {
                path: self.path(rel),
                line,
                symbol,
            })
        };
        // 1. The log line was written by the connector's own code.
        for e in &f.evidence {
            if let Some((file, line)) = caller_of(&e.text) {
                if let Some((rel, sym)) = self.file_ending(&file, line) {
                    return at(&rel, line, sym);
                }
            }
        }
        let rt = f.context.get("resource_type").map(String::as_str);
        // 2. A grant built with a principal type that differs from the synced one in case.
        if f.code == "BL603" {
            // The case hint names the type; else the examples do (`"User/00u1abc"`): a
            // literal type no builder returns.
            let named = between(&f.message, "principal type `", "`");
            let hit = self.type_strings.iter().find(|(s, _, _)| {
                named == Some(s.as_str())
                    || (named.is_none()
                        && self.builder_of(s).is_none()
                        && (f.message.contains(&format!("\"{s}/"))
                            || f.message.contains(&format!(" {s}:"))))
            });
            if let Some((s, file, line)) = hit {
                let sym = self
                    .enclosing(file, *line)
                    .unwrap_or_else(|| format!("ResourceType: {s:?}"));
                return at(file, *line, sym);
            }
        }
        let op = f.context.get("operation").map(String::as_str);
        let method = match op {
            Some("list-resources") => Some("List"),
            Some("list-entitlements") | Some("list-static-entitlements") => Some("Entitlements"),
            Some("list-grants") => Some("Grants"),
            Some("grant") => Some("Grant"),
            Some("revoke") => Some("Revoke"),
            _ => None,
        };
        let b = rt.and_then(|rt| self.builder_of(rt))?;
        // 3. The page token handed back unchanged.
        if matches!(f.code.as_str(), "BL101" | "BL102") {
            let m = method.unwrap_or("List");
            if let Some((name, line)) = b.token_returns.iter().find(|(n, _)| n == m) {
                return at(
                    &Self::method(b, name).map(|x| x.0).unwrap_or(b.file.clone()),
                    *line,
                    format!("{}.{name}", b.ty),
                );
            }
        }
        // 5. No provisioner: the builder of that type.
        if f.code == "BL701" {
            let (file, line) = Self::method(b, "ResourceType")?;
            let lacks = Self::method(b, "Grant").is_none() || Self::method(b, "Revoke").is_none();
            let sym = if lacks {
                format!("{} (no Grant/Revoke)", b.ty)
            } else {
                b.ty.clone()
            };
            return at(&file, line, sym);
        }
        // 4. The method of the operation.
        let m = method?;
        let (file, line) = Self::method(b, m)?;
        at(&file, line, format!("{}.{m}", b.ty))
    }

    /// The builder method around `line` of `file`: `teamBuilder.Grants`.
    fn enclosing(&self, file: &str, line: u64) -> Option<String> {
        self.builders.iter().find_map(|b| {
            b.methods.iter().find_map(|(k, l, end)| {
                let (f, m) = k.split_once('\0')?;
                (f == file && (*l..=*end).contains(&line)).then(|| format!("{}.{m}", b.ty))
            })
        })
    }

    /// The indexed file whose path ends with `caller` (a zap short caller, `connector/users.go`),
    /// and the method around `line`.
    fn file_ending(&self, caller: &str, line: u64) -> Option<(String, String)> {
        let ends = |file: &str| file == caller || file.ends_with(&format!("/{caller}"));
        let mut hit = self
            .paths
            .iter()
            .find(|p| ends(p))
            .map(|p| (p.clone(), String::new()));
        for b in &self.builders {
            for (k, l, end) in &b.methods {
                let (file, m) = k.split_once('\0')?;
                if ends(file) && (*l..=*end).contains(&line) {
                    hit = Some((file.to_string(), format!("{}.{m}", b.ty)));
                }
            }
        }
        hit
    }

    /// `source --explain`: what was understood.
    pub fn explain(&self) -> String {
        let mut s = format!(
            "{}: {} Go file(s), {} resource syncer(s)\n",
            self.root.display(),
            self.files,
            self.builders.len()
        );
        for b in &self.builders {
            let ms: Vec<String> = b
                .methods
                .iter()
                .map(|(k, l, _)| {
                    let (_, m) = k.split_once('\0').unwrap_or(("", k));
                    format!("{m}:{l}")
                })
                .collect();
            s.push_str(&format!(
                "  {} → resource type {} ({})\n    methods: {}\n",
                b.ty,
                b.id.as_deref()
                    .map_or("? (not resolved)".to_string(), |i| format!("{i:?}")),
                b.file,
                ms.join(", ")
            ));
            for (m, l) in &b.token_returns {
                s.push_str(&format!(
                    "    returns the request's page token: {m} line {l}\n"
                ));
            }
        }
        if !self.type_strings.is_empty() {
            s.push_str("  ResourceType literals:\n");
            for (v, f, l) in &self.type_strings {
                s.push_str(&format!("    {v:?} at {f}:{l}\n"));
            }
        }
        for n in &self.notices {
            s.push_str(&format!("  note: {n}\n"));
        }
        s
    }
}

fn merge(pkg: &mut Pkg, f: FileFacts, rel: &str) {
    pkg.values.extend(f.values);
    pkg.funcs.extend(f.funcs);
    pkg.literals.extend(f.literals);
    pkg.methods
        .extend(f.methods.into_iter().map(|m| (rel.to_string(), m)));
    pkg.type_strings.extend(
        f.type_strings
            .into_iter()
            .map(|(s, l)| (s, rel.to_string(), l)),
    );
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> Option<&'a str> {
    let i = s.find(a)? + a.len();
    let j = s[i..].find(b)? + i;
    Some(&s[i..j])
}

/// The `caller` of a log line: `"caller":"connector/users.go:88"` (JSON) or the console
/// layout's tab-separated `connector/users.go:88`.
fn caller_of(line: &str) -> Option<(String, u64)> {
    let c = between(line, "\"caller\":\"", "\"")
        .or_else(|| line.split('\t').nth(2).filter(|f| f.contains(".go:")))?;
    let (file, n) = c.rsplit_once(':')?;
    Some((file.to_string(), n.trim().parse().ok()?))
}

/// Where `--source` comes from: the flag, the config file, or a working directory that is a Go
/// module requiring baton-sdk.
pub fn detect(cwd: &Path) -> Option<PathBuf> {
    let gomod = std::fs::read_to_string(cwd.join("go.mod")).ok()?;
    gomod
        .contains("github.com/conductorone/baton-sdk")
        .then(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_of_json_and_console_lines() {
        assert_eq!(
            caller_of(r#"{"level":"error","caller":"connector/users.go:88","msg":"x"}"#),
            Some(("connector/users.go".into(), 88))
        );
        assert_eq!(
            caller_of("2025-08-22T14:04:23.409-0700\tERROR\tconnector/groups.go:41\tfailed"),
            Some(("connector/groups.go".into(), 41))
        );
        assert_eq!(caller_of("no caller here"), None);
    }
}
