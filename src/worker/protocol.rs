//! Messages between the app and the planning worker, serialised as JSON by
//! [`Json`](super::codec::Json) (yew-agent's codec parameter), so jobs and
//! answers carry the core's own types.
//!
//! The core's project and plan report have no serde derives of their own: they
//! are read and written only through their versioned file formats
//! (`Project::to_json`, `plan::to_json`), so on the wire they travel in those
//! formats ([`project_file`], [`WirePlan`]) and arrive as the core types.
//! Profiles cross packed ([`wire`]).

use faasplan_core::dag::Config;
use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::frontier::{Frontier, PositionAnswer};
use faasplan_core::fusion::FusionOptions;
use faasplan_core::plan::PlanReport;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub mod advisor;
pub mod wire;

/// What a job asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Task {
    /// Fit, sample and compute the frontier at the slider's resolution, coarse to
    /// fine: first the plan for the job's own latency bound, then
    /// [`RESOLUTION_POSITIONS`] latency bounds refined in rounds, each answered with
    /// its optimal plan ([`WorkerOutput::FrontierPart`] after each round, then
    /// [`WorkerOutput::Frontier`]).
    Frontier,
    /// Fit, sample and sweep the whole exact frontier (every point;
    /// [`WorkerOutput::Frontier`] with [`Resolution::exact`]), with progress.
    ExactFrontier,
    /// Solve the project's bound exactly (`pipeline::plan`), e.g. a quantile cost bound.
    Solve,
    /// Report a chosen plan (`pipeline::report`, with the out-of-sample check).
    Check {
        /// `(memory_mb, d)` of every stage, in workflow order.
        configs: Vec<(u32, u32)>,
    },
    /// The user's current configuration evaluated (`pipeline::evaluate`):
    /// its figures and the planner's saving at the same guaranteed latency
    /// ([`WorkerOutput::Evaluation`]).
    Evaluate {
        /// `(stage id, configuration)` of every stage.
        configs: Vec<(String, Config)>,
    },
    /// The plan JSON of the project's bound, exactly as `faasplan plan` writes it.
    Export,
    /// Every baseline planner's plan for latency bound `bound_s`
    /// (`baselines::all` on the cached prepared problem, [`WorkerOutput::Baselines`]).
    Baselines {
        /// The latency bound the baselines plan for and are judged against, s.
        bound_s: f64,
    },
    /// Flag anomalous profile runs and propose what to measure next at latency
    /// bound `bound_s` (`advisor::anomaly::detect`, `advisor::propose::advise`;
    /// [`WorkerOutput::Advice`]).
    Advise {
        /// The latency bound the proposals aim at, s.
        bound_s: f64,
        /// Configurations to propose (1..=8).
        batch: usize,
    },
    /// Plan provisioned concurrency from an invocation trace
    /// (`advisor::prewarm::plan_prewarm`; [`WorkerOutput::Prewarm`]).
    Prewarm(advisor::PrewarmRequest),
    /// Read opened or dropped files as bytes and import them as one batch
    /// (`import::import_files` against the job project's workflow,
    /// [`WorkerOutput::Imported`]), so no file is parsed on the page's thread.
    Import {
        /// The files, in the order they were picked.
        files: Vec<FileRef>,
        /// A Jolteon grid side file opened earlier (its JSON), if any.
        grid: Option<String>,
        /// MB per vCPU that profile CSV files were measured with.
        csv_mb_per_vcpu: f64,
        /// `(file name, architecture)` the import dialog set for Lambda logs
        /// and Power Tuning results ([`crate::import::import_files_measured`]).
        #[serde(default)]
        measured_on: Vec<(String, faasplan_core::arch::Arch)>,
    },
    /// Solve some positions of a resolution frontier (a pool worker's share of a
    /// round, see `worker::pool`): each `(position, latency bound s)` with at most
    /// `max_nodes` search nodes (`frontier::solve_position`; [`WorkerOutput::Positions`]).
    Positions {
        /// The positions and their latency bounds, s.
        bounds: Vec<(u32, f64)>,
        /// Search nodes each solve may take.
        max_nodes: Option<u64>,
    },
}

/// Slider positions of the resolution-bounded frontier ([`Task::Frontier`]).
pub const RESOLUTION_POSITIONS: usize = 500;

/// How complete a frontier output is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// Latency bounds (slider positions) of the resolution-bounded frontier;
    /// 0 for the exact frontier.
    pub positions: u32,
    /// Positions whose optimal plan is known so far (all of them once finished).
    pub resolved: u32,
    /// The whole exact frontier: every point, not only one per position.
    pub exact: bool,
    /// Answered positions whose solve ran out of its node budget: their plan is
    /// the best found, feasible but not proven optimal.
    #[serde(default)]
    pub unproven: u32,
}

impl Resolution {
    /// Whether the output is final: the exact frontier, or every position resolved.
    pub fn complete(&self) -> bool {
        self.exact || self.resolved >= self.positions
    }
}

/// A file the worker reads itself: an object URL of a picked or dropped file,
/// or the address of a bundled example, with the name it is known by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileRef {
    /// The file's name (messages, and the extension hint of the kind).
    pub name: String,
    /// Where to read it: a `blob:` URL or a path relative to the page.
    pub url: String,
    /// Its size in bytes, when known before reading (0 otherwise).
    pub bytes: u64,
}

/// One request to the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The app's `inputs_rev` when the job was posted.
    pub rev: u64,
    /// The app's `bound_rev` (or export counter) when the job was posted.
    pub key: u64,
    /// The inputs (workflow, profiles, platform, settings); without profiles
    /// when `profiles` refers to those the worker keeps.
    #[serde(with = "project_file")]
    pub project: CoreProject,
    /// Whether the project carries its profiles or refers to kept ones.
    pub profiles: JobProfiles,
    /// Fusion the exact solve and the export plan over (with an edge device
    /// in the project's pricing, placement too); none by default.
    #[serde(default)]
    pub fusion: FusionOptions,
    /// What to do.
    pub task: Task,
    /// For a [`Task::Frontier`]: the pool of workers that solve the rounds'
    /// positions (`worker::pool`); `None`: the planning worker solves them itself.
    #[serde(default)]
    pub pool: Option<PoolSpec>,
}

/// Where a frontier job's pool of workers comes from, and how large it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolSpec {
    /// The worker script's absolute address.
    pub script: String,
    /// Pool workers to start (`?pool=N` on the page's address); `None`: sized
    /// by the cores and memory (`worker::pool::pool_size`).
    #[serde(default)]
    pub workers: Option<u32>,
}

impl Job {
    /// A job whose project carries its own profiles (kept by the worker as `id`).
    pub fn new(rev: u64, key: u64, project: CoreProject, task: Task, id: u64) -> Job {
        Job {
            rev,
            key,
            project,
            profiles: JobProfiles::Sent { id },
            fusion: FusionOptions::default(),
            task,
            pool: None,
        }
    }
}

/// How a job's profiles reach the planning worker: with the first job after
/// they change, which the worker keeps them from; later jobs refer to them.
/// So a large profile is serialised on the page's thread, and decoded in the
/// worker, once per change rather than once per job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobProfiles {
    /// The job's project carries its profiles; the worker keeps them as `id`.
    Sent {
        /// The page's number for these profiles.
        id: u64,
    },
    /// The job's project has no profiles: the worker uses those it keeps as `id`.
    Kept {
        /// The number they were sent with.
        id: u64,
    },
}

/// How far a job has got: the phase that is running and its counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Progress {
    /// Fitting the stage models: `done` of `total` stages fitted.
    Fitting {
        /// Stages fitted.
        done: u64,
        /// Stages in all.
        total: u64,
    },
    /// Drawing the Monte Carlo table: rows filled of `total`.
    Sampling {
        /// Rows filled.
        done: u64,
        /// Rows in the table.
        total: u64,
    },
    /// Resolving the slider's positions: `resolved` of `positions` known.
    Resolving {
        /// Positions with their optimal plan.
        resolved: u64,
        /// Positions in all.
        positions: u64,
    },
    /// Sweeping the frontier: points found, search nodes so far.
    Frontier {
        /// Frontier points found.
        points: u64,
        /// Search nodes so far.
        nodes: u64,
    },
    /// Solving one bound exactly.
    Solving,
    /// Evaluating the user's current configuration.
    Evaluating,
    /// Running the whole pipeline for the exported plan.
    Planning,
    /// Running the baseline planners.
    Baselines,
    /// Testing the runs and proposing what to measure next.
    Advising,
    /// Forecasting the trace and planning provisioned concurrency.
    Prewarming,
    /// Reading opened files: bytes read of `total`.
    Reading {
        /// Bytes read so far.
        done: u64,
        /// Bytes in all the files (0 when unknown).
        total: u64,
    },
    /// Parsing opened files: `done` of `total` files read into the project.
    Parsing {
        /// Files parsed.
        done: u64,
        /// Files in the batch.
        total: u64,
    },
}

impl Progress {
    /// What the user reads, e.g. "sampling 1,200/4,000".
    pub fn label(&self) -> String {
        match self {
            Progress::Fitting { done, total } => format!("fitting models {done}/{total}"),
            Progress::Sampling { done, total } => format!("sampling {done}/{total}"),
            Progress::Frontier { points, nodes } => {
                format!("frontier: {points} points, {nodes} search nodes")
            }
            Progress::Resolving {
                resolved,
                positions,
            } => format!("{resolved}/{positions} slider positions solved"),
            Progress::Solving => "solving".into(),
            Progress::Evaluating => "evaluating your configuration".into(),
            Progress::Planning => "planning".into(),
            Progress::Baselines => "baselines".into(),
            Progress::Advising => "advising".into(),
            Progress::Prewarming => "planning pre-warming".into(),
            Progress::Reading { done, total: 0 } => format!("reading {}", megabytes(*done)),
            Progress::Reading { done, total } => {
                format!("reading {:.1} of {}", *done as f64 / 1e6, megabytes(*total))
            }
            Progress::Parsing { done, total } => format!("parsing files {done}/{total}"),
        }
    }

    /// The fraction of the phase done, when it is known.
    pub fn fraction(&self) -> Option<f64> {
        match *self {
            Progress::Resolving {
                resolved: done,
                positions: total,
            }
            | Progress::Fitting { done, total }
            | Progress::Sampling { done, total }
            | Progress::Reading { done, total }
            | Progress::Parsing { done, total }
                if total > 0 =>
            {
                Some(done as f64 / total as f64)
            }
            _ => None,
        }
    }
}

/// A byte count as the user reads it: "2.4 MB".
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// One configuration of a stage used by some frontier point, with its figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigRow {
    /// Memory per instance, MB.
    pub memory_mb: u32,
    /// Instance count.
    pub d: u32,
    /// Median stage latency over the samples, s.
    pub p50_s: f64,
    /// Stage latency quantile at the percentile q, s.
    pub q_s: f64,
    /// Expected stage cost per run, USD.
    pub expected_cost_usd: f64,
    /// The architecture, for a stage that may run on another one than the platform's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<faasplan_core::arch::Arch>,
}

/// The configurations of one stage that frontier points use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageRows {
    /// Stage id.
    pub stage: String,
    /// Distinct configurations (with their input context) used by the frontier.
    pub rows: Vec<ConfigRow>,
}

/// One fitted curve of a stage: predicted mean wall time against memory at one d.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitCurve {
    /// Instance count (the input partitions, for a single-instance stage).
    pub d: u32,
    /// `(memory_mb, predicted mean wall time s)`, ascending in memory.
    pub points: Vec<(f64, f64)>,
}

/// The model fit of one stage and its errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageFit {
    /// Stage id.
    pub stage: String,
    /// One curve per measured d.
    pub curves: Vec<FitCurve>,
    /// Mean absolute % error of the mean wall time on the measured configurations.
    pub fit_mean_pct: f64,
    /// Same, leave-one-configuration-out cross-validated.
    pub cv_mean_pct: f64,
}

/// Wall-clock time of each phase in the worker, ms (`performance.now()`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Validating and fitting (with the fit report).
    pub fit_ms: f64,
    /// Sampling the problem.
    pub sample_ms: f64,
    /// The whole frontier.
    pub frontier_ms: f64,
    /// Everything, including the plan-table figures.
    pub total_ms: f64,
    /// The worker's memory (wasm linear memory, which never shrinks: its peak
    /// so far) when the job ended, bytes; 0 natively.
    #[serde(default)]
    pub memory_bytes: f64,
    /// How a frontier job started, up to its first round (zero for other jobs).
    #[serde(default)]
    pub start: StartTimings,
}

/// The steps of a frontier job before its first round is answered, ms
/// (`performance.now()` differences in the planning worker).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StartTimings {
    /// When the job started, ms since the Unix epoch (`performance.timeOrigin
    /// + performance.now()`, comparable with the page's clock; 0 natively).
    pub started_at_ms: f64,
    /// Resolving the profiles and checking the inputs.
    pub check_ms: f64,
    /// Fit and sample (nothing when cached).
    pub prepare_ms: f64,
    /// The positions' bounds: the planner's set-up and the fastest and the
    /// cheapest plans' exact solves.
    pub bounds_ms: f64,
    /// The first round's solves and its answer.
    pub first_round_ms: f64,
    /// The certified solve of the job's own bound (after the preparation,
    /// before the positions' bounds).
    pub own_bound_ms: f64,
    /// Whether the previous frontier job's rounds were still running when this
    /// job came, and were stopped (its pool terminated).
    pub stopped_previous: bool,
}

/// What a finished frontier job produced.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanOutput {
    /// The core's latency–cost frontier (ascending in latency, strictly
    /// descending in cost); the state looks a bound up with its own methods.
    pub frontier: Frontier,
    /// Per frontier point (same order), per stage: the index into
    /// [`StageRows::rows`] of the stage's configuration.
    pub point_rows: Vec<Vec<u32>>,
    /// Per stage (workflow order), the configurations the frontier points use.
    pub stages: Vec<StageRows>,
    /// Per stage, the fitted curves and errors.
    pub fits: Vec<StageFit>,
    /// Monte Carlo samples N.
    pub samples: usize,
    /// Search nodes the frontier took.
    pub nodes: u64,
    /// Phase timings.
    pub timings: Timings,
    /// Whether this is the exact frontier, or how far its resolution is solved.
    #[serde(default)]
    pub resolution: Resolution,
}

impl PlanOutput {
    /// Each stage of frontier point `i` with its configuration's row (nothing
    /// for an index outside the frontier).
    pub fn point_configs(&self, i: usize) -> impl Iterator<Item = (&StageRows, &ConfigRow)> {
        let rows = self.point_rows.get(i).map_or(&[][..], Vec::as_slice);
        rows.iter()
            .zip(&self.stages)
            .filter_map(|(&r, st)| Some((st, st.rows.get(r as usize)?)))
    }
}

/// One baseline planner's plan for a latency bound, judged on the planning samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineRow {
    /// The baseline's short name, e.g. "orion".
    pub name: String,
    /// Guaranteed latency at the percentile, s (NaN without a plan).
    pub guaranteed_latency_s: f64,
    /// Nearest-rank q-quantile of the workflow latency, s (NaN without a plan).
    pub q_latency_s: f64,
    /// Expected cost per run, USD (NaN without a plan).
    pub expected_cost_usd: f64,
    /// Whether the plan meets the bound (guarantee and concurrency limit).
    pub meets_bound: bool,
    /// `(stage id, memory_mb, d)` of every stage in workflow order; `None`
    /// when the baseline found no plan.
    pub plan: Option<Vec<(String, u32, u32)>>,
}

/// The baselines for one latency bound.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineSet {
    /// The latency bound they were planned for, s.
    pub bound_s: f64,
    /// One row per baseline, in `Baseline::ALL` order.
    pub rows: Vec<BaselineRow>,
    /// Time the worker took, ms.
    pub elapsed_ms: f64,
}

/// The user's current configuration evaluated on the planning samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluationOutput {
    /// Its guaranteed latency on the planning samples, s (as the frontier's points).
    pub latency_s: f64,
    /// Its expected cost per run, USD (as the frontier's points).
    pub cost_usd: f64,
    /// Its report (`Evaluation::current`: per stage and in all, and out of sample).
    pub current: WirePlan,
    /// The planner's cheapest plan with a guaranteed latency no higher, if found.
    pub planned: Option<WirePlan>,
    /// Expected cost per run the planner saves at that latency, USD.
    pub saving_usd: Option<f64>,
}

/// Which report a [`WorkerOutput::Report`] answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportKind {
    /// [`Task::Solve`].
    Solve,
    /// [`Task::Check`].
    Check,
}

/// Which job a [`WorkerOutput::Progress`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobKind {
    /// [`Task::Frontier`].
    Frontier,
    /// [`Task::ExactFrontier`].
    ExactFrontier,
    /// [`Task::Solve`] or [`Task::Check`].
    Report(ReportKind),
    /// [`Task::Evaluate`].
    Evaluate,
    /// [`Task::Export`].
    Export,
    /// [`Task::Baselines`].
    Baselines,
    /// [`Task::Import`].
    Import,
    /// [`Task::Advise`].
    Advise,
    /// [`Task::Prewarm`].
    Prewarm,
    /// [`Task::Positions`].
    Positions,
}

impl Task {
    /// The kind of job this task makes.
    pub fn kind(&self) -> JobKind {
        match self {
            Task::Frontier => JobKind::Frontier,
            Task::ExactFrontier => JobKind::ExactFrontier,
            Task::Solve => JobKind::Report(ReportKind::Solve),
            Task::Check { .. } => JobKind::Report(ReportKind::Check),
            Task::Evaluate { .. } => JobKind::Evaluate,
            Task::Export => JobKind::Export,
            Task::Baselines { .. } => JobKind::Baselines,
            Task::Import { .. } => JobKind::Import,
            Task::Advise { .. } => JobKind::Advise,
            Task::Prewarm(_) => JobKind::Prewarm,
            Task::Positions { .. } => JobKind::Positions,
        }
    }
}

/// A plan report on the wire: the plan JSON of [`faasplan_core::plan`].
#[derive(Clone, Debug, PartialEq)]
pub struct WirePlan(pub PlanReport);

impl Serialize for WirePlan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&faasplan_core::plan::to_json(&self.0))
    }
}

impl<'de> Deserialize<'de> for WirePlan {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        faasplan_core::plan::from_json(&text)
            .map(WirePlan)
            .map_err(serde::de::Error::custom)
    }
}

/// The core project on the wire: the project file of
/// [`faasplan_core::formats::project`] without its runs, and the profiles
/// packed ([`wire`]), so a large profile is not written and read as JSON.
pub mod project_file {
    pub use super::wire::project::{deserialize, serialize};
}

/// An optional core project on the wire, as [`project_file`] writes it.
pub mod opt_project_file {
    pub use super::wire::opt_project::{deserialize, serialize};
}

/// An optional Jolteon grid on the wire, in its side-file JSON.
pub mod opt_grid {
    use super::*;
    use faasplan_core::formats::jolteon::JolteonGrid;

    /// Writes the grid file text, or null.
    pub fn serialize<S: Serializer>(g: &Option<JolteonGrid>, s: S) -> Result<S::Ok, S::Error> {
        g.as_ref().map(JolteonGrid::to_json).serialize(s)
    }

    /// Reads the grid file text back, or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<JolteonGrid>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| JolteonGrid::from_json(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// A message from the worker.
// One message per job step, serialised to JSON at once: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum WorkerOutput {
    /// The job with this `rev` and `key` is still running.
    Progress {
        /// The job's inputs revision.
        rev: u64,
        /// The job's key.
        key: u64,
        /// Which job.
        kind: JobKind,
        /// Where it is.
        progress: Progress,
    },
    /// A round of a frontier job ([`Task::Frontier`]) ended: the frontier so
    /// far (every point optimal for its bound), more to come.
    FrontierPart {
        /// The job's inputs revision.
        rev: u64,
        /// The frontier so far.
        output: PlanOutput,
    },
    /// A frontier job ended; `Err` holds a message for the user.
    Frontier {
        /// The job's inputs revision.
        rev: u64,
        /// The output or why there is none.
        result: Result<PlanOutput, String>,
    },
    /// A solve or check ended with a plan report or a message.
    Report {
        /// The job's inputs revision.
        rev: u64,
        /// The job's key.
        key: u64,
        /// Which task.
        kind: ReportKind,
        /// The plan report or why there is none.
        result: Result<WirePlan, String>,
    },
    /// An export ended with the plan file's text (`faasplan_core::plan::to_json`,
    /// byte for byte what `faasplan plan` writes) or a message.
    Export {
        /// The export counter the job was posted with.
        key: u64,
        /// The plan JSON text or why there is none.
        result: Result<String, String>,
    },
    /// The worker stopped (a panic, or out of memory) while running a job; it
    /// answers nothing more and must be replaced. Posted by the worker's own
    /// error handler (see `bin/worker.rs`), never by [`compute`](super::compute).
    Crashed {
        /// The cause as the worker saw it (the panic message, or the trap).
        message: String,
    },
    /// A [`Task::Positions`] ended: the answers in the job's order.
    Positions {
        /// The job's inputs revision.
        rev: u64,
        /// The job's key.
        key: u64,
        /// One answer per position, or why none.
        result: Result<Vec<PositionAnswer>, String>,
    },
    /// An evaluation of the user's current configuration ended.
    Evaluation {
        /// The job's inputs revision.
        rev: u64,
        /// The job's key (the app's `current_rev`).
        key: u64,
        /// The evaluation or why there is none (e.g. a configuration that is
        /// not one of a stage's candidates).
        result: Result<EvaluationOutput, String>,
    },
    /// A baselines job ended.
    Baselines {
        /// The job's inputs revision.
        rev: u64,
        /// The job's key.
        key: u64,
        /// The baselines or why there are none.
        result: Result<BaselineSet, String>,
    },
    /// An advisor job ended.
    Advice {
        /// The job's inputs revision.
        rev: u64,
        /// The job's key.
        key: u64,
        /// The flagged runs and proposals, or why there are none.
        result: Result<advisor::AdvisorOutput, String>,
    },
    /// A pre-warm job ended.
    Prewarm {
        /// The job's inputs revision.
        rev: u64,
        /// The job's key.
        key: u64,
        /// The plan or why there is none.
        result: Result<advisor::PrewarmOutput, String>,
    },
    /// An import job ended: what the files give, or the first file that could
    /// not be read and why.
    Imported {
        /// The import counter the job was posted with.
        key: u64,
        /// The import or the file that stopped it.
        result: Result<crate::import::Imported, crate::import::ImportError>,
    },
}
