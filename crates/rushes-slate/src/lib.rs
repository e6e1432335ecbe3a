//! Slates as data: tells slate text (clapperboards, smart slates, slate apps) from other
//! on-screen text, parses its fields (`parse`), and works out the stretch of a file each
//! slate applies to (`spans`). Pure functions over text and times; reading the text off the
//! frames is ingest's, keeping and searching the results is the store's.

pub mod parse;
pub mod spans;

pub use parse::{SlateRead, parse_slate};
pub use spans::{TAIL_WINDOW, slate_spans};
