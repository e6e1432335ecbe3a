//! Which stretch of a file each slate's fields apply to.

use rushes_core::{ScreenText, SlateSpan};
use rushes_slate::slate_spans;

fn text(start: f64, end: f64, text: &str) -> ScreenText {
    ScreenText {
        start,
        end,
        text: text.to_string(),
    }
}

/// A span's start, end, scene, take and whether a tail slate gave it.
type Summary<'a> = (f64, f64, Option<&'a str>, Option<&'a str>, bool);

fn summary(spans: &[SlateSpan]) -> Vec<Summary<'_>> {
    spans
        .iter()
        .map(|span| {
            (
                span.start,
                span.end,
                span.slate.scene.as_deref(),
                span.slate.take.as_deref(),
                span.tail,
            )
        })
        .collect()
}

#[test]
fn each_slate_applies_to_the_next_slate_or_the_end_of_the_file() {
    let screen = [
        text(2.0, 4.0, "SCENE 42A\nTAKE 3"),
        text(10.0, 11.0, "EXIT 42"),
        text(30.0, 32.0, "SCENE 42A\nTAKE 4"),
    ];
    let spans = slate_spans(&screen, Some(60.0));
    assert_eq!(
        summary(&spans),
        vec![
            (2.0, 30.0, Some("42A"), Some("3"), false),
            (30.0, 60.0, Some("42A"), Some("4"), false),
        ]
    );
    assert_eq!((spans[0].seen_start, spans[0].seen_end), (2.0, 4.0));
}

#[test]
fn several_reads_of_one_held_slate_are_one_span_with_every_field() {
    // The board is held for two seconds; OCR reads part of it on each frame.
    let screen = [
        text(5.0, 5.5, "SCENE 42A TAKE 3"),
        text(5.5, 6.0, "ROLL A007\nSCENE 42A\nTAKE 3"),
        text(6.0, 7.0, "ROLL AOO7 TAKE 3 MOS"),
    ];
    let spans = slate_spans(&screen, Some(20.0));
    assert_eq!(spans.len(), 1, "{spans:?}");
    let slate = &spans[0].slate;
    assert_eq!(slate.roll.as_deref(), Some("A007"));
    assert_eq!(slate.sound, Some(rushes_core::SlateSound::Mos));
    assert_eq!((spans[0].start, spans[0].end), (5.0, 20.0));
    assert_eq!(spans[0].seen_end, 7.0);
}

#[test]
fn a_tail_slate_near_the_end_applies_back_to_the_start() {
    let spans = slate_spans(&[text(52.0, 54.0, "SC 17B TK 2")], Some(58.0));
    assert_eq!(
        summary(&spans),
        vec![(0.0, 58.0, Some("17B"), Some("2"), true)]
    );
}

#[test]
fn an_upside_down_first_slate_is_a_tail_slate_wherever_it_is() {
    let spans = slate_spans(&[text(20.0, 22.0, "3 EKAT\nA24 ENECS")], Some(120.0));
    assert_eq!(
        summary(&spans),
        vec![(0.0, 120.0, Some("42A"), Some("3"), true)]
    );
}

#[test]
fn a_slate_in_the_middle_of_a_continuous_shot_starts_where_it_appears() {
    let spans = slate_spans(&[text(31.0, 33.0, "SCENE 8 TAKE 1")], Some(60.0));
    assert_eq!(
        summary(&spans),
        vec![(31.0, 60.0, Some("8"), Some("1"), false)]
    );
}

#[test]
fn a_head_and_a_matching_tail_slate_are_one_take() {
    let screen = [
        text(1.0, 3.0, "SCENE 8 TAKE 1"),
        text(55.0, 57.0, "1 EKAT 8 ENECS"),
    ];
    let spans = slate_spans(&screen, Some(60.0));
    assert_eq!(
        summary(&spans),
        vec![(1.0, 60.0, Some("8"), Some("1"), false)]
    );
}

#[test]
fn without_a_duration_the_last_screen_text_ends_the_file() {
    let screen = [
        text(1.0, 3.0, "SCENE 8 TAKE 1"),
        text(40.0, 41.0, "EXIT 42"),
    ];
    let spans = slate_spans(&screen, None);
    assert_eq!(
        summary(&spans),
        vec![(1.0, 41.0, Some("8"), Some("1"), false)]
    );
}

#[test]
fn text_that_is_not_a_slate_makes_no_span() {
    let screen = [
        text(1.0, 3.0, "EXIT 42"),
        text(5.0, 6.0, "Maria Lopez\nGaffer"),
    ];
    assert!(slate_spans(&screen, Some(10.0)).is_empty());
}
