//! Integration tests of rushes-media on real footage (Debian's opencv-doc) and media
//! generated with ffmpeg into a temporary folder per test.

mod bad_input;
mod common;
mod export;
mod frame_grabs;
mod fuzz_checks;
mod fuzz_corpus;
mod hard_cuts;
mod hostile_text;
mod probe;
mod sampling;
mod stills;
mod timelines;
mod transcripts;
mod transitions;
