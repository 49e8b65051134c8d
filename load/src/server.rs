//! The server under test: one started for the run (`--spawn`), or one or several nodes already
//! running on this machine (`--server`), and their process figures read from `/proc/<pid>`.

use crate::Options;
use std::collections::HashSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server a run talks to.
#[derive(Debug)]
pub struct Server {
    url: String,
    pid: Option<u32>,
    child: Option<Child>,
    /// The temporary data directory of a started server (removed when it stops).
    data_dir: Option<PathBuf>,
}

/// Refuses anything but this machine: the harness sends a lot of traffic and measures one
/// host's clock on both ends.
pub fn require_loopback(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("{url}: the server URL starts with http:// or https://"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    let loopback = host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback { Ok(()) } else { Err(format!("{url}: the harness only runs against a server on loopback")) }
}

impl Server {
    /// The servers of the run: the named ones, each checked to answer, or one started for it.
    pub async fn start_all(options: &Options) -> Result<Vec<Server>, String> {
        if options.server.is_empty() {
            return Ok(vec![Server::start(options).await?]);
        }
        let mut servers = Vec::new();
        for (n, url) in options.server.iter().enumerate() {
            let server = Server {
                url: url.trim_end_matches('/').to_owned(),
                pid: options.server_pid.get(n).copied(),
                child: None,
                data_dir: None,
            };
            server.wait_healthy(Duration::from_secs(5), None).await?;
            servers.push(server);
        }
        Ok(servers)
    }

    /// Starts a server for the run.
    async fn start(options: &Options) -> Result<Server, String> {
        let program = match &options.server_bin {
            Some(path) => path.clone(),
            None => std::env::current_exe()
                .map_err(|e| format!("cannot find this program: {e}"))?
                .with_file_name("ketentafel"),
        };
        if !program.exists() {
            return Err(format!(
                "{} does not exist: build it first (cargo build --release --bin ketentafel) or name it with --server-bin",
                program.display()
            ));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let data_dir = std::env::temp_dir().join(format!("ketentafel-load-{}-{stamp}", std::process::id()));
        std::fs::create_dir_all(&data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
        let log = std::fs::File::create(data_dir.join("server.log")).map_err(|e| format!("server log: {e}"))?;
        // `taskset` executes the server in its own place, so the pid stays the server's.
        let mut command = match &options.server_cpus {
            Some(cpus) => {
                let mut taskset = Command::new("taskset");
                taskset.args(["-c", cpus]).arg(&program);
                taskset
            }
            None => Command::new(&program),
        };
        command
            .args(["--demo", "--demo-history", "false", "--bind", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(&data_dir)
            .args(if options.server_engine { &["--media-loop", "false"][..] } else { &[] })
            .env("KETENTAFEL_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| format!("server log: {e}"))?)
            .stderr(log);
        match &options.database_url {
            Some(url) => command.env("DATABASE_URL", url),
            None => command.env_remove("DATABASE_URL"),
        };
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {} (--server-cpus needs taskset): {e}", program.display()))?;
        let mut server = Server {
            url: format!("http://127.0.0.1:{port}"),
            pid: Some(child.id()),
            child: Some(child),
            data_dir: Some(data_dir),
        };
        if let Err(e) = server.wait_healthy(Duration::from_secs(60), server.data_dir.clone()).await {
            server.stop_now();
            return Err(e);
        }
        Ok(server)
    }

    async fn wait_healthy(&self, patience: Duration, data_dir: Option<PathBuf>) -> Result<(), String> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(response) = client.get(format!("{}/healthz", self.url)).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if started.elapsed() > patience {
                let log = data_dir.map(|d| tail(&d.join("server.log"))).unwrap_or_default();
                return Err(format!("{} did not become healthy within {patience:?}\n{log}", self.url));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `http://host:port` of the server.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the harness started this server.
    pub fn spawned(&self) -> bool {
        self.child.is_some()
    }

    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The server's process figures now, when its process id is known.
    pub fn figures(&self) -> Option<ProcessFigures> {
        ProcessFigures::read(&format!("/proc/{}", self.pid?))
    }

    /// Stops a started server (politely first) and removes its data; leaves others alone.
    pub async fn stop(mut self) {
        if let Some(child) = &mut self.child {
            // SAFETY: kill(2) with a process id we started and have not yet reaped.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
            for _ in 0..100 {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = self.data_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// The last lines of a log, for an error message.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// The CPUs a process may run on, as `/proc/PID/status` lists them (e.g. `0-1`).
pub fn allowed_cpus(proc_dir: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("{proc_dir}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).map(|v| v.trim().to_owned())
}

/// A process's figures at one moment.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ProcessFigures {
    /// CPU time used so far (user + system), in seconds.
    pub cpu_seconds: f64,
    pub rss_kib: u64,
    /// Every open descriptor.
    pub open_fds: usize,
    /// Of those, UDP sockets (media).
    pub udp_sockets: usize,
    /// Of those, TCP sockets (WebSockets, HTTP, database connections that the pool opens and
    /// closes as it pleases).
    pub tcp_sockets: usize,
    /// The rest, without database files: pipes, timers, event queues, other files.
    pub other_fds: usize,
    pub threads: u64,
}

impl ProcessFigures {
    /// Reads `/proc/<pid>` (or `/proc/self`); `None` if the process is gone.
    pub fn read(proc_dir: &str) -> Option<ProcessFigures> {
        let stat = std::fs::read_to_string(format!("{proc_dir}/stat")).ok()?;
        // The command name is in parentheses and may contain spaces: count from the last one.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        // After the name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
        let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        let status = std::fs::read_to_string(format!("{proc_dir}/status")).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        };
        let sockets = |tables: [&str; 2]| -> HashSet<String> {
            tables
                .iter()
                .flat_map(|table| {
                    let text = std::fs::read_to_string(format!("{proc_dir}/net/{table}")).unwrap_or_default();
                    text.lines()
                        .skip(1)
                        .filter_map(|l| l.split_whitespace().nth(9).map(str::to_owned))
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let (udp, tcp) = (sockets(["udp", "udp6"]), sockets(["tcp", "tcp6"]));
        let mut figures = ProcessFigures {
            cpu_seconds: ticks as f64 / clock_ticks_per_second(),
            rss_kib: field("VmRSS:")?,
            open_fds: 0,
            udp_sockets: 0,
            tcp_sockets: 0,
            other_fds: 0,
            threads: field("Threads:")?,
        };
        for entry in std::fs::read_dir(format!("{proc_dir}/fd")).ok()?.flatten() {
            let target = std::fs::read_link(entry.path()).map(|t| t.display().to_string()).unwrap_or_default();
            let inode = target.strip_prefix("socket:[").and_then(|t| t.strip_suffix(']')).unwrap_or_default();
            figures.open_fds += 1;
            if udp.contains(inode) {
                figures.udp_sockets += 1;
            } else if tcp.contains(inode) {
                figures.tcp_sockets += 1;
            } else if !DATABASE_FILES.iter().any(|suffix| target.ends_with(suffix)) {
                figures.other_fds += 1;
            }
        }
        Some(figures)
    }
}

/// SQLite's files, which its pool opens and closes as it pleases.
const DATABASE_FILES: [&str; 3] = [".db", ".db-wal", ".db-shm"];

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a system constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_servers_are_accepted() {
        for url in ["http://127.0.0.1:8080", "http://localhost:3000/", "https://[::1]:8443", "http://127.0.0.2"] {
            assert!(require_loopback(url).is_ok(), "{url}");
        }
        for url in ["http://10.0.0.1:8080", "https://ketentafel.example", "http://[2001:db8::1]:80", "ftp://127.0.0.1"]
        {
            assert!(require_loopback(url).is_err(), "{url}");
        }
    }

    #[test]
    fn this_process_can_be_read_and_burning_cpu_shows() {
        let before = ProcessFigures::read("/proc/self").expect("our own /proc entry");
        // Burn until 0.1 s of CPU shows, not for a fixed wall time: on a busy machine 200 ms of
        // wall time gave this thread 40 ms of CPU. The deadline only stops a reading that is stuck.
        let started = Instant::now();
        let mut x = 0u64;
        let mut after = before;
        while after.cpu_seconds - before.cpu_seconds < 0.1 && started.elapsed() < Duration::from_secs(30) {
            for _ in 0..1_000_000 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
            after = ProcessFigures::read("/proc/self").unwrap();
        }
        assert!(after.cpu_seconds - before.cpu_seconds >= 0.1, "{before:?} -> {after:?}");
        assert!(after.rss_kib > 0 && after.open_fds > 2 && after.threads >= 1);
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let with_socket = ProcessFigures::read("/proc/self").unwrap();
        assert!(with_socket.udp_sockets > after.udp_sockets, "{after:?} -> {with_socket:?}");
        drop(socket);
    }
}
