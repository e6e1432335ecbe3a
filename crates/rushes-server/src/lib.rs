//! rushes-server: the axum HTTP server of rushes — the JSON API, media by asset id with
//! Range, thumbnails, server-sent progress events and the embedded web UI from `web/`.
//! The CLI calls [`serve`] with an [`AppState`]; tests drive [`router`] directly.

mod api;
mod auth;
mod error;
mod events;
mod jobs;
mod media;
mod people_api;
mod site;
mod thumbs;
mod web;
mod workflow_api;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::routing::{delete, get, post};
use rushes_core::{Asset, AssetId};
use rushes_search::Searcher;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

pub use auth::{
    AccessToken, AccessTokenError, SESSION_COOKIE, SESSION_SECONDS, needs_token, token_for,
};
pub use error::{ApiError, ServerError};
pub use rushes_search::{Playback, SearcherConfig, playback_for};
pub use site::{AllowedHost, AllowedHostError};

/// Longest query string accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 1024;
/// Most hits one search request may ask for, from the API (`limit=`) or the CLI (`--limit`).
pub const MAX_LIMIT: usize = 200;

/// Checks a requested number of results: at least 1, at most `max`. One rule, with one
/// message, for the API (`limit=`, answered 400) and the CLI (`rushes search --limit`).
pub fn check_result_limit(limit: usize, max: usize) -> Result<usize, String> {
    match limit {
        0 => Err(String::from("limit must be at least 1")),
        n if n > max => Err(format!("limit must be at most {max}")),
        n => Ok(n),
    }
}
/// Largest image accepted by `POST /api/search/image`.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// The content security policy of every response: no inline script, nothing third-party.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";

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
    proxies: Arc<media::ProxyCache>,
    config: Arc<ServerConfig>,
    index_dir: Arc<PathBuf>,
    exports: Arc<jobs::ExportJobs>,
    /// The address the server listens on, once bound: `Host` may name it.
    listening_on: Option<IpAddr>,
    /// The token and session key, when the server needs a token.
    access: Option<Arc<auth::Access>>,
}

impl AppState {
    /// Opens the index at `index_dir` read-only for serving.
    pub fn new(index_dir: PathBuf, config: ServerConfig) -> Result<AppState, ServerError> {
        if !index_dir.is_dir() {
            return Err(ServerError::IndexMissing(index_dir));
        }
        let access = match &config.access_token {
            Some(token) => Some(Arc::new(
                auth::Access::new(token.clone()).map_err(ServerError::Access)?,
            )),
            None => None,
        };
        let searcher =
            Searcher::open(&index_dir, &config.search).map_err(|error| ServerError::OpenIndex {
                path: index_dir.clone(),
                message: error.to_string(),
            })?;
        let proxies = media::ProxyCache::new(index_dir.join("proxies"));
        Ok(AppState {
            searcher: Arc::new(searcher),
            proxies: Arc::new(proxies),
            config: Arc::new(config),
            exports: jobs::jobs_for(&index_dir),
            index_dir: Arc::new(index_dir),
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

    pub fn index_dir(&self) -> &Path {
        &self.index_dir
    }

    fn searcher(&self) -> Arc<Searcher> {
        self.searcher.clone()
    }

    /// The file of a thumbnail in the index's thumbnail store, by its path relative to the
    /// store (checked by the caller): the files are served with Range and caching.
    fn thumbnail_file(&self, relative: &str) -> PathBuf {
        rushes_store::thumbnails::ThumbnailFolder::new(&self.index_dir).path_of(relative)
    }

    fn proxies(&self) -> &media::ProxyCache {
        &self.proxies
    }

    fn progress_poll_interval(&self) -> Duration {
        self.config.progress_poll_interval
    }

    /// Looks an asset up by an id taken from a request: 400 if malformed, 404 if unknown.
    async fn asset_by_id_text(&self, text: &str) -> Result<Asset, ApiError> {
        let id = media::parse_asset_id(text)?;
        self.asset(id).await
    }

    async fn asset(&self, id: AssetId) -> Result<Asset, ApiError> {
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

/// The whole HTTP surface: `/api/*`, `/media/*`, `/thumbs/*` and the web UI. Every request
/// must name this server in `Host` and must not be a cross-site write (`site.rs`).
pub fn router(state: AppState) -> Router {
    let timeout = TimeoutLayer::with_status_code(
        StatusCode::SERVICE_UNAVAILABLE,
        state.config.request_timeout,
    );
    let api = Router::new()
        .route("/search", get(api::search))
        .route(
            "/search/image",
            post(api::search_image).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/similar", get(api::similar))
        .route("/assets", get(api::list_assets))
        .route("/assets/{id}", get(api::asset_detail))
        .route("/facets", get(api::facets))
        .route("/slates", get(api::scene_library))
        .route("/status", get(api::status))
        .route(
            "/assets/{id}/annotations",
            get(workflow_api::annotations).post(workflow_api::annotate),
        )
        .route(
            "/collections",
            get(workflow_api::list_collections).post(workflow_api::create_collection),
        )
        .route(
            "/collections/{name}",
            get(workflow_api::show_collection)
                .patch(workflow_api::update_collection)
                .delete(workflow_api::delete_collection),
        )
        .route("/collections/{name}/items", post(workflow_api::add_item))
        .route(
            "/collections/{name}/items/{item}",
            delete(workflow_api::remove_item),
        )
        .route("/exports", post(workflow_api::start_export))
        .route(
            "/exports/{id}",
            get(workflow_api::export_status).delete(workflow_api::cancel_export),
        )
        .route(
            "/exports/{id}/files/{n}",
            get(workflow_api::download_export),
        )
        .route("/people", get(people_api::list_people))
        .route(
            "/people/{id}",
            get(people_api::show_person).delete(people_api::forget_person),
        )
        .route("/people/{id}/name", post(people_api::name_person))
        .route("/people/{id}/merge", post(people_api::merge_people))
        .route("/faces/{id}/split", post(people_api::split_face))
        .route(
            "/session",
            post(auth::create_session).with_state(state.access.clone()),
        )
        .fallback(api::unknown_endpoint)
        .layer(timeout)
        // Server-sent events stay open: outside the request timeout.
        .route("/events", get(events::get_events));
    Router::new()
        .nest("/api", api)
        .route("/media/{id}", get(media::get_original))
        .route("/media/{id}/proxy", get(media::get_proxy))
        .route("/thumbs/{asset}/{file}", get(thumbs::get_thumbnail))
        .route(
            "/thumbs/faces/{asset}/{file}",
            get(people_api::get_face_thumbnail),
        )
        .fallback(web::serve_web)
        .layer(axum::middleware::from_fn_with_state(
            state.access.clone(),
            auth::require_token,
        ))
        // Outside the token check: a misdirected or cross-site request is refused before
        // anything else is looked at.
        .layer(axum::middleware::from_fn_with_state(
            site::SiteGuard::new(state.listening_on, &state.config.allowed_hosts),
            site::check_site,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .with_state(state)
}

/// Binds `addr`, logs the URL and serves until ctrl-c or SIGTERM, then finishes the
/// requests in flight.
pub async fn serve(state: AppState, addr: SocketAddr) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let bound = listener.local_addr().unwrap_or(addr);
    tracing::info!(
        "rushes is serving {} at http://{bound}/",
        state.index_dir().display()
    );
    axum::serve(listener, router(state.listening_on(bound.ip())))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(ServerError::Serve)?;
    tracing::info!("server stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for ctrl-c: {error}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!("cannot listen for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
