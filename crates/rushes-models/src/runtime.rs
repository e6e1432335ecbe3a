//! Finding and loading the ONNX Runtime shared library (ort's `load-dynamic`), once per
//! process. Owns the single ort `Environment` every session in rushes is built from; does
//! not own sessions or models.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::ModelError;

/// The ONNX Runtime release rushes is built and tested against (the `api-31` feature of
/// ort needs at least 1.31).
pub const EXPECTED_VERSION: &str = "1.31.1";

/// Which runtime library was loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeInfo {
    pub path: PathBuf,
    pub version: String,
}

struct LoadedRuntime {
    info: RuntimeInfo,
    environment: ort::environment::Environment,
}

static LOADED: OnceLock<LoadedRuntime> = OnceLock::new();
static LOADING: Mutex<()> = Mutex::new(());

const LIBRARY_PREFIX: &str = "libonnxruntime.so";

/// Where the runtime library is: `ORT_DYLIB_PATH` if set (even if the file is missing, so
/// that the error names it), else `libonnxruntime.so*` beside the executable, else
/// `runtime/onnxruntime/libonnxruntime.so*` in the executable's folder or any folder above
/// it, then the same for the current directory.
pub fn find_dylib() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    if let Some(found) = exe_dir.as_deref().and_then(library_in) {
        return Some(found);
    }
    let cwd = std::env::current_dir().ok();
    [exe_dir, cwd].into_iter().flatten().find_map(|start| {
        start
            .ancestors()
            .find_map(|dir| library_in(&dir.join("runtime").join("onnxruntime")))
    })
}

/// The best `libonnxruntime.so*` in a folder: the exact soname wins, else the first by name.
fn library_in(dir: &Path) -> Option<PathBuf> {
    let exact = dir.join(format!("{LIBRARY_PREFIX}.{EXPECTED_VERSION}"));
    if exact.is_file() {
        return Some(exact);
    }
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.is_file()
                && path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(LIBRARY_PREFIX))
        })
        .collect();
    candidates.sort();
    candidates.into_iter().next()
}

/// Loads the runtime (once; later calls return the cached result) and reports which
/// library and version is in use.
pub fn init() -> Result<RuntimeInfo, ModelError> {
    Ok(loaded()?.info.clone())
}

/// The process-wide ort environment sessions are built from.
pub(crate) fn environment() -> Result<&'static ort::environment::Environment, ModelError> {
    Ok(&loaded()?.environment)
}

fn loaded() -> Result<&'static LoadedRuntime, ModelError> {
    if let Some(loaded) = LOADED.get() {
        return Ok(loaded);
    }
    let _guard = LOADING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(loaded) = LOADED.get() {
        return Ok(loaded);
    }
    let path = find_dylib().ok_or(ModelError::RuntimeMissing)?;
    let unusable = |reason: String| ModelError::RuntimeUnusable {
        path: path.clone(),
        reason,
        expected: EXPECTED_VERSION,
    };
    if !path.is_file() {
        return Err(unusable("no such file".to_string()));
    }
    if let Some(version) = version_from_file_name(&path)
        && !version_is_supported(&version)
    {
        return Err(unusable(format!(
            "it is version {version}, rushes needs {EXPECTED_VERSION} or a later 1.x"
        )));
    }
    let builder = ort::init_from(&path).map_err(|e| unusable(e.to_string()))?;
    let environment = builder
        .with_name("rushes")
        .build()
        .map_err(|e| unusable(e.to_string()))?;
    let version = version_from_build_info(ort::info())
        .or_else(|| version_from_file_name(&path))
        .unwrap_or_else(|| "unknown".to_string());
    tracing::info!(path = %path.display(), %version, "ONNX Runtime loaded");
    let loaded = LOADED.get_or_init(|| LoadedRuntime {
        info: RuntimeInfo { path, version },
        environment,
    });
    Ok(loaded)
}

/// `libonnxruntime.so.1.31.1` -> `1.31.1`.
fn version_from_file_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let version = name.strip_prefix(LIBRARY_PREFIX)?.strip_prefix('.')?;
    (version.split('.').count() >= 2 && version.split('.').all(|p| p.parse::<u32>().is_ok()))
        .then(|| version.to_string())
}

/// ONNX Runtime's build info names its release branch: `git-branch=rel-1.31.1`.
fn version_from_build_info(info: &str) -> Option<String> {
    let rest = &info[info.find("rel-")? + 4..];
    let version: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    (!version.is_empty()).then_some(version)
}

/// 1.x with x at least the expected minor version.
fn version_is_supported(version: &str) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    let expected_minor = EXPECTED_VERSION
        .split('.')
        .nth(1)
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    matches!((parts.next(), parts.next()), (Some(Some(1)), Some(Some(minor))) if minor >= expected_minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_sonames_and_build_info() {
        assert_eq!(
            version_from_file_name(Path::new("/x/libonnxruntime.so.1.31.1")).as_deref(),
            Some("1.31.1")
        );
        assert_eq!(
            version_from_file_name(Path::new("/x/libonnxruntime.so")),
            None
        );
        assert_eq!(
            version_from_build_info("ORT Build Info: git-branch=rel-1.31.1, git-commit-id=abc")
                .as_deref(),
            Some("1.31.1")
        );
    }

    #[test]
    fn old_runtimes_are_refused() {
        assert!(version_is_supported("1.31.1"));
        assert!(version_is_supported("1.32.0"));
        assert!(!version_is_supported("1.20.1"));
        assert!(!version_is_supported("2.0.0"));
    }

    #[test]
    fn library_in_prefers_the_expected_soname() {
        let dir = tempfile::tempdir().expect("temp dir");
        for name in ["libonnxruntime.so", "libonnxruntime.so.1.31.1", "other.so"] {
            std::fs::write(dir.path().join(name), b"x").expect("write");
        }
        assert_eq!(
            library_in(dir.path()),
            Some(dir.path().join("libonnxruntime.so.1.31.1"))
        );
    }
}
