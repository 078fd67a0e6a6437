//! `h264` fuzz target: see [`netgear_fuzz::check_h264`].
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| netgear_fuzz::check_h264(input));
