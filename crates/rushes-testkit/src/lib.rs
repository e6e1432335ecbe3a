//! rushes-testkit: the test inputs several crates' integration tests share, so each does not
//! re-derive them. Owns where the real footage and photos are (opencv-doc's examples, the
//! astronaut portrait `scripts/setup.sh test` installs), running ffmpeg to make clips,
//! reading a file's duration with ffprobe, and listing a committed fuzz corpus. Only the
//! standard library: it is a dev-dependency and must stay cheap to build. What a test
//! asserts stays in the test.

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod postgres;

/// The engine a test runs on, for tests that run once on each (the server's and the CLI's
/// `on_both_backends!`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An index folder (SQLite, Tantivy, usearch).
    Local,
    /// A PostgreSQL + pgvector library, a fresh database of [`postgres::shared_server`].
    Postgres,
}

/// What the helpers return on failure: enough for a test's `?` and its message.
pub type TestError = Box<dyn std::error::Error>;

/// The checkout's root folder (canonical when it can be resolved).
pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// A file of opencv-doc's example data (`Megamind.avi`, `vtest.avi`, `messi5.jpg` …).
pub fn opencv_data(name: &str) -> PathBuf {
    Path::new("/usr/share/doc/opencv-doc/examples/data").join(name)
}

/// NASA's astronaut portrait (Eileen Collins), from the scikit-image wheel that
/// `scripts/setup.sh test` unpacks; panics with that hint when it is missing.
pub fn astronaut_path() -> PathBuf {
    let path = repo_root().join("runtime/test-images/astronaut.png");
    assert!(
        path.is_file(),
        "{} missing: run scripts/setup.sh test",
        path.display()
    );
    path
}

/// A path as the `&str` ffmpeg's argument lists take (temp paths are UTF-8).
pub fn path_str(path: &Path) -> &str {
    path.to_str().unwrap_or_default()
}

/// Runs ffmpeg quietly with `args` (overwriting outputs); its stderr is the error when it
/// fails.
pub fn ffmpeg(args: &[&str]) -> Result<(), TestError> {
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-v", "error", "-y"])
        .args(args)
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "ffmpeg {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(())
}

/// Output options that encode video as small, fast H.264 every player and decoder reads.
pub const X264_FAST: [&str; 6] = [
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-pix_fmt",
    "yuv420p",
];

/// Output options for H.264 at x264's default preset: slower than [`X264_FAST`] but with
/// B-frames, so decoded frames come out in another order than they are stored, as from a
/// camera. Tests that depend on frame reordering use this one.
pub const X264_DEFAULT: [&str; 4] = ["-c:v", "libx264", "-pix_fmt", "yuv420p"];

/// One shot of a [`colour_shots_clip`]: a colour ffmpeg knows by name (`red`, `0x336699`)
/// held for `seconds`.
pub type ColourShot<'a> = (&'a str, f64);

/// Makes a video at `output` of solid-colour shots cut hard one after another (ffmpeg's
/// lavfi `color` source), every shot `width`x`height` at `rate` frames a second, encoded
/// with `encoder` ([`X264_FAST`], [`X264_DEFAULT`] or any output options).
pub fn colour_shots_clip(
    output: &Path,
    shots: &[ColourShot],
    rate: u32,
    (width, height): (u32, u32),
    encoder: &[&str],
) -> Result<(), TestError> {
    let sources: Vec<String> = shots
        .iter()
        .map(|(colour, seconds)| {
            format!("color=c={colour}:s={width}x{height}:r={rate}:d={seconds}")
        })
        .collect();
    let inputs: String = (0..shots.len())
        .map(|input| format!("[{input}:v]"))
        .collect();
    let filter = format!("{inputs}concat=n={}:v=1:a=0[v]", shots.len());
    let mut args = Vec::new();
    for source in &sources {
        args.extend(["-f", "lavfi", "-i", source]);
    }
    args.extend(["-filter_complex", &filter, "-map", "[v]"]);
    args.extend(encoder);
    args.push(path_str(output));
    ffmpeg(&args)
}

/// DejaVu fonts (Debian's `fonts-dejavu-core`) for text drawn on clips.
pub const DEJAVU_SANS: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
pub const DEJAVU_SANS_BOLD: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
pub const DEJAVU_SERIF: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf";
pub const DEJAVU_MONO: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";

/// Text drawn over part of a clip (a slate, a lower third, a sign held up).
#[derive(Debug, Clone, PartialEq)]
pub struct TextOverlay {
    /// What is written; `\n` starts another line.
    pub text: String,
    /// Seconds from the clip's start when it appears, and for how long it stays.
    pub start: f64,
    pub seconds: f64,
    /// A font file (`DEJAVU_SANS` …) and its size in pixels.
    pub font: &'static str,
    pub size: u32,
    /// Top-left corner of the text's layer in the frame, in pixels.
    pub x: u32,
    pub y: u32,
    /// ffmpeg colours: the text's, and the box behind it (`None`: no box).
    pub colour: String,
    pub boxed: Option<String>,
    /// Clockwise tilt in degrees (0: level).
    pub degrees: f64,
}

/// Makes a clip at `output` of the first `seconds` of `source` with `overlays` drawn on it,
/// each shown from its start for its length (frames in `[start, start + seconds)`), encoded
/// with `encoder`. Level text is ffmpeg's `drawtext`; tilted text is drawn on a transparent
/// layer, turned with `rotate` and laid over the picture. Texts go through files beside
/// `output`, so no escaping is needed.
pub fn text_overlay_clip(
    source: &Path,
    seconds: f64,
    overlays: &[TextOverlay],
    output: &Path,
    encoder: &[&str],
) -> Result<(), TestError> {
    let folder = output.parent().unwrap_or(Path::new("."));
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut inputs: Vec<String> = vec![
        String::from("-t"),
        format!("{seconds}"),
        String::from("-i"),
        path_str(source).to_string(),
    ];
    let mut chains: Vec<String> = Vec::new();
    let mut current = String::from("0:v");
    for (number, overlay) in overlays.iter().enumerate() {
        let text_file = folder.join(format!("{stem}.text{number}.txt"));
        std::fs::write(&text_file, &overlay.text)?;
        let shown = format!(
            "gte(t,{start})*lt(t,{end})",
            start = overlay.start,
            end = overlay.start + overlay.seconds
        );
        let boxing = match &overlay.boxed {
            Some(colour) => format!(":box=1:boxcolor={colour}:boxborderw={}", overlay.size / 4),
            None => String::new(),
        };
        let drawtext = |x: &str, y: &str| {
            format!(
                "drawtext=fontfile={font}:textfile={file}:fontsize={size}:fontcolor={colour}\
                 :line_spacing={spacing}:x={x}:y={y}{boxing}",
                font = overlay.font,
                file = path_str(&text_file),
                size = overlay.size,
                colour = overlay.colour,
                spacing = overlay.size / 3,
            )
        };
        let next = format!("v{number}");
        if overlay.degrees == 0.0 {
            chains.push(format!(
                "[{current}]{draw}:enable='{shown}'[{next}]",
                draw = drawtext(&overlay.x.to_string(), &overlay.y.to_string()),
            ));
        } else {
            let lines = overlay.text.lines().count().max(1) as u32;
            let longest = overlay.text.lines().map(str::len).max().unwrap_or(1) as u32;
            let width = (longest * overlay.size * 3 / 4 + overlay.size) & !1;
            let height = (width / 4 + lines * overlay.size * 3 / 2 + overlay.size) & !1;
            inputs.extend([
                String::from("-f"),
                String::from("lavfi"),
                String::from("-t"),
                format!("{seconds}"),
                String::from("-i"),
                format!("color=c=black@0.0:s={width}x{height},format=rgba"),
            ]);
            let layer_input = input_count(&inputs) - 1;
            chains.push(format!(
                "[{layer_input}:v]{draw},rotate=a={radians}:c=none[t{number}];\
                 [{current}][t{number}]overlay=x={x}:y={y}:enable='{shown}'[{next}]",
                draw = drawtext("(w-text_w)/2", "(h-text_h)/2"),
                radians = overlay.degrees.to_radians(),
                x = overlay.x,
                y = overlay.y,
            ));
        }
        current = next;
    }
    let graph = if chains.is_empty() {
        String::from("[0:v]null[out]")
    } else {
        format!("{};[{current}]null[out]", chains.join(";"))
    };
    let mut args: Vec<&str> = inputs.iter().map(String::as_str).collect();
    args.extend(["-filter_complex", &graph, "-map", "[out]", "-an"]);
    args.extend(encoder);
    args.push(path_str(output));
    ffmpeg(&args)
}

/// How many inputs (`-i`) an ffmpeg argument list has.
fn input_count(arguments: &[String]) -> usize {
    arguments.iter().filter(|a| *a == "-i").count()
}

/// The container duration ffprobe reads from `path`, or `None` when it cannot read one
/// (not media, truncated, still being written).
pub fn ffprobe_duration(path: &Path) -> Option<f64> {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

/// Inputs a committed fuzz corpus must hold at least, so an emptied folder fails loudly.
const MIN_CORPUS_FILES: usize = 5;

/// Every file of one fuzz target's committed corpus (`fuzz/corpus/<target>`), as (file
/// name, bytes), by name. Fails when the folder cannot be read or holds fewer than five.
pub fn fuzz_corpus(target: &str) -> Result<Vec<(String, Vec<u8>)>, TestError> {
    let dir = repo_root().join("fuzz/corpus").join(target);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|error| format!("{}: {error}", dir.display()))? {
        let entry = entry?;
        files.push((
            entry.file_name().to_string_lossy().into_owned(),
            std::fs::read(entry.path())?,
        ));
    }
    files.sort();
    if files.len() < MIN_CORPUS_FILES {
        return Err(format!("{} holds only {} inputs", dir.display(), files.len()).into());
    }
    Ok(files)
}

/// A PNG whose header declares `width`×`height` 8-bit RGB pixels over a few bytes of image
/// data (one stored zlib block): what a decompression bomb or a lying header looks like.
/// Decoding it would allocate the whole declared image and then fail on the short data.
pub fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        let crc = crc32(&png[start..]);
        png.extend_from_slice(&crc.to_be_bytes());
    }
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &header);
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x01, 0x01, 0x00, 0x01, 0xff, 0xfe, 0x00],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffprobe_reads_the_duration_ffmpeg_made_and_none_for_a_non_media_file()
    -> Result<(), TestError> {
        let temp = tempfile::tempdir()?;
        let dir = temp.path();
        let clip = dir.join("two_seconds.mp4");
        let mut args = vec![
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x120:rate=10:duration=2",
        ];
        args.extend(X264_FAST);
        args.push(path_str(&clip));
        ffmpeg(&args)?;
        let duration = ffprobe_duration(&clip).ok_or("no duration")?;
        assert!((duration - 2.0).abs() < 0.15, "{duration}");
        let text = dir.join("notes.txt");
        std::fs::write(&text, "not media")?;
        assert_eq!(ffprobe_duration(&text), None);
        assert!(ffmpeg(&["-i", path_str(&text), path_str(&clip)]).is_err());
        Ok(())
    }

    /// ffprobe's `codec,has_b_frames,frames` for the first video stream of `path`.
    fn video_stream_facts(path: &Path) -> Result<String, TestError> {
        let output = Command::new("ffprobe")
            .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
            .args([
                "-show_entries",
                "stream=codec_name,has_b_frames,nb_read_frames",
            ])
            .args(["-of", "csv=p=0"])
            .arg(path)
            .output()?;
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// The RGB colour of the frame at `seconds` into `path`, averaged down to one pixel.
    fn colour_at(path: &Path, seconds: &str, scratch: &Path) -> Result<Vec<u8>, TestError> {
        let pixel = scratch.join("pixel.rgb");
        ffmpeg(&[
            "-ss",
            seconds,
            "-i",
            path_str(path),
            "-frames:v",
            "1",
            "-vf",
            "scale=1:1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            path_str(&pixel),
        ])?;
        Ok(std::fs::read(pixel)?)
    }

    #[test]
    fn colour_shots_follow_each_other_for_their_seconds_in_the_encoding_asked_for()
    -> Result<(), TestError> {
        let temp = tempfile::tempdir()?;
        let dir = temp.path();
        let fast = dir.join("fast.mp4");
        colour_shots_clip(
            &fast,
            &[("red", 1.0), ("blue", 2.0)],
            10,
            (64, 48),
            &X264_FAST,
        )?;
        assert_eq!(video_stream_facts(&fast)?, "h264,0,30");
        let red = colour_at(&fast, "0.5", dir)?;
        assert!(red[0] > 200 && red[2] < 60, "red shot came out {red:?}");
        let blue = colour_at(&fast, "2.0", dir)?;
        assert!(blue[2] > 200 && blue[0] < 60, "blue shot came out {blue:?}");

        // x264's default preset stores B-frames (frames out of display order).
        let reordered = dir.join("default.mp4");
        let shots = [("green", 2.0), ("white", 2.0)];
        colour_shots_clip(&reordered, &shots, 25, (64, 48), &X264_DEFAULT)?;
        assert_eq!(video_stream_facts(&reordered)?, "h264,2,100");
        Ok(())
    }

    #[test]
    fn the_fuzz_corpora_and_footage_are_found_from_any_crate() -> Result<(), TestError> {
        assert!(fuzz_corpus("subtitles")?.len() >= MIN_CORPUS_FILES);
        assert!(fuzz_corpus("no_such_target").is_err());
        assert!(opencv_data("vtest.avi").is_file());
        Ok(())
    }
}
