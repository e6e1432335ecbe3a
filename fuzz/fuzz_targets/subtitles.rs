//! Fuzzes the SRT/WebVTT sidecar parser (`rushes_media::parse_subtitles`).
#![no_main]

#[path = "../../crates/rushes-media/tests/it/fuzz_checks.rs"]
#[allow(dead_code)]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| fuzz_checks::check_subtitles(bytes));
