//! The `local` backend: runs a workflow on this machine as real functions,
//! WebAssembly (WASI preview 1) modules under wasmtime.
//!
//! Stage `S` runs the module `FUNCTIONS/S.wasm`. Each configuration runs
//! `repetitions` times end to end. In one execution every stage starts when
//! all its parents have finished, as `d` instances in parallel, each limited
//! to its configured memory and a CPU share of `memory_mb / mb_per_vcpu`
//! vCPUs (see [`instance`] for what that imitates and what not).
//!
//! **Object store.** Each run gets its own directory under the work root, the
//! only directory its instances can see (mounted at `/work`): the workload is
//! `/work/input/workload`; instance `k` of stage `S` in execution `e` writes
//! `/work/eN/S/kkkk/part-pppp`, one part per instance of its widest child, and
//! instance `j` of a child reads every part `p` with `p mod d = j` of every
//! parent instance. The directory is deleted when the run ends.
//!
//! **Measurements.** Each instance reports its own read, compute and write
//! times (measured in the guest with the WASI monotonic clock, like the
//! bundled profiles' in-function times). The host times the stage from the
//! moment it starts its instances until the last returns; `start` is that
//! wall time minus the instances' mean in-function time, so module loading,
//! compilation and instantiation count as start-up.
//!
//! **Choice points.** In each execution every Choice of the workflow takes
//! one alternative, drawn with the alternatives' weights (normalised; all
//! equal when they sum to 0) from a generator seeded by the request's `seed`,
//! one draw per Choice in order, execution after execution: the same request
//! takes the same branches. A stage runs when every Choice that lists it took
//! its alternative, and a stage whose parents all did not run does not run
//! either. Stages that do not run start no instance and give no profile row;
//! a stage after the join reads only the parents that ran. Each execution
//! record lists the alternatives taken (`branches`).
//!
//! **Dry run.** [`LocalBackend::with_dry_run`] makes a backend that runs
//! nothing: for each run it writes the plan of what would run (each
//! execution's stages with module, memory, CPU share, instances, their
//! directories and inputs, the branches taken) and reports no rows.
//!
//! **Cold and warm.** Like a function platform's execution environments, the
//! backend keeps a pool per stage and memory size: an instance that finds an
//! idle environment starts warm (the compiled module is reused); otherwise it
//! starts cold (the module is read and compiled) and adds one environment to
//! the pool when it ends. A stage run is `cold` when any of its instances was.

pub mod instance;
mod workload;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use faasplan_core::dag::{Config, Dag, StageKind, Workflow};
use faasplan_core::executor::{BranchTaken, ExecutionRecord, StageRecord};
use faasplan_core::profile::{ProfileRun, StepStat};
use tokio::sync::watch;
use wasmtime::{Engine, Linker, Module};

use crate::{Backend, BackendError, BoxFuture, Job, RunHandle};
use instance::{Call, InstanceState, StepTimes};

/// MB of memory per vCPU, as on AWS Lambda.
pub const MB_PER_VCPU: f64 = 1769.0;

/// Where the local backend finds its functions and keeps its runs.
#[derive(Clone, Debug)]
pub struct LocalSettings {
    /// Directory of `<stage>.wasm` modules.
    pub functions_dir: PathBuf,
    /// Directory under which each run gets its own directory.
    pub work_dir: PathBuf,
}

/// Where a dry run writes its plan, line by line.
pub type Out = Arc<dyn Fn(&str) + Send + Sync>;

/// The local WebAssembly backend (see the module docs).
#[derive(Clone)]
pub struct LocalBackend {
    inner: Arc<Inner>,
    /// Set in a dry run: where the plan goes.
    dry_run: Option<Out>,
}

struct Inner {
    settings: LocalSettings,
    linker: Linker<InstanceState>,
    /// Compiled modules and idle environments per (stage, memory MB).
    pools: Mutex<HashMap<(String, u32), Pool>>,
}

struct Pool {
    module: Module,
    idle: u32,
}

impl LocalBackend {
    /// A backend over `settings`; fails when the directories are unusable.
    pub fn new(settings: LocalSettings) -> Result<LocalBackend, String> {
        if !settings.functions_dir.is_dir() {
            return Err(format!(
                "functions directory {} does not exist",
                settings.functions_dir.display()
            ));
        }
        std::fs::create_dir_all(&settings.work_dir).map_err(|e| {
            format!(
                "creating work directory {}: {e}",
                settings.work_dir.display()
            )
        })?;
        let mut config = wasmtime::Config::new();
        config.consume_fuel(true);
        let engine = Engine::new(&config).map_err(|e| format!("starting wasmtime: {e}"))?;
        let linker = instance::linker(&engine).map_err(|e| format!("adding WASI imports: {e}"))?;
        Ok(LocalBackend {
            inner: Arc::new(Inner {
                settings,
                linker,
                pools: Mutex::new(HashMap::new()),
            }),
            dry_run: None,
        })
    }

    /// This backend as a dry run: each run writes, through `out`, what it
    /// would run (see the module docs) and runs nothing.
    pub fn with_dry_run(mut self, out: Out) -> LocalBackend {
        self.dry_run = Some(out);
        self
    }

    fn module_path(&self, stage: &str) -> PathBuf {
        self.inner
            .settings
            .functions_dir
            .join(format!("{stage}.wasm"))
    }
}

/// Whether a stage id can name a module file (no path separators, no leading dot).
fn safe_name(stage: &str) -> bool {
    !stage.is_empty()
        && !stage.starts_with('.')
        && stage
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

impl Backend for LocalBackend {
    fn name(&self) -> &str {
        "local"
    }

    fn mb_per_vcpu(&self) -> f64 {
        MB_PER_VCPU
    }

    fn functions(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.inner.settings.functions_dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                Some(name.strip_suffix(".wasm")?.to_string())
            })
            .collect();
        names.sort();
        names
    }

    fn accepts(&self, job: &Job) -> Result<(), BackendError> {
        for stage in &job.request.workflow.stages {
            if !safe_name(&stage.id) {
                return Err(BackendError(format!(
                    "stage {:?}: the local backend needs ids of letters, digits, '-', '_' and '.'",
                    stage.id
                )));
            }
            if !self.module_path(&stage.id).is_file() {
                return Err(BackendError(format!(
                    "stage {:?}: no function {}.wasm in the local backend's functions directory",
                    stage.id, stage.id
                )));
            }
        }
        Ok(())
    }

    fn run(&self, job: Arc<Job>, handle: RunHandle) -> BoxFuture<Result<(), BackendError>> {
        let backend = self.clone();
        Box::pin(async move {
            if let Some(out) = &backend.dry_run {
                let lines = backend.plan_lines(&job)?;
                for line in &lines {
                    out(&format!("dry run {}: {line}", job.id));
                }
                handle.warn(format!(
                    "dry run: nothing ran; the executor printed the {} steps of the plan",
                    lines.len()
                ));
                return Ok(());
            }
            let run_dir = backend.inner.settings.work_dir.join(&job.id);
            let result = backend.run_all(&job, &handle, &run_dir).await;
            if let Err(e) = tokio::fs::remove_dir_all(&run_dir).await {
                handle.warn(format!("removing the run directory: {e}"));
            }
            result.map_err(BackendError)
        })
    }
}

impl LocalBackend {
    async fn run_all(&self, job: &Job, handle: &RunHandle, run_dir: &Path) -> Result<(), String> {
        let dag = job
            .request
            .workflow
            .validate()
            .map_err(|e| format!("workflow: {e}"))?;
        let input_dir = run_dir.join("input");
        tokio::fs::create_dir_all(&input_dir)
            .await
            .map_err(|e| format!("creating the run directory: {e}"))?;
        let data = workload::bytes(&job.request.workload)?;
        tokio::fs::write(input_dir.join("workload"), data)
            .await
            .map_err(|e| format!("writing the workload: {e}"))?;
        let mut execution = 0;
        let mut picks = Picks::new(&job.request.workflow, &dag, job.request.seed);
        for (c, configuration) in job.configurations.iter().enumerate() {
            for rep in 0..job.request.repetitions {
                if handle.is_cancelled() {
                    return Ok(());
                }
                let (active, branches) = picks.next();
                let exec = Execution {
                    backend: self,
                    job,
                    dag: &dag,
                    configuration,
                    run_dir,
                    index: execution,
                    rep,
                    active,
                    branches,
                };
                let record = tokio::select! {
                    r = exec.run(handle) => r?,
                    () = handle.cancelled() => return Ok(()),
                };
                handle.add_execution(ExecutionRecord {
                    configuration: c as u32,
                    ..record
                });
                let _ = tokio::fs::remove_dir_all(run_dir.join(format!("e{execution}"))).await;
                execution += 1;
            }
        }
        Ok(())
    }

    /// The compiled module for an instance, and whether it started cold.
    async fn acquire(&self, stage: &str, memory_mb: u32) -> Result<(Module, bool), String> {
        let key = (stage.to_string(), memory_mb);
        {
            let mut pools = self
                .inner
                .pools
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(pool) = pools.get_mut(&key).filter(|p| p.idle > 0) {
                pool.idle -= 1;
                return Ok((pool.module.clone(), false));
            }
        }
        let path = self.module_path(stage);
        let engine = self.inner.linker.engine().clone();
        let module = tokio::task::spawn_blocking(move || {
            let bytes =
                std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
            Module::new(&engine, bytes).map_err(|e| format!("compiling {}: {e}", path.display()))
        })
        .await
        .map_err(|e| format!("compiling stage {stage}: {e}"))??;
        Ok((module, true))
    }

    fn release(&self, stage: &str, memory_mb: u32, module: Module) {
        let mut pools = self
            .inner
            .pools
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        pools
            .entry((stage.to_string(), memory_mb))
            .or_insert(Pool { module, idle: 0 })
            .idle += 1;
    }
}

/// One end-to-end execution of one configuration.
struct Execution<'a> {
    backend: &'a LocalBackend,
    job: &'a Job,
    dag: &'a Dag,
    configuration: &'a [Config],
    run_dir: &'a Path,
    index: u32,
    rep: u32,
    /// Whether each stage runs in this execution (Choice points).
    active: Vec<bool>,
    /// The alternative each Choice took.
    branches: Vec<BranchTaken>,
}

/// What a stage run measured.
struct StageOutcome {
    started: Instant,
    finished: Instant,
    cold: bool,
    record: StageRecord,
}

/// The alternatives each execution's Choices take (see the module docs).
struct Picks<'a> {
    workflow: &'a Workflow,
    dag: &'a Dag,
    rng: rand_xoshiro::Xoshiro256PlusPlus,
}

/// The stream of the branch draws (apart from every planning stream).
const BRANCH_STREAM: u64 = 0xB4A2_C4E5;

impl<'a> Picks<'a> {
    fn new(workflow: &'a Workflow, dag: &'a Dag, seed: u64) -> Self {
        Picks {
            workflow,
            dag,
            rng: faasplan_core::rng::stream(seed, BRANCH_STREAM),
        }
    }

    /// The next execution's active stages and the alternatives taken.
    fn next(&mut self) -> (Vec<bool>, Vec<BranchTaken>) {
        let n = self.workflow.stages.len();
        let mut active = vec![true; n];
        let mut branches = Vec::with_capacity(self.workflow.choices.len());
        for choice in &self.workflow.choices {
            let weights: Vec<f64> = choice
                .alternatives
                .iter()
                .map(|a| a.probability.max(0.0))
                .collect();
            let total: f64 = weights.iter().sum();
            let u = faasplan_core::rng::uniform(&mut self.rng);
            let last = choice.alternatives.len().saturating_sub(1);
            let pick = if total.is_finite() && total > 0.0 {
                let mut acc = 0.0;
                weights
                    .iter()
                    .position(|w| {
                        acc += w / total;
                        u < acc
                    })
                    .unwrap_or(last)
            } else {
                ((u * choice.alternatives.len() as f64) as usize).min(last)
            };
            for (j, alternative) in choice.alternatives.iter().enumerate() {
                if j != pick {
                    for id in &alternative.stages {
                        if let Some(i) = self.workflow.stage_index(id) {
                            active[i] = false;
                        }
                    }
                }
            }
            branches.push(BranchTaken {
                choice: choice.name.clone(),
                alternative: choice.alternatives[pick].label.clone(),
            });
        }
        // A stage none of whose parents ran has no input: it does not run.
        for &i in &self.dag.topo {
            let parents = &self.dag.parents[i];
            if !parents.is_empty() && parents.iter().all(|&p| !active[p]) {
                active[i] = false;
            }
        }
        (active, branches)
    }
}

impl Execution<'_> {
    async fn run(&self, handle: &RunHandle) -> Result<ExecutionRecord, String> {
        let n = self.job.request.workflow.stages.len();
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..n).map(|_| watch::channel(false)).unzip();
        let stages = (0..n).map(|i| {
            let waits: Vec<_> = self.dag.parents[i]
                .iter()
                .map(|&p| receivers[p].clone())
                .collect();
            let done = &senders[i];
            async move {
                for mut wait in waits {
                    wait.wait_for(|finished| *finished)
                        .await
                        .map_err(|_| "a parent stage stopped".to_string())?;
                }
                if !self.active[i] {
                    let _ = done.send(true);
                    return Ok(None);
                }
                let outcome = self.stage(i, handle).await;
                let _ = done.send(outcome.is_ok());
                outcome.map(Some)
            }
        });
        let mut outcomes: Vec<StageOutcome> = join_all(stages.collect())
            .await?
            .into_iter()
            .flatten()
            .collect();
        outcomes.sort_by_key(|o| o.finished);
        let started = outcomes.iter().map(|o| o.started).min();
        let finished = outcomes.iter().map(|o| o.finished).max();
        let latency_s = match (started, finished) {
            (Some(s), Some(f)) => f.duration_since(s).as_secs_f64(),
            _ => 0.0,
        };
        Ok(ExecutionRecord {
            configuration: 0,
            rep: self.rep,
            cold: outcomes.iter().any(|o| o.cold),
            latency_s,
            billed_gb_s: outcomes.iter().map(|o| o.record.billed_gb_s).sum(),
            invocations: outcomes.iter().map(|o| u64::from(o.record.d)).sum(),
            stages: outcomes.into_iter().map(|o| o.record).collect(),
            branches: self.branches.clone(),
        })
    }

    /// The instance count a stage runs with.
    fn d(&self, i: usize) -> u32 {
        match self.job.request.workflow.stages[i].kind {
            StageKind::Parallel => self.configuration[i].d,
            StageKind::Single => 1,
        }
    }

    /// Output parts per instance of stage `i`: its widest child's instance count.
    fn parts(&self, i: usize) -> u32 {
        self.dag.children[i]
            .iter()
            .map(|&c| self.d(c))
            .max()
            .unwrap_or(1)
    }

    /// The `--in` arguments of instance `j` of stage `i`.
    fn inputs(&self, i: usize, j: u32) -> Vec<String> {
        let d = self.d(i);
        let stages = &self.job.request.workflow.stages;
        if self.dag.parents[i].is_empty() {
            return vec!["--in".into(), "workload=/work/input/workload".into()];
        }
        let mut args = Vec::new();
        for &p in self.dag.parents[i].iter().filter(|&&p| self.active[p]) {
            for k in 0..self.d(p) {
                for part in (j..self.parts(p)).step_by(d as usize) {
                    args.push("--in".to_string());
                    args.push(format!(
                        "{0}=/work/e{1}/{0}/{k:04}/part-{part:04}",
                        stages[p].id, self.index
                    ));
                }
            }
        }
        args
    }

    async fn stage(&self, i: usize, handle: &RunHandle) -> Result<StageOutcome, String> {
        let stage = &self.job.request.workflow.stages[i];
        let memory_mb = self.configuration[i].memory_mb;
        let d = self.d(i);
        let share = (f64::from(memory_mb) / MB_PER_VCPU).min(1.0);
        for k in 0..d {
            let dir = self
                .run_dir
                .join(format!("e{}/{}/{k:04}", self.index, stage.id));
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| format!("creating {}: {e}", dir.display()))?;
        }
        handle.instances_started(&stage.id, u64::from(d));
        let started = Instant::now();
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|t| t.as_secs_f64());
        // Each instance is its own task, so the instances spread over the host's cores;
        // dropping the set (cancel, or a failed sibling) aborts the rest.
        let mut tasks = tokio::task::JoinSet::new();
        for k in 0..d {
            let args = self.args(i, k);
            let (backend, handle, id) = (self.backend.clone(), handle.clone(), stage.id.clone());
            let run_dir = self.run_dir.to_path_buf();
            tasks.spawn(async move {
                let (module, cold) = backend.acquire(&id, memory_mb).await?;
                let call = Call {
                    run_dir: &run_dir,
                    args,
                    memory_mb,
                    share,
                };
                let times = instance::call(&backend.inner.linker, &module, &id, call)
                    .await
                    .map_err(|e| format!("stage {id} instance {k} at {memory_mb} MB: {e}"))?;
                backend.release(&id, memory_mb, module);
                handle.instance_finished(&id);
                Ok::<_, String>((times, cold, started.elapsed().as_secs_f64()))
            });
        }
        let mut results = Vec::with_capacity(d as usize);
        while let Some(joined) = tasks.join_next().await {
            results.push(
                joined.map_err(|e| format!("stage {}: an instance stopped: {e}", stage.id))??,
            );
        }
        let finished = Instant::now();
        // A single-instance stage's row carries its input's partitions (the core's rule).
        let row_d = match stage.kind {
            StageKind::Parallel => d,
            StageKind::Single => self.dag.input_parent[i].map_or(1, |p| self.d(p)),
        };
        let wall_s = finished.duration_since(started).as_secs_f64();
        let mut run = profile_run(&results, memory_mb, row_d, self.rep, wall_s);
        run.timestamp = timestamp;
        let billed_gb_s = results
            .iter()
            .map(|(t, _, _)| (t.read_s + t.compute_s + t.write_s) * f64::from(memory_mb) / 1024.0)
            .sum();
        let cold = run.cold;
        handle.add_run(&stage.id, run);
        Ok(StageOutcome {
            started,
            finished,
            cold,
            record: StageRecord {
                stage: stage.id.clone(),
                memory_mb,
                d,
                latency_s: wall_s,
                billed_gb_s,
            },
        })
    }

    /// The command line of instance `k` of stage `i`.
    fn args(&self, i: usize, k: u32) -> Vec<String> {
        let stage = &self.job.request.workflow.stages[i];
        let mut args = vec![
            "--out".to_string(),
            format!("/work/e{}/{}/{k:04}", self.index, stage.id),
            "--parts".to_string(),
            self.parts(i).to_string(),
        ];
        args.extend(self.inputs(i, k));
        args
    }

    /// What this execution would run, one line per stage (and one for the branches).
    fn plan(&self, configuration: usize) -> Vec<String> {
        let mut lines = Vec::new();
        let head = format!(
            "execution {} (configuration {configuration}, repetition {})",
            self.index, self.rep
        );
        if !self.branches.is_empty() {
            let taken: Vec<String> = self
                .branches
                .iter()
                .map(|b| format!("{} -> {}", b.choice, b.alternative))
                .collect();
            lines.push(format!("{head}: branches {}", taken.join(", ")));
        }
        for &i in &self.dag.topo {
            let stage = &self.job.request.workflow.stages[i];
            if !self.active[i] {
                lines.push(format!("{head}: stage {} does not run", stage.id));
                continue;
            }
            let memory_mb = self.configuration[i].memory_mb;
            let d = self.d(i);
            let share = (f64::from(memory_mb) / MB_PER_VCPU).min(1.0);
            let mut line = format!(
                "{head}: stage {} runs {} at {memory_mb} MB, {share:.3} vCPU, {d} instance(s):",
                stage.id,
                self.backend.module_path(&stage.id).display(),
            );
            for k in 0..d {
                line.push_str(&format!(" [{}]", self.args(i, k).join(" ")));
            }
            lines.push(line);
        }
        lines
    }
}

impl LocalBackend {
    /// The plan of a dry run: the run directory, then every execution's stages.
    fn plan_lines(&self, job: &Job) -> Result<Vec<String>, BackendError> {
        let dag = job
            .request
            .workflow
            .validate()
            .map_err(|e| BackendError(format!("workflow: {e}")))?;
        let run_dir = self.inner.settings.work_dir.join(&job.id);
        let bytes = match &job.request.workload {
            faasplan_core::executor::Workload::Size { bytes, .. } => *bytes,
            payload => workload::bytes(payload).map_err(BackendError)?.len() as u64,
        };
        let mut lines = vec![format!(
            "run directory {} mounted as /work; workload of {} bytes at /work/input/workload; {} execution(s)",
            run_dir.display(),
            bytes,
            job.request.executions()
        )];
        let mut picks = Picks::new(&job.request.workflow, &dag, job.request.seed);
        let mut index = 0;
        for (c, configuration) in job.configurations.iter().enumerate() {
            for rep in 0..job.request.repetitions {
                let (active, branches) = picks.next();
                let exec = Execution {
                    backend: self,
                    job,
                    dag: &dag,
                    configuration,
                    run_dir: &run_dir,
                    index,
                    rep,
                    active,
                    branches,
                };
                lines.extend(exec.plan(c));
                index += 1;
            }
        }
        Ok(lines)
    }
}

/// The profile row of one stage run from its instances' (times, cold, seconds
/// from stage start to return).
fn profile_run(
    results: &[(StepTimes, bool, f64)],
    memory_mb: u32,
    d: u32,
    rep: u32,
    wall_s: f64,
) -> ProfileRun {
    let stat = |f: &dyn Fn(&(StepTimes, bool, f64)) -> f64| {
        let values: Vec<f64> = results.iter().map(f).collect();
        StepStat {
            mean_s: values.iter().sum::<f64>() / values.len().max(1) as f64,
            p95_s: p95(&values),
        }
    };
    let in_function = |r: &(StepTimes, bool, f64)| r.0.read_s + r.0.compute_s + r.0.write_s;
    let start = StepStat {
        mean_s: wall_s - stat(&in_function).mean_s,
        p95_s: stat(&|r| r.2 - in_function(r)).p95_s,
    };
    ProfileRun {
        memory_mb,
        d,
        rep,
        cold: results.iter().any(|r| r.1),
        start,
        read: stat(&|r| r.0.read_s),
        compute: stat(&|r| r.0.compute_s),
        write: Some(stat(&|r| r.0.write_s)),
        timestamp: None,
        architecture: None,
    }
}

/// The 95th percentile (nearest rank) of `values`.
fn p95(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((0.95 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().unwrap_or(0.0)
}

/// Runs the futures concurrently; the first error wins.
async fn join_all<T, F: std::future::Future<Output = Result<T, String>>>(
    futures: Vec<F>,
) -> Result<Vec<T>, String> {
    let mut set: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<T>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, future) in out.iter_mut().zip(set.iter_mut()) {
            if slot.is_some() {
                continue;
            }
            match future.as_mut().poll(cx) {
                std::task::Poll::Ready(Ok(v)) => *slot = Some(v),
                std::task::Poll::Ready(Err(e)) => return std::task::Poll::Ready(Err(e)),
                std::task::Poll::Pending => pending = true,
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(Ok(()))
        }
    })
    .await?;
    Ok(out.into_iter().flatten().collect())
}
