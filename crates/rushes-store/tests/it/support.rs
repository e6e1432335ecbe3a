//! Builders for realistic asset records and a fresh index per test.

use std::path::{Path, PathBuf};

use rushes_core::{
    Asset, AssetId, AssetKind, AssetRecord, FrameRecord, MediaInfo, MomentRecord, TranscriptLine,
};
use rushes_store::{Index, OpenMode, SearchRequest};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const MODEL: &str = "test-clip-8";
pub const DIM: usize = 8;

pub fn fresh_index() -> Result<(tempfile::TempDir, Index), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let index = Index::open(&dir.path().join("index"), OpenMode::ReadWrite)?;
    Ok((dir, index))
}

pub fn video(path: &str, duration: f64) -> Asset {
    Asset {
        id: AssetId::from_path(Path::new(path)),
        path: PathBuf::from(path),
        kind: AssetKind::Video,
        size: 10_000_000,
        mtime: 1_740_000_000,
        content_hash: format!("hash-{path}"),
        media: MediaInfo {
            container: Some("mov,mp4,m4a,3gp,3g2,mj2".into()),
            duration: Some(duration),
            width: Some(1920),
            height: Some(1080),
            video_codec: Some("prores".into()),
            audio_codec: Some("pcm_s24le".into()),
            frame_rate: Some(23.976),
            start_timecode: Some("01:00:00:00".into()),
            ..MediaInfo::default()
        },
    }
}

pub fn still(path: &str) -> Asset {
    Asset {
        kind: AssetKind::Image,
        media: MediaInfo {
            container: Some("jpeg".into()),
            width: Some(4000),
            height: Some(3000),
            ..MediaInfo::default()
        },
        ..video(path, 0.0)
    }
}

pub fn shot(start: f64, end: f64) -> MomentRecord {
    MomentRecord {
        start,
        end,
        keyframe: (start + end) / 2.0,
        frames: vec![FrameRecord {
            time: (start + end) / 2.0,
            thumbnail: None,
            embedding: None,
        }],
        ..MomentRecord::default()
    }
}

pub fn line(start: f64, end: f64, text: &str) -> TranscriptLine {
    TranscriptLine {
        start,
        end,
        text: text.into(),
        source: "srt".into(),
    }
}

/// A record whose moments are consecutive shots of `shot_length` seconds covering `asset`;
/// moment `i`'s thumbnail is `<id>/<millis>.jpg`.
pub fn record(asset: Asset, shots: usize, shot_length: f64) -> AssetRecord {
    let id = asset.id.clone();
    let moments = (0..shots)
        .map(|i| {
            let start = i as f64 * shot_length;
            let mut moment = shot(start, start + shot_length);
            moment.thumbnail = Some(format!("{id}/{}.jpg", (moment.keyframe * 1000.0) as u64));
            moment
        })
        .collect();
    AssetRecord::with_moments(asset, moments)
}

/// Puts the transcript lines into the record and into each overlapping moment.
pub fn with_transcript(mut record: AssetRecord, lines: Vec<TranscriptLine>) -> AssetRecord {
    for moment in &mut record.moments {
        moment.transcript = lines
            .iter()
            .filter(|l| l.start < moment.end && l.end > moment.start)
            .cloned()
            .collect();
    }
    record.transcript = lines;
    record
}

/// A unit vector along axis `axis` with a little of `other` mixed in.
pub fn direction(axis: usize, other: usize, mix: f32) -> Vec<f32> {
    let mut vector = vec![0.0; DIM];
    vector[axis % DIM] = 1.0;
    vector[other % DIM] += mix;
    vector
}

/// Gives every frame of moment `i` the vector `vectors[i]`.
pub fn with_vectors(mut record: AssetRecord, vectors: &[Vec<f32>]) -> AssetRecord {
    for (moment, vector) in record.moments.iter_mut().zip(vectors) {
        for frame in &mut moment.frames {
            frame.embedding = Some(vector.clone());
        }
    }
    record.embedding_model = Some(MODEL.into());
    record
}

pub fn search(
    index: &Index,
    query: &str,
) -> Result<rushes_core::SearchResponse, rushes_store::StoreError> {
    index.search(&SearchRequest::new(query))
}

/// (file name, start, end) of each hit.
pub fn hit_windows(response: &rushes_core::SearchResponse) -> Vec<(String, f64, f64)> {
    response
        .hits
        .iter()
        .map(|hit| {
            let name = Path::new(&hit.asset.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, hit.start, hit.end)
        })
        .collect()
}

pub fn hit_files(response: &rushes_core::SearchResponse) -> Vec<String> {
    let mut files: Vec<String> = hit_windows(response)
        .into_iter()
        .map(|(name, _, _)| name)
        .collect();
    files.dedup();
    files
}
