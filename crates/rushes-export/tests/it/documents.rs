//! EDL, CSV and FCPXML output parsed back and checked against the items' timecodes.

use std::path::Path;

use quick_xml::events::Event;
use rushes_core::MediaInfo;
use rushes_core::timecode::Timecode;
use rushes_export::{DocumentFormat, ExportItem, render_edl, render_fcpxml, render_markers_csv};

fn item(path: &str, fps: f64, start_timecode: Option<&str>, start: f64, end: f64) -> ExportItem {
    let media = MediaInfo {
        frame_rate: Some(fps),
        start_timecode: start_timecode.map(str::to_string),
        duration: Some(60.0),
        width: Some(1920),
        height: Some(1080),
        ..MediaInfo::default()
    };
    ExportItem::new(Path::new(path), media, start, end)
}

/// One CMX3600 event line, split into its columns.
#[derive(Debug)]
struct Event3600 {
    number: u32,
    reel: String,
    /// `V` for picture, `A`/`AA` for sound.
    track: String,
    source_in: Timecode,
    source_out: Timecode,
    record_in: Timecode,
    record_out: Timecode,
    clip_name: Option<String>,
}

fn parse_edl(text: &str) -> (String, String, Vec<Event3600>) {
    let mut lines = text.lines();
    let title = lines.next().expect("title line");
    let fcm = lines.next().expect("FCM line");
    let mut events: Vec<Event3600> = Vec::new();
    for line in lines {
        if let Some(name) = line.strip_prefix("* FROM CLIP NAME: ") {
            events.last_mut().expect("comment after event").clip_name = Some(name.to_string());
            continue;
        }
        if line.trim().is_empty() || line.starts_with('*') {
            continue;
        }
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(columns.len(), 8, "event line {line:?}");
        assert_eq!(
            &line[..3],
            columns[0],
            "event number in columns 1-3: {line:?}"
        );
        assert_eq!(columns[3], "C", "{line:?}");
        let tc = |i: usize| columns[i].parse::<Timecode>().expect("timecode");
        events.push(Event3600 {
            number: columns[0].parse().expect("event number"),
            reel: columns[1].to_string(),
            track: columns[2].to_string(),
            source_in: tc(4),
            source_out: tc(5),
            record_in: tc(6),
            record_out: tc(7),
            clip_name: None,
        });
    }
    (title.to_string(), fcm.to_string(), events)
}

#[test]
fn edl_at_25_numbers_events_and_lays_records_end_to_end_from_one_hour() {
    let items = [
        item(
            "/shoot/day1/A001_C003_slate.mov",
            25.0,
            Some("10:00:00:00"),
            2.0,
            4.0,
        ),
        item("/shoot/day2/B002 interview.mov", 25.0, None, 10.0, 10.48),
    ];
    let text = render_edl("Scene 42", &items).expect("edl");
    let (title, fcm, events) = parse_edl(&text);
    assert_eq!(title, "TITLE: Scene 42");
    assert_eq!(fcm, "FCM: NON-DROP FRAME");
    assert_eq!(events.len(), 2);
    assert_eq!((events[0].number, events[1].number), (1, 2));
    assert_eq!(events[0].reel, "A001C003");
    assert_eq!(events[1].reel, "B002INTE");
    assert_eq!(events[0].source_in.to_string(), "10:00:02:00");
    assert_eq!(events[0].source_out.to_string(), "10:00:04:00");
    assert_eq!(events[1].source_in.to_string(), "00:00:10:00");
    assert_eq!(events[1].source_out.to_string(), "00:00:10:12");
    assert_eq!(events[0].record_in.to_string(), "01:00:00:00");
    assert_eq!(events[0].record_out, events[1].record_in);
    assert_eq!(events[1].record_out.to_string(), "01:00:02:12");
    assert_eq!(events[0].clip_name.as_deref(), Some("A001_C003_slate.mov"));
    // Source and record lengths agree for every event.
    for event in &events {
        assert_eq!(
            event.source_out.to_frames(25.0) - event.source_in.to_frames(25.0),
            event.record_out.to_frames(25.0) - event.record_in.to_frames(25.0)
        );
    }
}

#[test]
fn edl_at_23_976_counts_24_frames_per_timecode_second() {
    let fps = 24000.0 / 1001.0;
    let items = [item("/a/A001_C001.mov", fps, Some("01:00:00:00"), 1.0, 2.0)];
    let (_, fcm, events) = parse_edl(&render_edl("t", &items).expect("edl"));
    assert_eq!(fcm, "FCM: NON-DROP FRAME");
    // 1 s of real time at 23.976 is 23.976 frames: frame 24 -> 01:00:01:00.
    assert_eq!(events[0].source_in.to_string(), "01:00:01:00");
    assert_eq!(events[0].source_out.to_string(), "01:00:02:00");
    assert_eq!(events[0].record_out.to_string(), "01:00:01:00");
}

#[test]
fn edl_at_29_97_drop_frame_skips_frame_numbers_at_the_minute() {
    let fps = 30000.0 / 1001.0;
    // From 00:00:59;00 for 2 s of real time: crosses the minute, where ;00 and ;01 are skipped.
    let items = [item(
        "/a/C001.mov",
        fps,
        Some("00:00:59;00"),
        0.0,
        60.0 / fps,
    )];
    let text = render_edl("df", &items).expect("edl");
    let (_, fcm, events) = parse_edl(&text);
    assert_eq!(fcm, "FCM: DROP FRAME");
    assert!(text.contains("00:00:59;00 00:01:01;02"), "{text}");
    assert_eq!(events[0].record_in.to_string(), "01:00:00;00");
    assert!(events[0].record_in.drop_frame && events[0].source_out.drop_frame);
    assert_eq!(
        events[0].record_out.to_frames(fps) - events[0].record_in.to_frames(fps),
        60
    );
}

#[test]
fn edl_refuses_an_empty_list_and_a_backwards_range() {
    assert!(render_edl("t", &[]).is_err_and(|e| e.is_user_error()));
    let backwards = item("/a/x.mov", 25.0, None, 5.0, 4.0);
    assert!(render_edl("t", &[backwards]).is_err_and(|e| e.is_user_error()));
}

#[test]
fn csv_markers_have_a_header_and_quoted_source_timecodes() {
    let mut slate = item(
        "/a/A001_C003_slate.mov",
        25.0,
        Some("10:00:00:00"),
        1.0,
        3.0,
    );
    slate.name = "Slate, take 3".into();
    slate.notes = "director says \"print\"".into();
    slate.tags = vec!["slate".into(), "blooper".into()];
    let text = render_markers_csv(&[slate]).expect("csv");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "Name,In,Out,Duration,Notes,Tags,File,Scene,Take,Roll,Camera"
    );
    assert_eq!(
        lines[1],
        "\"Slate, take 3\",10:00:01:00,10:00:03:00,00:00:02:00,\"director says \"\"print\"\"\",\"slate; blooper\",/a/A001_C003_slate.mov,,,,"
    );
}

#[test]
fn fcpxml_is_well_formed_with_formats_assets_and_a_spine_of_clips() {
    let fps = 24000.0 / 1001.0;
    let items = [
        item(
            "/shoot/Day 1/A001 & B.mov",
            fps,
            Some("01:00:00:00"),
            1.0,
            2.0,
        ),
        item(
            "/shoot/Day 1/A001 & B.mov",
            fps,
            Some("01:00:00:00"),
            5.0,
            6.0,
        ),
        item("/shoot/day2/C.mov", 25.0, None, 0.0, 1.0),
    ];
    let text = render_fcpxml("Best <bits>", &items).expect("fcpxml");
    assert!(text.contains("<!DOCTYPE fcpxml>"));

    let mut reader = quick_xml::Reader::from_str(&text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<String> = Vec::new();
    let mut elements: Vec<(
        String,
        Vec<String>,
        std::collections::HashMap<String, String>,
    )> = Vec::new();
    loop {
        let event = reader.read_event().expect("well-formed XML");
        let (element, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                stack.pop();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = String::from_utf8_lossy(element.name().as_ref()).into_owned();
        let attributes = element
            .attributes()
            .map(|a| {
                let a = a.expect("attribute");
                (
                    String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                    a.unescape_value().expect("value").into_owned(),
                )
            })
            .collect();
        elements.push((name.clone(), stack.clone(), attributes));
        if !empty {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    let find = |name: &str| -> Vec<_> { elements.iter().filter(|e| e.0 == name).collect() };
    assert_eq!(find("fcpxml")[0].2["version"], "1.9");

    let formats = find("format");
    assert_eq!(formats.len(), 2, "one format per rate");
    assert_eq!(formats[0].2["frameDuration"], "1001/24000s");
    assert_eq!(formats[1].2["frameDuration"], "1/25s");

    let assets = find("asset");
    assert_eq!(assets.len(), 2, "one asset per file");
    for asset in &assets {
        for required in ["id", "start", "duration", "format", "hasVideo"] {
            assert!(asset.2.contains_key(required), "asset lacks {required}");
        }
    }
    // 01:00:00:00 at 23.976 is frame 86400 = 86486.4 s / 24 → 86400*1001/24000 s.
    assert_eq!(assets[0].2["start"], "18018/5s");
    let reps = find("media-rep");
    assert_eq!(reps[0].2["src"], "file:///shoot/Day%201/A001%20%26%20B.mov");
    assert_eq!(reps[0].1.last().map(String::as_str), Some("asset"));

    let clips = find("asset-clip");
    assert_eq!(clips.len(), 3);
    for clip in &clips {
        assert_eq!(
            clip.1,
            ["fcpxml", "library", "event", "project", "sequence", "spine"]
        );
        for required in ["ref", "offset", "start", "duration"] {
            assert!(clip.2.contains_key(required), "asset-clip lacks {required}");
        }
    }
    assert_eq!(clips[0].2["ref"], clips[1].2["ref"]);
    assert_ne!(clips[0].2["ref"], clips[2].2["ref"]);
    // Clip 1 starts 24 frames (1 s real time, rounded) into a file that starts at 1 h.
    assert_eq!(clips[0].2["start"], "3604601/1000s");
    assert_eq!(clips[0].2["duration"], "1001/1000s");
    // Offsets lay the clips end to end from the sequence start.
    let sequence = &find("sequence")[0].2;
    assert_eq!(clips[0].2["offset"], sequence["tcStart"]);
    assert_eq!(find("project")[0].2["name"], "Best <bits>");
    assert_eq!(DocumentFormat::Fcpxml.extension(), "fcpxml");
}

/// Regression: a WAV interview was listed as a video event; sound-only files are audio events.
#[test]
fn edl_lists_a_sound_only_file_as_an_audio_event() {
    let mut wav = item("/shoot/day2/gaffer_interview.wav", 25.0, None, 1.0, 4.0);
    wav.media.width = None;
    wav.media.height = None;
    wav.media.audio_codec = Some("pcm_s16le".into());
    wav.media.audio_channels = Some(1);
    let mut stereo = wav.clone();
    stereo.media.audio_channels = Some(2);
    let mut clip = item(
        "/shoot/day1/A001_C001.mov",
        25.0,
        Some("01:00:00:00"),
        0.0,
        2.0,
    );
    clip.media.video_codec = Some("h264".into());
    clip.media.audio_codec = Some("aac".into());
    let text = render_edl("mixed", &[clip, wav, stereo]).expect("edl");
    let (_, _, events) = parse_edl(&text);
    let tracks: Vec<&str> = events.iter().map(|e| e.track.as_str()).collect();
    assert_eq!(tracks, ["V", "A", "AA"], "{text}");
    // The audio event keeps its source range (00:00:01:00 to 00:00:04:00 at 25).
    assert_eq!(events[1].source_in.to_string(), "00:00:01:00");
    assert_eq!(events[1].source_out.to_string(), "00:00:04:00");
}
