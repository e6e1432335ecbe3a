//! Files made for other crates' users out of a source, through the same tools as the rest
//! of this crate (`RUSHES_FFMPEG` / `RUSHES_FFPROBE`, a timeout on every run, a missing tool
//! as [`MediaError::ToolMissing`]): the server's browser-playable MP4 proxies and the start
//! of a container's timeline, and text drawn onto a picture (the contact sheet's labels).

use std::path::Path;
use std::time::Duration;

use crate::MediaError;
use crate::tools::{
    PROBE_TIMEOUT, classify_failure, ffmpeg_command, ffprobe_command, run_with_timeout,
};

/// Seconds of a container's timeline before its first packet (`format=start_time`): 0 when
/// the container has none.
pub fn container_start_seconds(path: &Path) -> Result<f64, MediaError> {
    let mut command = ffprobe_command();
    command
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=start_time",
            "-of",
            "default=noprint_wrappers=1:nokey=1",
        ])
        .arg(path);
    let output = run_with_timeout("ffprobe", &mut command, PROBE_TIMEOUT)?;
    if !output.success {
        return Err(classify_failure("ffprobe", path, &output.stderr));
    }
    // "N/A" when the container has no start time: it starts at 0.
    Ok(String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse::<f64>()
        .unwrap_or(0.0))
}

/// Writes the first video and audio stream of `source` to `dest` as a fast-start MP4 with
/// `codec_args` (a stream copy or a re-encode). Subtitles and data streams are left out.
/// ffmpeg is killed after ten times the source's `duration` (an hour's worth when unknown,
/// six hours at most) like a clip export. `dest` is written in place: the caller writes to a
/// `.part` and renames.
pub fn write_playable_mp4(
    source: &Path,
    dest: &Path,
    codec_args: &[&str],
    duration: Option<f64>,
) -> Result<(), MediaError> {
    let length = duration.filter(|seconds| seconds.is_finite() && *seconds > 0.0);
    let timeout = PROBE_TIMEOUT
        + Duration::from_secs_f64((length.unwrap_or(3600.0) * 10.0).min(6.0 * 3600.0));
    let mut command = ffmpeg_command();
    command
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(source)
        .args(["-map", "0:v:0?", "-map", "0:a:0?", "-sn", "-dn"])
        .args(codec_args)
        .args(["-movflags", "+faststart", "-f", "mp4"])
        .arg(dest);
    let output = run_with_timeout("ffmpeg", &mut command, timeout)?;
    if !output.success {
        return Err(classify_failure("ffmpeg", source, &output.stderr));
    }
    Ok(())
}

/// Runs the video filter chain `filters` over the picture `picture` and writes the one
/// resulting frame to `dest` as PNG. ffmpeg runs in `work_dir`, so filters may name files
/// there (`drawtext=textfile=title.txt`).
pub fn filter_picture_to_png(
    picture: &Path,
    work_dir: &Path,
    filters: &str,
    dest: &Path,
) -> Result<(), MediaError> {
    let mut command = ffmpeg_command();
    command
        .current_dir(work_dir)
        .args(["-nostdin", "-hide_banner", "-v", "error", "-y", "-i"])
        .arg(picture)
        .args(["-vf", filters])
        .args([
            "-frames:v",
            "1",
            "-update",
            "1",
            "-c:v",
            "png",
            "-f",
            "image2",
        ])
        .arg(dest);
    let output = run_with_timeout("ffmpeg", &mut command, PROBE_TIMEOUT)?;
    if !output.success {
        return Err(MediaError::ToolFailed {
            tool: "ffmpeg",
            reason: output.stderr.trim().to_owned(),
        });
    }
    Ok(())
}
