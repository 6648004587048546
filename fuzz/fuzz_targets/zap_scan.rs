//! The zap record scanner against serde_json on arbitrary bytes and mutated zap records: the
//! two must read every line the same (differential).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| baton_lint::fuzzing::zap_scan(data));
