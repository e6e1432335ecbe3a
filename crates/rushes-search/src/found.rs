//! Finished hits: the store's ranked hits with what every caller needs beside them — the
//! facts of each hit's asset ([`AssetSummary`]), the hit's source timecode (through
//! `rushes_core::timecode`), how to play it ([`Playback`], frame rate and start timecode, so
//! the browser builds a playable item from the hit alone) and the hand tags and notes on its
//! range. The CLI prints them, the server answers them, export turns them into items.

use std::collections::{BTreeMap, HashMap};

use rushes_core::{Asset, AssetId, Hit, PersonFilterMatch, timecode};
use rushes_store::{Annotation, Library, RankedHits, StoreError};
use serde::Serialize;

use crate::hand_text::hand_text_within;
use crate::playback::{Playback, playback_for};

/// The answer to a query: the hits in order and the assets they belong to. Serialises as
/// `rushes search --json` prints it and `/api/search` answers it.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub query: String,
    /// Who each `person:` filter matched (several for `person:Lionel`; none for a stranger).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub people_matched: Vec<PersonFilterMatch>,
    /// Why nothing matches a query none of whose words can be searched for (`((((`, a
    /// word of 48 letters or more); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    pub hits: Vec<FoundHit>,
    /// What the UI shows about each asset the hits belong to, by id.
    pub assets: BTreeMap<String, AssetSummary>,
    /// The catalog's record of each asset, by id (for export, which needs all probe facts).
    #[serde(skip)]
    records: HashMap<AssetId, Asset>,
}

/// One hit with its source timecode, how to play it and the hand text on its range.
#[derive(Debug, Clone, Serialize)]
pub struct FoundHit {
    #[serde(flatten)]
    pub hit: Hit,
    /// Source timecode of the hit's start, when the file has a start timecode.
    pub timecode: Option<String>,
    /// Where and how a browser plays the hit's file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub playback: Option<Playback>,
    /// Frames per second of the file, for frame steps and the running timecode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<f64>,
    /// The file's own start timecode, for the running timecode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_timecode: Option<String>,
    /// Hand tags on the whole file or on a range overlapping the hit, for its card.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hand_tags: Vec<String>,
    /// Hand notes on the whole file or on a range overlapping the hit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Found {
    /// Finishes the store's ranked hits, reading each asset's hand annotations once.
    pub(crate) fn finish(index: &dyn Library, ranked: RankedHits) -> Result<Found, StoreError> {
        let RankedHits { response, assets } = ranked;
        let mut annotations: HashMap<&AssetId, Vec<Annotation>> = HashMap::new();
        for id in assets.keys() {
            annotations.insert(id, index.annotations(id)?);
        }
        let hits = response
            .hits
            .into_iter()
            .map(|hit| {
                let asset = assets.get(&hit.asset.id);
                let (hand_tags, notes) = annotations
                    .get(&hit.asset.id)
                    .map(|notes| hand_text_within(notes, hit.start, hit.end))
                    .unwrap_or_default();
                FoundHit {
                    timecode: asset
                        .and_then(|asset| timecode::source_timecode(&asset.media, hit.start))
                        .map(|timecode| timecode.to_string()),
                    playback: asset.map(playback_for),
                    frame_rate: asset.and_then(|asset| known_frame_rate(asset.media.frame_rate)),
                    start_timecode: asset.and_then(|asset| asset.media.start_timecode.clone()),
                    hit,
                    hand_tags,
                    notes,
                }
            })
            .collect();
        drop(annotations);
        Ok(Found {
            query: response.query,
            people_matched: response.people_matched,
            notice: response.notice,
            hits,
            assets: assets
                .values()
                .map(|asset| (asset.id.to_string(), AssetSummary::of(asset)))
                .collect(),
            records: assets,
        })
    }

    /// The catalog's record of a hit's asset.
    pub fn asset(&self, id: &AssetId) -> Option<&Asset> {
        self.records.get(id)
    }
}

/// A probed frame rate a clock can count with.
fn known_frame_rate(frame_rate: Option<f64>) -> Option<f64> {
    frame_rate.filter(|fps| fps.is_finite() && *fps > 0.0)
}

/// What the UI shows about an asset next to its hits and in the library.
#[derive(Debug, Clone, Serialize)]
pub struct AssetSummary {
    pub id: String,
    pub path: String,
    pub name: String,
    pub folder: String,
    pub kind: String,
    pub duration: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub video_codec: Option<String>,
    pub camera: Option<String>,
    pub creation_time: Option<String>,
    pub start_timecode: Option<String>,
    /// Frames per second from the probe, for frame steps and the running timecode.
    pub frame_rate: Option<f64>,
    /// Bytes on disk.
    pub size: u64,
    pub playback: Playback,
}

impl AssetSummary {
    pub fn of(asset: &Asset) -> AssetSummary {
        let media = &asset.media;
        let camera = match (&media.camera_make, &media.camera_model) {
            (Some(make), Some(model)) if model.starts_with(make.as_str()) => Some(model.clone()),
            (Some(make), Some(model)) => Some(format!("{make} {model}")),
            (make, model) => make.clone().or_else(|| model.clone()),
        };
        AssetSummary {
            id: asset.id.to_string(),
            path: asset.path.display().to_string(),
            name: asset
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            folder: asset
                .path
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            kind: asset.kind.to_string(),
            duration: media.duration,
            width: media.width,
            height: media.height,
            video_codec: media.video_codec.clone(),
            camera,
            creation_time: media.creation_time.clone(),
            start_timecode: media.start_timecode.clone(),
            frame_rate: known_frame_rate(media.frame_rate),
            size: asset.size,
            playback: playback_for(asset),
        }
    }
}
