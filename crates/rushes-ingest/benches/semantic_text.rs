//! Cost of semantic text units per hour of footage: a dense interview (150 words a minute,
//! lines of 12 words every 4.8 s, so 750 transcript lines an hour) made synthetically, and
//! the semantic stage timed on it as an index run uses it (loaded from the models folder,
//! `finish_moments` turning the lines into units and embedding them). Prints one JSON line:
//! seconds per hour of footage, lines, words and the model. Skips (saying why) when no
//! sentence model is installed. `RUSHES_MODELS` picks the models folder; `RUSHES_THREADS`
//! the intra-op threads (2 by default, as `rushes index`).

use std::time::Instant;

use rushes_core::{MomentRecord, TranscriptLine};
use rushes_ingest::IngestConfig;
use rushes_ingest::stage::{AssetDraft, StageKind};
use rushes_ingest::stages::semantic::SemanticStage;

const HOUR: f64 = 3600.0;
const WORDS_PER_MINUTE: usize = 150;
const WORDS_PER_LINE: usize = 12;
const VOCABULARY: [&str; 48] = [
    "we", "need", "the", "camera", "back", "on", "its", "mark", "before", "lunch", "so", "that",
    "light", "is", "falling", "off", "too", "fast", "and", "I", "think", "she", "should", "walk",
    "slower", "through", "door", "again", "this", "time", "with", "more", "energy", "because",
    "last", "take", "felt", "flat", "honestly", "sound", "was", "great", "but", "focus", "drifted",
    "when", "turned", "around",
];

/// Word `w` of line `n`: drawn by hashing the pair (std's SipHash with its fixed keys), so
/// every run writes the same, nearly all distinct, lines.
fn word(n: usize, w: usize) -> &'static str {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    (n, w).hash(&mut hasher);
    VOCABULARY[(hasher.finish() % VOCABULARY.len() as u64) as usize]
}

/// An hour of interview transcript, and its moments (10 s each, captionless).
fn interview_hour() -> (Vec<TranscriptLine>, Vec<MomentRecord>) {
    let lines_per_hour = WORDS_PER_MINUTE * 60 / WORDS_PER_LINE;
    let spacing = HOUR / lines_per_hour as f64;
    let transcript = (0..lines_per_hour)
        .map(|n| TranscriptLine {
            start: n as f64 * spacing,
            end: (n as f64 + 0.95) * spacing,
            text: (0..WORDS_PER_LINE)
                .map(|w| word(n, w))
                .collect::<Vec<_>>()
                .join(" "),
            source: "speech".into(),
        })
        .collect();
    let moments = (0..360)
        .map(|n| MomentRecord {
            start: n as f64 * 10.0,
            end: (n + 1) as f64 * 10.0,
            keyframe: n as f64 * 10.0,
            ..MomentRecord::default()
        })
        .collect();
    (transcript, moments)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = IngestConfig::new(Vec::new());
    config.models.threads = std::env::var("RUSHES_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let loaded = SemanticStage.load(&config)?;
    let Some(mut stage) = loaded.stage else {
        println!(
            "{}",
            serde_json::json!({"bench": "semantic_text", "skipped": loaded.notices.join("; ")})
        );
        return Ok(());
    };
    let (transcript, moments) = interview_hour();
    let words: usize = transcript
        .iter()
        .map(|line| line.text.split_whitespace().count())
        .sum();
    let mut draft = AssetDraft {
        transcript,
        moments,
        ..AssetDraft::default()
    };
    let started = Instant::now();
    stage.finish_moments(&mut draft);
    let seconds = started.elapsed().as_secs_f64();
    let embedded = draft
        .text_units
        .iter()
        .filter(|unit| unit.embedding.is_some())
        .count();
    if embedded != draft.transcript.len() || !draft.warnings.is_empty() {
        return Err(format!(
            "embedded {embedded} of {} lines: {:?}",
            draft.transcript.len(),
            draft.warnings
        )
        .into());
    }
    println!(
        "{}",
        serde_json::json!({"bench": "semantic_text", "per_hour_seconds": seconds,
            "lines": draft.transcript.len(), "words": words, "units": embedded,
            "model": draft.text_model, "threads": config.models.threads,
            "notices": loaded.notices})
    );
    Ok(())
}
