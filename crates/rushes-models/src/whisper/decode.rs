//! Running Whisper: the encoder once per 30 s window, then greedy decoding with the merged
//! decoder, feeding its `present.*` key/values back as `past_key_values.*` so each step
//! runs one token. Language from the caller or detected from the first decoder step.

use std::borrow::Cow;
use std::path::PathBuf;

use ndarray::Array2;
use ort::session::SessionInputValue;
use ort::value::{DynValue, Tensor};
use tokenizers::Tokenizer;

use super::mel::{MelExtractor, SAMPLE_RATE, WINDOW_SAMPLES};
use super::tokens::{SpecialTokens, TimedText, lines_from_tokens};
use crate::kv_cache::{KvCache, KvCacheLayout, argmax, last_step_logits};
use crate::manifest::{TASK_SPEECH_RECOGNITION, WhisperSpec};
use crate::session::Graph;
use crate::{ModelError, ModelStore};

/// Name of the default speech model's manifest.
pub const WHISPER_MODEL: &str = "whisper-tiny";

const INPUT_FEATURES: &str = "input_features";
const LAST_HIDDEN_STATE: &str = "last_hidden_state";
const INPUT_IDS: &str = "input_ids";
const ENCODER_HIDDEN_STATES: &str = "encoder_hidden_states";

/// What Whisper heard in some audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcription {
    /// Language code used (given or detected), e.g. `en`.
    pub language: String,
    pub lines: Vec<TimedText>,
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
    cache_layout: KvCacheLayout,
}

impl std::fmt::Debug for WhisperModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperModel")
            .field("name", &self.name)
            .field("layers", &self.cache_layout.layers())
            .finish()
    }
}

impl WhisperModel {
    /// The first installed speech-recognition model of the store, by name.
    pub fn find_installed(store: &ModelStore) -> Option<String> {
        crate::model_files::first_installed(store, TASK_SPEECH_RECOGNITION, WHISPER_MODEL)
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
        for input in [INPUT_IDS, ENCODER_HIDDEN_STATES] {
            decoder.require_input(input)?;
        }
        let cache_layout = KvCacheLayout::from_decoder(&decoder)?;
        let tokenizer_path = store.file_path(&manifest, &spec.tokenizer);
        let tokenizer = crate::model_files::load_tokenizer(name, &tokenizer_path)?;
        let special = SpecialTokens::from_tokenizer(&tokenizer, &tokenizer_path)?;
        tracing::info!(
            model = name,
            layers = cache_layout.layers(),
            heads = cache_layout.heads(),
            "Whisper loaded"
        );
        Ok(WhisperModel {
            name: name.to_string(),
            mel: MelExtractor::new(spec.mel_bins),
            spec,
            encoder,
            decoder,
            tokenizer,
            tokenizer_path,
            special,
            cache_layout,
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
        let mut cache = self.cache_layout.empty(1)?;
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
        while generated.len() < self.spec.max_tokens {
            let mut logits = self.decoder_step(&step_input, &encoded, &mut cache)?;
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

    /// Language token with the highest logit after <|startoftranscript|>.
    fn detect_language(&mut self, encoded: &DynValue) -> Result<u32, ModelError> {
        let mut cache = self.cache_layout.empty(1)?;
        let logits = self.decoder_step(&[self.special.start_of_transcript], encoded, &mut cache)?;
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
        cache: &mut KvCache,
    ) -> Result<Vec<f32>, ModelError> {
        let ids = Array2::from_shape_vec(
            (1, tokens.len()),
            tokens.iter().map(|&t| i64::from(t)).collect(),
        )
        .map_err(|e| ModelError::InvalidInput(format!("token ids: {e}")))?;
        let ids = Tensor::from_array(ids)
            .map_err(|e| ModelError::inference("building the decoder inputs", e))?;
        let mut inputs: Vec<(Cow<'_, str>, SessionInputValue<'_>)> = vec![
            (INPUT_IDS.into(), ids.into()),
            (ENCODER_HIDDEN_STATES.into(), encoded.into()),
        ];
        self.cache_layout.add_inputs(cache, &mut inputs)?;
        let context = format!("the Whisper decoder {}", self.decoder.id.path.display());
        let mut outputs = self
            .decoder
            .session
            .run(inputs)
            .map_err(|e| ModelError::inference(context, e))?;
        let logits = last_step_logits(&self.decoder.id, &outputs, 1, tokens.len())?;
        self.cache_layout
            .update(&self.decoder.id, &mut outputs, cache)?;
        Ok(logits.into_iter().collect())
    }
}
