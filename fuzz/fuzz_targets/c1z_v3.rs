//! v3 `.c1z` files, Pebble sstables and MANIFESTs: read anything, never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| baton_lint::fuzzing::c1z_v3(data));
