//! A fresh database per test, the macro that runs one test body on both backends, and the small
//! world most tests start from (two organisations, a casemanager, a partner, a case, a meeting).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use ketentafel::domain::{OrganisationKind, Role};
use ketentafel::secret::Secret;
use ketentafel::storage::Store;
use ketentafel::storage::audit::{Actor, NewAudit};
use ketentafel::storage::cases::{NewCase, NewMember};
use ketentafel::storage::meetings::NewMeeting;
use ketentafel::storage::models::{Case, Meeting, Organisation, User};
use ketentafel::storage::users::NewUser;
use uuid::Uuid;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates a module with one test per backend from one async body taking a fresh [`Store`].
#[macro_export]
macro_rules! on_both_backends {
    ($(#[$meta:meta])* async fn $name:ident($store:ident: Store) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(#[$meta])*
            async fn run($store: ketentafel::storage::Store) $body

            #[tokio::test]
            async fn sqlite() {
                $crate::helpers::run_on($crate::helpers::Backend::Sqlite, run).await;
            }

            #[tokio::test]
            async fn postgres() {
                $crate::helpers::run_on($crate::helpers::Backend::Postgres, run).await;
            }
        }
    };
}

/// Runs `body` on a store over a fresh database of `backend`, then closes it; the database is
/// removed afterwards, also when the body panics.
pub async fn run_on<F: Future<Output = ()>>(backend: Backend, body: impl FnOnce(Store) -> F) {
    let db = TestDb::create(backend).await;
    let store = db.open().await;
    body(store.clone()).await;
    store.close().await;
}

/// The server every PostgreSQL test database is created on.
fn postgres_admin_url() -> String {
    std::env::var("KETENTAFEL_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test: a SQLite file in a temporary folder, or a PostgreSQL
/// database that is dropped when this value is.
pub struct TestDb {
    pub url: String,
    /// The PostgreSQL database to drop; `None` on SQLite.
    postgres_name: Option<String>,
    /// Holds the SQLite folder until the test ends.
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn create(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temp dir can be created");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("storage.db").display());
                TestDb { url, postgres_name: None, _dir: Some(dir) }
            }
            Backend::Postgres => {
                let name = format!("t_{}", Uuid::new_v4().simple());
                admin_execute(&format!("CREATE DATABASE {name}")).await.expect("the test database can be created");
                let admin = postgres_admin_url();
                let url = format!("{}/{name}", admin.rsplit_once('/').expect("the admin URL names a database").0);
                TestDb { url, postgres_name: Some(name), _dir: None }
            }
        }
    }

    /// Opens the store on this database, which applies every migration.
    pub async fn open(&self) -> Store {
        Store::open(&Secret::new(self.url.clone())).await.expect("the store opens and migrates")
    }
}

async fn admin_execute(sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .expect("PostgreSQL runs on 127.0.0.1:5432 (see TESTING.md)");
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut admin).await.map(drop)
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else { return };
        // Drop may run inside the test's runtime, which must not be blocked: use a thread with
        // a runtime of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime starts");
            let _ = runtime.block_on(admin_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")));
        })
        .join();
    }
}

/// A moment with microseconds, the finest precision both backends keep.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).single().expect("a valid moment") + Duration::microseconds(123_456)
}

/// An audit row by a system actor about `case_id` (if any) and `subject` (if any).
pub fn audit(action: &'static str, case_id: Option<Uuid>, subject: Option<(&'static str, Uuid)>) -> NewAudit {
    NewAudit { at: t0(), actor: Actor::system("storage test"), action, case_id, subject, detail: None }
}

/// What most tests start from.
pub struct World {
    pub prison: Organisation,
    pub municipality: Organisation,
    pub casemanager: User,
    pub partner: User,
    pub case: Case,
    pub meeting: Meeting,
}

impl World {
    /// A prison with a casemanager, a municipality with a partner, a case the casemanager
    /// opened (on it by name), and a scheduled meeting the casemanager chairs.
    pub async fn build(store: &Store) -> World {
        let now = t0();
        let prison = store.insert_organisation("PI Zwolle", OrganisationKind::Pi, now, None).await.expect("insert");
        let municipality = store
            .insert_organisation("Gemeente Zwolle", OrganisationKind::Municipality, now, None)
            .await
            .expect("insert");
        let casemanager = store.insert_user(&new_user(&prison, "Cas Manager", Role::Casemanager), now, None).await;
        let partner = store.insert_user(&new_user(&municipality, "Pam Partner", Role::Partner), now, None).await;
        let (casemanager, partner) = (casemanager.expect("insert"), partner.expect("insert"));
        let new_case = NewCase {
            client_pseudonym: "Client K.".into(),
            prison_id: prison.id,
            detention_start: date(2026, 6, 1),
            expected_release: date(2027, 3, 1),
            municipality_id: municipality.id,
            created_by: casemanager.id,
        };
        let creator = NewMember { organisation_id: prison.id, user_id: Some(casemanager.id), added_by: None };
        let case_id = Uuid::now_v7();
        let case = store
            .insert_case(&new_case, &[creator], now, &audit("case.create", Some(case_id), None))
            .await
            .expect("the case is stored");
        let meeting = store
            .insert_meeting(
                &new_meeting(&case, &casemanager),
                chrono::Duration::minutes(60),
                now,
                &audit("meeting.create", Some(case.id), None),
            )
            .await
            .expect("the meeting is stored")
            .expect("the first meeting of a case overlaps nothing");
        World { prison, municipality, casemanager, partner, case, meeting }
    }
}

pub fn new_user(organisation: &Organisation, name: &str, role: Role) -> NewUser {
    NewUser {
        organisation_id: organisation.id,
        name: name.into(),
        email: format!("{}@example.org", name.to_lowercase().replace(' ', ".")),
        role,
        password_hash: "$argon2id$not-a-real-hash".into(),
        password_change_required: false,
    }
}

pub fn new_meeting(case: &Case, chair: &User) -> NewMeeting {
    NewMeeting {
        case_id: case.id,
        scheduled_at: t0() + Duration::days(7),
        purpose: "Eerste casusoverleg".into(),
        chair_id: chair.id,
        partners_may_edit: true,
        created_by: chair.id,
    }
}

pub fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid date")
}

/// A final record with `content`, a hash and a small stand-in PDF (the storage keeps bytes; what
/// a real PDF looks like is the API tests' business).
pub fn record(content: &str) -> ketentafel::storage::meetings::FinalRecord {
    ketentafel::storage::meetings::FinalRecord {
        content: content.to_owned(),
        content_sha256: Some(format!("sha-of-{content}")),
        pdf: Some(format!("%PDF-1.4 {content}").into_bytes()),
    }
}
