//! The parser and the spans never panic and keep their promises, whatever the text.

use proptest::prelude::*;
use rushes_core::ScreenText;
use rushes_slate::{parse_slate, slate_spans};

/// Text made of slate-ish words, separators and noise, so the grammar's corners are hit.
fn slate_like_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("SC".to_string()),
        Just("SCENE".to_string()),
        Just("TAKE".to_string()),
        Just("TK".to_string()),
        Just("T".to_string()),
        Just("ROLL".to_string()),
        Just("CAM".to_string()),
        Just("MOS".to_string()),
        Just("DATE".to_string()),
        Just("DIRECTOR".to_string()),
        Just("\n".to_string()),
        "[0-9OlI]{1,4}[A-Z]?",
        "[A-Z]{1,3}[0-9]{1,3}",
        "[0-9O]{2}[:;.][0-9O]{2}[:;.][0-9O]{2}[:;.][0-9O]{2}",
        "[:#.|/\\-]{1,3}",
        "\\PC{0,6}",
    ];
    proptest::collection::vec(word, 0..16).prop_map(|words| words.join(" "))
}

proptest! {
    #[test]
    fn parse_never_panics_on_any_text(text in "\\PC{0,200}") {
        let _ = parse_slate(&text);
    }

    #[test]
    fn a_parsed_slate_always_has_a_scene_take_or_roll(text in slate_like_text()) {
        if let Some(read) = parse_slate(&text) {
            let slate = read.slate;
            prop_assert!(slate.scene.is_some() || slate.take.is_some() || slate.roll.is_some());
            if let Some(take) = &slate.take {
                prop_assert!(take.chars().all(|c| c.is_ascii_digit()), "{take}");
            }
        }
    }

    #[test]
    fn spans_are_ordered_inside_the_file_and_never_panic(
        texts in proptest::collection::vec((0.0f64..120.0, 0.0f64..5.0, slate_like_text()), 0..12),
        duration in proptest::option::of(0.0f64..200.0),
    ) {
        let screen: Vec<ScreenText> = texts
            .into_iter()
            .map(|(start, length, text)| ScreenText { start, end: start + length, text })
            .collect();
        let spans = slate_spans(&screen, duration);
        for pair in spans.windows(2) {
            prop_assert!(pair[0].seen_start <= pair[1].seen_start);
            prop_assert!(pair[0].end <= pair[1].start + 1e-9);
        }
        for span in &spans {
            prop_assert!(span.start <= span.seen_start && span.seen_end <= span.end);
        }
    }
}
