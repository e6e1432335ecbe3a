//! rushes-media: see crates/README.md.
