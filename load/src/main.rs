//! `ketentafel-load`: the load harness. See docs/performance.md.

use clap::Parser;
use ketentafel_load::Options;
use std::path::PathBuf;
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
        let budget = std::time::Duration::from_secs(options.timeout);
        let report = match tokio::time::timeout(budget, ketentafel_load::media_loop::run(&options)).await {
            Ok(result) => result,
            Err(_) => Err(format!("the run did not finish within --timeout {} s", options.timeout)),
        };
        return finish(
            report,
            json,
            |r| r.table(),
            |r| r.streams.corrupt == 0 && r.streams.received == r.streams.expected,
        );
    }
    let report = ketentafel_load::run(options).await;
    finish(report, json, |r| r.table(), |r| r.problems.is_empty())
}

/// Prints a run's report as a table, writes it as JSON if asked; the exit status: 0 when `good`,
/// 1 when not, 2 when the run could not be carried out or the JSON not written.
fn finish<R: serde::Serialize>(
    report: Result<R, String>,
    json: Option<PathBuf>,
    table: impl Fn(&R) -> String,
    good: impl Fn(&R) -> bool,
) -> ExitCode {
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            eprintln!("ketentafel-load: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", table(&report));
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&report).expect("the report serialises");
        if let Err(e) = std::fs::write(&path, text + "\n") {
            eprintln!("ketentafel-load: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if good(&report) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
