//! MP4 clips of export items through `rushes_media::export_clip` (handles, optional 9:16 or
//! 1:1 crop, `.part` then rename), named `<file>_<source timecode>.mp4`, with progress and
//! cancellation between clips.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rushes_media::{Crop, ExportOptions};

use crate::{ExportError, ExportItem};

/// How clips are cut.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClipOptions {
    /// Seconds added before and after each range (clamped to the file).
    pub handles: f64,
    pub crop: Option<Crop>,
    /// Allow a stream copy when the cut starts on a keyframe: fast, but the copied clip can
    /// run a few frames long (packets are cut whole, B-frame delay shows as a start offset).
    /// Off by default: clips are re-encoded to the exact frame range.
    pub allow_stream_copy: bool,
}

/// Where an export stands, reported before each clip and once at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipProgress {
    /// Clips finished so far.
    pub done: usize,
    pub total: usize,
    /// The clip being written now; `None` in the final report.
    pub current: Option<PathBuf>,
}

/// `<file stem>_<HH-MM-SS-FF>.mp4` for the item's source in timecode (`-` because `:` is
/// not allowed in file names everywhere).
pub fn clip_file_name(item: &ExportItem) -> Result<String, ExportError> {
    let (source_in, _) = item.source_timecodes()?;
    let stem = item
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "clip".to_string());
    let timecode = source_in.to_string().replace([':', ';'], "-");
    Ok(format!("{stem}_{timecode}.mp4"))
}

/// Cuts every item into `out_dir`; returns the written files in item order. Two items that
/// would share a name get `_2`, `_3`... Stops between clips when `cancel` is set, leaving
/// the finished clips and no partial file.
pub fn export_clips(
    items: &[ExportItem],
    out_dir: &Path,
    options: &ClipOptions,
    on_progress: &mut dyn FnMut(&ClipProgress),
    cancel: &AtomicBool,
) -> Result<Vec<PathBuf>, ExportError> {
    if items.is_empty() {
        return Err(ExportError::Empty);
    }
    // Check every range before cutting anything, so a bad item fails fast.
    let mut names = Vec::with_capacity(items.len());
    let mut taken = HashSet::new();
    for item in items {
        let name = clip_file_name(item)?;
        let mut unique = name.clone();
        let mut counter = 2;
        while !taken.insert(unique.clone()) {
            unique = format!("{}_{counter}.mp4", name.trim_end_matches(".mp4"));
            counter += 1;
        }
        names.push(unique);
    }
    std::fs::create_dir_all(out_dir).map_err(|e| ExportError::io(out_dir, e))?;
    let media_options = ExportOptions {
        handles: options.handles,
        crop: options.crop,
        reencode: !options.allow_stream_copy,
    };
    let total = items.len();
    let mut written = Vec::with_capacity(total);
    for (item, name) in items.iter().zip(names) {
        let dest = out_dir.join(name);
        on_progress(&ClipProgress {
            done: written.len(),
            total,
            current: Some(dest.clone()),
        });
        if cancel.load(Ordering::Relaxed) {
            return Err(ExportError::Cancelled {
                done: written.len(),
                total,
            });
        }
        tracing::info!(src = %item.path.display(), dest = %dest.display(), "exporting clip");
        rushes_media::export_clip(
            &item.path,
            &item.media,
            item.start,
            item.end,
            &dest,
            &media_options,
        )
        .map_err(|source| {
            // An interrupt reaches ffmpeg too; its failure then means "cancelled".
            if cancel.load(Ordering::Relaxed) {
                ExportError::Cancelled {
                    done: written.len(),
                    total,
                }
            } else {
                ExportError::Media {
                    name: item.name.clone(),
                    source,
                }
            }
        })?;
        written.push(dest);
    }
    on_progress(&ClipProgress {
        done: written.len(),
        total,
        current: None,
    });
    Ok(written)
}
