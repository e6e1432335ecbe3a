//! End-to-end tests of the `rushes` binary on real footage (Debian opencv-doc examples cut
//! and captioned with ffmpeg by `tests/fixtures/make-footage.sh`).

mod backends;
mod captions;
mod command_line;
mod crash_edits;
mod first_run;
mod footage;
mod fusion;
mod hostile;
mod incremental;
mod journey;
mod many_servers;
mod migrate;
mod people;
mod postgres;
mod postgres_semantic;
mod reindex;
mod reliability;
mod safety;
mod screen_text;
mod search_listing;
mod slates;
mod speech;
mod visual;
mod workers;
mod workflows;
