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

use serde_json::json;

use crate::config::InstalledCaptionModel;
use crate::stage::{
    AssetDraft, DoctorLine, FileStart, FrameDiet, Loaded, Stage, StageCount, StageKind, Switch,
};
use crate::stage_times::{Stage as Timed, StageTimes};
use crate::{IngestConfig, IngestError};

/// Registers captions (`--no-captions`, `--caption-model`).
pub struct CaptionsStage;

impl StageKind for CaptionsStage {
    fn name(&self) -> &'static str {
        "captions"
    }

    fn switch(&self) -> Option<Switch> {
        Some(Switch {
            flag: "no-captions",
            help: "Do not caption moment keyframes (captions need a caption model, e.g. florence2-base)",
        })
    }

    fn count(&self) -> Option<StageCount> {
        Some(StageCount {
            key: "captions",
            label: "captions",
            in_progress: true,
        })
    }

    /// Loads the caption model when one is installed. A missing model is a notice; an
    /// installed but broken one is an error, since indexing silently without it would lose
    /// captions.
    fn load(&self, config: &IngestConfig) -> Result<Loaded, IngestError> {
        if let Err(error) = rushes_models::runtime::init() {
            return Ok(Loaded::off(format!("captions are off: {error}")));
        }
        let store = ModelStore::new(&config.models.models_dir);
        let Some(name) = config
            .captions
            .model
            .as_ref()
            .map(|model| model.name().to_owned())
            .or_else(|| Captioner::find_installed(&store))
        else {
            return Ok(Loaded::off(format!(
                "captions are off: no caption model installed (run `rushes models fetch {}`)",
                rushes_models::caption::CAPTION_MODEL
            )));
        };
        let captioner = Captioner::load(&store, &name, config.models.threads)?;
        info!(model = %name, "captions on (moment keyframes)");
        Ok(Loaded::on(MomentCaptions {
            captioner,
            moment_max_len: config.moment_max_len,
            keyframes: KeyframeCaptions::new(config.moment_max_len),
            captioned: 0,
        })
        .with_notice(format!(
            "captions on: {name} describes each moment's keyframe"
        )))
    }

    /// The installed caption models, the default first. Captions are optional: never
    /// unhealthy.
    fn doctor(&self, models_dir: &Path) -> Option<DoctorLine> {
        let caption_models = installed_caption_models(models_dir);
        Some(match caption_models.split_first() {
            Some((model, others)) => {
                let choice = if others.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; also installed: {} (`rushes index --caption-model NAME`)",
                        others.join(", ")
                    )
                };
                DoctorLine {
                    json: json!({"ok": true, "model": model, "others": others}),
                    text: format!(
                        "{:<12} ok   {model} (`rushes index` uses it by default){choice}",
                        "captions"
                    ),
                }
            }
            None => {
                let fix = format!(
                    "rushes models fetch {}",
                    rushes_models::caption::CAPTION_MODEL
                );
                DoctorLine {
                    text: format!("{:<12} --   no caption model: run `{fix}`", "captions"),
                    json: json!({"ok": false, "fix": fix}),
                }
            }
        })
    }
}

/// The caption model of a run and the captions of the file at hand.
struct MomentCaptions {
    captioner: Captioner,
    moment_max_len: f64,
    keyframes: KeyframeCaptions,
    /// Moments of the file given a caption.
    captioned: usize,
}

impl Stage for MomentCaptions {
    fn frames(&self) -> FrameDiet {
        FrameDiet::Samples
    }

    fn start_file(&mut self, _file: &FileStart<'_>, _draft: &mut AssetDraft) {
        self.keyframes = KeyframeCaptions::new(self.moment_max_len);
        self.captioned = 0;
    }

    fn take_frames(&mut self, batch: &[SampledFrame], times: &mut StageTimes) {
        let (keyframes, captioner) = (&mut self.keyframes, &mut self.captioner);
        times.time(Timed::Captions, || keyframes.take_batch(captioner, batch));
    }

    fn finish_moments(&mut self, draft: &mut AssetDraft) {
        self.captioned = self.keyframes.caption_moments(&mut draft.moments);
        draft.warnings.append(&mut self.keyframes.warnings);
    }

    fn file_count(&self) -> usize {
        self.captioned
    }
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
pub(crate) struct KeyframeCaptions {
    /// The caption model failed on this file: caption nothing more.
    failed: bool,
    /// In a long shot, caption again once this many seconds have passed.
    gap: f64,
    /// Shot and time of the last captioned frame.
    last: Option<(usize, f64)>,
    /// (frame time, caption) in time order.
    captions: Vec<(f64, String)>,
    pub warnings: Vec<String>,
}

impl KeyframeCaptions {
    /// `moment_max_len` is the longest moment: a long shot is split into parts longer than
    /// half of it, so a caption every half moment length gives every part one.
    pub fn new(moment_max_len: f64) -> Self {
        KeyframeCaptions {
            failed: false,
            gap: (moment_max_len / 2.0).max(0.5),
            last: None,
            captions: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Captions the frames of a batch that can be keyframes, in one model call.
    pub fn take_batch(&mut self, captioner: &mut Captioner, batch: &[SampledFrame]) {
        if self.failed {
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
                self.failed = true;
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
        let mut captions = KeyframeCaptions::new(10.0);
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
