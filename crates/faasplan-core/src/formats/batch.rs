//! A batch of a user's own files: at most one state machine (or template),
//! and Lambda logs and Power Tuning results measured on its functions. Runs
//! are matched to stages by function name (the log group, the Power Tuning
//! `lambdaARN`, else the file name's stem), or by a mapping the user gives.
//! The batch is all or nothing: the first file that cannot be read, or whose
//! runs match no stage, fails the whole batch with an error naming it.

use super::asl::{self, AslImport, AslOptions, Invoke};
use super::detect::{FormatKind, expect_kind};
use super::{lambda_logs, power_tuning};
use crate::pricing::ServiceCost;
use crate::profile::{ProfileRun, Profiles, StageProfile, StepStat};

/// MB per vCPU on AWS Lambda (1,769 MB buys one vCPU).
pub const AWS_MB_PER_VCPU: f64 = 1769.0;

/// What a batch needs besides its files.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchOptions {
    /// State machine import options.
    pub asl: AslOptions,
    /// `(file name or function name, stage id)` pairs the user confirmed.
    pub mapping: Vec<(String, String)>,
    /// Latency of a stage that is not a Lambda function (a service
    /// integration), s: it gets constant runs of this duration at its fixed
    /// configuration.
    pub service_latency_s: f64,
    /// `(stage id or state name, latency s)`: a service stage's own latency
    /// instead of `service_latency_s`.
    pub service_latencies: Vec<(String, f64)>,
    /// Price of one run of a service integration, USD (see
    /// [`crate::pricing::ServiceCost`]): it pays this instead of a function's fees.
    pub service_cost_usd: f64,
    /// `(stage id or state name, USD per run)`: a service stage's own price.
    pub service_costs: Vec<(String, f64)>,
    /// The architecture runs were measured on where the measurement file and
    /// the template do not say: `(Some(file or function name), arch)` for one
    /// file's or function's runs (this one before the template's), `(None,
    /// arch)` for every other run.
    pub measured_on: Vec<(Option<String>, crate::arch::Arch)>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            asl: AslOptions::default(),
            mapping: Vec::new(),
            service_latency_s: 0.1,
            service_latencies: Vec::new(),
            service_cost_usd: 0.0,
            service_costs: Vec::new(),
            measured_on: Vec::new(),
        }
    }
}

impl BatchOptions {
    /// Marks the runs `rows` of `stage` from file `file` (function `function`)
    /// that do not name their architecture: the user's setting for the file
    /// or function, else the template's for the stage, else the user's for
    /// every file.
    fn mark_architecture(
        &self,
        sm: &AslImport,
        stage: &str,
        file: &str,
        function: Option<&str>,
        rows: &mut [ProfileRun],
    ) {
        let own = self
            .measured_on
            .iter()
            .find(|(k, _)| {
                k.as_deref()
                    .is_some_and(|k| k == file || Some(k) == function || stem(file) == k)
            })
            .map(|&(_, a)| a);
        let every = self
            .measured_on
            .iter()
            .find(|(k, _)| k.is_none())
            .map(|&(_, a)| a);
        let arch = own
            .or_else(|| sm.architectures.get(stage).copied())
            .or(every);
        for r in rows.iter_mut().filter(|r| r.architecture.is_none()) {
            r.architecture = arch;
        }
    }

    /// The latency, s, and price per run, USD, of service stage `stage`.
    pub fn service_of(&self, stage: &asl::ImportedStage) -> (f64, f64) {
        let own = |list: &[(String, f64)]| {
            list.iter()
                .find(|(k, _)| *k == stage.id)
                .or_else(|| list.iter().find(|(k, _)| *k == stage.state))
                .map(|&(_, v)| v)
        };
        (
            own(&self.service_latencies).unwrap_or(self.service_latency_s),
            own(&self.service_costs).unwrap_or(self.service_cost_usd),
        )
    }

    /// Checks the service settings against the state machine: every value
    /// finite and at least 0, every key a service stage's id or state name.
    pub fn check_services(&self, sm: &AslImport) -> Result<(), String> {
        let services: Vec<&asl::ImportedStage> = service_stages(sm).collect();
        let lists = [
            (
                "service latency",
                &self.service_latencies,
                self.service_latency_s,
            ),
            ("service cost", &self.service_costs, self.service_cost_usd),
        ];
        for (what, list, default) in lists {
            if !(default.is_finite() && default >= 0.0) {
                return Err(format!(
                    "{what} {default}: must be a finite value of at least 0"
                ));
            }
            for (key, v) in list {
                if !(v.is_finite() && *v >= 0.0) {
                    return Err(format!(
                        "{what} of {key}: {v} must be a finite value of at least 0"
                    ));
                }
                if !services.iter().any(|s| s.id == *key || s.state == *key) {
                    let names: Vec<&str> = services.iter().map(|s| s.id.as_str()).collect();
                    return Err(format!(
                        "{what} of {key:?}: the state machine has no service integration of that name ({})",
                        if names.is_empty() {
                            "it has none".to_string()
                        } else {
                            format!("service stages: {}", names.join(", "))
                        }
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The stages of `sm` that are service integrations (not Lambda functions).
pub fn service_stages(sm: &AslImport) -> impl Iterator<Item = &asl::ImportedStage> {
    sm.stages
        .iter()
        .zip(&sm.workflow.stages)
        .filter(|(s, w)| matches!(s.invoke, Invoke::Service(_)) && w.fixed.is_some())
        .map(|(s, _)| s)
}

/// How well each stage of a workflow is measured, for "what to measure next".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// No runs at all: the stage cannot be planned.
    Missing,
    /// Runs at one memory size only: the memory curve is a guess.
    OneMemorySize,
    /// Runs at one d only for a parallel stage: the effect of d is a guess.
    OneD,
    /// Runs at several memory sizes (and d values where it matters).
    Enough,
}

/// The coverage of each stage, in the workflow's order.
pub fn coverage(workflow: &crate::dag::Workflow, profiles: &Profiles) -> Vec<(String, Coverage)> {
    workflow
        .stages
        .iter()
        .map(|s| {
            let runs = profiles.stage(&s.id).map_or(&[][..], |p| p.runs.as_slice());
            let mut mems: Vec<u32> = runs.iter().map(|r| r.memory_mb).collect();
            mems.sort_unstable();
            mems.dedup();
            let mut ds: Vec<u32> = runs.iter().map(|r| r.d).collect();
            ds.sort_unstable();
            ds.dedup();
            let c = if runs.is_empty() {
                Coverage::Missing
            } else if mems.len() < 2 && s.fixed.is_none() {
                Coverage::OneMemorySize
            } else if ds.len() < 2 && s.kind == crate::dag::StageKind::Parallel && s.fixed.is_none()
            {
                Coverage::OneD
            } else {
                Coverage::Enough
            };
            (s.id.clone(), c)
        })
        .collect()
}

/// Fewer runs than this at a stage: its run-to-run spread is a guess.
pub const FEW_RUNS: usize = 5;

/// What a stage's measurements cover, for the "thin data" view.
#[derive(Clone, Debug, PartialEq)]
pub struct StageCoverage {
    /// Stage id.
    pub stage: String,
    /// Whether the stage's configuration is fixed (a service integration, or the user's).
    pub fixed: bool,
    /// Parallel stage (d matters).
    pub parallel: bool,
    /// Memory sizes measured, MB, ascending.
    pub memory_mb: Vec<u32>,
    /// d values measured, ascending.
    pub d: Vec<u32>,
    /// Distinct (memory, d) configurations measured.
    pub configurations: usize,
    /// Runs in all.
    pub runs: usize,
    /// Runs that started cold.
    pub cold_runs: usize,
    /// The verdict.
    pub coverage: Coverage,
}

impl StageCoverage {
    /// Share of cold runs (0 with no runs).
    pub fn cold_share(&self) -> f64 {
        self.cold_runs as f64 / self.runs.max(1) as f64
    }

    /// Whether the runs are too few for the spread, though the curve may be
    /// covered (never for a fixed configuration, e.g. a service integration's
    /// constant runs).
    pub fn few_runs(&self) -> bool {
        !self.fixed && self.runs > 0 && self.runs < FEW_RUNS
    }

    /// What to measure next, or `None` when the data is enough to plan on.
    pub fn measure_next(&self) -> Option<String> {
        let next_memory = || match self.memory_mb.last() {
            Some(&m) if m >= 3008 => format!("{} MB", (m / 4).max(128)),
            Some(&m) => format!("{} MB", (m * 2).min(10_240)),
            None => "two memory sizes".into(),
        };
        match self.coverage {
            Coverage::Missing => Some(
                "no runs: it cannot be planned; drop its Lambda logs or Power Tuning result".into(),
            ),
            Coverage::OneMemorySize => Some(format!(
                "one memory size ({} MB): the memory curve is a guess; measure at {} too",
                self.memory_mb.first().copied().unwrap_or(0),
                next_memory()
            )),
            Coverage::OneD => Some(format!(
                "one d ({}): the effect of d is a guess; measure with another instance count",
                self.d.first().copied().unwrap_or(1)
            )),
            Coverage::Enough if self.few_runs() => Some(format!(
                "{} runs: the run-to-run spread is a guess; measure at least {FEW_RUNS}",
                self.runs
            )),
            Coverage::Enough => None,
        }
    }
}

/// The coverage of each stage with its counts, in the workflow's order.
pub fn stage_coverage(workflow: &crate::dag::Workflow, profiles: &Profiles) -> Vec<StageCoverage> {
    coverage(workflow, profiles)
        .into_iter()
        .zip(&workflow.stages)
        .map(|((stage, coverage), s)| {
            let runs = profiles.stage(&s.id).map_or(&[][..], |p| p.runs.as_slice());
            let mut memory_mb: Vec<u32> = runs.iter().map(|r| r.memory_mb).collect();
            memory_mb.sort_unstable();
            memory_mb.dedup();
            let mut d: Vec<u32> = runs.iter().map(|r| r.d).collect();
            d.sort_unstable();
            d.dedup();
            let mut configs: Vec<(u32, u32)> = runs.iter().map(|r| (r.memory_mb, r.d)).collect();
            configs.sort_unstable();
            configs.dedup();
            StageCoverage {
                stage,
                fixed: s.fixed.is_some(),
                parallel: s.kind == crate::dag::StageKind::Parallel,
                memory_mb,
                d,
                configurations: configs.len(),
                runs: runs.len(),
                cold_runs: runs.iter().filter(|r| r.cold).count(),
                coverage,
            }
        })
        .collect()
}

/// What a batch gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// The state machine, if the batch had one.
    pub state_machine: Option<AslImport>,
    /// Duration-only runs per stage (logs and Power Tuning).
    pub profiles: Profiles,
    /// One line per file: what it was and what it gave.
    pub summary: Vec<String>,
    /// The price per run of each service stage (for `platform.pricing.services`).
    pub services: Vec<ServiceCost>,
}

/// A batch failure: the file and the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct BatchError {
    /// File name.
    pub file: String,
    /// What is wrong (with the place in the file when it is about content).
    pub message: String,
}

fn stem(name: &str) -> &str {
    let base = base_name(name);
    base.split('.').next().unwrap_or(base)
}

/// A file name without its directories.
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// The stage a function's runs belong to.
fn stage_for(
    sm: &AslImport,
    options: &BatchOptions,
    file: &str,
    function: Option<&str>,
) -> Result<String, BatchError> {
    let short = function.map(|f| asl::function_ref(f).name);
    for (key, stage) in &options.mapping {
        if key == file
            || key == base_name(file)
            || Some(key.as_str()) == function
            || Some(key) == short.as_ref()
        {
            if sm.workflow.stages.iter().any(|s| &s.id == stage) {
                return Ok(stage.clone());
            }
            return Err(BatchError {
                file: file.into(),
                message: format!(
                    "the mapping names stage {stage:?}, which the workflow does not have"
                ),
            });
        }
    }
    let candidates: Vec<&str> = [short.as_deref(), Some(stem(file))]
        .into_iter()
        .flatten()
        .collect();
    for want in candidates {
        let hits: Vec<&asl::ImportedStage> = sm
            .stages
            .iter()
            .filter(|s| match &s.invoke {
                Invoke::Lambda(f) => f.name == want || s.id == want,
                _ => s.id == want,
            })
            .collect();
        if let Some(first) = hits.first() {
            return Ok(first.id.clone());
        }
    }
    Err(BatchError {
        file: file.into(),
        message: format!(
            "its runs are of {}, which matches no stage's function; map it to a stage (stages: {})",
            function.map_or("an unnamed function".to_string(), |f| format!(
                "function {f:?}"
            )),
            sm.workflow
                .stages
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

fn add_runs(profiles: &mut Profiles, stage: &str, runs: Vec<ProfileRun>) {
    match profiles.stages.iter_mut().find(|s| s.stage == stage) {
        Some(s) => {
            let base = s.runs.iter().map(|r| r.rep + 1).max().unwrap_or(0);
            s.runs.extend(runs.into_iter().map(|mut r| {
                r.rep += base;
                r
            }));
        }
        None => profiles.stages.push(StageProfile {
            stage: stage.to_string(),
            runs,
        }),
    }
}

/// Reads a batch of `(name, text)` files against `current` (the state
/// machine already open, if any).
pub fn import_batch(
    files: &[(String, String)],
    current: Option<&AslImport>,
    options: &BatchOptions,
) -> Result<Batch, BatchError> {
    let wanted = [
        FormatKind::StateMachine,
        FormatKind::Template,
        FormatKind::LambdaLog,
        FormatKind::PowerTuning,
    ];
    let mut kinds = Vec::with_capacity(files.len());
    for (name, text) in files {
        let kind = expect_kind(name, text, &wanted).map_err(|e| BatchError {
            file: name.clone(),
            message: e
                .to_string()
                .trim_start_matches(&format!("{name}: "))
                .to_string(),
        })?;
        kinds.push(kind);
    }
    let mut summary = Vec::new();
    let mut sm: Option<AslImport> = None;
    for ((name, text), kind) in files.iter().zip(&kinds) {
        if matches!(kind, FormatKind::StateMachine | FormatKind::Template) {
            if sm.is_some() {
                return Err(BatchError {
                    file: name.clone(),
                    message: "a second state machine in one batch: open one at a time".into(),
                });
            }
            let imported =
                asl::import_state_machine(text, &options.asl).map_err(|e| BatchError {
                    file: name.clone(),
                    message: e.to_string(),
                })?;
            summary.push(format!(
                "{name}: {} with {} stages and {} edges",
                kind.describe(),
                imported.workflow.stages.len(),
                imported.workflow.edges.len()
            ));
            sm = Some(imported);
        }
    }
    let target = sm.as_ref().or(current);
    let mut profiles = Profiles {
        mb_per_vcpu: AWS_MB_PER_VCPU,
        stages: Vec::new(),
    };
    for ((name, text), kind) in files.iter().zip(&kinds) {
        let fail = |message: String| BatchError {
            file: name.clone(),
            message,
        };
        let need_sm = || {
            target.ok_or_else(|| fail("measurements need a workflow: open its state machine first, or in the same batch".into()))
        };
        match kind {
            FormatKind::LambdaLog => {
                let logs = lambda_logs::import_logs(text).map_err(|e| fail(e.to_string()))?;
                let sm = need_sm()?;
                let (timeouts, errors) = logs.failures();
                let functions = logs.functions();
                let mut groups: Vec<(Option<String>, Vec<&lambda_logs::LogRun>)> = Vec::new();
                for r in &logs.runs {
                    match groups.iter_mut().find(|(f, _)| *f == r.function) {
                        Some((_, v)) => v.push(r),
                        None => groups.push((r.function.clone(), vec![r])),
                    }
                }
                for (function, runs) in groups {
                    let stage = stage_for(sm, options, name, function.as_deref())?;
                    let mut rows = lambda_logs::profile_runs(runs);
                    options.mark_architecture(sm, &stage, name, function.as_deref(), &mut rows);
                    add_runs(&mut profiles, &stage, rows);
                }
                summary.push(format!(
                    "{name}: {} ({}), {} runs, {} used, {timeouts} timeouts and {errors} errors left out{}",
                    kind.describe(),
                    logs.wrapper,
                    logs.runs.len(),
                    logs.successful().count(),
                    if functions.is_empty() { String::new() } else { format!(", functions {}", functions.join(", ")) }
                ));
            }
            FormatKind::PowerTuning => {
                let t = power_tuning::import_tuning(text).map_err(|e| fail(e.to_string()))?;
                let sm = need_sm()?;
                let mut points = 0;
                for run in &t.runs {
                    let stage = stage_for(sm, options, name, run.function.as_deref())?;
                    let mut rows = power_tuning::profile_runs(run);
                    options.mark_architecture(sm, &stage, name, run.function.as_deref(), &mut rows);
                    points += rows.len();
                    add_runs(&mut profiles, &stage, rows);
                }
                summary.push(format!(
                    "{name}: {} ({}), {} runs, {points} memory sizes",
                    kind.describe(),
                    t.form,
                    t.runs.len()
                ));
            }
            _ => {}
        }
    }
    let mut services = Vec::new();
    if let Some(sm) = &sm {
        options.check_services(sm).map_err(|message| BatchError {
            file: files
                .iter()
                .zip(&kinds)
                .find(|(_, k)| matches!(k, FormatKind::StateMachine | FormatKind::Template))
                .map_or_else(String::new, |((n, _), _)| n.clone()),
            message,
        })?;
        share_with_copies(sm, &mut profiles);
        services = service_runs(sm, options, &mut profiles);
    }
    Ok(Batch {
        state_machine: sm,
        profiles,
        summary,
        services,
    })
}

/// A cycle's unrolled copies (`Publisher #2`, ..) run the same function as
/// the state they copy: a copy without runs of its own gets those.
fn share_with_copies(sm: &AslImport, profiles: &mut Profiles) {
    for s in &sm.stages {
        if profiles.stage(&s.id).is_some() {
            continue;
        }
        let measured = sm
            .stages
            .iter()
            .filter(|o| o.state == s.state && o.invoke == s.invoke && o.id != s.id)
            .find_map(|o| profiles.stage(&o.id));
        if let Some(runs) = measured.map(|p| p.runs.clone()) {
            add_runs(profiles, &s.id, runs);
        }
    }
}

/// Constant runs for the stages that are not Lambda functions (unless
/// measured), and their prices.
fn service_runs(
    sm: &AslImport,
    options: &BatchOptions,
    profiles: &mut Profiles,
) -> Vec<ServiceCost> {
    let mut prices = Vec::new();
    for (s, stage) in sm.stages.iter().zip(&sm.workflow.stages) {
        let (Invoke::Service(_), Some(fixed)) = (&s.invoke, stage.fixed) else {
            continue;
        };
        let (latency_s, usd_per_run) = options.service_of(s);
        prices.push(ServiceCost {
            stage: s.id.clone(),
            usd_per_run,
        });
        if profiles.stage(&s.id).is_some() {
            continue;
        }
        add_runs(profiles, &s.id, constant_runs(fixed, latency_s));
    }
    prices
}

/// Three identical runs of `latency_s` at `fixed`: a service stage's profile.
pub fn constant_runs(fixed: crate::dag::Config, latency_s: f64) -> Vec<ProfileRun> {
    let zero = StepStat {
        mean_s: 0.0,
        p95_s: 0.0,
    };
    (0..3)
        .map(|rep| ProfileRun {
            memory_mb: fixed.memory_mb,
            d: fixed.d,
            rep,
            cold: false,
            start: zero,
            read: zero,
            compute: StepStat {
                mean_s: latency_s,
                p95_s: latency_s,
            },
            write: None,
            timestamp: None,
            architecture: None,
        })
        .collect()
}

/// The state machine unrolled with another `loop_iterations`, and `profiles`
/// carried over: every stage keeps its runs, and a new copy of a cycle's
/// state gets those of the state it copies. The Choices keep their settings
/// when their alternatives are unchanged.
pub fn with_loop_iterations(
    sm: &AslImport,
    profiles: &Profiles,
    loop_iterations: u32,
) -> Result<(AslImport, Profiles), asl::AslError> {
    let memory = sm
        .workflow
        .stages
        .iter()
        .find(|s| s.fixed.is_none())
        .or(sm.workflow.stages.first())
        .map_or_else(|| AslOptions::default().memory, |s| s.memory.clone());
    let options = AslOptions {
        loop_iterations,
        state_machine: None,
        memory,
    };
    let mut again =
        asl::import_definition(sm.definition.clone(), sm.workflow.name.clone(), &options)?;
    for (new, old) in again.workflow.stages.iter_mut().zip(&again.stages) {
        // The user's edits of a stage that is still there (memory grid, d, fixed).
        if let Some(before) = sm.workflow.stages.iter().find(|s| s.id == old.id) {
            new.allowed_d.clone_from(&before.allowed_d);
            new.memory.clone_from(&before.memory);
            new.fixed = before.fixed;
            new.kind = before.kind;
        }
    }
    for c in &mut again.workflow.choices {
        if let Some(before) = sm.workflow.choices.iter().find(|b| {
            b.name == c.name
                && b.alternatives.len() == c.alternatives.len()
                && b.alternatives
                    .iter()
                    .zip(&c.alternatives)
                    .all(|(x, y)| x.label == y.label && x.stages == y.stages)
        }) {
            c.clone_from(before);
        }
    }
    let mut out = Profiles {
        mb_per_vcpu: profiles.mb_per_vcpu,
        stages: Vec::new(),
    };
    for s in &again.stages {
        if let Some(p) = profiles.stage(&s.id) {
            out.stages.push(p.clone());
        }
    }
    for s in &again.stages {
        if out.stage(&s.id).is_some() {
            continue;
        }
        let source = sm
            .stages
            .iter()
            .filter(|o| o.state == s.state && o.invoke == s.invoke)
            .find_map(|o| profiles.stage(&o.id));
        if let Some(p) = source {
            add_runs(&mut out, &s.id, p.runs.clone());
        }
    }
    Ok((again, out))
}
