//! Bad input: every kind of broken file gives one clear, typed error, never a panic or hang.

use rushes_core::{AssetKind, MediaInfo};
use rushes_media::{MediaError, SamplingConfig, analyze_video, probe, sniff};

use crate::common::{TestResult, ffmpeg, path_str};

fn small_clip(
    dir: &std::path::Path,
    name: &str,
    extra: &[&str],
) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    let path = dir.join(name);
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25:duration=2",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
    ];
    args.extend_from_slice(extra);
    args.push(path_str(&path));
    ffmpeg(&args)?;
    Ok(path)
}

#[test]
fn zero_length_file_is_empty() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("empty.mp4");
    std::fs::write(&path, b"")?;
    assert!(matches!(sniff(&path), Err(MediaError::EmptyFile)));
    let error = probe(&path, AssetKind::Video)
        .err()
        .ok_or("probe accepted an empty file")?;
    assert!(matches!(error, MediaError::EmptyFile), "{error}");
    assert!(error.is_user_error());
    // An empty file that does not claim to be media is simply not media.
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, b"")?;
    assert_eq!(sniff(&notes)?, None);
    Ok(())
}

#[test]
fn text_named_mp4_is_not_media() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("liar.mp4");
    std::fs::write(&path, "Call sheet, day 3.\nUnit call 06:30.\n")?;
    let error = sniff(&path).err().ok_or("sniff accepted text")?;
    assert_eq!(error.to_string(), "not a media file: text content");
    let probed = probe(&path, AssetKind::Video)
        .err()
        .ok_or("probe accepted text")?;
    assert!(matches!(probed, MediaError::NotMedia(_)), "{probed}");
    for skipped in [".DS_Store", "notes.txt", "A001.srt", "._A001.mov"] {
        let other = dir.path().join(skipped);
        std::fs::write(&other, b"\0\x05\x16\x07 apple double or whatever")?;
        assert_eq!(sniff(&other)?, None, "{skipped}");
    }
    Ok(())
}

#[test]
fn random_bytes_named_mov_are_not_media() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("noise.mov");
    let noise: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, noise)?;
    let error = probe(&path, AssetKind::Video)
        .err()
        .ok_or("probe accepted noise")?;
    assert!(error.is_user_error(), "{error:?}");
    Ok(())
}

#[test]
fn truncated_mp4_reports_missing_moov_atom() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = small_clip(dir.path(), "cut-short.mp4", &[])?;
    let bytes = std::fs::read(&path)?;
    std::fs::write(&path, &bytes[..bytes.len() / 2])?;
    let error = probe(&path, AssetKind::Video)
        .err()
        .ok_or("probe accepted a truncated file")?;
    assert_eq!(
        error.to_string(),
        "truncated or corrupt: moov atom not found"
    );
    Ok(())
}

#[test]
fn truncated_faststart_mp4_decodes_what_is_there_without_hanging() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = small_clip(dir.path(), "faststart.mp4", &["-movflags", "+faststart"])?;
    let bytes = std::fs::read(&path)?;
    std::fs::write(&path, &bytes[..bytes.len() * 2 / 3])?;
    let info = probe(&path, AssetKind::Video)?;
    let mut frames = 0;
    match analyze_video(&path, &info, &SamplingConfig::default(), &mut |batch| {
        frames += batch.len();
        Ok(())
    }) {
        Ok(shots) => {
            assert!(!shots.is_empty());
            assert!(frames >= 1);
        }
        Err(error) => assert!(error.is_user_error(), "{error:?}"),
    }
    Ok(())
}

#[test]
fn audio_file_has_no_video_stream() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("room-tone.wav");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=48000:cl=mono",
        "-t",
        "0.5",
        path_str(&path),
    ])?;
    let error = probe(&path, AssetKind::Video)
        .err()
        .ok_or("audio probed as video")?;
    assert!(matches!(error, MediaError::NoVideoStream), "{error}");
    let info = probe(&path, AssetKind::Audio)?;
    let sampled = analyze_video(&path, &info, &SamplingConfig::default(), &mut |_| Ok(()));
    assert!(
        matches!(sampled, Err(MediaError::NoVideoStream)),
        "{sampled:?}"
    );
    Ok(())
}

#[test]
fn absurd_stream_count_is_implausible() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("many.mkv");
    let mut args: Vec<&str> = vec!["-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "0.1"];
    for _ in 0..130 {
        args.extend_from_slice(&["-map", "0:a"]);
    }
    args.extend_from_slice(&["-c:a", "pcm_s16le", path_str(&path)]);
    ffmpeg(&args)?;
    let error = probe(&path, AssetKind::Audio)
        .err()
        .ok_or("130 streams accepted")?;
    assert!(
        matches!(error, MediaError::ImplausibleMetadata(_)),
        "{error}"
    );
    assert!(error.to_string().contains("130 streams"), "{error}");
    Ok(())
}

#[test]
fn file_vanishing_between_probe_and_decode_is_not_found() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = small_clip(dir.path(), "gone.mp4", &[])?;
    let info = probe(&path, AssetKind::Video)?;
    std::fs::remove_file(&path)?;
    let error = analyze_video(&path, &info, &SamplingConfig::default(), &mut |_| Ok(()))
        .err()
        .ok_or("decoded a deleted file")?;
    assert!(matches!(error, MediaError::NotFound(_)), "{error}");
    assert!(matches!(
        probe(&path, AssetKind::Video),
        Err(MediaError::NotFound(_))
    ));
    assert!(matches!(sniff(&path), Err(MediaError::NotFound(_))));
    Ok(())
}

#[test]
fn unknown_codec_is_unsupported() -> TestResult {
    let dir = tempfile::tempdir()?;
    // An MPEG-4 AVI whose fourcc is rewritten to one no decoder claims.
    let path = small_clip(dir.path(), "odd.avi", &["-c:v", "mpeg4", "-vtag", "FMP4"])?;
    let bytes = std::fs::read(&path)?;
    let mut patched = Vec::with_capacity(bytes.len());
    let mut rest = bytes.as_slice();
    while let Some(at) = rest.windows(4).position(|w| w == b"FMP4") {
        patched.extend_from_slice(&rest[..at]);
        patched.extend_from_slice(b"QQQQ");
        rest = &rest[at + 4..];
    }
    patched.extend_from_slice(rest);
    std::fs::write(&path, patched)?;
    let outcome = probe(&path, AssetKind::Video).and_then(|info: MediaInfo| {
        analyze_video(&path, &info, &SamplingConfig::default(), &mut |_| Ok(()))
    });
    let error = outcome.err().ok_or("decoded a codec nobody knows")?;
    assert!(matches!(error, MediaError::Unsupported(_)), "{error:?}");
    assert!(error.to_string().contains("QQQQ"), "{error}");
    Ok(())
}

/// A raw H.264 stream has no container and no duration (ffprobe: "N/A"): it is probed
/// with an unknown duration, not refused, and its one shot ends after its last frame.
#[test]
fn raw_stream_without_a_duration_ends_at_its_last_frame() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = small_clip(dir.path(), "raw.h264", &["-f", "h264"])?;
    let info = probe(&path, AssetKind::Video)?;
    assert_eq!(info.duration, None, "{info:?}");
    let shots = analyze_video(&path, &info, &SamplingConfig::default(), &mut |_| Ok(()))?;
    assert_eq!(shots.len(), 1, "{shots:?}");
    assert!((shots[0].end - 2.0).abs() <= 0.04 + 1e-6, "{shots:?}");
    Ok(())
}
