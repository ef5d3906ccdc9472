//! Reading the files a user opens or drops: which kind each is, and what it
//! changes. Pure (texts in, data out), so it is tested natively; the browser
//! side only reads the files and dispatches [`Action::FilesImported`](crate::state::Action).
//!
//! Kinds, detected by content with the extension as a hint ([`detect_kind`]):
//! - project JSON (`"format": "faasplan-project"`, the file the CLI reads);
//! - Jolteon workflow JSON (`workflow_name`, stages keyed `"0"` ..);
//! - Jolteon profile JSON (`profile[stage][step][rep][cfg] = [mean_s, p95_s]`),
//!   which needs its workflow: dropped together with it, or after it;
//! - Jolteon grid side file (`[[memory_mb, d], ...]`); without one the grid of a
//!   published workflow comes from `JolteonGrid::bundled`;
//! - native profile CSV, read with the measured MB per vCPU the user set;
//! - an AWS Step Functions state machine (ASL JSON or YAML, a SAM or
//!   CloudFormation template) with, in the same batch, Lambda logs and Power
//!   Tuning results of its functions (read by the core's
//!   [`import_batch`]).
//!
//! Several files dropped together are read as one batch (project first, then
//! grid, workflow, profiles). A batch is all or nothing: the first file that
//! cannot be read gives an [`ImportError`] naming it, and nothing is applied.

mod detect;
#[cfg(test)]
pub(crate) mod tests;

use faasplan_core::arch::Arch;
use faasplan_core::dag::Workflow;
use faasplan_core::formats::batch::{BatchOptions, Coverage, coverage, import_batch};
use faasplan_core::formats::csv::read_profiles_csv;
use faasplan_core::formats::detect::{FormatKind, detect};
use faasplan_core::formats::jolteon::{
    JolteonError, JolteonGrid, JolteonProfileOptions, import_profiles, import_workflow,
    resolve_grid, resolve_grid_named,
};
use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::formats::{lambda_logs, power_tuning};
use faasplan_core::profile::Profiles;

pub use detect::{FileKind, detect_kind};

/// A file's name and its text.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedText {
    /// File name (used in messages and as the extension hint).
    pub name: String,
    /// Contents.
    pub text: String,
}

impl NamedText {
    /// A named text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        NamedText {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// What the import reads against: the current workflow and grid, and settings.
#[derive(Clone, Copy, Debug)]
pub struct ImportContext<'a> {
    /// The workflow in the editor (profiles dropped alone belong to it).
    pub workflow: &'a Workflow,
    /// A grid side file dropped earlier, if any.
    pub grid: Option<&'a JolteonGrid>,
    /// MB per vCPU the CSV profiles were measured with.
    pub csv_mb_per_vcpu: f64,
}

/// What a batch of files gives. It travels from the worker that read the
/// files as JSON, the project and grid in their own file formats.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Imported {
    /// A whole project (replaces everything).
    #[serde(with = "crate::worker::protocol::opt_project_file")]
    pub project: Option<CoreProject>,
    /// A new workflow.
    pub workflow: Option<Workflow>,
    /// New profiles (for the new workflow if there is one, else the current one).
    #[serde(default, with = "crate::worker::protocol::wire::opt_profiles")]
    pub profiles: Option<Profiles>,
    /// A Jolteon grid side file, kept for later profile imports.
    #[serde(with = "crate::worker::protocol::opt_grid")]
    pub grid: Option<JolteonGrid>,
    /// The state machine the workflow was imported from (for deploy exports).
    pub state_machine: Option<faasplan_core::formats::asl::AslImport>,
    /// The price per run of each service stage of the state machine.
    #[serde(default)]
    pub services: Vec<faasplan_core::pricing::ServiceCost>,
    /// One line per file saying what it was, for the notice.
    pub summary: Vec<String>,
    /// The Lambda logs and Power Tuning results of the batch, and the
    /// architecture their runs were measured on (the import dialog's
    /// "measured on"), in the order they were opened.
    #[serde(default)]
    pub measurements: Vec<Measurement>,
}

/// A measurement file of a batch and the architecture of its runs.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Measurement {
    /// The file's name.
    pub file: String,
    /// What the file says (a Power Tuning legend such as `JS ARM64`), when
    /// every run of it says one architecture; REPORT logs never say.
    pub stated: Option<Arch>,
    /// What the user chose for the runs the file does not say it of, if anything
    /// (otherwise they count as the platform's architecture).
    pub chosen: Option<Arch>,
}

/// Why a file could not be imported: names the file and the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("cannot open {file}: {message}")]
pub struct ImportError {
    /// The file's name.
    pub file: String,
    /// What is wrong (the core's message names line or field).
    pub message: String,
}

/// Reads a batch of files (see the module docs).
pub fn import_files(files: &[NamedText], cx: &ImportContext) -> Result<Imported, ImportError> {
    import_files_measured(files, cx, &[])
}

/// [`import_files`], with `measured_on`: `(file name, architecture)` for the
/// runs of Lambda logs and Power Tuning results that do not say theirs
/// (the core's `BatchOptions::measured_on`, as `faasplan import --measured-on`).
pub fn import_files_measured(
    files: &[NamedText],
    cx: &ImportContext,
    measured_on: &[(String, Arch)],
) -> Result<Imported, ImportError> {
    if files.is_empty() {
        return Ok(Imported::default());
    }
    let mut kinds = files
        .iter()
        .map(|f| {
            detect_kind(&f.name, &f.text)
                .map(|k| (k, f))
                .map_err(|message| fail(f, message))
        })
        .collect::<Result<Vec<_>, _>>()?;
    kinds.sort_by_key(|(k, _)| *k);
    let mut out = Imported::default();
    let mut aws: Vec<(String, String)> = Vec::new();
    for (kind, file) in kinds {
        if matches!(kind, FileKind::StateMachine | FileKind::AwsMeasurements) {
            aws.push((file.name.clone(), file.text.clone()));
            continue;
        }
        read_one(kind, file, cx, &mut out).map_err(|message| fail(file, message))?;
    }
    if !aws.is_empty() {
        read_aws(&aws, measured_on, &mut out)?;
    }
    Ok(out)
}

/// What a measurement file says its runs were measured on: one architecture
/// named by every run (Power Tuning legends), else `None`.
fn stated_architecture(name: &str, text: &str) -> Option<Arch> {
    let archs: Vec<Option<Arch>> = match detect(name, text) {
        Some(FormatKind::PowerTuning) => power_tuning::import_tuning(text)
            .ok()?
            .runs
            .iter()
            .map(|r| r.architecture)
            .collect(),
        Some(FormatKind::LambdaLog) => lambda_logs::import_logs(text)
            .ok()?
            .runs
            .iter()
            .flat_map(|r| lambda_logs::profile_runs([r]))
            .map(|r| r.architecture)
            .collect(),
        _ => return None,
    };
    let first = *archs.first()?;
    archs.iter().all(|a| *a == first).then_some(first).flatten()
}

/// A state machine and its measurements, read together by the core.
fn read_aws(
    files: &[(String, String)],
    measured_on: &[(String, Arch)],
    out: &mut Imported,
) -> Result<(), ImportError> {
    let options = BatchOptions {
        measured_on: measured_on
            .iter()
            .map(|(file, arch)| (Some(file.clone()), *arch))
            .collect(),
        ..BatchOptions::default()
    };
    let batch = import_batch(files, None, &options).map_err(|e| ImportError {
        file: e.file,
        message: e.message,
    })?;
    let Some(sm) = batch.state_machine else {
        return Err(ImportError {
            file: files[0].0.clone(),
            message: "Lambda logs and Power Tuning results are read with their state machine: open them together".into(),
        });
    };
    out.summary.extend(batch.summary);
    let thin: Vec<String> = coverage(&sm.workflow, &batch.profiles)
        .into_iter()
        .filter_map(|(stage, c)| match c {
            Coverage::Missing => Some(format!("{stage} (no runs)")),
            Coverage::OneMemorySize => Some(format!("{stage} (one memory size)")),
            Coverage::OneD => Some(format!("{stage} (one d)")),
            Coverage::Enough => None,
        })
        .collect();
    if !thin.is_empty() {
        out.summary
            .push(format!("measure next: {}", thin.join(", ")));
    }
    // Retry and Catch notes are on every Task of most machines: left out of the notice.
    out.summary.extend(
        sm.notes
            .iter()
            .filter(|n| !n.contains("retried on errors") && !n.contains("Catch routes"))
            .cloned(),
    );
    out.project = None;
    out.workflow = Some(sm.workflow.clone());
    out.profiles = (!batch.profiles.stages.is_empty()).then_some(batch.profiles);
    out.state_machine = Some(sm);
    out.services = batch.services;
    out.measurements = files
        .iter()
        .filter(|(name, text)| {
            matches!(
                detect(name, text),
                Some(FormatKind::LambdaLog | FormatKind::PowerTuning)
            )
        })
        .map(|(name, text)| Measurement {
            file: name.clone(),
            stated: stated_architecture(name, text),
            chosen: measured_on.iter().find(|(f, _)| f == name).map(|&(_, a)| a),
        })
        .collect();
    Ok(())
}

fn fail(file: &NamedText, message: String) -> ImportError {
    ImportError {
        file: file.name.clone(),
        message,
    }
}

fn read_one(
    kind: FileKind,
    file: &NamedText,
    cx: &ImportContext,
    out: &mut Imported,
) -> Result<(), String> {
    let text = &file.text;
    let grid = out.grid.as_ref().or(cx.grid);
    match kind {
        FileKind::Project => {
            if out.project.is_some() {
                return Err("only one project can be opened at a time".into());
            }
            let project = CoreProject::from_json(text).map_err(|e| e.to_string())?;
            let n = project.workflow.stages.len();
            out.summary
                .push(format!("{}: project, {n} stages", file.name));
            out.workflow = None;
            out.profiles = None;
            out.project = Some(project);
        }
        FileKind::JolteonGrid => {
            let g = JolteonGrid::from_json(text).map_err(|e| e.to_string())?;
            out.summary.push(format!(
                "{}: profiling grid, {} configurations",
                file.name,
                g.0.len()
            ));
            out.grid = Some(g);
        }
        FileKind::JolteonWorkflow => {
            let grid = resolve_grid(text, grid.cloned()).map_err(|e| match e {
                JolteonError::UnknownWorkflow(name) => format!("workflow_name: no bundled grid for {name:?}; drop its grid file [[memory_mb, d], ...] with it"),
                e => e.to_string(),
            })?;
            let wf = import_workflow(text, &grid).map_err(|e| e.to_string())?;
            out.summary.push(format!(
                "{}: Jolteon workflow {}, {} stages",
                file.name,
                wf.name,
                wf.stages.len()
            ));
            out.workflow = Some(wf);
        }
        FileKind::JolteonProfile => {
            let wf = current_workflow(cx, out);
            if wf.stages.is_empty() {
                return Err(
                    "a Jolteon profile needs its workflow: open the workflow first, or both together"
                        .into(),
                );
            }
            let grid = resolve_grid_named(&wf.name, grid.cloned()).map_err(|_| {
                format!(
                    "no profiling grid for workflow {:?}: drop its grid file [[memory_mb, d], ...] with the profile",
                    wf.name
                )
            })?;
            let options = JolteonProfileOptions::default();
            let p = import_profiles(text, wf, &grid, &options).map_err(|e| e.to_string())?;
            out.summary.push(format!(
                "{}: Jolteon profile, {}, measured at {} MB per vCPU",
                file.name,
                describe(&p),
                options.mb_per_vcpu
            ));
            out.profiles = Some(p);
        }
        FileKind::ProfileCsv => {
            let p = read_profiles_csv(text, cx.csv_mb_per_vcpu).map_err(|e| e.to_string())?;
            let wf = current_workflow(cx, out);
            if let Some(s) = p.stages.iter().find(|s| wf.stage_index(&s.stage).is_none()) {
                return Err(format!(
                    "stage {:?} is not a stage of the workflow {:?}",
                    s.stage, wf.name
                ));
            }
            out.summary.push(format!(
                "{}: profile CSV at {} MB per vCPU, {}",
                file.name,
                cx.csv_mb_per_vcpu,
                describe(&p)
            ));
            out.profiles = Some(p);
        }
        // Read together by `read_aws`.
        FileKind::StateMachine | FileKind::AwsMeasurements => {}
    }
    Ok(())
}

fn current_workflow<'a>(cx: &'a ImportContext, out: &'a Imported) -> &'a Workflow {
    out.project
        .as_ref()
        .map(|p| &p.workflow)
        .or(out.workflow.as_ref())
        .unwrap_or(cx.workflow)
}

fn describe(p: &Profiles) -> String {
    let runs: usize = p.stages.iter().map(|s| s.runs.len()).sum();
    format!(
        "{} stages, {} runs",
        p.stages.len(),
        crate::state::notice::thousands(runs)
    )
}
