//! Hostile text and metadata: the SRT/VTT parser and `media_info_from_ffprobe` never
//! panic, whatever a sidecar or a crafted file's ffprobe JSON holds, and what they do
//! accept stays plausible.

use proptest::prelude::*;
use proptest::test_runner::Config;
use rushes_media::{media_info_from_ffprobe, parse_subtitles};
use serde_json::{Value, json};

fn config() -> Config {
    Config {
        cases: 2000,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Pieces of subtitle files: timings good and broken, VTT headers, markup, line endings.
fn subtitle_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "1\n",
            "\n",
            "\n\n",
            "\r\n",
            "\r",
            "-->",
            " --> ",
            "00:00:01,000 --> 00:00:02,000\n",
            "00:00.750 --> 00:01.500 line:90%\n",
            "99:99:99,999 --> 00:00:00,000\n",
            "00:00:01,000 -->\n",
            "--> 00:00:01,000\n",
            "1:2:3:4:5,6 --> 7\n",
            "00:00:01.000000000000000000001 --> 1e309\n",
            "-00:00:01,000 --> 00:00:02,000\n",
            "NaN --> inf\n",
            "WEBVTT\n",
            "NOTE x\n",
            "STYLE\n",
            "REGION\n",
            "<i>",
            "</i>",
            "<v AD>",
            "<",
            ">",
            "&amp;",
            "{\\an8}",
            "\u{feff}",
            "é",
            "日本語",
            "🎬",
            "\u{0}",
            ":",
            ",",
            ".",
            "99999999999999999999999",
            "Quiet on set",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,8}",
    ]
}

fn hostile_subtitles() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(subtitle_fragment(), 0..24).prop_map(|parts| parts.concat()),
        any::<String>(),
    ]
}

/// Values found where ffprobe puts numbers and strings: absurd, negative, NaN, wrong type.
fn weird_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            json!(0),
            json!(-1),
            json!(1),
            json!(90),
            json!(-90),
            json!(1e308),
            json!(-1e308),
            json!(u64::MAX),
            json!(i64::MIN),
            json!("NaN"),
            json!("inf"),
            json!("-inf"),
            json!("1e400"),
            json!("0/0"),
            json!("1/0"),
            json!("30000/1001"),
            json!("NaN/1"),
            json!("1/NaN"),
            json!("1e308/1e-308"),
            json!("-1:1"),
            json!("01:00:00:00"),
            json!("99:99:99:99"),
            json!("01:00:00;29"),
            json!("01:00:00:0"),
            json!("::::"),
            json!("2025-03-01T09:30:00Z"),
            json!("video"),
            json!("tmcd"),
            json!("und"),
            json!(""),
            json!(null),
            json!(true),
            json!([]),
            json!({}),
        ]),
        any::<f64>().prop_map(|x| json!(x)),
        any::<i64>().prop_map(|x| json!(x)),
        any::<u64>().prop_map(|x| json!(x)),
        "\\PC{0,12}".prop_map(Value::from),
    ]
}

fn tags() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        prop::sample::select(vec![
            "timecode",
            "rotate",
            "creation_time",
            "language",
            "com.apple.quicktime.make",
            "Make",
            "model",
            "date",
        ]),
        weird_value(),
        0..5,
    )
    .prop_map(|map| json!(map))
}

fn stream() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["video", "audio", "subtitle", "data", "attachment", ""]),
        prop::collection::vec(weird_value(), 12),
        tags(),
        prop::collection::vec(weird_value(), 0..3),
    )
        .prop_map(|(kind, v, tags, rotations)| {
            json!({
                "index": v[0], "codec_type": kind, "codec_name": v[1],
                "codec_tag_string": v[2], "width": v[3], "height": v[4],
                "sample_aspect_ratio": v[5], "avg_frame_rate": v[6], "r_frame_rate": v[7],
                "duration": v[8], "channels": v[9], "pix_fmt": v[10],
                "disposition": { "attached_pic": v[11] },
                "side_data_list": rotations.into_iter()
                    .map(|rotation| json!({ "rotation": rotation }))
                    .collect::<Vec<_>>(),
                "tags": tags,
            })
        })
}

fn ffprobe_json() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            prop::collection::vec(stream(), 0..6),
            // Huge stream counts, as a crafted container can declare.
            (100usize..400).prop_flat_map(|n| prop::collection::vec(stream(), n)),
        ],
        weird_value(),
        weird_value(),
        weird_value(),
        tags(),
    )
        .prop_map(|(streams, format_name, bit_rate, duration, tags)| {
            json!({
                "streams": streams,
                "format": {
                    "format_name": format_name, "bit_rate": bit_rate,
                    "duration": duration, "tags": tags,
                },
            })
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn subtitle_parser_never_panics_and_keeps_only_ordered_cues(text in hostile_subtitles()) {
        let parsed = parse_subtitles(&text, "sidecar");
        for line in &parsed.lines {
            prop_assert!(line.start.is_finite() && line.end.is_finite(), "{line:?} from {text:?}");
            prop_assert!(line.start >= 0.0 && line.end >= line.start, "{line:?} from {text:?}");
            prop_assert!(!line.text.is_empty(), "empty cue from {text:?}");
        }
    }
}

proptest! {
    #![proptest_config(Config { cases: 500, ..config() })]

    #[test]
    fn ffprobe_json_never_panics_and_accepted_facts_are_plausible(probe in ffprobe_json()) {
        if let Ok(info) = media_info_from_ffprobe(&probe) {
            prop_assert!(info.streams.len() <= 128, "{} streams accepted", info.streams.len());
            if let Some(duration) = info.duration {
                prop_assert!(duration.is_finite() && duration >= 0.0, "duration {duration}");
            }
            if let Some(rate) = info.frame_rate {
                prop_assert!(rate.is_finite() && rate > 0.0, "frame rate {rate}");
            }
            prop_assert!([0, 90, 180, 270].contains(&info.rotation), "rotation {}", info.rotation);
            prop_assert!(info.width.is_none_or(|w| w > 0) && info.height.is_none_or(|h| h > 0));
        }
    }
}
