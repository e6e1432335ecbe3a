//! A small connection pool: the seams are `&self + Sync` and `postgres::Client` wants
//! `&mut self`, so each call takes a connection of its own and gives it back when done.
//! Connections are made on demand from the library's URL; a broken one is not kept. Each
//! connection keeps the statements prepared on it by [`Pooled::query_prepared`] (a query's
//! parse and plan once per connection, then one round trip a run).

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard};

use postgres::types::ToSql;
use postgres::{Client, Row, Statement};

use crate::PostgresError;

/// Idle connections kept for reuse (more may be open at once; the extra ones close).
const KEEP_IDLE: usize = 4;
/// Statements kept prepared per connection (then all forgotten and prepared again).
const KEEP_PREPARED: usize = 64;

/// A connection with the statements prepared on it, by SQL text.
struct Connection {
    client: Client,
    prepared: HashMap<String, Statement>,
}

/// Cheap to clone: the clones share the idle connections.
#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    url: String,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    /// A pool for the library at `url`, migrated on the first connection ([`crate::open`]).
    pub fn open(url: &str) -> Result<Pool, PostgresError> {
        let first = crate::open(url)?;
        Ok(Pool {
            shared: Arc::new(Shared {
                url: url.to_string(),
                idle: Mutex::new(vec![Connection {
                    client: first,
                    prepared: HashMap::new(),
                }]),
            }),
        })
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        // A panic while holding the lock leaves only a list of connections behind: use it.
        self.shared
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A connection, idle or new.
    pub fn get(&self) -> Result<Pooled, PostgresError> {
        let reused = self.idle().pop().filter(|idle| !idle.client.is_closed());
        let connection = match reused {
            Some(connection) => connection,
            None => Connection {
                client: crate::connect(&self.shared.url)?,
                prepared: HashMap::new(),
            },
        };
        Ok(Pooled {
            pool: self.clone(),
            connection: Some(connection),
        })
    }
}

/// A connection taken from a [`Pool`]; back to it when dropped.
pub struct Pooled {
    pool: Pool,
    connection: Option<Connection>,
}

impl Pooled {
    /// Closes the connection instead of giving it back (its state is unknown).
    pub fn discard(mut self) {
        self.connection.take();
    }

    fn connection(&mut self) -> &mut Connection {
        self.connection
            .as_mut()
            .expect("a pooled connection is present until dropped")
    }

    /// Runs `sql` as a statement prepared once on this connection. A failure forgets every
    /// statement prepared here (one made stale by a schema change is prepared again).
    pub fn query_prepared(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error> {
        let connection = self.connection();
        let statement = match connection.prepared.get(sql) {
            Some(statement) => statement.clone(),
            None => {
                let statement = connection.client.prepare(sql)?;
                if connection.prepared.len() >= KEEP_PREPARED {
                    connection.prepared.clear();
                }
                connection
                    .prepared
                    .insert(sql.to_string(), statement.clone());
                statement
            }
        };
        let rows = connection.client.query(&statement, params);
        if rows.is_err() {
            connection.prepared.clear();
        }
        rows
    }
}

/// Starts a read-only `REPEATABLE READ` transaction on `client`: one view of the library for
/// every statement in it.
pub(crate) fn read_only_view(
    client: &mut Client,
) -> Result<postgres::Transaction<'_>, postgres::Error> {
    client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
}

impl Deref for Pooled {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self
            .connection
            .as_ref()
            .expect("a pooled connection is present until dropped")
            .client
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.connection().client
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        if connection.client.is_closed() {
            return;
        }
        let mut idle = self.pool.idle();
        if idle.len() < KEEP_IDLE {
            idle.push(connection);
        }
    }
}
