//! Fuzzes the reader of ffprobe's JSON (`rushes_media::media_info_from_ffprobe`).
#![no_main]

#[path = "../../crates/rushes-media/tests/it/fuzz_checks.rs"]
#[allow(dead_code)]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| fuzz_checks::check_ffprobe_json(bytes));
