//! Shared vocabulary of rushes: what an asset, a moment, a frame and a search hit are, and
//! the small helpers every other crate needs (timecode, content hashing). No heavy
//! dependencies live here.

pub mod asset;
pub mod face;
pub mod hit;
pub mod progress;
pub mod record;
pub mod slate;
pub mod timecode;

pub use asset::{Asset, AssetId, AssetKind, MediaInfo, StreamInfo, content_hash, mtime_seconds};
pub use face::{FaceRect, PersonInMoment};
pub use hit::{Hit, HitAsset, PersonFilterMatch, SearchResponse, SemanticMatch, Signal};
pub use progress::{FileFailure, PROGRESS_FILE, RunProgress, RunState};
pub use record::{
    AssetRecord, FrameRecord, MomentRecord, ScreenText, TextUnit, TextUnitKind, TranscriptLine,
};
pub use slate::{Slate, SlateSound, SlateSpan};
pub use timecode::Timecode;
