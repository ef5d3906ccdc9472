//! The `aws` backend of the executor server (`faasplan_core::executor::backend::Backend`).

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use faasplan_core::executor::backend::{Backend, BackendError, BoxFuture, Job, RunHandle};
use faasplan_core::executor::{ExecutionRecord as WireExecution, Workload};
use faasplan_core::export::StageConfigs;
use faasplan_core::formats::batch::AWS_MB_PER_VCPU;

use crate::call::Journal;
use crate::error::{AwsError, ErrorKind};
use crate::session::{Cancel, RunOutcome, RunRequest, Session, dry_run};
use crate::settings::AwsSettings;
use crate::target::Target;

/// The AWS backend's command-line options (the executor flattens them into its own).
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args)]
pub struct AwsOptions {
    /// ARN of the Step Functions state machine to run; its definition is read
    /// from AWS (or from --aws-definition with --dry-run).
    #[arg(long = "aws-state-machine", value_name = "ARN")]
    pub state_machine: Option<String>,
    /// The state machine's definition file (JSON, YAML or a SAM/CloudFormation
    /// template); with --dry-run nothing is read from AWS.
    #[arg(long = "aws-definition", value_name = "FILE")]
    pub definition: Option<std::path::PathBuf>,
    /// A single function invoked directly, as STAGE=FUNCTION (instead of a state machine).
    #[arg(long = "aws-function", value_name = "STAGE=FUNCTION")]
    pub function: Option<String>,
    /// AWS region (default: the standard chain's, e.g. AWS_REGION).
    #[arg(long = "aws-region", value_name = "REGION")]
    pub region: Option<String>,
    /// Named profile of the shared AWS config files.
    #[arg(long = "aws-profile", value_name = "NAME")]
    pub profile: Option<String>,
    /// Endpoint of every AWS service (an emulator such as moto's server).
    #[arg(long = "aws-endpoint-url", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Where a run keeps the original configuration until it has restored it;
    /// a file left by a killed executor is restored when the executor starts
    /// [default: $XDG_STATE_HOME/faasplan/aws-restore.json, else
    /// ~/.local/state/faasplan/aws-restore.json].
    #[arg(long = "aws-restore-file", value_name = "FILE")]
    pub restore_file: Option<std::path::PathBuf>,
    /// Print the AWS API calls each run would make, and change nothing (the
    /// executor's own `--dry-run` sets it).
    #[arg(skip)]
    pub dry_run: bool,
}

/// The `aws` backend: runs each job on the target (the session's journal
/// records every call of every run), restores the original configuration at the end (also on cancel or
/// error), and reports the rows and executions the `REPORT` lines give.
#[derive(Clone)]
pub struct AwsBackend {
    target: Target,
    /// `None` in a dry run.
    session: Option<Session>,
    /// Where a dry run's calls go (stdout by default).
    out: Arc<dyn Fn(&str) + Send + Sync>,
}

impl std::fmt::Debug for AwsBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsBackend")
            .field("target", &self.target.stages())
            .field("dry_run", &self.session.is_none())
            .finish_non_exhaustive()
    }
}

/// `$XDG_STATE_HOME/faasplan/aws-restore.json`, else under `~/.local/state`.
fn default_restore_file() -> Option<std::path::PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| std::path::PathBuf::from(h).join(".local/state"))
        })?;
    Some(base.join("faasplan").join("aws-restore.json"))
}

fn input_error(m: impl AsRef<str>) -> AwsError {
    AwsError::new(ErrorKind::Input, m)
}

impl AwsBackend {
    /// A backend running on `session`.
    pub fn new(target: Target, session: Session) -> AwsBackend {
        AwsBackend {
            target,
            session: Some(session),
            out: Arc::new(|line| println!("{line}")),
        }
    }

    /// A backend that only prints the calls it would make, through `out`.
    pub fn dry(target: Target, out: Arc<dyn Fn(&str) + Send + Sync>) -> AwsBackend {
        AwsBackend {
            target,
            session: None,
            out,
        }
    }

    /// The backend the options describe: connects to AWS (credentials from
    /// the standard chain) unless it is a dry run with a definition file or
    /// a function, in which case nothing is contacted.
    pub async fn from_options(options: &AwsOptions) -> Result<AwsBackend, AwsError> {
        let settings = AwsSettings {
            region: options.region.clone(),
            profile: options.profile.clone(),
            endpoint_url: options.endpoint_url.clone(),
            restore_file: options.restore_file.clone().or_else(default_restore_file),
            ..AwsSettings::default()
        };
        let offline_target = match (&options.function, &options.definition) {
            (Some(_), Some(_)) | (Some(_), None) if options.state_machine.is_some() => {
                return Err(input_error(
                    "--aws-function and --aws-state-machine: give one of them",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(input_error(
                    "--aws-function and --aws-definition: give one of them",
                ));
            }
            (Some(f), None) => {
                let (stage, function) = f.split_once('=').ok_or_else(|| {
                    input_error(format!("--aws-function {f}: expected STAGE=FUNCTION"))
                })?;
                Some(Target::function(stage.trim(), function.trim())?)
            }
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    input_error(format!("--aws-definition {}: {e}", path.display()))
                })?;
                let arn = options
                    .state_machine
                    .clone()
                    .unwrap_or_else(|| "<state machine ARN>".into());
                Some(Target::state_machine(&arn, &text).map_err(|e| {
                    input_error(format!(
                        "--aws-definition {}: {}",
                        path.display(),
                        e.message
                    ))
                })?)
            }
            (None, None) => None,
        };
        if options.dry_run
            && let Some(target) = offline_target.clone()
        {
            return Ok(AwsBackend::dry(target, Arc::new(|l| println!("{l}"))));
        }
        // Every call goes to stderr as it is made: the operator's record of what
        // was changed (and of the remembered values, should the process die).
        let journal = Journal::with_echo(Arc::new(|e| eprintln!("aws: {e}")));
        let session = Session::connect(settings, journal).await?;
        if !options.dry_run {
            // A run killed before it restored: put its original configuration back first.
            session.restore_interrupted().await?;
        }
        let target = match (offline_target, &options.state_machine) {
            (Some(t @ Target::Function { .. }), _) => t,
            (_, Some(arn)) => session.state_machine(arn).await?,
            (Some(t), None) => {
                return Err(input_error(format!(
                    "--aws-definition needs --aws-state-machine ARN to run (or --dry-run); stages {:?}",
                    t.stages()
                )));
            }
            (None, None) => {
                return Err(input_error(
                    "the aws backend needs --aws-state-machine ARN or --aws-function STAGE=FUNCTION",
                ));
            }
        };
        if options.dry_run {
            return Ok(AwsBackend::dry(target, Arc::new(|l| println!("{l}"))));
        }
        Ok(AwsBackend::new(target, session))
    }

    /// The target it runs.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The request of `job` for this target: its configurations by stage id,
    /// and its workload as the execution input (a payload must be JSON; a
    /// size becomes `{"faasplan_workload": {"bytes": N, "seed": S}}` for the
    /// functions to generate their input from).
    pub fn request_of(&self, job: &Job) -> Result<RunRequest, AwsError> {
        let ids: Vec<&str> = job
            .request
            .workflow
            .stages
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        let known = self.target.stages();
        if let Some(s) = ids.iter().find(|s| !known.iter().any(|k| k == *s)) {
            return Err(input_error(format!(
                "workflow.stages: stage {s} is not a state of the state machine this executor runs (its stages: {})",
                known.join(", ")
            )));
        }
        if let Some(k) = known.iter().find(|k| !ids.contains(&k.as_str())) {
            return Err(input_error(format!(
                "workflow.stages: the state machine's stage {k} is missing"
            )));
        }
        let configurations: Vec<StageConfigs> = job
            .configurations
            .iter()
            .map(|list| {
                ids.iter()
                    .zip(list)
                    .map(|(id, c)| ((*id).to_string(), *c))
                    .collect::<BTreeMap<_, _>>()
            })
            .collect();
        let input = match &job.request.workload {
            Workload::Payload { data_base64 } => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data_base64)
                    .map_err(|e| input_error(format!("workload.data_base64: not base64: {e}")))?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    input_error("workload.data_base64: the aws backend's input must be JSON text")
                })?;
                serde_json::from_str::<serde_json::Value>(&text).map_err(|e| {
                    input_error(format!(
                        "workload.data_base64: the aws backend's input must be JSON: {e}"
                    ))
                })?;
                text
            }
            Workload::Size { bytes, seed } => {
                serde_json::json!({"faasplan_workload": {"bytes": bytes, "seed": seed}}).to_string()
            }
        };
        let request = RunRequest {
            configurations,
            input,
            repetitions: job.request.repetitions,
        };
        request.validate(&self.target)?;
        Ok(request)
    }
}

/// Instances started and finished per stage, as reported live.
type Live = Arc<std::sync::Mutex<BTreeMap<String, (u64, u64)>>>;

/// Reports an outcome through the run's handle; the instance counts the live
/// progress did not report (an emulator without history events, say) are
/// added from the rows, so the final counts match what ran.
fn report(outcome: &RunOutcome, handle: &RunHandle, live: &Live) {
    let live = live
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for stage in &outcome.profiles.stages {
        let instances: u64 = stage.runs.iter().map(|r| u64::from(r.d)).sum();
        let (started, finished) = live.get(&stage.stage).copied().unwrap_or_default();
        handle.instances_started(&stage.stage, instances.saturating_sub(started));
        for _ in finished..instances {
            handle.instance_finished(&stage.stage);
        }
        for run in &stage.runs {
            handle.add_run(&stage.stage, run.clone());
        }
    }
    for (x, m) in outcome.executions.iter().zip(&outcome.measured) {
        handle.add_execution(WireExecution {
            configuration: x.configuration as u32,
            rep: x.rep,
            cold: m.cold,
            latency_s: (x.stop_ms - x.start_ms).max(0) as f64 / 1000.0,
            billed_gb_s: m.billed_gb_s,
            invocations: m.instances,
            stages: m.stages.clone(),
            branches: Vec::new(),
        });
        if !x.status.starts_with("SUCCEEDED") {
            handle.warn(format!(
                "configuration {}, repetition {}: the execution ended {}",
                x.configuration, x.rep, x.status
            ));
        }
    }
    for m in &outcome.missing {
        handle.warn(m.clone());
    }
    if outcome.timeouts + outcome.errors > 0 {
        handle.warn(format!(
            "{} instances timed out and {} ended with an error; they are not in the profiles",
            outcome.timeouts, outcome.errors
        ));
    }
}

impl Backend for AwsBackend {
    fn name(&self) -> &str {
        "aws"
    }

    fn mb_per_vcpu(&self) -> f64 {
        AWS_MB_PER_VCPU
    }

    fn functions(&self) -> Vec<String> {
        self.target.stages()
    }

    fn accepts(&self, job: &Job) -> Result<(), BackendError> {
        self.request_of(job)
            .map(|_| ())
            .map_err(|e| BackendError(e.message))
    }

    fn run(&self, job: Arc<Job>, handle: RunHandle) -> BoxFuture<Result<(), BackendError>> {
        let this = self.clone();
        Box::pin(async move {
            let request = this.request_of(&job).map_err(|e| BackendError(e.message))?;
            let Some(session) = &this.session else {
                let calls = dry_run(&this.target, &request).map_err(|e| BackendError(e.message))?;
                (this.out)(&format!(
                    "dry run {}: {} AWS API calls, nothing changed",
                    job.id,
                    calls.len()
                ));
                let n = calls.len();
                for call in calls {
                    (this.out)(&format!("dry run {}: {call}", job.id));
                }
                handle.warn(format!(
                    "dry run: nothing ran; the executor printed the {n} AWS API calls it would make"
                ));
                return Ok(());
            };
            let cancel = Cancel::new();
            let watcher = {
                let (handle, cancel) = (handle.clone(), cancel.clone());
                tokio::spawn(async move {
                    handle.cancelled().await;
                    cancel.cancel();
                })
            };
            let live: Live = Arc::default();
            let progress = {
                let (handle, live) = (handle.clone(), live.clone());
                Arc::new(move |stage: &str, started: u64, finished: u64| {
                    handle.instances_started(stage, started);
                    for _ in 0..finished {
                        handle.instance_finished(stage);
                    }
                    let mut live = live
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let c = live.entry(stage.to_string()).or_default();
                    c.0 += started;
                    c.1 += finished;
                })
            };
            let session = session.with_progress(progress);
            let result = session.run(&this.target, &request, &cancel).await;
            watcher.abort();
            match result {
                Ok(outcome) => {
                    report(&outcome, &handle, &live);
                    Ok(())
                }
                Err(e) if e.kind == ErrorKind::Cancelled => Ok(()),
                Err(e) => Err(BackendError(e.message)),
            }
        })
    }
}
