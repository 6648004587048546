//! The redactor: no panic, and redacting twice changes nothing more.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| baton_lint::fuzzing::redact(data));
