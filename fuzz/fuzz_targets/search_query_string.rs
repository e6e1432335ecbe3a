//! Fuzzes the query string of `GET /api/search` through the whole router, on an empty
//! index made once per fuzzing process.
#![no_main]

use std::sync::OnceLock;

#[path = "../../crates/rushes-server/tests/it/fuzz_checks.rs"]
#[allow(dead_code)]
mod fuzz_checks;

struct Server {
    _index: tempfile::TempDir,
    state: rushes_server::AppState,
    runtime: tokio::runtime::Runtime,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let index = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
        let store = rushes_store::Index::open(index.path(), rushes_store::OpenMode::ReadWrite)
            .unwrap_or_else(|error| panic!("empty index: {error}"));
        store
            .commit()
            .unwrap_or_else(|error| panic!("commit: {error}"));
        drop(store);
        let state = rushes_server::AppState::new(
            index.path().to_path_buf(),
            rushes_server::ServerConfig::default(),
        )
        .unwrap_or_else(|error| panic!("server state: {error}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|error| panic!("runtime: {error}"));
        Server {
            _index: index,
            state,
            runtime,
        }
    })
}

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let server = server();
    server
        .runtime
        .block_on(fuzz_checks::check_search_query_string(&server.state, bytes));
});
