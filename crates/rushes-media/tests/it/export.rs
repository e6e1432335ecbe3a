//! Clip export: stream copy on keyframes, re-encode otherwise, crops, atomic writes.

use rushes_core::AssetKind;
use rushes_media::{Crop, ExportOptions, MediaError, export_clip, probe};

use crate::common::{TestResult, ffmpeg, path_str};

/// 6 s at 25 fps with a keyframe every second, and a tone.
fn source(dir: &std::path::Path) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    let path = dir.join("source.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25:duration=6",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=330:duration=6",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "25",
        "-keyint_min",
        "25",
        "-sc_threshold",
        "0",
        "-c:a",
        "aac",
        "-shortest",
        path_str(&path),
    ])?;
    Ok(path)
}

fn video_duration(path: &std::path::Path) -> Result<f64, Box<dyn std::error::Error>> {
    let output = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_frames",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()?;
    let frames: f64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .trim_end_matches(',')
        .parse()?;
    Ok(frames / 25.0)
}

#[test]
fn cuts_on_keyframes_and_between_them_within_one_frame() -> TestResult {
    let dir = tempfile::tempdir()?;
    let src = source(dir.path())?;
    let info = probe(&src, AssetKind::Video)?;
    let on_keyframes = dir.path().join("copy.mp4");
    export_clip(
        &src,
        &info,
        2.0,
        4.0,
        &on_keyframes,
        &ExportOptions::default(),
    )?;
    assert!((video_duration(&on_keyframes)? - 2.0).abs() <= 0.04 + 1e-6);

    let between = dir.path().join("between.mp4");
    export_clip(&src, &info, 1.3, 2.5, &between, &ExportOptions::default())?;
    assert!((video_duration(&between)? - 1.2).abs() <= 0.04 + 1e-6);

    let with_handles = dir.path().join("handles.mp4");
    let options = ExportOptions {
        handles: 0.5,
        ..ExportOptions::default()
    };
    export_clip(&src, &info, 5.0, 5.8, &with_handles, &options)?;
    // 0.5 s before, clamped at the 6 s end after.
    assert!((video_duration(&with_handles)? - 1.5).abs() <= 0.04 + 1e-6);
    assert!(!dir.path().join("handles.mp4.part").exists());
    Ok(())
}

#[test]
fn crops_to_vertical_and_square() -> TestResult {
    let dir = tempfile::tempdir()?;
    let src = source(dir.path())?;
    let info = probe(&src, AssetKind::Video)?;
    for (crop, ratio) in [(Crop::Vertical, 9.0 / 16.0), (Crop::Square, 1.0)] {
        let dest = dir.path().join(format!("{crop:?}.mp4"));
        let options = ExportOptions {
            crop: Some(crop),
            ..ExportOptions::default()
        };
        export_clip(&src, &info, 1.0, 2.0, &dest, &options)?;
        let out = probe(&dest, AssetKind::Video)?;
        let (w, h) = (
            f64::from(out.width.unwrap_or(0)),
            f64::from(out.height.unwrap_or(1)),
        );
        assert_eq!(out.height, Some(240), "{crop:?} keeps the full height");
        assert!((w / h - ratio).abs() < 0.02, "{crop:?}: {w}x{h}");
        assert_eq!(out.video_codec.as_deref(), Some("h264"));
    }
    Ok(())
}

#[test]
fn rejects_ranges_outside_the_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let src = source(dir.path())?;
    let info = probe(&src, AssetKind::Video)?;
    let dest = dir.path().join("nope.mp4");
    for (start, end) in [(4.0, 3.0), (7.0, 8.0), (-1.0, 1.0)] {
        let error = export_clip(&src, &info, start, end, &dest, &ExportOptions::default())
            .err()
            .ok_or("accepted a bad range")?;
        assert!(matches!(error, MediaError::InvalidRequest(_)), "{error}");
    }
    assert!(!dest.exists());
    Ok(())
}
