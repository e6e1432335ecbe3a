//! Integration tests of rushes-store: AssetRecords built in code with realistic content,
//! written to a fresh index in a temp dir, then searched the way the CLI and server do.

mod filters;
mod hand_input;
mod lifecycle;
mod people;
mod query_properties;
mod reindex;
mod schema;
mod screen_text;
mod slates;
mod support;
mod text_search;
mod thumbnails;
mod tokenizer;
mod variety;
mod visual;
mod workflow;
