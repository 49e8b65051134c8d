//! What the nodes of a region share, counted while the harness runs: the messages they publish
//! on NATS under their prefix (`--nats-url`, `--nats-prefix`), and the activity of their
//! PostgreSQL database (`--database-url`, from `pg_stat_database`). The capacity model
//! (docs/capacity.md) takes its per-conference figures for the two from here.

use crate::Options;
use futures_util::StreamExt;
use serde::Serialize;
use sqlx::Connection;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

/// The shared services the run was told about; each part is absent when it was not.
pub struct Shared {
    nats: Option<NatsCounter>,
    postgres: Option<sqlx::PgConnection>,
}

/// The counters at one moment.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    nats: NatsCounts,
    postgres: Option<Activity>,
}

impl Shared {
    /// Subscribes to the nodes' subjects and connects to their database, as the options say.
    pub async fn connect(options: &Options) -> Result<Shared, String> {
        let nats = match (&options.nats_url, &options.nats_prefix) {
            (Some(url), Some(prefix)) => Some(NatsCounter::start(url, prefix).await?),
            _ => None,
        };
        let postgres = match &options.database_url {
            Some(url) if url.starts_with("postgres") => Some(
                sqlx::PgConnection::connect(url)
                    .await
                    .map_err(|e| format!("--database-url: cannot connect for its statistics: {e}"))?,
            ),
            _ => None,
        };
        Ok(Shared { nats, postgres })
    }

    /// The counters now. The database's own figures trail by up to a second or so: each server
    /// connection reports its counts at the end of a transaction at most once a second.
    pub async fn counts(&mut self) -> Result<Counts, String> {
        let postgres = match &mut self.postgres {
            Some(conn) => Some(Activity::read(conn).await?),
            None => None,
        };
        let nats = self.nats.as_ref().map(NatsCounter::counts).unwrap_or_default();
        Ok(Counts { nats, postgres })
    }

    /// What the window (`before` → `after`, `seconds` long) carried, per second, and what the
    /// setup and joins before it (`start` → `before`) carried in all.
    pub fn traffic(
        &self,
        start: &Counts,
        before: &Counts,
        after: &Counts,
        seconds: f64,
    ) -> (Option<NatsTraffic>, Option<PostgresActivity>) {
        let nats = self.nats.as_ref().map(|counter| {
            let total = |counts: &NatsCounts| {
                counts.values().fold((0, 0), |(m, b), &(messages, bytes)| (m + messages, b + bytes))
            };
            let subjects: Vec<SubjectTraffic> = after
                .nats
                .iter()
                .map(|(subject, &(messages, bytes))| {
                    let (m0, b0) = before.nats.get(subject).copied().unwrap_or_default();
                    SubjectTraffic {
                        subject: subject.clone(),
                        messages_per_second: (messages - m0) as f64 / seconds,
                        bytes_per_second: (bytes - b0) as f64 / seconds,
                    }
                })
                .filter(|s| s.messages_per_second > 0.0)
                .collect();
            let ((m0, b0), (m1, b1)) = (total(&start.nats), total(&before.nats));
            NatsTraffic {
                prefix: counter.prefix.clone(),
                // Folded from +0.0: an empty float sum is -0.0, which a table shows as "-0".
                messages_per_second: subjects.iter().fold(0.0, |sum, s| sum + s.messages_per_second),
                bytes_per_second: subjects.iter().fold(0.0, |sum, s| sum + s.bytes_per_second),
                subjects,
                setup_messages: m1 - m0,
                setup_bytes: b1 - b0,
            }
        });
        let postgres = match (&start.postgres, &before.postgres, &after.postgres) {
            (Some(s), Some(b), Some(a)) => Some(PostgresActivity::of(s, b, a, seconds)),
            _ => None,
        };
        (nats, postgres)
    }
}

/// Counts every message published under a prefix, by kind of subject.
struct NatsCounter {
    prefix: String,
    counts: Arc<Mutex<NatsCounts>>,
    task: JoinHandle<()>,
}

impl NatsCounter {
    async fn start(url: &str, prefix: &str) -> Result<NatsCounter, String> {
        let client = async_nats::connect(url).await.map_err(|e| format!("--nats-url: {e}"))?;
        let mut messages =
            client.subscribe(format!("{prefix}.>")).await.map_err(|e| format!("--nats-prefix {prefix}: {e}"))?;
        // The subscription is in place once the server has seen it; a flush waits for that.
        client.flush().await.map_err(|e| format!("--nats-url: {e}"))?;
        let counts = Arc::new(Mutex::new(NatsCounts::new()));
        let task = {
            let (counts, prefix) = (counts.clone(), prefix.to_owned());
            tokio::spawn(async move {
                // The client lives as long as the subscription reads.
                let _client = client;
                while let Some(message) = messages.next().await {
                    let kind = subject_kind(&prefix, &message.subject);
                    let mut counts = counts.lock().expect("the counter never panics while holding the lock");
                    let entry = counts.entry(kind).or_default();
                    entry.0 += 1;
                    entry.1 += message.payload.len() as u64;
                }
            })
        };
        Ok(NatsCounter { prefix: prefix.to_owned(), counts, task })
    }

    fn counts(&self) -> NatsCounts {
        self.counts.lock().expect("the counter never panics while holding the lock").clone()
    }
}

impl Drop for NatsCounter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A subject without the prefix and with the names of nodes and connections in it replaced by
/// `*` (`conn.<uuid>.up` → `conn.*.up`), so that messages of one kind are counted together.
pub fn subject_kind(prefix: &str, subject: &str) -> String {
    let rest = subject.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')).unwrap_or(subject);
    let words: Vec<&str> = rest.split('.').collect();
    match words.as_slice() {
        [first, .., last] if words.len() > 2 => format!("{first}.*.{last}"),
        _ => rest.to_owned(),
    }
}

impl Activity {
    async fn read(conn: &mut sqlx::PgConnection) -> Result<Activity, String> {
        let row: (i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_fetched, tup_returned \
             FROM pg_stat_database WHERE datname = current_database()",
        )
        .fetch_one(conn)
        .await
        .map_err(|e| format!("pg_stat_database: {e}"))?;
        let (commits, rollbacks, inserted, updated, deleted, fetched, returned) = row;
        Ok(Activity { commits, rollbacks, inserted, updated, deleted, fetched, returned })
    }
}

/// Messages and payload bytes per kind of subject (`conn.*.up`), counted since the start.
pub type NatsCounts = BTreeMap<String, (u64, u64)>;

/// What the nodes published on NATS under their prefix.
#[derive(Debug, Serialize)]
pub struct NatsTraffic {
    pub prefix: String,
    /// In the window: full media, nobody joining or leaving.
    pub messages_per_second: f64,
    /// Payload bytes (without NATS's own framing).
    pub bytes_per_second: f64,
    pub subjects: Vec<SubjectTraffic>,
    /// From before the conferences were made until the window: making them, inviting, joining.
    pub setup_messages: u64,
    pub setup_bytes: u64,
}

/// One kind of subject in the window.
#[derive(Debug, Serialize)]
pub struct SubjectTraffic {
    pub subject: String,
    pub messages_per_second: f64,
    pub bytes_per_second: f64,
}

/// PostgreSQL's counters for one database (`pg_stat_database`), or their growth.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Activity {
    /// Transactions committed (every statement outside a transaction is one).
    pub commits: i64,
    pub rollbacks: i64,
    /// Rows inserted, updated, deleted.
    pub inserted: i64,
    pub updated: i64,
    pub deleted: i64,
    /// Rows fetched by index scans, and returned by every scan.
    pub fetched: i64,
    pub returned: i64,
}

impl Activity {
    fn since(&self, earlier: &Activity) -> Activity {
        Activity {
            commits: self.commits - earlier.commits,
            rollbacks: self.rollbacks - earlier.rollbacks,
            inserted: self.inserted - earlier.inserted,
            updated: self.updated - earlier.updated,
            deleted: self.deleted - earlier.deleted,
            fetched: self.fetched - earlier.fetched,
            returned: self.returned - earlier.returned,
        }
    }
}

/// What the database did: per second in the window, and in all during setup and joins.
#[derive(Debug, Serialize)]
pub struct PostgresActivity {
    pub commits_per_second: f64,
    pub rollbacks_per_second: f64,
    pub inserted_per_second: f64,
    pub updated_per_second: f64,
    pub deleted_per_second: f64,
    pub fetched_per_second: f64,
    pub returned_per_second: f64,
    /// From before the conferences were made until the window (this harness's own readings
    /// are two of the commits).
    pub setup: Activity,
}

impl PostgresActivity {
    /// From readings at the start, at the window's start and at its end.
    pub fn of(start: &Activity, before: &Activity, after: &Activity, seconds: f64) -> PostgresActivity {
        let window = after.since(before);
        let rate = |n: i64| n as f64 / seconds;
        PostgresActivity {
            commits_per_second: rate(window.commits),
            rollbacks_per_second: rate(window.rollbacks),
            inserted_per_second: rate(window.inserted),
            updated_per_second: rate(window.updated),
            deleted_per_second: rate(window.deleted),
            fetched_per_second: rate(window.fetched),
            returned_per_second: rate(window.returned),
            setup: before.since(start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_of_one_kind_are_counted_together() {
        let prefix = "kt-load-1";
        assert_eq!(subject_kind(prefix, "kt-load-1.events.case"), "events.case");
        assert_eq!(subject_kind(prefix, "kt-load-1.node.node2.alive"), "node.*.alive");
        assert_eq!(subject_kind(prefix, "kt-load-1.conn.0b1c7e2a-5a63-4f4e-9a55-1f0a5e7c3d21.down"), "conn.*.down");
        assert_eq!(subject_kind(prefix, "elsewhere.thing"), "elsewhere.thing");
    }
}
