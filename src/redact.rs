//! Secrets never leave baton-lint: every reporter sends messages and evidence through
//! [`redact`], and `baton-lint redact` rewrites whole logs with it. Covers bearer / basic auth,
//! `Authorization` header values, `client_secret` / `password` / `token` / `api_key` fields,
//! query parameters and command-line flags, JWTs, AWS access keys, GitHub and Slack tokens and
//! PEM private keys. Structure is kept: JSON stays valid JSON.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Regex, RegexSet};

/// The replacement text.
pub const REDACTED: &str = "REDACTED";

/// Names of keys whose values are secrets (JSON fields, query parameters, flags).
const SECRET_KEYS: &str = r"(?:client[_-]?secret|password|passwd|pwd|secret|token|access[_-]?token|refresh[_-]?token|id[_-]?token|api[_-]?key|apikey|private[_-]?key|auth[_-]?token|session[_-]?token|x-api-key)";

struct Pattern {
    re: Regex,
    /// Replacement with `$name` groups (the secret itself is never a group that is kept).
    rep: &'static str,
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let p = |re: &str, rep: &'static str| Pattern {
        re: Regex::new(re).expect("static regex"),
        rep,
    };
    vec![
        // PEM private keys (raw newlines or JSON-escaped \n).
        p(
            r"(?s)-----BEGIN (?P<k>[A-Z ]*PRIVATE KEY)-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
            "-----BEGIN $k-----REDACTED-----END $k-----",
        ),
        // Authorization header values in JSON maps: "Authorization":["Bearer x"] / "authorization": "x".
        p(
            r#"(?i)(?P<k>"(?:proxy-)?authorization"\s*:\s*\[?\s*")(?P<v>(?:[^"\\]|\\.)*)""#,
            r#"${k}REDACTED""#,
        ),
        // Header lines as curl prints them: Authorization: Bearer x
        p(
            r#"(?i)(?P<k>\b(?:proxy-)?authorization\s*:\s*)(?P<v>[^\r\n'"]+)"#,
            "${k}REDACTED",
        ),
        // Bearer / Basic credentials anywhere.
        p(
            r"(?i)(?P<k>\b(?:bearer|basic)\s+)[A-Za-z0-9\-._~+/]{8,}[A-Za-z0-9\-._~+/=]*",
            "${k}REDACTED",
        ),
        // JSON fields with secret names: "client_secret":"x" (value may hold escapes).
        p(
            &format!(r#"(?i)(?P<k>"[\w.-]*{SECRET_KEYS}"\s*:\s*")(?:[^"\\]|\\.)*""#),
            r#"${k}REDACTED""#,
        ),
        // Query parameters and key=value pairs: client_secret=x&…
        p(
            &format!(r#"(?i)(?P<k>\b[\w.-]*{SECRET_KEYS}=)[^&\s"',;]+"#),
            "${k}REDACTED",
        ),
        // Command-line flags: --client-secret x / --client-secret=x
        p(
            &format!(r#"(?i)(?P<k>--[\w-]*{SECRET_KEYS}[\w-]*(?:=|\s+))[^\s"']+"#),
            "${k}REDACTED",
        ),
        // JWTs.
        p(
            r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
            REDACTED,
        ),
        // AWS access key ids.
        p(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", REDACTED),
        // GitHub tokens.
        p(
            r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
            REDACTED,
        ),
        // Slack tokens.
        p(r"\bxox[abposr]-[A-Za-z0-9-]{10,}", REDACTED),
    ]
});

static ANY: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(PATTERNS.iter().map(|p| p.re.as_str())).expect("static regex set")
});

/// `text` with every secret replaced by `REDACTED`. Borrowed when nothing was found.
pub fn redact(text: &str) -> Cow<'_, str> {
    let hits = ANY.matches(text);
    if !hits.matched_any() {
        return Cow::Borrowed(text);
    }
    // One replacement can uncover another (a key pattern sees different text once a token
    // inside it is gone): repeat until nothing changes, so redacting twice changes nothing.
    let mut out = redact_pass(text);
    for _ in 0..3 {
        let next = redact_pass(&out);
        if next == out {
            break;
        }
        out = next;
    }
    Cow::Owned(out)
}

/// One pass of every pattern over `text`.
fn redact_pass(text: &str) -> String {
    let mut out = text.to_string();
    for p in PATTERNS.iter() {
        if !p.re.is_match(&out) {
            continue;
        }
        let src = out.clone();
        out =
            p.re.replace_all(&src, |c: &regex::Captures<'_>| {
                let whole = c.get(0).expect("group 0");
                if is_pagination(
                    c.name("k").map_or("", |k| k.as_str()),
                    &src[..whole.start()],
                ) {
                    return whole.as_str().to_string();
                }
                let mut r = String::new();
                c.expand(p.rep, &mut r);
                r
            })
            .into_owned();
    }
    out
}

/// Page tokens and cursors are not credentials (and BL101 must show them): a key naming
/// a page, cursor or next token, or the SDK's `next page token unchanged (token=…` text.
fn is_pagination(key: &str, before: &str) -> bool {
    // Only keyed patterns (`name=value`, `"name": "value"`) can be page tokens; a bare secret
    // shape (a Slack or GitHub token, a JWT) is redacted wherever it stands.
    if key.is_empty() {
        return false;
    }
    let k = key.to_ascii_lowercase();
    k.contains("page")
        || k.contains("cursor")
        || k.contains("next")
        || (k == "token=" && before.ends_with("unchanged ("))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_redacted() {
        let cases = [
            (
                r#"{"http.headers":{"Authorization":["Bearer abcdefgh12345678"]}}"#,
                "abcdefgh12345678",
            ),
            (
                "curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='",
                "dXNlcjpwYXNzd29yZA",
            ),
            (
                r#"{"client_secret":"s3cr3t-value-x","msg":"m"}"#,
                "s3cr3t-value-x",
            ),
            (r#"{"password":"hunter2\"quoted"}"#, "hunter2"),
            (
                "GET /oauth?client_id=abc&client_secret=topsecret99&x=1",
                "topsecret99",
            ),
            (
                "baton-okta --api-token 00abcDEF123 --client-secret=zz9-sec",
                "00abcDEF123",
            ),
            (
                "baton-okta --api-token 00abcDEF123 --client-secret=zz9-sec",
                "zz9-sec",
            ),
            (
                "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U here",
                "dozjgNryP4J3jVmNHl0w5N",
            ),
            ("key AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
            ("ghp_1234567890abcdefghijABCDEFGHIJ123456", "ghp_1234567890"),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
                "github_pat_11ABC",
            ),
            ("xoxb-1234567890-abcdefghij", "xoxb-1234567890"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA\\n-----END RSA PRIVATE KEY-----",
                "MIIEowIBAAKCAQEA",
            ),
        ];
        for (input, secret) in cases {
            let out = redact(input);
            assert!(!out.contains(secret), "{input} -> {out}");
            assert!(out.contains(REDACTED), "{out}");
        }
    }

    #[test]
    fn json_stays_json_and_plain_text_is_untouched() {
        let line = r#"{"level":"info","msg":"x","client_secret":"abc\"def","token":"t0k3n"}"#;
        let out = redact(line);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["client_secret"], "REDACTED");
        assert_eq!(v["token"], "REDACTED");
        let clean = r#"{"msg":"next page token unchanged (token=eyJwYWdlIjoyfQ==, type=user)"}"#;
        // …but a real secret shape after that text is still a secret.
        let slack = "next page token unchanged (xoxr-1234567890-abcdefghij";
        assert!(
            !redact(slack).contains("xoxr-1234567890"),
            "{}",
            redact(slack)
        );
        assert_eq!(redact(clean), clean);
        assert!(matches!(redact("Syncing resources..."), Cow::Borrowed(_)));
    }
}
