//! The load harness in short: two small conferences, and join/leave cycles, against a real
//! server process on each backend, three small conferences over three nodes of one region, and
//! two on the owned media loop alone (`--media-loop`).
//! Correctness only (every stream arrives, intact, without loss; nothing is left behind);
//! timings belong in docs/performance.md, never in a test.

// The server's test helpers, for a fresh database per run (the same file tests/soak shares).
#[path = "../../tests/api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use helpers::{Backend, TestDb};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server binary, next to the harness as in a release build. Cargo makes it for the server's
/// own integration tests, so `cargo nextest run --workspace` (scripts/test) builds it fresh; a
/// run of this package alone needs `cargo build --bin ketentafel` first.
fn server_bin() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_ketentafel-load")).with_file_name("ketentafel");
    assert!(
        path.exists(),
        "{} is missing: test the whole workspace (cargo nextest run --workspace) or run cargo build --bin ketentafel",
        path.display()
    );
    path
}

/// Runs `ketentafel-load --spawn` with `args` on a fresh database; its JSON report.
async fn harness(backend: Backend, args: &[&str]) -> Value {
    let db = TestDb::create(backend).await;
    let mut command = Command::new(env!("CARGO_BIN_EXE_ketentafel-load"));
    command.arg("--spawn").args(args);
    command.arg("--server-bin").arg(server_bin());
    if backend == Backend::Postgres {
        command.args(["--database-url", &db.url]);
    }
    report_of(command).await
}

/// Runs the harness as `command` says, with a time limit and a JSON report; that report.
async fn report_of(mut command: Command) -> Value {
    let dir = tempfile::tempdir().expect("a temp dir can be created");
    let report = dir.path().join("report.json");
    command.args(["--timeout", "240", "--json"]).arg(&report);
    let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().expect("the harness runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the harness failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{stdout}");
    serde_json::from_str(&std::fs::read_to_string(&report).expect("the harness writes its report"))
        .expect("the report is JSON")
}

async fn conferences(backend: Backend) {
    let report = harness(
        backend,
        &["--rooms", "2", "--participants", "3", "--duration", "2", "--warmup", "1", "--video-bitrate", "300000"],
    )
    .await;
    assert_eq!(report["problems"], serde_json::json!([]), "{report:#}");
    let c = &report["conference"];
    // Two rooms of three: each participant receives the audio and video of the two others.
    assert_eq!(c["streams"]["expected"], 24);
    assert_eq!(c["streams"]["received"], 24, "{c:#}");
    assert_eq!(c["streams"]["lost"], 0, "no loss on loopback: {c:#}");
    assert_eq!(c["streams"]["duplicates"], 0);
    assert_eq!(c["streams"]["corrupt"], 0);
    assert_eq!(c["failed_joins"], 0);
    assert_eq!(c["join_ms"]["samples"], 4, "every guest's join was timed");
    assert!(c["sent"]["video"].as_u64().unwrap() > 0 && c["sent"]["audio"].as_u64().unwrap() > 0);
    assert!(c["forwarded"]["packets_per_second"].as_f64().unwrap() > 0.0);
    // The server's process was measured and the floor computed, whatever their values.
    assert!(c["server"]["cpu_seconds"].is_number() && c["server"]["rss_kib"].as_u64().unwrap() > 0, "{c:#}");
    assert!(c["floor"]["per_packet_us"].as_f64().unwrap() > 0.0);
    assert!(c["ratio_to_floor"].is_number());
}

async fn soak(backend: Backend) {
    let report = harness(
        backend,
        &[
            "--soak",
            "10",
            "--rooms",
            "2",
            "--soak-warmup",
            "3",
            "--soak-publish",
            "0.5",
            "--video-bitrate",
            "300000",
            "--server-cpus",
            "0",
        ],
    )
    .await;
    assert_eq!(report["problems"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["server"]["cpus"], "0", "the server ran pinned to the first CPU");
    let s = &report["soak"];
    assert_eq!(s["cycles"], 10);
    assert_eq!(s["failed_cycles"], 0);
    let (before, after) = (&s["before"], &s["after"]);
    // Database connections come and go with the pool; everything else must be back.
    for (part, figure) in
        [("runtime", "peer_connections"), ("runtime", "tasks"), ("process", "udp_sockets"), ("process", "other_fds")]
    {
        let (b, a) = (before[part][figure].as_u64().unwrap(), after[part][figure].as_u64().unwrap());
        assert!(a <= b, "{figure} left behind: {b} before, {a} after\n{s:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_media_loop_carries_two_small_conferences_on_one_port_and_keeps_nothing() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ketentafel-load"));
    command.args(["--media-loop", "--rooms", "2", "--participants", "3", "--duration", "2", "--warmup", "0.5"]);
    command.args(["--video-bitrate", "300000", "--loop-cpu", "0"]);
    let r = report_of(command).await;
    let streams = &r["streams"];
    assert_eq!((streams["expected"].as_u64(), streams["received"].as_u64()), (Some(24), Some(24)), "{r:#}");
    assert_eq!(streams["lost"], 0, "no loss on loopback: {r:#}");
    assert_eq!((streams["duplicates"].as_u64(), streams["corrupt"].as_u64()), (Some(0), Some(0)), "{r:#}");
    assert!(streams["packets"].as_u64().unwrap() > 0 && r["forwarded_per_second"].as_f64().unwrap() > 0.0);
    assert!(r["loop_us_per_forwarded_packet"].as_f64().unwrap() > 0.0, "the loop's CPU is measured: {r:#}");
    assert_eq!(r["loop_cpu"], 0);
    assert_eq!(r["subscribe_ms"]["samples"], 6, "every subscriber's first media was timed: {r:#}");
    assert_eq!(
        r["left_behind"],
        serde_json::json!({"connections": 0, "addresses": 0, "tracks": 0, "forwards": 0, "timers": 0}),
        "closing every connection leaves nothing in the loop"
    );
}

/// A node of a region: the server binary on the region's database and NATS prefix.
struct Node {
    child: Child,
    url: String,
    _data: tempfile::TempDir,
}

impl Node {
    async fn start(db: &TestDb, nats: &str, prefix: &str, id: &str) -> Node {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().unwrap().port();
        let data = tempfile::tempdir().expect("a temp dir can be created");
        let child = Command::new(server_bin())
            .args(["--demo", "--demo-history", "false", "--bind", &format!("127.0.0.1:{port}")])
            .args(["--nats-url", nats, "--nats-prefix", prefix, "--node-id", id, "--data-dir"])
            .arg(data.path())
            .env("DATABASE_URL", &db.url)
            .env("KETENTAFEL_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("the server starts");
        let node = Node { child, url: format!("http://127.0.0.1:{port}"), _data: data };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !reqwest::get(format!("{}/readyz", node.url)).await.is_ok_and(|r| r.status().is_success()) {
            assert!(Instant::now() < deadline, "node {id} is ready within 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        node
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_harness_spreads_conferences_over_three_nodes_and_counts_what_they_share() {
    let db = TestDb::create(Backend::Postgres).await;
    let nats = std::env::var("KETENTAFEL_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let prefix = format!("kt-load-test-{}", uuid::Uuid::new_v4().simple());
    // One after the other: the first makes the schema and the demo workspace.
    let mut nodes = Vec::new();
    for id in ["node1", "node2", "node3"] {
        nodes.push(Node::start(&db, &nats, &prefix, id).await);
    }
    let urls: Vec<&str> = nodes.iter().map(|n| n.url.as_str()).collect();
    let pids: Vec<String> = nodes.iter().map(|n| n.child.id().to_string()).collect();

    let mut command = Command::new(env!("CARGO_BIN_EXE_ketentafel-load"));
    command
        .args(["--server", &urls.join(","), "--server-pid", &pids.join(",")])
        .args(["--nats-url", &nats, "--nats-prefix", &prefix, "--database-url", &db.url])
        .args(["--rooms", "3", "--participants", "3", "--duration", "2", "--warmup", "1", "--video-bitrate", "300000"]);
    let report = report_of(command).await;

    assert_eq!(report["problems"], serde_json::json!([]), "{report:#}");
    let c = &report["conference"];
    assert_eq!((&c["streams"]["expected"], &c["streams"]["received"]), (&36.into(), &36.into()), "{c:#}");
    assert_eq!(c["streams"]["lost"], 0, "no loss on loopback: {c:#}");
    // Each chair reached another node, so each node hosts one conference.
    let hosted: Vec<&Value> = c["server"]["nodes"].as_array().expect("a share per node").iter().collect();
    assert_eq!(hosted.len(), 3);
    for node in hosted {
        assert_eq!(node["runtime"]["conferences"], 1, "{node:#}");
        assert!(node["cpu_seconds"].is_number() && node["rss_kib"].as_u64().unwrap() > 0);
    }
    // Two in three participants were relayed to their host, over NATS, both ways.
    let subjects: Vec<&str> =
        c["nats"]["subjects"].as_array().unwrap().iter().filter_map(|s| s["subject"].as_str()).collect();
    assert!(subjects.contains(&"conn.*.up") && subjects.contains(&"conn.*.down"), "{:#}", c["nats"]);
    assert!(c["nats"]["setup_messages"].as_u64().unwrap() > 0);
    // The hosts renew their leases while the conferences run.
    assert!(c["postgres"]["updated_per_second"].as_f64().unwrap() > 0.0, "{:#}", c["postgres"]);
    drop(nodes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_harness_runs_two_small_conferences_on_sqlite() {
    conferences(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_harness_runs_two_small_conferences_on_postgres() {
    conferences(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_harness_soak_leaves_nothing_behind_on_sqlite() {
    soak(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_harness_soak_leaves_nothing_behind_on_postgres() {
    soak(Backend::Postgres).await;
}
