//! The models `make run` fetches when the network allows, and the feature each one turns on,
//! so the command line and the server say the same thing about what is off and the one
//! command that turns it on. Fetching itself is the store's job.

use crate::{ModelState, ModelStore};
use crate::{caption::CAPTION_MODEL, clip::PREFERRED_MODEL, whisper::WHISPER_MODEL};

/// A model fetched by default and what a person gets from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DefaultModel {
    /// Manifest name.
    pub name: &'static str,
    /// The feature it turns on, as people call it.
    pub feature: &'static str,
}

/// Every model `rushes models fetch --defaults` fetches, in fetch order (smallest first, so
/// an interrupted first run has turned on what it could).
pub const DEFAULT_MODELS: &[DefaultModel] = &[
    DefaultModel {
        name: WHISPER_MODEL,
        feature: "speech transcription",
    },
    DefaultModel {
        name: PREFERRED_MODEL,
        feature: "visual search",
    },
    DefaultModel {
        name: CAPTION_MODEL,
        feature: "captions",
    },
];

/// The one command that fetches every default model.
pub const FETCH_DEFAULTS_COMMAND: &str = "rushes models fetch --defaults";

/// The default models not installed in `store` (missing or corrupt, or without a manifest).
pub fn missing_defaults(store: &ModelStore) -> Vec<DefaultModel> {
    let installed: Vec<String> = store
        .list()
        .unwrap_or_default()
        .into_iter()
        .filter(|status| status.state == ModelState::Installed)
        .map(|status| status.name)
        .collect();
    DEFAULT_MODELS
        .iter()
        .filter(|model| !installed.iter().any(|name| name == model.name))
        .copied()
        .collect()
}

/// One line saying which features are off and how to turn them on; None when all are on.
pub fn features_off_line(missing: &[DefaultModel]) -> Option<String> {
    let features: Vec<&str> = missing.iter().map(|m| m.feature).collect();
    let (last, rest) = features.split_last()?;
    let list = if rest.is_empty() {
        (*last).to_string()
    } else {
        format!("{} and {last}", rest.join(", "))
    };
    let verb = if features.len() == 1 { "is" } else { "are" };
    Some(format!(
        "{list} {verb} off (models not installed); turn on with: {FETCH_DEFAULTS_COMMAND}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_what_is_off_and_the_command() {
        assert_eq!(features_off_line(&[]), None);
        assert_eq!(
            features_off_line(&DEFAULT_MODELS[2..]).as_deref(),
            Some(
                "captions is off (models not installed); turn on with: rushes models fetch --defaults"
            )
        );
        let all = features_off_line(DEFAULT_MODELS).expect("line");
        assert!(
            all.starts_with("speech transcription, visual search and captions are off"),
            "{all}"
        );
    }

    #[test]
    fn an_empty_models_folder_misses_every_default() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(
            missing_defaults(&ModelStore::new(dir.path())),
            DEFAULT_MODELS
        );
    }
}
