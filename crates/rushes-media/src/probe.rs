//! Probing video and audio files with ffprobe's JSON output into [`MediaInfo`]: streams,
//! codecs, display size after rotation, frame rate, timecode, capture time and camera tags,
//! with implausible values rejected. Stills are probed in `still.rs`.

use std::path::Path;

use rushes_core::{AssetKind, MediaInfo, StreamInfo};
use serde_json::Value;

use crate::MediaError;
use crate::tools::{
    PROBE_TIMEOUT, classify_failure, ffmpeg_command, ffprobe_command, run_with_timeout,
};

/// Longest duration believed: a week. Longer is a broken header.
const MAX_DURATION: f64 = 7.0 * 24.0 * 3600.0;
/// Most streams believed in one file; multitrack recorders write 16 or 32.
const MAX_STREAMS: usize = 128;

/// The facts of one media file: video and audio through ffprobe, stills through the
/// `image` crate and EXIF.
pub fn probe(path: &Path, kind: AssetKind) -> Result<MediaInfo, MediaError> {
    let metadata = std::fs::metadata(path).map_err(|e| MediaError::io(path, "reading", e))?;
    if metadata.len() == 0 {
        return Err(MediaError::EmptyFile);
    }
    if crate::sniff::content_is_text(path)? {
        return Err(MediaError::NotMedia(String::from("text content")));
    }
    match kind {
        AssetKind::Image => crate::still::probe_still(path),
        AssetKind::Video | AssetKind::Audio => probe_with_ffprobe(path, kind),
    }
}

/// The version of the ffmpeg found (`5.1.6-0+deb12u1`), for `rushes doctor`.
pub fn ffmpeg_version() -> Result<String, MediaError> {
    let mut command = ffmpeg_command();
    command.arg("-version");
    let output = run_with_timeout("ffmpeg", &mut command, PROBE_TIMEOUT)?;
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().next().unwrap_or_default();
    match first.strip_prefix("ffmpeg version ") {
        Some(rest) if output.success => {
            Ok(rest.split_whitespace().next().unwrap_or(rest).to_string())
        }
        _ => Err(MediaError::ToolFailed {
            tool: "ffmpeg",
            reason: format!("unexpected -version output: {first:?}"),
        }),
    }
}

fn probe_with_ffprobe(path: &Path, kind: AssetKind) -> Result<MediaInfo, MediaError> {
    let mut command = ffprobe_command();
    command
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            "-i",
        ])
        .arg(path);
    let output = run_with_timeout("ffprobe", &mut command, PROBE_TIMEOUT)?;
    if !output.success {
        return Err(classify_failure("ffprobe", path, &output.stderr));
    }
    let json: Value =
        serde_json::from_slice(&output.stdout).map_err(|e| MediaError::ToolFailed {
            tool: "ffprobe",
            reason: format!("unreadable JSON: {e}"),
        })?;
    media_info_for_kind(&json, kind)
}

/// [`media_info_from_ffprobe`], then what `kind` needs of it: a video needs a picture with a
/// known codec and a duration other than 0; an audio asset needs a stream at all.
fn media_info_for_kind(json: &Value, kind: AssetKind) -> Result<MediaInfo, MediaError> {
    let info = media_info_from_ffprobe(json)?;
    let unknown_video_codec = info.video_codec.is_none()
        && info.width.is_some()
        && info.streams.iter().any(|s| s.kind == "video");
    match kind {
        AssetKind::Video if info.width.is_none() => Err(MediaError::NoVideoStream),
        AssetKind::Video if unknown_video_codec => {
            let tag = json["streams"]
                .as_array()
                .and_then(|streams| streams.iter().find(|s| s["codec_type"] == "video"))
                .and_then(|s| text(&s["codec_tag_string"]))
                .unwrap_or_else(|| String::from("?"));
            Err(MediaError::Unsupported(format!(
                "video codec {tag:?} has no decoder in this ffmpeg"
            )))
        }
        AssetKind::Video if info.duration == Some(0.0) => Err(MediaError::ImplausibleMetadata(
            String::from("duration 0 s"),
        )),
        AssetKind::Audio if info.audio_codec.is_none() && info.video_codec.is_none() => Err(
            MediaError::NotMedia(String::from("no audio or video stream")),
        ),
        _ => Ok(info),
    }
}

/// Builds [`MediaInfo`] from `ffprobe -show_format -show_streams` JSON.
pub fn media_info_from_ffprobe(json: &Value) -> Result<MediaInfo, MediaError> {
    let format = &json["format"];
    let streams = json["streams"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if streams.is_empty() {
        return Err(MediaError::NotMedia(String::from("no streams")));
    }
    if streams.len() > MAX_STREAMS {
        return Err(MediaError::ImplausibleMetadata(format!(
            "{} streams (at most {MAX_STREAMS} believed)",
            streams.len()
        )));
    }
    let mut info = MediaInfo {
        container: text(&format["format_name"]),
        bit_rate: number(&format["bit_rate"])
            .filter(|b| *b > 0.0)
            .map(|b| b as u64),
        ..MediaInfo::default()
    };

    // Pictures embedded as cover art are video streams with attached_pic; they are not video.
    let is_cover = |s: &Value| s["disposition"]["attached_pic"].as_i64() == Some(1);
    let video = streams
        .iter()
        .find(|s| s["codec_type"] == "video" && !is_cover(s));
    let audio = streams.iter().find(|s| s["codec_type"] == "audio");

    for stream in streams {
        info.streams.push(StreamInfo {
            index: stream["index"].as_u64().unwrap_or(0) as u32,
            kind: text(&stream["codec_type"]).unwrap_or_else(|| String::from("data")),
            codec: text(&stream["codec_name"]).or_else(|| text(&stream["codec_tag_string"])),
            language: tag(stream, &["language"]).filter(|l| l != "und"),
        });
    }

    if let Some(video) = video {
        info.video_codec = text(&video["codec_name"]);
        info.pixel_format = text(&video["pix_fmt"]);
        info.rotation = rotation_clockwise(video);
        let coded = (
            video["width"].as_u64().filter(|w| *w > 0),
            video["height"].as_u64().filter(|h| *h > 0),
        );
        if let (Some(width), Some(height)) = coded {
            if width > 32_768 || height > 32_768 {
                return Err(MediaError::ImplausibleMetadata(format!(
                    "frame size {width}x{height}"
                )));
            }
            // Non-square pixels (anamorphic, DV): the display width follows the aspect ratio.
            let sar = ratio(&video["sample_aspect_ratio"])
                .filter(|r| *r > 0.1 && *r < 10.0)
                .unwrap_or(1.0);
            let display_width = ((width as f64 * sar).round() as u32).max(1);
            let display_height = height as u32;
            if info.rotation % 180 == 90 {
                info.width = Some(display_height);
                info.height = Some(display_width);
            } else {
                info.width = Some(display_width);
                info.height = Some(display_height);
            }
        }
        let average = ratio(&video["avg_frame_rate"]).filter(|r| *r > 0.0 && *r < 1000.0);
        let nominal = ratio(&video["r_frame_rate"]).filter(|r| *r > 0.0 && *r < 1000.0);
        info.frame_rate = average.or(nominal);
        if let (Some(average), Some(nominal)) = (average, nominal) {
            info.variable_frame_rate = (average - nominal).abs() / nominal > 0.01;
        }
    }
    if let Some(audio) = audio {
        info.audio_codec = text(&audio["codec_name"]);
        info.audio_channels = audio["channels"].as_u64().map(|c| c as u32);
    }

    let duration = duration_from_start(format, streams)
        .or_else(|| video.and_then(|v| number(&v["duration"])))
        .or_else(|| audio.and_then(|a| number(&a["duration"])));
    if let Some(duration) = duration {
        if !(0.0..=MAX_DURATION).contains(&duration) {
            return Err(MediaError::ImplausibleMetadata(format!(
                "duration {duration} s"
            )));
        }
        info.duration = Some(duration);
    }

    // Timecode: a tmcd data stream, the video stream's tag, or the container's.
    info.start_timecode = streams
        .iter()
        .filter(|s| s["codec_tag_string"] == "tmcd")
        .chain(video)
        .find_map(|s| tag(s, &["timecode"]))
        .or_else(|| tag_of(&format["tags"], &["timecode"]))
        // ffmpeg writes frames with one digit at rates under 10 fps ("01:00:00:0").
        .map(|text| match text.parse::<rushes_core::Timecode>() {
            Ok(timecode) => timecode.to_string(),
            Err(_) => text,
        });

    info.creation_time = tag_of(
        &format["tags"],
        &["com.apple.quicktime.creationdate", "creation_time", "date"],
    )
    .or_else(|| video.and_then(|v| tag(v, &["creation_time"])));
    info.camera_make = tag_of(
        &format["tags"],
        &[
            "com.apple.quicktime.make",
            "make",
            "com.android.manufacturer",
            "manufacturer",
        ],
    );
    info.camera_model = tag_of(
        &format["tags"],
        &[
            "com.apple.quicktime.model",
            "model",
            "com.android.model",
            "device_model",
        ],
    );
    Ok(info)
}

/// Clockwise degrees a player must rotate the decoded picture: 0, 90, 180 or 270.
///
/// ffprobe reports a display matrix's rotation counter-clockwise (`-90` for phone portrait
/// footage); the old `rotate` tag is already clockwise.
fn rotation_clockwise(video: &Value) -> i32 {
    let from_matrix = video["side_data_list"].as_array().and_then(|list| {
        list.iter().find_map(|side| {
            side["rotation"]
                .as_f64()
                .or_else(|| number(&side["rotation"]))
        })
    });
    let degrees = match from_matrix {
        Some(counter_clockwise) => -counter_clockwise,
        None => tag(video, &["rotate"])
            .and_then(|r| r.parse::<f64>().ok())
            .unwrap_or(0.0),
    };
    if !degrees.is_finite() {
        return 0;
    }
    let quarter_turns = (degrees / 90.0).round() as i64;
    (quarter_turns.rem_euclid(4) * 90) as i32
}

fn text(value: &Value) -> Option<String> {
    value
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The container's duration counted from its start time, the timeline every time of ours
/// is on (ffmpeg's `-ss`, the shot detector's decode, players that start at the first
/// frame). ffprobe's format duration is that for most containers, but an MP4 whose timeline
/// starts late (an edit list's empty edit, a muxing offset) counts it from 0: there the
/// streams' ends, less the start time, are shorter and are taken.
fn duration_from_start(format: &Value, streams: &[Value]) -> Option<f64> {
    let duration = number(&format["duration"])?;
    let Some(start) = number(&format["start_time"]).filter(|start| *start > 0.0) else {
        return Some(duration);
    };
    let content_end = streams
        .iter()
        .filter_map(|stream| Some(number(&stream["start_time"])? + number(&stream["duration"])?))
        .reduce(f64::max);
    Some(match content_end {
        Some(end) if end > start => duration.min(end - start),
        _ => duration,
    })
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `"30000/1001"` -> 29.97; `None` for `0/0`.
fn ratio(value: &Value) -> Option<f64> {
    let (numerator, denominator) = value.as_str()?.split_once(['/', ':'])?;
    let (n, d): (f64, f64) = (numerator.parse().ok()?, denominator.parse().ok()?);
    (d != 0.0 && n.is_finite()).then_some(n / d)
}

fn tag(stream: &Value, keys: &[&str]) -> Option<String> {
    tag_of(&stream["tags"], keys)
}

/// The first of `keys` present in a tags object, compared case-insensitively (muxers
/// disagree on `Make` vs `make`).
fn tag_of(tags: &Value, keys: &[&str]) -> Option<String> {
    let tags = tags.as_object()?;
    keys.iter().find_map(|key| {
        tags.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .and_then(|(_, value)| text(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn phone_portrait_display_matrix_swaps_display_size() -> Result<(), MediaError> {
        let json = json!({
            "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "3.5",
                        "tags": {"com.apple.quicktime.make": "Apple", "com.apple.quicktime.model": "iPhone 15",
                                 "com.apple.quicktime.creationdate": "2024-05-01T10:00:00+0200"}},
            "streams": [
                {"index": 0, "codec_type": "video", "codec_name": "hevc", "width": 1920, "height": 1080,
                 "avg_frame_rate": "30000/1001", "r_frame_rate": "30/1", "pix_fmt": "yuv420p10le",
                 "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}]},
                {"index": 1, "codec_type": "audio", "codec_name": "aac", "channels": 2}
            ]
        });
        let info = media_info_from_ffprobe(&json)?;
        assert_eq!(
            (info.width, info.height, info.rotation),
            (Some(1080), Some(1920), 90)
        );
        assert_eq!(info.camera_model.as_deref(), Some("iPhone 15"));
        assert_eq!(
            info.creation_time.as_deref(),
            Some("2024-05-01T10:00:00+0200")
        );
        assert!(!info.variable_frame_rate);
        assert_eq!(info.audio_channels, Some(2));
        Ok(())
    }

    fn video_json(duration: &str) -> Value {
        json!({
            "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": duration},
            "streams": [{"index": 0, "codec_type": "video", "codec_name": "h264",
                         "width": 320, "height": 240, "r_frame_rate": "25/1",
                         "avg_frame_rate": "25/1"}]
        })
    }

    #[test]
    fn an_mp4_header_duration_counting_from_0_is_counted_from_the_start_time()
    -> Result<(), MediaError> {
        // An MP4 whose header counts the 10 s before its first frame; a transport stream
        // whose duration already counts from its start time.
        for (container, header_duration, start) in [
            ("mov,mp4,m4a,3gp,3g2,mj2", "18.2", "10.0"),
            ("mpegts", "8.2", "1.44"),
        ] {
            let json = json!({
                "format": {"format_name": container, "duration": header_duration,
                           "start_time": start},
                "streams": [{"index": 0, "codec_type": "video", "codec_name": "h264",
                             "start_time": start, "duration": "8.2"}]
            });
            let info = media_info_from_ffprobe(&json)?;
            assert!(
                info.duration.is_some_and(|d| (d - 8.2).abs() < 1e-9),
                "{container}: {info:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn zero_duration_video_is_implausible() {
        let error = media_info_for_kind(&video_json("0.000000"), AssetKind::Video).err();
        assert!(
            matches!(&error, Some(MediaError::ImplausibleMetadata(reason)) if reason == "duration 0 s"),
            "{error:?}"
        );
    }

    #[test]
    fn nan_infinite_and_negative_durations_are_implausible() {
        for duration in ["NaN", "nan", "inf", "-infinity", "-1.5", "1e300"] {
            let error = media_info_for_kind(&video_json(duration), AssetKind::Video).err();
            assert!(
                matches!(&error, Some(MediaError::ImplausibleMetadata(reason)) if reason.starts_with("duration ")),
                "{duration}: {error:?}"
            );
        }
    }

    /// ffprobe's "N/A" (a raw stream without a duration) is an unknown duration, not a bad
    /// file: the shots then end at the last decoded frame.
    #[test]
    fn not_available_duration_is_unknown() -> Result<(), MediaError> {
        let info = media_info_for_kind(&video_json("N/A"), AssetKind::Video)?;
        assert_eq!(info.duration, None);
        assert_eq!((info.width, info.height), (Some(320), Some(240)));
        Ok(())
    }

    /// 100,000 streams: refused by their count before any of them is looked at.
    #[test]
    fn a_hundred_thousand_streams_are_implausible() {
        let stream = json!({"index": 0, "codec_type": "audio", "codec_name": "pcm_s16le"});
        let json = json!({
            "format": {"duration": "1.0"},
            "streams": vec![stream; 100_000],
        });
        let error = media_info_for_kind(&json, AssetKind::Audio).err();
        assert!(
            matches!(&error, Some(MediaError::ImplausibleMetadata(reason)) if reason.starts_with("100000 streams")),
            "{error:?}"
        );
    }

    #[test]
    fn nan_duration_is_implausible() {
        let json = json!({"format": {"duration": "nan"}, "streams": [{"index": 0, "codec_type": "audio"}]});
        assert!(matches!(
            media_info_from_ffprobe(&json),
            Err(MediaError::ImplausibleMetadata(_))
        ));
    }
}
