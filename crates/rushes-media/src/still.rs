//! Still images: probing (size, format, EXIF capture time, camera, orientation) and loading
//! upright and scaled through the `image` crate, with HEIC handed to ffmpeg when it can.

use std::io::{BufReader, Cursor};
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};
use rushes_core::MediaInfo;

use crate::MediaError;
use crate::tools::{PROBE_TIMEOUT, ffmpeg_command, run_with_timeout};

/// Most pixels a still may declare. A header that claims more is refused before anything
/// is decoded — in indexing (probing and loading a still) and in image search (an upload) —
/// so a few bytes claiming 11000×11000 pixels (363 MB decoded) cannot take the memory.
/// 100 × 2^20 (104.9 MP) still takes the largest camera stills (a Fujifilm GFX100's 102 MP).
pub const MAX_STILL_PIXELS: u64 = 100 << 20;

/// Refuses declared dimensions over [`MAX_STILL_PIXELS`] (a decompression bomb, or a
/// header that lies).
pub fn check_still_dimensions(width: u32, height: u32) -> Result<(), MediaError> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_STILL_PIXELS {
        return Err(MediaError::ImplausibleMetadata(format!(
            "{width}×{height} pixels declared (at most {} megapixels are decoded)",
            MAX_STILL_PIXELS >> 20
        )));
    }
    Ok(())
}

/// Decodes what `reader` holds after checking the dimensions its header declares, so that
/// nothing is allocated for an image over [`MAX_STILL_PIXELS`]; the image crate's own
/// allocation budget (as `ImageReader::decode` applies it) holds too.
fn decode_checked<R: std::io::BufRead + std::io::Seek>(
    reader: ImageReader<R>,
    path: &Path,
) -> Result<DynamicImage, MediaError> {
    let decoder = reader.into_decoder().map_err(|e| image_error(path, e))?;
    let (width, height) = decoder.dimensions();
    check_still_dimensions(width, height)?;
    image::Limits::default()
        .reserve(decoder.total_bytes())
        .map_err(|e| image_error(path, e))?;
    DynamicImage::from_decoder(decoder).map_err(|e| image_error(path, e))
}

/// Decodes an image held in memory (an upload to image search) to RGB, refusing one whose
/// header declares more than [`MAX_STILL_PIXELS`] before decoding it. Not an image:
/// [`MediaError::Unsupported`] or [`MediaError::Corrupt`]; too many pixels:
/// [`MediaError::ImplausibleMetadata`].
pub fn decode_image_bytes(bytes: &[u8]) -> Result<RgbImage, MediaError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| MediaError::Corrupt(e.to_string()))?;
    if reader.format().is_none() {
        return Err(MediaError::Unsupported(String::from(
            "image format not recognised",
        )));
    }
    Ok(decode_checked(reader, Path::new("the uploaded image"))?.into_rgb8())
}

/// What EXIF says about a still.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ExifFacts {
    /// EXIF orientation 1-8 (1 = upright).
    pub orientation: u32,
    pub capture_time: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
}

pub(crate) fn probe_still(path: &Path) -> Result<MediaInfo, MediaError> {
    let exif = read_exif(path);
    let (container, width, height) = if is_heif(path)? {
        let image = decode_heif_with_ffmpeg(path)?;
        (String::from("heif"), image.width(), image.height())
    } else {
        let reader = open_reader(path)?;
        let format = reader.format();
        let (width, height) = reader.into_dimensions().map_err(|e| image_error(path, e))?;
        check_still_dimensions(width, height)?;
        let name = format.map(|f| f.extensions_str().first().copied().unwrap_or("image"));
        (name.unwrap_or("image").to_string(), width, height)
    };
    let rotation = rotation_of_orientation(exif.orientation);
    let (width, height) = if rotation % 180 == 90 {
        (height, width)
    } else {
        (width, height)
    };
    Ok(MediaInfo {
        container: Some(container),
        width: Some(width),
        height: Some(height),
        rotation,
        creation_time: exif.capture_time,
        camera_make: exif.make,
        camera_model: exif.model,
        ..MediaInfo::default()
    })
}

/// Loads a still upright (EXIF orientation applied) with its longest side at most `max_side`.
pub fn load_still(path: &Path, max_side: u32) -> Result<RgbImage, MediaError> {
    if std::fs::metadata(path)
        .map_err(|e| MediaError::io(path, "reading", e))?
        .len()
        == 0
    {
        return Err(MediaError::EmptyFile);
    }
    let mut image = if is_heif(path)? {
        decode_heif_with_ffmpeg(path)? // ffmpeg applies the container's rotation itself
    } else {
        let decoded = decode_checked(open_reader(path)?, path)?;
        apply_orientation(decoded, read_exif(path).orientation)
    };
    if max_side > 0 && image.width().max(image.height()) > max_side {
        image = image.resize(max_side, max_side, image::imageops::FilterType::Triangle);
    }
    Ok(image.into_rgb8())
}

/// EXIF facts of a still; empty when it has no EXIF or EXIF that does not parse.
pub fn read_exif(path: &Path) -> ExifFacts {
    let mut facts = ExifFacts {
        orientation: 1,
        ..ExifFacts::default()
    };
    let Ok(file) = std::fs::File::open(path) else {
        return facts;
    };
    let Ok(exif) = exif::Reader::new().read_from_container(&mut BufReader::new(file)) else {
        return facts;
    };
    let field = |tag| exif.get_field(tag, exif::In::PRIMARY);
    if let Some(orientation) = field(exif::Tag::Orientation).and_then(|f| f.value.get_uint(0)) {
        facts.orientation = orientation.clamp(1, 8);
    }
    let ascii = |tag| {
        field(tag).and_then(|f| match &f.value {
            exif::Value::Ascii(parts) => parts
                .first()
                .map(|bytes| {
                    String::from_utf8_lossy(bytes)
                        .trim_matches(['\0', ' '])
                        .to_string()
                })
                .filter(|s| !s.is_empty()),
            _ => None,
        })
    };
    facts.make = ascii(exif::Tag::Make);
    facts.model = ascii(exif::Tag::Model);
    facts.capture_time = field(exif::Tag::DateTimeOriginal)
        .or_else(|| field(exif::Tag::DateTime))
        .and_then(|f| match &f.value {
            exif::Value::Ascii(parts) => parts
                .first()
                .and_then(|b| exif::DateTime::from_ascii(b).ok()),
            _ => None,
        })
        .map(|dt| {
            let offset = field(exif::Tag::OffsetTimeOriginal).and_then(|f| match &f.value {
                exif::Value::Ascii(parts) => parts
                    .first()
                    .map(|b| String::from_utf8_lossy(b).to_string()),
                _ => None,
            });
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
                dt.year,
                dt.month,
                dt.day,
                dt.hour,
                dt.minute,
                dt.second,
                offset.unwrap_or_default()
            )
        });
    facts
}

/// Clockwise rotation an EXIF orientation implies (mirrored variants included).
fn rotation_of_orientation(orientation: u32) -> i32 {
    match orientation {
        3 | 4 => 180,
        5 | 6 => 90,
        7 | 8 => 270,
        _ => 0,
    }
}

/// Turns the stored pixels upright according to EXIF orientation 1-8.
pub fn apply_orientation(image: DynamicImage, orientation: u32) -> DynamicImage {
    match orientation {
        2 => image.fliph(),
        3 => image.rotate180(),
        4 => image.flipv(),
        5 => image.rotate90().fliph(),
        6 => image.rotate90(),
        7 => image.rotate270().fliph(),
        8 => image.rotate270(),
        _ => image,
    }
}

fn open_reader(path: &Path) -> Result<ImageReader<BufReader<std::fs::File>>, MediaError> {
    let reader = ImageReader::open(path).map_err(|e| MediaError::io(path, "opening", e))?;
    let reader = reader
        .with_guessed_format()
        .map_err(|e| MediaError::io(path, "reading", e))?;
    if reader.format().is_none() {
        return Err(MediaError::Unsupported(String::from(
            "image format not recognised",
        )));
    }
    Ok(reader)
}

fn image_error(path: &Path, error: image::ImageError) -> MediaError {
    match error {
        image::ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::Corrupt(String::from("image data ends early"))
        }
        image::ImageError::IoError(e) => MediaError::io(path, "reading", e),
        image::ImageError::Unsupported(e) => MediaError::Unsupported(e.to_string()),
        image::ImageError::Limits(e) => MediaError::ImplausibleMetadata(e.to_string()),
        other => MediaError::Corrupt(other.to_string()),
    }
}

fn is_heif(path: &Path) -> Result<bool, MediaError> {
    Ok(matches!(
        crate::sniff::sniff(path)?,
        Some(rushes_core::AssetKind::Image)
    ) && ImageFormat::from_path(path).is_err()
        && {
            let mut head = [0u8; 12];
            use std::io::Read;
            std::fs::File::open(path)
                .and_then(|mut f| f.read_exact(&mut head))
                .map(|()| &head[4..8] == b"ftyp")
                .unwrap_or(false)
        })
}

/// HEIC/HEIF through ffmpeg; a clear "unsupported" when this ffmpeg cannot decode it.
fn decode_heif_with_ffmpeg(path: &Path) -> Result<DynamicImage, MediaError> {
    let mut command = ffmpeg_command();
    command
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(path)
        .args(["-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"]);
    let output = run_with_timeout("ffmpeg", &mut command, PROBE_TIMEOUT)?;
    if !output.success || output.stdout.is_empty() {
        return Err(MediaError::Unsupported(String::from(
            "HEIC/HEIF image that this ffmpeg cannot decode (convert to JPEG, or install ffmpeg 7+)",
        )));
    }
    image::load(Cursor::new(output.stdout), ImageFormat::Png)
        .map_err(|e| MediaError::Unsupported(format!("HEIC/HEIF decode: {e}")))
}
