//! The key/value cache of a merged encoder–decoder graph as exported by optimum /
//! transformers.js (Whisper, Florence-2): finding its `past_key_values.{layer}.{decoder,
//! encoder}.{key,value}` inputs and `present.*` outputs, the empty cache of the first step,
//! feeding it in, taking the present values back, and reading the last step's logits.
//! What goes into the decoder besides the cache belongs to each model family.

use std::borrow::Cow;

use ndarray::{Array2, Array4};
use ort::session::{SessionInputValue, SessionOutputs};
use ort::value::{DynValue, Tensor};

use crate::ModelError;
use crate::session::{Graph, GraphId};

/// Input that tells a merged decoder whether the past is real (false on the first step).
pub(crate) const USE_CACHE_BRANCH: &str = "use_cache_branch";
/// Output of a decoder: [batch, steps, vocab].
pub(crate) const LOGITS: &str = "logits";

/// One cached tensor: where it comes from and where it goes.
#[derive(Debug)]
struct CacheSlot {
    past_input: String,
    present_output: String,
    /// Cross-attention entries are computed on the first step and then kept.
    cross_attention: bool,
}

/// The cache layout of one merged decoder graph.
#[derive(Debug)]
pub(crate) struct KvCacheLayout {
    slots: Vec<CacheSlot>,
    heads: usize,
    head_dim: usize,
}

/// The cached values of one decode, in the layout's slot order.
pub(crate) struct KvCache {
    values: Vec<DynValue>,
    /// True until the first step has filled the cache.
    first_step: bool,
}

impl KvCacheLayout {
    /// Reads the layout from the decoder's inputs and outputs; fails naming the graph when
    /// it has no past inputs (a decoder without past) or a past of an unexpected shape.
    pub fn from_decoder(decoder: &Graph) -> Result<KvCacheLayout, ModelError> {
        decoder.require_input(USE_CACHE_BRANCH)?;
        decoder.require_output(LOGITS)?;
        let mut slots = Vec::new();
        let mut layer = 0;
        while decoder.has_input(&format!("past_key_values.{layer}.decoder.key")) {
            for part in ["decoder", "encoder"] {
                for kind in ["key", "value"] {
                    let past_input = format!("past_key_values.{layer}.{part}.{kind}");
                    let present_output = format!("present.{layer}.{part}.{kind}");
                    decoder.require_input(&past_input)?;
                    decoder.require_output(&present_output)?;
                    slots.push(CacheSlot {
                        past_input,
                        present_output,
                        cross_attention: part == "encoder",
                    });
                }
            }
            layer += 1;
        }
        if slots.is_empty() {
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
        Ok(KvCacheLayout {
            slots,
            heads,
            head_dim,
        })
    }

    pub fn layers(&self) -> usize {
        self.slots.len() / 4
    }

    pub fn heads(&self) -> usize {
        self.heads
    }

    /// Empty past key/values ([batch, heads, 0, head_dim]) for the first step.
    pub fn empty(&self, batch: usize) -> Result<KvCache, ModelError> {
        let values = self
            .slots
            .iter()
            .map(|_| {
                Tensor::from_array(Array4::<f32>::zeros((batch, self.heads, 0, self.head_dim)))
                    .map(|t| t.into_dyn())
                    .map_err(|e| ModelError::inference("building an empty key/value cache", e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(KvCache {
            values,
            first_step: true,
        })
    }

    /// Appends `use_cache_branch` and every `past_key_values.*` input to `inputs`.
    pub fn add_inputs<'v>(
        &'v self,
        cache: &'v KvCache,
        inputs: &mut Vec<(Cow<'v, str>, SessionInputValue<'v>)>,
    ) -> Result<(), ModelError> {
        let branch = Tensor::from_array(ndarray::Array1::from_elem(1, !cache.first_step))
            .map_err(|e| ModelError::inference("building the use_cache_branch input", e))?;
        inputs.push((USE_CACHE_BRANCH.into(), branch.into()));
        for (slot, value) in self.slots.iter().zip(cache.values.iter()) {
            inputs.push((slot.past_input.as_str().into(), value.into()));
        }
        Ok(())
    }

    /// Takes the `present.*` outputs of a step as the next past (cross-attention entries
    /// only after the first step, when they were computed).
    pub fn update(
        &self,
        decoder: &GraphId,
        outputs: &mut SessionOutputs<'_>,
        cache: &mut KvCache,
    ) -> Result<(), ModelError> {
        for (slot, value) in self.slots.iter().zip(cache.values.iter_mut()) {
            if slot.cross_attention && !cache.first_step {
                continue;
            }
            *value = outputs
                .remove(slot.present_output.as_str())
                .ok_or_else(|| {
                    decoder.incompatible(format!("it gave no {}", slot.present_output))
                })?;
        }
        cache.first_step = false;
        Ok(())
    }
}

/// The logits of the last of `steps` input tokens for each of `batch` rows: [batch, vocab].
pub(crate) fn last_step_logits(
    decoder: &GraphId,
    outputs: &SessionOutputs<'_>,
    batch: usize,
    steps: usize,
) -> Result<Array2<f32>, ModelError> {
    let context = format!("the decoder {}", decoder.path.display());
    let all = outputs
        .get(LOGITS)
        .ok_or_else(|| decoder.incompatible(format!("it gave no {LOGITS}")))?
        .try_extract_array::<f32>()
        .map_err(|e| ModelError::inference(context, e))?;
    let shape = all.shape().to_vec();
    match shape.as_slice() {
        [rows, got_steps, vocab] if *rows == batch && *got_steps == steps && *vocab > 0 => {
            let all = all
                .into_dimensionality::<ndarray::Ix3>()
                .map_err(|e| decoder.incompatible(format!("its logits: {e}")))?;
            Ok(all.index_axis(ndarray::Axis(1), steps - 1).to_owned())
        }
        _ => Err(decoder.incompatible(format!(
            "its logits have shape {shape:?}, expected [{batch}, {steps}, vocab]"
        ))),
    }
}

/// Index of the largest finite value.
pub(crate) fn argmax<'a>(values: impl IntoIterator<Item = &'a f32>) -> Option<u32> {
    values
        .into_iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i as u32)
}
