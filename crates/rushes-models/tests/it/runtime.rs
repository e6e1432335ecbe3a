//! The runtime library is found in the repo's runtime/ folder and reports its version.

use rushes_models::runtime;

#[test]
fn the_repos_runtime_is_found_and_loaded_with_its_version() {
    let info = runtime::init().expect("runtime loads (scripts/setup.sh fills runtime/)");
    assert!(info.path.is_file(), "{info:?}");
    assert!(
        info.path.to_string_lossy().contains("libonnxruntime.so"),
        "{info:?}"
    );
    assert!(info.version.starts_with("1."), "{info:?}");
    // Idempotent: a second call answers the same.
    assert_eq!(runtime::init().expect("again"), info);
    assert!(runtime::find_dylib().is_some());
}
