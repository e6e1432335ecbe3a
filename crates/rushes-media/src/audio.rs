//! Decoding the first audio stream of a file to mono f32 samples at a chosen rate (16 kHz
//! for speech models), streamed from ffmpeg's stdout. Knows nothing of what the samples are
//! used for.

use std::path::Path;

use crate::MediaError;
use crate::tools::{StreamingTool, classify_failure, ffmpeg_command};

/// Samples read from ffmpeg per pipe read; a partial block at the very end (under 64 ms at
/// 16 kHz) is dropped.
const BLOCK_SAMPLES: usize = 1024;

/// Mono audio at a known sample rate.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioSamples {
    pub sample_rate: u32,
    pub samples: Vec<f32>,
}

impl AudioSamples {
    /// Length in seconds.
    pub fn duration(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate.max(1))
    }
}

/// Decodes the first audio stream of `path`, downmixed to mono and resampled to
/// `sample_rate`, as f32 in -1..1. A file without audio is `MediaError::Unsupported`.
pub fn decode_audio(path: &Path, sample_rate: u32) -> Result<AudioSamples, MediaError> {
    if sample_rate == 0 {
        return Err(MediaError::InvalidRequest(String::from(
            "audio sample rate must be > 0",
        )));
    }
    let mut command = ffmpeg_command();
    command
        .args(["-nostdin", "-hide_banner", "-nostats", "-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar"])
        .arg(sample_rate.to_string())
        .args(["-f", "f32le", "-"]);
    let mut tool = StreamingTool::spawn("ffmpeg", &mut command)?;
    let mut samples = Vec::new();
    let mut block = vec![0u8; BLOCK_SAMPLES * 4];
    while tool.read_frame(&mut block)? {
        samples.extend(
            block
                .chunks_exact(4)
                .map(|bytes| f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
        );
    }
    if let Err((error, stderr)) = tool.finish() {
        if let Some(error) = error {
            return Err(error);
        }
        if stderr.contains("matches no streams") {
            return Err(MediaError::Unsupported(String::from("no audio stream")));
        }
        if samples.is_empty() {
            return Err(classify_failure("ffmpeg", path, &stderr));
        }
        tracing::warn!(path = %path.display(), "ffmpeg stopped early while decoding audio");
    }
    Ok(AudioSamples {
        sample_rate,
        samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lavfi(dir: &Path, name: &str, args: &[&str]) -> std::path::PathBuf {
        let out = dir.join(name);
        let status = std::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args(args)
            .arg(&out)
            .status()
            .expect("ffmpeg runs");
        assert!(status.success(), "ffmpeg {args:?}");
        out
    }

    #[test]
    fn a_stereo_tone_decodes_to_mono_at_the_asked_rate() {
        let dir = tempfile::tempdir().expect("temp dir");
        let wav = lavfi(
            dir.path(),
            "tone.wav",
            &[
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:sample_rate=44100:duration=2",
                "-ac",
                "2",
            ],
        );
        let audio = decode_audio(&wav, 16_000).expect("decodes");
        assert_eq!(audio.sample_rate, 16_000);
        assert!((audio.duration() - 2.0).abs() < 0.1, "{}", audio.duration());
        let peak = audio.samples.iter().fold(0f32, |m, s| m.max(s.abs()));
        assert!(peak > 0.05 && peak <= 1.0, "peak {peak}");
    }

    #[test]
    fn a_video_without_audio_says_so() {
        let dir = tempfile::tempdir().expect("temp dir");
        let video = lavfi(
            dir.path(),
            "silent.mp4",
            &["-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=5"],
        );
        let error = decode_audio(&video, 16_000).expect_err("no audio");
        assert!(error.to_string().contains("no audio"), "{error}");
        assert!(error.is_user_error());
    }
}
