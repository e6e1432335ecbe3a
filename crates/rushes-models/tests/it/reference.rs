//! Running the reference implementations in the project's Python environment (.venv, made
//! by scripts/setup.sh test): transformers' processors and tokenizers, onnxruntime, the numpy
//! forward pass of scripts/sentence_reference.py. Python writes what it computed to a temp
//! folder; the Rust tests read it and compare.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::repo_root;

/// The .venv Python, which must exist (scripts/setup.sh test makes it).
pub fn python() -> PathBuf {
    let python = repo_root().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{}: run scripts/setup.sh test",
        python.display()
    );
    python
}

/// Runs a Python script of the repo with `args`; fails the test with its output unless it
/// exits 0. Returns its stdout.
pub fn run_python(script: &str, args: &[&Path]) -> String {
    let output = Command::new(python())
        .arg(repo_root().join(script))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Cosine similarity of two vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (norm(a) * norm(b))
}
