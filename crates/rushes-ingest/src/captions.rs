//! Captions for moments: loads the caption model once per run (Florence-2 when installed,
//! off with a notice when not), captions the frames that can become a moment's keyframe —
//! the first frame of each shot, and in long shots the first frame after every half moment
//! length — batched on the model worker, and gives each moment the caption of its keyframe
//! (or of the first captioned frame inside it). The store indexes `MomentRecord::caption`.

use std::path::Path;

use rushes_core::MomentRecord;
use rushes_media::SampledFrame;
use rushes_models::{Captioner, ModelStore};
use tracing::info;

use crate::IngestError;
use crate::models::ModelSetConfig;

/// Caption settings of a run.
#[derive(Debug, Clone)]
pub struct CaptionConfig {
    /// Caption keyframes when a caption model is installed.
    pub enabled: bool,
    /// Caption model to use (`rushes index --caption-model`), as [`check_caption_model`]
    /// found it installed; `None` picks the installed one (`florence2-base` first).
    pub model: Option<InstalledCaptionModel>,
}

/// A caption model name that [`check_caption_model`] found installed: the only way to pick
/// one for a run, so the pipeline need not check it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledCaptionModel(String);

impl InstalledCaptionModel {
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl Default for CaptionConfig {
    fn default() -> Self {
        CaptionConfig {
            enabled: true,
            model: None,
        }
    }
}

/// Loads the caption model when captions are on and one is installed. A missing model is a
/// notice (`Ok((None, notices))`); an installed but broken one is an error, since indexing
/// silently without it would lose captions.
pub fn load_captioner(
    config: &CaptionConfig,
    models: &ModelSetConfig,
) -> Result<(Option<Captioner>, Vec<String>), IngestError> {
    if !config.enabled {
        return Ok((None, Vec::new()));
    }
    if let Err(error) = rushes_models::runtime::init() {
        return Ok((None, vec![format!("captions are off: {error}")]));
    }
    let store = ModelStore::new(&models.models_dir);
    let Some(name) = config
        .model
        .as_ref()
        .map(|model| model.name().to_owned())
        .or_else(|| Captioner::find_installed(&store))
    else {
        return Ok((
            None,
            vec![format!(
                "captions are off: no caption model installed (run `rushes models fetch {}`)",
                rushes_models::caption::CAPTION_MODEL
            )],
        ));
    };
    let captioner = Captioner::load(&store, &name, models.threads)?;
    info!(model = %name, "captions on (moment keyframes)");
    Ok((
        Some(captioner),
        vec![format!(
            "captions on: {name} describes each moment's keyframe"
        )],
    ))
}

/// Every installed caption model, the one `rushes index` uses by default first (for
/// `rushes doctor`).
pub fn installed_caption_models(models_dir: &Path) -> Vec<String> {
    Captioner::installed_models(&ModelStore::new(models_dir))
}

/// Checks that `name` is an installed caption model, so that `--caption-model` fails before
/// any file is indexed; the error lists the installed caption models to pick from.
pub fn check_caption_model(
    models_dir: &Path,
    name: &str,
) -> Result<InstalledCaptionModel, IngestError> {
    let installed = installed_caption_models(models_dir);
    if installed.iter().any(|model| model == name) {
        return Ok(InstalledCaptionModel(name.to_owned()));
    }
    let store = ModelStore::new(models_dir);
    let why = match store.manifest(name) {
        Ok(manifest) if manifest.caption.is_none() => {
            format!("{name} is not a caption model (task {})", manifest.task)
        }
        Ok(_) => {
            format!("caption model {name} is not installed (run `rushes models fetch {name}`)")
        }
        Err(_) => format!("no caption model named {name:?}"),
    };
    let choice = if installed.is_empty() {
        format!(
            "no caption model is installed in {} (run `rushes models fetch {}`)",
            models_dir.display(),
            rushes_models::caption::CAPTION_MODEL
        )
    } else {
        format!("installed caption models: {}", installed.join(", "))
    };
    Err(IngestError::CaptionModelNotInstalled(format!(
        "{why}; {choice}"
    )))
}

/// Captions of one file's frames while they stream in.
pub(crate) struct KeyframeCaptions<'a> {
    captioner: Option<&'a mut Captioner>,
    /// In a long shot, caption again once this many seconds have passed.
    gap: f64,
    /// Shot and time of the last captioned frame.
    last: Option<(usize, f64)>,
    /// (frame time, caption) in time order.
    captions: Vec<(f64, String)>,
    pub warnings: Vec<String>,
}

impl<'a> KeyframeCaptions<'a> {
    /// `moment_max_len` is the longest moment: a long shot is split into parts longer than
    /// half of it, so a caption every half moment length gives every part one.
    pub fn new(captioner: Option<&'a mut Captioner>, moment_max_len: f64) -> Self {
        KeyframeCaptions {
            captioner,
            gap: (moment_max_len / 2.0).max(0.5),
            last: None,
            captions: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Captions the frames of a batch that can be keyframes, in one model call.
    pub fn take_batch(&mut self, batch: &[SampledFrame]) {
        if self.captioner.is_none() {
            return;
        }
        let mut chosen = Vec::new();
        for frame in batch {
            let wanted = match self.last {
                Some((shot, time)) => shot != frame.shot || frame.time - time >= self.gap,
                None => true,
            };
            if wanted {
                self.last = Some((frame.shot, frame.time));
                chosen.push(frame);
            }
        }
        if chosen.is_empty() {
            return;
        }
        let Some(captioner) = self.captioner.as_deref_mut() else {
            return;
        };
        let images: Vec<image::RgbImage> = chosen.iter().map(|f| f.image.clone()).collect();
        let _span = tracing::debug_span!("captions", frames = images.len()).entered();
        match captioner.caption_images(&images) {
            Ok(captions) => {
                for (frame, caption) in chosen.iter().zip(captions) {
                    if !caption.is_empty() {
                        self.captions.push((frame.time, caption));
                    }
                }
            }
            Err(error) => {
                // One failure is likely to repeat: stop captioning this file.
                self.captioner = None;
                self.warnings.push(format!(
                    "caption model failed, moments not captioned: {error}"
                ));
            }
        }
    }

    /// Gives each moment the caption of its keyframe, or else of the first captioned frame
    /// inside its range. Returns how many moments got a caption.
    pub fn caption_moments(&self, moments: &mut [MomentRecord]) -> usize {
        let mut captioned = 0;
        for moment in moments {
            let at_keyframe = self
                .captions
                .iter()
                .find(|(time, _)| (time - moment.keyframe).abs() < 1e-6);
            let inside = || {
                self.captions
                    .iter()
                    .find(|(time, _)| *time >= moment.start && *time <= moment.end)
            };
            if let Some((_, caption)) = at_keyframe.or_else(inside) {
                moment.caption = Some(caption.clone());
                captioned += 1;
            }
        }
        captioned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moment(start: f64, end: f64, keyframe: f64) -> MomentRecord {
        MomentRecord {
            start,
            end,
            keyframe,
            thumbnail: None,
            tags: Vec::new(),
            ocr_text: String::new(),
            transcript: Vec::new(),
            caption: None,
            frames: Vec::new(),
        }
    }

    #[test]
    fn each_moment_takes_its_keyframe_caption_or_the_first_inside() {
        let mut captions = KeyframeCaptions::new(None, 10.0);
        captions.captions = vec![(0.0, "slate".into()), (6.0, "crane".into())];
        let mut moments = vec![
            moment(0.0, 5.0, 0.0),
            moment(5.0, 10.0, 5.5),
            moment(10.0, 12.0, 10.0),
        ];
        captions.caption_moments(&mut moments);
        assert_eq!(moments[0].caption.as_deref(), Some("slate"));
        assert_eq!(moments[1].caption.as_deref(), Some("crane"));
        assert_eq!(moments[2].caption, None);
    }
}
