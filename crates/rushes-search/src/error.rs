//! Errors of a query: the store's (a bad query, an unknown asset, a broken index), the
//! model's, and visual search being off for an image or "more like this" query.

use rushes_models::ModelError;
use rushes_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Model(#[from] ModelError),
    /// An image or "more like this" query while visual search is off, with the reason.
    #[error("{0}")]
    VisualOff(String),
}

impl SearchError {
    /// True when the user can fix it (a bad query, visual search off), false when something
    /// broke.
    pub fn is_user_error(&self) -> bool {
        match self {
            SearchError::VisualOff(_) => true,
            SearchError::Store(error) => error.is_user_error(),
            SearchError::Model(error) => error.is_user_error(),
        }
    }
}
