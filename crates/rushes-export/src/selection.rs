//! What to export, read from the index: a collection's entries or a search's hits turned
//! into [`ExportItem`]s with their hand tags and notes. Searching itself is the caller's
//! (it needs the query engine); stills are left out, they have no time range.

use rushes_core::{Asset, AssetKind, Hit};
use rushes_store::{Annotation, Index, TimeRange};

use crate::{ExportError, ExportItem};

/// Items to export and the files left out (stills), by display path.
#[derive(Debug, Default)]
pub struct Selection {
    pub title: String,
    pub items: Vec<ExportItem>,
    pub skipped: Vec<String>,
}

/// Hand tags of the asset and of ranges overlapping `[start, end)`, and the notes of the
/// same, first the asset's.
fn hand_text_within(
    annotations: &[Annotation],
    start: f64,
    end: f64,
) -> (Vec<String>, Vec<String>) {
    let mut tags: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let applies = |range: Option<TimeRange>| range.is_none_or(|r| r.start < end && start < r.end);
    for annotation in annotations.iter().filter(|a| applies(a.range)) {
        for tag in &annotation.tags {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        if !annotation.note.is_empty() {
            notes.push(annotation.note.clone());
        }
    }
    (tags, notes)
}

impl Selection {
    fn push(
        &mut self,
        index: &Index,
        asset: Asset,
        start: f64,
        end: f64,
        note: &str,
    ) -> Result<(), ExportError> {
        if asset.kind == AssetKind::Image {
            self.skipped.push(asset.path.display().to_string());
            return Ok(());
        }
        let annotations = index.annotations(&asset.id)?;
        let (tags, mut notes) = hand_text_within(&annotations, start, end);
        if !note.trim().is_empty() {
            notes.insert(0, note.trim().to_string());
        }
        let slates = index.asset_slates(asset.id.as_str())?;
        let mut item = ExportItem::new(&asset.path, asset.media, start, end);
        item.slate = slates
            .iter()
            .rev()
            .find(|span| span.start <= start && start < span.end)
            .map(|span| span.slate.clone());
        item.tags = tags;
        item.notes = notes.join("; ");
        self.items.push(item);
        Ok(())
    }

    /// The entries of collection `name` in order; a whole-asset entry spans the file.
    pub fn from_collection(index: &Index, name: &str) -> Result<Selection, ExportError> {
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
            selection.push(index, asset, start, end, &entry.note)?;
        }
        Ok(selection)
    }

    /// Search hits in order, each noted with its matched text (`plain_snippet`).
    pub fn from_hits(
        index: &Index,
        title: &str,
        hits: &[Hit],
        plain_snippet: impl Fn(&str) -> String,
    ) -> Result<Selection, ExportError> {
        let mut selection = Selection {
            title: title.to_string(),
            ..Selection::default()
        };
        for hit in hits {
            if let Some(asset) = index.asset(&hit.asset.id)? {
                selection.push(
                    index,
                    asset,
                    hit.start,
                    hit.end,
                    &plain_snippet(&hit.snippet),
                )?;
            }
        }
        Ok(selection)
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
