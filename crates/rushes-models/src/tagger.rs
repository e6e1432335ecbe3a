//! Zero-shot tags: a vocabulary file of concepts and prompt templates is embedded once with
//! a text encoder; each image embedding then gets the concepts that win a softmax over
//! concepts plus neutral prompts by a threshold and a margin over the best neutral prompt.
//! Owns the vocabulary format (`models/vocab/*.toml`); not the encoders.

use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView2, Axis};
use serde::Deserialize;

use crate::ModelError;
use crate::clip::{TextEmbedder, l2_normalised};

/// A vocabulary file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    /// Templates with one `{}` where the concept goes ("a photo of a {}").
    pub templates: Vec<String>,
    /// Prompts that describe no concept in particular; a tag must beat them.
    pub neutral: Vec<String>,
    pub concepts: Vec<String>,
    /// Multiplier of cosine similarities before the softmax (CLIP learnt 100).
    #[serde(default = "default_logit_scale")]
    pub logit_scale: f32,
    /// Lowest softmax probability a tag may have.
    #[serde(default = "default_threshold")]
    pub threshold: f32,
    /// How much a tag's probability must exceed the best neutral prompt's.
    #[serde(default = "default_margin")]
    pub margin: f32,
}

fn default_logit_scale() -> f32 {
    100.0
}
fn default_threshold() -> f32 {
    0.1
}
fn default_margin() -> f32 {
    0.05
}

impl Vocabulary {
    pub fn load(path: &Path) -> Result<Vocabulary, ModelError> {
        let bad = |reason: String| ModelError::BadVocabulary {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let vocabulary: Vocabulary = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if vocabulary.concepts.is_empty()
            || vocabulary.templates.is_empty()
            || vocabulary.neutral.is_empty()
        {
            return Err(bad(
                "needs at least one concept, one template and one neutral prompt".into(),
            ));
        }
        if let Some(template) = vocabulary
            .templates
            .iter()
            .find(|t| t.matches("{}").count() != 1)
        {
            return Err(bad(format!(
                "template {template:?} must contain exactly one {{}}"
            )));
        }
        Ok(vocabulary)
    }
}

/// Embedded vocabulary, ready to tag image embeddings of the same space.
#[derive(Debug, Clone)]
pub struct ZeroShotTagger {
    vocabulary: Vocabulary,
    source: PathBuf,
    /// [concepts, dim], each the normalised mean of its templated prompts.
    concepts: Array2<f32>,
    /// [neutral prompts, dim].
    neutral: Array2<f32>,
}

impl ZeroShotTagger {
    /// Reads a vocabulary file and embeds its prompts with `text`.
    pub fn from_vocab_file(path: &Path, text: &mut dyn TextEmbedder) -> Result<Self, ModelError> {
        let vocabulary = Vocabulary::load(path)?;
        Self::new(vocabulary, path, text)
    }

    /// Embeds an already-read vocabulary; `source` names it in errors.
    pub fn new(
        vocabulary: Vocabulary,
        source: &Path,
        text: &mut dyn TextEmbedder,
    ) -> Result<Self, ModelError> {
        let prompts: Vec<String> = vocabulary
            .concepts
            .iter()
            .flat_map(|concept| {
                vocabulary
                    .templates
                    .iter()
                    .map(move |t| t.replacen("{}", concept, 1))
            })
            .collect();
        let prompt_refs: Vec<&str> = prompts.iter().map(String::as_str).collect();
        let prompt_rows = text.embed_texts(&prompt_refs)?;
        let per_concept = vocabulary.templates.len();
        let mut concepts = Array2::<f32>::zeros((vocabulary.concepts.len(), text.dim()));
        for (index, mut row) in concepts.axis_iter_mut(Axis(0)).enumerate() {
            let block = prompt_rows.slice(ndarray::s![
                index * per_concept..(index + 1) * per_concept,
                ..
            ]);
            if let Some(mean) = block.mean_axis(Axis(0)) {
                row.assign(&mean);
            }
        }
        let concepts = l2_normalised(concepts.view());
        let neutral_refs: Vec<&str> = vocabulary.neutral.iter().map(String::as_str).collect();
        let neutral = text.embed_texts(&neutral_refs)?;
        tracing::debug!(concepts = vocabulary.concepts.len(), source = %source.display(), "tag vocabulary embedded");
        Ok(ZeroShotTagger {
            vocabulary,
            source: source.to_path_buf(),
            concepts,
            neutral,
        })
    }

    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    pub fn dim(&self) -> usize {
        self.concepts.ncols()
    }

    /// Tags per image row, best first, each with its softmax probability. Rows of the
    /// wrong width get no tags (and an error in the log); `try_tag` reports it instead.
    pub fn tag(&self, image_embeddings: ArrayView2<f32>) -> Vec<Vec<(String, f32)>> {
        match self.try_tag(image_embeddings) {
            Ok(tags) => tags,
            Err(e) => {
                tracing::error!("{e}");
                vec![Vec::new(); image_embeddings.nrows()]
            }
        }
    }

    /// Like `tag`, but a dimension mismatch is an error.
    pub fn try_tag(
        &self,
        image_embeddings: ArrayView2<f32>,
    ) -> Result<Vec<Vec<(String, f32)>>, ModelError> {
        if image_embeddings.ncols() != self.dim() {
            return Err(ModelError::InvalidInput(format!(
                "image embeddings have {} dimensions but the vocabulary {} was embedded with {}; use the same model for both",
                image_embeddings.ncols(),
                self.source.display(),
                self.dim()
            )));
        }
        let images = l2_normalised(image_embeddings);
        let concept_sims = images.dot(&self.concepts.t());
        let neutral_sims = images.dot(&self.neutral.t());
        let scale = self.vocabulary.logit_scale;
        Ok(concept_sims
            .axis_iter(Axis(0))
            .zip(neutral_sims.axis_iter(Axis(0)))
            .map(|(concepts, neutral)| {
                let logits: Vec<f32> = concepts
                    .iter()
                    .chain(neutral.iter())
                    .map(|s| s * scale)
                    .collect();
                let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let exps: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
                let sum: f32 = exps.iter().sum();
                let probs: Vec<f32> = exps.iter().map(|e| e / sum).collect();
                let (concept_probs, neutral_probs) = probs.split_at(concepts.len());
                let best_neutral = neutral_probs.iter().copied().fold(0.0, f32::max);
                let mut tags: Vec<(String, f32)> = concept_probs
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| {
                        **p >= self.vocabulary.threshold
                            && **p >= best_neutral + self.vocabulary.margin
                    })
                    .map(|(index, p)| (self.vocabulary.concepts[index].clone(), *p))
                    .collect();
                tags.sort_by(|a, b| b.1.total_cmp(&a.1));
                tags
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text embedder over a 3-d space where each word in {x, y, z} is an axis and other
    /// words contribute a small shared "neutral" direction.
    struct AxisWords;

    impl TextEmbedder for AxisWords {
        fn dim(&self) -> usize {
            4
        }
        fn embed_texts(&mut self, texts: &[&str]) -> Result<Array2<f32>, ModelError> {
            let mut out = Array2::zeros((texts.len(), 4));
            for (row, text) in texts.iter().enumerate() {
                out[[row, 3]] = 1.0;
                for word in text.split_whitespace() {
                    match word {
                        "x" => out[[row, 0]] += 3.0,
                        "y" => out[[row, 1]] += 3.0,
                        "z" => out[[row, 2]] += 3.0,
                        _ => {}
                    }
                }
            }
            Ok(l2_normalised(out.view()))
        }
    }

    fn vocabulary() -> Vocabulary {
        Vocabulary {
            templates: vec!["a photo of {}".into()],
            neutral: vec!["a photo".into()],
            concepts: vec!["x".into(), "y".into(), "z".into()],
            logit_scale: 100.0,
            threshold: 0.1,
            margin: 0.05,
        }
    }

    #[test]
    fn a_clear_image_gets_its_concept_and_a_vague_one_gets_none() {
        let tagger =
            ZeroShotTagger::new(vocabulary(), Path::new("test"), &mut AxisWords).expect("tagger");
        let images = ndarray::array![[3.0f32, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 1.0]];
        let tags = tagger.tag(images.view());
        assert_eq!(tags[0].len(), 1);
        assert_eq!(tags[0][0].0, "x");
        assert!(tags[1].is_empty(), "{:?}", tags[1]);
    }

    #[test]
    fn wrong_width_is_an_error_not_a_panic() {
        let tagger =
            ZeroShotTagger::new(vocabulary(), Path::new("test"), &mut AxisWords).expect("tagger");
        let images = ndarray::array![[1.0f32, 0.0]];
        assert!(tagger.try_tag(images.view()).is_err());
        assert_eq!(tagger.tag(images.view()), vec![Vec::<(String, f32)>::new()]);
    }
}
