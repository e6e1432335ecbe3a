//! Integration tests of rushes-faces on real face photos (scikit-image's astronaut,
//! opencv-doc's messi5.jpg) and frames ffmpeg makes from them.

mod common;
mod detection;
mod grouping;
