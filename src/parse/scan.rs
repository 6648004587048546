//! The zap record scanner: one pass over a line that holds one JSON object, handing back each
//! top-level member's key and the exact text of its value, and checking the JSON grammar on the
//! way as serde_json does (strings, escapes, control characters, numbers, literals, nested
//! objects and arrays, trailing bytes). It builds nothing: values stay spans of the line, and
//! [`crate::event::Value::from_json_text`] decodes one only when the record is assembled.
//!
//! It is sure of a line or it declines: a key with an escape, nesting past 64 levels and any
//! grammar error make [`members`] return `false`, and the caller hands the line to serde_json,
//! which stays the oracle. The fuzz target `zap_scan` checks that the two always agree.

/// Calls `member(key, value, plain)` for each top-level member of the JSON object `text`, in
/// order (`plain`: the value is a string without escapes), and returns `true` when the whole
/// text is that one object. On `false` the members already
/// passed belong to no record: the text must go to serde_json.
pub fn members<'a>(text: &'a str, mut member: impl FnMut(&'a str, &'a str, bool)) -> bool {
    let b = text.as_bytes();
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return false;
    }
    i = ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return ws(b, i + 1) == b.len();
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return false;
        }
        let Some((key_end, escaped)) = string(b, i + 1) else {
            return false;
        };
        // An escaped key would need unescaping: rare enough to leave to serde_json.
        if escaped {
            return false;
        }
        let key = &text[i + 1..key_end];
        i = ws(b, key_end + 1);
        if b.get(i) != Some(&b':') {
            return false;
        }
        i = ws(b, i + 1);
        let (end, plain) = match b.get(i) {
            Some(b'"') => match string(b, i + 1) {
                Some((close, escaped)) => (close + 1, !escaped),
                None => return false,
            },
            _ => match value(b, i) {
                Some(end) => (end, false),
                None => return false,
            },
        };
        member(key, &text[i..end], plain);
        i = ws(b, end);
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b'}') => return ws(b, i + 1) == b.len(),
            _ => return false,
        }
    }
}

/// JSON's whitespace (RFC 8259 §2), the same four bytes serde_json skips.
fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// The end (exclusive) of the value starting at `i`.
fn value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'{' | b'[' => nested(b, i),
        _ => scalar(b, i),
    }
}

/// A string, number, `true`, `false` or `null` starting at `i`: its end.
fn scalar(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string(b, i + 1).map(|(end, _)| end + 1),
        b'-' | b'0'..=b'9' => number(b, i),
        b't' => literal(b, i, b"true"),
        b'f' => literal(b, i, b"false"),
        b'n' => literal(b, i, b"null"),
        _ => None,
    }
}

fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    b.get(i..i + word.len())
        .is_some_and(|w| w == word)
        .then_some(i + word.len())
}

/// The string whose contents start at `i` (after the opening quote): the index of its closing
/// quote, and whether it held an escape. Escapes are checked as serde_json checks them when it
/// skips a string: one of `"\/bfnrt`, or `u` and four hex digits (a lone surrogate passes, as
/// there; decoding the value later decides what it becomes). Raw control characters are errors.
fn string(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    loop {
        let at = next_special(b, i)?;
        match b[at] {
            b'"' => return Some((at, escaped)),
            b'\\' => {}
            _ => return None,
        }
        escaped = true;
        i = match *b.get(at + 1)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => at + 2,
            b'u' => {
                let hex = b.get(at + 2..at + 6)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                at + 6
            }
            _ => return None,
        };
    }
}

/// The first `"`, `\\` or control character at or after `i`, eight bytes at a time (the
/// classic SWAR zero-byte test: for each of the three, the lowest flagged byte is exact).
fn next_special(b: &[u8], mut i: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let quote = w ^ (ONES * u64::from(b'"'));
        let slash = w ^ (ONES * u64::from(b'\\'));
        let found = ((quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGH;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|p| i + p)
}

/// A number as RFC 8259 §6 writes it (serde_json's grammar): `-`, then `0` or a digit run not
/// starting with 0, then optionally `.digits` and `e[+-]digits`.
fn number(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i > start).then_some(i)
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match *b.get(i)? {
        b'0' => {
            i += 1;
            if b.get(i).is_some_and(u8::is_ascii_digit) {
                return None;
            }
        }
        b'1'..=b'9' => i = digits(i)?,
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        i = digits(i + 1)?;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        i = digits(i)?;
    }
    Some(i)
}

/// How deep [`nested`] follows objects and arrays before it declines (a bit per level).
const MAX_DEPTH: u32 = 64;

/// The object or array starting at `i`: its end. Iterative, one bit per open level.
fn nested(b: &[u8], mut i: usize) -> Option<usize> {
    // Bit 0 is the innermost level: 1 for an object, 0 for an array.
    let mut stack: u64 = 0;
    let mut depth = 0u32;
    // Whether a value is expected at `i` (else a `,` or the closing bracket).
    let mut want_value = true;
    loop {
        if want_value {
            match *b.get(i)? {
                open @ (b'{' | b'[') => {
                    if depth == MAX_DEPTH {
                        return None;
                    }
                    let object = open == b'{';
                    stack = (stack << 1) | u64::from(object);
                    depth += 1;
                    i = ws(b, i + 1);
                    let close = if object { b'}' } else { b']' };
                    if b.get(i) == Some(&close) {
                        want_value = false;
                    } else if object {
                        i = member_key(b, i)?;
                    }
                }
                _ => {
                    i = scalar(b, i)?;
                    want_value = false;
                }
            }
        } else {
            i = ws(b, i);
            let object = stack & 1 == 1;
            match (*b.get(i)?, object) {
                (b',', _) => {
                    i = ws(b, i + 1);
                    if object {
                        i = member_key(b, i)?;
                    }
                    want_value = true;
                }
                (b'}', true) | (b']', false) => {
                    i += 1;
                    stack >>= 1;
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => return None,
            }
        }
    }
}

/// A nested object's `"key"` and `:` at `i`: where its value starts.
fn member_key(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let (end, _) = string(b, i + 1)?;
    let i = ws(b, end + 1);
    (b.get(i) == Some(&b':')).then(|| ws(b, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanned(t: &str) -> Option<Vec<(&str, &str)>> {
        let mut out = Vec::new();
        members(t, |k, v, plain| {
            assert_eq!(plain, v.starts_with('"') && !v.contains('\\'), "{v}");
            out.push((k, v))
        })
        .then_some(out)
    }

    #[test]
    fn members_are_keys_and_exact_value_text() {
        let t = r#" { "level" : "info","ts":1.5e3 ,"a":{"b":[1,{"c":null}],"d":"x\"}"},"e":[] , "f":true}  "#;
        assert_eq!(
            scanned(t).unwrap(),
            vec![
                ("level", "\"info\""),
                ("ts", "1.5e3"),
                ("a", r#"{"b":[1,{"c":null}],"d":"x\"}"}"#),
                ("e", "[]"),
                ("f", "true"),
            ]
        );
        assert_eq!(scanned("{}").unwrap(), vec![]);
    }

    #[test]
    fn the_special_byte_is_found_at_every_offset() {
        for special in [b'"', b'\\', 0x00, 0x1f] {
            for len in 0..20 {
                for at in 0..len {
                    // Bytes on both sides of the test's edge cases: 0x20, 0x7f, 0x80, 0xff.
                    let mut v: Vec<u8> = (0..len)
                        .map(|k| [b'a', 0x20, 0x7f, 0x80, 0xff][k % 5])
                        .collect();
                    v[at] = special;
                    assert_eq!(next_special(&v, 0), Some(at), "{v:?}");
                    if at > 0 {
                        assert_eq!(next_special(&v, at), Some(at));
                    }
                }
                let v: Vec<u8> = (0..len)
                    .map(|k| [b'a', 0x20, 0x7f, 0x80, 0xff][k % 5])
                    .collect();
                assert_eq!(next_special(&v, 0), None);
            }
        }
    }

    #[test]
    fn what_json_refuses_is_declined() {
        for t in [
            "",
            "[1]",
            "{",
            r#"{"a":1"#,
            r#"{"a":1,}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":[,1]}"#,
            r#"{"a":01}"#,
            r#"{"a":-}"#,
            r#"{"a":1.}"#,
            r#"{"a":1e}"#,
            r#"{"a":.5}"#,
            r#"{"a":tru}"#,
            r#"{"a":truex}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12G4"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":{"b"}}"#,
            r#"{"a":{"b":1]}"#,
            r#"{"a":[1}"#,
            r#"{"a":1} x"#,
            r#"{a:1}"#,
            r#"{"a\"b":1}"#,
        ] {
            assert!(scanned(t).is_none(), "{t:?}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(64), "]".repeat(64));
        assert!(scanned(&deep).is_some());
        let deeper = format!("{{\"a\":{}{}}}", "[".repeat(65), "]".repeat(65));
        assert!(
            scanned(&deeper).is_none(),
            "past 64 levels serde_json decides"
        );
    }
}
