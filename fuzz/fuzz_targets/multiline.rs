//! Pretty-printed JSON reassembly and panic traces: the input is wrapped so that it starts a
//! `jq` block (or a panic) and may or may not close it.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| baton_lint::fuzzing::multiline(data));
