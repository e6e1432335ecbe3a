//! Slates as data: tells slate text (clapperboards, smart slates, slate apps) from other
//! on-screen text, parses its fields (`parse`), and works out the stretch of a file each
//! slate applies to (`spans`); says a slate in words for the sentence model (`lead`). Pure
//! functions over text and times; reading the text off the frames is ingest's, keeping and
//! searching the results is the store's.

pub mod lead;
pub mod parse;
pub mod spans;

pub use lead::{screen_unit_text, slate_lead};
pub use parse::{SlateRead, parse_slate};
pub use spans::{TAIL_WINDOW, slate_spans};
