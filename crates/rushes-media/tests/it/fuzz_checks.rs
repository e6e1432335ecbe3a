//! What every fuzz input of the media parsers must satisfy, shared by the cargo-fuzz targets
//! in `fuzz/` (included by path) and the corpus regression tests of `make test`: the
//! SRT/VTT parser and the ffprobe JSON reader never panic, and what they accept is plausible.

/// Any bytes as a sidecar subtitle file (decoded lossily, as the indexer reads sidecars).
pub fn check_subtitles(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let parsed = rushes_media::parse_subtitles(&text, "fuzz.srt");
    for line in &parsed.lines {
        assert!(line.start.is_finite() && line.end.is_finite(), "{line:?}");
        assert!(line.start >= 0.0 && line.end >= line.start, "{line:?}");
        assert!(!line.text.is_empty(), "an empty cue was kept");
    }
}

/// Any bytes as ffprobe's JSON output for a crafted file.
pub fn check_ffprobe_json(bytes: &[u8]) {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return;
    };
    let Ok(info) = rushes_media::media_info_from_ffprobe(&json) else {
        return;
    };
    if let Some(duration) = info.duration {
        assert!(
            duration.is_finite() && duration >= 0.0,
            "duration {duration}"
        );
    }
    if let Some(rate) = info.frame_rate {
        assert!(rate.is_finite() && rate > 0.0, "frame rate {rate}");
    }
    assert!(
        [0, 90, 180, 270].contains(&info.rotation),
        "rotation {}",
        info.rotation
    );
    assert!(info.width.is_none_or(|w| w > 0) && info.height.is_none_or(|h| h > 0));
}
