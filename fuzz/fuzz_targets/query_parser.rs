//! Fuzzes the search query parser (`rushes_store::query::parse`).
#![no_main]

#[path = "../../crates/rushes-server/tests/it/fuzz_checks.rs"]
#[allow(dead_code)]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| fuzz_checks::check_query_text(bytes));
