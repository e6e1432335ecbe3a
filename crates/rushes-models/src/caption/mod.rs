//! Image captions from a Florence-2 ONNX export (onnx-community/Florence-2-base-ft: a vision
//! encoder, a token embedding graph, a text encoder and a merged decoder with past
//! key/values): the manifest's `[caption]` section and the `Captioner` that turns pictures
//! into one sentence each. Which frames get captioned is the pipeline's business.

mod florence2;

pub use florence2::Captioner;

/// Name of the default caption model's manifest.
pub const CAPTION_MODEL: &str = "florence2-base";

pub use crate::manifest::CaptionSpec;

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
