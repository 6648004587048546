//! zap console lines (`--log-format console`): `TIME<TAB>LEVEL<TAB>CALLER<TAB>MSG[<TAB>{json}]`
//! with ISO8601 local time. Also accepts the same line after a terminal copy-paste turned the
//! tabs into runs of spaces. Grammar in nom.

use nom::{
    IResult,
    branch::alt,
    bytes::complete::{take_while_m_n, take_while1},
    character::complete::{char, one_of},
    combinator::{opt, recognize},
    sequence::{preceded, tuple},
};

use crate::event::{Level, Timestamp};

/// The columns of one console line, borrowed from it.
#[derive(Debug, PartialEq)]
pub struct ConsoleLine<'a> {
    pub ts: Timestamp,
    pub level: Level,
    pub caller: Option<&'a str>,
    pub msg: &'a str,
    /// The trailing JSON fields object, if any (still text).
    pub fields: Option<&'a str>,
}

fn digits(n: usize) -> impl Fn(&str) -> IResult<&str, &str> {
    move |i| take_while_m_n(n, n, |c: char| c.is_ascii_digit())(i)
}

fn num(s: &str) -> i64 {
    s.parse().unwrap_or(0)
}

/// `2025-08-22T14:04:23.409-0700`, `…Z`, `…+02:00`, fraction optional. Returns epoch nanos.
fn iso8601(i: &str) -> IResult<&str, Timestamp> {
    let (i, (y, _, mo, _, d, _, h, _, mi, _, s)) = tuple((
        digits(4),
        char('-'),
        digits(2),
        char('-'),
        digits(2),
        one_of("T "),
        digits(2),
        char(':'),
        digits(2),
        char(':'),
        digits(2),
    ))(i)?;
    let (i, frac) = opt(preceded(
        one_of(".,"),
        take_while_m_n(1, 9, |c: char| c.is_ascii_digit()),
    ))(i)?;
    let (i, off) = opt(alt((
        recognize(char('Z')),
        recognize(tuple((one_of("+-"), digits(2), opt(char(':')), digits(2)))),
    )))(i)?;
    let offset_secs = match off {
        None | Some("Z") => 0,
        Some(o) => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let hh = num(&o[1..3]);
            let mm = num(&o[o.len() - 2..]);
            sign * (hh * 3600 + mm * 60)
        }
    };
    let (mo, d) = (num(mo), num(d));
    let (h, mi, s) = (num(h), num(mi), num(s));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Verify,
        )));
    }
    let days = days_from_civil(num(y), mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset_secs;
    // The range a JSON `ts` is taken in (`Timestamp::from_epoch_secs`): a year before 1970 or
    // after 2255 is no log time, and its nanoseconds would not fit an i64 (the fuzzer's
    // `"ts":"9301-11-30T12:44:02…"` overflowed here).
    if !(0..=crate::event::MAX_EPOCH_SECS).contains(&secs) {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Verify,
        )));
    }
    let nanos = frac
        .map(|f| num(f) * 10i64.pow(9 - f.len() as u32))
        .unwrap_or(0);
    Ok((i, Timestamp(secs * 1_000_000_000 + nanos)))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses a console/ISO8601 time string on its own (also used for string `ts` in JSON).
pub fn parse_time(s: &str) -> Option<Timestamp> {
    match iso8601(s.trim()) {
        Ok(("", t)) => Some(t),
        _ => None,
    }
}

fn sep(i: &str) -> IResult<&str, &str> {
    take_while1(|c| c == '\t' || c == ' ')(i)
}

fn level(i: &str) -> IResult<&str, Level> {
    let (rest, word) = take_while1(|c: char| c.is_ascii_alphabetic())(i)?;
    match Level::parse(word) {
        Some(l) => Ok((rest, l)),
        None => Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Tag,
        ))),
    }
}

/// `dir/file.go:123` — zap's short caller.
fn caller(i: &str) -> IResult<&str, &str> {
    let (rest, word) = take_while1(|c: char| !c.is_whitespace())(i)?;
    let ok = word.rsplit_once(':').is_some_and(|(f, n)| {
        f.ends_with(".go") && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    });
    if ok {
        Ok((rest, word))
    } else {
        Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Tag,
        )))
    }
}

/// Parses one console line; `None` if it is not one.
pub fn parse_line(line: &str) -> Option<ConsoleLine<'_>> {
    // Cheap reject: a console line starts with a 4-digit year and '-'.
    let b = line.as_bytes();
    if b.len() < 20 || !b[0].is_ascii_digit() || b[4] != b'-' {
        return None;
    }
    let (i, ts) = iso8601(line).ok()?;
    let (i, _) = sep(i).ok()?;
    let (i, level) = level(i).ok()?;
    let (i, _) = sep(i).ok()?;
    // The caller column is optional in zap (AddCaller off).
    let (i, caller) = match tuple((caller, sep))(i) {
        Ok((rest, (c, _))) => (rest, Some(c)),
        Err(_) => (i, None),
    };
    let body = i.trim_end_matches(['\r', '\n']);
    let (msg, fields) = split_fields(body);
    Some(ConsoleLine {
        ts,
        level,
        caller,
        msg: msg.trim_end(),
        fields,
    })
}

/// Splits `MSG<TAB>{json}` (or `MSG   {json}` after tab expansion) into message and fields:
/// the leftmost `{` preceded by a tab or space whose remainder is one JSON object.
fn split_fields(body: &str) -> (&str, Option<&str>) {
    let trimmed = body.trim_end();
    if !trimmed.ends_with('}') {
        return (body, None);
    }
    let bytes = trimmed.as_bytes();
    // Prefer a tab separator: that is how zap writes it.
    for pass_tab in [true, false] {
        let mut from = 0;
        while let Some(pos) = memchr::memchr(b'{', &bytes[from..]).map(|p| p + from) {
            from = pos + 1;
            if pos == 0 {
                continue;
            }
            let prev = bytes[pos - 1];
            let ok_sep = if pass_tab {
                prev == b'\t'
            } else {
                prev == b' '
            };
            if !ok_sep {
                continue;
            }
            let cand = &trimmed[pos..];
            if crate::parse::json::parse_record(cand, false).is_some() {
                return (trimmed[..pos].trim_end_matches(['\t', ' ']), Some(cand));
            }
        }
    }
    (body, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_separated_line_with_fields() {
        let l = "2025-08-22T14:04:24.883-0700\tINFO\tprogresslog/progresslog.go:203\tSynced resources\t{\"resource_type_id\": \"team\", \"count\": 57}";
        let c = parse_line(l).unwrap();
        assert_eq!(c.level, Level::Info);
        assert_eq!(c.caller, Some("progresslog/progresslog.go:203"));
        assert_eq!(c.msg, "Synced resources");
        assert_eq!(
            c.fields,
            Some("{\"resource_type_id\": \"team\", \"count\": 57}")
        );
        assert_eq!(c.ts.to_rfc3339(), "2025-08-22T21:04:24.883Z");
    }

    #[test]
    fn spaces_instead_of_tabs() {
        let l = "2025-08-22T14:04:23.409-0700    INFO    sync/syncer.go:1278     Syncing resource types...";
        let c = parse_line(l).unwrap();
        assert_eq!(c.msg, "Syncing resource types...");
        assert_eq!(c.fields, None);
        let l = "2025-08-22T14:05:02.117-0700    WARN    uhttp/wrapper.go:586    base-http-client: HTTP error status     {\"status_code\": 429}";
        let c = parse_line(l).unwrap();
        assert_eq!(c.msg, "base-http-client: HTTP error status");
        assert_eq!(c.fields, Some("{\"status_code\": 429}"));
    }

    #[test]
    fn utc_and_braces_in_message() {
        let l = "2025-08-22T21:04:23.392Z\tERROR\tconnector/org.go:88\tbad {thing} here";
        let c = parse_line(l).unwrap();
        assert_eq!(c.msg, "bad {thing} here");
        assert_eq!(c.fields, None);
        assert_eq!(c.ts.to_rfc3339(), "2025-08-22T21:04:23.392Z");
    }

    #[test]
    fn not_console() {
        assert!(parse_line("2025-08-22 something else entirely").is_none());
        assert!(parse_line("2025-13-22T14:04:23.409-0700\tINFO\tx.go:1\tm").is_none());
        assert!(parse_line("runner: error processing task").is_none());
        assert_eq!(
            parse_time("2025-08-22T14:04:23-07:00")
                .unwrap()
                .to_rfc3339(),
            "2025-08-22T21:04:23.000Z"
        );
    }

    /// A time outside 1970..2255 is no log time (its nanoseconds overflowed an i64: fuzzing,
    /// `zap_scan`); the edges of the range still are.
    #[test]
    fn a_time_out_of_range_is_no_time() {
        for t in [
            "9301-11-30T12:44:02Z",
            "0000-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2262-04-11T23:47:16.854775808Z",
            "1970-01-01T00:30:00+01:00",
        ] {
            assert_eq!(parse_time(t), None, "{t}");
        }
        assert_eq!(
            parse_time("1970-01-01T00:00:00Z").map(|t| t.as_secs_f64()),
            Some(0.0)
        );
        let last = parse_time("2255-03-14T16:00:00.999999999Z").unwrap();
        assert_eq!(last.to_rfc3339(), "2255-03-14T16:00:00.999Z");
        assert_eq!(parse_time("2255-03-14T16:00:01Z"), None);
    }
}
