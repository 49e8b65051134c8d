//! The two migration folders are twins: after all migrations, SQLite and PostgreSQL have the
//! same tables, columns (type, nullability), indexes and foreign keys.
//!
//! SQLite's declared types are coarser than PostgreSQL's, so each PostgreSQL type is compared
//! with the SQLite type it is stored as: `uuid` and `bytea` as `BLOB`; `text`, `timestamptz` and
//! `date` as `TEXT` (a timestamp column that is text on one side and text on the other cannot be
//! told apart here; the round-trip tests catch that). Integers keep their width: SQLite's
//! `INTEGER` is 64 bits, so its twin is `bigint`, not the 32-bit `integer`. CHECK constraints and
//! defaults are not compared.

use crate::helpers::{Backend, TestDb};
use sqlx::Connection;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A column type in the vocabulary both backends share.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// SQLite `BLOB`; PostgreSQL `uuid` or `bytea`.
    Bytes,
    /// SQLite `TEXT`; PostgreSQL `text`, `timestamptz` or `date`.
    Text,
    /// SQLite `INTEGER`; PostgreSQL `bigint`.
    Int64,
    /// PostgreSQL `integer`, which has no SQLite twin.
    Int32,
    Bool,
    /// Anything else, by its own name: always a difference worth a look.
    Other(String),
}

impl Kind {
    fn sqlite(declared: &str) -> Kind {
        match declared.to_ascii_uppercase().as_str() {
            "BLOB" => Kind::Bytes,
            "TEXT" => Kind::Text,
            "INTEGER" => Kind::Int64,
            "BOOLEAN" => Kind::Bool,
            other => Kind::Other(format!("sqlite {other}")),
        }
    }

    fn postgres(data_type: &str) -> Kind {
        match data_type {
            "uuid" | "bytea" => Kind::Bytes,
            "text" | "timestamp with time zone" | "date" => Kind::Text,
            "bigint" => Kind::Int64,
            "integer" => Kind::Int32,
            "boolean" => Kind::Bool,
            other => Kind::Other(format!("postgres {other}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    kind: Kind,
    nullable: bool,
}

/// An index by what it does. Named indexes (`CREATE INDEX`) are compared by name; indexes behind
/// a PRIMARY KEY or UNIQUE constraint get generated names that differ per backend
/// (`sqlite_autoindex_organisation_1`, `organisation_pkey`), so they are compared by this alone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    table: String,
    columns: Vec<String>,
    unique: bool,
    /// Has a `WHERE` clause (the predicate itself is not compared).
    partial: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ForeignKey {
    table: String,
    column: String,
    target: String,
    on_delete: String,
}

#[derive(Debug, Default)]
struct Schema {
    tables: BTreeSet<String>,
    /// By (table, column).
    columns: BTreeMap<(String, String), Column>,
    named_indexes: BTreeMap<String, Index>,
    constraint_indexes: BTreeSet<Index>,
    foreign_keys: BTreeSet<ForeignKey>,
}

/// The bookkeeping table of `sqlx::migrate!`, not part of our schema.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

async fn sqlite_schema(url: &str) -> Schema {
    let mut conn = sqlx::SqliteConnection::connect(url).await.expect("the SQLite database opens");
    let mut schema = Schema::default();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> $1",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(&mut conn)
    .await
    .expect("sqlite_master reads");
    for table in tables {
        let columns: Vec<(String, String, i64, i64)> =
            sqlx::query_as(r#"SELECT name, type, "notnull", pk FROM pragma_table_info($1)"#)
                .bind(&table)
                .fetch_all(&mut conn)
                .await
                .expect("pragma_table_info reads");
        for (name, declared, not_null, pk) in columns {
            // SQLite lets a PRIMARY KEY column of an ordinary (rowid) table hold NULL, a quirk
            // it keeps for compatibility; PostgreSQL makes it NOT NULL. Accepted, not mended:
            // every key the store writes is a `Uuid`, never NULL, and mending it would mean
            // rebuilding every SQLite table.
            let nullable = not_null == 0 && pk == 0;
            schema.columns.insert((table.clone(), name), Column { kind: Kind::sqlite(&declared), nullable });
        }
        let indexes: Vec<(String, bool, String, bool)> =
            sqlx::query_as(r#"SELECT name, "unique", origin, partial FROM pragma_index_list($1)"#)
                .bind(&table)
                .fetch_all(&mut conn)
                .await
                .expect("pragma_index_list reads");
        for (name, unique, origin, partial) in indexes {
            let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&name)
                .fetch_all(&mut conn)
                .await
                .expect("pragma_index_info reads");
            let index = Index { table: table.clone(), columns, unique, partial };
            if origin == "c" {
                schema.named_indexes.insert(name, index);
            } else {
                schema.constraint_indexes.insert(index);
            }
        }
        let keys: Vec<(String, String, String)> =
            sqlx::query_as(r#"SELECT "from", "table", on_delete FROM pragma_foreign_key_list($1)"#)
                .bind(&table)
                .fetch_all(&mut conn)
                .await
                .expect("pragma_foreign_key_list reads");
        for (column, target, on_delete) in keys {
            schema.foreign_keys.insert(ForeignKey { table: table.clone(), column, target, on_delete });
        }
        schema.tables.insert(table);
    }
    schema
}

async fn postgres_schema(url: &str) -> Schema {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("the PostgreSQL database opens");
    let mut schema = Schema::default();
    let columns: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> $1",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(&mut conn)
    .await
    .expect("information_schema.columns reads");
    for (table, column, data_type, nullable) in columns {
        schema.tables.insert(table.clone());
        let column_def = Column { kind: Kind::postgres(&data_type), nullable: nullable == "YES" };
        schema.columns.insert((table, column), column_def);
    }
    // pg_index rather than pg_indexes: it says which index backs a constraint, and gives the
    // columns and the predicate as data instead of as a CREATE INDEX statement.
    let indexes: Vec<(String, String, Vec<String>, bool, bool, bool)> = sqlx::query_as(
        "SELECT t.relname::text, i.relname::text, \
             ARRAY(SELECT a.attname::text FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord), \
             ix.indisunique, ix.indpred IS NOT NULL, \
             EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.contype IN ('p', 'u')) \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND t.relname <> $1",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(&mut conn)
    .await
    .expect("pg_index reads");
    for (table, name, columns, unique, partial, from_constraint) in indexes {
        let index = Index { table, columns, unique, partial };
        if from_constraint {
            schema.constraint_indexes.insert(index);
        } else {
            schema.named_indexes.insert(name, index);
        }
    }
    let keys: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT t.relname::text, a.attname::text, f.relname::text, \
             CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' \
                  WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END \
         FROM pg_constraint c \
         JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_class f ON f.oid = c.confrelid \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) \
         WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace",
    )
    .fetch_all(&mut conn)
    .await
    .expect("pg_constraint reads");
    for (table, column, target, on_delete) in keys {
        schema.foreign_keys.insert(ForeignKey { table, column, target, on_delete });
    }
    schema
}

/// Every way `sqlite` and `postgres` differ, one line each.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for table in sqlite.tables.symmetric_difference(&postgres.tables) {
        out.push(format!("table {table}: only on {}", side(sqlite.tables.contains(table))));
    }
    let columns: BTreeSet<_> = sqlite.columns.keys().chain(postgres.columns.keys()).collect();
    for key @ (table, column) in columns {
        match (sqlite.columns.get(key), postgres.columns.get(key)) {
            (Some(s), Some(p)) if s != p => {
                out.push(format!("column {table}.{column}: SQLite {s:?}, PostgreSQL {p:?}"))
            }
            (Some(_), None) | (None, Some(_)) => {
                out.push(format!("column {table}.{column}: only on {}", side(sqlite.columns.contains_key(key))))
            }
            _ => {}
        }
    }
    let names: BTreeSet<_> = sqlite.named_indexes.keys().chain(postgres.named_indexes.keys()).collect();
    for name in names {
        match (sqlite.named_indexes.get(name), postgres.named_indexes.get(name)) {
            (Some(s), Some(p)) if s != p => out.push(format!("index {name}: SQLite {s:?}, PostgreSQL {p:?}")),
            (Some(_), None) | (None, Some(_)) => {
                out.push(format!("index {name}: only on {}", side(sqlite.named_indexes.contains_key(name))))
            }
            _ => {}
        }
    }
    for index in sqlite.constraint_indexes.symmetric_difference(&postgres.constraint_indexes) {
        out.push(format!("key {index:?}: only on {}", side(sqlite.constraint_indexes.contains(index))));
    }
    for key in sqlite.foreign_keys.symmetric_difference(&postgres.foreign_keys) {
        out.push(format!("foreign key {key:?}: only on {}", side(sqlite.foreign_keys.contains(key))));
    }
    out
}

fn side(on_sqlite: bool) -> &'static str {
    if on_sqlite { "SQLite" } else { "PostgreSQL" }
}

fn migration_files(backend: &str) -> Vec<String> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .expect("the migrations folder exists")
        .map(|entry| entry.expect("a readable entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_two_migration_folders_hold_the_same_file_names() {
    let (sqlite, postgres) = (migration_files("sqlite"), migration_files("postgres"));

    assert!(!sqlite.is_empty(), "no migrations found");
    assert_eq!(sqlite, postgres);
}

#[tokio::test]
async fn the_sqlite_and_postgresql_migrations_define_the_same_schema() {
    let (sqlite_db, postgres_db) = (TestDb::create(Backend::Sqlite).await, TestDb::create(Backend::Postgres).await);
    sqlite_db.open().await.close().await;
    postgres_db.open().await.close().await;

    let sqlite = sqlite_schema(&sqlite_db.url).await;
    let postgres = postgres_schema(&postgres_db.url).await;

    assert!(sqlite.tables.len() >= 18, "the SQLite schema was not read: {:?}", sqlite.tables);
    let read =
        |s: &Schema| !s.named_indexes.is_empty() && !s.constraint_indexes.is_empty() && !s.foreign_keys.is_empty();
    assert!(read(&sqlite) && read(&postgres), "indexes or keys were not read");
    let found = differences(&sqlite, &postgres);
    assert!(found.is_empty(), "the migrations differ:\n{}", found.join("\n"));
}
