//! A session with AWS: remember, apply, execute, restore, collect.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_lambda::types::{LastUpdateStatus, LogType};
use aws_sdk_sfn::types::ExecutionStatus;
use faasplan_core::export::{self, StageConfigs};
use faasplan_core::formats::batch::AWS_MB_PER_VCPU;
use faasplan_core::profile::{Profiles, StageProfile};
use serde_json::Value;

use crate::call::{Call, Entry, ExecutionRecord, Journal};
use crate::error::{AwsError, ErrorKind, register_secret};
use crate::rows::{StageReports, rows_of_reports};
use crate::settings::AwsSettings;
use crate::target::{StageFunction, Target};

/// What to run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRequest {
    /// The configurations to run, one after the other (a plan is one).
    pub configurations: Vec<StageConfigs>,
    /// The input of each execution (JSON text). For direct invokes of d
    /// instances, a JSON array is split into d contiguous parts.
    pub input: String,
    /// Executions per configuration.
    pub repetitions: u32,
}

impl RunRequest {
    /// Checks the request against the target; nothing is called.
    pub fn validate(&self, target: &Target) -> Result<(), AwsError> {
        if self.configurations.is_empty() {
            return Err(AwsError::new(
                ErrorKind::Input,
                "configurations: at least one is needed",
            ));
        }
        if self.repetitions == 0 || self.repetitions > 1000 {
            return Err(AwsError::new(
                ErrorKind::Input,
                format!("repetitions: {} (1..=1000)", self.repetitions),
            ));
        }
        if let Err(e) = serde_json::from_str::<Value>(&self.input) {
            return Err(AwsError::new(
                ErrorKind::Input,
                format!("input: not JSON ({e})"),
            ));
        }
        for (i, c) in self.configurations.iter().enumerate() {
            target.check_configs(c, i)?;
            if let Target::StateMachine { import, .. } = target {
                export::function_memory(import, c).map_err(|e| {
                    AwsError::new(ErrorKind::Input, format!("configurations[{i}]: {e}"))
                })?;
            }
        }
        Ok(())
    }
}

/// What a run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOutcome {
    /// One row per stage and execution.
    pub profiles: Profiles,
    /// Every execution, in order.
    pub executions: Vec<ExecutionRecord>,
    /// Instances that timed out (counted, not profiled).
    pub timeouts: usize,
    /// Instances that ended with an error (counted, not profiled).
    pub errors: usize,
    /// Stage and execution pairs whose `REPORT` lines never arrived.
    pub missing: Vec<String>,
    /// Per execution (same order as `executions`): what its lines add up to.
    pub measured: Vec<ExecutionMeasure>,
}

/// What the `REPORT` lines of one execution add up to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExecutionMeasure {
    /// Function instances with a `REPORT` line.
    pub instances: u64,
    /// Their billed GB-seconds.
    pub billed_gb_s: f64,
    /// Whether any of them started cold.
    pub cold: bool,
    /// Each stage with lines: its memory, instances, wall time (the row's mean
    /// start-up plus the slowest instance's duration) and billed GB-seconds.
    pub stages: Vec<faasplan_core::executor::StageRecord>,
}

/// A cancel switch for a run; the run stops at its next poll, stops a
/// running execution and restores the original configuration.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A switch that is off.
    pub fn new() -> Self {
        Self::default()
    }
    /// Turns it on.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    /// Whether it is on.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What a run changes and later puts back.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Remembered {
    /// Each function's memory, MB.
    pub memory_mb: BTreeMap<String, u32>,
    /// The state machine's definition.
    pub definition: Option<String>,
}

/// The restore file: what a run remembered, kept on disk until it is put back.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Pending {
    /// Always `"faasplan-aws-restore"`.
    format: String,
    /// The state machine whose definition was remembered.
    state_machine: Option<String>,
    /// The remembered values.
    remembered: Remembered,
}

const PENDING_FORMAT: &str = "faasplan-aws-restore";

/// Live progress of a run: `(stage, instances started, instances finished)`,
/// as increments, while the executions run (see [`Session::with_progress`]).
pub type Progress = Arc<dyn Fn(&str, u64, u64) + Send + Sync>;

/// Clients of Lambda, Step Functions and CloudWatch Logs, with the journal of what they did.
#[derive(Clone)]
pub struct Session {
    lambda: aws_sdk_lambda::Client,
    sfn: aws_sdk_sfn::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    settings: AwsSettings,
    journal: Journal,
    progress: Option<Progress>,
}

impl std::fmt::Debug for Session {
    /// The settings only: the clients' configuration holds the credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn ms_of(t: &aws_smithy_types::DateTime) -> i64 {
    t.to_millis().unwrap_or_else(|_| now_ms())
}

fn cancelled() -> AwsError {
    AwsError::new(
        ErrorKind::Cancelled,
        "cancelled; the original configuration was restored",
    )
}

/// The parts of a direct invoke's input: a JSON array split into `d`
/// contiguous parts, anything else given whole to every instance.
fn split_input(input: &str, d: u32) -> Vec<String> {
    let d = d.max(1) as usize;
    match serde_json::from_str::<Value>(input) {
        Ok(Value::Array(items)) if d > 1 => {
            let per = items.len().div_ceil(d).max(1);
            let mut parts: Vec<String> = items
                .chunks(per)
                .map(|c| Value::Array(c.to_vec()).to_string())
                .collect();
            parts.resize(d, "[]".into());
            parts
        }
        _ => vec![input.to_string(); d],
    }
}

/// The `MaxConcurrency` each Map gets under `configs`, as text.
fn map_changes(target: &Target, configs: &StageConfigs) -> String {
    let Target::StateMachine { import, .. } = target else {
        return String::new();
    };
    let mut by_map: BTreeMap<&str, u32> = BTreeMap::new();
    for s in &import.stages {
        if let (Some(m), Some(c)) = (&s.map, configs.get(&s.id)) {
            let d = by_map.entry(m.state.as_str()).or_insert(1);
            *d = (*d).max(c.d);
        }
    }
    if by_map.is_empty() {
        return "no Map state".into();
    }
    by_map
        .iter()
        .map(|(m, d)| format!("{m}.MaxConcurrency={d}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The calls a run of `request` on `target` would make, in order, without
/// contacting AWS: the functions' current memory and the state machine's
/// current definition are not known, so every update is listed (a real run
/// skips an update to the value a function already has).
pub fn dry_run(target: &Target, request: &RunRequest) -> Result<Vec<Call>, AwsError> {
    request.validate(target)?;
    let functions = target.stage_functions()?;
    let mut calls = Vec::new();
    if let Target::StateMachine { arn, .. } = target {
        calls.push(Call::DescribeStateMachine { arn: arn.clone() });
    }
    for f in &functions {
        calls.push(Call::GetFunctionConfiguration {
            function: f.function.clone(),
        });
    }
    for configs in &request.configurations {
        for f in &functions {
            calls.push(Call::UpdateFunctionConfiguration {
                function: f.function.clone(),
                memory_mb: configs[&f.stage].memory_mb,
                purpose: "apply",
            });
            calls.push(Call::WaitFunctionUpdated {
                function: f.function.clone(),
            });
        }
        match target {
            Target::StateMachine { arn, .. } => {
                calls.push(Call::UpdateStateMachine {
                    arn: arn.clone(),
                    change: map_changes(target, configs),
                    purpose: "apply",
                });
                for _ in 0..request.repetitions {
                    calls.push(Call::StartExecution {
                        arn: arn.clone(),
                        input_bytes: request.input.len(),
                    });
                    calls.push(Call::WaitExecution {
                        execution: String::new(),
                    });
                }
            }
            Target::Function { stage, function } => {
                let d = configs[stage].d;
                let parts = split_input(&request.input, d);
                for _ in 0..request.repetitions {
                    for (i, p) in parts.iter().enumerate() {
                        calls.push(Call::Invoke {
                            function: function.clone(),
                            instance: i as u32,
                            payload_bytes: p.len(),
                        });
                    }
                }
            }
        }
    }
    for f in &functions {
        calls.push(Call::UpdateFunctionConfiguration {
            function: f.function.clone(),
            memory_mb: 0,
            purpose: "restore",
        });
        calls.push(Call::WaitFunctionUpdated {
            function: f.function.clone(),
        });
    }
    if let Target::StateMachine { arn, .. } = target {
        calls.push(Call::UpdateStateMachine {
            arn: arn.clone(),
            change: "the remembered definition".into(),
            purpose: "restore",
        });
    }
    for f in &functions {
        calls.push(Call::FilterLogEvents {
            group: f.log_group(),
            start_ms: 0,
            end_ms: 0,
        });
    }
    Ok(calls)
}

/// One execution's measurements before the logs are read.
#[derive(Clone, Debug)]
struct Done {
    record: ExecutionRecord,
    config: StageConfigs,
    /// Invoke `LogResult` tails (direct invokes only).
    tails: Vec<String>,
}

impl Session {
    /// Opens a session: loads the region and credentials from the standard
    /// chain (or the emulator settings) and resolves the credentials once, so
    /// a missing one fails here, before anything runs.
    pub async fn connect(settings: AwsSettings, journal: Journal) -> Result<Session, AwsError> {
        settings.validate()?;
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(r) = &settings.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(p) = &settings.profile {
            loader = loader.profile_name(p);
        }
        if let Some(u) = &settings.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        if settings.emulator_credentials {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                "emulator", "emulator", None, None, "emulator",
            ));
        }
        let sdk = loader.load().await;
        if sdk.region().is_none() {
            return Err(AwsError::new(
                ErrorKind::Input,
                "no AWS region: set AWS_REGION, a region in the profile, or the backend's region setting",
            ));
        }
        let Some(provider) = sdk.credentials_provider() else {
            return Err(AwsError::new(
                ErrorKind::Credentials,
                "no credentials provider in the AWS configuration",
            ));
        };
        let creds = provider.provide_credentials().await.map_err(|e| {
            let mut text = e.to_string();
            if let Some(s) = std::error::Error::source(&e) {
                text = format!("{text}: {s}");
            }
            AwsError::new(
                ErrorKind::Credentials,
                format!(
                    "no AWS credentials from the standard chain (environment, shared config and credentials files, web identity, container or instance metadata): {text}"
                ),
            )
        })?;
        register_secret(creds.secret_access_key());
        if let Some(t) = creds.session_token() {
            register_secret(t);
        }
        register_secret(creds.access_key_id());
        Ok(Session {
            lambda: aws_sdk_lambda::Client::new(&sdk),
            sfn: aws_sdk_sfn::Client::new(&sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(&sdk),
            settings,
            journal,
            progress: None,
        })
    }

    /// The same session reporting live progress to `progress`: for a state
    /// machine, each poll reads the execution's history
    /// (`GetExecutionHistory`) and reports the `TaskStateEntered` and
    /// `TaskStateExited` events of each stage's state since the last poll
    /// (a Map's iterations are its instances); for direct invokes, each
    /// invoke as it starts and as it returns.
    pub fn with_progress(&self, progress: Progress) -> Session {
        Session {
            progress: Some(progress),
            ..self.clone()
        }
    }

    fn report_progress(&self, stage: &str, started: u64, finished: u64) {
        if let Some(p) = &self.progress
            && started + finished > 0
        {
            p(stage, started, finished);
        }
    }

    /// Reads the execution's history and reports the task states entered and
    /// exited since `seen` (counts per state name, updated).
    async fn history_progress(
        &self,
        execution: &str,
        stages: &[String],
        seen: &mut BTreeMap<String, (u64, u64)>,
    ) -> Result<(), AwsError> {
        use aws_sdk_sfn::types::HistoryEventType;
        if self.progress.is_none() {
            return Ok(());
        }
        let call = Call::GetExecutionHistory {
            execution: execution.to_string(),
        };
        let mut counts: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .sfn
                .get_execution_history()
                .execution_arn(execution)
                .max_results(1000)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AwsError::api(&call, &e))?;
            for e in out.events() {
                let (name, entered) = match e.r#type() {
                    HistoryEventType::TaskStateEntered => {
                        (e.state_entered_event_details().map(|d| d.name()), true)
                    }
                    HistoryEventType::TaskStateExited => {
                        (e.state_exited_event_details().map(|d| d.name()), false)
                    }
                    _ => continue,
                };
                let Some(name) = name.filter(|n| stages.iter().any(|s| s == n)) else {
                    continue;
                };
                let c = counts.entry(name.to_string()).or_default();
                if entered {
                    c.0 += 1;
                } else {
                    c.1 += 1;
                }
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        for (stage, (entered, exited)) in counts {
            let s = seen.entry(stage.clone()).or_default();
            self.report_progress(
                &stage,
                entered.saturating_sub(s.0),
                exited.saturating_sub(s.1),
            );
            *s = (s.0.max(entered), s.1.max(exited));
        }
        Ok(())
    }

    /// The same clients with another journal (one per run).
    pub fn with_journal(&self, journal: Journal) -> Session {
        Session {
            journal,
            ..self.clone()
        }
    }

    /// The journal of this session's calls.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    fn call(&self, call: &Call) {
        self.journal.push(Entry::Call(call.clone()));
    }

    /// A state machine as a target, its definition read from AWS.
    pub async fn state_machine(&self, arn: &str) -> Result<Target, AwsError> {
        let definition = self.definition(arn).await?;
        Target::state_machine(arn, &definition)
    }

    async fn definition(&self, arn: &str) -> Result<String, AwsError> {
        let call = Call::DescribeStateMachine {
            arn: arn.to_string(),
        };
        self.call(&call);
        let out = self
            .sfn
            .describe_state_machine()
            .state_machine_arn(arn)
            .send()
            .await
            .map_err(|e| AwsError::api(&call, &e))?;
        Ok(out.definition().to_string())
    }

    async fn memory_of(&self, function: &str) -> Result<u32, AwsError> {
        let call = Call::GetFunctionConfiguration {
            function: function.to_string(),
        };
        self.call(&call);
        let out = self
            .lambda
            .get_function_configuration()
            .function_name(function)
            .send()
            .await
            .map_err(|e| AwsError::api(&call, &e))?;
        out.memory_size().map(|m| m as u32).ok_or_else(|| {
            AwsError::new(
                ErrorKind::Api,
                format!("{call}: the answer has no MemorySize"),
            )
        })
    }

    /// Waits until a function's `LastUpdateStatus` is `Successful`.
    async fn wait_updated(&self, function: &str) -> Result<(), AwsError> {
        let call = Call::WaitFunctionUpdated {
            function: function.to_string(),
        };
        self.call(&call);
        let started = Instant::now();
        loop {
            let out = self
                .lambda
                .get_function_configuration()
                .function_name(function)
                .send()
                .await
                .map_err(|e| AwsError::api(&call, &e))?;
            match out.last_update_status() {
                None | Some(LastUpdateStatus::Successful) => return Ok(()),
                Some(LastUpdateStatus::Failed) => {
                    return Err(AwsError::new(
                        ErrorKind::Update,
                        format!(
                            "function {function}: the configuration update failed: {}",
                            out.last_update_status_reason().unwrap_or("no reason given")
                        ),
                    ));
                }
                Some(_) => {}
            }
            if started.elapsed() > self.settings.update_timeout {
                return Err(AwsError::new(
                    ErrorKind::Update,
                    format!(
                        "function {function}: the configuration update is still in progress after {} s",
                        self.settings.update_timeout.as_secs()
                    ),
                ));
            }
            tokio::time::sleep(self.settings.poll).await;
        }
    }

    async fn set_memory(
        &self,
        function: &str,
        memory_mb: u32,
        purpose: &'static str,
    ) -> Result<(), AwsError> {
        // A function still being updated refuses another update: wait first.
        self.wait_updated(function).await?;
        let call = Call::UpdateFunctionConfiguration {
            function: function.to_string(),
            memory_mb,
            purpose,
        };
        self.call(&call);
        self.lambda
            .update_function_configuration()
            .function_name(function)
            .memory_size(memory_mb as i32)
            .send()
            .await
            .map_err(|e| AwsError::api(&call, &e))?;
        self.wait_updated(function).await
    }

    async fn set_definition(
        &self,
        arn: &str,
        definition: &str,
        change: String,
        purpose: &'static str,
    ) -> Result<(), AwsError> {
        let call = Call::UpdateStateMachine {
            arn: arn.to_string(),
            change,
            purpose,
        };
        self.call(&call);
        self.sfn
            .update_state_machine()
            .state_machine_arn(arn)
            .definition(definition)
            .send()
            .await
            .map_err(|e| AwsError::api(&call, &e))?;
        Ok(())
    }

    /// Reads what a run will change: each function's memory and the
    /// definition (which must still be the one the target was read from).
    pub async fn remember(&self, target: &Target) -> Result<Remembered, AwsError> {
        let mut out = Remembered::default();
        if let Target::StateMachine { arn, import } = target {
            let def = self.definition(arn).await?;
            let now: Value = serde_json::from_str(&def).map_err(|e| {
                AwsError::new(
                    ErrorKind::Api,
                    format!("state machine {arn}: its definition is not JSON: {e}"),
                )
            })?;
            if now != import.definition {
                return Err(AwsError::new(
                    ErrorKind::Input,
                    format!(
                        "state machine {arn}: its deployed definition differs from the one the run was planned on; read it again"
                    ),
                ));
            }
            out.definition = Some(def);
        }
        for f in target.stage_functions()? {
            let m = self.memory_of(&f.function).await?;
            out.memory_mb.insert(f.function.clone(), m);
        }
        self.journal.note(format!(
            "remembered: {}",
            out.memory_mb
                .iter()
                .map(|(f, m)| format!("{f}={m} MB"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Ok(out)
    }

    /// Applies one configuration: memory of every function that differs, and
    /// the Maps' `MaxConcurrency` when the definition changes.
    pub async fn apply(&self, target: &Target, configs: &StageConfigs) -> Result<(), AwsError> {
        for f in target.stage_functions()? {
            let want = configs[&f.stage].memory_mb;
            if self.memory_of(&f.function).await? != want {
                self.set_memory(&f.function, want, "apply").await?;
            }
        }
        if let Target::StateMachine { arn, import } = target {
            let def = export::state_machine(import, configs)
                .map_err(|e| AwsError::new(ErrorKind::Input, e.to_string()))?;
            let current = self.definition(arn).await?;
            let same = serde_json::from_str::<Value>(&current).ok()
                == serde_json::from_str::<Value>(&def).ok();
            if !same {
                self.set_definition(arn, &def, map_changes(target, configs), "apply")
                    .await?;
            }
        }
        Ok(())
    }

    /// Writes the restore file (when the settings name one): what `remembered`
    /// holds, so that a run killed before it restored can be put back later.
    pub fn save_pending(&self, target: &Target, remembered: &Remembered) -> Result<(), AwsError> {
        let Some(path) = &self.settings.restore_file else {
            return Ok(());
        };
        let fail = |m: String| AwsError::new(ErrorKind::Input, m);
        let pending = Pending {
            format: PENDING_FORMAT.to_string(),
            state_machine: match target {
                Target::StateMachine { arn, .. } => Some(arn.clone()),
                Target::Function { .. } => None,
            },
            remembered: remembered.clone(),
        };
        let text = serde_json::to_string_pretty(&pending).map_err(|e| fail(e.to_string()))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| fail(format!("restore file {}: {e}", path.display())))?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| fail(format!("restore file {}: {e}", path.display())))?;
        self.journal
            .note(format!("original configuration kept in {}", path.display()));
        Ok(())
    }

    /// Removes the restore file once the original configuration is back.
    fn clear_pending(&self) {
        if let Some(path) = &self.settings.restore_file
            && let Err(e) = std::fs::remove_file(path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            self.journal
                .note(format!("removing the restore file {}: {e}", path.display()));
        }
    }

    /// Puts back the configuration a run killed mid-way left in the restore
    /// file (the executor calls this when it starts), then removes the file.
    /// `Ok(false)` when there was nothing to restore; on an error the file stays.
    pub async fn restore_interrupted(&self) -> Result<bool, AwsError> {
        let Some(path) = &self.settings.restore_file else {
            return Ok(false);
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => {
                return Err(AwsError::new(
                    ErrorKind::Restore,
                    format!("restore file {}: {e}", path.display()),
                ));
            }
        };
        let pending: Pending = serde_json::from_str(&text)
            .ok()
            .filter(|p: &Pending| p.format == PENDING_FORMAT)
            .ok_or_else(|| {
                AwsError::new(
                    ErrorKind::Restore,
                    format!(
                        "restore file {}: not a faasplan restore file; move it away after checking what it holds",
                        path.display()
                    ),
                )
            })?;
        self.journal.note(format!(
            "an interrupted run left its original configuration in {}: restoring it",
            path.display()
        ));
        self.restore_to(pending.state_machine.as_deref(), &pending.remembered)
            .await?;
        self.clear_pending();
        Ok(true)
    }

    /// Puts back what [`Session::remember`] read, checking the live values
    /// first (so a half-done update is restored too).
    pub async fn restore(&self, target: &Target, remembered: &Remembered) -> Result<(), AwsError> {
        let arn = match target {
            Target::StateMachine { arn, .. } => Some(arn.as_str()),
            Target::Function { .. } => None,
        };
        self.restore_to(arn, remembered).await
    }

    async fn restore_to(
        &self,
        state_machine: Option<&str>,
        remembered: &Remembered,
    ) -> Result<(), AwsError> {
        let mut first_error: Option<AwsError> = None;
        for (function, &memory_mb) in &remembered.memory_mb {
            let r = match self.memory_of(function).await {
                Ok(m) if m == memory_mb => Ok(()),
                Ok(_) => self.set_memory(function, memory_mb, "restore").await,
                Err(e) => Err(e),
            };
            if let Err(e) = r {
                first_error.get_or_insert(e);
            }
        }
        if let (Some(arn), Some(def)) = (state_machine, &remembered.definition) {
            let r = match self.definition(arn).await {
                Ok(now) if &now == def => Ok(()),
                Ok(_) => {
                    self.set_definition(arn, def, "the remembered definition".into(), "restore")
                        .await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = r {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            None => {
                self.journal.note("restored the original configuration");
                Ok(())
            }
            Some(e) => Err(AwsError::new(
                ErrorKind::Restore,
                format!("restoring the original configuration: {}", e.message),
            )),
        }
    }

    async fn execute_state_machine(
        &self,
        target: &Target,
        arn: &str,
        name: &str,
        input: &str,
        cancel: &Cancel,
    ) -> Result<ExecutionRecord, AwsError> {
        let stages = target.stages();
        let mut seen: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let call = Call::StartExecution {
            arn: arn.to_string(),
            input_bytes: input.len(),
        };
        self.call(&call);
        let out = self
            .sfn
            .start_execution()
            .state_machine_arn(arn)
            .name(name)
            .input(input)
            .send()
            .await
            .map_err(|e| AwsError::api(&call, &e))?;
        let execution = out.execution_arn().to_string();
        let wait = Call::WaitExecution {
            execution: execution.clone(),
        };
        self.call(&wait);
        let started = Instant::now();
        loop {
            if cancel.is_cancelled() {
                self.stop(&execution).await?;
                return Err(cancelled());
            }
            let d = self
                .sfn
                .describe_execution()
                .execution_arn(&execution)
                .send()
                .await
                .map_err(|e| AwsError::api(&wait, &e))?;
            let running = *d.status() == ExecutionStatus::Running
                || *d.status() == ExecutionStatus::PendingRedrive;
            // Progress is a report, not the run: a failed history read does not stop it.
            if let Err(e) = self.history_progress(&execution, &stages, &mut seen).await {
                self.journal.note(format!(
                    "reading the progress of {execution}: {}",
                    e.message
                ));
            }
            if !running {
                let mut status = d.status().as_str().to_string();
                if let Some(err) = d.error() {
                    status = format!("{status} ({err})");
                }
                return Ok(ExecutionRecord {
                    configuration: 0,
                    rep: 0,
                    id: execution,
                    status,
                    start_ms: ms_of(d.start_date()),
                    stop_ms: d.stop_date().map_or_else(now_ms, ms_of),
                    request_ids: Vec::new(),
                });
            }
            if started.elapsed() > self.settings.execution_timeout {
                self.stop(&execution).await?;
                return Err(AwsError::new(
                    ErrorKind::Timeout,
                    format!(
                        "execution {execution}: still running after {} s; stopped",
                        self.settings.execution_timeout.as_secs()
                    ),
                ));
            }
            tokio::time::sleep(self.settings.poll).await;
        }
    }

    async fn stop(&self, execution: &str) -> Result<(), AwsError> {
        let call = Call::StopExecution {
            execution: execution.to_string(),
        };
        self.call(&call);
        self.sfn
            .stop_execution()
            .execution_arn(execution)
            .cause("stopped by faasplan: the run was cancelled")
            .send()
            .await
            .map_err(|e| AwsError::api(&call, &e))?;
        Ok(())
    }

    async fn invoke_all(
        &self,
        stage: &str,
        function: &str,
        parts: &[String],
    ) -> Result<(ExecutionRecord, Vec<String>), AwsError> {
        use aws_sdk_lambda::operation::RequestId;
        let start_ms = now_ms();
        let mut set = tokio::task::JoinSet::new();
        for (i, p) in parts.iter().enumerate() {
            let call = Call::Invoke {
                function: function.to_string(),
                instance: i as u32,
                payload_bytes: p.len(),
            };
            self.call(&call);
            let fut = self
                .lambda
                .invoke()
                .function_name(function)
                .log_type(LogType::Tail)
                .payload(aws_sdk_lambda::primitives::Blob::new(p.as_bytes().to_vec()))
                .send();
            set.spawn(async move { (i, call, fut.await) });
        }
        self.report_progress(stage, parts.len() as u64, 0);
        let mut results = Vec::new();
        while let Some(j) = set.join_next().await {
            let (i, call, r) = j.map_err(|e| {
                AwsError::new(ErrorKind::Api, format!("an invoke task failed: {e}"))
            })?;
            let out = r.map_err(|e| AwsError::api(&call, &e))?;
            self.report_progress(stage, 0, 1);
            results.push((
                i,
                out.request_id().unwrap_or("").to_string(),
                out.log_result().map(str::to_string),
                out.function_error().map(str::to_string),
            ));
        }
        results.sort_by_key(|r| r.0);
        let status = results
            .iter()
            .find_map(|r| r.3.clone())
            .unwrap_or_else(|| "SUCCEEDED".into());
        Ok((
            ExecutionRecord {
                configuration: 0,
                rep: 0,
                id: "invoke".into(),
                status,
                start_ms,
                stop_ms: now_ms(),
                request_ids: results.iter().map(|r| r.1.clone()).collect(),
            },
            results.into_iter().filter_map(|r| r.2).collect(),
        ))
    }

    /// Applies each configuration and runs it `repetitions` times.
    async fn measure(
        &self,
        target: &Target,
        request: &RunRequest,
        cancel: &Cancel,
    ) -> Result<Vec<Done>, AwsError> {
        let mut done = Vec::new();
        for (ci, configs) in request.configurations.iter().enumerate() {
            if cancel.is_cancelled() {
                return Err(cancelled());
            }
            self.apply(target, configs).await?;
            for rep in 0..request.repetitions {
                if cancel.is_cancelled() {
                    return Err(cancelled());
                }
                let (mut record, tails) = match target {
                    Target::StateMachine { arn, .. } => (
                        self.execute_state_machine(
                            target,
                            arn,
                            &format!("faasplan-{}-c{ci}-r{rep}", now_ms()),
                            &request.input,
                            cancel,
                        )
                        .await?,
                        Vec::new(),
                    ),
                    Target::Function { stage, function } => {
                        let parts = split_input(&request.input, configs[stage].d);
                        self.invoke_all(stage, function, &parts).await?
                    }
                };
                record.configuration = ci;
                record.rep = rep;
                self.journal.push(Entry::Execution(record.clone()));
                done.push(Done {
                    record,
                    config: configs.clone(),
                    tails,
                });
            }
        }
        Ok(done)
    }

    /// The `REPORT` events of a log group in a window (an absent group has none yet).
    async fn report_events(
        &self,
        group: &str,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<(i64, String)>, AwsError> {
        let call = Call::FilterLogEvents {
            group: group.to_string(),
            start_ms,
            end_ms,
        };
        self.call(&call);
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let r = self
                .logs
                .filter_log_events()
                .log_group_name(group)
                .start_time(start_ms)
                .end_time(end_ms)
                .filter_pattern("REPORT")
                .set_next_token(token.clone())
                .send()
                .await;
            let page = match r {
                Ok(p) => p,
                Err(e) => {
                    if e.as_service_error()
                        .is_some_and(|s| s.is_resource_not_found_exception())
                    {
                        return Ok(out);
                    }
                    return Err(AwsError::api(&call, &e));
                }
            };
            for ev in page.events() {
                if let Some(m) = ev.message()
                    && m.contains("REPORT RequestId")
                {
                    out.push((ev.timestamp().unwrap_or(0), m.to_string()));
                }
            }
            match page.next_token() {
                Some(t) if Some(t) != token.as_deref() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }

    /// Reads each execution's `REPORT` lines and turns them into rows.
    async fn collect(&self, target: &Target, done: &[Done]) -> Result<RunOutcome, AwsError> {
        let functions = target.stage_functions()?;
        let mut outcome = RunOutcome {
            executions: done.iter().map(|d| d.record.clone()).collect(),
            profiles: Profiles {
                mb_per_vcpu: AWS_MB_PER_VCPU,
                stages: Vec::new(),
            },
            timeouts: 0,
            errors: 0,
            missing: Vec::new(),
            measured: vec![ExecutionMeasure::default(); done.len()],
        };
        if done.is_empty() {
            return Ok(outcome);
        }
        const SLACK_MS: i64 = 200;
        let start = done.iter().map(|d| d.record.start_ms).min().unwrap_or(0) - SLACK_MS;
        let end = done.iter().map(|d| d.record.stop_ms).max().unwrap_or(0) + SLACK_MS;
        // Per function, per execution: the log texts.
        let mut logs: BTreeMap<(String, usize), Vec<String>> = BTreeMap::new();
        for f in &functions {
            let per_exec = self.wait_for_reports(f, done, start, end).await?;
            for (i, texts) in per_exec.into_iter().enumerate() {
                logs.insert((f.stage.clone(), i), texts);
            }
        }
        for f in &functions {
            let mut stage = StageProfile {
                stage: f.stage.clone(),
                runs: Vec::new(),
            };
            for (i, d) in done.iter().enumerate() {
                let texts = logs.remove(&(f.stage.clone(), i)).unwrap_or_default();
                let reports = StageReports {
                    stage: f.stage.clone(),
                    config: d.config[&f.stage],
                    rep: d.record.rep,
                    logs: texts,
                };
                let (mut rows, dropped) = rows_of_reports(&reports)?;
                for r in &mut rows {
                    // Lines without a time of their own: the execution's start.
                    r.timestamp
                        .get_or_insert(d.record.start_ms.max(0) as f64 / 1000.0);
                }
                outcome.timeouts += dropped.timeouts;
                outcome.errors += dropped.errors;
                let m = &mut outcome.measured[i];
                m.instances += dropped.instances as u64;
                m.billed_gb_s += dropped.billed_gb_s;
                m.cold |= rows.iter().any(|r| r.cold);
                if dropped.instances > 0 {
                    let config = d.config[&f.stage];
                    m.stages.push(faasplan_core::executor::StageRecord {
                        stage: f.stage.clone(),
                        memory_mb: rows.first().map_or(config.memory_mb, |r| r.memory_mb),
                        // The instances that ran (a Map runs one per item).
                        d: u32::try_from(dropped.instances).unwrap_or(u32::MAX),
                        latency_s: rows
                            .iter()
                            .map(|r| r.start.mean_s + r.compute.p95_s)
                            .fold(0.0, f64::max),
                        billed_gb_s: dropped.billed_gb_s,
                    });
                }
                if rows.is_empty() {
                    outcome.missing.push(format!(
                        "stage {}, configuration {}, repetition {}: no REPORT line",
                        f.stage, d.record.configuration, d.record.rep
                    ));
                }
                stage.runs.extend(rows);
            }
            outcome.profiles.stages.push(stage);
        }
        for m in &outcome.missing {
            self.journal.note(m);
        }
        Ok(outcome)
    }

    /// Polls CloudWatch Logs until every execution has its lines (direct
    /// invokes: one per request id; executions: at least one, and no new line
    /// for `log_settle`), or `log_wait` has passed. Direct invokes whose
    /// `LogResult` tails hold the lines need no call.
    async fn wait_for_reports(
        &self,
        f: &StageFunction,
        done: &[Done],
        start: i64,
        end: i64,
    ) -> Result<Vec<Vec<String>>, AwsError> {
        let tails_complete = done.iter().all(|d| {
            !d.record.request_ids.is_empty()
                && d.tails.iter().filter(|t| looks_like_report(t)).count()
                    == d.record.request_ids.len()
        });
        if tails_complete {
            return Ok(done.iter().map(|d| d.tails.clone()).collect());
        }
        let group = f.log_group();
        let started = Instant::now();
        let mut last_count = usize::MAX;
        let mut stable_since = Instant::now();
        loop {
            let events = self.report_events(&group, start, end).await?;
            let per_exec = assign(done, &events);
            let complete = done.iter().zip(&per_exec).all(|(d, ev)| {
                if d.record.request_ids.is_empty() {
                    !ev.is_empty()
                } else {
                    d.record
                        .request_ids
                        .iter()
                        .all(|id| ev.iter().any(|(_, m)| m.contains(id.as_str())))
                }
            });
            let count = events.len();
            if count != last_count {
                last_count = count;
                stable_since = Instant::now();
            }
            let settled = stable_since.elapsed() >= self.settings.log_settle;
            if (complete && settled) || started.elapsed() >= self.settings.log_wait {
                return Ok(per_exec
                    .into_iter()
                    .map(|ev| {
                        if ev.is_empty() {
                            return Vec::new();
                        }
                        let events: Vec<Value> = ev
                            .iter()
                            .map(|(t, m)| serde_json::json!({"timestamp": t, "message": m}))
                            .collect();
                        vec![
                            serde_json::json!({"logGroupName": group, "events": events})
                                .to_string(),
                        ]
                    })
                    .collect());
            }
            tokio::time::sleep(self.settings.poll).await;
        }
    }

    /// Runs `request` on `target`: remember, apply and execute each
    /// configuration, restore (also after an error or a cancel), then collect.
    pub async fn run(
        &self,
        target: &Target,
        request: &RunRequest,
        cancel: &Cancel,
    ) -> Result<RunOutcome, AwsError> {
        request.validate(target)?;
        if let Some(path) = self.settings.restore_file.as_ref().filter(|p| p.exists()) {
            // Another run's original configuration is still to be put back:
            // remembering now would take the changed values for the originals.
            return Err(AwsError::new(
                ErrorKind::Input,
                format!(
                    "restore file {}: an earlier run's original configuration is still there; restart the executor (it restores the file first)",
                    path.display()
                ),
            ));
        }
        let remembered = self.remember(target).await?;
        self.save_pending(target, &remembered)?;
        let measured = self.measure(target, request, cancel).await;
        let restored = self.restore(target, &remembered).await;
        if restored.is_ok() {
            self.clear_pending();
        }
        let done = match (measured, restored) {
            (Ok(done), Ok(())) => done,
            (Err(e), Ok(())) => return Err(e),
            (Ok(_), Err(r)) => return Err(r),
            (Err(e), Err(r)) => return Err(e.with_restore_failure(&r)),
        };
        self.collect(target, &done).await
    }
}

fn looks_like_report(text: &str) -> bool {
    faasplan_core::formats::lambda_logs::looks_like_log(text)
}

/// Each event given to its execution: by request id for direct invokes, else
/// the execution whose time window holds its time stamp, else the nearest
/// window within 200 ms (the services' clocks differ a little).
fn assign(done: &[Done], events: &[(i64, String)]) -> Vec<Vec<(i64, String)>> {
    const SLACK_MS: i64 = 200;
    let mut out = vec![Vec::new(); done.len()];
    for (t, m) in events {
        let by_id = done.iter().position(|d| {
            d.record
                .request_ids
                .iter()
                .any(|id| !id.is_empty() && m.contains(id.as_str()))
        });
        let by_time = || {
            done.iter()
                .enumerate()
                .filter(|(_, d)| d.record.request_ids.is_empty())
                .map(|(i, d)| {
                    let distance = (d.record.start_ms - t).max(t - d.record.stop_ms).max(0);
                    (distance, i)
                })
                .filter(|(distance, _)| *distance <= SLACK_MS)
                .min()
                .map(|(_, i)| i)
        };
        if let Some(i) = by_id.or_else(by_time) {
            out[i].push((*t, m.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(start_ms: i64, stop_ms: i64, request_ids: &[&str]) -> Done {
        Done {
            record: ExecutionRecord {
                configuration: 0,
                rep: 0,
                id: String::new(),
                status: "SUCCEEDED".into(),
                start_ms,
                stop_ms,
                request_ids: request_ids.iter().map(|s| s.to_string()).collect(),
            },
            config: StageConfigs::new(),
            tails: Vec::new(),
        }
    }

    #[test]
    fn lines_go_to_the_window_that_holds_them_else_the_nearest_within_200_ms() {
        let done = [
            done(1000, 1100, &[]),
            done(1150, 1300, &[]),
            done(5000, 5100, &[]),
        ];
        let events: Vec<(i64, String)> = [1050, 1120, 1160, 1290, 1450, 4900, 9000]
            .iter()
            .map(|&t| (t, format!("REPORT at {t}")))
            .collect();
        let per: Vec<Vec<i64>> = assign(&done, &events)
            .iter()
            .map(|v| v.iter().map(|e| e.0).collect())
            .collect();
        assert_eq!(
            per,
            vec![vec![1050, 1120], vec![1160, 1290, 1450], vec![4900]]
        );
    }

    #[test]
    fn invoke_lines_go_by_request_id_whatever_their_time() {
        let done = [done(1000, 1100, &["id-a"]), done(1200, 1300, &["id-b"])];
        let events = vec![
            (1250, "REPORT RequestId: id-a".to_string()),
            (1050, "REPORT RequestId: id-b".to_string()),
            (1060, "REPORT RequestId: other".to_string()),
        ];
        let per = assign(&done, &events);
        assert_eq!(per[0], vec![(1250, "REPORT RequestId: id-a".to_string())]);
        assert_eq!(per[1], vec![(1050, "REPORT RequestId: id-b".to_string())]);
    }

    #[test]
    fn arrays_split_into_d_parts_and_other_inputs_repeat() {
        assert_eq!(split_input("[1,2,3,4,5]", 2), vec!["[1,2,3]", "[4,5]"]);
        assert_eq!(split_input("[1]", 3), vec!["[1]", "[]", "[]"]);
        assert_eq!(split_input("{\"a\":1}", 2), vec!["{\"a\":1}", "{\"a\":1}"]);
        assert_eq!(split_input("[1,2]", 1), vec!["[1,2]"]);
    }
}
