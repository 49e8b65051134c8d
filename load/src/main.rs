//! `ketentafel-load`: the load harness. See docs/performance.md.

use clap::Parser;
use ketentafel_load::Options;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // The headless participants' ICE agents warn while they wait for the server's candidates.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KETENTAFEL_LOAD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,rtc_ice::agent=error")),
        )
        .with_writer(std::io::stderr)
        .init();
    let options = Options::parse();
    let json = options.json.clone();
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
