//! Starting the real service for a test: on a fresh SQLite file or a fresh PostgreSQL database,
//! on port 0, with the demo workspace and a clock the test can move.

use chrono::{DateTime, Utc};
use ketentafel::app::{self, App};
use ketentafel::clock::ManualClock;
use ketentafel::config::{Config, Secret};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one test per backend from one async test body taking a [`TestApp`].
#[macro_export]
macro_rules! on_both_backends {
    (configure = $configure:expr; $(#[$meta:meta])* async fn $name:ident($app:ident: TestApp) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(#[$meta])*
            async fn run($app: $crate::helpers::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::helpers::TestApp::spawn_with($crate::helpers::Backend::Sqlite, $configure).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::helpers::TestApp::spawn_with($crate::helpers::Backend::Postgres, $configure).await).await;
            }
        }
    };
    ($(#[$meta:meta])* async fn $name:ident($app:ident: TestApp) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(#[$meta])*
            async fn run($app: $crate::helpers::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await).await;
            }
        }
    };
}

/// The server every PostgreSQL test database is created on.
fn postgres_admin_url() -> String {
    std::env::var("KETENTAFEL_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub url: String,
    /// The PostgreSQL database to drop, or the SQLite folder to delete.
    cleanup: Cleanup,
}

enum Cleanup {
    Postgres(String),
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
}

impl TestDb {
    pub async fn create(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temp dir can be created");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("ketentafel.db").display());
                TestDb { url, cleanup: Cleanup::Sqlite(dir) }
            }
            Backend::Postgres => {
                let name = format!("t_{}", Uuid::new_v4().simple());
                let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&postgres_admin_url())
                    .await
                    .expect("PostgreSQL runs on 127.0.0.1:5432 (see TESTING.md)");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("the test database can be created");
                let base = postgres_admin_url();
                let url = format!("{}/{name}", base.rsplit_once('/').expect("the URL names a database").0);
                TestDb { url, cleanup: Cleanup::Postgres(name) }
            }
        }
    }
}

/// A transaction of the test's own that keeps the service from writing the tables a removal
/// writes (it can still read them), until it is released.
pub enum WriteLock {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl TestDb {
    /// Takes the lock: on SQLite the database's write lock, on PostgreSQL an exclusive lock on
    /// the invite and bar tables (plain reads go on).
    pub async fn lock_removals(&self) -> WriteLock {
        use sqlx::Connection;
        if self.url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&self.url).await.expect("the test database opens");
            sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await.expect("the write lock is free");
            WriteLock::Sqlite(conn)
        } else {
            let mut conn = sqlx::PgConnection::connect(&self.url).await.expect("the test database opens");
            sqlx::query("BEGIN").execute(&mut conn).await.expect("a transaction starts");
            sqlx::query("LOCK TABLE invite, meeting_bar IN EXCLUSIVE MODE")
                .execute(&mut conn)
                .await
                .expect("the tables can be locked");
            WriteLock::Postgres(conn)
        }
    }
}

impl WriteLock {
    /// Lets the service write again.
    pub async fn release(self) {
        match self {
            WriteLock::Sqlite(mut conn) => sqlx::query("ROLLBACK").execute(&mut conn).await.map(drop),
            WriteLock::Postgres(mut conn) => sqlx::query("ROLLBACK").execute(&mut conn).await.map(drop),
        }
        .expect("the lock is released");
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres(name) = &self.cleanup {
            let name = name.clone();
            // Drop runs outside any runtime we may block; use a thread with its own.
            let _ = std::thread::spawn(move || {
                let runtime =
                    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime starts");
                runtime.block_on(async move {
                    if let Ok(mut admin) =
                        <sqlx::PgConnection as sqlx::Connection>::connect(&postgres_admin_url()).await
                    {
                        let _ =
                            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                                .execute(&mut admin)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running Ketentafel for one test.
pub struct TestApp {
    pub addr: SocketAddr,
    pub backend: Backend,
    pub clock: ManualClock,
    pub db: Arc<TestDb>,
    /// The configuration before the test's database and clock are put in, kept for restarts.
    config: Config,
    shutdown: CancellationToken,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// A fresh database with the demo workspace, served on a free port. The escalation engine
    /// does not run in the background: tests run it on demand, so they decide when it runs.
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with the configuration changed by `configure` first.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
        // Noon UTC: the Dutch calendar day is the UTC one, whenever the suite runs.
        let noon = Utc::now().date_naive().and_hms_opt(12, 0, 0).expect("noon exists").and_utc();
        TestApp::spawn_at(backend, noon, configure).await
    }

    /// Like [`TestApp::spawn_with`], with the clock at `at` (when the demo is seeded, too).
    pub async fn spawn_at(backend: Backend, at: DateTime<Utc>, configure: impl FnOnce(&mut Config)) -> TestApp {
        let db = Arc::new(TestDb::create(backend).await);
        let clock = ManualClock::at(at);
        let mut config = Config::defaults();
        config.engine_interval_secs = 0;
        // The tests play with the demo's one case; a test that wants the year of history asks.
        config.demo_history = false;
        configure(&mut config);
        TestApp::start(backend, db, clock, config).await
    }

    async fn start(backend: Backend, db: Arc<TestDb>, clock: ManualClock, base: Config) -> TestApp {
        let mut config = base.clone();
        config.database_url = Some(Secret::new(db.url.clone()));
        config.demo = true;
        config.clock = Arc::new(clock.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let shutdown = CancellationToken::new();
        let app: App = app::build(config, listener, shutdown.clone()).await.expect("the service starts");
        let addr = app.local_addr();
        let server = tokio::spawn(app.run());
        TestApp { addr, backend, clock, db, config: base, shutdown, server: Some(server) }
    }

    /// Stops the service and starts it again on the same database.
    pub async fn restart(mut self) -> TestApp {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.expect("the server task ends").expect("the server shuts down cleanly");
        }
        TestApp::start(self.backend, self.db.clone(), self.clock.clone(), self.config.clone()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A browser-like client without a session.
    pub fn anonymous(&self) -> Client {
        Client { http: client(), base: self.url("") }
    }

    /// A browser-like client without a session, on another machine: its requests come from
    /// `address` (any of 127.0.0.0/8 reaches the service on this machine).
    pub fn anonymous_from(&self, address: &str) -> Client {
        let address: std::net::IpAddr = address.parse().expect("a loopback address");
        let http =
            reqwest::Client::builder().cookie_store(true).local_address(address).build().expect("a client builds");
        Client { http, base: self.url("") }
    }

    /// A client logged in as one of the demo accounts.
    pub async fn login(&self, email: &str) -> Client {
        let client = self.anonymous();
        let (status, body) =
            client.post("/api/session", serde_json::json!({ "email": email, "password": "demo" })).await;
        assert_eq!(status, StatusCode::OK, "demo login of {email}: {body}");
        client
    }

    /// The demo case and its scheduled conference, as the casemanager sees them.
    pub async fn demo_case(&self) -> DemoCase {
        let casemanager = self.login(CASEMANAGER).await;
        let (status, cases) = casemanager.get("/api/cases").await;
        assert_eq!(status, StatusCode::OK);
        let case_id = id(&cases[0]);
        let (_, case) = casemanager.get(&format!("/api/cases/{case_id}")).await;
        let meetings = case["meetings"].as_array().expect("meetings is an array");
        let scheduled =
            meetings.iter().find(|m| m["status"] == "scheduled").expect("the demo case has a scheduled conference");
        let organisation = |name: &str| {
            case["members"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["organisation_name"] == name)
                .map(|m| m["organisation_id"].as_str().unwrap().parse::<Uuid>().unwrap())
        };
        DemoCase {
            case_id,
            meeting_id: id(scheduled),
            housing_org: organisation("Woonbron").expect("Woonbron is on the demo case"),
            casemanager,
        }
    }

    /// The id of an organisation, by name.
    pub async fn organisation(&self, name: &str) -> Uuid {
        let (_, orgs) = self.login(CASEMANAGER).await.get("/api/organisations").await;
        orgs.as_array().unwrap().iter().find(|o| o["name"] == name).map(id).unwrap_or_else(|| panic!("no {name}"))
    }

    /// An account made the way it must be: the administrator files it, the second administrator
    /// approves, and the holder chooses `password` with his activation link. Logged in.
    pub async fn new_account(&self, organisation: &str, name: &str, email: &str, role: &str, password: &str) -> Client {
        let organisation_id = self.organisation(organisation).await;
        let (status, request) = self
            .login(ADMIN)
            .await
            .post(
                "/api/admin/users",
                serde_json::json!({ "organisation_id": organisation_id, "name": name, "email": email, "role": role }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{request}");
        let (status, approved) = self
            .login(SECOND_ADMIN)
            .await
            .post(&format!("/api/admin/requests/{}/approve", id(&request)), serde_json::json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        let token = link_token(&approved);
        let holder = self.anonymous();
        let (status, body) =
            holder.post("/api/activation", serde_json::json!({ "token": token, "new_password": password })).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let (status, body) =
            holder.post("/api/session", serde_json::json!({ "email": email, "password": password })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        holder
    }

    /// Moves the service's clock.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    pub fn now(&self) -> DateTime<Utc> {
        use ketentafel::clock::Clock;
        self.clock.now()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The demo case as tests need it.
pub struct DemoCase {
    pub case_id: Uuid,
    pub meeting_id: Uuid,
    pub housing_org: Uuid,
    /// Logged in as the casemanager who chairs it.
    pub casemanager: Client,
}

pub const ADMIN: &str = "admin@ketentafel.example";
/// The demo's second administrator, who approves what the first asks for (four eyes).
pub const SECOND_ADMIN: &str = "beheer2@ketentafel.example";
pub const CASEMANAGER: &str = "casemanager@pi-dordrecht.example";
pub const RIO: &str = "rio@gemeente-dordrecht.example";
pub const PROBATION: &str = "reclassering@reclassering.example";
pub const HOUSING: &str = "woning@woonbron.example";
pub const OUTSIDER: &str = "schuldhulp@schuldhulp.example";
pub const STEERING: &str = "stuurgroep@zvh-zhz.example";

fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).build().expect("a client builds")
}

/// The token of the activation link in an approval.
pub fn link_token(approved: &Value) -> String {
    let url = approved["activation_url"].as_str().unwrap_or_else(|| panic!("no activation link in {approved}"));
    url.rsplit('/').next().expect("the token is the link's last part").to_owned()
}

/// The `id` field of a JSON object.
pub fn id(value: &Value) -> Uuid {
    value["id"].as_str().unwrap_or_else(|| panic!("no id in {value}")).parse().expect("ids are UUIDs")
}

/// An HTTP client with its own cookie jar (one "browser").
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

impl Client {
    /// Sends a request and returns the status and the JSON body (`Null` when empty or not JSON).
    pub async fn request(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the service answers");
        let status = response.status();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::DELETE, path, None).await
    }

    /// A DELETE with a JSON body (e.g. the reason for taking someone off a case).
    pub async fn delete_with(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::DELETE, path, Some(body)).await
    }

    /// A GET that returns the body as text (HTML pages).
    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let response = self.http.get(format!("{}{path}", self.base)).send().await.expect("the service answers");
        (response.status(), response.text().await.expect("a body"))
    }
}
