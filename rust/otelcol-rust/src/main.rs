//! `otelcol-rust`: the Rust collector run as a supervised child of otelcol-hybrid.

mod cli;
mod stop_signal;

use std::path::Path;
use std::process::ExitCode;

// Linking a component crate registers it (linkme); nothing else is needed.
use jaeger_receiver as _;
use otap_exporter as _;
use otelcol_advanced_filter as _;
use otelcol_debug_exporter as _;
use otelcol_fault as _;
use otelcol_file_exporter as _;
use otelcol_otlp_receiver as _;
use otelcol_otlp_rust_exporter as _;

use otelcol_core::config::{self, LoadedConfig};
use otelcol_core::service::Service;
use otelcol_core::{logging, registry};

use cli::Command;
use stop_signal::StopWatchers;

const EXIT_RUNTIME_FAILURE: u8 = 1;
const EXIT_CONFIG_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cmd = match cli::parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("otelcol-rust: {e}\n{}", cli::USAGE);
            return ExitCode::from(EXIT_CONFIG_ERROR);
        }
    };
    match cmd {
        Command::Help => {
            println!("{}", cli::USAGE);
            ExitCode::SUCCESS
        }
        Command::Version => {
            println!("otelcol-rust {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Components => {
            println!(
                "{}",
                serde_json::to_string(&registry::list()).expect("component list serializes")
            );
            ExitCode::SUCCESS
        }
        // Validation only creates components: one thread is plenty.
        Command::Validate { config } => with_runtime(Some(1), async move {
            match load(&config) {
                Ok(_) => ExitCode::SUCCESS,
                Err(code) => code,
            }
        }),
        Command::Run {
            config,
            exit_with_parent,
            exit_on_stdin_eof,
            secret_on_stdin,
            listen_fds,
        } => {
            // Before anything opens a file that could take one of their
            // numbers, or starts a process that would inherit them.
            if let Err(e) = otelcol_core::endpoint::adopt_listen_fds(listen_fds) {
                eprintln!("otelcol-rust: {e}");
                return ExitCode::from(EXIT_RUNTIME_FAILURE);
            }
            // Before anything serves, and before the stdin EOF watcher reads
            // on: the secret is the first line, the rest is the watcher's.
            if secret_on_stdin && let Err(e) = read_parent_secret() {
                eprintln!("otelcol-rust: {e}");
                return ExitCode::from(EXIT_RUNTIME_FAILURE);
            }
            // Sized before the config is loaded: loading creates components
            // inside the runtime. A bad file is reported by the load in run.
            let workers = std::fs::read_to_string(&config)
                .ok()
                .and_then(|text| config::worker_threads(&text));
            with_runtime(workers, run(config, exit_with_parent, exit_on_stdin_eof))
        }
    }
}

fn read_parent_secret() -> Result<(), String> {
    let secret = otelcol_core::auth::read_secret_line(&mut std::io::stdin().lock())?;
    otelcol_core::auth::set_parent_secret(secret)
}

/// `workers`: `service.worker_threads`; `None`, one thread per CPU.
fn with_runtime(workers: Option<usize>, f: impl Future<Output = ExitCode>) -> ExitCode {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = workers {
        builder.worker_threads(n);
    }
    match builder.enable_all().build() {
        Ok(rt) => {
            let code = rt.block_on(f);
            // Do not wait for stray blocking threads (e.g. the stdin reader).
            rt.shutdown_timeout(std::time::Duration::from_millis(200));
            code
        }
        Err(e) => {
            eprintln!("otelcol-rust: cannot start the async runtime: {e}");
            ExitCode::from(EXIT_RUNTIME_FAILURE)
        }
    }
}

fn load(path: &Path) -> Result<LoadedConfig, ExitCode> {
    config::load_file(path).map_err(|e| {
        eprintln!("otelcol-rust: config error: {e}");
        ExitCode::from(EXIT_CONFIG_ERROR)
    })
}

async fn run(config: std::path::PathBuf, exit_with_parent: bool, exit_on_stdin_eof: bool) -> ExitCode {
    let cfg = match load(&config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    logging::init(cfg.log_level.as_deref());
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        config = %config.display(),
        pid = std::process::id(),
        worker_threads = tokio::runtime::Handle::current().metrics().num_workers(),
        "otelcol-rust starting"
    );

    let mut stop = match StopWatchers::install(exit_with_parent, exit_on_stdin_eof) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot install stop watchers");
            return ExitCode::from(EXIT_RUNTIME_FAILURE);
        }
    };
    let mut service = Service::new(cfg).await;
    if let Err(e) = service.start().await {
        tracing::error!(error = %e, "start failed");
        service.shutdown().await;
        return ExitCode::from(EXIT_RUNTIME_FAILURE);
    }
    let reason = stop.next().await;
    tracing::info!(reason, "shutdown requested");
    let clean = tokio::select! {
        clean = service.shutdown() => clean,
        again = stop.next() => {
            tracing::error!(reason = again, "second stop request during shutdown; exiting now");
            false
        }
    };
    // full_decodes: how often a component needed owned structs instead of the
    // wire view; benchmarks read it to catch a slow path.
    tracing::info!(
        clean,
        full_decodes = otelcol_core::model::full_decodes(),
        "otelcol-rust stopped"
    );
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_RUNTIME_FAILURE)
    }
}
