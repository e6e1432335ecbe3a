//! rushes-ingest: see crates/README.md.
