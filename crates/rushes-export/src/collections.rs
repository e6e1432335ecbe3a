//! Time ranges of collection entries (`rushes collection add NAME ID@START-END`), kept in
//! `collection-ranges.json` beside the index because the store's collections hold asset ids
//! only. Membership and order stay in the store; this file only adds the ranges.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ExportError;

pub const COLLECTION_RANGES_FILE: &str = "collection-ranges.json";

/// One range of one asset in a collection, seconds from the start of the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionRange {
    pub asset: String,
    pub start: f64,
    pub end: f64,
}

/// Every collection's ranges, by collection name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectionRanges {
    collections: BTreeMap<String, Vec<CollectionRange>>,
}

impl CollectionRanges {
    fn file(index_dir: &Path) -> PathBuf {
        index_dir.join(COLLECTION_RANGES_FILE)
    }

    /// The ranges saved for the index at `index_dir`; none when the file does not exist.
    pub fn load(index_dir: &Path) -> Result<CollectionRanges, ExportError> {
        let path = Self::file(index_dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(CollectionRanges::default());
            }
            Err(error) => return Err(ExportError::io(&path, error)),
        };
        serde_json::from_str(&text).map_err(|error| ExportError::Corrupt {
            path,
            reason: error.to_string(),
        })
    }

    /// Writes the ranges through a `.part` file and a rename.
    pub fn save(&self, index_dir: &Path) -> Result<(), ExportError> {
        let path = Self::file(index_dir);
        let part = index_dir.join(format!("{COLLECTION_RANGES_FILE}.part"));
        let text = serde_json::to_string_pretty(self).map_err(|error| ExportError::Corrupt {
            path: path.clone(),
            reason: error.to_string(),
        })?;
        std::fs::write(&part, text).map_err(|e| ExportError::io(&part, e))?;
        std::fs::rename(&part, &path).map_err(|e| ExportError::io(&path, e))
    }

    /// Records `[start, end]` of `asset` in collection `name` (once).
    pub fn add(
        &mut self,
        name: &str,
        asset: &str,
        start: f64,
        end: f64,
    ) -> Result<(), ExportError> {
        if !(start.is_finite() && end.is_finite()) || start < 0.0 || end <= start {
            return Err(ExportError::InvalidItem {
                name: format!("{asset}@{start}-{end}"),
                reason: "a range needs 0 <= START < END seconds".to_string(),
            });
        }
        let range = CollectionRange {
            asset: asset.to_string(),
            start,
            end,
        };
        let ranges = self.collections.entry(name.to_string()).or_default();
        if !ranges.contains(&range) {
            ranges.push(range);
        }
        Ok(())
    }

    /// The ranges of `asset` in collection `name`, in the order they were added.
    pub fn ranges(&self, name: &str, asset: &str) -> Vec<(f64, f64)> {
        self.collections
            .get(name)
            .map(|ranges| {
                ranges
                    .iter()
                    .filter(|r| r.asset == asset)
                    .map(|r| (r.start, r.end))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_survive_a_save_and_load_and_are_kept_once() {
        let temp = tempfile::tempdir().expect("temp dir");
        assert_eq!(
            CollectionRanges::load(temp.path()).expect("no file yet"),
            CollectionRanges::default()
        );
        let mut ranges = CollectionRanges::default();
        ranges.add("trailer", "abc", 1.0, 2.5).expect("valid");
        ranges.add("trailer", "abc", 1.0, 2.5).expect("valid");
        ranges.add("trailer", "abc", 4.0, 5.0).expect("valid");
        assert!(ranges.add("trailer", "abc", 5.0, 4.0).is_err());
        ranges.save(temp.path()).expect("save");
        let loaded = CollectionRanges::load(temp.path()).expect("load");
        assert_eq!(loaded.ranges("trailer", "abc"), [(1.0, 2.5), (4.0, 5.0)]);
        assert!(loaded.ranges("teaser", "abc").is_empty());
        std::fs::write(temp.path().join(COLLECTION_RANGES_FILE), "{oops").expect("write");
        assert!(CollectionRanges::load(temp.path()).is_err_and(|e| !e.is_user_error()));
    }
}
