//! Sidecar subtitles and subtitle streams muxed into containers.

use rushes_core::AssetKind;
use rushes_media::{MediaError, extract_subtitle_streams, find_sidecars, probe, read_sidecar};

use crate::common::{TestResult, ffmpeg, path_str};

const SRT: &str = "\u{feff}1\r\n00:00:00,500 --> 00:00:01,250\r\n<i>Quiet on set</i>\r\n\r\n2\r\n00:00:01,500 --> 00:00:02,000\r\nRolling\r\n";
const VTT: &str = "WEBVTT\n\n00:00.750 --> 00:01.500 line:90% align:center\n<v AD>Background, action</v>\n\nNOTE cut here\n\ncue-2\n00:00:01.600 --> 00:00:01.900\nAnd cut\n";

#[test]
fn finds_and_reads_srt_and_vtt_sidecars() -> TestResult {
    let dir = tempfile::tempdir()?;
    let clip = dir.path().join("A001C007.mov");
    std::fs::write(&clip, b"placeholder")?;
    std::fs::write(dir.path().join("A001C007.srt"), SRT)?;
    std::fs::write(dir.path().join("A001C007.en.vtt"), VTT)?;
    std::fs::write(dir.path().join("A001C0070.srt"), SRT)?; // another clip's
    std::fs::write(dir.path().join("A001C007.txt"), "notes")?;
    let sidecars = find_sidecars(&clip);
    let names: Vec<_> = sidecars
        .iter()
        .filter_map(|p| p.file_name()?.to_str())
        .collect();
    assert_eq!(names, ["A001C007.en.vtt", "A001C007.srt"]);

    let srt = read_sidecar(&dir.path().join("A001C007.srt"))?;
    assert_eq!(srt.len(), 2);
    assert_eq!(
        (
            srt[0].start,
            srt[0].end,
            srt[0].text.as_str(),
            srt[0].source.as_str()
        ),
        (0.5, 1.25, "Quiet on set", "srt")
    );
    let vtt = read_sidecar(&dir.path().join("A001C007.en.vtt"))?;
    assert_eq!(vtt.len(), 2);
    assert_eq!(
        (vtt[0].start, vtt[0].end, vtt[0].text.as_str()),
        (0.75, 1.5, "Background, action")
    );
    assert_eq!(
        (vtt[1].start, vtt[1].text.as_str(), vtt[1].source.as_str()),
        (1.6, "And cut", "vtt")
    );
    Ok(())
}

#[test]
fn malformed_sidecar_is_a_warning_with_the_valid_lines_kept() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("clip.srt");
    std::fs::write(
        &path,
        "1\n00:00:01,000 --> 00:00:02,000\nGood line\n\n2\nthis is not a timing\nLost\n\n3\n00:00:03,000 --> 00:00:04,000\nSecond good\n",
    )?;
    match read_sidecar(&path) {
        Err(error @ MediaError::MalformedSubtitles { .. }) => {
            assert!(error.is_user_error());
            let kept = error.recovered_lines().ok_or("no lines")?;
            let texts: Vec<&str> = kept.iter().map(|l| l.text.as_str()).collect();
            assert_eq!(texts, ["Good line", "Second good"]);
        }
        other => panic!("expected malformed subtitles, got {other:?}"),
    }
    Ok(())
}

#[test]
fn extracts_subtitle_streams_from_mkv_and_mp4() -> TestResult {
    let dir = tempfile::tempdir()?;
    let srt = dir.path().join("subs.srt");
    std::fs::write(&srt, SRT)?;
    for (name, codec) in [("subbed.mkv", "srt"), ("subbed.mp4", "mov_text")] {
        let clip = dir.path().join(name);
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=25:duration=3",
            "-i",
            path_str(&srt),
            "-map",
            "0:v",
            "-map",
            "1:s",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:s",
            codec,
            path_str(&clip),
        ])?;
        let info = probe(&clip, AssetKind::Video)?;
        assert!(info.streams.iter().any(|s| s.kind == "subtitle"), "{name}");
        let lines = extract_subtitle_streams(&clip, &info)?;
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Quiet on set", "Rolling"], "{name}");
        assert!(
            (lines[0].start - 0.5).abs() < 0.01 && (lines[0].end - 1.25).abs() < 0.01,
            "{name}: {lines:?}"
        );
        assert_eq!(lines[0].source, "subtitle-stream");
    }
    Ok(())
}
