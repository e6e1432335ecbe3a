//! Thumbnails: a JPEG of a given width that fits a byte budget, written atomically.

use std::io::{Cursor, Write};
use std::path::Path;

use image::RgbImage;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;

use crate::MediaError;

/// JPEG quality tried first. An index keeps a thumbnail per sampled frame (one every 2 s by
/// default), so this sets most of the index's size per hour of footage: starting at 85, the
/// bench reel's 320 px thumbnails averaged 14 KB and the index came to 32 MB per hour of
/// footage; at 70, 9.9 KB and 27 MB/h, still over the 25 MB/h budget. 60 makes them about 15%
/// smaller again; side by side with 70 at twice card size no blocking or banding shows
/// (slate text, faces, skin gradients of the bench reel).
const START_QUALITY: u8 = 60;
/// Lowest JPEG quality tried before the picture is made smaller instead.
const MIN_QUALITY: u8 = 30;

/// Writes `image` as a JPEG `width` pixels wide (never upscaled) of at most `max_bytes`,
/// lowering quality, then size, until it fits. Written to a temporary file in the same
/// folder and renamed, so a reader never sees half a thumbnail.
pub fn write_thumbnail(
    image: &RgbImage,
    dest: &Path,
    width: u32,
    max_bytes: usize,
) -> Result<(), MediaError> {
    let bytes = encode_thumbnail(image, width, max_bytes)?;
    write_atomically(dest, &bytes)
}

/// The JPEG bytes [`write_thumbnail`] would write.
pub fn encode_thumbnail(
    image: &RgbImage,
    width: u32,
    max_bytes: usize,
) -> Result<Vec<u8>, MediaError> {
    if image.width() == 0 || image.height() == 0 || width == 0 {
        return Err(MediaError::InvalidRequest(String::from(
            "thumbnail of an empty image",
        )));
    }
    let mut target_width = width.min(image.width());
    loop {
        let target_height = ((u64::from(image.height()) * u64::from(target_width)
            / u64::from(image.width())) as u32)
            .max(1);
        let resized = if target_width == image.width() {
            image.clone()
        } else {
            image::imageops::resize(image, target_width, target_height, FilterType::Triangle)
        };
        let mut quality = START_QUALITY;
        loop {
            let mut bytes = Vec::new();
            JpegEncoder::new_with_quality(&mut Cursor::new(&mut bytes), quality)
                .encode_image(&resized)
                .map_err(|e| MediaError::Encode(e.to_string()))?;
            if bytes.len() <= max_bytes {
                return Ok(bytes);
            }
            if quality <= MIN_QUALITY {
                break;
            }
            quality = quality.saturating_sub(10).max(MIN_QUALITY);
        }
        if target_width <= 16 {
            return Err(MediaError::Encode(format!(
                "cannot fit a thumbnail in {max_bytes} bytes"
            )));
        }
        target_width = target_width * 4 / 5;
    }
}

/// Writes `dest.<random>.tmp` beside `dest`, then renames it over `dest`.
pub(crate) fn write_atomically(dest: &Path, bytes: &[u8]) -> Result<(), MediaError> {
    let folder = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(|e| MediaError::io(folder, "creating", e))?;
    let temp = folder.join(format!(
        ".{}.{}.tmp",
        dest.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let result = std::fs::File::create(&temp)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&temp, dest));
    if let Err(error) = result {
        let _ = std::fs::remove_file(&temp);
        return Err(MediaError::io(dest, "writing", error));
    }
    Ok(())
}
