//! How the command line sets up indexing: the models of a run and the ingest configuration
//! `rushes index` and `rushes worker` share.

use std::path::PathBuf;

use anyhow::{Context, Result};
use rushes_ingest::{IngestConfig, ModelSetConfig};

use crate::args::IngestOptions;

fn model_config(models_dir: PathBuf, threads: usize, visual: bool, ocr: bool) -> ModelSetConfig {
    ModelSetConfig {
        models_dir,
        clip_model: None,
        threads: threads.max(1),
        visual,
        ocr,
    }
}

/// The ingest configuration of `rushes index` and `rushes worker`.
pub fn ingest_config(
    options: &IngestOptions,
    roots: Vec<PathBuf>,
    models_dir: PathBuf,
) -> Result<IngestConfig> {
    let caption_model = match &options.caption_model {
        Some(name) => Some(
            rushes_ingest::check_caption_model(&models_dir, name)
                .context("while choosing the caption model")?,
        ),
        None => None,
    };
    let mut config = IngestConfig::new(roots);
    config.models = model_config(models_dir, options.threads, true, true);
    config.models.clip_model = options.clip_model.clone();
    for stage in &options.stages.off {
        config.stages.switch_off(stage);
    }
    config.sampling.interval = options.interval.max(0.1);
    config.speech.language = options.language.clone();
    config.captions.model = caption_model;
    Ok(config)
}
