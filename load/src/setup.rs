//! What a run needs before anyone joins, made through the HTTP API as a casemanager would: a
//! conference per room on the demo case, and a personal guest invitation per participant.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The demo accounts the harness acts as.
const CHAIR: &str = "casemanager@pi-dordrecht.example";
const ADMIN: &str = "admin@ketentafel.example";

/// How long to keep trying when the server's per-address limit on invite look-ups (which every
/// participant of a run shares, all being on loopback) says to slow down.
const RATE_LIMIT_PATIENCE: Duration = Duration::from_secs(180);

/// The HTTP API, as the chair (and, for the node's figures, the administrator).
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    /// The chair's session token: he chairs every conference of the run.
    pub chair_token: String,
    admin_token: Option<String>,
    case_id: Uuid,
    /// How many conference slots this run has booked: a case has one conference per 60-minute
    /// slot (the server refuses overlapping ones), so each new one is 61 minutes after the last.
    slots: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

/// The server's own count of what it carries (`GET /api/admin/runtime`).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Runtime {
    pub conferences: usize,
    pub peer_connections: usize,
    pub tasks: usize,
}

impl Runtime {
    /// The sum of several nodes' figures; `None` when one of them is unknown.
    pub fn total(nodes: &[Option<Runtime>]) -> Option<Runtime> {
        nodes.iter().try_fold(Runtime { conferences: 0, peer_connections: 0, tasks: 0 }, |sum, node| {
            let node = (*node)?;
            Some(Runtime {
                conferences: sum.conferences + node.conferences,
                peer_connections: sum.peer_connections + node.peer_connections,
                tasks: sum.tasks + node.tasks,
            })
        })
    }
}

impl Api {
    /// Logs in as the demo chair and administrator and finds the demo case.
    pub async fn login(base: &str, password: &str) -> Result<Api, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let login = |email: &'static str| {
            let http = http.clone();
            let url = format!("{base}/api/session");
            let password = password.to_owned();
            async move {
                let response = http
                    .post(url)
                    .json(&json!({ "email": email, "password": password }))
                    .send()
                    .await
                    .map_err(|e| format!("login of {email}: {e}"))?;
                let status = response.status();
                let body: Value = response.json().await.unwrap_or_default();
                match body["token"].as_str() {
                    Some(token) if status.is_success() => Ok(token.to_owned()),
                    _ => Err(format!("login of {email}: {status} {body} (is this the demo workspace?)")),
                }
            }
        };
        let chair_token = login(CHAIR).await?;
        let admin_token = login(ADMIN).await.ok();
        let mut api = Api {
            http,
            base: base.to_owned(),
            chair_token,
            admin_token,
            case_id: Uuid::nil(),
            slots: Default::default(),
        };
        let cases = api.call(reqwest::Method::GET, "/api/cases", None, &api.chair_token.clone()).await?;
        api.case_id = cases
            .as_array()
            .and_then(|cases| cases.iter().find(|c| c["status"] != "closed"))
            .and_then(|case| case["id"].as_str())
            .and_then(|id| id.parse().ok())
            .ok_or("the demo casemanager has no open case")?;
        Ok(api)
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        token: &str,
    ) -> Result<Value, String> {
        let started = Instant::now();
        loop {
            let mut request = self.http.request(method.clone(), format!("{}{path}", self.base));
            if !token.is_empty() {
                request = request.bearer_auth(token);
            }
            if let Some(body) = &body {
                request = request.json(body);
            }
            let response = request.send().await.map_err(|e| format!("{method} {path}: {e}"))?;
            let status = response.status();
            if status == reqwest::StatusCode::TOO_MANY_REQUESTS && started.elapsed() < RATE_LIMIT_PATIENCE {
                let wait = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(5)
                    .clamp(1, 60);
                tokio::time::sleep(Duration::from_secs(wait)).await;
                continue;
            }
            let value: Value = response.json().await.unwrap_or_default();
            return if status.is_success() { Ok(value) } else { Err(format!("{method} {path}: {status} {value}")) };
        }
    }

    /// A new conference on the demo case, chaired by the demo casemanager.
    /// Conferences of one case may not overlap (a 60-minute slot each): each gets the next free
    /// slot, 61 minutes after the one before; a slot taken by an earlier run is skipped.
    pub async fn conference(&self, purpose: &str) -> Result<Uuid, String> {
        const ATTEMPTS: usize = 1_000;
        let start = chrono::Utc::now();
        for _ in 0..ATTEMPTS {
            let slot = self.slots.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let body = json!({ "scheduled_at": start + chrono::Duration::minutes(61 * slot), "purpose": purpose });
            let path = format!("/api/cases/{}/meetings", self.case_id);
            match self.call(reqwest::Method::POST, &path, Some(body), &self.chair_token).await {
                Ok(meeting) => {
                    return meeting["id"]
                        .as_str()
                        .and_then(|id| id.parse().ok())
                        .ok_or_else(|| format!("no meeting id in {meeting}"));
                }
                Err(e) if e.contains("meeting_overlaps") => continue,
                Err(e) => return Err(e),
            }
        }
        Err(format!("no free conference slot for the demo case in {ATTEMPTS} tries"))
    }

    /// A session token for a (fictional) guest invited to `meeting`, who accepted the
    /// confidentiality statement.
    pub async fn guest(&self, meeting: Uuid, name: &str) -> Result<String, String> {
        let body = json!({ "kind": "guest", "name": name, "organisation": "Belastingtest" });
        let invite = self
            .call(reqwest::Method::POST, &format!("/api/meetings/{meeting}/invites"), Some(body), &self.chair_token)
            .await?;
        let token = invite["url"]
            .as_str()
            .and_then(|url| url.rsplit('/').next())
            .ok_or_else(|| format!("no invite link in {invite}"))?;
        let accepted = self
            .call(
                reqwest::Method::POST,
                &format!("/api/invites/{token}/accept"),
                Some(json!({ "accept_confidentiality": true })),
                "",
            )
            .await?;
        accepted["token"].as_str().map(str::to_owned).ok_or_else(|| format!("no session token in {accepted}"))
    }

    /// The server's own figures, when the administrator could log in.
    pub async fn runtime(&self) -> Option<Runtime> {
        self.runtime_on(&self.base).await
    }

    /// The own figures of the node at `base` (another node of the same region takes the same
    /// session), when the administrator could log in.
    pub async fn runtime_on(&self, base: &str) -> Option<Runtime> {
        let token = self.admin_token.as_deref()?;
        let response = self.http.get(format!("{base}/api/admin/runtime")).bearer_auth(token).send().await.ok()?;
        response.error_for_status().ok()?.json().await.ok()
    }
}
