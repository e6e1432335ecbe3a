//! Query → finished hits. [`Searcher`] parses a query once, embeds it with the index's CLIP
//! encoders when installed (or says why visual search is off), has the store rank moments
//! through its text and vector indexes, and answers [`Found`]: hits with their asset's facts,
//! source timecode and how to play them. The CLI, the server and export all search through
//! it; nothing here writes to the index.

mod error;
mod found;
mod hand_text;
mod playback;
mod searcher;

pub use error::SearchError;
pub use found::{AssetSummary, Found, FoundHit};
pub use hand_text::hand_text_within;
pub use playback::{Playback, playback_for};
pub use searcher::{Searcher, SearcherConfig};
