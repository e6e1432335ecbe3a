//! Speech to transcript lines for files without a sidecar transcript: decode the audio at
//! 16 kHz, find speech with Silero VAD, transcribe the speech (grouped into windows of at
//! most 30 s) with Whisper, and return lines with `source = "speech"` in file time. Loads
//! the two models once per run; either missing turns speech off with a notice.

use std::path::Path;

use rushes_core::{AssetKind, TranscriptLine};
use rushes_models::whisper::{SAMPLE_RATE, WhisperModel};
use rushes_models::{ModelStore, SileroVad, SpeechSegment};
use tracing::info;

use crate::config::SpeechConfig;
use crate::models::ModelSetConfig;
use crate::stage::{AssetDraft, FileStart, Loaded, Stage, StageCount, StageKind, Switch};
use crate::{IngestConfig, IngestError};

/// `source` of transcript lines heard by the speech model.
pub const SPEECH_SOURCE: &str = "speech";

/// Longest stretch handed to Whisper at once, in seconds (its window).
const MAX_WINDOW: f64 = 30.0;

/// Registers speech transcription (`--no-speech`, `--language`).
pub struct SpeechStage;

impl StageKind for SpeechStage {
    fn name(&self) -> &'static str {
        "speech"
    }

    fn switch(&self) -> Option<Switch> {
        Some(Switch {
            flag: "no-speech",
            help: "Do not transcribe speech (files without a sidecar transcript get none)",
        })
    }

    fn count(&self) -> Option<StageCount> {
        Some(StageCount {
            key: "speech_lines",
            label: "speech lines",
            in_progress: true,
        })
    }

    fn load(&self, config: &IngestConfig) -> Result<Loaded, IngestError> {
        let (transcriber, notices) = SpeechTranscriber::load(&config.speech, &config.models)?;
        let stage = transcriber.map(|transcriber| {
            Box::new(FileSpeech {
                transcriber,
                heard: 0,
            }) as Box<dyn Stage>
        });
        Ok(Loaded { stage, notices })
    }
}

/// The speech models of a run, and how many lines the file at hand gave.
struct FileSpeech {
    transcriber: SpeechTranscriber,
    heard: usize,
}

impl Stage for FileSpeech {
    /// Fills an empty transcript of an audio or video file with what speech gives; a
    /// failure is a warning, never a failed file.
    fn start_file(&mut self, file: &FileStart<'_>, draft: &mut AssetDraft) {
        self.heard = add_speech(
            &mut self.transcriber,
            file.path,
            file.kind,
            &mut draft.transcript,
            &mut draft.warnings,
        );
    }

    fn file_count(&self) -> usize {
        self.heard
    }
}

/// The loaded VAD and speech models.
pub struct SpeechTranscriber {
    vad: SileroVad,
    whisper: WhisperModel,
    language: Option<String>,
}

impl std::fmt::Debug for SpeechTranscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeechTranscriber")
            .field("whisper", &self.whisper)
            .finish()
    }
}

impl SpeechTranscriber {
    /// Loads the models when they are installed. A missing model is a notice
    /// (`Ok((None, notices))`); an installed but broken one is an error, since indexing
    /// silently without it would lose transcripts.
    pub fn load(
        config: &SpeechConfig,
        models: &ModelSetConfig,
    ) -> Result<(Option<SpeechTranscriber>, Vec<String>), IngestError> {
        if let Err(error) = rushes_models::runtime::init() {
            return Ok((None, vec![format!("speech transcription is off: {error}")]));
        }
        let store = ModelStore::new(&models.models_dir);
        let name = config
            .model
            .clone()
            .or_else(|| WhisperModel::find_installed(&store));
        let Some(name) = name else {
            return Ok((
                None,
                vec![format!(
                    "speech transcription is off: no speech model installed (run `rushes models fetch {}`)",
                    rushes_models::whisper::WHISPER_MODEL
                )],
            ));
        };
        let vad = match SileroVad::load(&store, models.threads) {
            Ok(vad) => vad,
            Err(error) if error.is_user_error() => {
                return Ok((None, vec![format!("speech transcription is off: {error}")]));
            }
            Err(error) => return Err(error.into()),
        };
        let whisper = WhisperModel::load(&store, &name, models.threads)?;
        info!(model = %name, "speech transcription on");
        Ok((
            Some(SpeechTranscriber {
                vad,
                whisper,
                language: config.language.clone(),
            }),
            Vec::new(),
        ))
    }

    /// Transcript lines of the speech in `path`, in file time. A file without audio has
    /// none.
    pub fn transcribe_file(&mut self, path: &Path) -> Result<Vec<TranscriptLine>, IngestError> {
        let audio = match rushes_media::decode_audio(path, SAMPLE_RATE) {
            Ok(audio) => audio,
            Err(rushes_media::MediaError::Unsupported(_)) => return Ok(Vec::new()),
            Err(error) => return Err(error.into()),
        };
        self.transcribe_samples(&audio.samples)
    }

    /// Transcript lines of 16 kHz mono samples.
    pub fn transcribe_samples(
        &mut self,
        samples: &[f32],
    ) -> Result<Vec<TranscriptLine>, IngestError> {
        let segments = self.vad.detect(samples)?;
        let mut lines = Vec::new();
        for window in speech_windows(&segments, MAX_WINDOW) {
            let rate = f64::from(SAMPLE_RATE);
            let from = ((window.start * rate) as usize).min(samples.len());
            let to = ((window.end * rate).ceil() as usize).clamp(from, samples.len());
            let heard = self.whisper.transcribe(
                &samples[from..to],
                from as f64 / rate,
                self.language.as_deref(),
            )?;
            lines.extend(heard.lines.into_iter().map(|line| TranscriptLine {
                start: line.start,
                end: line.end.min(window.end).max(line.start),
                text: line.text,
                source: SPEECH_SOURCE.to_string(),
            }));
        }
        Ok(lines)
    }
}

/// Fills an empty transcript of an audio or video file with what `speech` hears; a
/// failure is a warning, never a failed file. Returns how many lines speech gave.
fn add_speech(
    speech: &mut SpeechTranscriber,
    path: &Path,
    kind: AssetKind,
    transcript: &mut Vec<TranscriptLine>,
    warnings: &mut Vec<String>,
) -> usize {
    if !transcript.is_empty() || kind == AssetKind::Image {
        return 0;
    }
    match speech.transcribe_file(path) {
        Ok(lines) => {
            *transcript = lines;
            transcript.len()
        }
        Err(error) => {
            warnings.push(format!("speech not transcribed: {error}"));
            0
        }
    }
}

/// Groups speech segments into windows of at most `max` seconds, splitting longer
/// segments, so each window is one Whisper pass.
fn speech_windows(segments: &[SpeechSegment], max: f64) -> Vec<SpeechSegment> {
    let mut windows: Vec<SpeechSegment> = Vec::new();
    for segment in segments {
        let mut start = segment.start;
        while start < segment.end {
            let end = segment.end.min(start + max);
            match windows.last_mut() {
                Some(last) if end - last.start <= max => last.end = end,
                _ => windows.push(SpeechSegment { start, end }),
            }
            start = end;
        }
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(start: f64, end: f64) -> SpeechSegment {
        SpeechSegment { start, end }
    }

    #[test]
    fn close_segments_share_a_window_and_long_ones_are_split() {
        let windows = speech_windows(
            &[segment(1.0, 5.0), segment(8.0, 20.0), segment(40.0, 100.0)],
            30.0,
        );
        assert_eq!(
            windows,
            vec![
                segment(1.0, 20.0),
                segment(40.0, 70.0),
                segment(70.0, 100.0)
            ]
        );
        assert!(speech_windows(&[], 30.0).is_empty());
    }
}
