//! The committed fuzz corpora (`fuzz/corpus/subtitles`, `fuzz/corpus/ffprobe_json`) replayed
//! through the same checks as the fuzz targets: a few seconds in `make test`, so a crash
//! the fuzzer once found stays fixed.

use rushes_testkit::{TestError, fuzz_corpus};

use crate::fuzz_checks::{check_ffprobe_json, check_subtitles};

fn replay(target: &str, check: fn(&[u8])) -> Result<(), TestError> {
    for (name, bytes) in fuzz_corpus(target)? {
        let outcome = std::panic::catch_unwind(|| check(&bytes));
        assert!(
            outcome.is_ok(),
            "fuzz/corpus/{target}/{name} fails its check"
        );
    }
    Ok(())
}

#[test]
fn subtitle_corpus_parses_without_panics_into_ordered_cues() -> Result<(), TestError> {
    replay("subtitles", check_subtitles)
}

#[test]
fn ffprobe_json_corpus_reads_without_panics_into_plausible_facts() -> Result<(), TestError> {
    replay("ffprobe_json", check_ffprobe_json)
}
