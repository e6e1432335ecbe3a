//! One user journey on both engines: a test body taking a [`Backend`] runs twice through
//! [`on_both_backends!`] (`name::local`, `name::postgres`), with `--index` naming a folder
//! or a fresh database of rushes-testkit's PostgreSQL server ([`library_at`]).

use std::path::{Path, PathBuf};

use rushes_testkit::postgres::shared_server;

pub use rushes_testkit::Backend;

/// Runs each named `fn name(backend: Backend)` as two tests, `name::local` and
/// `name::postgres`, so a failure says which engine it was on.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn local() {
                super::$name($crate::backends::Backend::Local)
            }
            #[test]
            fn postgres() {
                super::$name($crate::backends::Backend::Postgres)
            }
        }
    )*};
}
pub(crate) use on_both_backends;

/// What `--index` is given on `backend`: `folder` (made by the first `rushes index`), or
/// the URL of a fresh database. Either goes wherever the tests pass an index path.
pub fn library_at(backend: Backend, folder: &Path) -> PathBuf {
    match backend {
        Backend::Local => folder.to_path_buf(),
        Backend::Postgres => PathBuf::from(
            shared_server()
                .and_then(|server| server.fresh_database())
                .expect("a fresh database"),
        ),
    }
}
