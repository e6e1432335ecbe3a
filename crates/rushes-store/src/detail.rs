//! One asset in full, as `rushes show` and the asset page show it: its moments with their
//! signals and text, its whole-asset hand tags and its slates.

use rushes_core::{Asset, AssetId, Signal, TranscriptLine};
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, MomentRow, Repositories};
use crate::error::StoreError;
use crate::thumbnails::thumbnail_url;

/// One moment of an asset, as `rushes show` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MomentDetail {
    pub start: f64,
    pub end: f64,
    pub keyframe: f64,
    /// URL path of the keyframe thumbnail (`/thumbs/...`).
    pub thumbnail: Option<String>,
    /// Which kinds of text the moment has (ocr, transcript, tag, caption).
    pub signals: Vec<Signal>,
    pub tags: Vec<String>,
    /// OCR text and transcript lines, one per line.
    pub text: String,
    pub ocr: String,
    pub transcript: Vec<TranscriptLine>,
    pub caption: Option<String>,
}

/// Everything the index knows of one asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetDetail {
    pub asset: Asset,
    pub moments: Vec<MomentDetail>,
    pub user_tags: Vec<String>,
    /// The slates read in the asset, each with the stretch of the file it names.
    #[serde(default)]
    pub slates: Vec<rushes_core::SlateSpan>,
}

pub(crate) fn asset_detail(
    catalog: &Catalog,
    id: &AssetId,
) -> Result<Option<AssetDetail>, StoreError> {
    let Some(asset) = catalog.assets().asset(id.as_str())? else {
        return Ok(None);
    };
    let user_tags = catalog.annotations().user_tags(id.as_str())?;
    let moments = catalog.assets().asset_moments(id.as_str())?;
    let slates = catalog
        .slates()
        .spans_of(&[asset.id.as_str()])?
        .remove(asset.id.as_str())
        .unwrap_or_default();
    Ok(Some(detail_from(asset, moments, user_tags, slates)))
}

/// An asset's detail from its moments (in time order, as the catalog reads them for the
/// text index), whole-asset hand tags and slate spans: what every engine shows.
pub fn detail_from(
    asset: Asset,
    moments: Vec<MomentRow>,
    user_tags: Vec<String>,
    slates: Vec<rushes_core::SlateSpan>,
) -> AssetDetail {
    let moments = moments
        .into_iter()
        .map(|row| {
            let mut signals = Vec::new();
            if !row.ocr_text.trim().is_empty() {
                signals.push(Signal::Ocr);
            }
            if !row.transcript.is_empty() {
                signals.push(Signal::Transcript);
            }
            if !row.tags.is_empty() {
                signals.push(Signal::Tag);
            }
            if row.caption.as_deref().is_some_and(|c| !c.trim().is_empty()) {
                signals.push(Signal::Caption);
            }
            let mut text_lines: Vec<&str> = Vec::new();
            if !row.ocr_text.trim().is_empty() {
                text_lines.push(row.ocr_text.trim());
            }
            text_lines.extend(row.transcript.iter().map(|line| line.text.as_str()));
            MomentDetail {
                start: row.start,
                end: row.end,
                keyframe: row.keyframe,
                thumbnail: row.thumbnail.as_deref().map(thumbnail_url),
                signals,
                text: text_lines.join("\n"),
                tags: row.tags,
                ocr: row.ocr_text,
                transcript: row.transcript,
                caption: row.caption,
            }
        })
        .collect();
    AssetDetail {
        asset,
        moments,
        user_tags,
        slates,
    }
}
