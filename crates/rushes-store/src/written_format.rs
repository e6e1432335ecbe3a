//! What this build of rushes writes into an index folder, in one place: the format of
//! `rushes.toml`, the catalog schema and the text analyzer. A tool that keeps a built index
//! between runs (the bench's cold-start index) compares it to tell whether this build would
//! write the same index; `rushes --version` prints it. It reads no index folder.

use std::fmt;

/// The versions an index written by this build carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenFormat {
    /// `format_version` in `rushes.toml`.
    pub index_format: u32,
    /// The catalog's `PRAGMA user_version` after its migrations.
    pub catalog_schema: usize,
    /// The analyzer new text indexes tokenise prose with.
    pub text_analyzer: &'static str,
}

impl WrittenFormat {
    /// What this build writes.
    pub const CURRENT: WrittenFormat = WrittenFormat {
        index_format: crate::manifest::FORMAT_VERSION,
        catalog_schema: crate::catalog::SCHEMA_VERSION,
        text_analyzer: crate::text::TEXT_ANALYZER,
    };
}

impl fmt::Display for WrittenFormat {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            out,
            "index format {}, catalog schema {}, text analyzer {}",
            self.index_format, self.catalog_schema, self.text_analyzer
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Index, OpenMode};

    #[test]
    fn current_format_is_what_a_new_index_holds() {
        let dir = tempfile::tempdir().expect("temp dir");
        let folder = dir.path().join("index");
        drop(Index::open(&folder, OpenMode::ReadWrite).expect("a new index"));

        let manifest = crate::manifest::read(&folder)
            .expect("readable rushes.toml")
            .expect("rushes.toml written");
        assert_eq!(manifest.format_version, WrittenFormat::CURRENT.index_format);

        let catalog =
            rusqlite::Connection::open(folder.join(crate::catalog::CATALOG_FILE)).expect("catalog");
        let schema: i64 = catalog
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .expect("user_version");
        assert_eq!(schema as usize, WrittenFormat::CURRENT.catalog_schema);

        let text_meta =
            std::fs::read_to_string(folder.join("text/meta.json")).expect("text index meta");
        assert!(
            text_meta.contains(&format!("\"{}\"", WrittenFormat::CURRENT.text_analyzer)),
            "the text index's schema names another analyzer: {text_meta}"
        );
    }
}
