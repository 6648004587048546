//! `baton-lint events`: the parsed events, one JSON object per line, as they are parsed.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use anyhow::Result;
use serde_json::{Map, Value as J, json};

use super::{EXIT_CLEAN, EXIT_ERROR};
use crate::cli::EventsArgs;
use crate::event::{Event, EventKind, Value};
use crate::input::{self, for_each_line};
use crate::parse::{Line, Parser};
use crate::redact::LineRedactor;

/// One event as JSON, redacted. `lines` carries a PEM block across the text events of its
/// lines (the parser gives each text line its own event).
pub fn event_json(path: &str, ev: &Event<'_>, lines: &mut LineRedactor) -> J {
    let msg = if ev.kind == EventKind::Text {
        let parts: Vec<String> = ev
            .msg
            .split('\n')
            .map(|l| lines.line(l).into_owned())
            .collect();
        parts.join("\n")
    } else {
        *lines = LineRedactor::default();
        crate::redact::redact(&ev.msg).into_owned()
    };
    let mut fields = Map::new();
    for (k, v) in &ev.fields {
        let j = match v {
            Value::Num(_) | Value::Bool(_) | Value::Json(_) if crate::redact::is_secret_key(k) => {
                J::String(crate::redact::REDACTED.into())
            }
            Value::Str(s) => J::String(crate::redact::redact_field(k, s).into_owned()),
            Value::Num(n) => json!(n),
            Value::Bool(b) => J::Bool(*b),
            Value::Null => J::Null,
            Value::Json(t) => {
                let clean = crate::redact::redact(t);
                serde_json::from_str(&clean).unwrap_or_else(|_| J::String(clean.into_owned()))
            }
        };
        fields.insert(k.to_string(), j);
    }
    json!({
        "path": crate::redact::redact(path),
        "kind": ev.kind.as_str(),
        "lines": [ev.span.first_line, ev.span.last_line],
        "offset": ev.span.byte_offset,
        "ts": ev.ts.map(|t| t.to_rfc3339()),
        "ts_inherited": ev.ts_inherited,
        "level": ev.level.map(|l| l.as_str()),
        "caller": ev.caller.as_deref().map(crate::redact::redact),
        "msg": msg,
        "error": ev.error.as_deref().map(crate::redact::redact),
        "fields": fields,
    })
}

/// Parses `src` and writes its events to `out`.
pub fn write_events<R: Read + Send + 'static>(
    src: R,
    path: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut parser = Parser::new();
    let mut n = 0u64;
    let mut err: Option<io::Error> = None;
    let mut lines = LineRedactor::default();
    let mut emit = |ev: &Event<'_>, err: &mut Option<io::Error>| {
        if err.is_none() {
            if let Err(e) = writeln!(out, "{}", event_json(path, ev, &mut lines)) {
                *err = Some(e);
            }
        }
    };
    input::stream(src, input::DEFAULT_MAX_LINE_BYTES, |chunk| {
        for_each_line(chunk, |l| {
            n += 1;
            parser.push(
                Line {
                    text: &l.text,
                    number: n,
                    offset: l.offset,
                },
                &mut |ev| emit(ev, &mut err),
            );
        });
        err.is_none()
    })?;
    parser.finish(&mut |ev| emit(ev, &mut err));
    match err {
        Some(e) => Err(e),
        None => out.flush(),
    }
}

/// Runs `events`.
pub fn run(args: &EventsArgs) -> Result<u8> {
    let mut out = io::stdout().lock();
    let files: Vec<&Path> = if args.files.is_empty() {
        vec![Path::new("-")]
    } else {
        args.files.iter().map(|p| p.as_path()).collect()
    };
    let mut code = EXIT_CLEAN;
    for f in files {
        let res = if f == Path::new("-") {
            write_events(io::stdin(), "-", &mut out)
        } else {
            File::open(f).and_then(|file| write_events(file, &f.display().to_string(), &mut out))
        };
        match res {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(EXIT_CLEAN),
            Err(e) => {
                eprintln!("baton-lint: {}: {e}", f.display());
                code = EXIT_ERROR;
            }
        }
    }
    Ok(code)
}
