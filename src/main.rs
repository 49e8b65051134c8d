//! The `ketentafel` binary: parse the configuration, start logging, build and run the service
//! until Ctrl-C or SIGTERM.

use clap::Parser;
use ketentafel::{app, config::Config};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    keep_large_allocations_out_of_the_heap();
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let listener = match tokio::net::TcpListener::bind(config.bind).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("ketentafel: cannot listen on {}: {e}", config.bind);
            return std::process::ExitCode::FAILURE;
        }
    };
    let shutdown = CancellationToken::new();
    let app = match app::build(config, listener, shutdown.clone()).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("ketentafel: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    for line in &app.banner {
        println!("{line}");
    }
    tracing::info!(address = %app.local_addr(), "listening");
    let drain = app.drain();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        // A second signal stops at once, also in the middle of a drain.
        tokio::select! {
            () = drain.run() => {}
            () = wait_for_signal() => tracing::info!("second signal: stopping now"),
        }
        shutdown.cancel();
    });
    match app.run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ketentafel: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Every password hash (argon2) allocates 19 MiB. glibc serves such a block with its own
/// mapping, but after the first one is freed it raises its threshold and carves the next ones
/// from the heap of whichever thread hashes — where they stay resident: an idle server held
/// 120 MiB after the demo's seven hashes. A fixed threshold keeps them mapped and returned.
fn keep_large_allocations_out_of_the_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a setting of the allocator, which locks while it does.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler works on unix");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
