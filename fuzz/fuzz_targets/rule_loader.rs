//! Any text as a rule file: an error or a rule, never a panic; loaded rules run on a sample.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| baton_lint::fuzzing::rule_loader(data));
