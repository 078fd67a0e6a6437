//! `reply` fuzz target: see [`netgear_fuzz::check_reply`].
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| netgear_fuzz::check_reply(input));
