//! rushes-media: everything that touches media bytes. Video and audio go through the
//! ffmpeg and ffprobe command-line tools (see README.md for why not libav), stills through
//! the `image` crate and kamadak-exif. Owns sniffing, probing, one-pass shot detection and
//! frame sampling, thumbnails, sidecar and embedded transcripts, and clip export; knows
//! nothing of models or the index.

mod analyze;
mod audio;
mod decode;
mod error;
mod export;
mod playable;
mod probe;
mod refine;
mod shots;
mod sniff;
mod still;
mod thumbnail;
mod tools;
mod transcript;

pub use analyze::{
    FrameUse, SampledFrame, SamplingConfig, Shot, analyze_video, detect_shots, frame_at,
};
pub use audio::{AudioSamples, decode_audio};
pub use error::MediaError;
pub use export::{Crop, ExportOptions, export_clip};
pub use playable::{container_start_seconds, filter_picture_to_png, write_playable_mp4};
pub use probe::{ffmpeg_version, media_info_from_ffprobe, probe};
pub use shots::ShotDetector;
pub use sniff::{kind_from_extension, sniff};
pub use still::{
    ExifFacts, MAX_STILL_PIXELS, apply_orientation, check_still_dimensions, decode_image_bytes,
    load_still, read_exif,
};
pub use thumbnail::encode_thumbnail;
pub use transcript::{
    ParsedSubtitles, extract_subtitle_streams, find_sidecars, parse_subtitles, read_sidecar,
};
