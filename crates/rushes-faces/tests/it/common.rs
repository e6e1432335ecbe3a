//! Test inputs: the installed dlib models, the real face photos and ffmpeg-made variants.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use image::RgbImage;
use rushes_faces::FaceEngine;
pub use rushes_testkit::{astronaut_path, opencv_data as opencv_image, repo_root};

/// The face engine on the repo's models (installed by `scripts/setup.sh`), loaded once.
pub fn engine() -> std::sync::MutexGuard<'static, FaceEngine> {
    static ENGINE: OnceLock<std::sync::Mutex<FaceEngine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            std::sync::Mutex::new(
                FaceEngine::load(&repo_root().join("models"))
                    .expect("dlib face models installed (run scripts/setup.sh)"),
            )
        })
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The face in the upper half of the frame (the portraits' faces are there; HOG may also
/// fire on textured patches lower down).
pub fn upper_face(faces: &[rushes_faces::FoundFace]) -> &rushes_faces::FoundFace {
    faces
        .iter()
        .min_by_key(|face| face.bbox.y)
        .expect("a face in the photo")
}

pub fn load(path: &Path) -> RgbImage {
    image::open(path).expect("decode test image").to_rgb8()
}

/// `input` through an ffmpeg video filter, as one decoded frame.
pub fn ffmpeg_variant(input: &Path, filter: &str, dir: &Path, name: &str) -> RgbImage {
    let out = dir.join(format!("{name}.png"));
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(input)
        .args(["-vf", filter, "-frames:v", "1"])
        .arg(&out)
        .status()
        .expect("run ffmpeg");
    assert!(status.success(), "ffmpeg {filter} failed");
    load(&out)
}
