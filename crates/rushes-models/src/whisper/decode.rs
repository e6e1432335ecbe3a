//! Running Whisper: the encoder once per 30 s window, then greedy decoding with the merged
//! decoder, feeding its `present.*` key/values back as `past_key_values.*` so each step
//! runs one token. Language from the caller or detected from the first decoder step.

use std::borrow::Cow;
use std::path::PathBuf;

use ndarray::{Array1, Array2, Array3};
use ort::session::SessionInputValue;
use ort::value::{DynValue, Tensor};
use tokenizers::Tokenizer;

use super::WhisperSpec;
use super::mel::{MelExtractor, SAMPLE_RATE, WINDOW_SAMPLES};
use super::tokens::{SpecialTokens, TimedText, lines_from_tokens};
use crate::manifest::TASK_SPEECH_RECOGNITION;
use crate::session::Graph;
use crate::{ModelError, ModelState, ModelStore};

const INPUT_FEATURES: &str = "input_features";
const LAST_HIDDEN_STATE: &str = "last_hidden_state";
const INPUT_IDS: &str = "input_ids";
const ENCODER_HIDDEN_STATES: &str = "encoder_hidden_states";
const USE_CACHE_BRANCH: &str = "use_cache_branch";
const LOGITS: &str = "logits";

/// What Whisper heard in some audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcription {
    /// Language code used (given or detected), e.g. `en`.
    pub language: String,
    pub lines: Vec<TimedText>,
}

/// One cached tensor: where it comes from and where it goes.
struct CacheSlot {
    past_input: String,
    present_output: String,
    /// Cross-attention entries are computed once per window and then kept.
    cross_attention: bool,
}

/// A loaded Whisper encoder + merged decoder + tokenizer.
pub struct WhisperModel {
    name: String,
    spec: WhisperSpec,
    encoder: Graph,
    decoder: Graph,
    tokenizer: Tokenizer,
    tokenizer_path: PathBuf,
    special: SpecialTokens,
    mel: MelExtractor,
    cache: Vec<CacheSlot>,
    heads: usize,
    head_dim: usize,
}

impl std::fmt::Debug for WhisperModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperModel")
            .field("name", &self.name)
            .field("layers", &(self.cache.len() / 4))
            .finish()
    }
}

impl WhisperModel {
    /// The first installed speech-recognition model of the store, by name.
    pub fn find_installed(store: &ModelStore) -> Option<String> {
        let mut installed: Vec<String> = store
            .list()
            .ok()?
            .into_iter()
            .filter(|s| s.task == TASK_SPEECH_RECOGNITION && s.state == ModelState::Installed)
            .map(|s| s.name)
            .collect();
        installed.sort();
        if installed.iter().any(|n| n == super::WHISPER_MODEL) {
            return Some(super::WHISPER_MODEL.to_string());
        }
        installed.into_iter().next()
    }

    /// Loads the speech model `name` and checks its graphs against the Whisper export's
    /// input and output names.
    pub fn load(
        store: &ModelStore,
        name: &str,
        threads: usize,
    ) -> Result<WhisperModel, ModelError> {
        let manifest = store.manifest(name)?;
        let Some(spec) = manifest.whisper.clone() else {
            return Err(ModelError::BadManifest {
                path: store.manifest_path(name),
                reason: format!(
                    "model {name} is not a {TASK_SPEECH_RECOGNITION} model (task {})",
                    manifest.task
                ),
            });
        };
        let encoder = Graph::open(name, &store.file_path(&manifest, &spec.encoder), threads)?;
        let features = encoder.require_input(INPUT_FEATURES)?;
        encoder.require_output(LAST_HIDDEN_STATE)?;
        if features
            .get(1)
            .is_some_and(|&bins| bins > 0 && bins as usize != spec.mel_bins)
        {
            return Err(encoder.incompatible(format!(
                "it takes {} mel bins, the manifest says {}",
                features[1], spec.mel_bins
            )));
        }
        let decoder = Graph::open(name, &store.file_path(&manifest, &spec.decoder), threads)?;
        for input in [INPUT_IDS, ENCODER_HIDDEN_STATES, USE_CACHE_BRANCH] {
            decoder.require_input(input)?;
        }
        decoder.require_output(LOGITS)?;
        let mut cache = Vec::new();
        let mut layer = 0;
        while decoder.has_input(&format!("past_key_values.{layer}.decoder.key")) {
            for part in ["decoder", "encoder"] {
                for kind in ["key", "value"] {
                    let past_input = format!("past_key_values.{layer}.{part}.{kind}");
                    let present_output = format!("present.{layer}.{part}.{kind}");
                    decoder.require_input(&past_input)?;
                    decoder.require_output(&present_output)?;
                    cache.push(CacheSlot {
                        past_input,
                        present_output,
                        cross_attention: part == "encoder",
                    });
                }
            }
            layer += 1;
        }
        if cache.is_empty() {
            return Err(decoder.incompatible(
                "it has no past_key_values.0.decoder.key input (not a merged decoder with past)"
                    .into(),
            ));
        }
        let past_shape = decoder.require_input("past_key_values.0.decoder.key")?;
        let (heads, head_dim) = match past_shape.as_slice() {
            [_, heads, _, head_dim] if *heads > 0 && *head_dim > 0 => {
                (*heads as usize, *head_dim as usize)
            }
            other => {
                return Err(decoder.incompatible(format!(
                    "past_key_values.0.decoder.key has shape {other:?}, expected [batch, heads, length, head_dim]"
                )));
            }
        };
        let tokenizer_path = store.file_path(&manifest, &spec.tokenizer);
        if !tokenizer_path.is_file() {
            return Err(ModelError::MissingFile {
                model: name.to_string(),
                path: tokenizer_path,
                hint: String::new(),
            });
        }
        let tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| ModelError::CorruptFile {
                model: name.to_string(),
                path: tokenizer_path.clone(),
                reason: format!("not a tokenizers JSON file: {e}"),
                hint: String::new(),
            })?;
        let special = SpecialTokens::from_tokenizer(&tokenizer, &tokenizer_path)?;
        tracing::info!(model = name, layers = layer, heads, "Whisper loaded");
        Ok(WhisperModel {
            name: name.to_string(),
            mel: MelExtractor::new(spec.mel_bins),
            spec,
            encoder,
            decoder,
            tokenizer,
            tokenizer_path,
            special,
            cache,
            heads,
            head_dim,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Language codes the model knows (empty for English-only checkpoints).
    pub fn languages(&self) -> Vec<&str> {
        self.special
            .languages
            .iter()
            .map(|(_, code)| code.as_str())
            .collect()
    }

    /// Transcribes 16 kHz mono audio in 30 s windows; times are seconds from the start of
    /// `samples` plus `offset`. `language` is a code such as `en`; `None` detects it from
    /// the first window.
    pub fn transcribe(
        &mut self,
        samples: &[f32],
        offset: f64,
        language: Option<&str>,
    ) -> Result<Transcription, ModelError> {
        let mut language_token = match language {
            Some(code) if !self.spec.english_only => {
                Some(self.special.language_token(code).ok_or_else(|| {
                    ModelError::InvalidInput(format!(
                        "model {} knows no language {code:?} (known: {})",
                        self.name,
                        self.languages().join(", ")
                    ))
                })?)
            }
            _ => None,
        };
        let mut lines = Vec::new();
        for (window, chunk) in samples.chunks(WINDOW_SAMPLES).enumerate() {
            let start = offset + (window * WINDOW_SAMPLES) as f64 / f64::from(SAMPLE_RATE);
            let duration = chunk.len() as f64 / f64::from(SAMPLE_RATE);
            let (tokens, detected) = self.decode_window(chunk, language_token)?;
            language_token = language_token.or(detected);
            let decode = |ids: &[u32]| self.decode_text(ids);
            lines.extend(lines_from_tokens(
                &tokens,
                &self.special,
                duration,
                start,
                &decode,
            )?);
        }
        let language = if self.spec.english_only {
            "en".to_string()
        } else {
            language_token
                .and_then(|t| self.special.language_code(t))
                .unwrap_or_default()
                .to_string()
        };
        Ok(Transcription { language, lines })
    }

    fn decode_text(&self, ids: &[u32]) -> Result<String, ModelError> {
        self.tokenizer
            .decode(ids, true)
            .map_err(|e| ModelError::Tokenizer {
                path: self.tokenizer_path.clone(),
                reason: e.to_string(),
            })
    }

    /// Encodes one window and decodes it greedily. Returns the generated tokens (without
    /// the prompt) and the language token detected, if any.
    fn decode_window(
        &mut self,
        samples: &[f32],
        language: Option<u32>,
    ) -> Result<(Vec<u32>, Option<u32>), ModelError> {
        let features = {
            let _span = tracing::debug_span!("whisper_features").entered();
            self.mel.features(samples)
        };
        let encoded = {
            let _span = tracing::debug_span!("whisper_encoder").entered();
            self.encode(features)?
        };
        let _span = tracing::debug_span!("whisper_decoder").entered();
        let mut cache = self.empty_cache()?;
        let mut prompt = vec![self.special.start_of_transcript];
        let mut detected = None;
        if !self.spec.english_only {
            let language = match language {
                Some(token) => token,
                None => {
                    let token = self.detect_language(&encoded)?;
                    detected = Some(token);
                    token
                }
            };
            prompt.extend([language, self.special.transcribe]);
        }
        let mut generated: Vec<u32> = Vec::new();
        let mut step_input = prompt;
        let mut first_step = true;
        while generated.len() < self.spec.max_tokens {
            let mut logits = self.decoder_step(&step_input, &encoded, &mut cache, first_step)?;
            first_step = false;
            self.special.suppress(&mut logits, &generated);
            let next = argmax(&logits).ok_or_else(|| {
                self.decoder
                    .incompatible("its logits are empty or all suppressed".into())
            })?;
            if next == self.special.end_of_text {
                break;
            }
            generated.push(next);
            step_input = vec![next];
        }
        Ok((generated, detected))
    }

    fn encode(&mut self, features: Array2<f32>) -> Result<DynValue, ModelError> {
        let (bins, frames) = features.dim();
        let batch = features
            .into_shape_with_order((1, bins, frames))
            .map_err(|e| ModelError::InvalidInput(format!("mel features: {e}")))?;
        let tensor = Tensor::from_array(batch)
            .map_err(|e| ModelError::inference("building the mel feature tensor", e))?;
        let context = format!("the Whisper encoder {}", self.encoder.id.path.display());
        let mut outputs = self
            .encoder
            .session
            .run(ort::inputs![INPUT_FEATURES => tensor])
            .map_err(|e| ModelError::inference(context.clone(), e))?;
        outputs.remove(LAST_HIDDEN_STATE).ok_or_else(|| {
            self.encoder
                .id
                .incompatible(format!("it gave no {LAST_HIDDEN_STATE}"))
        })
    }

    /// Empty past key/values ([1, heads, 0, head_dim]) for the first step.
    fn empty_cache(&self) -> Result<Vec<DynValue>, ModelError> {
        self.cache
            .iter()
            .map(|_| {
                Tensor::from_array(
                    Array3::<f32>::zeros((self.heads, 0, self.head_dim))
                        .insert_axis(ndarray::Axis(0)),
                )
                .map(|t| t.into_dyn())
                .map_err(|e| ModelError::inference("building an empty key/value cache", e))
            })
            .collect()
    }

    /// Language token with the highest logit after <|startoftranscript|>.
    fn detect_language(&mut self, encoded: &DynValue) -> Result<u32, ModelError> {
        let mut cache = self.empty_cache()?;
        let logits = self.decoder_step(
            &[self.special.start_of_transcript],
            encoded,
            &mut cache,
            true,
        )?;
        self.special
            .languages
            .iter()
            .filter_map(|(id, _)| logits.get(*id as usize).map(|l| (*id, *l)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(id, _)| id)
            .ok_or_else(|| {
                self.decoder
                    .incompatible("its tokenizer has no language tokens to detect".into())
            })
    }

    /// Runs the decoder on `tokens` with the cache, replaces the cache with the present
    /// key/values, and returns the logits of the last token.
    fn decoder_step(
        &mut self,
        tokens: &[u32],
        encoded: &DynValue,
        cache: &mut [DynValue],
        first_step: bool,
    ) -> Result<Vec<f32>, ModelError> {
        let ids = Array2::from_shape_vec(
            (1, tokens.len()),
            tokens.iter().map(|&t| i64::from(t)).collect(),
        )
        .map_err(|e| ModelError::InvalidInput(format!("token ids: {e}")))?;
        let building = |e| ModelError::inference("building the decoder inputs", e);
        let mut inputs: Vec<(Cow<'_, str>, SessionInputValue<'_>)> = vec![
            (
                INPUT_IDS.into(),
                Tensor::from_array(ids).map_err(building)?.into(),
            ),
            (ENCODER_HIDDEN_STATES.into(), encoded.into()),
            (
                USE_CACHE_BRANCH.into(),
                Tensor::from_array(Array1::from_elem(1, !first_step))
                    .map_err(building)?
                    .into(),
            ),
        ];
        for (slot, value) in self.cache.iter().zip(cache.iter()) {
            inputs.push((slot.past_input.as_str().into(), value.into()));
        }
        let context = format!("the Whisper decoder {}", self.decoder.id.path.display());
        let mut outputs = self
            .decoder
            .session
            .run(inputs)
            .map_err(|e| ModelError::inference(context.clone(), e))?;
        let logits = {
            let all = outputs
                .get(LOGITS)
                .ok_or_else(|| self.decoder.id.incompatible(format!("it gave no {LOGITS}")))?
                .try_extract_array::<f32>()
                .map_err(|e| ModelError::inference(context.clone(), e))?;
            let shape = all.shape().to_vec();
            let [_, steps, vocab] = shape.as_slice() else {
                return Err(self.decoder.id.incompatible(format!(
                    "its logits have shape {shape:?}, expected [1, steps, vocab]"
                )));
            };
            if *steps != tokens.len() || *vocab == 0 {
                return Err(self.decoder.id.incompatible(format!(
                    "its logits have shape {shape:?} for {} input tokens",
                    tokens.len()
                )));
            }
            all.iter()
                .skip((steps - 1) * vocab)
                .copied()
                .collect::<Vec<f32>>()
        };
        for (slot, value) in self.cache.iter().zip(cache.iter_mut()) {
            if slot.cross_attention && !first_step {
                continue;
            }
            *value = outputs
                .remove(slot.present_output.as_str())
                .ok_or_else(|| {
                    self.decoder
                        .id
                        .incompatible(format!("it gave no {}", slot.present_output))
                })?;
        }
        Ok(logits)
    }
}

fn argmax(values: &[f32]) -> Option<u32> {
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i as u32)
}
