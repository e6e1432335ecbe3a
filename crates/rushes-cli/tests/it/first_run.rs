//! The first run as `make run` does it: `rushes models fetch --defaults --if-online` with the
//! model hosts unreachable goes on (exit 0) and says once what stays off and the command that
//! turns it on; the sentence model installed by setup is listed.

use std::net::TcpListener;
use std::path::Path;

use rushes_models::defaults::{DEFAULT_MODELS, FETCH_DEFAULTS_COMMAND};

use crate::footage::{ok, repo_root, rushes};

/// A models folder holding the default models' manifests with every URL moved to a
/// loopback port nothing listens on.
fn unreachable_defaults(dir: &Path) -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let host = format!("http://127.0.0.1:{port}");
    for model in DEFAULT_MODELS {
        let manifest = std::fs::read_to_string(
            repo_root()
                .join("models")
                .join(format!("{}.toml", model.name)),
        )
        .expect("default manifest");
        std::fs::write(
            dir.join(format!("{}.toml", model.name)),
            manifest.replace("https://huggingface.co", &host),
        )
        .expect("write manifest");
    }
    host
}

#[test]
fn an_offline_first_run_goes_on_and_says_once_what_is_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = unreachable_defaults(dir.path());
    let models = dir.path().to_str().expect("utf-8");
    let output = ok(&[
        "--models",
        models,
        "models",
        "fetch",
        "--defaults",
        "--if-online",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let advice: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("offline:"))
        .collect();
    assert_eq!(
        advice,
        [format!(
            "offline: speech transcription, visual search and captions are off (models not installed); turn on with: {FETCH_DEFAULTS_COMMAND}"
        )],
        "{stderr}"
    );
    // Nothing half-installed, and the models are listed as missing.
    let listing =
        String::from_utf8_lossy(&ok(&["--models", models, "models", "list"]).stdout).into_owned();
    for model in DEFAULT_MODELS {
        assert!(
            listing
                .lines()
                .any(|l| l.contains(model.name) && l.contains("missing")),
            "{listing}"
        );
    }

    // Without --if-online the same fetch is an error that names the URL.
    let failed = rushes(&["--models", models, "models", "fetch", "--defaults"]);
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains(&host), "{stderr}");
}

#[test]
fn models_list_and_doctor_show_the_sentence_model() {
    let listing = String::from_utf8_lossy(&ok(&["models", "list"]).stdout).into_owned();
    assert!(
        listing.lines().any(|l| l.contains("all-minilm-l6-v2")
            && l.contains("sentence-embedding")
            && l.contains("installed")),
        "run scripts/setup.sh: {listing}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let index = dir.path().join("index");
    let doctor = rushes(&["doctor", "--index", index.to_str().expect("utf-8")]);
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert!(
        report
            .lines()
            .any(|l| l.contains("all-minilm-l6-v2") && l.contains("installed")),
        "{report}"
    );
}
