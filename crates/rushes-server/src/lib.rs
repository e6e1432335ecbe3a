//! rushes-server: the axum HTTP server of rushes — the JSON API, media by asset id with
//! Range, thumbnails, server-sent progress events and the embedded web UI from `web/`.
//! The CLI calls [`serve`] with an [`AppState`]; tests drive [`router`] directly.

mod access_token;
mod api;
mod auth;
mod error;
mod events;
mod jobs;
mod media;
mod people_api;
mod proxies;
mod site;
mod state;
mod thumbs;
mod web;
mod workflow_api;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::routing::{delete, get, post};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

pub use api::{MAX_LIMIT, MAX_QUERY_BYTES, check_result_limit};
pub use auth::{
    AccessToken, AccessTokenError, SESSION_COOKIE, SESSION_SECONDS, needs_token, token_for,
};
pub use error::{ApiError, ServerError};
pub use rushes_search::{Playback, SearcherConfig, playback_for};
pub use site::{AllowedHost, AllowedHostError};
pub use state::{AppState, ServerConfig};

/// Largest image accepted by `POST /api/search/image`.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// The content security policy of every response: no inline script, nothing third-party.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";

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
