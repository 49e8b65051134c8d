//! The report as a table for people (the JSON form is the `Report` itself).

use crate::report::{Report, Snapshot};
use std::fmt::Write as _;

impl Report {
    /// The report as a readable table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} — {} — {} CPUs ({}), {}",
            self.harness, self.date, self.machine.cpus, self.machine.cpu_model, self.machine.kernel
        );
        if self.server.nodes.is_empty() {
            let _ = writeln!(
                out,
                "server {} ({})",
                self.server.url,
                if self.server.spawned { "started for this run" } else { "already running" }
            );
            let _ = writeln!(
                out,
                "  CPUs: server {}, harness {}",
                self.server.cpus.as_deref().unwrap_or("?"),
                self.server.harness_cpus.as_deref().unwrap_or("?")
            );
        } else {
            let _ = writeln!(
                out,
                "{} nodes (already running), each conference's participants spread over them in turn",
                self.server.nodes.len()
            );
            for (n, node) in self.server.nodes.iter().enumerate() {
                let pid = node.pid.map_or("?".into(), |pid| pid.to_string());
                let _ = writeln!(
                    out,
                    "  node {} {} (pid {pid}, CPUs {})",
                    n + 1,
                    node.url,
                    node.cpus.as_deref().unwrap_or("?")
                );
            }
            let _ = writeln!(out, "  CPUs: harness {}", self.server.harness_cpus.as_deref().unwrap_or("?"));
        }
        let row = |out: &mut String, name: &str, value: String| {
            let _ = writeln!(out, "  {name:<38} {value}");
        };
        if let Some(c) = &self.conference {
            let _ = writeln!(
                out,
                "\n{} conference(s) × {} participants, {:.1} s measured",
                c.rooms, c.participants, c.measured_seconds
            );
            row(
                &mut out,
                "join (ms) p50 / p95 / max",
                format!(
                    "{:.0} / {:.0} / {:.0}  ({} joins, {} failed)",
                    c.join_ms.p50, c.join_ms.p95, c.join_ms.max, c.join_ms.samples, c.failed_joins
                ),
            );
            row(
                &mut out,
                "forwarding delay (µs) p50 / p99 / max",
                format!("{:.0} / {:.0} / {:.0}", c.delay_us.p50, c.delay_us.p99, c.delay_us.max),
            );
            row(&mut out, "streams received / expected", format!("{} / {}", c.streams.received, c.streams.expected));
            row(
                &mut out,
                "packets / lost / duplicates / altered",
                format!(
                    "{} / {} ({:.3} %) / {} / {}",
                    c.streams.packets, c.streams.lost, c.streams.loss_percent, c.streams.duplicates, c.streams.corrupt
                ),
            );
            row(
                &mut out,
                "forwarded",
                format!(
                    "{:.0} packets/s, {:.1} Mbit/s, {:.0} bytes/packet",
                    c.forwarded.packets_per_second, c.forwarded.mbit_per_second, c.forwarded.mean_payload_bytes
                ),
            );
            let uncapped: Vec<_> = c.subscribers.iter().filter(|s| s.cap_kbps.is_none()).collect();
            if !uncapped.is_empty() {
                let packets = uncapped.iter().fold([0u64; 3], |sum, s| [0, 1, 2].map(|l| sum[l] + s.layer_packets[l]));
                let total = packets.iter().sum::<u64>().max(1) as f64;
                let (switches, off, gaps) = uncapped.iter().fold((0, 0, 0), |(a, b, c), s| {
                    (a + s.switches, b + s.switches_off_keyframe, c + s.picture_id_gaps)
                });
                row(
                    &mut out,
                    "layers l / m / h (without a cap)",
                    format!(
                        "{:.1} / {:.1} / {:.1} %, {switches} switches ({off} off a keyframe), {gaps} picture id gaps",
                        100.0 * packets[0] as f64 / total,
                        100.0 * packets[1] as f64 / total,
                        100.0 * packets[2] as f64 / total
                    ),
                );
            }
            for s in c.subscribers.iter().filter(|s| s.cap_kbps.is_some()) {
                let main = s.main_layers.iter().map(|l| l.map_or("-".into(), |l| l.to_string())).collect::<Vec<_>>();
                row(
                    &mut out,
                    &format!("capped {} kbit/s: room {} seat {}", s.cap_kbps.unwrap_or_default(), s.room, s.seat),
                    format!(
                        "layers {:.0} / {:.0} / {:.0} % (main per publisher {}), video {:.0} kbit/s {:.1} % lost, \
                         audio {:.2} % lost p99 {:.0} ms, {} dropped at the link",
                        s.layer_percent[0],
                        s.layer_percent[1],
                        s.layer_percent[2],
                        main.join(" "),
                        s.video_kbps,
                        s.video_loss_percent,
                        s.audio_loss_percent,
                        s.audio_delay_p99_ms,
                        s.link_dropped.unwrap_or_default()
                    ),
                );
            }
            row(
                &mut out,
                "sent: audio / video / keyframes / PLI",
                format!("{} / {} / {} / {}", c.sent.audio, c.sent.video, c.sent.keyframes, c.sent.keyframe_requests),
            );
            if let Some(s) = &c.server {
                row(&mut out, "server CPU", format!("{:.2} cores ({:.2} s)", s.cores, s.cpu_seconds));
                row(&mut out, "server CPU per forwarded packet", format!("{:.2} µs", s.us_per_forwarded_packet));
                row(&mut out, "server CPU per participant-minute", format!("{:.0} ms", s.ms_per_participant_minute));
                row(
                    &mut out,
                    "server memory",
                    format!(
                        "{} KiB before, {} KiB during: {:.0} KiB per participant",
                        s.rss_before_kib, s.rss_kib, s.rss_per_participant_kib
                    ),
                );
                row(&mut out, "server fds / threads", format!("{} / {}", s.open_fds, s.threads));
                for (n, node) in s.nodes.iter().enumerate() {
                    let hosts = node.runtime.map_or(String::new(), |r| {
                        format!(", {} conference(s), {} peer connections", r.conferences, r.peer_connections)
                    });
                    row(
                        &mut out,
                        &format!("  node {}", n + 1),
                        format!("{:.2} cores, {} → {} KiB{hosts}", node.cores, node.rss_before_kib, node.rss_kib),
                    );
                }
            }
            let per_conference = f64::from(c.rooms);
            if let Some(nats) = &c.nats {
                row(
                    &mut out,
                    &format!("NATS under {}", nats.prefix),
                    format!(
                        "{:.0} messages/s, {:.1} KB/s ({:.1} and {:.2} per conference)",
                        nats.messages_per_second,
                        nats.bytes_per_second / 1e3,
                        nats.messages_per_second / per_conference,
                        nats.bytes_per_second / 1e3 / per_conference
                    ),
                );
                for subject in &nats.subjects {
                    row(
                        &mut out,
                        &format!("  {}", subject.subject),
                        format!(
                            "{:.1} messages/s, {:.2} KB/s",
                            subject.messages_per_second,
                            subject.bytes_per_second / 1e3
                        ),
                    );
                }
                row(
                    &mut out,
                    "  setup and joins, in all",
                    format!("{} messages, {:.1} KB", nats.setup_messages, nats.setup_bytes as f64 / 1e3),
                );
            }
            if let Some(pg) = &c.postgres {
                row(
                    &mut out,
                    "PostgreSQL commits / rollbacks",
                    format!(
                        "{:.1} / {:.1} per s ({:.2} commits per conference)",
                        pg.commits_per_second,
                        pg.rollbacks_per_second,
                        pg.commits_per_second / per_conference
                    ),
                );
                row(
                    &mut out,
                    "  rows inserted / updated / deleted",
                    format!(
                        "{:.1} / {:.1} / {:.1} per s",
                        pg.inserted_per_second, pg.updated_per_second, pg.deleted_per_second
                    ),
                );
                row(
                    &mut out,
                    "  rows fetched / returned",
                    format!("{:.0} / {:.0} per s", pg.fetched_per_second, pg.returned_per_second),
                );
                row(
                    &mut out,
                    "  setup and joins, in all",
                    format!(
                        "{} commits, {} inserted, {} updated, {} deleted",
                        pg.setup.commits, pg.setup.inserted, pg.setup.updated, pg.setup.deleted
                    ),
                );
            }
            row(&mut out, "harness CPU (the participants)", format!("{:.2} cores", c.harness_cores));
            row(
                &mut out,
                "floor per packet",
                format!(
                    "{:.2} µs = UDP send {:.2} + SRTP AES-GCM {:.2} (AES-CM/HMAC {:.2}), {} bytes",
                    c.floor.per_packet_us,
                    c.floor.udp_send_us,
                    c.floor.srtp_aes_gcm_us,
                    c.floor.srtp_aes_cm_hmac_sha1_us,
                    c.floor.payload_bytes
                ),
            );
            if let Some(ratio) = c.ratio_to_floor {
                row(&mut out, "server ÷ floor", format!("{ratio:.1}×"));
            }
        }
        if let Some(s) = &self.soak {
            let _ =
                writeln!(out, "\n{} join/leave cycles in {:.0} s ({} failed)", s.cycles, s.seconds, s.failed_cycles);
            let describe = |snapshot: &Snapshot| {
                let process = snapshot.process.map_or("process figures unknown".into(), |p| {
                    format!(
                        "RSS {} KiB, {} fds ({} UDP, {} TCP, {} other), {} threads",
                        p.rss_kib, p.open_fds, p.udp_sockets, p.tcp_sockets, p.other_fds, p.threads
                    )
                });
                let runtime = snapshot.runtime.map_or(String::new(), |r| {
                    format!(
                        ", {} tasks, {} peer connections, {} conferences",
                        r.tasks, r.peer_connections, r.conferences
                    )
                });
                process + &runtime
            };
            row(&mut out, "before", describe(&s.before));
            let trace: Vec<String> =
                s.rss_trace.iter().map(|(cycles, kib)| format!("{cycles}: {}", kib / 1024)).collect();
            row(&mut out, "RSS (MiB) after n cycles", trace.join(", "));
            row(&mut out, "after", describe(&s.after));
        }
        if !self.targets.is_empty() {
            let _ = writeln!(out, "\ntargets");
            for t in &self.targets {
                row(
                    &mut out,
                    t.what,
                    format!("{} {}  (target {})", if t.met { "met    " } else { "NOT MET" }, t.measured, t.target),
                );
            }
        }
        if self.problems.is_empty() {
            let _ = writeln!(out, "\nno problems: every stream arrived intact");
        } else {
            let _ = writeln!(out, "\nPROBLEMS");
            for p in &self.problems {
                let _ = writeln!(out, "  {p}");
            }
        }
        out
    }
}
