//! The one error type of the HTTP API, [`ApiError`], and its JSON shape
//! `{"error": {"code": "...", "message": "..."}}`. Internal details are logged here and
//! never sent to the client. Also the startup/serve error, [`ServerError`].

use std::path::PathBuf;

use axum::Json;
use axum::extract::multipart::MultipartError;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rushes_search::SearchError;
use rushes_store::StoreError;
use serde::Serialize;

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("no index at {0} (run `rushes index <FOLDER>` first)")]
    IndexMissing(PathBuf),
    #[error("cannot open the index at {path}: {message}")]
    OpenIndex { path: PathBuf, message: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Serve(std::io::Error),
    #[error("cannot set up access control: {0}")]
    Access(crate::access_token::AccessTokenError),
}

/// An error answered to an HTTP client: a status, a stable machine-readable code and a
/// message meant for a person.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// The request was malformed (a parameter out of range, a bad id).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// The query did not parse; the message is the parser's.
    pub fn bad_query(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_query", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    pub fn unsupported_media(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media",
            message,
        )
    }

    /// Something broke inside: the detail is logged, the client only learns that it failed.
    pub fn internal(context: &str, detail: impl std::fmt::Display) -> ApiError {
        tracing::error!("{context}: {detail}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }

    /// Maps an extractor rejection, keeping its status (400, 413, 415, 422 …) and message.
    fn from_rejection(status: StatusCode, message: String) -> ApiError {
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media",
            s if s.is_server_error() => return ApiError::internal("request extraction", message),
            _ => "bad_request",
        };
        ApiError::new(status, code, message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: &self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::from_rejection(rejection.status(), rejection.body_text())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        ApiError::from_rejection(rejection.status(), rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        ApiError::from_rejection(rejection.status(), rejection.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> ApiError {
        ApiError::from_rejection(rejection.status(), rejection.body_text())
    }
}

impl From<MultipartError> for ApiError {
    fn from(error: MultipartError) -> ApiError {
        ApiError::from_rejection(error.status(), error.body_text())
    }
}

/// Maps a query engine error: store errors as [`store_error`] does, visual search being
/// off to 409, other user errors to 400, the rest to a logged 500.
impl From<SearchError> for ApiError {
    fn from(error: SearchError) -> ApiError {
        match error {
            SearchError::Store(store) => store_error(store),
            SearchError::VisualOff(message) => visual_off(&message),
            other if other.is_user_error() => ApiError::bad_request(other.to_string()),
            other => ApiError::internal("query engine", other),
        }
    }
}

/// 409 `visual_search_off`, with why.
pub(crate) fn visual_off(message: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "visual_search_off", message)
}

/// Maps a store error: bad queries to 400 with the parser's message, unknown things to 404,
/// a database that cannot be reached to 503, other user errors to 400, the rest to a
/// logged 500.
pub fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Query(query) => ApiError::bad_query(query.to_string()),
        StoreError::NotFound(message) => ApiError::not_found(message),
        StoreError::Unavailable(reason) => {
            tracing::warn!("the library's database cannot be reached: {reason}");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the library's database cannot be reached; try again in a moment",
            )
        }
        other if other.is_user_error() => ApiError::bad_request(other.to_string()),
        other => ApiError::internal("index", other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn error_body_has_code_and_message() -> Result<(), Box<dyn std::error::Error>> {
        let response = ApiError::bad_query("unknown filter `colour:`").into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let bytes = axum::body::to_bytes(response.into_body(), 4096).await?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)?;
        assert_eq!(value["error"]["code"], "bad_query");
        assert_eq!(value["error"]["message"], "unknown filter `colour:`");
        Ok(())
    }

    #[tokio::test]
    async fn a_database_that_cannot_be_reached_is_a_503_saying_so()
    -> Result<(), Box<dyn std::error::Error>> {
        let reason = "no connection to postgres://rushes@db.internal:5432/library".to_string();
        let response = store_error(StoreError::Unavailable(reason)).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let bytes = axum::body::to_bytes(response.into_body(), 4096).await?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)?;
        assert_eq!(value["error"]["code"], "unavailable");
        let message = value["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("cannot be reached"), "{message}");
        assert!(
            !message.contains("db.internal"),
            "no detail leaks: {message}"
        );
        Ok(())
    }

    #[tokio::test]
    async fn internal_errors_do_not_leak_details() -> Result<(), Box<dyn std::error::Error>> {
        let response =
            ApiError::internal("reading catalog", "/secret/path: disk on fire").into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = axum::body::to_bytes(response.into_body(), 4096).await?;
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("secret"), "{text}");
        Ok(())
    }
}
