//! One small library of realistic asset records for the engine tests: three clips and a
//! still over two shoot days and two cameras, with transcript lines, on-screen text,
//! captions, auto tags, slates, capture dates, one 8-d frame vector per moment, and each
//! moment's line, on-screen text or caption as a text unit with a fixed 20-d "sentence"
//! vector of its own ([`meaning_of`]; [`FixedMeanings`] embeds hand notes and tags alike).

use std::path::PathBuf;

use rushes_core::{
    Asset, AssetId, AssetKind, AssetRecord, FrameRecord, MediaInfo, MomentRecord, Slate, SlateSpan,
    TextUnit, TextUnitKind, TranscriptLine,
};
use rushes_store::seams::UnitEmbedding;

pub const MODEL: &str = "test-clip-8";
pub const DIM: usize = 8;
/// The stand-in sentence model of the text units.
pub const SENTENCE_MODEL: &str = "test-minilm-20";
pub const SENTENCE_DIM: usize = 20;

/// The sentence vector of the `n`th moment's text unit (`n` < 14 uses axes 0–13; axes
/// 14–19 are left for hand notes and tags): every unit means something of its own.
pub fn meaning_of(n: usize) -> Vec<f32> {
    let mut vector = vec![0.0; SENTENCE_DIM];
    vector[n % 14] = 1.0;
    vector[(n + 5) % 14] += 0.1 * (n as f32 + 1.0);
    vector
}

/// The unit vector along `axis` of the sentence space.
pub fn meaning_axis(axis: usize) -> Vec<f32> {
    let mut vector = vec![0.0; SENTENCE_DIM];
    vector[axis % SENTENCE_DIM] = 1.0;
    vector
}

/// A stand-in sentence model for hand notes and tags: each text it knows means the way
/// its table says; any other text fails, as a broken model would.
pub struct FixedMeanings(pub Vec<(&'static str, Vec<f32>)>);

impl UnitEmbedding for FixedMeanings {
    fn model(&self) -> &str {
        SENTENCE_MODEL
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        texts
            .iter()
            .map(|text| {
                self.0
                    .iter()
                    .find(|(known, _)| known == text)
                    .map(|(_, vector)| vector.clone())
                    .ok_or_else(|| format!("no meaning known for {text:?}"))
            })
            .collect()
    }
}

/// A clip of `duration` seconds at `path`, shot on `day` (`2025-03-01`) with `camera`
/// (make, model).
pub fn clip(path: &str, duration: f64, day: &str, camera: Option<(&str, &str)>) -> Asset {
    let media = MediaInfo {
        creation_time: Some(format!("{day}T10:00:00Z")),
        camera_make: camera.map(|(make, _)| make.to_string()),
        camera_model: camera.map(|(_, model)| model.to_string()),
        duration: Some(duration),
        container: Some("mov,mp4,m4a,3gp,3g2,mj2".into()),
        video_codec: Some("prores".into()),
        ..MediaInfo::default()
    };
    let path = PathBuf::from(path);
    Asset {
        id: AssetId::from_path(&path),
        content_hash: format!("hash-{}", path.display()),
        kind: AssetKind::Video,
        size: 4_000_000,
        mtime: 1_700_000_000,
        media,
        path,
    }
}

/// What one moment holds: its time range and text.
#[derive(Default)]
pub struct Shot<'a> {
    pub start: f64,
    pub end: f64,
    pub said: &'a str,
    pub on_screen: &'a str,
    pub caption: &'a str,
    pub tags: &'a [&'a str],
}

/// The frame vector of the `n`th moment of the corpus: every moment points its own way.
pub fn vector_of(n: usize) -> Vec<f32> {
    let mut vector = vec![0.0; DIM];
    vector[n % DIM] = 1.0;
    vector[(n + 3) % DIM] += 0.15 * (n as f32 + 1.0);
    vector
}

/// A record of `asset` with `shots`, each with one frame whose vector is
/// `vector_of(first_vector + i)` and a text unit of its line, on-screen text or caption
/// (the first it has) whose vector is `meaning_of(first_vector + i)`, a second into the
/// shot until a second before its end (its window, not the moment's, is the hit's).
pub fn record(asset: Asset, shots: &[Shot<'_>], first_vector: usize) -> AssetRecord {
    let moments = shots
        .iter()
        .enumerate()
        .map(|(i, shot)| MomentRecord {
            start: shot.start,
            end: shot.end,
            keyframe: shot.start,
            thumbnail: None,
            tags: shot.tags.iter().map(|tag| (tag.to_string(), 0.8)).collect(),
            ocr_text: shot.on_screen.to_string(),
            transcript: transcript_of(shot),
            caption: (!shot.caption.is_empty()).then(|| shot.caption.to_string()),
            frames: vec![FrameRecord {
                time: shot.start,
                thumbnail: None,
                embedding: Some(vector_of(first_vector + i)),
            }],
        })
        .collect();
    let text_units = shots
        .iter()
        .enumerate()
        .filter_map(|(i, shot)| {
            let (kind, text) = [
                (TextUnitKind::Transcript, shot.said),
                (TextUnitKind::Screen, shot.on_screen),
                (TextUnitKind::Caption, shot.caption),
            ]
            .into_iter()
            .find(|(_, text)| !text.is_empty())?;
            let (start, end) = if shot.end - shot.start > 2.0 {
                (shot.start + 1.0, shot.end - 1.0)
            } else {
                (shot.start, shot.end)
            };
            Some(TextUnit {
                kind,
                start,
                end,
                text: text.to_string(),
                embedding: Some(meaning_of(first_vector + i)),
            })
        })
        .collect();
    let mut record = AssetRecord::with_moments(asset, moments);
    record.transcript = shots.iter().flat_map(transcript_of).collect();
    record.embedding_model = Some(MODEL.into());
    record.text_units = text_units;
    record.text_model = Some(SENTENCE_MODEL.into());
    record
}

fn transcript_of(shot: &Shot<'_>) -> Vec<TranscriptLine> {
    (!shot.said.is_empty())
        .then(|| TranscriptLine {
            start: shot.start,
            end: shot.end,
            text: shot.said.to_string(),
            source: "srt".into(),
        })
        .into_iter()
        .collect()
}

/// A slate read over `[start, end)`.
pub fn slate(start: f64, end: f64, scene: &str, take: &str, roll: &str, camera: &str) -> SlateSpan {
    SlateSpan {
        start,
        end,
        seen_start: start,
        seen_end: start + 1.0,
        tail: false,
        slate: Slate {
            scene: Some(scene.into()),
            take: Some(take.into()),
            roll: Some(roll.into()),
            camera: Some(camera.into()),
            ..Slate::default()
        },
    }
}

/// The library every parity test indexes, in both engines.
pub fn library() -> Vec<AssetRecord> {
    let mut a001 = record(
        clip(
            "/footage/day1/cam-a/A001_C003.mov",
            15.0,
            "2025-03-01",
            Some(("Sony", "FX6")),
        ),
        &[
            Shot {
                start: 0.0,
                end: 5.0,
                said: "The grips were spilling coffee next to the crane",
                tags: &["crane"],
                ..Shot::default()
            },
            Shot {
                start: 5.0,
                end: 10.0,
                on_screen: "SCENE 42A TAKE 3",
                ..Shot::default()
            },
            Shot {
                start: 10.0,
                end: 15.0,
                caption: "a wide shot of the café at night",
                ..Shot::default()
            },
        ],
        0,
    );
    a001.slates = vec![slate(5.0, 15.0, "42A", "3", "A001", "A")];
    let mut b002 = record(
        clip(
            "/footage/day1/cam-b/B002_C001.mov",
            12.0,
            "2025-03-02",
            Some(("Canon", "C300")),
        ),
        &[
            Shot {
                start: 0.0,
                end: 4.0,
                said: "coffee break, everyone spill out",
                ..Shot::default()
            },
            Shot {
                start: 4.0,
                end: 8.0,
                on_screen: "ÉTÉ 2024 crane operator",
                tags: &["stunt"],
                ..Shot::default()
            },
            Shot {
                start: 8.0,
                end: 12.0,
                said: "quiet on set please",
                ..Shot::default()
            },
        ],
        3,
    );
    b002.slates = vec![slate(0.0, 12.0, "7", "1", "B002", "B")];
    let interview = record(
        clip(
            "/footage/day2/interviews/maria_interview.mov",
            60.0,
            "2025-03-05",
            None,
        ),
        &[
            Shot {
                start: 0.0,
                end: 30.0,
                said: "Maria talks about the crane accident and the stunt",
                tags: &["interview"],
                ..Shot::default()
            },
            Shot {
                start: 30.0,
                end: 60.0,
                said: "someone spilled paint on the dolly track",
                ..Shot::default()
            },
        ],
        6,
    );
    let mut poster = clip("/footage/day2/stills/poster.jpg", 0.0, "2025-03-04", None);
    poster.kind = AssetKind::Image;
    poster.media.duration = None;
    let poster = record(
        poster,
        &[Shot {
            on_screen: "crane hire poster",
            ..Shot::default()
        }],
        8,
    );
    vec![a001, b002, interview, poster]
}
