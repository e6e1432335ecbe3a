//! The committed fuzz corpora (`fuzz/corpus/subtitles`, `fuzz/corpus/ffprobe_json`) replayed
//! through the same checks as the fuzz targets: a few seconds in `make test`, so a crash
//! the fuzzer once found stays fixed.

use std::path::PathBuf;

use crate::fuzz_checks::{check_ffprobe_json, check_subtitles};

/// Every file of one target's corpus, with its name for the failure message.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let bytes = std::fs::read(entry.path()).ok()?;
            Some((entry.file_name().to_string_lossy().into_owned(), bytes))
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "{} holds only {} inputs",
        dir.display(),
        files.len()
    );
    files
}

fn replay(target: &str, check: fn(&[u8])) {
    for (name, bytes) in corpus(target) {
        let outcome = std::panic::catch_unwind(|| check(&bytes));
        assert!(
            outcome.is_ok(),
            "fuzz/corpus/{target}/{name} fails its check"
        );
    }
}

#[test]
fn subtitle_corpus_parses_without_panics_into_ordered_cues() {
    replay("subtitles", check_subtitles);
}

#[test]
fn ffprobe_json_corpus_reads_without_panics_into_plausible_facts() {
    replay("ffprobe_json", check_ffprobe_json);
}
