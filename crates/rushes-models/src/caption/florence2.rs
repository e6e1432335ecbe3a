//! Running Florence-2: pictures through the vision encoder, the image features followed by
//! the embedded prompt through the text encoder, then batched greedy decoding with the
//! merged decoder and its KV cache (decoder start `</s>`, forced `<s>`, stop at `</s>`, no
//! repeated n-grams), and the tokens decoded to text.

use std::borrow::Cow;
use std::path::PathBuf;

use image::RgbImage;
use ndarray::{Array2, Array3, s};
use ort::session::SessionInputValue;
use ort::value::{DynValue, Tensor, TensorRef};
use tokenizers::Tokenizer;

use crate::clip::preprocess_images;
use crate::kv_cache::{KvCacheLayout, argmax, last_step_logits};
use crate::manifest::{CaptionSpec, ImageEncoderSpec, TASK_IMAGE_CAPTIONING};
use crate::session::{Graph, GraphId};
use crate::{ModelError, ModelStore};

/// Name of the default caption model's manifest.
pub const CAPTION_MODEL: &str = "florence2-base";

const PIXEL_VALUES: &str = "pixel_values";
const IMAGE_FEATURES: &str = "image_features";
const INPUT_IDS: &str = "input_ids";
const INPUTS_EMBEDS: &str = "inputs_embeds";
const ATTENTION_MASK: &str = "attention_mask";
const LAST_HIDDEN_STATE: &str = "last_hidden_state";
const ENCODER_HIDDEN_STATES: &str = "encoder_hidden_states";
const ENCODER_ATTENTION_MASK: &str = "encoder_attention_mask";

/// BART's special tokens as Florence-2's generation config uses them.
#[derive(Debug, Clone, Copy)]
struct SpecialTokens {
    /// `</s>`: the decoder's first input and the end of a caption.
    end_of_sequence: u32,
    /// `<s>`: forced as the first generated token.
    begin_of_sequence: u32,
    /// `<pad>`: fed for captions already finished while others in the batch go on.
    pad: u32,
}

/// A loaded Florence-2 caption model.
pub struct Captioner {
    name: String,
    spec: CaptionSpec,
    vision_spec: ImageEncoderSpec,
    vision: Graph,
    embed_tokens: Graph,
    encoder: Graph,
    decoder: Graph,
    tokenizer: Tokenizer,
    tokenizer_path: PathBuf,
    prompt_ids: Vec<i64>,
    special: SpecialTokens,
    cache_layout: KvCacheLayout,
}

impl std::fmt::Debug for Captioner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Captioner")
            .field("name", &self.name)
            .field("layers", &self.cache_layout.layers())
            .finish()
    }
}

impl Captioner {
    /// The installed caption model to use: `florence2-base` if installed (the cheaper one
    /// wins when both are), else the first installed image-captioning model by name — so
    /// `florence2-large` when it is the only one.
    pub fn find_installed(store: &ModelStore) -> Option<String> {
        crate::model_files::first_installed(store, TASK_IMAGE_CAPTIONING, CAPTION_MODEL)
    }

    /// Every installed caption model, the one `find_installed` picks first, the others by
    /// name: what `rushes index --caption-model` accepts.
    pub fn installed_models(store: &ModelStore) -> Vec<String> {
        crate::model_files::installed_in_preference_order(
            store,
            TASK_IMAGE_CAPTIONING,
            CAPTION_MODEL,
        )
    }

    /// Loads the caption model `name` and checks its four graphs against the Florence-2
    /// export's input and output names.
    pub fn load(store: &ModelStore, name: &str, threads: usize) -> Result<Captioner, ModelError> {
        let manifest = store.manifest(name)?;
        let Some(spec) = manifest.caption.clone() else {
            return Err(ModelError::BadManifest {
                path: store.manifest_path(name),
                reason: format!(
                    "model {name} is not an {TASK_IMAGE_CAPTIONING} model (task {})",
                    manifest.task
                ),
            });
        };
        let open = |file: &str| Graph::open(name, &store.file_path(&manifest, file), threads);
        let vision = open(&spec.vision_encoder)?;
        vision.require_input(PIXEL_VALUES)?;
        vision.require_output(IMAGE_FEATURES)?;
        let embed_tokens = open(&spec.embed_tokens)?;
        embed_tokens.require_input(INPUT_IDS)?;
        embed_tokens.require_output(INPUTS_EMBEDS)?;
        let encoder = open(&spec.encoder)?;
        encoder.require_input(INPUTS_EMBEDS)?;
        encoder.require_input(ATTENTION_MASK)?;
        encoder.require_output(LAST_HIDDEN_STATE)?;
        let decoder = open(&spec.decoder)?;
        for input in [INPUTS_EMBEDS, ENCODER_HIDDEN_STATES, ENCODER_ATTENTION_MASK] {
            decoder.require_input(input)?;
        }
        let cache_layout = KvCacheLayout::from_decoder(&decoder)?;

        let tokenizer_path = store.file_path(&manifest, &spec.tokenizer);
        let tokenizer = crate::model_files::load_tokenizer(name, &tokenizer_path)?;
        let token = |text: &str| {
            tokenizer
                .token_to_id(text)
                .ok_or_else(|| ModelError::IncompatibleModel {
                    model: name.to_string(),
                    path: tokenizer_path.clone(),
                    reason: format!("the tokenizer has no {text} token"),
                })
        };
        let special = SpecialTokens {
            end_of_sequence: token("</s>")?,
            begin_of_sequence: token("<s>")?,
            pad: token("<pad>")?,
        };
        let prompt_ids = tokenizer
            .encode(spec.prompt.as_str(), true)
            .map_err(|e| ModelError::Tokenizer {
                path: tokenizer_path.clone(),
                reason: e.to_string(),
            })?
            .get_ids()
            .iter()
            .map(|&id| i64::from(id))
            .collect();
        let vision_spec = ImageEncoderSpec {
            file: spec.vision_encoder.clone(),
            input: PIXEL_VALUES.to_string(),
            output: IMAGE_FEATURES.to_string(),
            preprocess: spec.preprocess.clone(),
        };
        tracing::info!(
            model = name,
            layers = cache_layout.layers(),
            heads = cache_layout.heads(),
            "caption model loaded"
        );
        Ok(Captioner {
            name: name.to_string(),
            spec,
            vision_spec,
            vision,
            embed_tokens,
            encoder,
            decoder,
            tokenizer,
            tokenizer_path,
            prompt_ids,
            special,
            cache_layout,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// One caption per picture, in order, decoded as one batch.
    pub fn caption_images(&mut self, images: &[RgbImage]) -> Result<Vec<String>, ModelError> {
        if images.is_empty() {
            return Ok(Vec::new());
        }
        let encoded = {
            let _span = tracing::debug_span!("caption_encode", images = images.len()).entered();
            self.encode(images)?
        };
        let tokens = {
            let _span = tracing::debug_span!("caption_decode", images = images.len()).entered();
            self.decode(&encoded)?
        };
        tokens
            .iter()
            .map(|ids| {
                self.tokenizer
                    .decode(ids, true)
                    .map(|text| text.trim().to_string())
                    .map_err(|e| ModelError::Tokenizer {
                        path: self.tokenizer_path.clone(),
                        reason: e.to_string(),
                    })
            })
            .collect()
    }

    /// Vision encoder, then the text encoder over [image features, prompt embeddings].
    fn encode(&mut self, images: &[RgbImage]) -> Result<Encoded, ModelError> {
        let batch = images.len();
        let pixels = preprocess_images(images, &self.vision_spec)?;
        let pixels = TensorRef::from_array_view(&pixels)
            .map_err(|e| ModelError::inference("building the pixel tensor", e))?;
        let image_features = run_for_array3(
            &mut self.vision,
            ort::inputs![PIXEL_VALUES => pixels],
            IMAGE_FEATURES,
        )?;
        let prompt = Array2::from_shape_vec((1, self.prompt_ids.len()), self.prompt_ids.clone())
            .map_err(|e| ModelError::InvalidInput(format!("prompt ids: {e}")))?;
        let prompt = self.embed(prompt)?;
        let width = image_features.dim().2;
        if image_features.dim().0 != batch || prompt.dim().2 != width {
            return Err(self.vision.incompatible(format!(
                "its image features {:?} do not fit {batch} images and prompt embeddings {:?}",
                image_features.dim(),
                prompt.dim()
            )));
        }
        // Florence-2's order: the image tokens, then the prompt (the same for every row).
        let image_tokens = image_features.dim().1;
        let mut inputs_embeds = Array3::<f32>::zeros((batch, image_tokens + prompt.dim().1, width));
        inputs_embeds
            .slice_mut(s![.., ..image_tokens, ..])
            .assign(&image_features);
        inputs_embeds
            .slice_mut(s![.., image_tokens.., ..])
            .assign(&prompt);
        let length = inputs_embeds.dim().1;
        let mask = Array2::<i64>::ones((batch, length));
        let embeds_tensor = TensorRef::from_array_view(&inputs_embeds)
            .map_err(|e| ModelError::inference("building the encoder inputs", e))?;
        let mask_tensor = TensorRef::from_array_view(&mask)
            .map_err(|e| ModelError::inference("building the encoder mask", e))?;
        let context = format!("the caption encoder {}", self.encoder.id.path.display());
        let mut outputs = self
            .encoder
            .session
            .run(ort::inputs![INPUTS_EMBEDS => embeds_tensor, ATTENTION_MASK => mask_tensor])
            .map_err(|e| ModelError::inference(context, e))?;
        let hidden_states = outputs.remove(LAST_HIDDEN_STATE).ok_or_else(|| {
            self.encoder
                .id
                .incompatible(format!("it gave no {LAST_HIDDEN_STATE}"))
        })?;
        let mask = Tensor::from_array(mask)
            .map_err(|e| ModelError::inference("building the encoder mask", e))?
            .into_dyn();
        Ok(Encoded {
            batch,
            hidden_states,
            mask,
        })
    }

    /// Token ids -> embeddings through `embed_tokens.onnx`.
    fn embed(&mut self, ids: Array2<i64>) -> Result<Array3<f32>, ModelError> {
        let ids = TensorRef::from_array_view(&ids)
            .map_err(|e| ModelError::inference("building the token ids", e))?;
        run_for_array3(
            &mut self.embed_tokens,
            ort::inputs![INPUT_IDS => ids],
            INPUTS_EMBEDS,
        )
    }

    /// Greedy decoding of every row at once; returns each row's generated tokens without
    /// the final `</s>`.
    fn decode(&mut self, encoded: &Encoded) -> Result<Vec<Vec<u32>>, ModelError> {
        let batch = encoded.batch;
        let special = self.special;
        let mut cache = self.cache_layout.empty(batch)?;
        // Each row's sequence so far, starting with the decoder start token.
        let mut sequences: Vec<Vec<u32>> = vec![vec![special.end_of_sequence]; batch];
        let mut finished = vec![false; batch];
        for step in 0..self.spec.max_tokens {
            let step_ids: Vec<i64> = sequences
                .iter()
                .zip(&finished)
                .map(|(sequence, &done)| {
                    let last = sequence.last().copied().unwrap_or(special.end_of_sequence);
                    i64::from(if done { special.pad } else { last })
                })
                .collect();
            let step_ids = Array2::from_shape_vec((batch, 1), step_ids)
                .map_err(|e| ModelError::InvalidInput(format!("token ids: {e}")))?;
            let step_embeds = self.embed(step_ids)?;
            let logits = self.decoder_step(step_embeds, encoded, &mut cache)?;
            for (row, sequence) in sequences.iter_mut().enumerate() {
                if finished[row] {
                    continue;
                }
                let next = if step == 0 {
                    special.begin_of_sequence
                } else {
                    let mut scores = logits.row(row).to_vec();
                    for banned in tokens_repeating_an_ngram(sequence, self.spec.no_repeat_ngram) {
                        if let Some(score) = scores.get_mut(banned as usize) {
                            *score = f32::NEG_INFINITY;
                        }
                    }
                    argmax(&scores).ok_or_else(|| {
                        self.decoder
                            .incompatible("its logits are empty or all banned".into())
                    })?
                };
                if next == special.end_of_sequence {
                    finished[row] = true;
                } else {
                    sequence.push(next);
                }
            }
            if finished.iter().all(|&done| done) {
                break;
            }
        }
        // Drop the decoder start token.
        Ok(sequences
            .into_iter()
            .map(|sequence| sequence.into_iter().skip(1).collect())
            .collect())
    }

    /// One decoder step for the whole batch: updates the cache, returns [batch, vocab].
    fn decoder_step(
        &mut self,
        step_embeds: Array3<f32>,
        encoded: &Encoded,
        cache: &mut crate::kv_cache::KvCache,
    ) -> Result<Array2<f32>, ModelError> {
        let embeds = Tensor::from_array(step_embeds)
            .map_err(|e| ModelError::inference("building the decoder inputs", e))?;
        let mut inputs: Vec<(Cow<'_, str>, SessionInputValue<'_>)> = vec![
            (INPUTS_EMBEDS.into(), embeds.into()),
            (
                ENCODER_HIDDEN_STATES.into(),
                (&encoded.hidden_states).into(),
            ),
            (ENCODER_ATTENTION_MASK.into(), (&encoded.mask).into()),
        ];
        self.cache_layout.add_inputs(cache, &mut inputs)?;
        let context = format!("the caption decoder {}", self.decoder.id.path.display());
        let mut outputs = self
            .decoder
            .session
            .run(inputs)
            .map_err(|e| ModelError::inference(context, e))?;
        let logits = last_step_logits(&self.decoder.id, &outputs, encoded.batch, 1)?;
        self.cache_layout
            .update(&self.decoder.id, &mut outputs, cache)?;
        Ok(logits)
    }
}

/// The text encoder's output for one batch, with the mask the decoder attends through.
struct Encoded {
    batch: usize,
    hidden_states: DynValue,
    mask: DynValue,
}

/// Runs `graph` and returns its 3-D f32 output `name` as an owned array.
fn run_for_array3<'i, 'v: 'i>(
    graph: &mut Graph,
    inputs: impl Into<ort::session::SessionInputs<'i, 'v>>,
    name: &str,
) -> Result<Array3<f32>, ModelError> {
    let id: &GraphId = &graph.id;
    let context = format!("{}", id.path.display());
    let outputs = graph
        .session
        .run(inputs)
        .map_err(|e| ModelError::inference(context.clone(), e))?;
    let value = outputs
        .get(name)
        .ok_or_else(|| id.incompatible(format!("it gave no {name}")))?;
    let array = value
        .try_extract_array::<f32>()
        .map_err(|e| id.incompatible(format!("output {name:?} is not f32: {}", e.message())))?;
    array
        .into_dimensionality::<ndarray::Ix3>()
        .map(|view| view.to_owned())
        .map_err(|e| id.incompatible(format!("output {name:?} is not 3-D: {e}")))
}

/// Tokens that would repeat an n-gram of `size` already in `sequence` if they came next.
pub(crate) fn tokens_repeating_an_ngram(sequence: &[u32], size: usize) -> Vec<u32> {
    if size == 0 || sequence.len() + 1 < size {
        return Vec::new();
    }
    let prefix = &sequence[sequence.len() + 1 - size..];
    sequence
        .windows(size)
        .filter(|window| &window[..size - 1] == prefix)
        .map(|window| window[size - 1])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trigram_already_generated_is_not_generated_again() {
        // "a b c a b" -> "c" would repeat "a b c".
        assert_eq!(tokens_repeating_an_ngram(&[1, 2, 3, 1, 2], 3), vec![3]);
        assert_eq!(
            tokens_repeating_an_ngram(&[1, 2, 3, 1, 4], 3),
            Vec::<u32>::new()
        );
        // Unigrams: nothing seen may come again.
        assert_eq!(tokens_repeating_an_ngram(&[5, 6], 1), vec![5, 6]);
        assert!(tokens_repeating_an_ngram(&[1, 2], 0).is_empty());
        assert!(tokens_repeating_an_ngram(&[1], 3).is_empty());
    }
}
