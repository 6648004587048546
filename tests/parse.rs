//! Pins the parsed events of every parser corpus file (kind, line range, time, level, message,
//! key fields), and checks that every line of every corpus file is accounted for.

use std::fmt::Write;

use baton_lint::event::Event;
use baton_lint::parse::{Line, Parser};

const KEY_FIELDS: &[&str] = &[
    "error",
    "count",
    "resource_type_id",
    "grpc.method",
    "grpc.code",
    "http.url_details.path",
    "http.url_details.query",
    "http.status_code",
    "status_code",
    "wait",
    "action.page_token",
    "panic.frame",
    "panic.location",
];

fn describe(ev: &Event<'_>, out: &mut String) {
    let ts = ev.ts.map_or("-".to_string(), |t| t.to_rfc3339());
    let level = ev.level.map_or("-", |l| l.as_str());
    let _ = write!(
        out,
        "L{}-{} {} ts={}{} level={} msg={:?}",
        ev.span.first_line,
        ev.span.last_line,
        ev.kind.as_str(),
        ts,
        if ev.ts_inherited { "(inherited)" } else { "" },
        level,
        ev.msg
    );
    for k in KEY_FIELDS {
        if let Some(v) = ev.get(k) {
            let _ = write!(out, " {k}={:?}", v.as_text());
        }
    }
    out.push('\n');
}

fn parse(text: &str) -> (String, baton_lint::stats::Stats) {
    let mut p = Parser::new();
    let mut out = String::new();
    let mut offset = 0u64;
    for (i, l) in text.lines().enumerate() {
        p.push(
            Line {
                text: l,
                number: i as u64 + 1,
                offset,
            },
            &mut |ev| describe(ev, &mut out),
        );
        offset += l.len() as u64 + 1;
    }
    p.finish(&mut |ev| describe(ev, &mut out));
    (out, p.stats)
}

#[test]
fn parser_corpus() {
    insta::glob!("../corpus", "{clean,parse}/*.log", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let (out, stats) = parse(&text);
        let newlines = text.bytes().filter(|b| *b == b'\n').count() as u64;
        assert_eq!(
            stats.lines,
            newlines,
            "{}: lines seen = wc -l",
            path.display()
        );
        assert_eq!(
            stats.lines_by_kind.total(),
            stats.lines,
            "{}: every line has a kind",
            path.display()
        );
        insta::assert_snapshot!(out);
    });
}
