//! The visual stage: the CLIP-style image encoder on every sampled frame, giving each a
//! vector for visual search, and the zero-shot BTS tagger's tags from that vector.

use ndarray::Array2;
use rushes_media::SampledFrame;

use crate::models::{FrameTags, ModelSet, ModelSetConfig};
use crate::stage::{AssetDraft, FileStart, FrameDiet, Loaded, Stage, StageKind, Switch};
use crate::stage_times::{Stage as Timed, StageTimes};
use crate::{IngestConfig, IngestError};

/// Registers visual embeddings and tags (`--no-visual`).
pub struct VisualStage;

impl StageKind for VisualStage {
    fn name(&self) -> &'static str {
        "visual"
    }

    fn switch(&self) -> Option<Switch> {
        Some(Switch {
            flag: "no-visual",
            help: "Do not run the visual model (no frame vectors, no visual tags)",
        })
    }

    fn load(&self, config: &IngestConfig) -> Result<Loaded, IngestError> {
        let models = ModelSet::load(&ModelSetConfig {
            visual: true,
            ocr: false,
            ..config.models.clone()
        })?;
        let notices = models.notices.clone();
        let stage = models.clip.is_some().then(|| {
            Box::new(FrameEmbedder {
                models,
                per_sample: Vec::new(),
                failed: false,
                warnings: Vec::new(),
            }) as Box<dyn Stage>
        });
        Ok(Loaded { stage, notices })
    }
}

/// A sampled frame's vector and tags.
type FrameVisual = (Vec<f32>, Vec<(String, f32)>);

/// One file's frame vectors and tags while its samples stream in.
struct FrameEmbedder {
    models: ModelSet,
    /// One per sample in time order; `None` after the model failed.
    per_sample: Vec<Option<FrameVisual>>,
    failed: bool,
    warnings: Vec<String>,
}

impl Stage for FrameEmbedder {
    fn frames(&self) -> FrameDiet {
        FrameDiet::Samples
    }

    fn start_file(&mut self, _file: &FileStart<'_>, _draft: &mut AssetDraft) {
        self.per_sample.clear();
        self.failed = false;
        self.warnings.clear();
    }

    fn take_frames(&mut self, batch: &[SampledFrame], times: &mut StageTimes) {
        let images: Vec<image::RgbImage> = batch.iter().map(|frame| frame.image.clone()).collect();
        let visual = if self.failed {
            None
        } else {
            let models = &mut self.models;
            match times.time(Timed::Visual, || models.embed_and_tag(&images)) {
                Ok(result) => result,
                Err(error) => {
                    self.failed = true;
                    self.warnings
                        .push(format!("visual model failed, frames not embedded: {error}"));
                    None
                }
            }
        };
        self.per_sample
            .extend((0..batch.len()).map(|position| frame_visual(visual.as_ref(), position)));
    }

    fn contribute(&mut self, draft: &mut AssetDraft) {
        let mut embedded = false;
        for (facts, visual) in draft.frames.iter_mut().zip(self.per_sample.drain(..)) {
            if let Some((embedding, tags)) = visual {
                embedded = true;
                facts.embedding = Some(embedding);
                facts.tags = tags;
            }
        }
        if embedded {
            draft.embedding_model = self.models.clip_name.clone();
        }
        draft.warnings.append(&mut self.warnings);
    }
}

/// The vector and tags of the frame at `position` of a batch the model embedded.
fn frame_visual(visual: Option<&(Array2<f32>, FrameTags)>, position: usize) -> Option<FrameVisual> {
    let (embeddings, tags) = visual?;
    Some((
        embeddings.row(position).to_vec(),
        tags.get(position).cloned().unwrap_or_default(),
    ))
}
