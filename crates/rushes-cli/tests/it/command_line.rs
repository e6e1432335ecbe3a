//! What the command line says about itself: `--version` names the index format this build
//! writes, and the collection listings' help names their options.

use rushes_store::WrittenFormat;

use crate::footage::{ok, rushes};

fn stdout_of(args: &[&str]) -> String {
    String::from_utf8_lossy(&ok(args).stdout).into_owned()
}

#[test]
fn version_names_the_index_format_a_new_index_gets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("nothing");
    std::fs::create_dir(&empty).expect("folder");
    let index = dir.path().join("index");
    ok(&[
        "index",
        empty.to_str().expect("utf-8"),
        "--index",
        index.to_str().expect("utf-8"),
    ]);
    let format_version = rushes_store::manifest::read(&index)
        .expect("readable rushes.toml")
        .expect("rushes.toml written")
        .format_version;

    let version = stdout_of(&["--version"]);
    let lines: Vec<&str> = version.lines().collect();
    assert_eq!(lines.len(), 2, "release line and format line: {version}");
    assert!(lines[0].starts_with("rushes "), "{version}");
    assert!(
        lines[1].starts_with(&format!("index format {format_version}, catalog schema ")),
        "{version}"
    );
    assert_eq!(lines[1], WrittenFormat::CURRENT.to_string());
    // `-V` stays the short form scripts already parse.
    assert_eq!(stdout_of(&["-V"]).lines().count(), 1);
}

#[test]
fn collection_listings_explain_their_options() {
    for listing in ["list", "show"] {
        let help = stdout_of(&["collection", listing, "--help"]);
        assert!(help.contains("--index <DIR>"), "{listing}: {help}");
        assert!(help.contains("RUSHES_INDEX"), "{listing}: {help}");
        let json_line = help
            .lines()
            .find(|line| line.trim_start().starts_with("--json"))
            .unwrap_or_else(|| panic!("{listing} --help has no --json: {help}"));
        assert!(json_line.contains("Print JSON"), "{listing}: {json_line}");
    }
    let overview = rushes(&["collection", "--help"]);
    let overview = String::from_utf8_lossy(&overview.stdout);
    for command in ["add", "remove", "move", "rename", "delete", "list", "show"] {
        assert!(
            overview
                .lines()
                .any(|line| line.trim_start().starts_with(command)),
            "collection --help lacks {command}: {overview}"
        );
    }
}

// Regression (issue 18): `rushes search --limit 0` silently meant 1 while the API answers
// `limit=0` with 400. One rule, one bound (rushes_server::MAX_LIMIT), one message.
#[test]
fn a_limit_of_0_or_over_the_api_maximum_is_refused_as_the_api_refuses_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = dir.path().join("index");
    let index = index.to_str().expect("utf-8");
    let over = (rushes_server::MAX_LIMIT + 1).to_string();
    let out = dir.path().join("export");
    let out = out.to_str().expect("utf-8");
    for (args, message) in [
        (
            vec!["search", "crowd", "--limit", "0"],
            "limit must be at least 1",
        ),
        (
            vec!["search", "crowd", "-n", over.as_str()],
            "limit must be at most 200",
        ),
        (
            vec!["similar", "0123456789abcdef", "-n", "0"],
            "limit must be at least 1",
        ),
        (
            vec!["search", "crowd", "--limit=lots"],
            "is not a whole number",
        ),
        (
            vec![
                "export", "crowd", "--format", "edl", "--out", out, "--limit", "0",
            ],
            "limit must be at least 1",
        ),
        (
            vec![
                "export", "crowd", "--format", "edl", "--out", out, "-n", "1000",
            ],
            "limit must be at most 999",
        ),
    ] {
        let mut args = args;
        args.extend(["--index", index]);
        let output = rushes(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    assert!(
        !dir.path().join("export").exists(),
        "a refused export writes nothing"
    );
}
