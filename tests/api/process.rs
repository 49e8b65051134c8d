//! The service as a process of its own (the real `ketentafel` binary) on a test's database, for
//! the tests of what only a process shows: signals, a kill, several nodes.

use crate::helpers::*;
use futures_util::{SinkExt, StreamExt};
use ketentafel::signalling::protocol::ServerMessage;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The demo case as the chair sees it.
pub struct Demo {
    pub cm: Client,
    pub chair_token: String,
    pub case_id: Uuid,
    pub case: Value,
    pub meeting: Uuid,
}

/// The service as a process of its own, on the test's database.
pub struct Process {
    pub child: Child,
    pub base: String,
    _data: tempfile::TempDir,
}

impl Process {
    pub async fn start(db: &TestDb) -> Process {
        Self::start_with(db, &[]).await
    }

    pub async fn start_with(db: &TestDb, extra: &[&str]) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().unwrap().port();
        let data = tempfile::tempdir().expect("a temp dir");
        let child = Command::new(env!("CARGO_BIN_EXE_ketentafel"))
            .args([
                "--demo",
                "--demo-history",
                "false",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--engine-interval-secs",
                "0",
            ])
            .args(extra)
            .arg("--data-dir")
            .arg(data.path())
            .env("DATABASE_URL", &db.url)
            .env("KETENTAFEL_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status() == StatusCode::OK) {
                break;
            }
            assert!(Instant::now() < deadline, "the service answers within 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Process { child, base, _data: data }
    }

    pub fn client(&self) -> Client {
        Client { http: reqwest::Client::builder().cookie_store(true).build().unwrap(), base: self.base.clone() }
    }

    pub async fn login(&self, email: &str) -> (Client, String) {
        let client = self.client();
        let (status, body) = client.post("/api/session", json!({ "email": email, "password": "demo" })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (client, body["token"].as_str().expect("a token").to_owned())
    }

    pub async fn socket(&self, token: &str) -> Socket {
        let mut request = format!("{}/ws", self.base.replacen("http", "ws", 1)).into_client_request().unwrap();
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        tokio_tungstenite::connect_async(request).await.expect("the upgrade succeeds").0
    }

    /// The casemanager logged in, and the demo case with its scheduled conference.
    pub async fn demo(&self) -> Demo {
        let (cm, chair_token) = self.login(CASEMANAGER).await;
        let (_, cases) = cm.get("/api/cases").await;
        let case_id = id(&cases[0]);
        let (_, case) = cm.get(&format!("/api/cases/{case_id}")).await;
        let meeting = id(case["meetings"].as_array().unwrap().iter().find(|m| m["status"] == "scheduled").unwrap());
        Demo { cm, chair_token, case_id, case, meeting }
    }

    /// Kills the process without warning (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        self.child.kill().expect("the child can be killed");
        self.child.wait().expect("the child can be reaped");
    }

    /// Sends SIGTERM and returns at once.
    pub fn signal_term(&self) {
        let pid = i32::try_from(self.child.id()).expect("pids fit");
        // SAFETY: kill only sends a signal to our own child.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "the signal is sent");
    }

    /// Sends SIGTERM and waits for the exit; how long it took.
    pub fn terminate(&mut self) -> Duration {
        let started = Instant::now();
        let pid = i32::try_from(self.child.id()).expect("pids fit");
        // SAFETY: kill only sends a signal to our own child.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "the signal is sent");
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be waited for") {
                assert!(status.success(), "a clean exit: {status}");
                return started.elapsed();
            }
            assert!(started.elapsed() < Duration::from_secs(20), "the process exits");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.expect("the socket is open");
}

/// Reads until `wanted` accepts a message (answering nothing else).
pub async fn until<T>(socket: &mut Socket, mut wanted: impl FnMut(&ServerMessage) -> Option<T>) -> T {
    let read = async {
        while let Some(Ok(frame)) = socket.next().await {
            if let Message::Text(text) = frame {
                let message: ServerMessage = serde_json::from_str(text.as_str()).expect("server messages parse");
                if let Some(found) = wanted(&message) {
                    return found;
                }
            }
        }
        panic!("the connection closed first");
    };
    tokio::time::timeout(Duration::from_secs(15), read).await.expect("the message comes in time")
}

pub async fn join(socket: &mut Socket, meeting: Uuid) -> Uuid {
    let key = ketentafel::signalling::protocol::E2eeKey::headless();
    send(socket, json!({ "type": "join", "v": 1, "meeting_id": meeting, "e2ee_key": key })).await;
    until(socket, |m| match m {
        ServerMessage::Welcome { you, .. } => Some(you.id),
        _ => None,
    })
    .await
}
