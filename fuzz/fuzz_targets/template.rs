//! Message templates: parse and render anything.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| baton_lint::fuzzing::template(data));
