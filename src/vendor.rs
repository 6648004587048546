//! The vendor vocabulary: how each SaaS API (and its Go SDK) words an authentication,
//! permission, rate-limit, endpoint or feature failure, as data — one `vendors/<vendor>.toml`
//! per vendor, each string with its source in a comment. Rules share it through derived values
//! (`vendor`, `vendor_class`, `vendor_text`, `vendor_fix`): a vendor's own token beats the HTTP
//! status number, which lies in both directions (GitHub and Salesforce send rate limits as 403,
//! Snowflake and Salesforce permission errors as 422 / 400, Slack everything as 200).

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::Deserialize;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_vendors.rs"));
}

/// What kind of failure a token names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Class {
    /// Credentials invalid, expired or revoked (401-like).
    #[serde(rename = "AUTH")]
    Auth,
    /// Authenticated, but a role, scope or licence is missing (403-like).
    #[serde(rename = "PERM")]
    Perm,
    /// Throttled (429-like).
    #[serde(rename = "RATE")]
    Rate,
    /// Wrong URL, host, tenant or scheme; an HTML page instead of the API.
    #[serde(rename = "ENDPOINT")]
    Endpoint,
    /// The product, API or feature is not enabled.
    #[serde(rename = "FEATURE")]
    Feature,
    /// Transport.
    #[serde(rename = "NET")]
    Net,
}

impl Class {
    /// The name rules compare with (`vendor_class = "PERM"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Auth => "AUTH",
            Class::Perm => "PERM",
            Class::Rate => "RATE",
            Class::Endpoint => "ENDPOINT",
            Class::Feature => "FEATURE",
            Class::Net => "NET",
        }
    }

    /// Parses a class name.
    pub fn parse(s: &str) -> Option<Class> {
        [
            Class::Auth,
            Class::Perm,
            Class::Rate,
            Class::Endpoint,
            Class::Feature,
            Class::Net,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    vendor: String,
    /// A protocol's vocabulary (OAuth 2.0): searched after every vendor's own.
    #[serde(default)]
    generic: bool,
    tokens: Vec<TokenSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenSpec {
    text: String,
    class: Class,
    fix: String,
}

/// One vendor string.
#[derive(Debug)]
pub struct Token {
    pub vendor: String,
    pub text: String,
    pub class: Class,
    pub fix: String,
}

/// The vocabulary: tokens in priority order (vendors' files in name order, each file's tokens
/// in its order, generic files last) and one automaton over them.
pub struct Vocabulary {
    pub tokens: Vec<Token>,
    ac: Option<AhoCorasick>,
}

/// What a text says in a vendor's words.
#[derive(Debug, PartialEq)]
pub struct Hit<'t> {
    pub vendor: &'static str,
    pub class: Class,
    /// The matching slice of the text.
    pub token: &'t str,
    pub fix: &'static str,
}

impl Vocabulary {
    /// Builds the vocabulary from `(path, toml)` files; an error names the file.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Vocabulary, String> {
        let mut specs = Vec::new();
        for (path, text) in files {
            let spec: FileSpec = toml::from_str(text).map_err(|e| format!("{path}: {e}"))?;
            specs.push(spec);
        }
        specs.sort_by_key(|s| s.generic);
        let mut tokens = Vec::new();
        for s in specs {
            for t in s.tokens {
                if t.text.len() < 4 {
                    return Err(format!("{}: token `{}` is too short", s.vendor, t.text));
                }
                tokens.push(Token {
                    vendor: s.vendor.clone(),
                    text: t.text,
                    class: t.class,
                    fix: t.fix,
                });
            }
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(tokens.iter().map(|t| t.text.as_str()))
            .map_err(|e| e.to_string())?;
        Ok(Vocabulary {
            tokens,
            ac: Some(ac),
        })
    }

    /// The highest-priority token that occurs in `text`.
    pub fn find<'t>(&'static self, text: &'t str) -> Option<Hit<'t>> {
        let ac = self.ac.as_ref()?;
        let m = ac
            .find_overlapping_iter(text)
            .min_by_key(|m| m.pattern().as_usize())?;
        let t = &self.tokens[m.pattern().as_usize()];
        Some(Hit {
            vendor: &t.vendor,
            class: t.class,
            token: &text[m.start()..m.end()],
            fix: &t.fix,
        })
    }

    /// The texts of every token of `class` (the literals a rule on `vendor_class` needs).
    pub fn texts_of(&self, class: Class) -> Vec<String> {
        self.tokens
            .iter()
            .filter(|t| t.class == class)
            .map(|t| t.text.clone())
            .collect()
    }
}

/// The built-in vocabulary (`vendors/*.toml`). Its files are checked by the tests; should one
/// ever fail to load, the vocabulary is empty and rules fall back to their own patterns.
pub static VOCABULARY: LazyLock<Vocabulary> = LazyLock::new(|| {
    Vocabulary::from_files(builtin::VENDORS).unwrap_or(Vocabulary {
        tokens: Vec::new(),
        ac: None,
    })
});

/// The vendor failure `text` names, if any.
pub fn find(text: &str) -> Option<Hit<'_>> {
    VOCABULARY.find(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_vocabulary_loads_and_covers_the_vendors() {
        let v = Vocabulary::from_files(builtin::VENDORS).expect("vendors/*.toml load");
        let vendors: std::collections::BTreeSet<&str> =
            v.tokens.iter().map(|t| t.vendor.as_str()).collect();
        assert!(vendors.len() >= 17, "{vendors:?}");
        assert_eq!(VOCABULARY.tokens.len(), v.tokens.len());
    }

    #[test]
    fn vendor_texts_beat_the_status_number_and_specific_beats_generic() {
        let h = find("GET https://api.github.com/orgs/acme/members: 403 API rate limit exceeded for installation ID 9. [rate reset in 12m30s]").unwrap();
        assert_eq!((h.vendor, h.class), ("GitHub", Class::Rate));
        let h = find("LDAP Result Code 49 \"Invalid Credentials\": 80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 775, v2580").unwrap();
        assert_eq!(h.class, Class::Auth);
        assert!(h.fix.contains("locked out"), "{}", h.fix);
        let h =
            find("AADSTS7000215: Invalid client secret provided. {\"error\":\"invalid_client\"}")
                .unwrap();
        assert_eq!(
            h.vendor, "Microsoft Entra ID",
            "a vendor's code before OAuth's"
        );
        assert_eq!(h.token, "AADSTS7000215");
        assert!(find("listing resources failed: 500 Internal Server Error").is_none());
    }
}
