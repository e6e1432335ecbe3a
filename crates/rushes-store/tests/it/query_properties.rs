//! Hostile queries: the query parser never panics, and a refusal points at a byte offset
//! inside the query, on a character boundary (callers underline the query from there).

use proptest::prelude::*;
use proptest::test_runner::Config;
use rushes_store::query::parse;

/// Pieces users (and attackers) type: filter names, quotes, negation, dates, durations,
/// multi-byte text and control characters, glued together in any order.
fn query_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "kind:",
            "kind:video",
            "kind:photo",
            "kind:",
            "folder:",
            "camera:",
            "tag:",
            "date:",
            "duration:",
            "asset:",
            "nosuch:",
            "-",
            "--",
            "\"",
            "\"\"",
            ":",
            "::",
            " ",
            "  ",
            "\t",
            "\n",
            "2024-",
            "2024-02-30",
            "2024-01-01..2024-12-31",
            "..",
            ">",
            "<",
            ">=",
            "<=",
            "10s",
            "1m",
            "1h",
            "-5s",
            "99999999999999999999999",
            "1e309",
            "NaN",
            "é",
            "日本",
            "🎬",
            "\u{0}",
            "\u{feff}",
            "\u{301}",
            "\\",
            "'",
            "*",
            "(",
            ")",
            "scene",
            "take 3",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,6}",
    ]
}

fn hostile_query() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(query_fragment(), 0..12).prop_map(|parts| parts.concat()),
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(Config { cases: 2000, failure_persistence: None, ..Config::default() })]

    #[test]
    fn query_parser_never_panics_and_errors_point_inside_the_query(query in hostile_query()) {
        if let Err(error) = parse(&query) {
            prop_assert!(
                error.offset <= query.len(),
                "offset {} beyond a {}-byte query {query:?}: {error}",
                error.offset,
                query.len()
            );
            prop_assert!(
                query.is_char_boundary(error.offset),
                "offset {} splits a character of {query:?}: {error}",
                error.offset
            );
            prop_assert!(!error.message.is_empty(), "empty message for {query:?}");
        }
    }
}
