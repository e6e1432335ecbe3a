//! Clip export: cutting [start, end] of a file to an MP4, by stream copy when the cut starts
//! on a keyframe and nothing needs changing, else by re-encoding to H.264/AAC, optionally
//! centre-cropped to 9:16 or 1:1. Written as `dest.part`, then renamed.

use std::path::Path;
use std::time::Duration;

use rushes_core::MediaInfo;

use crate::MediaError;
use crate::tools::{
    PROBE_TIMEOUT, classify_failure, ffmpeg_reading_from, ffprobe_command, run_with_timeout,
};

/// A centre crop to a social-media aspect ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crop {
    /// 9:16 portrait.
    Vertical,
    /// 1:1.
    Square,
}

impl Crop {
    /// Width over height of the crop.
    fn aspect(self) -> (u32, u32) {
        match self {
            Crop::Vertical => (9, 16),
            Crop::Square => (1, 1),
        }
    }
}

/// How to export a clip.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExportOptions {
    /// Seconds added before the start and after the end (clamped to the file).
    pub handles: f64,
    pub crop: Option<Crop>,
    /// Re-encode even when a stream copy would do.
    pub reencode: bool,
}

/// Cuts [start, end] (plus handles) of `src` into the MP4 `dest`.
pub fn export_clip(
    src: &Path,
    info: &MediaInfo,
    start: f64,
    end: f64,
    dest: &Path,
    options: &ExportOptions,
) -> Result<(), MediaError> {
    if !(start.is_finite() && end.is_finite()) || start < 0.0 || end <= start {
        return Err(MediaError::InvalidRequest(format!(
            "bad range {start}..{end} s"
        )));
    }
    if !src.exists() {
        return Err(MediaError::NotFound(src.to_path_buf()));
    }
    let handles = if options.handles.is_finite() {
        options.handles.max(0.0)
    } else {
        0.0
    };
    let duration = info.duration.unwrap_or(f64::INFINITY);
    if start >= duration {
        return Err(MediaError::InvalidRequest(format!(
            "start {start:.3} s is past the end ({duration:.3} s)"
        )));
    }
    let from = (start - handles).max(0.0);
    let to = (end + handles).min(duration);
    let length = to - from;

    let part = dest.with_added_extension("part");
    let copy_ok =
        !options.reencode && options.crop.is_none() && starts_on_keyframe(src, info, from);
    let timeout = PROBE_TIMEOUT + Duration::from_secs_f64((length * 10.0).min(6.0 * 3600.0));
    let mut result = Err(MediaError::InvalidRequest(String::new()));
    if copy_ok {
        result = run_export(src, from, length, &part, None, timeout);
        if let Err(error) = &result {
            tracing::info!(src = %src.display(), "stream copy failed ({error}); re-encoding");
        }
    }
    if !copy_ok || result.is_err() {
        result = run_export(src, from, length, &part, Some(options.crop), timeout);
    }
    if let Err(error) = result {
        let _ = std::fs::remove_file(&part);
        return Err(error);
    }
    std::fs::rename(&part, dest).map_err(|e| {
        let _ = std::fs::remove_file(&part);
        MediaError::io(dest, "writing", e)
    })
}

/// `encode`: `None` for stream copy, `Some(crop)` to re-encode with an optional crop.
fn run_export(
    src: &Path,
    from: f64,
    length: f64,
    part: &Path,
    encode: Option<Option<Crop>>,
    timeout: Duration,
) -> Result<(), MediaError> {
    let mut command = ffmpeg_reading_from(from, src);
    command.args([
        "-y",
        "-t",
        &format!("{length:.6}"),
        "-map",
        "0:V:0?",
        "-map",
        "0:a:0?",
        "-map_metadata",
        "0",
    ]);
    match encode {
        None => {
            command.args(["-c", "copy", "-avoid_negative_ts", "make_zero"]);
        }
        Some(crop) => {
            let mut filters = Vec::new();
            if let Some(crop) = crop {
                let (w, h) = crop.aspect();
                filters.push(format!("crop='min(iw,ih*{w}/{h})':'min(ih,iw*{h}/{w})'"));
            }
            filters.push(String::from("scale=trunc(iw/2)*2:trunc(ih/2)*2"));
            command
                .arg("-vf")
                .arg(filters.join(","))
                .args([
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
                ])
                .args(["-c:a", "aac", "-b:a", "160k"]);
        }
    }
    command
        .args(["-movflags", "+faststart", "-f", "mp4"])
        .arg(part);
    let output = run_with_timeout("ffmpeg", &mut command, timeout)?;
    if !output.success {
        return Err(classify_failure("ffmpeg", src, &output.stderr));
    }
    Ok(())
}

/// True when a video keyframe lies within half a frame of `time` (or the file has no
/// video, where any cut point is clean).
fn starts_on_keyframe(src: &Path, info: &MediaInfo, time: f64) -> bool {
    if info.width.is_none() {
        return true;
    }
    let half_frame = 0.5 / info.frame_rate.filter(|r| *r > 0.0).unwrap_or(25.0);
    let mut command = ffprobe_command();
    command
        .args([
            "-v",
            "error",
            "-select_streams",
            "V:0",
            "-skip_frame",
            "nokey",
        ])
        .args([
            "-show_entries",
            "frame=best_effort_timestamp_time",
            "-of",
            "csv=p=0",
        ])
        .args([
            "-read_intervals",
            &format!("{:.6}%{:.6}", (time - 2.0).max(0.0), time + 1.0),
        ])
        .arg(src);
    let Ok(output) = run_with_timeout("ffprobe", &mut command, PROBE_TIMEOUT) else {
        return false;
    };
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse::<f64>().ok())
        .any(|keyframe| (keyframe - time).abs() <= half_frame)
}
