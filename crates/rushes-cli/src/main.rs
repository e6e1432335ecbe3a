//! The `rushes` binary: parses the command line and calls into the library crates.
fn main() {}
