//! Probing real and generated files: sizes, rotation, timecode, capture time, camera tags,
//! audio-only files.

use rushes_core::AssetKind;
use rushes_media::{ffmpeg_version, probe, sniff};

use crate::common::{TestResult, ffmpeg, opencv_data, path_str};

#[test]
fn probes_opencv_footage() -> TestResult {
    let path = opencv_data("vtest.avi");
    assert_eq!(sniff(&path)?, Some(AssetKind::Video));
    let info = probe(&path, AssetKind::Video)?;
    assert_eq!((info.width, info.height), (Some(768), Some(576)));
    assert_eq!(info.video_codec.as_deref(), Some("msmpeg4v3"));
    assert!((info.duration.unwrap_or(0.0) - 79.5).abs() < 0.1);
    assert_eq!(info.frame_rate, Some(10.0));
    assert_eq!(info.rotation, 0);
    let megamind = probe(&opencv_data("Megamind.avi"), AssetKind::Video)?;
    assert_eq!(megamind.audio_codec.as_deref(), Some("ac3"));
    assert!(megamind.streams.iter().any(|s| s.kind == "audio"));
    Ok(())
}

#[test]
fn rotated_phone_clip_reports_display_size_and_rotation() -> TestResult {
    let dir = tempfile::tempdir()?;
    let plain = dir.path().join("plain.mp4");
    let rotated = dir.path().join("rotated.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25:duration=1",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        path_str(&plain),
    ])?;
    ffmpeg(&[
        "-i",
        path_str(&plain),
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
        path_str(&rotated),
    ])?;
    let info = probe(&rotated, AssetKind::Video)?;
    assert_eq!(
        (info.width, info.height),
        (Some(240), Some(320)),
        "display size is portrait"
    );
    assert_eq!(info.rotation % 180, 90);
    Ok(())
}

#[test]
fn reads_timecode_creation_time_and_camera_tags() -> TestResult {
    let dir = tempfile::tempdir()?;
    let clip = dir.path().join("A001C003.mov");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=25:duration=1",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=1",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        "-ac",
        "2",
        "-timecode",
        "01:00:00:00",
        "-metadata",
        "creation_time=2024-05-01T10:00:00Z",
        "-metadata",
        "make=Canon",
        "-metadata",
        "model=EOS R5",
        path_str(&clip),
    ])?;
    let info = probe(&clip, AssetKind::Video)?;
    assert_eq!(info.start_timecode.as_deref(), Some("01:00:00:00"));
    assert!(
        info.creation_time
            .as_deref()
            .unwrap_or("")
            .starts_with("2024-05-01T10:00:00")
    );
    assert_eq!(info.camera_make.as_deref(), Some("Canon"));
    assert_eq!(info.camera_model.as_deref(), Some("EOS R5"));
    assert_eq!(info.audio_channels, Some(2));
    assert_eq!(info.audio_codec.as_deref(), Some("aac"));
    Ok(())
}

#[test]
fn audio_only_files_are_audio_assets() -> TestResult {
    let dir = tempfile::tempdir()?;
    for name in ["take.wav", "take.mp3", "take.m4a"] {
        let path = dir.path().join(name);
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=1.5",
            "-ac",
            "1",
            path_str(&path),
        ])?;
        assert_eq!(sniff(&path)?, Some(AssetKind::Audio), "{name}");
        let info = probe(&path, AssetKind::Audio)?;
        assert!(info.width.is_none(), "{name} has no picture");
        assert_eq!(info.audio_channels, Some(1), "{name}");
        assert!(
            (info.duration.unwrap_or(0.0) - 1.5).abs() < 0.1,
            "{name}: {:?}",
            info.duration
        );
    }
    Ok(())
}

#[test]
fn ffmpeg_version_is_reported() -> TestResult {
    let version = ffmpeg_version()?;
    assert!(
        version
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == 'n'),
        "{version}"
    );
    Ok(())
}

/// A start timecode written as a plain `timecode` tag (no tmcd track): the container tag of
/// an mp4 (`use_metadata_tags`, tmcd off) and of a Matroska file (`TIMECODE`).
#[test]
fn start_timecode_from_a_tag_without_a_tmcd_track() -> TestResult {
    let dir = tempfile::tempdir()?;
    let cases: [(&str, &[&str]); 2] = [
        (
            "tagged.mp4",
            &["-write_tmcd", "0", "-movflags", "use_metadata_tags"],
        ),
        ("tagged.mkv", &[]),
    ];
    for (name, muxer_options) in cases {
        let clip = dir.path().join(name);
        let mut args = vec![
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=25:duration=1",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-metadata",
            "timecode=01:02:03:04",
        ];
        args.extend_from_slice(muxer_options);
        args.push(path_str(&clip));
        ffmpeg(&args)?;
        let info = probe(&clip, AssetKind::Video)?;
        assert!(
            info.streams.iter().all(|stream| stream.kind != "data"),
            "{name}: no timecode track: {:?}",
            info.streams
        );
        assert_eq!(
            info.start_timecode.as_deref(),
            Some("01:02:03:04"),
            "{name}"
        );
    }
    Ok(())
}
