//! Fusion chosen by measurement: a labelled set built from the real demo footage (OCR'd
//! slate, sidecar transcripts, hand tags and notes, file names and camera metadata, and two
//! colour-graded takes for the visual branch of the colour fixture CLIP model), each query
//! judged by hand with the moments a person means. Reciprocal rank fusion at several k and
//! calibrated-score fusion at several visual weights rank the same index; nDCG@10 and MRR
//! per method are printed (`cargo test fusion -- --nocapture`) and the default method must
//! be at least as good as every other on both.

use std::path::Path;
use std::process::Command;

use rushes_search::{Found, Searcher, SearcherConfig};
use rushes_store::{Fusion, SearchRequest};

use crate::footage::{copy_tree, footage, json, ok, repo_root};
use crate::visual::rushes_with_models;

/// A moment a person means by a query: the file, a window in it (seconds) and how good a
/// match it is (2: what they asked for, 1: related).
struct Relevant {
    file: &'static str,
    start: f64,
    end: f64,
    gain: f64,
}

const fn meant(file: &'static str, start: f64, end: f64, gain: f64) -> Relevant {
    Relevant {
        file,
        start,
        end,
        gain,
    }
}

const SLATE: &str = "A001_C003_slate.mp4";
const CROWD: &str = "A001_C001_crowd.mp4";
const REEL: &str = "B002_C007_reel.mp4";
const INTERVIEW: &str = "gaffer_interview.wav";
const RED_TAKE: &str = "B003_C002.mp4";
const GREEN_TAKE: &str = "B003_C004.mp4";
const WHOLE: f64 = 1e9;

/// The labelled queries. Windows are what the footage holds (make-footage.sh, the graded
/// takes and the hand tags below), not what any ranking returned. "crowd red" and "green
/// crowd" want the graded takes of the street scene first and the ungraded one after.
fn labelled_set() -> Vec<(&'static str, Vec<Relevant>)> {
    vec![
        ("scene 42", vec![meant(SLATE, 0.0, 4.0, 2.0)]),
        ("take 3", vec![meant(SLATE, 0.0, 4.0, 2.0)]),
        ("quiet on set", vec![meant(SLATE, 1.0, 3.5, 2.0)]),
        ("coffee dolly", vec![meant(SLATE, 5.0, 7.5, 2.0)]),
        ("stunt rigging", vec![meant(INTERVIEW, 0.5, 4.0, 2.0)]),
        ("cafe flooded", vec![meant(INTERVIEW, 6.0, 10.0, 2.0)]),
        ("rain machine", vec![meant(INTERVIEW, 6.0, 10.0, 2.0)]),
        ("blooper", vec![meant(SLATE, 4.0, 8.0, 2.0)]),
        ("boom in shot", vec![meant(SLATE, 4.0, 8.0, 2.0)]),
        (
            "extras walking",
            vec![meant(CROWD, 0.0, WHOLE, 2.0), meant(REEL, 0.0, 3.0, 1.0)],
        ),
        ("alexa mini", vec![meant(CROWD, 0.0, WHOLE, 2.0)]),
        ("blackmagic", vec![meant(REEL, 0.0, WHOLE, 2.0)]),
        (
            "craft services fruit",
            vec![meant("craft_services_fruit.jpg", 0.0, WHOLE, 2.0)],
        ),
        (
            "football",
            vec![meant("football_break.jpg", 0.0, WHOLE, 2.0)],
        ),
        ("red", vec![meant(RED_TAKE, 0.0, WHOLE, 2.0)]),
        ("green", vec![meant(GREEN_TAKE, 0.0, WHOLE, 2.0)]),
        (
            "crowd red",
            vec![
                meant(RED_TAKE, 0.0, WHOLE, 2.0),
                meant(CROWD, 0.0, WHOLE, 1.0),
            ],
        ),
        (
            "green crowd",
            vec![
                meant(GREEN_TAKE, 0.0, WHOLE, 2.0),
                meant(CROWD, 0.0, WHOLE, 1.0),
            ],
        ),
    ]
}

/// The methods compared; the first is the default the store uses.
fn methods() -> Vec<(String, Fusion)> {
    let mut methods = vec![("default".to_string(), Fusion::default())];
    for k in [5.0, 20.0, 60.0, 200.0] {
        methods.push((format!("rank k={k}"), Fusion::Rank { k }));
    }
    for visual_weight in [0.25, 0.5, 1.0] {
        methods.push((
            format!("scores visual×{visual_weight}"),
            Fusion::Scores { visual_weight },
        ));
    }
    methods
}

/// nDCG@10 and reciprocal rank of one response: a hit counts for the first judgement of
/// its file whose window it overlaps and that no earlier hit took.
fn judge(response: &Found, relevant: &[Relevant]) -> (f64, f64) {
    let mut taken = vec![false; relevant.len()];
    let mut dcg = 0.0;
    let mut first_relevant = None;
    for (rank, hit) in response
        .hits
        .iter()
        .map(|found| &found.hit)
        .take(10)
        .enumerate()
    {
        let file = Path::new(&hit.asset.path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let judged = relevant
            .iter()
            .enumerate()
            .find(|(i, r)| !taken[*i] && r.file == file && hit.start < r.end && hit.end > r.start);
        if let Some((i, r)) = judged {
            taken[i] = true;
            dcg += r.gain / (rank as f64 + 2.0).log2();
            first_relevant.get_or_insert(rank + 1);
        }
    }
    let mut gains: Vec<f64> = relevant.iter().map(|r| r.gain).collect();
    gains.sort_by(|a, b| b.total_cmp(a));
    let ideal: f64 = gains
        .iter()
        .take(10)
        .enumerate()
        .map(|(rank, gain)| gain / (rank as f64 + 2.0).log2())
        .sum();
    let reciprocal = first_relevant.map_or(0.0, |rank| 1.0 / rank as f64);
    (dcg / ideal, reciprocal)
}

/// The demo footage plus two takes of the street scene graded red and green (a gel, a
/// green screen spill): the colour fixture model can tell them apart, nothing else can.
fn labelled_footage(dir: &Path) {
    copy_tree(&footage(), dir);
    std::fs::remove_dir_all(dir.join("bad")).expect("drop the bad files");
    let vtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
    let day3 = dir.join("day3");
    std::fs::create_dir_all(&day3).expect("day3");
    for (name, grade) in [
        (
            RED_TAKE,
            "colorchannelmixer=rr=1:rg=0.5:rb=0.5:gg=0.15:bb=0.15",
        ),
        (
            GREEN_TAKE,
            "colorchannelmixer=gr=0.5:gg=1:gb=0.5:rr=0.15:bb=0.15",
        ),
    ] {
        let status = Command::new("ffmpeg")
            .args([
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-i",
                vtest,
                "-t",
                "4",
            ])
            .args([
                "-vf", grade, "-an", "-c:v", "libx264", "-preset", "veryfast",
            ])
            .args(["-pix_fmt", "yuv420p"])
            .arg(day3.join(name))
            .status()
            .expect("ffmpeg");
        assert!(status.success(), "ffmpeg grading {name}");
    }
}

/// A models folder with the real PP-OCR models and the colour fixture CLIP model.
fn models_with_ocr_and_colour_clip(dir: &Path) {
    let root = repo_root();
    std::fs::create_dir_all(dir).expect("models dir");
    for (from, name) in [
        (root.join("models"), "ppocr.toml"),
        (root.join("models"), "ppocr"),
        (root.join("tests/fixtures/models"), "clip-fixture.toml"),
        (root.join("tests/fixtures/models"), "clip-fixture"),
    ] {
        std::os::unix::fs::symlink(from.join(name), dir.join(name)).expect("link model");
    }
}

#[test]
fn the_default_fusion_ranks_the_labelled_set_at_least_as_well_as_any_other() {
    let temp = tempfile::tempdir().expect("temp dir");
    let footage_dir = temp.path().join("footage");
    let models = temp.path().join("models");
    let index = temp.path().join("index");
    labelled_footage(&footage_dir);
    models_with_ocr_and_colour_clip(&models);
    let index_arg = index.to_str().expect("utf-8 temp path");
    rushes_with_models(
        &models,
        &[
            "index",
            footage_dir.to_str().expect("utf-8"),
            "--index",
            index_arg,
            "--no-speech",
            "--json",
        ],
    );
    let slate = footage_dir.join("day1").join(SLATE);
    let shown = json(&[
        "show",
        slate.to_str().expect("utf-8"),
        "--index",
        index_arg,
        "--json",
    ]);
    let slate_id = shown["asset"]["id"].as_str().expect("slate id").to_string();
    ok(&[
        "tag",
        &format!("{slate_id}@4-8"),
        "blooper",
        "--note",
        "boom in shot",
        "--index",
        index_arg,
    ]);
    let crowd = footage_dir.join("day1").join(CROWD);
    ok(&[
        "tag",
        crowd.to_str().expect("utf-8"),
        "extras",
        "--index",
        index_arg,
    ]);

    let searcher = Searcher::open(
        &index,
        &SearcherConfig {
            models_dir: models.clone(),
            threads: 2,
            visual: true,
        },
    )
    .expect("open the index with the colour model");
    assert!(
        searcher.visual_notice().is_none(),
        "{:?}",
        searcher.visual_notice()
    );

    let set = labelled_set();
    let mut table = Vec::new();
    for (name, fusion) in methods() {
        let (mut ndcg, mut mrr) = (0.0, 0.0);
        for (query, relevant) in &set {
            let response = searcher
                .search(&SearchRequest {
                    fusion,
                    ..SearchRequest::new(*query)
                })
                .expect("search");
            let (gain, reciprocal) = judge(&response, relevant);
            ndcg += gain;
            mrr += reciprocal;
        }
        let queries = set.len() as f64;
        table.push((name, ndcg / queries, mrr / queries));
    }
    for (name, ndcg, mrr) in &table {
        eprintln!("fusion {name:<20} nDCG@10 {ndcg:.3}  MRR {mrr:.3}");
    }
    let (_, default_ndcg, default_mrr) = table[0];
    // The set is small: the text branch alone must already find most of it.
    assert!(default_ndcg > 0.5, "default nDCG@10 {default_ndcg:.3}");
    for (name, ndcg, mrr) in &table[1..] {
        assert!(
            default_ndcg >= ndcg - 1e-9 && default_mrr >= mrr - 1e-9,
            "{name} beats the default: nDCG@10 {ndcg:.3} vs {default_ndcg:.3}, MRR {mrr:.3} vs {default_mrr:.3}"
        );
    }
}
