//! The app's state and the one pure reducer that changes it.
//!
//! [`AppState`] holds the [`Project`] (the saved document), the undo/redo
//! [`History`] of its workflow, the editor selection, notices and the state of
//! the latest planning run. [`AppState::apply`] is the only way to change it;
//! it does no I/O and knows nothing of Yew, so it is tested natively.
//!
//! Two revision counters drive effects outside the reducer:
//! - `inputs_rev` grows on every change to what the planner reads (stages,
//!   edges, stage options, settings, platform, profiles), not on moves or
//!   selection; a run's answer is accepted only if it carries the current value;
//! - `doc_rev` grows on every change to the project, moves included; autosave
//!   is keyed on it.

pub mod advisor;
pub mod arch;
pub mod baselines;
pub mod current;
pub mod deploy;
pub mod edit;
pub mod executor;
pub mod fusion;
pub mod history;
pub mod notice;
pub mod opening;
pub mod project;
pub mod run;
pub mod saved;

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use faasplan_core::dag::{ChoiceMode, Config, Position, Workflow};
use faasplan_core::formats::jolteon::JolteonGrid;
use faasplan_core::platform::Preset;
use faasplan_core::profile::Profiles;
use faasplan_core::settings::{Bound, ColdStarts};

pub use baselines::BaselinesStatus;
pub use current::EvaluationStatus;
pub use deploy::DeployFile;
pub use edit::StageEdit;
pub use history::History;
pub use notice::{Level, Notice};
pub use opening::Opening;
pub use project::{PlatformChoice, Project};
pub use run::{Chosen, ExactRun, ReportStatus, RunStatus};
pub use saved::{Autosave, DEFAULT_CSV_MB_PER_VCPU};

use crate::import::Imported;

use faasplan_core::plan::PlanReport;

use crate::worker::protocol::{BaselineSet, EvaluationOutput, PlanOutput, Progress, ReportKind};

/// What is selected in the workflow editor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// A stage, by id.
    Stage(String),
    /// An edge, by its end stages.
    Edge {
        /// Upstream stage id.
        from: String,
        /// Downstream stage id.
        to: String,
    },
}

/// Everything the user can do, and everything that comes back.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Add a stage with a fresh id at a model position, and select it.
    AddStage {
        /// Where to put it.
        at: Position,
    },
    /// Move a stage (one undo step per completed drag).
    MoveStage {
        /// Stage id.
        id: String,
        /// New top-left corner, model units.
        to: Position,
    },
    /// Connect two stages; refused with a notice if it would close a cycle.
    Connect {
        /// Upstream stage id.
        from: String,
        /// Downstream stage id.
        to: String,
    },
    /// Rename a stage (its edges follow).
    RenameStage {
        /// Current id.
        id: String,
        /// New id.
        new_id: String,
    },
    /// Change one option of a stage.
    EditStage {
        /// Stage id.
        id: String,
        /// The change.
        edit: StageEdit,
    },
    /// Rename the workflow (one undo step; not a planner input).
    RenameWorkflow(String),
    /// Delete what is selected (a stage with its edges, or an edge).
    DeleteSelection,
    /// Select a stage or edge, or clear the selection.
    Select(Option<Selection>),
    /// Replace the workflow (an import); stages without positions are laid out.
    ImportWorkflow(Workflow),
    /// Lay every stage out again in layers.
    AutoLayout,
    /// Undo the last workflow edit.
    Undo,
    /// Redo the last undone workflow edit.
    Redo,
    /// Set the bound (latency or cost).
    SetBound(Bound),
    /// Set the percentile q, in (0, 1).
    SetPercentile(f64),
    /// Set the risk δ (confidence 1 − δ), in (0, 1).
    SetDelta(f64),
    /// Plan a Choice for the slowest alternative, or with these weights (one per
    /// alternative, normalised); refused with a notice when they are not valid.
    SetChoice {
        /// The Choice's name.
        name: String,
        /// How to plan it.
        mode: ChoiceMode,
        /// Weights of the alternatives (used with `ChoiceMode::Probabilities`).
        weights: Vec<f64>,
    },
    /// Unroll the imported state machine's cycles this many times (at least 1),
    /// keeping the measured runs (see [`deploy`]).
    SetLoopIterations(u32),
    /// Set a service-integration stage's latency, s, and price per run, USD
    /// (see [`deploy`]).
    SetService {
        /// The stage's id.
        stage: String,
        /// Its latency, s.
        latency_s: f64,
        /// What one run of it costs, USD.
        usd_per_run: f64,
    },
    /// Set the cold starts of every stage.
    SetColdStarts(ColdStarts),
    /// Use a built-in platform.
    SetPreset(Preset),
    /// Allow or forbid the planner to fuse adjacent stages (one undo step; see [`fusion`]).
    SetFusionAllowed(bool),
    /// Mark an edge "never fuse", or clear the mark (one undo step).
    SetNeverFuse {
        /// Upstream stage id.
        from: String,
        /// Downstream stage id.
        to: String,
        /// Whether the edge must never be fused.
        never: bool,
    },
    /// Let the planner run a stage on arm64 as well as x86_64, with the arm64
    /// time factor used without arm64 runs, or not (one undo step; see [`arch`]).
    SetArchitecture {
        /// The stage's id.
        stage: String,
        /// Whether arm64 is allowed.
        arm64: bool,
        /// In-function time on arm64 relative to x86_64.
        time_factor: Option<f64>,
    },
    /// Price the runs' orchestration (one undo step).
    SetOrchestration(faasplan_core::pricing::Orchestration),
    /// Declare the edge device stages may run on, or remove it (one undo step).
    SetEdgeDevice(Option<faasplan_core::pricing::EdgeDevice>),
    /// Use custom prices.
    SetPrices {
        /// USD per GB-second.
        price_per_gb_s: f64,
        /// USD per request.
        price_per_request: f64,
    },
    /// Profiles were loaded.
    ProfilesLoaded(Profiles),
    /// An executor measured these profiles: they join the project's (one undo step).
    MergeExecutorProfiles(Rc<Profiles>),
    /// A saved project was read back (autosave or a project file).
    ProjectLoaded(Box<Project>),
    /// A batch of files was read (see [`crate::import`]).
    FilesImported(Rc<Imported>),
    /// Read and import these files in the file-reading worker (see [`opening`]).
    OpenFiles(Vec<crate::worker::protocol::FileRef>),
    /// The batch `key` is being read or parsed.
    OpenProgressed {
        /// The batch's `open_rev`.
        key: u64,
        /// Where it is.
        progress: Progress,
    },
    /// The batch `key` was read: what it gives, or the file that stopped it.
    OpenFinished {
        /// The batch's `open_rev`.
        key: u64,
        /// The import or why there is none.
        result: Result<Rc<Imported>, crate::import::ImportError>,
    },
    /// The file-reading worker stopped (a panic or out of memory); a new one replaces it.
    OpenerCrashed {
        /// The cause as the worker reported it.
        message: String,
    },
    /// The import dialog's "measured on": `file`'s runs (a Lambda log or Power
    /// Tuning result of the last batch) were measured on `arch`; the batch is
    /// imported again with it.
    SetMeasuredOn {
        /// The file's name.
        file: String,
        /// Its architecture.
        arch: faasplan_core::arch::Arch,
    },
    /// Close the import dialog's "measured on".
    CloseMeasuredOn,
    /// Set the MB per vCPU that profile CSV files were measured with.
    SetCsvMbPerVcpu(f64),
    /// Show a message.
    Notify {
        /// Severity.
        level: Level,
        /// Text.
        text: String,
    },
    /// Hide a message.
    Dismiss(u64),
    /// A job for `rev` was posted.
    RunStarted {
        /// Inputs revision.
        rev: u64,
    },
    /// The job for `rev` reported progress.
    RunProgressed {
        /// Inputs revision.
        rev: u64,
        /// The report.
        progress: Progress,
    },
    /// The job for `rev` ended.
    RunFinished {
        /// Inputs revision.
        rev: u64,
        /// Output or message.
        result: Result<Rc<PlanOutput>, String>,
    },
    /// A round of the job for `rev` ended: the frontier so far.
    RunPartial {
        /// Inputs revision.
        rev: u64,
        /// The frontier so far.
        output: Rc<PlanOutput>,
    },
    /// Compute the whole exact frontier of the current inputs.
    ExactRequested,
    /// Stop computing the exact frontier.
    ExactCancelled,
    /// The exact frontier job for `rev` reported progress.
    ExactProgressed {
        /// Inputs revision.
        rev: u64,
        /// The report.
        progress: Progress,
    },
    /// The exact frontier job for `rev` ended.
    ExactFinished {
        /// Inputs revision.
        rev: u64,
        /// Output or message.
        result: Result<Rc<PlanOutput>, String>,
    },
    /// A bound-dependent report was asked for.
    ReportStarted {
        /// Which report.
        kind: ReportKind,
        /// Inputs revision.
        rev: u64,
        /// Bound revision.
        key: u64,
    },
    /// A bound-dependent report progressed.
    ReportProgressed {
        /// Which report.
        kind: ReportKind,
        /// Inputs revision.
        rev: u64,
        /// Bound revision.
        key: u64,
        /// The report.
        progress: Progress,
    },
    /// A bound-dependent report arrived.
    ReportFinished {
        /// Which report.
        kind: ReportKind,
        /// Inputs revision.
        rev: u64,
        /// Bound revision.
        key: u64,
        /// The plan report or a message.
        result: Result<Rc<PlanReport>, String>,
    },
    /// The user asked for the plan JSON.
    ExportRequested,
    /// Download a deploy file of the chosen plan for the imported state machine.
    DeployExportRequested(DeployFile),
    /// Baselines were asked for (inputs revision `rev`, bound revision `key`).
    BaselinesStarted {
        /// Inputs revision.
        rev: u64,
        /// Bound revision.
        key: u64,
    },
    /// Baselines arrived.
    BaselinesFinished {
        /// Inputs revision.
        rev: u64,
        /// Bound revision.
        key: u64,
        /// The baselines or a message.
        result: Result<Rc<BaselineSet>, String>,
    },
    /// Show or hide a baseline's marker on the frontier chart, by name.
    ToggleMarker(String),
    /// Set (or with `None` clear) the configuration a stage runs with today.
    SetCurrentConfig {
        /// Stage id.
        stage: String,
        /// Its memory and d.
        config: Option<Config>,
    },
    /// The current configuration's evaluation was asked for.
    EvaluationStarted {
        /// Inputs revision.
        rev: u64,
        /// `current_rev` of the configuration.
        key: u64,
    },
    /// The current configuration's evaluation arrived.
    EvaluationFinished {
        /// Inputs revision.
        rev: u64,
        /// `current_rev` of the configuration.
        key: u64,
        /// The evaluation or a message.
        result: Result<Rc<EvaluationOutput>, String>,
    },
    /// The worker stopped while running a job (a panic or out of memory); every
    /// job in flight fails with `message` and a new worker replaces it.
    WorkerCrashed {
        /// The cause as the worker reported it.
        message: String,
    },
    /// Run the planner again for the current inputs (after a failure, or in safe mode).
    RetryPlanning,
    /// The autosaved project crashed the planner last time: load it without
    /// planning until the user changes an input or retries.
    EnterSafeMode,
    /// The advisor, flagged runs and pre-warm panels (see [`advisor`]).
    Advisor(advisor::AdvisorAction),
}

/// The whole app state.
#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    /// The saved document.
    pub project: Project,
    /// Undo/redo of the workflow.
    pub history: History,
    /// Editor selection.
    pub selection: Option<Selection>,
    /// Messages to the user, oldest first.
    pub notices: Vec<Notice>,
    /// Grows on every change of the planner's inputs.
    pub inputs_rev: u64,
    /// Grows on every change of the project.
    pub doc_rev: u64,
    /// Grows on every change of the bound and of the planner's inputs.
    pub bound_rev: u64,
    /// The latest frontier run.
    pub run: RunStatus,
    /// The whole exact frontier, when asked for.
    pub exact: ExactRun,
    /// The out-of-sample check of the chosen plan.
    pub check: ReportStatus,
    /// The exact solve of a bound that is not a frontier look-up.
    pub solved: ReportStatus,
    /// The baseline plans of the current bound.
    pub baselines: BaselinesStatus,
    /// Baselines whose markers the user hid on the frontier chart.
    pub hidden_markers: BTreeSet<String>,
    /// The configuration each stage runs with today, by stage id.
    pub current_config: BTreeMap<String, Config>,
    /// Grows on every change of `current_config`.
    pub current_rev: u64,
    /// The evaluation of the current configuration.
    pub evaluation: EvaluationStatus,
    /// Grows on every request of the plan JSON.
    pub export_rev: u64,
    /// What the next export downloads: the plan JSON or a deploy file.
    pub export_file: Option<DeployFile>,
    /// Grows whenever the editor should fit the drawing into view (imports, auto layout).
    pub fit_rev: u64,
    /// A Jolteon grid side file opened earlier, used for later profile imports.
    pub jolteon_grid: Option<JolteonGrid>,
    /// MB per vCPU that profile CSV files were measured with.
    pub csv_mb_per_vcpu: f64,
    /// Grows each time the planning worker crashed and must be replaced.
    pub worker_generation: u64,
    /// Whether the last run for the current inputs crashed the worker (saved
    /// with the project, so a reload does not crash again at once).
    pub last_run_crashed: bool,
    /// Safe mode: no job is posted until an input changes or the user retries.
    pub planning_paused: bool,
    /// The batch of files being opened, if any.
    pub opening: Option<Opening>,
    /// Grows on every batch of files to open.
    pub open_rev: u64,
    /// Grows each time the file-reading worker crashed and must be replaced.
    pub opener_generation: u64,
    /// The import dialog's "measured on" for the last batch's measurement files, while open.
    pub measuring: Option<opening::Measuring>,
    /// The advisor's proposals, flagged runs and the pre-warm plan.
    pub advisor: advisor::AdvisorState,
    next_notice_id: u64,
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            project: Project::default(),
            history: History::default(),
            selection: None,
            notices: Vec::new(),
            inputs_rev: 0,
            doc_rev: 0,
            bound_rev: 0,
            run: RunStatus::default(),
            exact: ExactRun::default(),
            check: ReportStatus::default(),
            solved: ReportStatus::default(),
            baselines: BaselinesStatus::default(),
            hidden_markers: BTreeSet::new(),
            current_config: BTreeMap::new(),
            current_rev: 0,
            evaluation: EvaluationStatus::default(),
            export_rev: 0,
            export_file: None,
            fit_rev: 0,
            jolteon_grid: None,
            csv_mb_per_vcpu: DEFAULT_CSV_MB_PER_VCPU,
            worker_generation: 0,
            last_run_crashed: false,
            planning_paused: false,
            opening: None,
            open_rev: 0,
            opener_generation: 0,
            measuring: None,
            advisor: advisor::AdvisorState::default(),
            next_notice_id: 0,
        }
    }
}

impl AppState {
    /// Most notices kept; older ones are dropped.
    pub const MAX_NOTICES: usize = 5;

    /// Applies one action.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::Select(selection) => self.selection = selection,
            Action::Undo => self.step_history(true),
            Action::Redo => self.step_history(false),
            Action::Notify { level, text } => self.notify(level, text),
            Action::Dismiss(id) => self.notices.retain(|n| n.id != id),
            Action::SetBound(_)
            | Action::SetPercentile(_)
            | Action::SetDelta(_)
            | Action::SetColdStarts(_)
            | Action::SetPreset(_)
            | Action::SetPrices { .. } => self.apply_setting(action),
            Action::ProfilesLoaded(profiles) => {
                self.project.profiles = Some(Rc::new(profiles));
                self.touch_inputs();
            }
            Action::MergeExecutorProfiles(fresh) => self.merge_executor_profiles(&fresh),
            Action::ProjectLoaded(project) => self.load_project(*project),
            Action::FilesImported(imported) => self.apply_import(&imported),
            Action::SetFusionAllowed(_)
            | Action::SetNeverFuse { .. }
            | Action::SetOrchestration(_)
            | Action::SetEdgeDevice(_) => self.apply_fusion(action),
            Action::SetArchitecture { .. } => self.apply_architecture(action),
            Action::SetLoopIterations(_) | Action::SetService { .. } => {
                self.apply_imported_setting(action);
            }
            Action::OpenFiles(_)
            | Action::OpenProgressed { .. }
            | Action::OpenFinished { .. }
            | Action::OpenerCrashed { .. }
            | Action::SetMeasuredOn { .. }
            | Action::CloseMeasuredOn => self.apply_opening(action),
            Action::SetCsvMbPerVcpu(mb) if mb.is_finite() && mb > 0.0 => {
                self.csv_mb_per_vcpu = mb;
                self.doc_rev += 1;
            }
            Action::SetCsvMbPerVcpu(mb) => self.notify(
                Level::Warning,
                format!("mb per vcpu must be a finite value above 0, got {mb}"),
            ),
            Action::RunStarted { .. }
            | Action::RunProgressed { .. }
            | Action::RunFinished { .. }
            | Action::RunPartial { .. }
            | Action::ExactRequested
            | Action::ExactCancelled
            | Action::ExactProgressed { .. }
            | Action::ExactFinished { .. }
            | Action::ReportStarted { .. }
            | Action::ReportProgressed { .. }
            | Action::ReportFinished { .. }
            | Action::WorkerCrashed { .. }
            | Action::RetryPlanning
            | Action::EnterSafeMode => self.apply_run(action),
            Action::BaselinesStarted { .. }
            | Action::BaselinesFinished { .. }
            | Action::ToggleMarker(_) => self.apply_baselines(action),
            Action::SetCurrentConfig { .. }
            | Action::EvaluationStarted { .. }
            | Action::EvaluationFinished { .. } => self.apply_current(action),
            Action::Advisor(action) => self.apply_advisor(action),
            Action::ExportRequested => {
                self.export_file = None;
                self.export_rev += 1;
            }
            Action::DeployExportRequested(file) => {
                self.export_file = Some(file);
                self.export_rev += 1;
            }
            Action::RenameStage { id, new_id } => {
                let trimmed = new_id.trim().to_string();
                self.apply_edit(Action::RenameStage {
                    id: id.clone(),
                    new_id,
                });
                self.follow_rename(&id, &trimmed);
            }
            edit => self.apply_edit(edit),
        }
    }

    /// Adds a notice.
    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        self.next_notice_id += 1;
        self.notices.push(Notice {
            id: self.next_notice_id,
            level,
            text: text.into(),
        });
        if self.notices.len() > Self::MAX_NOTICES {
            self.notices.remove(0);
        }
    }

    /// The selected stage's id, if a stage is selected.
    pub fn selected_stage(&self) -> Option<&str> {
        match &self.selection {
            Some(Selection::Stage(id)) => Some(id),
            _ => None,
        }
    }

    /// Replaces the project; one undo brings the previous one back (unless it
    /// was empty, as before an autosave is restored).
    pub(crate) fn load_project(&mut self, mut project: Project) {
        edit::layout_if_unplaced(&mut project.workflow);
        let before = std::mem::replace(&mut self.project, project);
        if !before.workflow.stages.is_empty() {
            self.history
                .record(history::Snapshot::Project(Rc::new(before)));
        }
        self.fit_rev += 1;
        self.selection = None;
        self.touch_inputs();
    }

    /// Adds an executor's measured runs to the profiles, as one undo step
    /// that brings the project back as it was.
    fn merge_executor_profiles(&mut self, fresh: &Profiles) {
        match executor::merge_profiles(self.project.profiles.as_deref(), fresh) {
            Ok(merged) => {
                let before = self.project.clone();
                self.history
                    .record(history::Snapshot::Project(Rc::new(before)));
                self.project.profiles = Some(Rc::new(merged));
                self.touch_inputs();
                self.notify(
                    Level::Info,
                    format!(
                        "{} measured stage runs from the executor added to the profiles",
                        executor::row_count(fresh)
                    ),
                );
            }
            Err(e) => self.notify(Level::Error, e),
        }
    }

    pub(crate) fn touch_inputs(&mut self) {
        self.planning_paused = false;
        self.inputs_rev += 1;
        self.bound_rev += 1;
        self.doc_rev += 1;
    }

    fn step_history(&mut self, back: bool) {
        let step = if back {
            self.history.undo(&self.project)
        } else {
            self.history.redo(&self.project)
        };
        match step {
            Some(history::Snapshot::Workflow(w)) => {
                self.project.workflow = Rc::unwrap_or_clone(w);
            }
            Some(history::Snapshot::Project(p)) => {
                self.project = Rc::unwrap_or_clone(p);
                self.fit_rev += 1;
            }
            None => return,
        }
        self.drop_dangling_selection();
        self.touch_inputs();
    }

    fn drop_dangling_selection(&mut self) {
        let wf = &self.project.workflow;
        let exists = match &self.selection {
            None => true,
            Some(Selection::Stage(id)) => wf.stages.iter().any(|s| &s.id == id),
            Some(Selection::Edge { from, to }) => {
                wf.edges.iter().any(|e| &e.from == from && &e.to == to)
            }
        };
        if !exists {
            self.selection = None;
        }
    }

    fn apply_setting(&mut self, action: Action) {
        let p = &mut self.project;
        match action {
            Action::SetBound(bound) => {
                // The frontier does not depend on the bound: a new bound is a
                // look-up, not a new run.
                p.settings.bound = bound;
                self.bound_rev += 1;
                self.doc_rev += 1;
                return;
            }
            Action::SetPercentile(q) if q > 0.0 && q < 1.0 => p.settings.percentile = tidy(q),
            Action::SetDelta(delta) if delta > 0.0 && delta < 1.0 => {
                p.settings.delta = tidy(delta);
            }
            Action::SetColdStarts(c) if c.validate().is_ok() => p.settings.cold_starts = c,
            Action::SetPreset(preset) => {
                // The orchestration, data, edge device and service prices stay.
                let pricing = std::mem::take(&mut p.platform.pricing);
                p.platform = preset.platform();
                p.platform.pricing = pricing;
                p.platform_choice = PlatformChoice::Preset(preset);
            }
            Action::SetPrices {
                price_per_gb_s,
                price_per_request,
            } if price_per_gb_s >= 0.0 && price_per_request >= 0.0 => {
                p.platform.price_per_gb_s = price_per_gb_s;
                p.platform.price_per_request = price_per_request;
                p.platform.name = "Custom prices".to_string();
                p.platform_choice = PlatformChoice::Custom;
            }
            other => {
                self.notify(Level::Warning, format!("setting out of range: {other:?}"));
                return;
            }
        }
        self.touch_inputs();
    }
}

/// `x` rounded to 12 significant digits: a setting typed as 99.9 % is stored
/// as 0.999, not 0.9990000000000001 (99.9 / 100 in binary floating point), so
/// it is echoed as entered in the plan file.
pub fn tidy(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests;
