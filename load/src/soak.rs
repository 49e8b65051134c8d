//! The join/leave soak: in each of `--rooms` conferences a chair stays while one guest joins,
//! publishes for `--soak-publish` seconds and leaves, over and over. What the server holds
//! (memory, descriptors, threads, tasks, peer connections) is compared after a warm-up and
//! after the last cycle.

use crate::Options;
use crate::conference::{Chair, Member, plan};
use crate::report::{Snapshot, SoakResult};
use crate::server::Server;
use crate::setup::Api;
use std::time::{Duration, Instant};

/// How long the server gets to tear down the last cycles before the second snapshot.
const SETTLE: Duration = Duration::from_secs(15);
/// Memory samples during the cycles.
const TRACE_STEPS: u32 = 10;

pub async fn run(options: &Options, server: &Server, api: &Api, cycles: u32) -> Result<SoakResult, String> {
    let mut seeded = super::Seeded::new(options.seed);
    let mut lanes = Vec::new();
    for r in 1..=options.rooms {
        let meeting = api.conference(&format!("Duurtest {r} (ketentafel-load)")).await?;
        let guest = api.guest(meeting, &format!("Wisselende deelnemer {r}")).await?;
        let (chair, chair_member) =
            Chair::enter(server.url(), &api.chair_token, meeting, Some(plan(options, seeded.phase()))).await?;
        lanes.push(Lane { meeting, guest, chair, chair_member, phase: seeded.phase() });
    }
    let run_lanes = |per_lane: u32| {
        futures_util::future::join_all(lanes.iter().map(move |lane| lane.cycles(options, server.url(), per_lane)))
    };
    let warm_failures: u32 = run_lanes(options.soak_warmup).await.into_iter().sum();
    if warm_failures > 0 {
        return Err(format!("{warm_failures} warm-up cycles failed: the server does not carry joins and leaves"));
    }
    let snapshot = || async { Snapshot { process: server.figures(), runtime: api.runtime().await } };
    let before = snapshot().await;

    // In ten steps, with the server's memory after each: a leak grows step after step, while
    // caches and allocator pools level off.
    let started = Instant::now();
    let per_lane = cycles.div_ceil(options.rooms);
    let (mut done, mut failed_cycles, mut rss_trace) = (0, 0, Vec::new());
    while done < per_lane {
        let step = per_lane.div_ceil(TRACE_STEPS).min(per_lane - done);
        failed_cycles += run_lanes(step).await.into_iter().sum::<u32>();
        done += step;
        if let Some(figures) = server.figures() {
            rss_trace.push((done * options.rooms, figures.rss_kib));
        }
    }
    let seconds = started.elapsed().as_secs_f64();

    let settle_until = Instant::now() + SETTLE;
    let mut after = snapshot().await;
    while Instant::now() < settle_until && !settled(&before, &after) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        after = snapshot().await;
    }
    for lane in lanes {
        lane.chair.leave().await;
    }
    let rss_change_percent = match (before.process, after.process) {
        (Some(b), Some(a)) => Some((a.rss_kib as f64 - b.rss_kib as f64) * 100.0 / b.rss_kib as f64),
        _ => None,
    };
    Ok(SoakResult {
        cycles: per_lane * options.rooms,
        failed_cycles,
        seconds,
        before,
        after,
        rss_change_percent,
        rss_trace,
    })
}

/// Whether everything the cycles opened is closed again (as far as it can be seen).
fn settled(before: &Snapshot, after: &Snapshot) -> bool {
    after.descriptors_back_to(before) != Some(false) && after.runtime_back_to(before) != Some(false)
}

struct Lane {
    meeting: uuid::Uuid,
    guest: String,
    chair: Chair,
    chair_member: Member,
    phase: Duration,
}

impl Lane {
    /// Runs `n` cycles; returns how many failed (the guest did not get the chair's media, or
    /// the chair not the guest's).
    async fn cycles(&self, options: &Options, server: &str, n: u32) -> u32 {
        let mut failed = 0;
        for _ in 0..n {
            self.chair_member.received.reset();
            let joined = Member::join(
                server,
                &self.guest,
                self.meeting,
                plan(options, self.phase),
                None,
                &[self.chair_member.id],
            )
            .await;
            let Ok((member, took)) = joined else {
                failed += 1;
                continue;
            };
            tokio::time::sleep(Duration::from_secs_f64(options.soak_publish)).await;
            let heard = self.chair_member.received.first_at(member.id, false).is_some()
                && self.chair_member.received.first_at(member.id, true).is_some();
            if took.is_none() || !heard {
                failed += 1;
            }
            member.leave().await;
        }
        failed
    }
}
