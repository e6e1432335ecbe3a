//! Small helpers every catalog repository shares: how paths, times and embeddings are
//! stored in SQLite columns, reading every row of a statement, and the vector rows
//! (`FrameVector`) the catalog hands the vector index.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use crate::error::StoreError;

pub fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The raw bytes of a path, as stored in BLOB columns (exact on Unix, even non-UTF-8).
pub fn path_bytes(path: &Path) -> Vec<u8> {
    path.as_os_str().as_encoded_bytes().to_vec()
}

#[cfg(unix)]
pub fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
pub fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// An L2-normalised embedding stored as little-endian f16.
pub fn embedding_to_blob(vector: &[f32]) -> Vec<u8> {
    vector
        .iter()
        .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
        .collect()
}

pub fn embedding_from_blob(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(2)
        .map(|pair| half::f16::from_le_bytes([pair[0], pair[1]]).to_f32())
        .collect()
}

/// `vector` scaled to unit length (unchanged when it is all zeros).
pub fn normalised(vector: &[f32]) -> Vec<f32> {
    let norm = vector.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        vector.iter().map(|v| v / norm).collect()
    } else {
        vector.to_vec()
    }
}

/// Every row `sql` selects over `params`, each made a `T` by `from_row`.
pub(crate) fn rows<T>(
    db: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    from_row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut statement = db.prepare(sql)?;
    let rows = statement
        .query_map(params, from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Whether the catalog has a table (a read-only catalog of an older schema may lack one).
pub(crate) fn has_table(db: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(db.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [name],
        |row| row.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_round_trip_through_f16() {
        let vector = normalised(&[3.0, 4.0, 0.0]);
        let back = embedding_from_blob(&embedding_to_blob(&vector));
        assert!((back[0] - 0.6).abs() < 1e-3 && (back[1] - 0.8).abs() < 1e-3);
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_round_trip_exactly() {
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(b"/footage/caf\xe9.mov"));
        assert_eq!(path_from_bytes(&path_bytes(path)), path);
    }
}

/// A vector the catalog hands the vector index: a frame's (keyed by frame id) or a text
/// unit's (keyed by unit id), with its model.
#[derive(Debug, Clone)]
pub struct FrameVector {
    pub frame_id: u64,
    pub model: String,
    pub embedding: Vec<f32>,
}
