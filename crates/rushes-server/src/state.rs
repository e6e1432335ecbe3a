//! What every handler shares: [`AppState`] (the open index through the query engine, the
//! proxy cache, export jobs, access control and the [`ServerConfig`]) and the lookup of an
//! asset named by a request.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rushes_core::{Asset, AssetId};
use rushes_search::{Searcher, SearcherConfig};
use rushes_store::{Index, Library, OpenMode};

use crate::access_token::AccessToken;
use crate::error::{ApiError, ServerError};
use crate::proxies::ProxyCache;
use crate::site::AllowedHost;
use crate::{auth, jobs};

/// Settings of the server that are not the index itself.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// How long an API request may take before it is answered with 503.
    pub request_timeout: Duration,
    /// How often `/api/events` looks at `progress.json`.
    pub progress_poll_interval: Duration,
    /// How the query engine loads its models (CLIP for visual search).
    pub search: SearcherConfig,
    /// The token every data request must carry; `None` leaves the server open (loopback).
    pub access_token: Option<AccessToken>,
    /// Names accepted in `Host` besides localhost, loopback addresses and the address
    /// listened on (`--allow-host`: a reverse proxy's name, the machine's name).
    pub allowed_hosts: Vec<AllowedHost>,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            request_timeout: Duration::from_secs(30),
            progress_poll_interval: Duration::from_secs(1),
            search: SearcherConfig::default(),
            access_token: None,
            allowed_hosts: Vec::new(),
        }
    }
}

/// Everything handlers share: the open index (through the query engine), the proxy cache
/// and the settings. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    searcher: Arc<Searcher>,
    proxies: Arc<ProxyCache>,
    pub(crate) config: Arc<ServerConfig>,
    index_dir: Arc<PathBuf>,
    pub(crate) exports: Arc<jobs::ExportJobs>,
    /// The address the server listens on, once bound: `Host` may name it.
    pub(crate) listening_on: Option<IpAddr>,
    /// The token and session key, when the server needs a token.
    pub(crate) access: Option<Arc<auth::Access>>,
}

impl AppState {
    /// Opens the index at `index_dir` read-only for serving.
    pub fn new(index_dir: PathBuf, config: ServerConfig) -> Result<AppState, ServerError> {
        if !index_dir.is_dir() {
            return Err(ServerError::IndexMissing(index_dir));
        }
        let index = Index::open(&index_dir, OpenMode::ReadOnly).map_err(|error| {
            ServerError::OpenIndex {
                path: index_dir.clone(),
                message: error.to_string(),
            }
        })?;
        AppState::with_library(Arc::new(index), index_dir, config)
    }

    /// Serves an open library of either engine (a local index, a database); `work_dir` is
    /// the folder of the server's own files: the proxy cache, export jobs' files and the
    /// indexer's `progress.json` (the index folder itself for a local library).
    pub fn with_library(
        library: Arc<dyn Library>,
        work_dir: PathBuf,
        config: ServerConfig,
    ) -> Result<AppState, ServerError> {
        let access = match &config.access_token {
            Some(token) => Some(Arc::new(
                auth::Access::new(token.clone()).map_err(ServerError::Access)?,
            )),
            None => None,
        };
        let searcher = Searcher::with_index(library, &config.search);
        let proxies = ProxyCache::new(work_dir.join("proxies"));
        Ok(AppState {
            searcher: Arc::new(searcher),
            proxies: Arc::new(proxies),
            config: Arc::new(config),
            exports: jobs::jobs_for(&work_dir),
            index_dir: Arc::new(work_dir),
            listening_on: None,
            access,
        })
    }

    /// The same state for a server listening on `ip`, which requests may then name in
    /// `Host` ([`serve`] sets it once bound; on 0.0.0.0 or [::] any address is accepted).
    pub fn listening_on(mut self, ip: IpAddr) -> AppState {
        self.listening_on = Some(ip);
        self
    }

    /// The folder of the server's own files (the index folder of a local library).
    pub fn index_dir(&self) -> &Path {
        &self.index_dir
    }

    /// The library served.
    pub fn library(&self) -> Arc<dyn Library> {
        self.searcher.library()
    }

    pub(crate) fn searcher(&self) -> Arc<Searcher> {
        self.searcher.clone()
    }

    /// The models folder the searcher loads its models from.
    pub(crate) fn models_dir(&self) -> &Path {
        &self.config.search.models_dir
    }

    pub(crate) fn proxies(&self) -> &ProxyCache {
        &self.proxies
    }

    pub(crate) fn progress_poll_interval(&self) -> Duration {
        self.config.progress_poll_interval
    }

    /// Looks an asset up by an id taken from a request: 400 if malformed, 404 if unknown.
    pub(crate) async fn asset_by_id_text(&self, text: &str) -> Result<Asset, ApiError> {
        let id = parse_asset_id(text)?;
        self.asset(id).await
    }

    pub(crate) async fn asset(&self, id: AssetId) -> Result<Asset, ApiError> {
        let searcher = self.searcher();
        let found = tokio::task::spawn_blocking(move || {
            searcher.index().asset(&id).map(|asset| (id, asset))
        })
        .await
        .map_err(|error| ApiError::internal("asset lookup task", error))?;
        match found {
            Ok((_, Some(asset))) => Ok(asset),
            Ok((id, None)) => Err(ApiError::not_found(format!("no asset {id} in the index"))),
            Err(error) => Err(ApiError::internal("asset lookup", error)),
        }
    }
}

/// Parses an asset id from a request path segment: 400 when it is not one.
pub fn parse_asset_id(text: &str) -> Result<AssetId, ApiError> {
    AssetId::parse(text).ok_or_else(|| ApiError::bad_request("not an asset id (16 hex characters)"))
}
