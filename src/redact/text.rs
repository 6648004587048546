//! Secrets inside free text: a zap console line, a Go error string, a pasted curl command, the
//! decoded value of a JSON string. Two kinds of pattern:
//! - keyed forms, where a name says the value is a secret (`password=…`, `Password:…` as Go's
//!   `%+v` prints it, `client_secret='…'`, `"token":"…"`, `--client-secret …`, header lines,
//!   URL userinfo): the name is judged by [`is_secret_key`], word by word;
//! - shapes that are secrets wherever they stand: auth schemes (Bearer, Basic, SSWS), JWTs,
//!   PEM private-key blocks (across lines), and the fixed prefixes vendors give their tokens.
//!
//! Every pattern uses ASCII classes and ASCII word boundaries, so the regex engine's DFA runs
//! on any text (Unicode `\b` made non-ASCII lines 100–180× slower; report D9).

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex, RegexSet};

use super::REDACTED;
use super::keys::is_secret_key;

/// How a pattern's match is rewritten.
enum Rep {
    /// Replaced by this template (`$name` groups kept; the secret is never a kept group).
    Fixed(&'static str),
    /// Group `v` replaced when the name in group `k` is a secret key.
    Keyed,
    /// A credential after an auth scheme (group `v`), unless it reads as a plain word.
    Credential,
}

struct Pattern {
    src: &'static str,
    /// Compiled the first time the set says it matched: most text holds no secret, and
    /// compiling all of them was a fifth of a short run's start-up.
    re: std::sync::OnceLock<Regex>,
    rep: Rep,
}

impl Pattern {
    fn re(&self) -> &Regex {
        self.re
            .get_or_init(|| Regex::new(self.src).expect("static regex"))
    }
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let p = |src: &'static str, rep: Rep| Pattern {
        src,
        re: std::sync::OnceLock::new(),
        rep,
    };
    vec![
        // PEM private keys, raw newlines or JSON-escaped `\n`, to the END line or the end of the
        // text (a block cut off is still a secret). RFC 7468 labels; PGP's `PRIVATE KEY BLOCK`.
        p(
            r"(?s)-----BEGIN (?P<k>[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)",
            Rep::Fixed("-----BEGIN $k-----REDACTED-----END $k-----"),
        ),
        // URL userinfo: https://svc:pw@host, postgres://u:pw@h, ldaps://cn=admin:pw@h.
        p(
            r#"(?P<s>(?-u:\b)[A-Za-z][A-Za-z0-9+.\-]*://)(?P<u>[^\s:/@"'\\<>]*):(?P<v>[^\s/@"'\\<>]+)@"#,
            Rep::Fixed("${s}${u}:REDACTED@"),
        ),
        // Go MySQL DSNs: user:pw@tcp(host:3306)/db (github.com/go-sql-driver/mysql).
        p(
            r#"(?P<u>(?-u:\b)[A-Za-z0-9_.\-]+):(?P<v>[^\s/@"'\\:]+)@(?P<t>tcp|unix|udp)\("#,
            Rep::Fixed("${u}:REDACTED@${t}("),
        ),
        // Auth schemes anywhere: `Bearer x`, `Basic x`, Okta's `SSWS x` (RFC 6750, RFC 7617,
        // Okta API token docs).
        p(
            r"(?i)(?P<k>(?-u:\b)(?:bearer|basic|ssws)[ \t]+)(?P<v>[A-Za-z0-9\-._~+/]{8,}[A-Za-z0-9\-._~+/=]*)",
            Rep::Credential,
        ),
        // Header lines as curl or a Go `http.Header` dump print them.
        p(
            r"(?i)(?P<k>(?-u:\b)(?:proxy-)?authorization|(?-u:\b)(?:set-)?cookie|(?-u:\b)x-[a-z0-9-]*(?:key|token|secret))(?P<hsep>[ \t]*:[ \t]*)(?P<v>(?:(?:bearer|basic|ssws|token|digest|negotiate)[ \t]+)?[^\s'\x22\\,;]+(?:; ?[^\s'\x22\\,;]+)*)",
            Rep::Keyed,
        ),
        // JSON members inside text that is not itself JSON (a truncated record, a body quoted
        // in an error): "client_secret":"x", and the escaped form \"token\":\"x\".
        p(
            r#""(?P<k>[A-Za-z0-9_.\-]{1,64})"[ \t]*:[ \t]*(?P<v>"(?:[^"\\]|\\.)*")"#,
            Rep::Keyed,
        ),
        p(
            r#"\\"(?P<k>[A-Za-z0-9_.\-]{1,64})\\"[ \t]*:[ \t]*(?P<v>\\"(?:[^"\\]|\\[^"])*\\")"#,
            Rep::Keyed,
        ),
        // name=value, name: value, name="value", name='value', and URL-encoded name%3Dvalue. A
        // name may start with a digit or `_` (fuzzing, `secret`: `5client_secret=…`, what an
        // escape sequence stripped from `5\x1b client_secret=…` left, kept its value).
        p(
            r#"(?P<k>(?-u:\b)[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63})(?P<sep>=|%3[Dd]|:[ \t]*|[ \t]+=[ \t]*)(?P<v>"(?:[^"\\]|\\.)*"|'[^'\\\n]*'|[^\s&"'\\,;)}\]]+)"#,
            Rep::Keyed,
        ),
        // Command-line flags: --client-secret x, --api-token=x; any name BL904's flag pattern
        // reads (` --[\w-]*secret…`), dashes, digits and underscores included (fuzzing,
        // `secret`: stripping the escape sequence `\x1b[ c` from
        // ` -----0B855\x1b[ client_secret=…` left ` -----0B855lient_secret=…`, which BL904
        // reported and this pattern kept).
        p(
            r#"(?P<k>--[A-Za-z0-9_\-]*[A-Za-z0-9_])(?P<sep>=|[ \t]+)(?P<v>[^\s"'\\-][^\s"'\\]*)"#,
            Rep::Keyed,
        ),
        // JWTs (header and payload are base64url JSON objects).
        p(
            r"(?-u:\b)eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
            Rep::Fixed(REDACTED),
        ),
        // Fixed vendor prefixes, as gitleaks' default rules (gitleaks/gitleaks config/gitleaks.toml)
        // and the vendors' docs give them: AWS access key ids; GitHub ghp_/gho_/ghu_/ghs_/ghr_ and
        // github_pat_; GitLab glpat-; Slack xox?- and xapp-; Google API keys AIza…, OAuth client
        // secrets GOCSPX- and access tokens ya29.; Stripe sk_/rk_ live/test keys.
        p(
            r"(?-u:\b)(?:(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_\-]{20,}|xox[abposr]-[A-Za-z0-9\-]{10,}|xapp-[A-Za-z0-9\-]{10,}|AIza[A-Za-z0-9_\-]{35}|GOCSPX-[A-Za-z0-9_\-]{20,}|ya29\.[A-Za-z0-9_\-]{20,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,})",
            Rep::Fixed(REDACTED),
        ),
    ]
});

static ANY: LazyLock<RegexSet> =
    LazyLock::new(|| RegexSet::new(PATTERNS.iter().map(|p| p.src)).expect("static regex set"));

/// Compiles the set that tells whether a text holds a secret (see [`crate::check::warm_up`]).
pub fn warm_up() {
    LazyLock::force(&ANY);
}

/// `text` with every secret the text patterns know replaced by `REDACTED`; borrowed when
/// nothing was found. Idempotent: redacting the output again changes nothing.
pub fn redact_text(text: &str) -> Cow<'_, str> {
    let Cow::Owned(mut out) = redact_pass(text) else {
        return Cow::Borrowed(text);
    };
    // One replacement can uncover another (a value cut at a quote leaves a key behind it, and
    // the `"` of `"REDACTED"` can open the next member): repeat until nothing changes, so
    // redacting twice changes nothing. Only text that held a secret takes a second pass.
    for _ in 0..MAX_PASSES {
        match redact_pass(&out) {
            Cow::Borrowed(_) => break,
            Cow::Owned(next) => out = next,
        }
    }
    Cow::Owned(out)
}

/// Passes after the first before [`redact_text`] gives up looking for more (crafted text
/// only ever needs a few).
const MAX_PASSES: usize = 16;

/// One pass of every pattern.
fn redact_pass(text: &str) -> Cow<'_, str> {
    let hits = ANY.matches(text);
    if !hits.matched_any() {
        return Cow::Borrowed(text);
    }
    let mut out: Cow<'_, str> = Cow::Borrowed(text);
    for (i, p) in PATTERNS.iter().enumerate() {
        // A later pattern may match only once an earlier one rewrote the text, but never a
        // pattern that matched nothing at first: rewriting only removes text.
        if !hits.matched(i) {
            continue;
        }
        if let Cow::Owned(s) = apply(p, &out) {
            out = Cow::Owned(s);
        }
    }
    out
}

fn apply<'t>(p: &Pattern, text: &'t str) -> Cow<'t, str> {
    if !matches!(p.rep, Rep::Keyed) {
        let mut changed = false;
        let out = p.re().replace_all(text, |c: &Captures<'_>| {
            let whole = c.get(0).map_or("", |m| m.as_str());
            let r = rewrite(p, c, text);
            changed |= r != whole;
            r
        });
        return if changed { out } else { Cow::Borrowed(text) };
    }
    // Keyed forms can nest (`ye: client_secret=x`): a match whose name is no secret must not
    // hide the one inside its value, so the search resumes at the value, not after it.
    let mut out = String::new();
    let mut last = 0;
    let mut at = 0;
    while at <= text.len() {
        let Some(c) = p.re().captures_at(text, at) else {
            break;
        };
        let whole = c.get(0).expect("group 0");
        let v = c.name("v").unwrap_or(whole);
        let r = rewrite(p, &c, text);
        if r != whole.as_str() {
            out.push_str(&text[last..whole.start()]);
            out.push_str(&r);
            last = whole.end();
            at = whole.end().max(whole.start() + 1);
        } else {
            at = if v.start() > whole.start() {
                v.start()
            } else {
                whole.start() + 1
            };
        }
        while at < text.len() && !text.is_char_boundary(at) {
            at += 1;
        }
    }
    if last == 0 && out.is_empty() {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// The replacement for one match.
fn rewrite(p: &Pattern, c: &Captures<'_>, text: &str) -> String {
    let whole = c.get(0).expect("group 0");
    let keep = || whole.as_str().to_string();
    match &p.rep {
        Rep::Fixed(t) => {
            let mut r = String::new();
            c.expand(t, &mut r);
            r
        }
        Rep::Credential => {
            let v = c.name("v").map_or("", |m| m.as_str());
            if v == REDACTED || !looks_like_credential(v) {
                return keep();
            }
            format!("{}{REDACTED}", &c["k"])
        }
        Rep::Keyed => {
            let (Some(k), Some(v)) = (c.name("k"), c.name("v")) else {
                return keep();
            };
            let name = k.as_str().trim_start_matches('-');
            if !is_secret_key(name) || is_page_token_text(name, &text[..whole.start()]) {
                return keep();
            }
            // `word: rest` is how Go wraps errors ("failed to get token: 401 Unauthorized"):
            // with a spaced colon only an unmistakable name counts.
            let spaced_colon = c
                .name("sep")
                .is_some_and(|s| s.as_str().starts_with(':') && s.as_str().len() > 1);
            if spaced_colon && !unmistakable(name) {
                return keep();
            }
            let val = v.as_str();
            let (open, close) = quotes(val);
            if &val[open.len()..val.len() - close.len()] == REDACTED {
                return keep();
            }
            let mut r = String::with_capacity(whole.len());
            r.push_str(&text[whole.start()..v.start()]);
            r.push_str(open);
            r.push_str(REDACTED);
            r.push_str(close);
            r.push_str(&text[v.end()..whole.end()]);
            r
        }
    }
}

/// A secret name that is never a prose word: several words (`access_token`, `X-Api-Key`) or
/// one of a few that only name secrets.
fn unmistakable(name: &str) -> bool {
    name.bytes().any(|b| matches!(b, b'_' | b'-' | b'.'))
        || name.bytes().skip(1).any(|b| b.is_ascii_uppercase())
        || [
            "password",
            "passwd",
            "pwd",
            "secret",
            "passphrase",
            "apikey",
        ]
        .iter()
        .any(|w| name.eq_ignore_ascii_case(w))
}

/// The quotes around a value (`"x"`, `\"x\"`, `'x'`), kept so JSON stays JSON.
fn quotes(v: &str) -> (&str, &str) {
    for q in ["\\\"", "\"", "'"] {
        if v.len() >= 2 * q.len() && v.starts_with(q) && v.ends_with(q) {
            return (q, q);
        }
    }
    ("", "")
}

/// The SDK's `next page token unchanged (token=…` names a page token, not a credential: it
/// is the evidence of BL101.
fn is_page_token_text(name: &str, before: &str) -> bool {
    name.eq_ignore_ascii_case("token") && before.ends_with("unchanged (")
}

/// A credential has a digit, a symbol or an upper-case letter after its first character:
/// "basic authentication" is prose, "Basic dXNlcjpw…" is not (report D23).
fn looks_like_credential(v: &str) -> bool {
    v.bytes().skip(1).any(|b| !b.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_redacted() {
        let cases = [
            (
                "curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='",
                "dXNlcjpwYXNzd29yZA",
            ),
            ("Authorization: SSWS 00abcDEFghiJKL123", "00abcDEFghiJKL123"),
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
            // Flag names BL904 reads as credentials whatever their first bytes.
            ("run --client_secret=zz9-sec", "zz9-sec"),
            (
                "x -----0B855lient_secret=Zq9FuzzSecretQ7w",
                "Zq9FuzzSecretQ7w",
            ),
            ("x --0-api-token 00abcDEF123", "00abcDEF123"),
            ("\u{0}5client_secret=Zq9FuzzSecretQ7w", "Zq9FuzzSecretQ7w"),
            ("id _api_key=Zq9FuzzSecretQ7w", "Zq9FuzzSecretQ7w"),
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
            ("glpat-z_sxgtrfAxKr8q1TPY8Y", "z_sxgtrfAxKr8q1TPY8Y"),
            ("xoxb-1234567890-abcdefghij", "xoxb-1234567890"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA\\n-----END RSA PRIVATE KEY-----",
                "MIIEowIBAAKCAQEA",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0BAQEF\n-----END PRIVATE KEY-----",
                "kqhkiG9w0BAQEF",
            ),
            ("dial https://svc:pw0rd@api.example.com/v1", "pw0rd"),
            ("postgres://admin:PgPass123@db:5432/app", "PgPass123"),
            ("ldaps://cn=admin:LdapPw9@ldap.example.com", "LdapPw9"),
            ("root:MyPw1@tcp(127.0.0.1:3306)/app", "MyPw1"),
            (
                r#"level=error msg="login failed" password="hunter2""#,
                "hunter2",
            ),
            ("client_secret='s3cr3t'", "s3cr3t"),
            ("{Username:bob Password:hunter2 Host:x}", "hunter2"),
            (
                "secretAccessKey=wJalrXUtnFEMIK7MDENG",
                "wJalrXUtnFEMIK7MDENG",
            ),
            ("access_token%3Dabc123def%26x", "abc123def"),
            (
                r#"body: {"access_token":"at-123","expires_in":3600}"#,
                "at-123",
            ),
            (r#"{\"client_secret\":\"cs-9\"}"#, "cs-9"),
            ("Cookie: sid=abc123; csrftoken=xyz", "abc123"),
            ("X-Api-Key: k3y-value-123", "k3y-value-123"),
            ("pagerduty_api_key=pd-key-123", "pd-key-123"),
            ("nextcloud_password=nc-pw-1", "nc-pw-1"),
            (
                "AIzaSyA1234567890abcdefghijklmnopqrstuv",
                "AIzaSyA1234567890",
            ),
            ("sk_live_1234567890abcdefXYZ", "sk_live_1234567890"),
            // found by the fuzzer: a keyed form inside the value of one that is not a secret
            ("\x05ye: client_secret=Zq9FuzzSecretQ7w", "Zq9FuzzSecretQ7w"),
        ];
        for (input, secret) in cases {
            let out = redact_text(input);
            assert!(!out.contains(secret), "{input} -> {out}");
            assert!(out.contains(REDACTED), "{out}");
            assert_eq!(redact_text(&out), out, "idempotent on {input}");
        }
    }

    #[test]
    fn plain_text_and_page_tokens_are_untouched() {
        for clean in [
            "next page token unchanged (token=eyJwYWdlIjoyfQ==, type=user)",
            "Syncing resources...",
            "the API requires basic authentication",
            "page_token=abc123 next_page_token=def456",
            "error: context deadline exceeded",
            "synced user Пользователь 42 at https://api.example.com/v2/users",
            "failed to get token: 401 Unauthorized",
            "oauth2: cannot fetch token: invalid_client",
            "invalid signature: crypto/rsa: verification error",
        ] {
            assert!(
                matches!(redact_text(clean), Cow::Borrowed(_)),
                "{clean} -> {}",
                redact_text(clean)
            );
        }
        // …but a real secret shape after that text is still a secret.
        let slack = "next page token unchanged (xoxr-1234567890-abcdefghij";
        assert!(!redact_text(slack).contains("xoxr-1234567890"));
    }
}
