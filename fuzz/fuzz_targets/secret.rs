//! A secret planted in arbitrary text never leaves: not through `redact`, not in a finding.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| baton_lint::fuzzing::secret_never_leaves(data));
