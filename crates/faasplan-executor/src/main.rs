//! `faasplan-executor` (also run as `faasplan executor`): serves the executor
//! protocol over one backend. See docs/executor.md.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, ValueEnum};
use faasplan_core::executor::Limits;
use faasplan_executor::Backend;
use faasplan_executor::local::{LocalBackend, LocalSettings};
use faasplan_executor::server::{ServerSettings, router};

/// The environment variable that may hold the bearer token.
const TOKEN_ENV: &str = "FAASPLAN_EXECUTOR_TOKEN";

/// Run workflows for real and return measured profiles, over HTTP.
#[derive(Parser, Debug)]
#[command(name = "faasplan-executor", version, about, long_about = None)]
struct Args {
    /// The backend that runs the functions.
    #[arg(long, value_enum, default_value_t = BackendName::Local)]
    backend: BackendName,
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8787")]
    bind: SocketAddr,
    /// An origin browsers may call from, e.g. http://localhost:8080 (repeatable; none: no CORS).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
    /// File holding the bearer token clients must send (else the FAASPLAN_EXECUTOR_TOKEN
    /// variable; neither: no token needed).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Largest request body, bytes (larger gets 413).
    #[arg(long, default_value_t = Limits::default().max_body_bytes)]
    max_body_bytes: u64,
    /// Requests per minute per client address (more get 429).
    #[arg(long, default_value_t = Limits::default().requests_per_minute)]
    requests_per_minute: u32,
    /// local: directory of <stage>.wasm functions (default: the bundled example's).
    #[arg(long, value_name = "DIR")]
    functions: Option<PathBuf>,
    /// local: directory under which each run gets its work directory (its object store).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Run nothing: print what each run would do (local: the executions, stages, modules,
    /// instances and directories; aws: the API calls) and return no rows.
    #[arg(long)]
    dry_run: bool,
    #[cfg(feature = "aws")]
    #[command(flatten)]
    aws: faasplan_aws::AwsOptions,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum BackendName {
    /// WebAssembly functions on this machine (wasmtime).
    Local,
    /// Your Lambda functions and Step Functions state machine (see docs/executor-aws.md).
    #[cfg(feature = "aws")]
    Aws,
}

fn token(args: &Args) -> Result<Option<String>, String> {
    let token = match &args.token_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("--token-file {}: {e}", path.display()))?,
        ),
        None => std::env::var(TOKEN_ENV).ok(),
    };
    match token.map(|t| t.trim().to_string()) {
        Some(t) if t.is_empty() => Err("the bearer token is empty".to_string()),
        Some(t) if t.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Err("the bearer token contains whitespace".to_string())
        }
        other => Ok(other),
    }
}

async fn backend(args: &Args) -> Result<Arc<dyn Backend>, String> {
    match args.backend {
        BackendName::Local => {
            let functions_dir = args
                .functions
                .clone()
                .unwrap_or_else(|| faasplan_executor::example_functions_dir().into());
            let work_dir = args
                .work_dir
                .clone()
                .unwrap_or_else(|| std::env::temp_dir().join("faasplan-executor"));
            let settings = LocalSettings {
                functions_dir,
                work_dir,
            };
            let backend = LocalBackend::new(settings)?;
            if args.dry_run {
                return Ok(Arc::new(
                    backend.with_dry_run(Arc::new(|line: &str| println!("{line}"))),
                ));
            }
            Ok(Arc::new(backend))
        }
        #[cfg(feature = "aws")]
        BackendName::Aws => {
            let options = faasplan_aws::AwsOptions {
                dry_run: args.dry_run,
                ..args.aws.clone()
            };
            Ok(Arc::new(
                faasplan_aws::AwsBackend::from_options(&options)
                    .await
                    .map_err(|e| e.message)?,
            ))
        }
    }
}

async fn serve(args: Args) -> Result<(), String> {
    let settings = ServerSettings {
        allow_origins: args.allow_origins.clone(),
        token: token(&args)?,
        limits: Limits {
            max_body_bytes: args.max_body_bytes,
            requests_per_minute: args.requests_per_minute,
            ..Limits::default()
        },
    };
    if !args.bind.ip().is_loopback() && settings.token.is_none() {
        eprintln!(
            "warning: listening on {} without a token: anyone who reaches it can run functions",
            args.bind
        );
    }
    let backend = backend(&args).await?;
    let name = backend.name().to_string();
    let app = router(backend, settings)?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| format!("--bind {}: {e}", args.bind))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("faasplan-executor: {name} backend listening on http://{address}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| format!("serving: {e}"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
