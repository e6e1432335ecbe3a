//! rushes-server: see crates/README.md.
