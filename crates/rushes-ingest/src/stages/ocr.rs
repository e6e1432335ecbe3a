//! The on-screen text stage: PP-OCR (behind its cheap text gate) on every frame the decoder
//! hands over — samples and the text gate's frames between them, in time order — merged into
//! runs of text with the interval each is on screen ([`ScreenTextRuns`]).

use rushes_core::AssetKind;
use rushes_media::SampledFrame;

use crate::models::{ModelSet, ModelSetConfig};
use crate::screen_text::ScreenTextRuns;
use crate::stage::{AssetDraft, FileStart, FrameDiet, Loaded, Stage, StageKind, Switch};
use crate::stage_times::{Stage as Timed, StageTimes};
use crate::{IngestConfig, IngestError};

/// OCR lines the recogniser is less sure of than this are noise (texture read as glyphs).
const MIN_OCR_SCORE: f32 = 0.6;

/// Registers on-screen text (`--no-ocr`).
pub struct ScreenTextStage;

impl StageKind for ScreenTextStage {
    fn name(&self) -> &'static str {
        "ocr"
    }

    fn switch(&self) -> Option<Switch> {
        Some(Switch {
            flag: "no-ocr",
            help: "Do not read on-screen text",
        })
    }

    fn load(&self, config: &IngestConfig) -> Result<Loaded, IngestError> {
        let models = ModelSet::load(&ModelSetConfig {
            visual: false,
            ocr: true,
            ..config.models.clone()
        })?;
        let notices = models.notices.clone();
        let stage = models.ocr.is_some().then(|| {
            Box::new(ScreenTextReader {
                models,
                runs: ScreenTextRuns::new(0.0),
                video_duration: None,
                failed: false,
                warnings: Vec::new(),
            }) as Box<dyn Stage>
        });
        Ok(Loaded { stage, notices })
    }
}

/// On-screen text of one file while its frames stream in.
struct ScreenTextReader {
    models: ModelSet,
    /// On-screen text of every gated frame (samples and text-gate frames), merged into runs.
    runs: ScreenTextRuns,
    /// A video's duration: no run ends after it.
    video_duration: Option<f64>,
    failed: bool,
    warnings: Vec<String>,
}

impl Stage for ScreenTextReader {
    fn frames(&self) -> FrameDiet {
        FrameDiet::Every
    }

    fn start_file(&mut self, file: &FileStart<'_>, _draft: &mut AssetDraft) {
        self.runs = ScreenTextRuns::new(file.text_step);
        self.video_duration = file
            .media
            .duration
            .filter(|_| file.kind == AssetKind::Video);
        self.failed = false;
        self.warnings.clear();
    }

    fn take_frames(&mut self, batch: &[SampledFrame], times: &mut StageTimes) {
        for frame in batch {
            self.read_text(frame, times);
        }
    }

    fn contribute(&mut self, draft: &mut AssetDraft) {
        let runs = std::mem::replace(&mut self.runs, ScreenTextRuns::new(0.0));
        draft.screen_text = runs.finish(self.video_duration);
        draft.warnings.append(&mut self.warnings);
    }
}

impl ScreenTextReader {
    /// On-screen text of one frame into the runs. Frames come in time order, so text held
    /// unchanged since the frame before is not read again (`OcrEngine::read_in_sequence`).
    fn read_text(&mut self, frame: &SampledFrame, times: &mut StageTimes) {
        if self.failed {
            return;
        }
        times.ocr_runs += 1;
        let models = &mut self.models;
        match times.time(Timed::Ocr, || models.read_text(&frame.image)) {
            Ok(lines) => {
                let lines: Vec<String> = lines
                    .into_iter()
                    .filter(|line| {
                        line.score >= MIN_OCR_SCORE && line.text.trim().chars().count() >= 2
                    })
                    .map(|line| line.text)
                    .collect();
                self.runs.push(frame.time, &lines);
            }
            Err(error) => {
                self.failed = true;
                self.warnings.push(format!("OCR failed: {error}"));
            }
        }
    }
}
