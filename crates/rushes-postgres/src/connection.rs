//! Connecting to PostgreSQL: whether an `--index` value is a `postgres://` URL, connecting
//! to it, bringing its schema up to date, and the URL without its password for messages.

use postgres::Client;

use crate::PostgresError;
use crate::schema;

/// Whether `location` (an `--index` value) names a PostgreSQL database rather than a folder.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// Connects to the database at `url` (`postgres://user:password@host:port/database`, or
/// with `?host=/run/postgresql` for a unix socket). Errors name the URL without its password.
pub fn connect(url: &str) -> Result<Client, PostgresError> {
    if !is_postgres_url(url) {
        return Err(PostgresError::BadUrl {
            url: without_password(url),
        });
    }
    let config: postgres::Config = url.parse().map_err(|_| PostgresError::BadUrl {
        url: without_password(url),
    })?;
    config
        .connect(postgres::NoTls)
        .map_err(|source| PostgresError::Connect {
            url: without_password(url),
            source,
        })
}

/// Connects to `url` and brings its schema up to date ([`schema::migrate`]).
pub fn open(url: &str) -> Result<Client, PostgresError> {
    let mut client = connect(url)?;
    schema::migrate(&mut client)?;
    Ok(client)
}

/// `url` with the password, if any, replaced by `***` (for messages and logs).
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    match rest[..at].split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_never_show_the_password() {
        assert_eq!(
            without_password("postgres://rushes:s3cret@db.lan:5432/library"),
            "postgres://rushes:***@db.lan:5432/library"
        );
        assert_eq!(
            without_password("postgres://rushes@db.lan/library"),
            "postgres://rushes@db.lan/library"
        );
        let error = connect("postgres://rushes:s3cret@127.0.0.1:1/library")
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(
            error.starts_with("cannot connect to postgres://rushes:***@127.0.0.1:1/library"),
            "{error}"
        );
        assert!(!error.contains("s3cret"), "{error}");
    }

    #[test]
    fn a_folder_is_not_a_database_url() {
        assert!(is_postgres_url("postgresql://host/db"));
        assert!(!is_postgres_url("./index"));
        assert!(matches!(
            connect("./index"),
            Err(PostgresError::BadUrl { .. })
        ));
    }
}
