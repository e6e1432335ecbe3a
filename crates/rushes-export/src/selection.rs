//! What to export: a collection's entries (read from the index) or a search's finished hits
//! (`rushes_search::Found`, which carry their asset, hand tags, notes and slate) turned into
//! [`ExportItem`]s. Searching itself is the caller's; stills are left out, they have no time
//! range.

use rushes_core::{Asset, AssetKind, Slate};
use rushes_search::{Found, hand_text_within};
use rushes_store::Library;

use crate::{ExportError, ExportItem};

/// Items to export and the files left out (stills), by display path.
#[derive(Debug, Default)]
pub struct Selection {
    pub title: String,
    pub items: Vec<ExportItem>,
    pub skipped: Vec<String>,
}

impl Selection {
    /// Adds `[start, end]` of `asset` noted with `notes` (a still is skipped: it has no
    /// time range).
    fn push(
        &mut self,
        asset: &Asset,
        (start, end): (f64, f64),
        tags: Vec<String>,
        notes: Vec<String>,
        slate: Option<Slate>,
    ) {
        if asset.kind == AssetKind::Image {
            self.skipped.push(asset.path.display().to_string());
            return;
        }
        let mut item = ExportItem::new(&asset.path, asset.media.clone(), start, end);
        item.slate = slate;
        item.tags = tags;
        item.notes = notes.join("; ");
        self.items.push(item);
    }

    /// The entries of collection `name` in order; a whole-asset entry spans the file.
    pub fn from_collection(index: &dyn Library, name: &str) -> Result<Selection, ExportError> {
        let collection = index.collection(name)?;
        let mut selection = Selection {
            title: collection.name.clone(),
            ..Selection::default()
        };
        for entry in &collection.items {
            let Some(asset) = index.asset(&entry.asset)? else {
                tracing::warn!(
                    "collection {name}: asset {} is no longer in the index",
                    entry.asset
                );
                continue;
            };
            let (start, end) = match entry.range {
                Some(range) => (range.start, range.end),
                None => (0.0, asset.media.duration.unwrap_or(0.0)),
            };
            let annotations = index.annotations(&asset.id)?;
            let (tags, notes) = hand_text_within(&annotations, start, end);
            let slates = index.asset_slates(asset.id.as_str())?;
            let slate = slates
                .iter()
                .rev()
                .find(|span| span.start <= start && start < span.end)
                .map(|span| span.slate.clone());
            let notes = with_note_first(&entry.note, notes);
            selection.push(&asset, (start, end), tags, notes, slate);
        }
        Ok(selection)
    }

    /// Search hits in order, each noted with its matched text (`plain_snippet`), then the
    /// hand tags and notes and the slate the hit carries.
    pub fn from_hits(
        title: &str,
        found: &Found,
        plain_snippet: impl Fn(&str) -> String,
    ) -> Selection {
        let mut selection = Selection {
            title: title.to_string(),
            ..Selection::default()
        };
        for found_hit in &found.hits {
            let hit = &found_hit.hit;
            if let Some(asset) = found.asset(&hit.asset.id) {
                let notes = with_note_first(&plain_snippet(&hit.snippet), found_hit.notes.clone());
                selection.push(
                    asset,
                    (hit.start, hit.end),
                    found_hit.hand_tags.clone(),
                    notes,
                    hit.slate.clone(),
                );
            }
        }
        selection
    }

    /// A file-name-safe stem made from the title (`scene 42` → `scene_42`).
    pub fn file_stem(&self) -> String {
        let stem: String = self
            .title
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '_' })
            .collect::<String>()
            .split('_')
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("_")
            .chars()
            .take(60)
            .collect();
        if stem.is_empty() {
            "export".to_string()
        } else {
            stem
        }
    }
}

/// `notes` with `note` (trimmed) in front, when it says anything.
fn with_note_first(note: &str, mut notes: Vec<String>) -> Vec<String> {
    if !note.trim().is_empty() {
        notes.insert(0, note.trim().to_string());
    }
    notes
}
