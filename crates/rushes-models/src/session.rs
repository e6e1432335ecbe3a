//! Opening ONNX graphs for rushes: one place that builds an ort session with a thread
//! count, turns load failures into errors that name the file, and checks that the graph
//! has the inputs and outputs a manifest promised.

use std::path::Path;

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;

use crate::ModelError;
use crate::runtime;

/// Which model and file a graph is, to name it in errors. Kept apart from the session so
/// it can be borrowed while the session's outputs are alive.
#[derive(Debug, Clone)]
pub(crate) struct GraphId {
    pub model: String,
    pub path: std::path::PathBuf,
}

impl GraphId {
    pub fn incompatible(&self, reason: String) -> ModelError {
        ModelError::IncompatibleModel {
            model: self.model.clone(),
            path: self.path.clone(),
            reason,
        }
    }
}

/// A loaded graph plus what rushes needs to know to name it in errors.
pub(crate) struct Graph {
    pub session: Session,
    pub id: GraphId,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph").field("id", &self.id).finish()
    }
}

impl Graph {
    /// Opens `path` with `threads` intra-op threads (0 = ONNX Runtime's default).
    pub fn open(model: &str, path: &Path, threads: usize) -> Result<Graph, ModelError> {
        Self::open_with_spinning(model, path, threads, true)
    }

    /// `open`, choosing whether idle intra-op threads spin (ONNX Runtime's default) or sleep.
    /// Spinning saves a wake-up per operator but burns a core the decoder could use: while
    /// indexing, ffmpeg decodes on the same two cores.
    pub fn open_with_spinning(
        model: &str,
        path: &Path,
        threads: usize,
        spinning: bool,
    ) -> Result<Graph, ModelError> {
        let environment = runtime::environment()?;
        if !path.is_file() {
            return Err(ModelError::MissingFile {
                model: model.to_string(),
                path: path.to_path_buf(),
                hint: String::new(),
            });
        }
        let internal = |e: ort::Error| {
            ModelError::inference(format!("configuring a session for {}", path.display()), e)
        };
        let mut builder = Session::builder(environment)
            .map_err(internal)?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| ModelError::inference("setting the optimisation level", e))?;
        if threads > 0 {
            builder = builder
                .with_intra_threads(threads)
                .map_err(|e| ModelError::inference("setting intra-op threads", e))?
                .with_inter_threads(1)
                .map_err(|e| ModelError::inference("setting inter-op threads", e))?
                .with_intra_op_spinning(spinning)
                .map_err(|e| ModelError::inference("setting intra-op spinning", e))?;
        }
        let session = builder
            .commit_from_file(path)
            .map_err(|e| ModelError::CorruptFile {
                model: model.to_string(),
                path: path.to_path_buf(),
                reason: format!("ONNX Runtime cannot load it: {}", e.message()),
                hint: String::new(),
            })?;
        Ok(Graph {
            session,
            id: GraphId {
                model: model.to_string(),
                path: path.to_path_buf(),
            },
        })
    }

    pub fn has_input(&self, name: &str) -> bool {
        self.session.inputs().iter().any(|i| i.name() == name)
    }

    fn names(outlets: &[ort::value::Outlet]) -> String {
        outlets
            .iter()
            .map(|o| o.name().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Fails unless the graph has this input; returns its shape (-1 for dynamic dims).
    pub fn require_input(&self, name: &str) -> Result<Vec<i64>, ModelError> {
        match self.session.inputs().iter().find(|i| i.name() == name) {
            Some(input) => Ok(input
                .dtype()
                .tensor_shape()
                .map(|s| s.to_vec())
                .unwrap_or_default()),
            None => Err(self.incompatible(format!(
                "it has no input {name:?} (inputs: {})",
                Self::names(self.session.inputs())
            ))),
        }
    }

    /// Fails unless the graph has this output; returns its shape (-1 for dynamic dims).
    pub fn require_output(&self, name: &str) -> Result<Vec<i64>, ModelError> {
        match self.session.outputs().iter().find(|o| o.name() == name) {
            Some(output) => Ok(output
                .dtype()
                .tensor_shape()
                .map(|s| s.to_vec())
                .unwrap_or_default()),
            None => Err(self.incompatible(format!(
                "it has no output {name:?} (outputs: {})",
                Self::names(self.session.outputs())
            ))),
        }
    }

    pub fn incompatible(&self, reason: String) -> ModelError {
        self.id.incompatible(reason)
    }

    /// A custom metadata value of the graph.
    pub fn metadata(&self, key: &str) -> Option<String> {
        self.session.metadata().ok()?.custom(key)
    }
}
