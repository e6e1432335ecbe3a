//! Faces during an index run. Owns when faces are looked for (the first sampled frame of
//! every shot and every [`IngestConfig::face_every`]th frame inside it), the face thumbnails
//! under `thumbs/faces/<asset_id>/`, and handing an asset's faces to the store, which groups
//! them into people with `rushes_faces::assign`. Detection itself is `rushes-faces`'; it runs
//! on the model worker thread with CLIP and OCR, so decoding never waits for it.
//!
//! [`IngestConfig::face_every`]: crate::IngestConfig::face_every

use std::path::{Path, PathBuf};

use image::RgbImage;
use rushes_core::AssetRecord;
use rushes_faces::{Assignment, FaceEngine};
use rushes_store::Index;
use rushes_store::people::{FACE_THUMBS_DIR, NewFace, PersonCentroid};
use tracing::info;

/// Side of face thumbnails, pixels.
pub const FACE_THUMB_SIDE: u32 = 128;

/// The face engine of a run, or `None` with the notice saying why faces are off (models not
/// installed or unreadable, or turned off).
pub fn load_face_engine(models_dir: &Path, enabled: bool) -> (Option<FaceEngine>, Option<String>) {
    if !enabled {
        return (None, None);
    }
    match FaceEngine::load(models_dir) {
        Ok(engine) => {
            info!(models = %models_dir.display(), "face models loaded");
            (Some(engine), None)
        }
        Err(error) => (None, Some(format!("faces are off: {error}"))),
    }
}

/// The faces of one file as its frames stream in.
pub struct FaceCollector<'a> {
    engine: Option<&'a mut FaceEngine>,
    every: usize,
    /// `<index>/thumbs`.
    thumbs_root: PathBuf,
    asset_id: String,
    last_shot: Option<usize>,
    frames_in_shot: usize,
    failed: bool,
    pub found: Vec<NewFace>,
    pub warnings: Vec<String>,
}

impl<'a> FaceCollector<'a> {
    /// Looks for faces on the first frame of every shot and every `every`th inside it
    /// (0: first frames only); `engine: None` collects nothing.
    pub fn new(
        engine: Option<&'a mut FaceEngine>,
        every: usize,
        thumbs_root: &Path,
        asset_id: &str,
    ) -> Self {
        FaceCollector {
            engine,
            every,
            thumbs_root: thumbs_root.to_path_buf(),
            asset_id: asset_id.to_string(),
            last_shot: None,
            frames_in_shot: 0,
            failed: false,
            found: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Whether this collector has an engine to look for faces with.
    pub fn is_on(&self) -> bool {
        self.engine.is_some() && !self.failed
    }

    /// Looks for faces on a sampled frame when it is due.
    pub fn take_frame(&mut self, time: f64, shot: usize, image: &RgbImage) {
        if self.failed {
            return;
        }
        let Some(engine) = self.engine.as_deref() else {
            return;
        };
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
            let path = self.thumbs_root.join(&relative);
            let written = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .map_err(|error| error.to_string())
                .and_then(|()| {
                    face.thumbnail(image, FACE_THUMB_SIDE)
                        .save(&path)
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

/// Writes an asset with its faces (`None`: faces were not looked for, the earlier ones
/// stay) in one catalog transaction, so a run killed before the commit undoes both. Faces
/// replace the asset's earlier ones and are grouped into people: a face seen before at the
/// same time and place keeps its person (and so its name); any other joins the nearest
/// person within dlib's 0.6, else starts one.
pub fn put_asset_with_faces(
    index: &Index,
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
