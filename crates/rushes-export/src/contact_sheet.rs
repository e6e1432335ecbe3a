//! PNG contact sheets for press kits and shot reviews: a grid with one cell per item — the
//! frame in the middle of its range, and under it the file name and source timecode. The
//! frames come from `rushes_media::frame_at`, the grid from the `image` crate, the labels
//! from one ffmpeg `drawtext` pass (DejaVu Sans), written to `.part` and renamed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use image::{Rgb, RgbImage, imageops};

use crate::{ClipProgress, ExportError, ExportItem};

/// Fonts tried for the labels, first found wins (Debian's fonts-dejavu-core first).
const FONT_FILES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

/// Most cells one sheet holds.
pub const MAX_CELLS: usize = 400;

/// Geometry of a sheet, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactSheetLayout {
    pub columns: u32,
    /// Width and height of the picture area of a cell.
    pub picture_width: u32,
    pub picture_height: u32,
    /// Height of the label band under each picture.
    pub label_height: u32,
    /// Space around and between cells.
    pub gap: u32,
    /// Height of the title band at the top.
    pub title_height: u32,
}

impl Default for ContactSheetLayout {
    fn default() -> ContactSheetLayout {
        ContactSheetLayout {
            columns: 4,
            picture_width: 320,
            picture_height: 180,
            label_height: 44,
            gap: 16,
            title_height: 48,
        }
    }
}

impl ContactSheetLayout {
    fn columns_for(&self, cells: usize) -> u32 {
        self.columns.clamp(1, cells.max(1) as u32)
    }

    /// Width and height of a sheet with `cells` cells.
    pub fn sheet_size(&self, cells: usize) -> (u32, u32) {
        let columns = self.columns_for(cells);
        let rows = (cells.max(1) as u32).div_ceil(columns);
        let width = self.gap + columns * (self.picture_width + self.gap);
        let height = self.title_height
            + self.gap
            + rows * (self.picture_height + self.label_height + self.gap);
        (width, height)
    }

    /// Top-left corner of cell `n`'s picture.
    pub fn cell_origin(&self, cells: usize, n: usize) -> (u32, u32) {
        let columns = self.columns_for(cells);
        let (column, row) = (n as u32 % columns, n as u32 / columns);
        (
            self.gap + column * (self.picture_width + self.gap),
            self.title_height
                + self.gap
                + row * (self.picture_height + self.label_height + self.gap),
        )
    }
}

/// The label under a cell: file name, then source in and out timecodes.
fn cell_label(item: &ExportItem) -> Result<String, ExportError> {
    let (source_in, source_out) = item.source_timecodes()?;
    let mut name: String = item.name.chars().take(40).collect();
    if item.name.chars().count() > 40 {
        name.push('…');
    }
    Ok(format!("{name}\n{source_in} - {source_out}"))
}

/// The frame in the middle of the item's range, fitted into the picture area; `None` for
/// files without pictures (audio) or when the frame cannot be read (logged).
fn cell_picture(item: &ExportItem, layout: &ContactSheetLayout) -> Option<RgbImage> {
    let middle = (item.start + item.end) / 2.0;
    let max_side = layout.picture_width.max(layout.picture_height);
    let frame = match rushes_media::frame_at(&item.path, &item.media, middle, max_side) {
        Ok(frame) => frame,
        Err(error) => {
            tracing::warn!(path = %item.path.display(), "no frame for the contact sheet: {error}");
            return None;
        }
    };
    let scale = f64::min(
        f64::from(layout.picture_width) / f64::from(frame.width().max(1)),
        f64::from(layout.picture_height) / f64::from(frame.height().max(1)),
    );
    let width = ((f64::from(frame.width()) * scale).round() as u32).clamp(1, layout.picture_width);
    let height =
        ((f64::from(frame.height()) * scale).round() as u32).clamp(1, layout.picture_height);
    Some(imageops::resize(
        &frame,
        width,
        height,
        imageops::FilterType::Triangle,
    ))
}

fn font_file() -> Option<&'static str> {
    FONT_FILES.iter().copied().find(|f| Path::new(f).is_file())
}

/// Draws the title and the labels onto `grid` with ffmpeg and writes the PNG to `dest`.
fn draw_labels(
    grid: &Path,
    work: &Path,
    labels: &[(u32, u32)],
    dest: &Path,
) -> Result<(), ExportError> {
    let font = match font_file() {
        Some(file) => format!("fontfile={file}"),
        None => "font=DejaVu Sans".to_string(),
    };
    let mut filters = vec![format!(
        "drawtext={font}:textfile=title.txt:expansion=none:x=16:y=14:fontsize=22:fontcolor=black"
    )];
    for (n, (x, y)) in labels.iter().enumerate() {
        filters.push(format!(
            "drawtext={font}:textfile=label-{n}.txt:expansion=none:x={x}:y={y}:fontsize=14:line_spacing=6:fontcolor=black"
        ));
    }
    // ffmpeg through rushes-media: RUSHES_FFMPEG, a timeout, a missing tool named as such.
    rushes_media::filter_picture_to_png(grid, work, &filters.join(","), dest).map_err(|error| {
        match error {
            rushes_media::MediaError::ToolFailed { reason, .. } => ExportError::Corrupt {
                path: dest.to_path_buf(),
                reason: format!("ffmpeg could not draw the labels: {reason}"),
            },
            source => ExportError::Media {
                name: dest.display().to_string(),
                source,
            },
        }
    })?;
    Ok(())
}

/// Writes `<dir>/<file_stem>.png`: a grid of `items` titled `title`. Reports progress
/// after each frame and stops (removing its work) when `cancel` is set.
pub fn write_contact_sheet(
    title: &str,
    items: &[ExportItem],
    dir: &Path,
    file_stem: &str,
    layout: &ContactSheetLayout,
    on_progress: &mut dyn FnMut(&ClipProgress),
    cancel: &AtomicBool,
) -> Result<PathBuf, ExportError> {
    if items.is_empty() {
        return Err(ExportError::Empty);
    }
    if items.len() > MAX_CELLS {
        return Err(ExportError::InvalidItem {
            name: title.to_string(),
            reason: format!(
                "a contact sheet holds at most {MAX_CELLS} moments, not {}",
                items.len()
            ),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| ExportError::io(dir, e))?;
    let work = tempfile::Builder::new()
        .prefix(".contact-sheet")
        .tempdir_in(dir)
        .map_err(|e| ExportError::io(dir, e))?;
    let (width, height) = layout.sheet_size(items.len());
    let mut grid = RgbImage::from_pixel(width, height, Rgb([255, 255, 255]));
    let mut labels = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            return Err(ExportError::Cancelled {
                done: n,
                total: items.len(),
            });
        }
        on_progress(&ClipProgress {
            done: n,
            total: items.len(),
            current: Some(item.path.clone()),
        });
        let label = cell_label(item)?;
        let (x, y) = layout.cell_origin(items.len(), n);
        let background = RgbImage::from_pixel(
            layout.picture_width,
            layout.picture_height,
            Rgb([24, 24, 24]),
        );
        imageops::replace(&mut grid, &background, i64::from(x), i64::from(y));
        if let Some(picture) = cell_picture(item, layout) {
            let left = x + (layout.picture_width - picture.width()) / 2;
            let top = y + (layout.picture_height - picture.height()) / 2;
            imageops::replace(&mut grid, &picture, i64::from(left), i64::from(top));
        }
        let label_file = work.path().join(format!("label-{n}.txt"));
        std::fs::write(&label_file, label).map_err(|e| ExportError::io(&label_file, e))?;
        labels.push((x, y + layout.picture_height + 6));
    }
    let title_file = work.path().join("title.txt");
    std::fs::write(&title_file, title).map_err(|e| ExportError::io(&title_file, e))?;
    let grid_file = work.path().join("grid.png");
    grid.save(&grid_file)
        .map_err(|error| ExportError::Corrupt {
            path: grid_file.clone(),
            reason: error.to_string(),
        })?;
    let dest = dir.join(format!("{file_stem}.png"));
    let part = dir.join(format!("{file_stem}.png.part"));
    if let Err(error) = draw_labels(&grid_file, work.path(), &labels, &part) {
        let _ = std::fs::remove_file(&part);
        return Err(error);
    }
    std::fs::rename(&part, &dest).map_err(|e| {
        let _ = std::fs::remove_file(&part);
        ExportError::io(&dest, e)
    })?;
    on_progress(&ClipProgress {
        done: items.len(),
        total: items.len(),
        current: None,
    });
    Ok(dest)
}
