//! What model families share about their files: which installed model of a task to use
//! (the default one first, or all of them in that order), and loading a model's
//! `tokenizer.json` with errors that name it.

use std::path::Path;

use tokenizers::Tokenizer;

use crate::{ModelError, ModelState, ModelStore};

/// The installed model of `task` to use: `preferred` if installed, else the first by name.
pub(crate) fn first_installed(store: &ModelStore, task: &str, preferred: &str) -> Option<String> {
    installed_in_preference_order(store, task, preferred)
        .into_iter()
        .next()
}

/// Every installed model of `task`: `preferred` first when installed, the rest by name.
/// Empty when the models folder cannot be listed.
pub(crate) fn installed_in_preference_order(
    store: &ModelStore,
    task: &str,
    preferred: &str,
) -> Vec<String> {
    let mut installed: Vec<String> = store
        .list()
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.task == task && s.state == ModelState::Installed)
        .map(|s| s.name)
        .collect();
    installed.sort_by_key(|name| (name != preferred, name.clone()));
    installed
}

/// Loads the Hugging Face tokenizer file of model `model`.
pub(crate) fn load_tokenizer(model: &str, path: &Path) -> Result<Tokenizer, ModelError> {
    if !path.is_file() {
        return Err(ModelError::MissingFile {
            model: model.to_string(),
            path: path.to_path_buf(),
            hint: String::new(),
        });
    }
    Tokenizer::from_file(path).map_err(|e| ModelError::CorruptFile {
        model: model.to_string(),
        path: path.to_path_buf(),
        reason: format!("not a tokenizers JSON file: {e}"),
        hint: String::new(),
    })
}
