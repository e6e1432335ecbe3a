//! Integration tests of rushes-ingest: whole index runs over generated media, each in its
//! own temporary folder.

mod semantic_units;
mod vanished_files;
