//! `ketentafel-tap`: the SFU tap of docs/e2ee.md. It accepts a guest invite, waits until a chair
//! lets it in, records what the SFU forwards to it for a few seconds and writes its judgement
//! (SFrame chains, keyframes that decode to a picture) as JSON. It holds no key.

use clap::Parser;
use ketentafel_load::headless::{JoinConfig, Participant};
use ketentafel_load::tap::Recorder;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "ketentafel-tap", about = "Records what the SFU forwards and says whether it is end-to-end encrypted")]
struct Options {
    /// The service, e.g. `http://127.0.0.1:8080`.
    #[arg(long)]
    server: String,
    /// The link (or just the token) of a guest invite made for the tap.
    #[arg(long)]
    invite: String,
    /// Seconds to record, from the first packet.
    #[arg(long, default_value_t = 6)]
    seconds: u64,
    /// Seconds to wait for a chair to let the tap in.
    #[arg(long, default_value_t = 60)]
    wait: u64,
    /// Where the JSON report goes.
    #[arg(long)]
    out: PathBuf,
    /// Writes every recorded VP8 keyframe to this directory, as `keyframe-N.vp8`.
    #[arg(long)]
    dump: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn,rtc_ice::agent=error"))
        .with_writer(std::io::stderr)
        .init();
    match run(Options::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ketentafel-tap: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(options: Options) -> Result<(), String> {
    let invite = options.invite.rsplit('/').next().unwrap_or_default().to_owned();
    let accepted: Value = reqwest::Client::new()
        .post(format!("{}/api/invites/{invite}/accept", options.server))
        .json(&json!({ "accept_confidentiality": true }))
        .send()
        .await
        .map_err(|e| format!("accepting the invite: {e}"))?
        .json()
        .await
        .map_err(|e| format!("accepting the invite: {e}"))?;
    let (Some(token), Some(meeting_id)) =
        (accepted["token"].as_str(), accepted["meeting_id"].as_str().and_then(|m| m.parse().ok()))
    else {
        return Err(format!("the invite was not accepted: {accepted}"));
    };

    let recorder = Arc::new(Recorder::default());
    let sink = recorder.clone();
    let config = JoinConfig { server: options.server.clone(), token: token.to_owned(), meeting_id, media: None };
    let mut tap = Participant::join_tapped(config, Arc::new(move |packet| sink.record(packet)))
        .await
        .map_err(|e| format!("joining: {e}"))?;
    tap.admitted(Duration::from_secs(options.wait)).await.map_err(|e| format!("waiting to be let in: {e}"))?;
    eprintln!("ketentafel-tap: let in; waiting for media");

    let started = Instant::now();
    while recorder.packets() == 0 {
        if started.elapsed() > Duration::from_secs(30) {
            tap.leave().await;
            return Err("no media reached the tap within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(options.seconds)).await;
    let report = recorder.report();
    tap.leave().await;

    if let Some(dir) = &options.dump {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (i, frame) in recorder.keyframes().iter().enumerate() {
            let path = dir.join(format!("keyframe-{i}.vp8"));
            std::fs::write(&path, frame).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    let text = serde_json::to_string_pretty(&report).expect("the report serialises");
    std::fs::write(&options.out, text + "\n").map_err(|e| format!("{}: {e}", options.out.display()))?;
    println!(
        "video: {} frames, {} chained, {} keyframes, {} pictures; audio: {} packets, {} chained",
        report.video.frames,
        report.video.chained,
        report.video.keyframes,
        report.video.pictures,
        report.audio.frames,
        report.audio.chained
    );
    Ok(())
}
