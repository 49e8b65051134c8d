//! Small service-wide values kept in the database, so every node sharing it agrees on them.

use super::{Store, on_pool};

impl Store {
    /// The value stored under `key`; if there is none yet, stores `candidate` first. When several
    /// nodes race, all of them get the one value that won.
    pub async fn setting_or_insert(&self, key: &str, candidate: &str) -> Result<String, sqlx::Error> {
        const INSERT: &str = "INSERT INTO app_setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
        const SELECT: &str = "SELECT value FROM app_setting WHERE key = $1";
        on_pool!(self, pool => {
            sqlx::query(INSERT).bind(key).bind(candidate).execute(pool).await?;
            sqlx::query_scalar(SELECT).bind(key).fetch_one(pool).await
        })
    }

    /// The value stored under `key`, if any.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, sqlx::Error> {
        const SELECT: &str = "SELECT value FROM app_setting WHERE key = $1";
        on_pool!(self, pool => sqlx::query_scalar(SELECT).bind(key).fetch_optional(pool).await)
    }

    /// Stores `value` under `key`, replacing what was there.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), sqlx::Error> {
        const UPSERT: &str = "INSERT INTO app_setting (key, value) VALUES ($1, $2) \
                              ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        on_pool!(self, pool => sqlx::query(UPSERT).bind(key).bind(value).execute(pool).await.map(drop))
    }
}
