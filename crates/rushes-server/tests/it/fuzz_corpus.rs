//! The committed fuzz corpora (`fuzz/corpus/query_parser`, `fuzz/corpus/search_query_string`)
//! replayed through the same checks as the fuzz targets, against a small real index: a few
//! seconds in `make test`, so a crash the fuzzer once found stays fixed.

use rushes_testkit::fuzz_corpus as corpus;

use crate::fuzz_checks::{check_query_text, check_search_query_string};
use crate::support::{TestResult, library, state};

#[test]
fn query_parser_corpus_parses_or_refuses_inside_the_query() -> TestResult {
    for (name, bytes) in corpus("query_parser")? {
        let outcome = std::panic::catch_unwind(|| check_query_text(&bytes));
        assert!(
            outcome.is_ok(),
            "fuzz/corpus/query_parser/{name} fails its check"
        );
    }
    Ok(())
}

#[tokio::test]
async fn search_query_string_corpus_answers_200_or_a_4xx_in_the_error_shape() -> TestResult {
    let library = library()?;
    let state = state(&library)?;
    for (name, bytes) in corpus("search_query_string")? {
        eprintln!("replaying fuzz/corpus/search_query_string/{name}");
        check_search_query_string(&state, &bytes).await;
    }
    Ok(())
}
