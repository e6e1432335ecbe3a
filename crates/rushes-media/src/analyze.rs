//! One streaming decode of a video that yields both its shots (hard cuts, by the mean HSV
//! difference between consecutive frames, like PySceneDetect's ContentDetector) and the
//! frames the models need (the first of every shot, then one every `interval`), scaled and
//! upright, delivered in bounded batches. Also single-frame grabs (`frame_at`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use image::RgbImage;
use rushes_core::MediaInfo;

use crate::MediaError;
use crate::tools::{
    PROBE_TIMEOUT, StreamingTool, classify_failure, ffmpeg_command, run_with_timeout,
};

/// How `analyze_video` samples and cuts.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingConfig {
    /// Seconds between sampled frames inside a shot.
    pub interval: f64,
    /// Longest side of sampled frames in pixels (never upscaled).
    pub max_side: u32,
    /// Cut threshold on the mean HSV difference, 0-255 scale (PySceneDetect's default: 27).
    pub shot_threshold: f32,
    /// Shortest shot in seconds: a cut closer than this to the previous one is ignored.
    pub min_shot_len: f64,
    /// Frames handed to the callback at once.
    pub batch_size: usize,
    /// Decoder threads; 0 lets ffmpeg choose.
    pub decode_threads: usize,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        SamplingConfig {
            interval: 2.0,
            max_side: 960,
            shot_threshold: 27.0,
            min_shot_len: 0.6,
            batch_size: 16,
            decode_threads: 0,
        }
    }
}

/// A shot: seconds from the start of the file, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shot {
    pub start: f64,
    pub end: f64,
}

/// A decoded frame chosen for the models.
#[derive(Debug, Clone, PartialEq)]
pub struct SampledFrame {
    /// Seconds from the start of the file.
    pub time: f64,
    /// Index of the shot it belongs to in the returned shot list.
    pub shot: usize,
    /// Upright, longest side at most `max_side`.
    pub image: RgbImage,
}

/// Decodes the video once; calls `on_batch` with frames as they come (first frame of every
/// shot, then every `interval` inside it); returns the shots covering [0, duration].
///
/// Memory stays bounded by one frame plus one batch whatever the length of the file. An
/// error from `on_batch` stops the decode (ffmpeg is killed) and is returned as is.
pub fn analyze_video(
    path: &Path,
    info: &MediaInfo,
    config: &SamplingConfig,
    on_batch: &mut dyn FnMut(Vec<SampledFrame>) -> Result<(), MediaError>,
) -> Result<Vec<Shot>, MediaError> {
    if !path.exists() {
        return Err(MediaError::NotFound(path.to_path_buf()));
    }
    let (width, height) = output_size(info, config.max_side)?;
    let frame_rate = info.frame_rate.filter(|r| *r > 0.0).unwrap_or(25.0);
    let mut command = decode_command(path, width, height, config.decode_threads);
    let mut tool = StreamingTool::spawn("ffmpeg", &mut command)?;

    let frame_bytes = width as usize * height as usize * 3;
    let mut buffer = vec![0u8; frame_bytes];
    let mut detector = ShotDetector::new(config.shot_threshold);
    let mut shots: Vec<Shot> = Vec::new();
    let mut batch: Vec<SampledFrame> = Vec::with_capacity(config.batch_size.max(1));
    let mut shot_start = 0.0f64;
    let mut last_sample: Option<f64> = None;
    let mut origin: Option<f64> = None;
    let mut previous_time: Option<f64> = None;
    let mut frames_decoded = 0u64;
    let half_frame = 0.5 / frame_rate;

    while tool.read_frame(&mut buffer)? {
        let pts = tool
            .frame_times
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default();
        let time = match (pts, origin, previous_time) {
            (Some(pts), None, _) => {
                origin = Some(pts);
                0.0
            }
            (Some(pts), Some(origin), _) => (pts - origin).max(0.0),
            (None, _, Some(previous)) => previous + 1.0 / frame_rate,
            (None, _, None) => 0.0,
        };
        // Timestamps that go backwards (broken muxers) are clamped to stay monotonic.
        let time = previous_time.map_or(time, |p| time.max(p));
        previous_time = Some(time);
        frames_decoded += 1;

        let score = detector.push(&buffer, width, height);
        let is_cut = frames_decoded > 1
            && score >= config.shot_threshold
            && time - shot_start >= config.min_shot_len - half_frame;
        if is_cut {
            shots.push(Shot {
                start: shot_start,
                end: time,
            });
            shot_start = time;
        }
        let due = match last_sample {
            None => true,
            Some(last) => is_cut || time - last >= config.interval - half_frame,
        };
        if due {
            last_sample = Some(time);
            let image = RgbImage::from_raw(width, height, buffer.clone()).ok_or_else(|| {
                MediaError::ToolFailed {
                    tool: "ffmpeg",
                    reason: String::from("frame size mismatch"),
                }
            })?;
            batch.push(SampledFrame {
                time,
                shot: shots.len(),
                image,
            });
            if batch.len() >= config.batch_size.max(1) {
                on_batch(std::mem::take(&mut batch))?;
                tool.mark_progress(); // time spent in the callback is not a stall
            }
        }
    }
    let finished = tool.finish();
    if let Err((error, stderr)) = finished {
        if let Some(error) = error {
            return Err(error);
        }
        if frames_decoded == 0 {
            return Err(classify_failure("ffmpeg", path, &stderr));
        }
        tracing::warn!(path = %path.display(), frames_decoded, "ffmpeg stopped early: {}", last_line(&stderr));
    }
    if frames_decoded == 0 {
        return Err(MediaError::Corrupt(String::from(
            "no video frame could be decoded",
        )));
    }
    if !batch.is_empty() {
        on_batch(batch)?;
    }
    let last_frame_end = previous_time.unwrap_or(0.0) + 1.0 / frame_rate;
    let duration = info
        .duration
        .filter(|d| d.is_finite() && *d >= shot_start)
        .unwrap_or(last_frame_end)
        .max(shot_start);
    shots.push(Shot {
        start: shot_start,
        end: duration,
    });
    tracing::debug!(path = %path.display(), frames_decoded, shots = shots.len(), "analysed video");
    Ok(shots)
}

/// One upright frame at `seconds`, longest side at most `max_side`.
pub fn frame_at(
    path: &Path,
    info: &MediaInfo,
    seconds: f64,
    max_side: u32,
) -> Result<RgbImage, MediaError> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(MediaError::InvalidRequest(format!(
            "no frame at {seconds} s"
        )));
    }
    if let Some(duration) = info.duration
        && seconds > duration
    {
        return Err(MediaError::InvalidRequest(format!(
            "{seconds:.3} s is past the end ({duration:.3} s)"
        )));
    }
    if !path.exists() {
        return Err(MediaError::NotFound(path.to_path_buf()));
    }
    let (width, height) = output_size(info, max_side)?;
    // Seeking a little before the very end can find no frame; step back one frame at a time.
    let step = 1.0 / info.frame_rate.filter(|r| *r > 0.0).unwrap_or(25.0);
    let mut target = seconds;
    for _ in 0..3 {
        let mut command = ffmpeg_command();
        command
            .args([
                "-nostdin",
                "-hide_banner",
                "-v",
                "error",
                "-ss",
                &format!("{target:.6}"),
                "-i",
            ])
            .arg(path)
            .args(["-map", "0:V:0", "-frames:v", "1", "-vf"])
            .arg(format!(
                "scale={width}:{height}:flags=bilinear,format=rgb24"
            ))
            .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]);
        let output = run_with_timeout("ffmpeg", &mut command, PROBE_TIMEOUT)?;
        if !output.success {
            return Err(classify_failure("ffmpeg", path, &output.stderr));
        }
        let bytes = width as usize * height as usize * 3;
        if output.stdout.len() >= bytes {
            let mut pixels = output.stdout;
            pixels.truncate(bytes);
            return RgbImage::from_raw(width, height, pixels).ok_or_else(|| {
                MediaError::ToolFailed {
                    tool: "ffmpeg",
                    reason: String::from("frame size mismatch"),
                }
            });
        }
        target = (target - step).max(0.0);
    }
    Err(MediaError::Corrupt(format!(
        "no frame could be decoded near {seconds:.3} s"
    )))
}

fn decode_command(path: &Path, width: u32, height: u32, threads: usize) -> Command {
    let mut command = ffmpeg_command();
    command.args(["-nostdin", "-hide_banner", "-nostats", "-loglevel", "info"]);
    if threads > 0 {
        command.args(["-threads", &threads.to_string()]);
    }
    command
        .arg("-i")
        .arg(path)
        .args(["-map", "0:V:0", "-an", "-sn", "-dn", "-vf"])
        // ffmpeg rotates by the display matrix first (autorotate is on by default), so
        // `width`/`height` are the display size.
        .arg(format!(
            "scale={width}:{height}:flags=bilinear,format=rgb24,showinfo=checksum=0"
        ))
        .args([
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "pipe:1",
        ]);
    command
}

/// Output size for a display size and a longest-side limit, never upscaled, at least 2x2.
pub(crate) fn output_size(info: &MediaInfo, max_side: u32) -> Result<(u32, u32), MediaError> {
    let (Some(width), Some(height)) = (info.width, info.height) else {
        return Err(MediaError::NoVideoStream);
    };
    let longest = width.max(height).max(1);
    let limit = if max_side == 0 {
        longest
    } else {
        max_side.min(longest)
    };
    let scale = f64::from(limit) / f64::from(longest);
    let fit = |side: u32| ((f64::from(side) * scale).round() as u32).max(2);
    Ok((fit(width), fit(height)))
}

fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
}

/// Hard-cut detector: the mean absolute difference of hue, saturation and value (OpenCV's
/// 8-bit HSV: H 0-179, S and V 0-255) between consecutive frames downscaled to about 256
/// pixels wide, averaged over the three channels, as PySceneDetect's ContentDetector does.
pub struct ShotDetector {
    threshold: f32,
    previous: Vec<[u8; 3]>,
    current: Vec<[u8; 3]>,
}

/// Width the detector works at; PySceneDetect downscales to about this too.
const DETECTION_WIDTH: u32 = 256;

impl ShotDetector {
    pub fn new(threshold: f32) -> ShotDetector {
        ShotDetector {
            threshold,
            previous: Vec::new(),
            current: Vec::new(),
        }
    }

    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// Takes the next RGB frame and returns its content score against the previous one
    /// (0 for the first frame or after a size change).
    pub fn push(&mut self, rgb: &[u8], width: u32, height: u32) -> f32 {
        let factor = (width / DETECTION_WIDTH).max(1) as usize;
        let (width, height) = (width as usize, height as usize);
        let (small_w, small_h) = (width / factor, height / factor);
        self.current.clear();
        let area = (factor * factor) as u32;
        for by in 0..small_h {
            for bx in 0..small_w {
                let mut sum = [0u32; 3];
                for y in by * factor..(by + 1) * factor {
                    let row = (y * width + bx * factor) * 3;
                    for pixel in rgb[row..row + factor * 3].chunks_exact(3) {
                        sum[0] += u32::from(pixel[0]);
                        sum[1] += u32::from(pixel[1]);
                        sum[2] += u32::from(pixel[2]);
                    }
                }
                let mean = [
                    (sum[0] / area) as u8,
                    (sum[1] / area) as u8,
                    (sum[2] / area) as u8,
                ];
                self.current.push(rgb_to_hsv(mean));
            }
        }
        let score = if self.previous.len() == self.current.len() && !self.current.is_empty() {
            let mut delta = [0u64; 3];
            for (a, b) in self.previous.iter().zip(&self.current) {
                for channel in 0..3 {
                    delta[channel] += u64::from(a[channel].abs_diff(b[channel]));
                }
            }
            let count = self.current.len() as f64;
            ((delta[0] + delta[1] + delta[2]) as f64 / (3.0 * count)) as f32
        } else {
            0.0
        };
        std::mem::swap(&mut self.previous, &mut self.current);
        score
    }
}

/// RGB to OpenCV's 8-bit HSV (H in 0..180).
fn rgb_to_hsv([r, g, b]: [u8; 3]) -> [u8; 3] {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let delta = max - min;
    let saturation = if max == 0 {
        0
    } else {
        (255 * delta + max / 2) / max
    };
    let hue = if delta == 0 {
        0.0
    } else {
        let d = delta as f32;
        let h = if max == r {
            60.0 * (g - b) as f32 / d
        } else if max == g {
            120.0 + 60.0 * (b - r) as f32 / d
        } else {
            240.0 + 60.0 * (r - g) as f32 / d
        };
        if h < 0.0 { h + 360.0 } else { h }
    };
    [
        ((hue / 2.0).round() as i32 % 180) as u8,
        saturation as u8,
        max as u8,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsv_matches_opencv_for_primaries() {
        assert_eq!(rgb_to_hsv([255, 0, 0]), [0, 255, 255]);
        assert_eq!(rgb_to_hsv([0, 255, 0]), [60, 255, 255]);
        assert_eq!(rgb_to_hsv([0, 0, 255]), [120, 255, 255]);
        assert_eq!(rgb_to_hsv([128, 128, 128]), [0, 0, 128]);
    }

    #[test]
    fn detector_scores_a_colour_change_high_and_a_repeat_zero() {
        let mut detector = ShotDetector::new(27.0);
        let red: Vec<u8> = [255u8, 0, 0].repeat(64 * 48);
        let blue: Vec<u8> = [0u8, 0, 255].repeat(64 * 48);
        assert_eq!(detector.push(&red, 64, 48), 0.0);
        assert_eq!(detector.push(&red, 64, 48), 0.0);
        assert!(detector.push(&blue, 64, 48) > detector.threshold());
    }

    #[test]
    fn output_size_keeps_aspect_and_never_upscales() -> Result<(), MediaError> {
        let hd = MediaInfo {
            width: Some(1920),
            height: Some(1080),
            ..MediaInfo::default()
        };
        assert_eq!(output_size(&hd, 960)?, (960, 540));
        let small = MediaInfo {
            width: Some(320),
            height: Some(240),
            ..MediaInfo::default()
        };
        assert_eq!(output_size(&small, 960)?, (320, 240));
        assert!(output_size(&MediaInfo::default(), 960).is_err());
        Ok(())
    }
}
