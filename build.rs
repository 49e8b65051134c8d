//! Rebuilds the crate when a migration is added. `sqlx::migrate!` embeds the migration files at
//! compile time and the compiler only watches the files that existed then, so a new file in
//! `migrations/` would otherwise go unnoticed until something in `src/` changed (sqlx's
//! documentation of `migrate!` recommends exactly this script).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
