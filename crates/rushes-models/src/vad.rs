//! Voice activity detection with Silero VAD (v5/v6 ONNX, as shipped in the PyPI
//! `silero-vad` wheel): per-window speech probabilities from the recurrent graph, then
//! speech segments with hysteresis, minimum durations and padding. Decoding audio is the
//! caller's job (16 kHz mono f32).

use ndarray::{Array0, Array2, Array3};
use ort::value::TensorRef;

use crate::manifest::{Manifest, TASK_VOICE_ACTIVITY};
use crate::session::Graph;
use crate::{ModelError, ModelStore};

/// Name of the default VAD model's manifest.
pub const VAD_MODEL: &str = "silero-vad";

pub use crate::manifest::VadSpec;

/// Size of one half of Silero's recurrent state.
const STATE_WIDTH: usize = 128;

/// How probabilities become segments (Silero's own defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadParams {
    /// A window at or above this probability starts (or continues) speech.
    pub threshold: f32,
    /// Speech ends only after the probability falls below this (hysteresis).
    pub negative_threshold: f32,
    /// Shorter speech bursts are dropped, in seconds.
    pub min_speech: f64,
    /// Shorter pauses do not end a segment, in seconds.
    pub min_silence: f64,
    /// Added before and after each segment, in seconds (halved between close neighbours).
    pub speech_pad: f64,
}

impl Default for VadParams {
    fn default() -> Self {
        VadParams {
            threshold: 0.5,
            negative_threshold: 0.35,
            min_speech: 0.25,
            min_silence: 0.1,
            speech_pad: 0.03,
        }
    }
}

/// A stretch of speech, in seconds from the start of the audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpeechSegment {
    pub start: f64,
    pub end: f64,
}

/// Silero VAD loaded from a models folder.
pub struct SileroVad {
    graph: Graph,
    spec: VadSpec,
    params: VadParams,
}

impl std::fmt::Debug for SileroVad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SileroVad")
            .field("graph", &self.graph)
            .field("params", &self.params)
            .finish()
    }
}

impl SileroVad {
    /// Loads the `silero-vad` model.
    pub fn load(store: &ModelStore, threads: usize) -> Result<SileroVad, ModelError> {
        Self::load_named(store, VAD_MODEL, threads)
    }

    /// Loads any voice-activity model by manifest name.
    pub fn load_named(
        store: &ModelStore,
        name: &str,
        threads: usize,
    ) -> Result<SileroVad, ModelError> {
        let manifest: Manifest = store.manifest(name)?;
        let Some(spec) = manifest.vad.clone() else {
            return Err(ModelError::BadManifest {
                path: store.manifest_path(name),
                reason: format!(
                    "model {name} is not a {TASK_VOICE_ACTIVITY} model (task {})",
                    manifest.task
                ),
            });
        };
        let path = store.file_path(&manifest, &spec.file);
        if !path.is_file() {
            let hint = if manifest.install_hint.is_empty() {
                String::new()
            } else {
                format!(" ({})", manifest.install_hint)
            };
            return Err(ModelError::MissingFile {
                model: name.to_string(),
                path,
                hint,
            });
        }
        if spec.window == 0 || spec.sample_rate == 0 {
            return Err(ModelError::BadManifest {
                path: store.manifest_path(name),
                reason: "vad window and sample_rate must be > 0".into(),
            });
        }
        let graph = Graph::open(name, &path, threads)?;
        for input in [&spec.input, &spec.state, &spec.sample_rate_input] {
            graph.require_input(input)?;
        }
        for output in [&spec.output, &spec.state_output] {
            graph.require_output(output)?;
        }
        Ok(SileroVad {
            graph,
            spec,
            params: VadParams::default(),
        })
    }

    /// Sample rate the model expects.
    pub fn sample_rate(&self) -> u32 {
        self.spec.sample_rate
    }

    /// Segmentation settings in use.
    pub fn params_mut(&mut self) -> &mut VadParams {
        &mut self.params
    }

    /// Seconds covered by one probability.
    pub fn window_seconds(&self) -> f64 {
        self.spec.window as f64 / f64::from(self.spec.sample_rate)
    }

    /// One speech probability per window of `samples` (the last window zero-padded).
    pub fn speech_probabilities(&mut self, samples: &[f32]) -> Result<Vec<f32>, ModelError> {
        let _span = tracing::debug_span!("vad_inference", samples = samples.len()).entered();
        let window = self.spec.window;
        let context = self.spec.context;
        let mut state = Array3::<f32>::zeros((2, 1, STATE_WIDTH));
        let sample_rate = Array0::from_elem((), i64::from(self.spec.sample_rate));
        let mut input = Array2::<f32>::zeros((1, context + window));
        let mut probabilities = Vec::with_capacity(samples.len().div_ceil(window));
        let id = self.graph.id.clone();
        let context_of = |e| ModelError::inference(format!("Silero VAD {}", id.path.display()), e);
        for chunk in samples.chunks(window) {
            // Keep the last `context` samples of the previous input in front of the window.
            {
                let mut row = input.row_mut(0);
                let row = row.as_slice_mut().ok_or_else(|| {
                    ModelError::InvalidInput("VAD input buffer is not contiguous".into())
                })?;
                row.copy_within(window.., 0);
                row[context..context + chunk.len()].copy_from_slice(chunk);
                row[context + chunk.len()..].fill(0.0);
            }
            let audio = TensorRef::from_array_view(&input).map_err(context_of)?;
            let state_in = TensorRef::from_array_view(&state).map_err(context_of)?;
            let rate = TensorRef::from_array_view(&sample_rate).map_err(context_of)?;
            let outputs = self
                .graph
                .session
                .run(ort::inputs![
                    self.spec.input.as_str() => audio,
                    self.spec.state.as_str() => state_in,
                    self.spec.sample_rate_input.as_str() => rate,
                ])
                .map_err(context_of)?;
            let probability = outputs[self.spec.output.as_str()]
                .try_extract_array::<f32>()
                .map_err(context_of)?
                .iter()
                .next()
                .copied()
                .ok_or_else(|| id.incompatible("its output is empty".into()))?;
            let next = outputs[self.spec.state_output.as_str()]
                .try_extract_array::<f32>()
                .map_err(context_of)?;
            if next.len() != state.len() {
                return Err(id.incompatible(format!(
                    "its state output has {} values, expected {}",
                    next.len(),
                    state.len()
                )));
            }
            for (slot, value) in state.iter_mut().zip(next.iter()) {
                *slot = *value;
            }
            probabilities.push(probability);
        }
        Ok(probabilities)
    }

    /// Speech segments of `samples` (at [`Self::sample_rate`]).
    pub fn detect(&mut self, samples: &[f32]) -> Result<Vec<SpeechSegment>, ModelError> {
        let probabilities = self.speech_probabilities(samples)?;
        let total = samples.len() as f64 / f64::from(self.spec.sample_rate);
        Ok(segments_from_probabilities(
            &probabilities,
            self.window_seconds(),
            total,
            &self.params,
        ))
    }
}

/// Turns per-window speech probabilities into segments: speech starts at a window at or
/// above `threshold`, ends once the probability has stayed below `negative_threshold` for
/// `min_silence`; bursts shorter than `min_speech` are dropped; segments are padded by
/// `speech_pad` (half the gap between close neighbours) and clamped to `0..total`.
pub fn segments_from_probabilities(
    probabilities: &[f32],
    window: f64,
    total: f64,
    params: &VadParams,
) -> Vec<SpeechSegment> {
    let mut raw: Vec<SpeechSegment> = Vec::new();
    let mut start: Option<f64> = None;
    let mut silence_from: Option<f64> = None;
    for (position, &probability) in probabilities.iter().enumerate() {
        let time = position as f64 * window;
        if probability >= params.threshold {
            silence_from = None;
            if start.is_none() {
                start = Some(time);
            }
            continue;
        }
        let Some(speech_start) = start else {
            continue;
        };
        if probability < params.negative_threshold {
            let quiet_since = *silence_from.get_or_insert(time);
            if time + window - quiet_since >= params.min_silence {
                if quiet_since - speech_start >= params.min_speech {
                    raw.push(SpeechSegment {
                        start: speech_start,
                        end: quiet_since,
                    });
                }
                start = None;
                silence_from = None;
            }
        }
    }
    if let Some(speech_start) = start {
        let end = silence_from.unwrap_or(total).min(total);
        if end - speech_start >= params.min_speech {
            raw.push(SpeechSegment {
                start: speech_start,
                end,
            });
        }
    }
    let mut padded: Vec<SpeechSegment> = Vec::with_capacity(raw.len());
    for (position, segment) in raw.iter().enumerate() {
        let gap_before = match position {
            0 => segment.start,
            _ => segment.start - raw[position - 1].end,
        };
        let gap_after = match raw.get(position + 1) {
            Some(next) => next.start - segment.end,
            None => total - segment.end,
        };
        let pad_before = if position == 0 {
            params.speech_pad.min(gap_before)
        } else {
            params.speech_pad.min(gap_before / 2.0)
        };
        let pad_after = if position + 1 == raw.len() {
            params.speech_pad.min(gap_after)
        } else {
            params.speech_pad.min(gap_after / 2.0)
        };
        padded.push(SpeechSegment {
            start: (segment.start - pad_before.max(0.0)).max(0.0),
            end: (segment.end + pad_after.max(0.0)).min(total),
        });
    }
    padded
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: f64 = 0.032;

    fn probabilities(pattern: &[(usize, f32)]) -> Vec<f32> {
        pattern
            .iter()
            .flat_map(|&(count, p)| std::iter::repeat_n(p, count))
            .collect()
    }

    #[test]
    fn one_burst_becomes_one_padded_segment() {
        let probs = probabilities(&[(30, 0.05), (40, 0.9), (30, 0.05)]);
        let segments =
            segments_from_probabilities(&probs, WINDOW, 100.0 * WINDOW, &VadParams::default());
        assert_eq!(segments.len(), 1, "{segments:?}");
        assert!((segments[0].start - (30.0 * WINDOW - 0.03)).abs() < 1e-9);
        assert!((segments[0].end - (70.0 * WINDOW + 0.03)).abs() < 1e-9);
    }

    #[test]
    fn a_short_dip_does_not_split_speech_but_a_long_pause_does() {
        let params = VadParams::default();
        // 2 windows (64 ms) under the negative threshold: shorter than min_silence.
        let dip = probabilities(&[(20, 0.9), (2, 0.1), (20, 0.9), (10, 0.0)]);
        assert_eq!(
            segments_from_probabilities(&dip, WINDOW, 52.0 * WINDOW, &params).len(),
            1
        );
        // 20 windows (640 ms) of silence: two segments.
        let pause = probabilities(&[(20, 0.9), (20, 0.1), (20, 0.9), (10, 0.0)]);
        assert_eq!(
            segments_from_probabilities(&pause, WINDOW, 70.0 * WINDOW, &params).len(),
            2
        );
        // Between the thresholds speech goes on (hysteresis).
        let hover = probabilities(&[(20, 0.9), (20, 0.4), (20, 0.9), (10, 0.0)]);
        assert_eq!(
            segments_from_probabilities(&hover, WINDOW, 70.0 * WINDOW, &params).len(),
            1
        );
    }

    #[test]
    fn clicks_shorter_than_min_speech_are_dropped_and_speech_at_the_end_is_kept() {
        let params = VadParams::default();
        let click = probabilities(&[(10, 0.0), (3, 0.99), (20, 0.0)]);
        assert!(segments_from_probabilities(&click, WINDOW, 33.0 * WINDOW, &params).is_empty());
        let trailing = probabilities(&[(10, 0.0), (30, 0.99)]);
        let segments = segments_from_probabilities(&trailing, WINDOW, 40.0 * WINDOW, &params);
        assert_eq!(segments.len(), 1);
        assert!((segments[0].end - 40.0 * WINDOW).abs() < 1e-9);
    }
}
