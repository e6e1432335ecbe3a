//! People: the faces found in footage and the people they are grouped into. Owns the rules
//! and units of work of naming, merging and splitting people; the rows are the catalog's
//! `faces` repository's, face thumbnails the thumbnail store's. Resolving the
//! `person:"Maria"` filter into moments is `person_filter`'s.
//!
//! Faces are keyed by the asset's content hash and time, not by row ids: when a file is
//! indexed again (changed, moved, removed and re-added) its new faces at the same times and
//! places go back to the people the old ones were in, so names survive. Clustering itself is
//! the caller's (`rushes-faces`); the store keeps each person's running-mean centroid.
//!
//! Forgetting a person deletes their faces, embeddings, centroid, name and face thumbnails
//! with SQLite's `secure_delete` on and the WAL truncated, so nothing of them stays on disk.
//! Face data never goes into the text index (the filter is resolved here, to moment ids).

pub use rushes_core::{FaceRect, PersonInMoment};

pub use crate::catalog::faces::{
    FaceSummary, FacesPage, NewFace, PersonCentroid, PersonChooser, PersonSummary,
};
pub use crate::thumbnails::FACE_THUMBS_DIR;

use crate::catalog::{Catalog, Repositories};
use crate::error::StoreError;
use crate::workflow::check_label;

/// Names a person (an empty name clears it).
pub(crate) fn name_person(catalog: &Catalog, person: i64, name: &str) -> Result<(), StoreError> {
    catalog.faces().require_person(person)?;
    catalog.faces().name(person, person_name(name)?)
}

/// Moves every face of `from` into `into` and deletes `from`, in one transaction. The
/// merged person is called `name` when given (an empty one leaves them unnamed: the user's
/// choice between the two names, or a new one); else `into` keeps its name, or takes
/// `from`'s when it has none.
pub(crate) fn merge_people(
    catalog: &Catalog,
    into: i64,
    from: i64,
    name: Option<&str>,
) -> Result<(), StoreError> {
    let chosen = merge_name(into, from, name)?;
    let transaction = catalog.write()?;
    transaction.faces().merge(into, from, chosen)?;
    transaction.commit()
}

/// Checks a merge of `from` into `into` and the name asked for: `None` keeps the names as
/// the merge rule says, `Some(None)` leaves the merged person unnamed (an empty name),
/// `Some(Some(name))` names them. Every engine's rule.
pub fn merge_name(
    into: i64,
    from: i64,
    name: Option<&str>,
) -> Result<Option<Option<&str>>, StoreError> {
    if into == from {
        return Err(StoreError::Invalid(String::from(
            "cannot merge a person into themselves",
        )));
    }
    if let Some(name) = name {
        check_label(name.trim(), "a name")?;
    }
    Ok(name
        .map(str::trim)
        .map(|chosen| (!chosen.is_empty()).then_some(chosen)))
}

/// A person's name as `name_person` stores it: trimmed, `None` when empty; refused with
/// control characters. Every engine's rule.
pub fn person_name(name: &str) -> Result<Option<&str>, StoreError> {
    let name = name.trim();
    check_label(name, "a name")?;
    Ok((!name.is_empty()).then_some(name))
}

/// Moves one face out of its person into a new, unnamed person of its own, in one
/// transaction; returns the new person's id.
pub(crate) fn split_face(catalog: &Catalog, face: i64) -> Result<i64, StoreError> {
    let transaction = catalog.write()?;
    let person = transaction.faces().split(face)?;
    transaction.commit()?;
    Ok(person)
}
