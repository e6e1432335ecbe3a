//! Editor and marketing hand-offs from search hits or collections: CMX3600 EDLs, CSV marker
//! lists, FCPXML 1.9 timelines, MP4 clips and PNG contact sheets. It owns the formats, the
//! file writing and reading a selection out of the index ([`Selection`]); it does not search
//! (the caller brings the hits).

mod clips;
mod contact_sheet;
mod edl;
mod error;
mod fcpxml;
mod item;
mod markers;
mod selection;

pub use clips::{ClipOptions, ClipProgress, clip_file_name, export_clips};
pub use contact_sheet::{ContactSheetLayout, write_contact_sheet};
pub use edl::render_edl;
pub use error::ExportError;
pub use fcpxml::render_fcpxml;
pub use item::{ExportItem, FrameRate};
pub use markers::{render_markers_csv, spreadsheet_text_cell};
pub use rushes_media::Crop;
pub use selection::Selection;

use std::path::{Path, PathBuf};

/// The text formats an export can be written as (MP4 clips go through [`export_clips`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    /// CMX3600 edit decision list.
    Edl,
    /// Marker list as comma-separated values.
    Csv,
    /// Final Cut Pro XML 1.9.
    Fcpxml,
}

impl DocumentFormat {
    pub fn extension(self) -> &'static str {
        match self {
            DocumentFormat::Edl => "edl",
            DocumentFormat::Csv => "csv",
            DocumentFormat::Fcpxml => "fcpxml",
        }
    }

    /// The document's text for `items`, titled `title`.
    pub fn render(self, title: &str, items: &[ExportItem]) -> Result<String, ExportError> {
        match self {
            DocumentFormat::Edl => render_edl(title, items),
            DocumentFormat::Csv => render_markers_csv(items),
            DocumentFormat::Fcpxml => render_fcpxml(title, items),
        }
    }
}

/// Renders `items` and writes `<dir>/<file_stem>.<ext>` through a `.part` file and a rename,
/// so a reader never sees half a document. Returns the written path.
pub fn write_document(
    format: DocumentFormat,
    title: &str,
    items: &[ExportItem],
    dir: &Path,
    file_stem: &str,
) -> Result<PathBuf, ExportError> {
    let text = format.render(title, items)?;
    std::fs::create_dir_all(dir).map_err(|e| ExportError::io(dir, e))?;
    let dest = dir.join(format!("{file_stem}.{}", format.extension()));
    let part = dir.join(format!("{file_stem}.{}.part", format.extension()));
    std::fs::write(&part, text).map_err(|e| ExportError::io(&part, e))?;
    std::fs::rename(&part, &dest).map_err(|e| {
        let _ = std::fs::remove_file(&part);
        ExportError::io(&dest, e)
    })?;
    Ok(dest)
}
