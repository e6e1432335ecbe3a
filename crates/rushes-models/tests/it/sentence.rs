//! The sentence encoder (all-MiniLM-L6-v2, converted by scripts/setup.sh) against its
//! references: the numpy forward pass of the same weights and transformers' pure-Python
//! BertTokenizer (scripts/sentence_reference.py, run here in .venv), the published
//! sentence-transformers similarities, paraphrase against unrelated pairs, the calibrated
//! cut-off; and a second sentence model fetched through its manifest from a loopback server.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

use rushes_models::manifest::TASK_SENTENCE_EMBEDDING;
use rushes_models::sentence::SENTENCE_MODEL;
use rushes_models::{ModelState, ModelStore, SentenceEncoder};

use crate::common::repo_root;
use crate::reference::{cosine, run_python};

/// A temp models folder whose `all-minilm-l6-v2` links to the repo's converted model.
fn minilm_store() -> (tempfile::TempDir, ModelStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let models = repo_root().join("models");
    let manifest = format!("{SENTENCE_MODEL}.toml");
    std::fs::copy(models.join(&manifest), dir.path().join(&manifest)).expect("copy manifest");
    std::fs::create_dir(dir.path().join(SENTENCE_MODEL)).expect("model folder");
    for file in ["model.onnx", "tokenizer.json"] {
        let source = models.join(SENTENCE_MODEL).join(file);
        assert!(
            source.is_file(),
            "{}: run scripts/setup.sh",
            source.display()
        );
        std::os::unix::fs::symlink(&source, dir.path().join(SENTENCE_MODEL).join(file))
            .expect("link");
    }
    let store = ModelStore::new(dir.path());
    (dir, store)
}

fn encoder() -> (tempfile::TempDir, SentenceEncoder) {
    let (dir, store) = minilm_store();
    let encoder = SentenceEncoder::load(&store, 1).expect("all-MiniLM-L6-v2 loads");
    (dir, encoder)
}

/// (label, sentence A, sentence B) of a tests/fixtures/models pairs file.
fn pairs(file: &str) -> Vec<(String, String, String)> {
    let path = repo_root().join("tests/fixtures/models").join(file);
    std::fs::read_to_string(&path)
        .expect("pairs file")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 3, "{}: {line}", path.display());
            (fields[0].into(), fields[1].into(), fields[2].into())
        })
        .collect()
}

/// Each pair's label and cosine, embedded by `encoder`.
fn scores(encoder: &mut SentenceEncoder, file: &str) -> Vec<(String, f64, String, String)> {
    pairs(file)
        .into_iter()
        .map(|(label, a, b)| {
            let rows = encoder.embed(&[&a, &b]).expect("embed");
            let score = cosine(
                rows.row(0).as_slice().expect("row"),
                rows.row(1).as_slice().expect("row"),
            );
            (label, score, a, b)
        })
        .collect()
}

fn extremes(scores: &[(String, f64, String, String)]) -> (f64, f64) {
    let lowest_paraphrase = scores
        .iter()
        .filter(|s| s.0 == "paraphrase")
        .map(|s| s.1)
        .fold(f64::INFINITY, f64::min);
    let highest_unrelated = scores
        .iter()
        .filter(|s| s.0 == "unrelated")
        .map(|s| s.1)
        .fold(f64::NEG_INFINITY, f64::max);
    (lowest_paraphrase, highest_unrelated)
}

#[test]
fn embeddings_and_token_ids_match_the_python_reference() {
    let scratch = tempfile::tempdir().expect("temp dir");
    // The Python side fails unless the ONNX graph (run by onnxruntime) matches the numpy
    // forward pass (cosine >= 0.9999) and paraphrases score above unrelated pairs.
    let summary = run_python(
        "scripts/sentence_reference.py",
        &[
            Path::new("check"),
            &repo_root().join("runtime/all-minilm-l6-v2"),
            &repo_root().join("models").join(SENTENCE_MODEL),
            &repo_root().join("tests/fixtures/models/sentence-pairs.tsv"),
            scratch.path(),
        ],
    );
    eprintln!("{summary}");
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(scratch.path().join("reference.json")).expect("reference.json"),
    )
    .expect("reference JSON");
    let sentences: Vec<&str> = reference["sentences"]
        .as_array()
        .expect("sentences")
        .iter()
        .map(|s| s.as_str().expect("sentence"))
        .collect();
    let (_dir, mut encoder) = encoder();

    // Token ids equal transformers' BertTokenizer's, sentence by sentence.
    let ours = encoder.token_ids(&sentences).expect("token ids");
    for (index, sentence) in sentences.iter().enumerate() {
        let theirs: Vec<u32> = reference["token_ids"][index]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_u64().expect("id") as u32)
            .collect();
        assert_eq!(ours[index], theirs, "token ids of {sentence:?}");
    }

    // Embeddings, all in one padded batch, equal the numpy forward pass of each alone.
    let embeddings = encoder.embed(&sentences).expect("embed");
    let mut lowest = f64::INFINITY;
    for (index, sentence) in sentences.iter().enumerate() {
        let expected: Vec<f32> = reference["embeddings"][index]
            .as_array()
            .expect("embedding")
            .iter()
            .map(|v| v.as_f64().expect("value") as f32)
            .collect();
        let similarity = cosine(embeddings.row(index).as_slice().expect("row"), &expected);
        assert!(similarity >= 0.999, "{sentence:?}: cosine {similarity}");
        lowest = lowest.min(similarity);
    }
    eprintln!("Rust SentenceEncoder vs numpy reference: lowest cosine {lowest:.7}");
}

#[test]
fn paraphrases_score_above_unrelated_pairs_and_the_published_figures_hold() {
    let (_dir, mut encoder) = encoder();
    assert_eq!(encoder.dim(), 384);
    let scores = scores(&mut encoder, "sentence-pairs.tsv");
    // sentence-transformers' model card example for all-MiniLM-L6-v2.
    for (a, b, published) in [
        (
            "The weather is lovely today.",
            "It's so sunny outside!",
            0.6660,
        ),
        (
            "The weather is lovely today.",
            "He drove to the stadium.",
            0.1046,
        ),
        ("It's so sunny outside!", "He drove to the stadium.", 0.1411),
    ] {
        let score = scores
            .iter()
            .find(|s| s.2 == a && s.3 == b)
            .expect("pair listed")
            .1;
        assert!(
            (score - published).abs() < 1e-3,
            "{a} | {b}: {score}, published {published}"
        );
    }
    let (lowest_paraphrase, highest_unrelated) = extremes(&scores);
    assert!(
        lowest_paraphrase > highest_unrelated,
        "paraphrase {lowest_paraphrase} vs unrelated {highest_unrelated}: {scores:#?}"
    );
    // The issue's own examples find their lines above the cut-off.
    let cutoff = f64::from(encoder.semantic_cutoff());
    for query in ["lighting failure", "a spilled drink"] {
        let score = scores
            .iter()
            .find(|s| s.2 == query && s.0 == "paraphrase")
            .expect("pair")
            .1;
        assert!(score > cutoff, "{query}: {score} <= cut-off {cutoff}");
    }
}

#[test]
fn the_recorded_cutoff_separates_the_held_out_pairs() {
    let (_dir, mut encoder) = encoder();
    let cutoff = f64::from(encoder.semantic_cutoff());
    let scores = scores(&mut encoder, "sentence-calibration.tsv");
    assert!(scores.len() >= 40, "{} pairs", scores.len());
    for (label, score, a, b) in &scores {
        let above = *score >= cutoff;
        assert_eq!(
            above,
            label == "paraphrase",
            "{label} {a} | {b}: {score} vs cut-off {cutoff}"
        );
    }
}

#[test]
fn batching_padding_and_long_texts_leave_embeddings_unchanged() {
    let (_dir, mut encoder) = encoder();
    let texts = [
        "cut",
        "the boom operator drops the microphone into the shot again",
        "",
        "Ça tourne ! Scène 4, prise 2.",
    ];
    let together = encoder.embed(&texts).expect("batch");
    for (index, text) in texts.iter().enumerate() {
        let alone = encoder.embed(&[text]).expect("alone");
        let similarity = cosine(
            together.row(index).as_slice().expect("row"),
            alone.row(0).as_slice().expect("row"),
        );
        assert!(similarity > 0.99999, "{text:?}: {similarity}");
        let norm: f32 = together
            .row(index)
            .iter()
            .map(|v| v * v)
            .sum::<f32>()
            .sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{text:?}: norm {norm}");
    }
    // A long transcript is truncated to max_tokens, not refused.
    let long = "we are rolling on scene twelve ".repeat(200);
    let ids = encoder.token_ids(&[&long]).expect("ids");
    assert_eq!(ids[0].len(), encoder.max_tokens());
    assert_eq!(encoder.embed(&[&long]).expect("long").nrows(), 1);
    assert_eq!(encoder.embed(&[]).expect("none").dim(), (0, 384));
}

/// Serves each named file of `files` over HTTP on 127.0.0.1 (any path ending in its name).
fn serve_files(files: Vec<(String, Vec<u8>)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let path = request.split_whitespace().nth(1).unwrap_or("");
            match files.iter().find(|(name, _)| path.ends_with(name.as_str())) {
                Some((_, body)) => {
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(body);
                }
                None => {
                    let _ = write!(
                        stream,
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                }
            }
        }
    });
    base
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn a_second_sentence_model_is_fetched_through_its_manifest_and_pooled_in_rust() {
    // A model shaped like the multilingual exports (paraphrase-multilingual-MiniLM-L12-v2):
    // its output is token embeddings [batch, sequence, 384], so rushes pools and normalises.
    // The fixture is the converted MiniLM graph read at its token_embeddings output.
    let minilm = repo_root().join("models").join(SENTENCE_MODEL);
    let graph = std::fs::read(minilm.join("model.onnx")).expect("run scripts/setup.sh");
    let tokenizer = std::fs::read(minilm.join("tokenizer.json")).expect("tokenizer");
    let manifest = format!(
        r#"name = "tokens-fixture"
task = "{TASK_SENTENCE_EMBEDDING}"
embedding_dim = 384
[[files]]
name = "model.onnx"
url = "{{base}}/rev/onnx/model.onnx"
sha256 = "{}"
size = {}
[[files]]
name = "tokenizer.json"
url = "{{base}}/rev/tokenizer.json"
sha256 = "{}"
size = {}
[sentence]
file = "model.onnx"
tokenizer = "tokenizer.json"
output = "token_embeddings"
max_tokens = 128
pooling = "mean"
semantic_cutoff = 0.5
"#,
        sha256_hex(&graph),
        graph.len(),
        sha256_hex(&tokenizer),
        tokenizer.len()
    );
    let base = serve_files(vec![
        ("model.onnx".into(), graph),
        ("tokenizer.json".into(), tokenizer),
    ]);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("tokens-fixture.toml"),
        manifest.replace("{base}", &base),
    )
    .expect("manifest");
    let store = ModelStore::new(dir.path());
    let listed = |store: &ModelStore| {
        store
            .list()
            .expect("list")
            .into_iter()
            .find(|m| m.name == "tokens-fixture")
            .expect("listed")
    };
    assert_eq!(listed(&store).state, ModelState::Missing);
    assert_eq!(listed(&store).task, TASK_SENTENCE_EMBEDDING);
    store
        .fetch("tokens-fixture", &mut |_, _| {})
        .expect("fetch");
    assert_eq!(listed(&store).state, ModelState::Installed);
    store.verify("tokens-fixture").expect("sha256 verified");

    let mut fetched =
        SentenceEncoder::load_named(&store, "tokens-fixture", 1).expect("fetched model loads");
    let (_minilm_dir, mut pooled_in_graph) = encoder();
    let texts = [
        "the generator died and every light went off",
        "short",
        "a puppy ran across the stage barking at the crew",
    ];
    let ours = fetched.embed(&texts).expect("pooled in Rust");
    let graphs = pooled_in_graph.embed(&texts).expect("pooled in the graph");
    for (index, text) in texts.iter().enumerate() {
        let similarity = cosine(
            ours.row(index).as_slice().expect("row"),
            graphs.row(index).as_slice().expect("row"),
        );
        assert!(similarity > 0.9999, "{text}: {similarity}");
    }
}

#[test]
fn the_multilingual_manifest_is_a_sentence_model_with_pinned_files() {
    let store = ModelStore::new(&repo_root().join("models"));
    let manifest = store
        .manifest("paraphrase-multilingual-minilm-l12-v2")
        .expect("multilingual manifest parses");
    assert_eq!(manifest.task, TASK_SENTENCE_EMBEDDING);
    assert_eq!(manifest.embedding_dim, 384);
    for file in &manifest.files {
        assert!(
            file.url.starts_with(
                "https://huggingface.co/Xenova/paraphrase-multilingual-MiniLM-L12-v2/resolve/2c4055b12046f11709e9df2c122e59ffbdc2f900/"
            ),
            "{} must be pinned to a revision: {}",
            file.name,
            file.url
        );
        assert!(file.sha256.len() == 64 && file.size > 0, "{file:?}");
    }
    let spec = manifest.sentence.expect("[sentence]");
    // The export's output is token embeddings, which SentenceEncoder pools (tested above).
    assert_eq!(
        (spec.output.as_str(), spec.pooling.as_str(), spec.max_tokens),
        ("last_hidden_state", "mean", 128)
    );
}
