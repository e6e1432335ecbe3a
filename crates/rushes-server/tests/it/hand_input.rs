//! What a careless or hostile user can send the API as hand text and queries: control
//! characters in tags, notes and collection names, a range past the end of the file, a
//! query none of whose words can be searched for. Each is a clear 400 (or an empty answer
//! with a notice) and changes nothing.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{
    Backend, TestResult, get_json, library_on, on_both_backends, post_json, state,
};

/// Regression: tags, notes and collection names took NUL and newlines, and a tag range
/// ending at 1e300 s was accepted; the store refuses them and the API answers 400.
async fn control_characters_and_ranges_past_the_end_are_refused_with_400(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let slate = library.slate.id.as_str();
    let annotations = format!("/api/assets/{slate}/annotations");
    for (body, says) in [
        (
            json!({"add": ["blooper\nreel"]}),
            "a tag cannot hold control characters",
        ),
        (
            json!({"add": ["good"], "note": "nul\u{0}byte"}),
            "a note cannot hold control characters",
        ),
        (
            json!({"start": 0.0, "end": 1e300, "add": ["late"]}),
            "ends after the file does",
        ),
    ] {
        let (status, answer) = post_json(&state, &annotations, body.clone()).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}: {answer}");
    }
    let (status, answer) = post_json(
        &state,
        "/api/collections",
        json!({"name": "sel\u{1b}[2Jects"}),
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, answer) = post_json(
        &state,
        "/api/collections/sel%0Aects/items",
        json!({"asset": slate}),
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");

    // Nothing of it was written.
    let (_, listed) = get_json(&state, &annotations).await?;
    assert_eq!(listed, json!([]));
    let (_, collections) = get_json(&state, "/api/collections").await?;
    assert_eq!(collections, json!([]), "{collections}");
    Ok(())
}

/// Regression: `((((` or a 48+ letter word listed the whole library; the answer is empty and
/// its `notice` says why.
async fn a_query_of_only_unsearchable_words_answers_nothing_and_why(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    for query in ["%28%28%28%28", &"abcdefghij".repeat(6)] {
        let (status, page) = get_json(&state, &format!("/api/search?q={query}")).await?;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["hits"], json!([]), "{query}: {page}");
        let notice = page["notice"].as_str().unwrap_or_default();
        assert!(notice.starts_with("nothing matches"), "{query}: {page}");
    }
    let (_, page) = get_json(&state, "/api/search?q=").await?;
    assert!(page.get("notice").is_none(), "{page}");
    Ok(())
}

on_both_backends!(
    control_characters_and_ranges_past_the_end_are_refused_with_400,
    a_query_of_only_unsearchable_words_answers_nothing_and_why,
);
