//! Storage on SQLite (the default: one file, no set-up) or PostgreSQL (production, several
//! nodes), chosen by the database URL.
//!
//! Both backends use their native sqlx driver and native column types (PostgreSQL `uuid` and
//! `timestamptz`, SQLite blobs and text), never sqlx's runtime-generic `Any` driver, which
//! decodes neither well. The SQL itself is written once: it sticks to what both dialects share
//! (`$n` placeholders, `RETURNING`, `ON CONFLICT`, partial indexes, no database clock — time is
//! always passed in), and [`on_pool!`] expands each query for both drivers so the compiler
//! checks the bindings and row types against each. Schemas live in `migrations/sqlite` and
//! `migrations/postgres`, one twin per migration. The whole test suite runs on both.

pub mod account_requests;
pub mod actions;
pub mod audit;
pub mod cases;
pub mod escalations;
pub mod facts;
pub mod figures;
pub mod hosts;
pub mod invites;
pub mod meetings;
pub mod models;
pub mod notifications;
pub mod obstacles;
pub mod sessions;
pub mod settings;
pub mod users;

use crate::secret::Secret;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// The pool's connections now.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    pub size: u32,
    pub idle: usize,
}

/// A connection pool of one of the two backends.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same code against whichever pool the store holds. Inside, `$pool` is the concrete
/// pool, so each arm is type-checked against its own driver.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::storage::Pool::Sqlite($pool) => $body,
            $crate::storage::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Starting a transaction that will write. On SQLite the write lock is taken at `BEGIN`
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and then writes can fail with
/// `SQLITE_BUSY` instead of waiting for the lock.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("unsupported database URL: use sqlite://… or postgres://…")]
    UnsupportedUrl,
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The application's data, on SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: Pool,
}

impl Store {
    /// Connects to the database the URL names and brings its schema up to date.
    pub async fn open(url: &Secret) -> Result<Store, OpenError> {
        let url = url.expose();
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool =
                PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
            Pool::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
            Pool::Sqlite(pool)
        } else {
            return Err(OpenError::UnsupportedUrl);
        };
        let store = Store { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            Pool::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
    }

    /// Waits for open connections to finish and closes the pool.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    /// How many connections the pool holds, and how many of them are idle (for metrics).
    pub fn pool_state(&self) -> PoolState {
        on_pool!(self, pool => PoolState { size: pool.size(), idle: pool.num_idle() })
    }

    /// A cheap round trip, for health checks.
    /// Whether this store is PostgreSQL (several nodes need it).
    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))
    }
}
