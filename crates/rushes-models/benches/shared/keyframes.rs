//! Keyframes the bench harness prepared: every PNG of a folder, decoded in name order.
//! Shared by the `encoders` and `speech` bench targets through `#[path]`; decoding
//! footage into frames stays with the target that needs it.

use std::path::{Path, PathBuf};

/// Every `*.png` in `folder`, in name order; a folder without one is an error.
pub fn keyframes_in(folder: &Path) -> Result<Vec<image::RgbImage>, String> {
    let entries = std::fs::read_dir(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "png"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!("no .png keyframes in {}", folder.display()));
    }
    paths
        .iter()
        .map(|path| {
            image::open(path)
                .map(|picture| picture.to_rgb8())
                .map_err(|e| format!("{}: {e}", path.display()))
        })
        .collect()
}
