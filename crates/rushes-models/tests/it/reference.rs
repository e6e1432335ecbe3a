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

/// Reads a file of raw little-endian f32 values.
pub fn read_f32(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Writes values as raw little-endian f32.
pub fn write_f32(path: &Path, values: &[f32]) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Largest and mean absolute difference of two equally long slices.
pub fn differences(ours: &[f32], theirs: &[f32]) -> (f32, f32) {
    assert_eq!(ours.len(), theirs.len(), "tensor sizes differ");
    let mut largest = 0.0f32;
    let mut sum = 0.0f64;
    for (a, b) in ours.iter().zip(theirs) {
        let d = (a - b).abs();
        largest = largest.max(d);
        sum += f64::from(d);
    }
    (largest, (sum / ours.len() as f64) as f32)
}
