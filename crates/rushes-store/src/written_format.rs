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
        catalog_schema: crate::catalog::schema::SCHEMA_VERSION,
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
