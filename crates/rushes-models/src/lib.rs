//! rushes-models: see crates/README.md.
