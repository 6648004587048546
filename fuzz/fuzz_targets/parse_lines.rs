//! Any bytes, split into lines, through the parser and the full rule set: no panic, and every
//! event's line range lies inside the input.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| baton_lint::fuzzing::parse_and_lint(data));
