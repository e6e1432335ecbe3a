//! Image captions from a Florence-2 ONNX export (onnx-community/Florence-2-base-ft: a vision
//! encoder, a token embedding graph, a text encoder and a merged decoder with past
//! key/values): the manifest's `[caption]` section and the `Captioner` that turns pictures
//! into one sentence each. Which frames get captioned is the pipeline's business.

use serde::{Deserialize, Serialize};

use crate::manifest::ImagePreprocess;

mod florence2;

pub use florence2::Captioner;

/// Name of the default caption model's manifest.
pub const CAPTION_MODEL: &str = "florence2-base";

/// The `[caption]` section of a manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptionSpec {
    /// A `files` entry: `vision_encoder.onnx`, pixel_values [b, 3, S, S] -> image_features
    /// [b, tokens, d].
    pub vision_encoder: String,
    /// A `files` entry: `embed_tokens.onnx`, input_ids [b, s] -> inputs_embeds [b, s, d].
    pub embed_tokens: String,
    /// A `files` entry: `encoder_model.onnx`, inputs_embeds + attention_mask ->
    /// last_hidden_state.
    pub encoder: String,
    /// A `files` entry: `decoder_model_merged.onnx` (inputs_embeds, encoder_hidden_states,
    /// encoder_attention_mask, past_key_values.*, use_cache_branch -> logits, present.*).
    pub decoder: String,
    /// A `files` entry: the model's `tokenizer.json` (BART's byte-level BPE).
    pub tokenizer: String,
    /// The text a task token expands to: Florence-2's processor turns `<CAPTION>` into
    /// "What does the image describe?".
    #[serde(default = "default_prompt")]
    pub prompt: String,
    /// Longest caption, in tokens.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: usize,
    /// No n-gram of this size is generated twice (the model's generation config says 3;
    /// 0 turns it off).
    #[serde(default = "default_no_repeat_ngram")]
    pub no_repeat_ngram: usize,
    /// Florence-2: 768×768 stretched, ImageNet mean and std.
    pub preprocess: ImagePreprocess,
}

fn default_prompt() -> String {
    "What does the image describe?".to_string()
}

fn default_max_tokens() -> usize {
    64
}

fn default_no_repeat_ngram() -> usize {
    3
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
