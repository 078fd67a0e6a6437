//! `header` fuzz target: see [`netgear_fuzz::check_header`].
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| netgear_fuzz::check_header(input));
