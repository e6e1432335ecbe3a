//! rushes-export on generated media and probe facts: EDL, CSV and FCPXML parsed back, and
//! MP4 clips cut from ffmpeg-generated footage.

mod clips;
mod documents;
mod probed;
mod slates;
mod spreadsheet;
