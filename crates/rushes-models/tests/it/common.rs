//! Shared helpers: repo paths, temp model folders, images from ffmpeg.

use std::path::{Path, PathBuf};
use std::process::Command;

use rushes_models::ModelStore;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

pub fn opencv_data(name: &str) -> PathBuf {
    PathBuf::from("/usr/share/doc/opencv-doc/examples/data").join(name)
}

/// A temp models folder holding a copy of the colour fixture model (`clip-fixture`).
pub fn fixture_store() -> (tempfile::TempDir, ModelStore) {
    fixture_model_store("clip-fixture")
}

/// A temp models folder holding a copy of the generated fixture model `name` (manifest and
/// folder from tests/fixtures/models).
pub fn fixture_model_store(name: &str) -> (tempfile::TempDir, ModelStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = repo_root().join("tests/fixtures/models");
    let manifest = format!("{name}.toml");
    std::fs::copy(source.join(&manifest), dir.path().join(&manifest)).expect("copy manifest");
    std::fs::create_dir(dir.path().join(name)).expect("model folder");
    for entry in std::fs::read_dir(source.join(name)).expect("fixture folder") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dir.path().join(name).join(entry.file_name()))
            .expect("copy file");
    }
    let store = ModelStore::new(dir.path());
    (dir, store)
}

/// A temp models folder whose `ppocr` model links to the repo's real PP-OCR files.
pub fn ppocr_store() -> (tempfile::TempDir, ModelStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let models = repo_root().join("models");
    std::fs::copy(models.join("ppocr.toml"), dir.path().join("ppocr.toml")).expect("copy manifest");
    std::fs::create_dir(dir.path().join("ppocr")).expect("model folder");
    for entry in
        std::fs::read_dir(models.join("ppocr")).expect("models/ppocr: run scripts/setup.sh")
    {
        let entry = entry.expect("entry");
        std::os::unix::fs::symlink(
            entry.path(),
            dir.path().join("ppocr").join(entry.file_name()),
        )
        .expect("link");
    }
    let store = ModelStore::new(dir.path());
    (dir, store)
}

/// Runs ffmpeg with `args` (output path last) and loads the PNG it wrote.
pub fn ffmpeg_png(args: &[&str], out: &Path) -> image::RgbImage {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(out)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg {args:?} failed");
    image::open(out).expect("ffmpeg wrote a PNG").to_rgb8()
}

/// The drawtext option choosing a bold sans font: DejaVu Sans Bold where Debian's
/// fonts-dejavu-core put it (ffmpeg's fontconfig pulls it in), else fontconfig's "Sans:bold".
pub fn drawtext_font() -> String {
    let dejavu = Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf");
    if dejavu.is_file() {
        format!("fontfile={}", dejavu.display())
    } else {
        "font=Sans\\:bold".to_string()
    }
}

pub fn solid(rgb: [u8; 3], width: u32, height: u32) -> image::RgbImage {
    image::RgbImage::from_pixel(width, height, image::Rgb(rgb))
}
