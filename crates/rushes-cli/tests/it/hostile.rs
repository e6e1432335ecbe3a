//! Hostile footage through `rushes index`, `search` and `show`: decompression bombs in PNG
//! and JPEG, a video whose header claims billions of frames, a container with many streams,
//! and file and folder names holding newlines and invalid UTF-8. Each bad file gets one
//! clear reason, the run finishes within bounded memory, and the good files stay searchable.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::footage::{json, ok, repo_root, rushes};

const DATA: &str = "/usr/share/doc/opencv-doc/examples/data";
/// The README's indexing budget: peak RSS ≤ 1.5 GB.
const MAX_RSS_KIB: u64 = 1536 * 1024;
/// A watchdog, not a speed target: a run that hangs on a hostile header is killed and fails.
const WATCHDOG: Duration = Duration::from_secs(600);

fn ffmpeg(args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .status()
        .expect("run ffmpeg");
    assert!(status.success(), "ffmpeg {args:?} failed");
}

/// A valid-looking PNG header declaring 100000×100000 pixels (30 GB decoded) over a few
/// bytes of data.
fn png_bomb(path: &Path) {
    std::fs::write(path, rushes_testkit::png_declaring(100_000, 100_000)).expect("write png bomb");
}

/// messi5.jpg with its frame header rewritten to claim 65500×65500 pixels.
fn jpeg_bomb(path: &Path) {
    let mut jpeg = std::fs::read(Path::new(DATA).join("messi5.jpg")).expect("read messi5.jpg");
    let sof = jpeg
        .windows(2)
        .position(|pair| pair[0] == 0xff && (0xc0..=0xc2).contains(&pair[1]))
        .expect("a SOF marker");
    // FF Cn, length (2), precision (1), height (2), width (2)
    jpeg[sof + 5..sof + 7].copy_from_slice(&65_500u16.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&65_500u16.to_be_bytes());
    std::fs::write(path, jpeg).expect("write jpeg bomb");
}

/// The first 2 s of opencv-doc's vtest.avi (MPEG-4 part 2 in AVI), stream-copied.
fn vtest_clip(path: &Path) {
    ffmpeg(&[
        "-i",
        &format!("{DATA}/vtest.avi"),
        "-t",
        "2",
        "-c",
        "copy",
        &path.to_string_lossy(),
    ]);
}

/// A 2 s AVI whose main and stream headers claim 2^31 frames.
fn billion_frame_avi(path: &Path) {
    vtest_clip(path);
    let mut avi = std::fs::read(path).expect("read avi");
    let claimed = 2_147_483_000u32.to_le_bytes();
    // avih: dwTotalFrames at +16 of its data; strh: dwLength at +32 of its data.
    let avih = avi.windows(4).position(|w| w == b"avih").expect("avih");
    avi[avih + 8 + 16..avih + 8 + 20].copy_from_slice(&claimed);
    let strh = avi.windows(4).position(|w| w == b"strh").expect("strh");
    avi[strh + 8 + 32..strh + 8 + 36].copy_from_slice(&claimed);
    std::fs::write(path, avi).expect("write avi");
}

/// A Matroska file with one video and 40 audio streams.
fn many_streams(path: &Path) {
    let mut args: Vec<String> = [
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x90:rate=10:duration=2",
    ]
    .map(String::from)
    .to_vec();
    args.extend(["-f", "lavfi", "-i", "sine=frequency=300:duration=2"].map(String::from));
    args.extend(["-map", "0:v"].map(String::from));
    for _ in 0..40 {
        args.extend(["-map", "1:a"].map(String::from));
    }
    args.extend(["-c:v", "libx264", "-c:a", "pcm_s16le"].map(String::from));
    args.push(path.to_string_lossy().into_owned());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ffmpeg(&refs);
}

/// Runs `rushes index` and samples its resident memory until it exits.
fn index_with_peak_rss(shoot: &Path, index: &Path) -> (std::process::Output, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rushes"))
        .arg("index")
        .arg(shoot)
        .arg("--index")
        .arg(index)
        .env_remove("RUSHES_INDEX")
        .env("RUSHES_MODELS", repo_root().join("models"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rushes index");
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let started = Instant::now();
    let mut peak_kib = 0;
    while child.try_wait().expect("poll rushes").is_none() {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            let rss = status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0);
            peak_kib = peak_kib.max(rss);
        }
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            panic!("rushes index still running after {WATCHDOG:?} on hostile files");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (child.wait_with_output().expect("collect output"), peak_kib)
}

#[test]
fn hostile_media_fail_with_one_reason_each_in_bounded_memory_and_the_run_goes_on() {
    let temp = tempfile::tempdir().expect("temp dir");
    let shoot = temp.path().join("shoot");
    std::fs::create_dir_all(&shoot).expect("create shoot");
    png_bomb(&shoot.join("bomb.png"));
    jpeg_bomb(&shoot.join("bomb.jpg"));
    billion_frame_avi(&shoot.join("claims_billions.avi"));
    many_streams(&shoot.join("forty_audio_streams.mkv"));
    std::fs::copy(
        Path::new(DATA).join("messi5.jpg"),
        shoot.join("good_still.jpg"),
    )
    .expect("copy good still");
    let index = temp.path().join("index");

    let (output, peak_kib) = index_with_peak_rss(&shoot, &index);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(peak_kib > 0, "no memory samples were taken");
    assert!(
        peak_kib < MAX_RSS_KIB,
        "peak RSS {peak_kib} KiB over the 1.5 GB budget\n{stderr}"
    );
    assert!(
        index.join("catalog.sqlite").exists(),
        "no index written\n{stderr}"
    );

    let index_arg = index.to_str().expect("utf-8 temp path");
    let status = json(&["status", "--index", index_arg, "--json"]);
    let text = status.to_string();
    for bomb in ["bomb.png", "bomb.jpg"] {
        assert!(
            text.contains(bomb),
            "{bomb} has no failure in status: {text}\n{stderr}"
        );
    }
    // Whatever the index made of them, the claims did not turn into billions of moments.
    for name in [
        "claims_billions.avi",
        "forty_audio_streams.mkv",
        "good_still.jpg",
    ] {
        let shown = rushes(&[
            "show",
            &shoot.join(name).to_string_lossy(),
            "--index",
            index_arg,
            "--json",
        ]);
        if shown.status.success() {
            let value: serde_json::Value =
                serde_json::from_slice(&shown.stdout).expect("show --json prints JSON");
            let moments = value["moments"].as_array().map_or(0, Vec::len);
            assert!(moments < 1000, "{name}: {moments} moments");
        } else {
            assert!(
                text.contains(name),
                "{name} neither indexed nor reported: {text}"
            );
        }
    }
    let good = ok(&[
        "show",
        &shoot.join("good_still.jpg").to_string_lossy(),
        "--index",
        index_arg,
        "--json",
    ]);
    assert!(!good.stdout.is_empty());
    let billions = rushes(&[
        "show",
        &shoot.join("claims_billions.avi").to_string_lossy(),
        "--index",
        index_arg,
        "--json",
    ]);
    if billions.status.success() {
        let value: serde_json::Value = serde_json::from_slice(&billions.stdout).expect("json");
        let duration = value["asset"]["media"]["duration"].as_f64().unwrap_or(0.0);
        assert!(duration < 3600.0, "a 2 s file stored as {duration} s");
    }
}

/// Bytes no UTF-8 decoder accepts, and a newline, in both a folder and a file name.
fn weird_name(prefix: &str, suffix: &str) -> PathBuf {
    let mut bytes = prefix.as_bytes().to_vec();
    bytes.extend_from_slice(b"\xff\xfe_line\nbreak_");
    bytes.extend_from_slice(suffix.as_bytes());
    PathBuf::from(OsStr::from_bytes(&bytes))
}

#[test]
fn names_with_newlines_and_invalid_utf8_are_indexed_searched_and_shown_without_panics() {
    let temp = tempfile::tempdir().expect("temp dir");
    let folder = temp.path().join("shoot").join(weird_name("day", "one"));
    std::fs::create_dir_all(&folder).expect("create weird folder");
    let clip = folder.join(weird_name("corridor", "walk.avi"));
    let staged = temp.path().join("staged.avi");
    vtest_clip(&staged);
    std::fs::rename(&staged, &clip).expect("give the clip its weird name");
    let index = temp.path().join("index");
    let index_arg = index.to_str().expect("utf-8 temp path");

    let indexed = Command::new(env!("CARGO_BIN_EXE_rushes"))
        .arg("index")
        .arg(temp.path().join("shoot"))
        .args(["--index", index_arg])
        .env_remove("RUSHES_INDEX")
        .env("RUSHES_MODELS", repo_root().join("models"))
        .output()
        .expect("run rushes index");
    let stderr = String::from_utf8_lossy(&indexed.stderr);
    assert!(indexed.status.success(), "index failed: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // The file name's words are searchable, in plain and JSON output.
    let hits = json(&["search", "corridor", "--index", index_arg, "--json"]);
    let hit = hits["hits"]
        .as_array()
        .and_then(|hits| hits.first())
        .unwrap_or_else(|| panic!("the weird-named clip is not found: {hits}"));
    let shown_path = hit["asset"]["path"].as_str().expect("a path string");
    assert!(shown_path.contains("corridor"), "{shown_path}");
    let id = hit["asset"]["id"].as_str().expect("an id");
    let plain = rushes(&["search", "corridor", "--index", index_arg]);
    assert!(
        plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("panicked"));
    // Plain output prints the name lossily with its newline escaped: one hit, one line.
    let plain_out = String::from_utf8_lossy(&plain.stdout);
    let hit_line = plain_out
        .lines()
        .find(|line| line.contains("corridor"))
        .unwrap_or_else(|| panic!("no hit line: {plain_out}"));
    assert!(
        hit_line.contains("walk.avi") && hit_line.contains("\\n"),
        "the hit is split or its newline not shown: {plain_out}"
    );

    // `show` by the exact OS path (non-UTF-8 bytes and all) and by id.
    let by_path = Command::new(env!("CARGO_BIN_EXE_rushes"))
        .arg("show")
        .arg(&clip)
        .args(["--index", index_arg])
        .env_remove("RUSHES_INDEX")
        .output()
        .expect("run rushes show");
    let by_path_err = String::from_utf8_lossy(&by_path.stderr);
    assert!(by_path.status.success(), "show by path: {by_path_err}");
    assert!(String::from_utf8_lossy(&by_path.stdout).contains(id));
    // And by id, plain and JSON: the path is printed lossily, never refused.
    for json_flag in [None, Some("--json")] {
        let mut args = vec!["show", id, "--index", index_arg];
        args.extend(json_flag);
        let shown = rushes(&args);
        let shown_err = String::from_utf8_lossy(&shown.stderr);
        assert!(shown.status.success(), "{args:?}: {shown_err}");
        assert!(
            String::from_utf8_lossy(&shown.stdout).contains("corridor"),
            "{args:?}"
        );
    }
}

/// Folders rushes cannot enter — a symbolic link loop and a folder without read permission
/// — are each reported with their reason, and the rest of the shoot is indexed.
#[test]
fn symlink_loops_and_unreadable_folders_are_reported_and_the_rest_indexed() {
    use std::os::unix::fs::PermissionsExt;

    let temp = tempfile::tempdir().expect("temp dir");
    let shoot = temp.path().join("shoot");
    std::fs::create_dir_all(shoot.join("day1")).expect("day1");
    vtest_clip(&shoot.join("day1/corridor.avi"));
    std::os::unix::fs::symlink(&shoot, shoot.join("day1/back_to_shoot")).expect("loop link");
    let locked = shoot.join("locked");
    std::fs::create_dir_all(&locked).expect("locked folder");
    vtest_clip(&locked.join("hidden.avi"));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let index = temp.path().join("index");

    // root reads any folder; without the DAC capabilities it obeys modes as a user does.
    let running_as_root = std::fs::read_to_string("/proc/self/status")
        .map(|status| {
            status
                .lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    let mut command = if running_as_root {
        let mut setpriv = Command::new("setpriv");
        setpriv
            .args(["--bounding-set", "-dac_override,-dac_read_search"])
            .arg(env!("CARGO_BIN_EXE_rushes"));
        setpriv
    } else {
        Command::new(env!("CARGO_BIN_EXE_rushes"))
    };
    let output = command
        .arg("index")
        .arg(&shoot)
        .arg("--index")
        .arg(&index)
        .arg("--no-ocr")
        .env_remove("RUSHES_INDEX")
        .env("RUSHES_MODELS", repo_root().join("models"))
        .output()
        .expect("run rushes index");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    let index_arg = index.to_str().expect("utf-8 temp path");
    let status = json(&["status", "--index", index_arg, "--json"]).to_string();
    let reported = format!("{stderr}\n{status}");
    assert!(
        reported.contains("back_to_shoot") && reported.contains("symbolic link loop"),
        "the loop is not reported: {reported}"
    );
    assert!(
        reported.contains("locked") && reported.contains("ermission denied"),
        "the unreadable folder is not reported: {reported}"
    );
    let hits = json(&["search", "corridor", "--index", index_arg, "--json"]);
    let found = hits["hits"].as_array().map_or(0, Vec::len);
    assert_eq!(found, 1, "the readable clip is indexed once: {hits}");
}
