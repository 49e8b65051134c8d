//! `ketentafel-load`: the load harness. See docs/performance.md.

use clap::Parser;
use ketentafel_load::Options;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // The headless participants' ICE agents warn while they wait for the server's candidates.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KETENTAFEL_LOAD_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("warn,rtc_ice::agent=error,rtc_dtls::config=error")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let options = Options::parse();
    let json = options.json.clone();
    if options.media_loop {
        return media_loop(options, json).await;
    }
    let report = match ketentafel_load::run(options).await {
        Ok(report) => report,
        Err(e) => {
            eprintln!("ketentafel-load: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", report.table());
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&report).expect("the report serialises");
        if let Err(e) = std::fs::write(&path, text + "\n") {
            eprintln!("ketentafel-load: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if report.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

async fn media_loop(options: Options, json: Option<std::path::PathBuf>) -> ExitCode {
    let run = tokio::time::timeout(
        std::time::Duration::from_secs(options.timeout),
        ketentafel_load::media_loop::run(&options),
    );
    let report = match run.await {
        Ok(Ok(report)) => report,
        Ok(Err(e)) => {
            eprintln!("ketentafel-load: {e}");
            return ExitCode::from(2);
        }
        Err(_) => {
            eprintln!("ketentafel-load: the run did not finish within --timeout {} s", options.timeout);
            return ExitCode::from(2);
        }
    };
    print!("{}", report.table());
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&report).expect("the report serialises");
        if let Err(e) = std::fs::write(&path, text + "\n") {
            eprintln!("ketentafel-load: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if report.corrupt == 0 && report.streams_received == report.streams_expected {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
