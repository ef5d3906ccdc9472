//! `faasplan run`: send the plan (or a list of configurations) to an executor,
//! follow its progress, and write the measured profile rows as CSV.
//!
//! The executor protocol is `faasplan_core::executor` (`docs/executor.md`).
//! The client is blocking (ureq): `POST /runs`, then `GET /runs/{id}` every
//! `--poll-ms` until the run ends, then `GET /runs/{id}/profiles`. Ctrl-C sends
//! `DELETE /runs/{id}` and writes whatever was measured before the cancel.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use faasplan_core::executor::configurations::parse_configurations;
use faasplan_core::executor::cost::{mean_measured_cost, total_usd};
use faasplan_core::executor::{
    ErrorBody, ExecutorInfo, RunCreated, RunProfiles, RunRequest, RunState, RunStatus, RunTarget,
    StageConfig, Workload,
};
use faasplan_core::pipeline;
use faasplan_core::plan::{PlanStatus, PlanTotals};
use faasplan_core::platform::Platform;
use faasplan_core::pricing::CostBreakdown;
use serde::de::DeserializeOwned;

use crate::Outcome;
use crate::input::{self, InputArgs};
use crate::pricing_args::PricingArgs;
use crate::settings_args::{BoundNeed, SettingsArgs};

/// Arguments of `run`.
#[derive(Args, Debug)]
#[command(
    after_help = "Without --configurations the bound is planned exactly as `faasplan plan` does \
    and the plan runs --repetitions times; the summary sets its predicted P50 and Pq latency and \
    cost against the measured ones. Ctrl-C cancels the run on the executor (DELETE /runs/ID) and \
    still writes the rows measured so far. Exit status: 0 the run finished; 1 bad input, an \
    executor error, a failed or cancelled run; 2 usage error; 3 no plan meets the bound."
)]
pub struct RunArgs {
    /// The executor's base URL, e.g. http://127.0.0.1:8787.
    #[arg(long, value_name = "URL")]
    executor: String,
    /// A file holding the executor's bearer token (surrounding whitespace is ignored).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    settings: SettingsArgs,
    #[command(flatten)]
    pricing: PricingArgs,
    /// Profile these configurations instead of running the plan: one per line,
    /// `stage=MEMORYxD, stage=MEMORYxD` (`#` starts a comment line).
    #[arg(long, value_name = "FILE")]
    configurations: Option<PathBuf>,
    /// Executions of each configuration.
    #[arg(long, default_value_t = 5)]
    repetitions: u32,
    /// Size of the generated input, bytes.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    workload_bytes: u64,
    /// Seed of the generated input.
    #[arg(long, default_value_t = 0)]
    workload_seed: u64,
    /// Where to write the measured profile rows (the native profile CSV).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// How often to ask for progress, milliseconds.
    #[arg(long, default_value_t = 500, value_name = "MS")]
    poll_ms: u64,
    /// Print no progress or summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// A blocking client of one executor.
struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl Client {
    fn new(base: &str, token: Option<String>) -> Result<Client> {
        let base = base.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("--executor {base:?}: expected an http:// or https:// URL");
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Ok(Client { agent, base, token })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn auth(&self) -> Option<String> {
        self.token.as_ref().map(|t| format!("Bearer {t}"))
    }

    /// Sends one request and parses a 2xx answer as `T`; any other status
    /// becomes an error with the executor's message.
    fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<T> {
        let url = self.url(path);
        let response = match (method, body) {
            ("POST", Some(body)) => {
                let mut r = self.agent.post(&url).content_type("application/json");
                if let Some(a) = self.auth() {
                    r = r.header("Authorization", a);
                }
                r.send(body)
            }
            ("DELETE", _) => {
                let mut r = self.agent.delete(&url);
                if let Some(a) = self.auth() {
                    r = r.header("Authorization", a);
                }
                r.call()
            }
            _ => {
                let mut r = self.agent.get(&url);
                if let Some(a) = self.auth() {
                    r = r.header("Authorization", a);
                }
                r.call()
            }
        };
        let mut response =
            response.map_err(|e| anyhow!("cannot reach the executor at {url}: {e}"))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| anyhow!("{method} {url}: cannot read the answer: {e}"))?;
        if !(200..300).contains(&status) {
            let message = serde_json::from_str::<ErrorBody>(&text)
                .map(|b| b.error)
                .unwrap_or_else(|_| text.chars().take(300).collect());
            let hint = match status {
                401 => " (give the executor's token with --token-file)",
                413 => " (the request is larger than the executor accepts)",
                429 => " (the executor's rate limit; try again in a minute)",
                _ => "",
            };
            bail!("{method} {url}: HTTP {status}: {message}{hint}");
        }
        serde_json::from_str(&text).map_err(|e| anyhow!("{method} {url}: unexpected answer: {e}"))
    }
}

fn read_token(path: &PathBuf) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the token file {}", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        bail!("{}: the token file is empty", path.display());
    }
    if token.chars().any(char::is_control) || token.contains(' ') {
        bail!(
            "{}: the token holds spaces or control characters",
            path.display()
        );
    }
    Ok(token.to_string())
}

/// What is sent, and the model's figures when it is the plan.
struct Target {
    target: RunTarget,
    predicted: Option<PlanTotals>,
    breakdown: Option<CostBreakdown>,
}

/// The request, with what the summary needs from the project.
struct Prepared {
    request: RunRequest,
    /// The plan's in-sample totals (plan runs).
    predicted: Option<PlanTotals>,
    /// The plan's predicted cost split by component (plan runs).
    breakdown: Option<CostBreakdown>,
    /// The percentile q.
    q: f64,
    /// The platform and prices the measured runs are priced at.
    platform: Platform,
}

fn prepare(args: &RunArgs) -> Result<Prepared> {
    let mut project = input::load_within(&args.input, args.settings.limits()?.max_memory_bytes)?;
    let base = args.input.project.is_some().then_some(&project.settings);
    let need = if args.configurations.is_some() {
        BoundNeed::Optional
    } else {
        BoundNeed::Required
    };
    let resolved = args.settings.resolve(base, need)?;
    project.settings = resolved.settings;
    args.pricing.apply(&mut project)?;
    let t = match &args.configurations {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let configurations =
                parse_configurations(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            Target {
                target: RunTarget::Profile { configurations },
                predicted: None,
                breakdown: None,
            }
        }
        None => {
            let fusion = args.pricing.fusion()?;
            let located = |e| input::locate(&args.input, e);
            let mut prepared =
                crate::progress::prepare(&project, resolved.limits, args.quiet).map_err(located)?;
            let report =
                pipeline::solve_certified_fused(&project, &mut prepared, &fusion, resolved.limits)
                    .map_err(located)?;
            match &report.status {
                PlanStatus::Optimal | PlanStatus::FeasibleWithGap { .. } => {}
                _ => return Err(anyhow!(NoPlan)),
            }
            let stages = StageConfig::of_plan(&report);
            Target {
                target: RunTarget::Plan { stages },
                predicted: report.totals.clone(),
                breakdown: report.cost_breakdown,
            }
        }
    };
    let request = RunRequest {
        workflow: project.workflow.clone(),
        target: t.target,
        workload: Workload::Size {
            bytes: args.workload_bytes,
            seed: args.workload_seed,
        },
        repetitions: args.repetitions,
        seed: project.settings.seed,
    };
    Ok(Prepared {
        request,
        predicted: t.predicted,
        breakdown: t.breakdown,
        q: project.settings.percentile,
        platform: project.platform.clone(),
    })
}

/// The bound cannot be met: there is no plan to run.
#[derive(Debug)]
struct NoPlan;

impl std::fmt::Display for NoPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "no plan meets the bound (see `faasplan plan` for the nearest achievable bound)",
        )
    }
}

impl std::error::Error for NoPlan {}

/// Runs the request on the executor and writes the CSV.
pub fn run(args: &RunArgs) -> Result<Outcome> {
    let token = args.token_file.as_ref().map(read_token).transpose()?;
    let client = Client::new(&args.executor, token)?;
    let prepared = match prepare(args) {
        Ok(t) => t,
        Err(e) if e.is::<NoPlan>() => {
            eprintln!("infeasible: {e}");
            return Ok(Outcome::Infeasible);
        }
        Err(e) => return Err(e),
    };
    let info: ExecutorInfo = client.call("GET", "/health", None)?;
    if !args.quiet {
        eprintln!(
            "executor: {} backend {} (protocol {}), {} MB per vCPU",
            info.service, info.backend, info.protocol, info.mb_per_vcpu
        );
    }
    let request = &prepared.request;
    let body = serde_json::to_string(request).context("cannot encode the run request")?;
    let created: RunCreated = client.call("POST", "/runs", Some(body))?;
    if !args.quiet {
        eprintln!("run {}: {} executions", created.id, request.executions());
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&interrupted);
        // A second handler cannot be set in one process; then Ctrl-C just ends it.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }
    let status = follow(&client, &created.id, &interrupted, args)?;
    let profiles: RunProfiles =
        client.call("GET", &format!("/runs/{}/profiles", created.id), None)?;
    std::fs::write(&args.out, &profiles.csv)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let rows: usize = profiles.profiles.stages.iter().map(|s| s.runs.len()).sum();
    if !args.quiet {
        eprintln!(
            "{rows} stage runs of {} executions written to {} ({} MB per vCPU)",
            profiles.executions.len(),
            args.out.display(),
            profiles.profiles.mb_per_vcpu
        );
        eprint!("{}", compare_text(&profiles, &prepared));
    }
    match status.state {
        RunState::Succeeded => Ok(Outcome::Success),
        RunState::Cancelled => bail!(
            "run {} cancelled; the {rows} stage runs measured before were written",
            status.id
        ),
        _ => bail!(
            "run {} failed: {}",
            status.id,
            if status.errors.is_empty() {
                "the executor gives no reason".to_string()
            } else {
                status.errors.join("; ")
            }
        ),
    }
}

/// Polls `GET /runs/{id}` until the run ends; on Ctrl-C sends the DELETE once.
fn follow(
    client: &Client,
    id: &str,
    interrupted: &AtomicBool,
    args: &RunArgs,
) -> Result<RunStatus> {
    let path = format!("/runs/{id}");
    let mut cancel_sent = false;
    let mut last_line = String::new();
    loop {
        if interrupted.load(Ordering::SeqCst) && !cancel_sent {
            let _: RunStatus = client
                .call("DELETE", &path, None)
                .context("cannot cancel the run")?;
            cancel_sent = true;
            if !args.quiet {
                eprintln!("cancelling run {id}…");
            }
        }
        let status: RunStatus = client.call("GET", &path, None)?;
        if !args.quiet {
            let line = progress_line(&status);
            if line != last_line {
                eprintln!("{line}");
                last_line = line;
            }
        }
        if status.state.is_final() {
            return Ok(status);
        }
        std::thread::sleep(Duration::from_millis(args.poll_ms.max(10)));
    }
}

fn progress_line(s: &RunStatus) -> String {
    let stages: Vec<String> = s
        .stages
        .iter()
        .map(|p| format!("{} {}", p.stage, p.runs_finished))
        .collect();
    format!(
        "{:?}: {}/{} executions [{}]",
        s.state,
        s.executions_finished,
        s.executions_total,
        stages.join(", ")
    )
    .to_lowercase()
}

/// Measured figures (nearest-rank P50 and Pq, mean cost at the project's
/// prices) against the plan's predicted ones.
fn compare_text(profiles: &RunProfiles, prepared: &Prepared) -> String {
    let q = prepared.q;
    use faasplan_core::stats::empirical::quantile;
    let ex = &profiles.executions;
    if ex.is_empty() {
        return "no execution finished\n".to_string();
    }
    let latencies: Vec<f64> = ex.iter().map(|e| e.latency_s).collect();
    let cost = mean_measured_cost(&prepared.request.workflow, &prepared.platform, ex);
    let pq = crate::summary::percent(q);
    let mut text = format!(
        "measured ({} executions, {} cold): P50 {:.3} s, P{pq} {:.3} s, ${:.6} per run\n{}",
        ex.len(),
        ex.iter().filter(|e| e.cold).count(),
        quantile(&latencies, 0.5),
        quantile(&latencies, q),
        total_usd(&cost),
        breakdown_line(&cost),
    );
    if let Some(t) = &prepared.predicted {
        text.push_str(&format!(
            "predicted: P50 {:.3} s, P{pq} {:.3} s, ${:.6} per run\n",
            t.latency_p50_s, t.latency_q_s, t.expected_cost_usd
        ));
        if let Some(b) = &prepared.breakdown {
            text.push_str(&breakdown_line(b));
        }
    }
    let mut taken: Vec<(String, usize)> = Vec::new();
    for b in ex.iter().flat_map(|e| &e.branches) {
        let key = format!("{} -> {}", b.choice, b.alternative);
        match taken.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => taken.push((key, 1)),
        }
    }
    if !taken.is_empty() {
        let parts: Vec<String> = taken.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        text.push_str(&format!("  branches taken: {}\n", parts.join(", ")));
    }
    text
}

/// `  cost: functions $.., transitions $.., transfer $..` (edge when present).
fn breakdown_line(b: &CostBreakdown) -> String {
    let mut line = format!(
        "  cost: functions ${:.6}, transitions ${:.6}, transfer ${:.6}",
        b.functions_usd, b.transitions_usd, b.transfer_usd
    );
    if b.edge_usd != 0.0 {
        line.push_str(&format!(", edge ${:.6}", b.edge_usd));
    }
    line.push('\n');
    line
}
