//! One-pass shot detection and frame sampling on a reel cut together from real footage.

use rushes_core::AssetKind;
use rushes_media::{
    FrameUse, SampledFrame, SamplingConfig, analyze_video, encode_thumbnail, frame_at, probe,
};
use rushes_testkit::X264_FAST;

use crate::common::{
    TestResult, analyse_all, corner_card_filter, ffmpeg, is_red, opencv_data, path_str,
    vtest_megamind_clip,
};

/// 3 s of vtest, 2 s of Megamind (a stretch without cuts), 3 s of vtest from later on,
/// normalised to 384x288 at 25 fps: hard cuts at exactly 3.0 s and 5.0 s.
fn make_reel(dir: &std::path::Path) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    let reel = dir.join("reel.mp4");
    let vtest = opencv_data("vtest.avi");
    let megamind = opencv_data("Megamind.avi");
    let norm = "scale=384:288,setsar=1,fps=25,format=yuv420p";
    let graph = format!(
        "[0:v]trim=0:3,setpts=PTS-STARTPTS,{norm}[a];\
         [1:v]trim=1:3,setpts=PTS-STARTPTS,{norm}[b];\
         [2:v]trim=40:43,setpts=PTS-STARTPTS,{norm}[c];\
         [a][b][c]concat=n=3:v=1:a=0[out]"
    );
    ffmpeg(&[
        "-i",
        path_str(&vtest),
        "-i",
        path_str(&megamind),
        "-i",
        path_str(&vtest),
        "-filter_complex",
        &graph,
        "-map",
        "[out]",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-crf",
        "28",
        path_str(&reel),
    ])?;
    Ok(reel)
}

#[test]
fn finds_both_cuts_of_the_reel_within_one_frame() -> TestResult {
    let dir = tempfile::tempdir()?;
    let reel = make_reel(dir.path())?;
    let info = probe(&reel, AssetKind::Video)?;
    let mut frames: Vec<SampledFrame> = Vec::new();
    let shots = analyze_video(&reel, &info, &SamplingConfig::default(), &mut |batch| {
        frames.extend(batch);
        Ok(())
    })?;
    let cuts: Vec<f64> = shots.iter().skip(1).map(|s| s.start).collect();
    assert_eq!(cuts.len(), 2, "cuts found: {cuts:?}");
    assert!((cuts[0] - 3.0).abs() <= 0.04 + 1e-6, "{cuts:?}");
    assert!((cuts[1] - 5.0).abs() <= 0.04 + 1e-6, "{cuts:?}");
    // Shots tile [0, duration].
    assert_eq!(shots[0].start, 0.0);
    assert!((shots[2].end - 8.0).abs() < 0.1, "{shots:?}");
    for pair in shots.windows(2) {
        assert_eq!(pair[0].end, pair[1].start);
    }
    // The first frame of every shot is sampled, then one on every step of the file's 2 s grid.
    for (index, shot) in shots.iter().enumerate() {
        let first = frames
            .iter()
            .find(|f| f.shot == index)
            .ok_or("shot without frames")?;
        assert!(
            (first.time - shot.start).abs() < 1e-6,
            "shot {index} starts {} sampled {}",
            shot.start,
            first.time
        );
    }
    let times: Vec<f64> = frames.iter().map(|f| f.time).collect();
    assert!(
        times.iter().any(|t| (t - 2.0).abs() < 0.05),
        "steady sample at 2 s in {times:?}"
    );
    assert!(
        times.iter().any(|t| (t - 6.0).abs() < 0.05),
        "steady sample on the 2 s grid inside the third shot in {times:?}"
    );
    assert_eq!(
        times.len(),
        6,
        "shot starts 0, 3, 5 and grid 2, 4, 6: {times:?}"
    );
    assert!(
        frames
            .iter()
            .all(|f| f.image.width() == 384 && f.image.height() == 288)
    );
    Ok(())
}

#[test]
fn text_gate_frames_fill_every_second_the_samples_leave_out() -> TestResult {
    let dir = tempfile::tempdir()?;
    let reel = make_reel(dir.path())?;
    let info = probe(&reel, AssetKind::Video)?;
    let config = SamplingConfig {
        text_interval: 1.0,
        ..SamplingConfig::default()
    };
    let mut frames: Vec<SampledFrame> = Vec::new();
    analyze_video(&reel, &info, &config, &mut |batch| {
        frames.extend(batch);
        Ok(())
    })?;
    let samples: Vec<f64> = frames
        .iter()
        .filter(|f| f.is_sample())
        .map(|f| f.time)
        .collect();
    let gate: Vec<f64> = frames
        .iter()
        .filter(|f| f.used_for == FrameUse::TextGate)
        .map(|f| f.time)
        .collect();
    // The samples stay the default plan's: shot starts 0, 3, 5 and the grid's 2, 4, 6.
    assert_eq!(samples.len(), 6, "{samples:?}");
    // The gate's frames are the whole seconds no sample is on.
    assert_eq!(gate.len(), 2, "{gate:?}");
    assert!(
        (gate[0] - 1.0).abs() < 0.05 && (gate[1] - 7.0).abs() < 0.05,
        "{gate:?}"
    );
    // So the gate sees a frame in every second of the file, in time order, at full size.
    for second in 0..8 {
        let second = f64::from(second);
        assert!(
            frames
                .iter()
                .any(|f| f.time > second - 1e-6 && f.time < second + 1.0),
            "no frame in second {second}: {frames:?}",
            frames = frames.iter().map(|f| f.time).collect::<Vec<_>>()
        );
    }
    assert!(frames.windows(2).all(|pair| pair[0].time < pair[1].time));
    assert!(frames.iter().all(|f| f.image.width() == 384));
    Ok(())
}

#[test]
fn finds_the_hard_cuts_of_the_megamind_trailer() -> TestResult {
    let path = opencv_data("Megamind.avi");
    let info = probe(&path, AssetKind::Video)?;
    let config = SamplingConfig {
        max_side: 320,
        ..SamplingConfig::default()
    };
    let shots = analyze_video(&path, &info, &config, &mut |_| Ok(()))?;
    let cuts: Vec<f64> = shots.iter().skip(1).map(|s| s.start).collect();
    // ffmpeg's own scene score places the trailer's cuts at 4.129, 6.465 and 8.383 s.
    let frame = 1.0 / info.frame_rate.unwrap_or(24.0);
    for expected in [4.129, 6.465, 8.383] {
        assert!(
            cuts.iter().any(|c| (c - expected).abs() <= frame + 1e-3),
            "no cut near {expected} in {cuts:?}"
        );
    }
    Ok(())
}

#[test]
fn batches_are_bounded_and_a_callback_error_stops_the_decode() -> TestResult {
    let path = opencv_data("vtest.avi");
    let info = probe(&path, AssetKind::Video)?;
    let config = SamplingConfig {
        interval: 0.5,
        max_side: 160,
        batch_size: 4,
        ..SamplingConfig::default()
    };
    let mut batches = 0;
    let result = analyze_video(&path, &info, &config, &mut |batch| {
        assert!(batch.len() <= 4);
        batches += 1;
        if batches == 3 {
            return Err(rushes_media::MediaError::Stopped(String::from("enough")));
        }
        Ok(())
    });
    assert!(
        matches!(result, Err(rushes_media::MediaError::Stopped(_))),
        "{result:?}"
    );
    assert_eq!(batches, 3);
    Ok(())
}

#[test]
fn rotated_clip_is_sampled_upright() -> TestResult {
    let dir = tempfile::tempdir()?;
    // Store the upright portrait card turned a quarter clockwise, with a display matrix that
    // turns it back, as phones do.
    let stored = dir.path().join("stored.mp4");
    let phone = dir.path().join("phone.mp4");
    let card = corner_card_filter(240, 320);
    let mut args = vec!["-f", "lavfi", "-i", &card, "-vf", "transpose=clock"];
    args.extend(X264_FAST);
    args.push(path_str(&stored));
    ffmpeg(&args)?;
    ffmpeg(&[
        "-i",
        path_str(&stored),
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
        path_str(&phone),
    ])?;
    let info = probe(&phone, AssetKind::Video)?;
    assert_eq!((info.width, info.height), (Some(240), Some(320)));
    let mut frames = Vec::new();
    analyze_video(&phone, &info, &SamplingConfig::default(), &mut |batch| {
        frames.extend(batch);
        Ok(())
    })?;
    let first = frames.first().ok_or("no frame")?;
    assert_eq!((first.image.width(), first.image.height()), (240, 320));
    assert!(
        is_red(first.image.get_pixel(5, 5)),
        "top-left is red when upright"
    );
    assert!(!is_red(first.image.get_pixel(234, 5)));
    let grabbed = frame_at(&phone, &info, 0.5, 160)?;
    assert_eq!((grabbed.width(), grabbed.height()), (120, 160));
    assert!(is_red(grabbed.get_pixel(3, 3)));
    Ok(())
}

#[test]
fn thumbnails_fit_twenty_kilobytes() -> TestResult {
    let path = opencv_data("Megamind.avi");
    let info = probe(&path, AssetKind::Video)?;
    let frame = frame_at(&path, &info, 5.0, 960)?;
    let bytes = encode_thumbnail(&frame, 320, 20_000)?;
    assert!(bytes.len() <= 20_000, "{} bytes", bytes.len());
    let decoded = image::load_from_memory(&bytes)?;
    assert_eq!(decoded.width(), 320);
    // A tight budget still yields a valid, smaller JPEG. (Storing it whole, with no temp
    // file left, is the thumbnail store's: rushes-store's
    // `thumbnails::a_thumbnail_put_is_read_back_replaced_and_removed`.)
    let small = encode_thumbnail(&frame, 320, 3_000)?;
    assert!(small.len() <= 3_000);
    image::load_from_memory(&small)?;
    Ok(())
}

/// 3 s of vtest at 25 fps, then 3 s of Megamind at 10 fps, in one variable-rate mp4: a
/// frame counter at either rate would put the second part's samples at the wrong times.
#[test]
fn variable_frame_rate_is_reported_and_sample_times_follow_the_timestamps() -> TestResult {
    let dir = tempfile::tempdir()?;
    let graph = "[0:v]trim=0:3,setpts=PTS-STARTPTS,scale=320:240,setsar=1,fps=25,settb=1/1000,format=yuv420p[a];\
                 [1:v]trim=1:4,setpts=PTS-STARTPTS,scale=320:240,setsar=1,fps=10,settb=1/1000,format=yuv420p[b];\
                 [a][b]concat=n=2:v=1:a=0[out]";
    let vfr = vtest_megamind_clip(dir.path(), "vfr.mp4", graph, &["-fps_mode", "vfr"])?;
    let (info, shots, frames) = analyse_all(&vfr)?;
    assert!(info.variable_frame_rate, "{info:?}");
    let cuts: Vec<f64> = shots.iter().skip(1).map(|s| s.start).collect();
    assert_eq!(cuts.len(), 1, "{cuts:?}");
    assert!(
        (cuts[0] - 3.0).abs() < 1e-3,
        "cut at the rate change: {cuts:?}"
    );
    let times: Vec<f64> = frames.iter().map(|f| f.time).collect();
    let expected = [0.0, 2.0, 3.0, 4.0];
    assert_eq!(times.len(), expected.len(), "{times:?}");
    for (time, want) in times.iter().zip(expected) {
        assert!(
            (time - want).abs() < 1e-3,
            "sampled {times:?}, want {expected:?}"
        );
    }
    assert!(
        (shots[1].end - 6.0).abs() <= 0.1 + 1e-6,
        "the last shot ends with the file: {shots:?}"
    );
    Ok(())
}

/// vtest fades out to black over two seconds, Megamind fades in from black over two: the
/// reel has two shots, and the boundary is where the picture comes back out of black (hue
/// and saturation jump as soon as there is any picture, so the content score catches it).
#[test]
fn a_fade_through_black_is_a_shot_boundary() -> TestResult {
    let dir = tempfile::tempdir()?;
    let graph = "[0:v]trim=0:3,setpts=PTS-STARTPTS,scale=320:240,setsar=1,fps=25,format=yuv420p,fade=t=out:st=1:d=2[a];\
                 [1:v]trim=1:4,setpts=PTS-STARTPTS,scale=320:240,setsar=1,fps=25,format=yuv420p,fade=t=in:st=0:d=2[b];\
                 [a][b]concat=n=2:v=1:a=0[out]";
    let faded = vtest_megamind_clip(dir.path(), "fade.mp4", graph, &[])?;
    let (_, shots, frames) = analyse_all(&faded)?;
    let cuts: Vec<f64> = shots.iter().skip(1).map(|s| s.start).collect();
    assert_eq!(cuts.len(), 1, "one boundary in the fade: {cuts:?}");
    assert!(
        (2.8..=3.4).contains(&cuts[0]),
        "the new shot starts as the picture returns, at about 3 s: {cuts:?}"
    );
    assert!(
        frames.iter().any(|f| f.shot == 1),
        "the shot after the fade has frames"
    );
    Ok(())
}
