//! Integration tests of rushes-search: a small index written through the store's public
//! write path, searched through `Searcher` as the CLI, the server and export do.

mod finished_hits;
