//! Redaction of a log read line by line, where a secret can span lines: a raw PEM block (only
//! its BEGIN line says what the body lines are) and a pretty-printed record whose secret-named
//! member opens an array or object on one line and holds the values on the next ones
//! (`"Authorization": [` ⏎ `"SSWS 00…"` ⏎ `],`).

use std::borrow::Cow;

use super::{REDACTED, is_secret_key, redact};

/// Carries what a line opened to the next lines.
#[derive(Debug, Default)]
pub struct LineRedactor {
    state: State,
}

#[derive(Debug, Default, PartialEq)]
enum State {
    #[default]
    Normal,
    /// Inside a PEM private-key block: every line up to the END line is secret.
    Pem,
    /// Inside the array or object of a secret-named member, this deep.
    Secret(u32),
}

impl LineRedactor {
    /// One line (without its newline), redacted.
    pub fn line<'a>(&mut self, line: &'a str) -> Cow<'a, str> {
        match self.state {
            State::Pem => {
                if let Some(i) = line.find("-----END ") {
                    self.state = State::Normal;
                    return Cow::Owned(format!("{REDACTED}{}", &line[i..]));
                }
                Cow::Borrowed(REDACTED)
            }
            State::Secret(depth) => {
                let (out, depth) = blank_strings(line, depth);
                self.state = if depth == 0 {
                    State::Normal
                } else {
                    State::Secret(depth)
                };
                Cow::Owned(out)
            }
            State::Normal => {
                if opens_pem(line) {
                    self.state = State::Pem;
                } else if let Some(rest) = opens_secret_container(line) {
                    let (_, depth) = blank_strings(rest, 0);
                    if depth > 0 {
                        self.state = State::Secret(depth);
                    }
                }
                redact(line)
            }
        }
    }
}

/// A BEGIN line of a private key whose END is not on the same line.
fn opens_pem(line: &str) -> bool {
    line.find("-----BEGIN ")
        .is_some_and(|i| line[i..].contains("PRIVATE KEY") && !line[i..].contains("-----END "))
}

/// For `"name": [` or `"name": {` (a secret name, nothing after the bracket but what the line
/// holds of the value), the text from the bracket on.
fn opens_secret_container(line: &str) -> Option<&str> {
    let t = line.trim_start().strip_prefix('"')?;
    let q = t.find('"')?;
    let name = &t[..q];
    let rest = t[q + 1..].trim_start().strip_prefix(':')?.trim_start();
    (rest.starts_with(['[', '{']) && is_secret_key(name)).then_some(rest)
}

/// `line` with every string literal replaced by `"REDACTED"`, and the nesting depth after it
/// (brackets outside strings counted from `depth`).
fn blank_strings(line: &str, mut depth: u32) -> (String, u32) {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            '"' => {
                let mut escaped = false;
                for (_, d) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == '"' {
                        break;
                    }
                }
                out.push_str("\"REDACTED\"");
            }
            '[' | '{' => {
                depth += 1;
                out.push(c);
            }
            ']' | '}' => {
                depth = depth.saturating_sub(1);
                out.push(c);
            }
            c if c.is_ascii_whitespace() || c == ',' || c == ':' => out.push(c),
            // A bare value (number, literal) inside a secret container is secret too.
            _ => {
                if !out.ends_with(REDACTED) {
                    out.push_str(REDACTED);
                }
            }
        }
        if depth == 0 && matches!(c, ']' | '}') {
            out.push_str(&line[chars.peek().map_or(line.len(), |(i, _)| *i)..]);
            break;
        }
    }
    (out, depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> String {
        let mut r = LineRedactor::default();
        text.lines()
            .map(|l| r.line(l).into_owned() + "\n")
            .collect()
    }

    #[test]
    fn pem_body_lines() {
        let out = run(
            "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabcdefgh\n-----END RSA PRIVATE KEY-----\nafter\n",
        );
        assert!(
            !out.contains("MIIEowIBAAKCAQEA") && !out.contains("abcdefgh"),
            "{out}"
        );
        assert!(
            out.ends_with("-----END RSA PRIVATE KEY-----\nafter\n"),
            "{out}"
        );
    }

    #[test]
    fn pretty_printed_header_arrays() {
        let out = run(
            "{\n  \"headers\": {\n    \"Authorization\": [\n      \"SSWS 00abc123\"\n    ],\n    \"X-Api-Key\": [\n      \"k3y\"\n    ],\n    \"Accept\": [\n      \"application/json\"\n    ]\n  }\n}\n",
        );
        assert!(!out.contains("00abc123") && !out.contains("k3y"), "{out}");
        assert!(out.contains("application/json"), "{out}");
    }
}
