//! What model families share about their files: which installed model of a task to use
//! (the default one first), and loading a model's `tokenizer.json` with errors that name it.

use std::path::Path;

use tokenizers::Tokenizer;

use crate::{ModelError, ModelState, ModelStore};

/// The installed model of `task` to use: `preferred` if installed, else the first by name.
pub(crate) fn first_installed(store: &ModelStore, task: &str, preferred: &str) -> Option<String> {
    let mut installed: Vec<String> = store
        .list()
        .ok()?
        .into_iter()
        .filter(|s| s.task == task && s.state == ModelState::Installed)
        .map(|s| s.name)
        .collect();
    installed.sort();
    if installed.iter().any(|n| n == preferred) {
        return Some(preferred.to_string());
    }
    installed.into_iter().next()
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
