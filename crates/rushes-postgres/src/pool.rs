//! A small connection pool: the seams are `&self + Sync` and `postgres::Client` wants
//! `&mut self`, so each call takes a connection of its own and gives it back when done.
//! Connections are made on demand from the library's URL; a broken one is not kept.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard};

use postgres::Client;

use crate::PostgresError;

/// Idle connections kept for reuse (more may be open at once; the extra ones close).
const KEEP_IDLE: usize = 4;

/// Cheap to clone: the clones share the idle connections.
#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    url: String,
    idle: Mutex<Vec<Client>>,
}

impl Pool {
    /// A pool for the library at `url`, migrated on the first connection ([`crate::open`]).
    pub fn open(url: &str) -> Result<Pool, PostgresError> {
        let first = crate::open(url)?;
        Ok(Pool {
            shared: Arc::new(Shared {
                url: url.to_string(),
                idle: Mutex::new(vec![first]),
            }),
        })
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Client>> {
        // A panic while holding the lock leaves only a list of connections behind: use it.
        self.shared
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A connection, idle or new.
    pub fn get(&self) -> Result<Pooled, PostgresError> {
        let reused = self.idle().pop().filter(|client| !client.is_closed());
        let client = match reused {
            Some(client) => client,
            None => crate::connect(&self.shared.url)?,
        };
        Ok(Pooled {
            pool: self.clone(),
            client: Some(client),
        })
    }
}

/// A connection taken from a [`Pool`]; back to it when dropped.
pub struct Pooled {
    pool: Pool,
    client: Option<Client>,
}

impl Pooled {
    /// Closes the connection instead of giving it back (its state is unknown).
    pub fn discard(mut self) {
        self.client.take();
    }
}

impl Deref for Pooled {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client
            .as_ref()
            .expect("a pooled connection is present until dropped")
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .expect("a pooled connection is present until dropped")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if client.is_closed() {
            return;
        }
        let mut idle = self.pool.idle();
        if idle.len() < KEEP_IDLE {
            idle.push(client);
        }
    }
}
