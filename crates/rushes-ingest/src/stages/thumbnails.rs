//! The thumbnail stage: a small JPEG of every sampled frame, put in the index's thumbnail
//! store as `<asset_id>/<millis>.jpg`, the picture of the moments it falls in. Always on (a
//! moment without a picture is useless in the UI).

use std::sync::Arc;

use rushes_media::SampledFrame;
use rushes_store::thumbnails::ThumbnailStore;

use crate::stage::{AssetDraft, FileStart, FrameDiet, Loaded, Stage, StageKind, Switch};
use crate::stage_times::{Stage as Timed, StageTimes};
use crate::{IngestConfig, IngestError};

/// Registers thumbnails (no switch).
pub struct ThumbnailsStage;

impl StageKind for ThumbnailsStage {
    fn name(&self) -> &'static str {
        "thumbnails"
    }

    fn switch(&self) -> Option<Switch> {
        None
    }

    fn load(&self, config: &IngestConfig) -> Result<Loaded, IngestError> {
        Ok(Loaded::on(ThumbnailWriter {
            width: config.thumb_width,
            max_bytes: config.thumb_max_bytes,
            store: None,
            asset_id: String::new(),
            per_sample: Vec::new(),
            warnings: Vec::new(),
        }))
    }
}

/// One file's thumbnails while its samples stream in.
struct ThumbnailWriter {
    width: u32,
    max_bytes: usize,
    /// The index's thumbnail store, once a file has started.
    store: Option<Arc<dyn ThumbnailStore>>,
    asset_id: String,
    /// The thumbnail of each sample (its path in the store), `None` where making or storing
    /// it failed.
    per_sample: Vec<Option<String>>,
    warnings: Vec<String>,
}

impl Stage for ThumbnailWriter {
    fn frames(&self) -> FrameDiet {
        FrameDiet::Samples
    }

    fn start_file(&mut self, file: &FileStart<'_>, _draft: &mut AssetDraft) {
        self.store = Some(Arc::clone(file.thumbnails));
        self.asset_id = file.asset_id.to_owned();
        self.per_sample.clear();
        self.warnings.clear();
    }

    fn take_frames(&mut self, batch: &[SampledFrame], times: &mut StageTimes) {
        let Some(store) = self.store.as_deref() else {
            return;
        };
        for frame in batch {
            let millis = (frame.time * 1000.0).round().max(0.0) as u64;
            let relative = format!("{}/{millis}.jpg", self.asset_id);
            let written = times.time(Timed::Thumbnails, || {
                let jpeg = rushes_media::encode_thumbnail(&frame.image, self.width, self.max_bytes)
                    .map_err(|error| error.to_string())?;
                store
                    .put(&relative, &jpeg)
                    .map_err(|error| error.to_string())
            });
            let thumbnail = match written {
                Ok(()) => Some(relative),
                Err(error) => {
                    self.warnings
                        .push(format!("thumbnail at {:.1}s: {error}", frame.time));
                    None
                }
            };
            self.per_sample.push(thumbnail);
        }
    }

    fn contribute(&mut self, draft: &mut AssetDraft) {
        for (facts, thumbnail) in draft.frames.iter_mut().zip(self.per_sample.drain(..)) {
            facts.thumbnail = thumbnail;
        }
        draft.warnings.append(&mut self.warnings);
    }
}
