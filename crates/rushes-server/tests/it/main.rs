//! Integration tests of rushes-server: the router driven with `oneshot` requests against a
//! small real index (ffmpeg-made media, real thumbnails) in a temp dir per test.

mod api;
mod fuzz_checks;
mod fuzz_corpus;
mod hand_input;
mod load;
mod media;
mod people;
mod security;
mod support;
mod web;
mod workflows;
