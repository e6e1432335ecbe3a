//! Export jobs: `POST /api/exports` starts one on a blocking thread (documents, clips or a
//! contact sheet of a collection or a query's hits), `GET /api/exports/{id}` reports its
//! progress, `DELETE` cancels it, and `GET /api/exports/{id}/files/{n}` downloads what it
//! wrote. Output goes to `<index>/exports/<job id>/` through `.part` files and renames;
//! downloads are found by job id and file number, never by a path from the request.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rushes_export::{
    ClipOptions, ClipProgress, ContactSheetLayout, Crop, DocumentFormat, Selection,
};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Jobs kept in memory; the oldest finished ones are forgotten beyond this.
const MAX_JOBS: usize = 64;
/// Most moments one export may hold.
pub const MAX_EXPORT_ITEMS: usize = 200;

/// What a job writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    Edl,
    Csv,
    Fcpxml,
    Mp4,
    ContactSheet,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Running,
    Done,
    Failed,
    Cancelled,
}

/// A job as `GET /api/exports/{id}` answers it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub id: String,
    pub format: ExportFormat,
    pub title: String,
    pub state: JobState,
    /// Items finished and in all.
    pub done: usize,
    pub total: usize,
    /// Why it failed, or which files were left out.
    pub message: String,
    /// Names of the written files; download each at `download[n]`.
    pub files: Vec<String>,
    pub download: Vec<String>,
}

struct Job {
    view: Mutex<JobView>,
    paths: Mutex<Vec<PathBuf>>,
    cancel: AtomicBool,
}

/// Jobs by id, oldest first.
type JobList = Vec<(String, Arc<Job>)>;

/// The jobs of one server.
pub struct ExportJobs {
    dir: PathBuf,
    jobs: Mutex<JobList>,
}

/// What to export and how, as `POST /api/exports` takes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    pub format: ExportFormat,
    /// A collection's name, or...
    #[serde(default)]
    pub collection: Option<String>,
    /// ...a query whose hits to export.
    #[serde(default)]
    pub query: Option<String>,
    /// Seconds added before and after each clip (mp4).
    #[serde(default)]
    pub handles: f64,
    /// `9:16` or `1:1` (mp4).
    #[serde(default)]
    pub crop: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
}

impl ExportRequest {
    pub fn crop(&self) -> Result<Option<Crop>, ApiError> {
        match self.crop.as_deref() {
            None | Some("") | Some("none") => Ok(None),
            Some("9:16") => Ok(Some(Crop::Vertical)),
            Some("1:1") => Ok(Some(Crop::Square)),
            Some(other) => Err(ApiError::bad_request(format!(
                "crop must be 9:16 or 1:1, not {other:?}"
            ))),
        }
    }

    pub fn handles(&self) -> Result<f64, ApiError> {
        if self.handles.is_finite() && (0.0..=60.0).contains(&self.handles) {
            Ok(self.handles)
        } else {
            Err(ApiError::bad_request("handles must be 0 to 60 seconds"))
        }
    }
}

fn new_job_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|error| ApiError::internal("job id", error))?;
    Ok(hex::encode(bytes))
}

impl ExportJobs {
    pub fn new(dir: PathBuf) -> ExportJobs {
        ExportJobs {
            dir,
            jobs: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, JobList>, ApiError> {
        self.jobs
            .lock()
            .map_err(|_| ApiError::internal("export jobs", "lock poisoned"))
    }

    fn job(&self, id: &str) -> Result<Arc<Job>, ApiError> {
        self.lock()?
            .iter()
            .find(|(job_id, _)| job_id == id)
            .map(|(_, job)| Arc::clone(job))
            .ok_or_else(|| ApiError::not_found(format!("no export job {id}")))
    }

    pub fn view(&self, id: &str) -> Result<JobView, ApiError> {
        let job = self.job(id)?;
        let view = job
            .view
            .lock()
            .map_err(|_| ApiError::internal("export job", "lock poisoned"))?
            .clone();
        Ok(view)
    }

    /// Asks a running job to stop; it stops between items and removes partial files.
    pub fn cancel(&self, id: &str) -> Result<JobView, ApiError> {
        self.job(id)?.cancel.store(true, Ordering::Relaxed);
        self.view(id)
    }

    /// The `n`th file a finished job wrote.
    pub fn file(&self, id: &str, n: usize) -> Result<PathBuf, ApiError> {
        let job = self.job(id)?;
        let paths = job
            .paths
            .lock()
            .map_err(|_| ApiError::internal("export job", "lock poisoned"))?;
        paths
            .get(n)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("export job {id} has no file {n}")))
    }

    /// Registers a job for `selection` and runs it on a blocking thread.
    pub fn start(
        self: &Arc<Self>,
        request: &ExportRequest,
        selection: Selection,
    ) -> Result<JobView, ApiError> {
        let id = new_job_id()?;
        let view = JobView {
            id: id.clone(),
            format: request.format,
            title: selection.title.clone(),
            state: JobState::Running,
            done: 0,
            total: selection.items.len(),
            message: if selection.skipped.is_empty() {
                String::new()
            } else {
                format!(
                    "left out {} still(s): no time range",
                    selection.skipped.len()
                )
            },
            files: Vec::new(),
            download: Vec::new(),
        };
        let job = Arc::new(Job {
            view: Mutex::new(view.clone()),
            paths: Mutex::new(Vec::new()),
            cancel: AtomicBool::new(false),
        });
        {
            let mut jobs = self.lock()?;
            jobs.push((id.clone(), Arc::clone(&job)));
            while jobs.len() > MAX_JOBS {
                let finished = jobs.iter().position(|(_, job)| {
                    job.view
                        .lock()
                        .is_ok_and(|view| view.state != JobState::Running)
                });
                match finished {
                    Some(oldest) => {
                        jobs.remove(oldest);
                    }
                    None => break,
                }
            }
        }
        let out = self.dir.join(&id);
        let format = request.format;
        let options = ClipOptions {
            handles: request.handles()?,
            crop: request.crop()?,
            allow_stream_copy: false,
        };
        tokio::task::spawn_blocking(move || run(&job, &id, format, &options, &selection, &out));
        Ok(view)
    }
}

fn update(job: &Job, change: impl FnOnce(&mut JobView)) {
    if let Ok(mut view) = job.view.lock() {
        change(&mut view);
    }
}

fn run(
    job: &Job,
    id: &str,
    format: ExportFormat,
    options: &ClipOptions,
    selection: &Selection,
    out: &std::path::Path,
) {
    let mut progress = |p: &ClipProgress| update(job, |view| view.done = p.done);
    let stem = selection.file_stem();
    let result = match format {
        ExportFormat::Edl | ExportFormat::Csv | ExportFormat::Fcpxml => {
            let document = match format {
                ExportFormat::Edl => DocumentFormat::Edl,
                ExportFormat::Csv => DocumentFormat::Csv,
                _ => DocumentFormat::Fcpxml,
            };
            rushes_export::write_document(document, &selection.title, &selection.items, out, &stem)
                .map(|path| vec![path])
        }
        ExportFormat::ContactSheet => rushes_export::write_contact_sheet(
            &selection.title,
            &selection.items,
            out,
            &stem,
            &ContactSheetLayout::default(),
            &mut progress,
            &job.cancel,
        )
        .map(|path| vec![path]),
        ExportFormat::Mp4 => {
            rushes_export::export_clips(&selection.items, out, options, &mut progress, &job.cancel)
        }
    };
    match result {
        Ok(paths) => {
            let files: Vec<String> = paths
                .iter()
                .filter_map(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect();
            if let Ok(mut stored) = job.paths.lock() {
                stored.clone_from(&paths);
            }
            update(job, |view| {
                view.download = (0..files.len())
                    .map(|n| format!("/api/exports/{id}/files/{n}"))
                    .collect();
                view.files = files;
                view.done = view.total;
                view.state = JobState::Done;
            });
            tracing::info!(job = id, "export finished");
        }
        Err(rushes_export::ExportError::Cancelled { done, .. }) => {
            update(job, |view| {
                view.done = done;
                view.state = JobState::Cancelled;
                view.message = "cancelled".to_string();
            });
            let _ = std::fs::remove_dir_all(out);
        }
        Err(error) => {
            if !error.is_user_error() {
                tracing::error!(job = id, "export failed: {error}");
            }
            update(job, |view| {
                view.state = JobState::Failed;
                view.message = error.to_string();
            });
        }
    }
}

/// Content type of a downloaded export file.
pub fn content_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("edl") => "text/plain; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        Some("fcpxml") => "application/xml",
        Some("png") => "image/png",
        Some("mp4") => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// The jobs of a server whose index is at `index_dir` (output in `<index>/exports/`).
pub fn jobs_for(index_dir: &std::path::Path) -> Arc<ExportJobs> {
    Arc::new(ExportJobs::new(index_dir.join("exports")))
}
