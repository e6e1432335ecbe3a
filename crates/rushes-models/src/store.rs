//! The models folder: manifests (`<dir>/<name>.toml`) and the files they list
//! (`<dir>/<name>/<file>`). Lists what is installed, downloads with resume and checks
//! sha256 and size, verifies. Does not load or run models.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::ModelError;
use crate::manifest::{Manifest, ModelFile};

/// File inside a model folder recording the sha256 of files whose manifest gave none
/// (`sha256sum` format), written on first download.
pub const RECORDED_SHA256_FILE: &str = "SHA256SUMS";

/// Where models live: `RUSHES_MODELS` if set; else the first `models/` folder holding a
/// `*.toml`, walking up from the executable's folder and then from the current directory;
/// else `./models`.
pub fn default_models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RUSHES_MODELS").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    let cwd = std::env::current_dir().ok();
    [exe_dir, cwd]
        .into_iter()
        .flatten()
        .find_map(|start| {
            start
                .ancestors()
                .map(|dir| dir.join("models"))
                .find(|dir| holds_manifest(dir))
        })
        .unwrap_or_else(|| PathBuf::from("models"))
}

fn holds_manifest(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().extension().is_some_and(|ext| ext == "toml"))
    })
}

/// Whether a model can be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelState {
    Installed,
    Missing,
    /// Present but wrong; the reason names the file.
    Corrupt(String),
}

/// Serialised as its display text: `installed`, `missing`, `corrupt: <reason>`.
impl serde::Serialize for ModelState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl std::fmt::Display for ModelState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelState::Installed => f.write_str("installed"),
            ModelState::Missing => f.write_str("missing"),
            ModelState::Corrupt(reason) => write!(f, "corrupt: {reason}"),
        }
    }
}

/// One file of a model as found on disk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileStatus {
    pub name: String,
    pub path: PathBuf,
    pub url: String,
    /// From the manifest; 0 = unknown.
    pub expected_size: u64,
    /// None when the file is missing.
    pub actual_size: Option<u64>,
}

/// What `ModelStore::list` reports per model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModelStatus {
    pub name: String,
    pub task: String,
    pub state: ModelState,
    pub files: Vec<FileStatus>,
    /// Where the model comes from (the manifest's `source`, else its first URL).
    pub source: String,
}

/// A models folder.
#[derive(Debug, Clone)]
pub struct ModelStore {
    dir: PathBuf,
    connect_timeout: Duration,
}

impl ModelStore {
    pub fn new(dir: &Path) -> Self {
        ModelStore {
            dir: dir.to_path_buf(),
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// The same store giving up on a server whose name does not resolve or that does not
    /// accept a connection within `timeout` (10 s each by default); `make run` uses a short one so that an offline first run
    /// does not wait.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the manifest of `name`.
    pub fn manifest_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.toml"))
    }

    /// Names of all manifests, sorted.
    pub fn names(&self) -> Result<Vec<String>, ModelError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(ModelError::io(&self.dir, e)),
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|ext| ext == "toml"))
            .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    /// The manifest of `name`.
    pub fn manifest(&self, name: &str) -> Result<Manifest, ModelError> {
        let path = self.manifest_path(name);
        if !path.is_file() {
            return Err(ModelError::UnknownModel {
                name: name.to_string(),
                path,
                known: self.names().unwrap_or_default().join(", "),
            });
        }
        Manifest::load(&path)
    }

    /// Path of one of a model's files.
    pub fn file_path(&self, manifest: &Manifest, file: &str) -> PathBuf {
        manifest.file_path(&self.dir, file)
    }

    /// Every model with a manifest, with its state. Cheap: checks presence and size; the
    /// sha256 is checked by `verify` and after each download.
    pub fn list(&self) -> Result<Vec<ModelStatus>, ModelError> {
        self.names()?
            .into_iter()
            .map(|name| self.manifest(&name).map(|m| self.status(&m)))
            .collect()
    }

    /// State of one model, from presence and sizes.
    pub fn status(&self, manifest: &Manifest) -> ModelStatus {
        let files: Vec<FileStatus> = manifest
            .files
            .iter()
            .map(|file| {
                let path = self.file_path(manifest, &file.name);
                FileStatus {
                    name: file.name.clone(),
                    actual_size: std::fs::metadata(&path)
                        .ok()
                        .filter(|m| m.is_file())
                        .map(|m| m.len()),
                    path,
                    url: file.url.clone(),
                    expected_size: file.size,
                }
            })
            .collect();
        let state = if files.iter().any(|f| f.actual_size.is_none()) {
            ModelState::Missing
        } else if let Some(wrong) = files
            .iter()
            .find(|f| f.expected_size != 0 && f.actual_size != Some(f.expected_size))
        {
            ModelState::Corrupt(format!(
                "{} has {} bytes, expected {}",
                wrong.path.display(),
                wrong.actual_size.unwrap_or(0),
                wrong.expected_size
            ))
        } else {
            ModelState::Installed
        };
        let source = if manifest.source.is_empty() {
            manifest
                .files
                .iter()
                .map(|f| f.url.clone())
                .find(|u| !u.is_empty())
                .unwrap_or_default()
        } else {
            manifest.source.clone()
        };
        ModelStatus {
            name: manifest.name.clone(),
            task: manifest.task.clone(),
            state,
            files,
            source,
        }
    }

    /// Checks every file of `name` for presence, size and sha256 (the manifest's, else the
    /// one recorded on first download).
    pub fn verify(&self, name: &str) -> Result<(), ModelError> {
        let manifest = self.manifest(name)?;
        let recorded = self.recorded_hashes(&manifest);
        for file in &manifest.files {
            let path = self.file_path(&manifest, &file.name);
            self.verify_file(&manifest, file, &path, &recorded)?;
        }
        Ok(())
    }

    /// Checks one model file; used by `verify`, by `fetch`, and by loaders.
    pub(crate) fn verify_file(
        &self,
        manifest: &Manifest,
        file: &ModelFile,
        path: &Path,
        recorded: &[(String, String)],
    ) -> Result<(), ModelError> {
        let corrupt = |reason: String| ModelError::CorruptFile {
            model: manifest.name.clone(),
            path: path.to_path_buf(),
            reason,
            hint: hint(manifest),
        };
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(_) => {
                return Err(ModelError::MissingFile {
                    model: manifest.name.clone(),
                    path: path.to_path_buf(),
                    hint: hint(manifest),
                });
            }
        };
        if file.size != 0 && meta.len() != file.size {
            return Err(corrupt(format!(
                "{} bytes, expected {}",
                meta.len(),
                file.size
            )));
        }
        let expected = if file.sha256.is_empty() {
            recorded
                .iter()
                .find(|(name, _)| *name == file.name)
                .map(|(_, hash)| hash.clone())
        } else {
            Some(file.sha256.to_ascii_lowercase())
        };
        if let Some(expected) = expected {
            let actual = sha256_of_file(path)?;
            if actual != expected {
                return Err(corrupt(format!("sha256 {actual}, expected {expected}")));
            }
        }
        Ok(())
    }

    fn recorded_hashes(&self, manifest: &Manifest) -> Vec<(String, String)> {
        let path = self.dir.join(&manifest.name).join(RECORDED_SHA256_FILE);
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let (hash, name) = line.split_once("  ")?;
                Some((name.trim().to_string(), hash.trim().to_ascii_lowercase()))
            })
            .collect()
    }

    fn record_hash(&self, manifest: &Manifest, file: &str, hash: &str) -> Result<(), ModelError> {
        let mut entries: Vec<(String, String)> = self
            .recorded_hashes(manifest)
            .into_iter()
            .filter(|(name, _)| name != file)
            .collect();
        entries.push((file.to_string(), hash.to_string()));
        let text: String = entries
            .iter()
            .map(|(name, hash)| format!("{hash}  {name}\n"))
            .collect();
        let path = self.dir.join(&manifest.name).join(RECORDED_SHA256_FILE);
        write_atomically(&path, text.as_bytes())
    }

    /// Downloads every missing or wrong file of `name` into `<dir>/<name>/`, resuming a
    /// partial `<file>.part` with an HTTP Range request, checking size and sha256, then
    /// renaming into place. `progress(done, total)` is called as bytes arrive (total is 0
    /// while unknown).
    pub fn fetch(&self, name: &str, progress: &mut dyn FnMut(u64, u64)) -> Result<(), ModelError> {
        let manifest = self.manifest(name)?;
        let folder = self.dir.join(&manifest.name);
        std::fs::create_dir_all(&folder).map_err(|e| ModelError::io(&folder, e))?;
        let total: u64 = manifest.files.iter().map(|f| f.size).sum();
        let mut done_before = 0u64;
        for file in &manifest.files {
            let path = self.file_path(&manifest, &file.name);
            let recorded = self.recorded_hashes(&manifest);
            if path.is_file() && self.verify_file(&manifest, file, &path, &recorded).is_ok() {
                done_before += file.size;
                progress(done_before, total);
                continue;
            }
            if file.url.is_empty() {
                return Err(ModelError::MissingFile {
                    model: manifest.name.clone(),
                    path,
                    hint: hint(&manifest),
                });
            }
            let downloaded = self.download(&file.url, &path, &mut |done, size| {
                let overall = if total == 0 { size } else { total };
                progress(done_before + done, overall);
            })?;
            let part = part_path(&path);
            if file.size != 0 && downloaded.size != file.size {
                // A longer file cannot be resumed into the right one; start over next time.
                if downloaded.size > file.size {
                    let _ = std::fs::remove_file(&part);
                }
                return Err(ModelError::Download {
                    url: file.url.clone(),
                    reason: format!("got {} bytes, expected {}", downloaded.size, file.size),
                });
            }
            if !file.sha256.is_empty() && !downloaded.sha256.eq_ignore_ascii_case(&file.sha256) {
                let _ = std::fs::remove_file(&part);
                return Err(ModelError::Download {
                    url: file.url.clone(),
                    reason: format!(
                        "sha256 {} does not match the manifest's {}; the partial file was removed",
                        downloaded.sha256, file.sha256
                    ),
                });
            }
            std::fs::rename(&part, &path).map_err(|e| ModelError::io(&path, e))?;
            if file.sha256.is_empty() {
                self.record_hash(&manifest, &file.name, &downloaded.sha256)?;
            }
            tracing::info!(model = %manifest.name, file = %file.name, bytes = downloaded.size, "downloaded");
            done_before += downloaded.size;
        }
        Ok(())
    }

    /// Downloads `url` into `<dest>.part`, resuming what is there. Returns the size and
    /// sha256 of the whole `.part` file.
    fn download(
        &self,
        url: &str,
        dest: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Downloaded, ModelError> {
        let part = part_path(dest);
        let already = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_resolve(Some(self.connect_timeout))
            .timeout_connect(Some(self.connect_timeout))
            .http_status_as_error(false)
            .build()
            .into();
        let mut request = agent.get(url);
        if already > 0 {
            request = request.header("Range", format!("bytes={already}-"));
        }
        let mut response = request.call().map_err(|e| match e {
            ureq::Error::Io(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::Timeout(_) => ModelError::Offline {
                url: url.to_string(),
                dest: dest.to_path_buf(),
                reason: e.to_string(),
            },
            other => ModelError::Download {
                url: url.to_string(),
                reason: other.to_string(),
            },
        })?;
        let status = response.status().as_u16();
        let content_length = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let (mut out, start) = match status {
            206 if already > 0 => {
                let out = OpenOptions::new()
                    .append(true)
                    .open(&part)
                    .map_err(|e| ModelError::io(&part, e))?;
                (out, already)
            }
            200 => (
                File::create(&part).map_err(|e| ModelError::io(&part, e))?,
                0,
            ),
            416 if already > 0 => {
                // The partial file is already complete (or longer than the file): hash it.
                return Ok(Downloaded {
                    size: already,
                    sha256: sha256_of_file(&part)?,
                });
            }
            _ => {
                return Err(ModelError::Download {
                    url: url.to_string(),
                    reason: format!("HTTP status {status}"),
                });
            }
        };
        let total = content_length.map(|n| n + start).unwrap_or(0);
        let mut reader = response.body_mut().as_reader();
        let mut buffer = vec![0u8; 1 << 16];
        let mut done = start;
        progress(done, total);
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = out.flush();
                    return Err(ModelError::Download {
                        url: url.to_string(),
                        reason: format!(
                            "connection broke after {done} bytes ({e}); run fetch again to resume"
                        ),
                    });
                }
            };
            out.write_all(&buffer[..n])
                .map_err(|e| ModelError::io(&part, e))?;
            done += n as u64;
            progress(done, total);
        }
        out.sync_all().map_err(|e| ModelError::io(&part, e))?;
        Ok(Downloaded {
            size: done,
            sha256: sha256_of_file(&part)?,
        })
    }
}

struct Downloaded {
    size: u64,
    sha256: String,
}

fn hint(manifest: &Manifest) -> String {
    if manifest.install_hint.is_empty() {
        String::new()
    } else {
        format!(" ({})", manifest.install_hint)
    }
}

fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    dest.with_file_name(name)
}

/// Lower-case hex sha256 of a file, streamed.
pub fn sha256_of_file(path: &Path) -> Result<String, ModelError> {
    let mut file = File::open(path).map_err(|e| ModelError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| ModelError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    let tmp = part_path(path);
    std::fs::write(&tmp, bytes).map_err(|e| ModelError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| ModelError::io(path, e))
}
