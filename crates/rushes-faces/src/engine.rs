//! The face engine: loads the dlib models once and turns an RGB frame into the faces worth
//! keeping, each with its box, five landmarks, sharpness and 128-d embedding.
//!
//! Detection runs dlib's HOG frontal-face detector, whose sliding window is 80 pixels: frames
//! whose long side is at most [`UPSAMPLE_BELOW`] are doubled first so faces down to
//! [`MIN_FACE_SIDE`] pixels are found. Larger frames (the indexer's 960 px analysis frames)
//! are searched as they are, because doubling them made detection four times slower (about
//! 1 s per 960 px frame on 2 cores): there the smallest face found is the 80 px window, a
//! twelfth of the frame's width (a medium-wide shot). Faces smaller than [`MIN_FACE_SIDE`],
//! or blurrier than [`crate::MIN_SHARPNESS`], are skipped.
//!
//! dlib builds its detector by unpacking a compressed copy compiled into the library (about
//! 0.7 s of one core), and reads the landmark and embedding files (120 MB) value by value
//! (about as long again). [`FaceEngine::load`] only checks the files are there and starts
//! both on threads of their own; the first detection waits for them, so a run's start-up
//! (the OCR sessions, the decoder's first frames) does not. The unpacked detector is kept
//! for the process, and later engines get a copy.

use std::cell::{Cell, OnceCell};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use dlib_face_recognition::{
    FaceDetector, FaceDetectorTrait, FaceEncoderNetwork, FaceEncoderTrait, FaceLandmarks,
    ImageMatrix, LandmarkPredictor, LandmarkPredictorTrait, Rectangle,
};
use image::{RgbImage, imageops};
use serde::{Deserialize, Serialize};

use rushes_core::FaceRect;

use crate::FacesError;
use crate::quality::{MIN_SHARPNESS, sharpness};

/// Folder under the models directory holding the dlib `.dat` files.
pub const DLIB_DIR: &str = "dlib-faces";
/// dlib's 68-point face landmark predictor (iBUG 300-W).
pub const LANDMARK_MODEL_FILE: &str = "shape_predictor_68_face_landmarks.dat";
/// dlib's ResNet-29 face recognition model: 128-d embeddings of aligned 150×150 chips.
pub const EMBEDDING_MODEL_FILE: &str = "dlib_face_recognition_resnet_model_v1.dat";

/// Faces whose box is smaller than this (pixels, shorter side, in the analysed frame) are
/// skipped: too few pixels for a reliable embedding.
pub const MIN_FACE_SIDE: u32 = 40;
/// Side of the HOG detector's window: the smallest face it finds without upsampling.
pub const DETECTOR_MIN_WINDOW: u32 = 80;
/// Frames whose longer side is at most this are upsampled ×2 before detection, so faces of
/// [`MIN_FACE_SIDE`] pixels fill the detector's window. Larger frames are not: the cost of
/// HOG detection grows with the pixel count.
pub const UPSAMPLE_BELOW: u32 = 640;

/// A face worth keeping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoundFace {
    pub bbox: FaceRect,
    /// Left eye centre, right eye centre, nose tip, left and right mouth corners (pixels).
    pub landmarks: [(f32, f32); 5],
    /// Variance of the Laplacian of the face crop (see [`crate::quality`]).
    pub sharpness: f64,
    /// dlib's 128-d embedding of the aligned face; same person below 0.6 apart.
    pub embedding: Vec<f32>,
}

impl FoundFace {
    /// A square thumbnail of the face with a margin around it, `side` pixels.
    pub fn thumbnail(&self, frame: &RgbImage, side: u32) -> RgbImage {
        let FaceRect {
            x,
            y,
            width,
            height,
        } = self.bbox;
        let margin = width.max(height) / 4;
        let square = width.max(height) + 2 * margin;
        let centre_x = x + width / 2;
        let centre_y = y + height / 2;
        let left = centre_x
            .saturating_sub(square / 2)
            .min(frame.width().saturating_sub(1));
        let top = centre_y
            .saturating_sub(square / 2)
            .min(frame.height().saturating_sub(1));
        let crop_width = square.min(frame.width() - left).max(1);
        let crop_height = square.min(frame.height() - top).max(1);
        let crop = imageops::crop_imm(frame, left, top, crop_width, crop_height).to_image();
        imageops::resize(&crop, side, side, imageops::FilterType::Triangle)
    }
}

/// The model files `models_dir` is missing, as full paths (empty when all are installed).
pub fn missing_models(models_dir: &Path) -> Vec<PathBuf> {
    [LANDMARK_MODEL_FILE, EMBEDDING_MODEL_FILE]
        .iter()
        .map(|file| models_dir.join(DLIB_DIR).join(file))
        .filter(|path| !path.is_file())
        .collect()
}

/// dlib's frontal face detector as first unpacked in this process, copied for later engines.
static UNPACKED_DETECTOR: Mutex<Option<FaceDetector>> = Mutex::new(None);

/// A copy of dlib's frontal face detector, unpacked on the first call in the process.
fn unpacked_detector() -> FaceDetector {
    let mut kept = UNPACKED_DETECTOR
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    kept.get_or_insert_with(FaceDetector::new).clone()
}

/// The detector of an engine: being unpacked on its own thread until the first detection.
struct PendingDetector {
    ready: OnceCell<FaceDetector>,
    unpacking: Cell<Option<JoinHandle<FaceDetector>>>,
}

impl PendingDetector {
    /// Starts unpacking; when no thread can be started, the first detection unpacks it.
    fn start() -> PendingDetector {
        let unpacking = std::thread::Builder::new()
            .name(String::from("dlib-detector"))
            .spawn(unpacked_detector)
            .ok();
        PendingDetector {
            ready: OnceCell::new(),
            unpacking: Cell::new(unpacking),
        }
    }

    /// The detector, waiting for its unpacking (or unpacking it here if that thread died).
    fn get(&self) -> &FaceDetector {
        self.ready.get_or_init(|| {
            self.unpacking
                .take()
                .and_then(|thread| thread.join().ok())
                .unwrap_or_else(unpacked_detector)
        })
    }
}

/// The landmark predictor and the embedding network, read from their files.
struct ModelFiles {
    landmarks: LandmarkPredictor,
    encoder: FaceEncoderNetwork,
}

impl ModelFiles {
    /// Reads both files (about 120 MB that dlib deserialises value by value: the largest
    /// part of a run's start-up).
    fn read(dir: &Path) -> Result<ModelFiles, FacesError> {
        let landmark_path = dir.join(LANDMARK_MODEL_FILE);
        let landmarks =
            LandmarkPredictor::open(&landmark_path).map_err(|reason| FacesError::ModelLoad {
                path: landmark_path.clone(),
                reason,
            })?;
        let encoder_path = dir.join(EMBEDDING_MODEL_FILE);
        let encoder =
            FaceEncoderNetwork::open(&encoder_path).map_err(|reason| FacesError::ModelLoad {
                path: encoder_path.clone(),
                reason,
            })?;
        Ok(ModelFiles { landmarks, encoder })
    }
}

/// The model files of an engine: being read on their own thread until the first detection.
struct PendingModelFiles {
    dir: PathBuf,
    ready: OnceCell<Result<ModelFiles, FacesError>>,
    reading: Cell<Option<JoinHandle<Result<ModelFiles, FacesError>>>>,
}

impl PendingModelFiles {
    /// Starts reading; when no thread can be started, the first detection reads them.
    fn start(dir: PathBuf) -> PendingModelFiles {
        let reading = {
            let dir = dir.clone();
            std::thread::Builder::new()
                .name(String::from("dlib-models"))
                .spawn(move || ModelFiles::read(&dir))
                .ok()
        };
        PendingModelFiles {
            dir,
            ready: OnceCell::new(),
            reading: Cell::new(reading),
        }
    }

    /// The models, waiting for their reading (or reading them here if that thread died). A
    /// file dlib cannot read gives the same error on every call.
    fn get(&self) -> Result<&ModelFiles, FacesError> {
        let read = self.ready.get_or_init(|| {
            self.reading
                .take()
                .and_then(|thread| thread.join().ok())
                .unwrap_or_else(|| ModelFiles::read(&self.dir))
        });
        read.as_ref().map_err(|error| match error {
            FacesError::ModelLoad { path, reason } => FacesError::ModelLoad {
                path: path.clone(),
                reason: reason.clone(),
            },
            other => FacesError::ModelLoad {
                path: self.dir.clone(),
                reason: other.to_string(),
            },
        })
    }
}

/// The loaded dlib models. `Send`, not `Sync`: use one per thread.
pub struct FaceEngine {
    detector: PendingDetector,
    models: PendingModelFiles,
}

impl FaceEngine {
    /// Loads the models from `<models_dir>/dlib/`: fails at once when a file is missing;
    /// the detector's unpacking and the files' reading go on on threads of their own, and
    /// the first detection waits for them (a file dlib cannot read fails it).
    pub fn load(models_dir: &Path) -> Result<FaceEngine, FacesError> {
        if let Some(path) = missing_models(models_dir).into_iter().next() {
            return Err(FacesError::ModelMissing { path });
        }
        Ok(FaceEngine {
            detector: PendingDetector::start(),
            models: PendingModelFiles::start(models_dir.join(DLIB_DIR)),
        })
    }

    /// The faces in `frame` at least [`MIN_FACE_SIDE`] pixels and [`MIN_SHARPNESS`] sharp,
    /// largest first.
    pub fn detect(&self, frame: &RgbImage) -> Result<Vec<FoundFace>, FacesError> {
        let models = self.models.get()?;
        if frame.width() < MIN_FACE_SIDE || frame.height() < MIN_FACE_SIDE {
            return Ok(Vec::new());
        }
        let scale = if frame.width().max(frame.height()) <= UPSAMPLE_BELOW {
            2
        } else {
            1
        };
        let upsampled;
        let analysed = if scale == 1 {
            frame
        } else {
            upsampled = imageops::resize(
                frame,
                frame.width() * scale,
                frame.height() * scale,
                imageops::FilterType::Triangle,
            );
            &upsampled
        };
        let matrix = to_matrix(analysed)?;
        let mut kept: Vec<(FaceRect, f64)> = Vec::new();
        let mut shapes: Vec<FaceLandmarks> = Vec::new();
        for rect in self.detector.get().face_locations(&matrix).iter() {
            let Some(bbox) = frame_box(rect, scale, frame) else {
                continue;
            };
            if bbox.width.min(bbox.height) < MIN_FACE_SIDE {
                tracing::debug!(?bbox, "face skipped: smaller than {MIN_FACE_SIDE} px");
                continue;
            }
            let sharp = sharpness(frame, bbox.x, bbox.y, bbox.width, bbox.height);
            if sharp < MIN_SHARPNESS {
                tracing::debug!(?bbox, sharp, "face skipped: blurred");
                continue;
            }
            shapes.push(models.landmarks.face_landmarks(&matrix, rect));
            kept.push((bbox, sharp));
        }
        if kept.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = models.encoder.get_face_encodings(&matrix, &shapes, 0);
        if encodings.len() != kept.len() {
            return Err(FacesError::Embedding(format!(
                "{} embeddings for {} faces",
                encodings.len(),
                kept.len()
            )));
        }
        let mut faces = Vec::with_capacity(kept.len());
        for (((bbox, sharp), points), encoding) in
            kept.into_iter().zip(&shapes).zip(encodings.iter())
        {
            let embedding: Vec<f32> = encoding.as_ref().iter().map(|v| *v as f32).collect();
            if embedding.len() != 128 || embedding.iter().any(|v| !v.is_finite()) {
                return Err(FacesError::Embedding(format!(
                    "expected 128 finite values, got {}",
                    embedding.len()
                )));
            }
            faces.push(FoundFace {
                bbox,
                landmarks: five_points(points, scale),
                sharpness: sharp,
                embedding,
            });
        }
        faces.sort_by_key(|face| std::cmp::Reverse(face.bbox.width * face.bbox.height));
        Ok(faces)
    }
}

fn to_matrix(image: &RgbImage) -> Result<ImageMatrix, FacesError> {
    let buffer =
        dlib_image::RgbImage::from_raw(image.width(), image.height(), image.as_raw().clone())
            .ok_or_else(|| {
                FacesError::Embedding(String::from("frame buffer has the wrong size"))
            })?;
    Ok(ImageMatrix::from_image(&buffer))
}

/// A detector rectangle in the analysed image as a box in frame pixels, clamped to the frame.
fn frame_box(rect: &Rectangle, scale: u32, frame: &RgbImage) -> Option<FaceRect> {
    let scale = i64::from(scale);
    let clamp = |value: i64, max: u32| (value / scale).clamp(0, i64::from(max)) as u32;
    let left = clamp(rect.left, frame.width());
    let top = clamp(rect.top, frame.height());
    let right = clamp(rect.right + 1, frame.width());
    let bottom = clamp(rect.bottom + 1, frame.height());
    (right > left && bottom > top).then(|| FaceRect {
        x: left,
        y: top,
        width: right - left,
        height: bottom - top,
    })
}

/// The five landmarks of the 5-point convention (eye centres, nose tip, mouth corners) from
/// dlib's 68 iBUG points, in frame pixels.
fn five_points(points: &FaceLandmarks, scale: u32) -> [(f32, f32); 5] {
    let scale = scale as f32;
    let point = |index: usize| {
        points
            .get(index)
            .map_or((0.0, 0.0), |p| (p.x() as f32 / scale, p.y() as f32 / scale))
    };
    let mean = |range: std::ops::Range<usize>| {
        let count = range.len() as f32;
        let (sx, sy) = range
            .map(point)
            .fold((0.0, 0.0), |(ax, ay), (x, y)| (ax + x, ay + y));
        (sx / count, sy / count)
    };
    // iBUG 68: 36-41 one eye, 42-47 the other, 30 nose tip, 48 and 54 mouth corners.
    [mean(36..42), mean(42..48), point(30), point(48), point(54)]
}
