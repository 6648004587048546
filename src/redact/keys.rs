//! Which names are secrets: a field key, a header, a query parameter, a flag or a template
//! placeholder. Names are split into words (`aws_secret_access_key` → aws, secret, access, key;
//! `clientSecret` → client, secret; `X-Api-Key` → x, api, key) and judged word by word, so a
//! word merely *containing* `page` or `next` (`pagerduty_api_key`, `nextcloud_password`) is no
//! exemption, while a real page token (`page_token`, `nextPageToken`) stays readable: it is the
//! evidence of BL101/BL102 and not a credential.

/// Words that make any name a secret, wherever they stand.
const STRONG: &[&str] = &[
    "secret",
    "secrets",
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "apikey",
    "authorization",
    "cookie",
    "cookies",
    "credential",
    "credentials",
    "signature",
    "session",
    "jwt",
];

/// Two words that together make a secret (`private_key`, `client_assertion`).
const PAIRS: &[(&str, &str)] = &[
    ("private", "key"),
    ("client", "assertion"),
    ("api", "key"),
    ("access", "key"),
    ("signing", "key"),
    ("secret", "key"),
    ("encryption", "key"),
    ("auth", "token"),
    ("x", "token"),
];

/// Words that mark a token or key as a position in a listing, not a credential.
const PAGING: &[&str] = &[
    "page",
    "next",
    "cursor",
    "continuation",
    "pagination",
    "marker",
];

/// Words before a final `key` that name a non-secret key (`public_key`, `cache_key`).
const PLAIN_KEY: &[&str] = &[
    "public",
    "cache",
    "sort",
    "partition",
    "primary",
    "foreign",
    "idempotency",
    "resource",
    "group",
    "map",
    "lookup",
    "dedup",
    "row",
    "object",
    "s3",
];

/// True when `name` (a key, header, parameter, flag or dotted path) names a secret.
pub fn is_secret_key(name: &str) -> bool {
    // A dotted path (`http.headers.Authorization`) is judged by its last segment.
    let name = name.rsplit('.').next().unwrap_or(name);
    if name.len() > 128 {
        return false;
    }
    let mut words: [&str; 12] = [""; 12];
    let n = split_words(name, &mut words);
    let w = &words[..n];
    let is = |word: &str, list: &[&str]| list.iter().any(|l| word.eq_ignore_ascii_case(l));
    if w.iter().any(|x| is(x, STRONG)) {
        return true;
    }
    if w.windows(2).any(|p| {
        PAIRS
            .iter()
            .any(|(a, b)| p[0].eq_ignore_ascii_case(a) && p[1].eq_ignore_ascii_case(b))
    }) {
        return true;
    }
    let paging = w.iter().any(|x| is(x, PAGING));
    if w.iter().any(|x| is(x, &["token", "tokens"])) {
        return !paging;
    }
    if n >= 2 && w[n - 1].eq_ignore_ascii_case("key") {
        return !paging && !is(w[n - 2], PLAIN_KEY);
    }
    false
}

/// Splits `name` into its words at non-alphanumeric bytes and at lower→upper case changes;
/// returns how many were written (at most `out.len()`; the rest are dropped).
fn split_words<'a>(name: &'a str, out: &mut [&'a str]) -> usize {
    let b = name.as_bytes();
    let mut n = 0;
    let mut start = None;
    for i in 0..=b.len() {
        let c = b.get(i).copied();
        let alnum = c.is_some_and(|c| c.is_ascii_alphanumeric());
        let boundary = match (c, i.checked_sub(1).and_then(|j| b.get(j))) {
            (Some(c), Some(&p)) => {
                c.is_ascii_uppercase() && (p.is_ascii_lowercase() || p.is_ascii_digit())
            }
            _ => false,
        };
        if let Some(s) = start {
            if !alnum || boundary {
                if n < out.len() {
                    out[n] = &name[s..i];
                    n += 1;
                }
                start = None;
            }
        }
        if alnum && start.is_none() {
            start = Some(i);
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for k in [
            "password",
            "client_secret",
            "clientSecret",
            "aws_secret_access_key",
            "secretAccessKey",
            "x-api-key",
            "X-Api-Key",
            "apiKey",
            "apikey",
            "api_key",
            "pagerduty_api_key",
            "nextcloud_password",
            "Authorization",
            "Proxy-Authorization",
            "Cookie",
            "Set-Cookie",
            "token",
            "access_token",
            "refresh_token",
            "X-Auth-Token",
            "sessionToken",
            "private_key",
            "client_assertion",
            "signing_key",
            "credentials",
            "passphrase",
            "http.headers.Authorization",
            "Password",
            "db_pwd",
            "signature",
        ] {
            assert!(is_secret_key(k), "{k} should be a secret");
        }
    }

    #[test]
    fn plain_names() {
        for k in [
            "page_token",
            "pageToken",
            "next_page_token",
            "NextPageToken",
            "nextToken",
            "cursor",
            "msg",
            "error",
            "resource_type_id",
            "key",
            "public_key",
            "cache_key",
            "user",
            "host",
            "keyboard",
            "tokenizer_name",
            "monkey",
        ] {
            assert!(!is_secret_key(k), "{k} should not be a secret");
        }
    }
}
