//! rushes-store: see crates/README.md.
