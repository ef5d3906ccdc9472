//! Reading the user's files into a [`Project`], with errors that name the file.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use faasplan_core::dag::{ChoiceMode, Dag, Workflow};
use faasplan_core::formats::csv::read_profiles_csv;
use faasplan_core::formats::jolteon::{self, JolteonError, JolteonGrid, JolteonProfileOptions};
use faasplan_core::formats::project::Project;
use faasplan_core::pipeline::PipelineError;
use faasplan_core::platform::Preset;
use faasplan_core::problem::DEFAULT_MEMORY_LIMIT_BYTES;
use faasplan_core::profile::Profiles;
use faasplan_core::settings::{PlanSettings, Window};
use faasplan_core::solve::SolveError;

/// Where the workflow and its profiles come from.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// A faasplan project file (workflow, profiles, platform and settings).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["workflow", "profiles", "grid"])]
    pub project: Option<PathBuf>,
    /// A Jolteon workflow JSON file.
    #[arg(long, value_name = "FILE", requires = "profiles")]
    pub workflow: Option<PathBuf>,
    /// Profiles of the workflow's stages: Jolteon profile JSON, or the native CSV (by the `.csv` extension).
    #[arg(long, value_name = "FILE", requires = "workflow")]
    pub profiles: Option<PathBuf>,
    /// The profiling grid of a Jolteon profile, JSON `[[memory_mb, d], ...]` (not needed for the two bundled workflows).
    #[arg(long, value_name = "FILE")]
    pub grid: Option<PathBuf>,
    /// MB per vCPU of the platform the profiles were measured on [default: 1792 for Jolteon JSON (the published profiles' platform; `validate` shows the value used), required for CSV].
    #[arg(long, value_name = "MB")]
    pub measured_mb_per_vcpu: Option<f64>,
    /// Platform to plan for [default: the project's, else aws-x86-64, also for Jolteon profiles, which were measured at 1,792 MB per vCPU: jolteon-profiled plans for that platform; the summary names the platform used].
    #[arg(long, value_enum)]
    pub platform: Option<PlatformArg>,
    /// Probabilities of a Choice's alternatives, in their order (`Pick=0.9,0.1`), or
    /// `NAME=slowest` to plan for the slowest; repeat per Choice [default: the project's].
    #[arg(long = "choice", value_name = "NAME=P1,P2,..")]
    pub choices: Vec<String>,
    /// Fit on the runs of this last stretch of time only, counted back from each stage's newest
    /// timestamped run (`7d`, `12h`, `30m`, `90s`) [default: the project's `settings.window`].
    #[arg(long, value_name = "DURATION")]
    pub window: Option<String>,
    /// Fit on the newest N runs of each configuration only [default: the project's `settings.window`].
    #[arg(long, value_name = "N")]
    pub window_runs: Option<u32>,
}

/// The platform presets on the command line.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum PlatformArg {
    /// AWS Lambda x86_64, us-east-1, 1,769 MB per vCPU.
    AwsX86_64,
    /// AWS Lambda arm64, us-east-1, 1,769 MB per vCPU.
    AwsArm64,
    /// AWS x86_64 prices with 1,792 MB per vCPU, as the bundled profiles were measured.
    JolteonProfiled,
}

impl From<PlatformArg> for Preset {
    fn from(p: PlatformArg) -> Self {
        match p {
            PlatformArg::AwsX86_64 => Preset::AwsX86_64,
            PlatformArg::AwsArm64 => Preset::AwsArm64,
            PlatformArg::JolteonProfiled => Preset::JolteonProfiled,
        }
    }
}

/// Files above this size get a line on stderr before they are read and parsed,
/// and one after, with what was read and how long it took.
const LARGE_FILE_BYTES: u64 = 8 << 20;

/// Most memory reading a file takes per byte of its text: the text, the parsed
/// values and the profiled runs. A Jolteon profile of 1,000,000 configurations
/// (168 MiB) peaked at 3.5 bytes per byte (`docs/limits.md`); 8 leaves room for
/// the other formats.
const READ_BYTES_PER_TEXT_BYTE: u64 = 8;

/// Reads a file as UTF-8 text; refuses, before reading, a file whose reading
/// would take more than `max_memory_bytes`.
fn read(path: &Path, max_memory_bytes: u64) -> Result<String> {
    if let Ok(meta) = std::fs::metadata(path) {
        let mib = |b: u64| b as f64 / f64::from(1 << 20);
        let needs = meta.len().saturating_mul(READ_BYTES_PER_TEXT_BYTE);
        if needs > max_memory_bytes {
            bail!(
                "{}: {:.0} MiB of text needs up to {:.0} MiB of memory to read, more than the memory limit of {:.0} MiB (--max-memory-mb)",
                path.display(),
                mib(meta.len()),
                mib(needs),
                mib(max_memory_bytes)
            );
        }
        if meta.len() > LARGE_FILE_BYTES {
            eprintln!("reading {} ({:.0} MiB)", path.display(), mib(meta.len()));
        }
    }
    let bytes =
        std::fs::read(path).with_context(|| format!("{}: cannot read the file", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = good.len() - good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
        anyhow::anyhow!(
            "{}: line {line}, column {column} (byte {}): not valid UTF-8 text",
            path.display(),
            good.len()
        )
    })
}

/// Names the file an error of a planning run comes from: the project file, or
/// the workflow or profile file the failing part was read from.
pub fn locate(args: &InputArgs, err: PipelineError) -> anyhow::Error {
    let show = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    let place = match (&args.project, &err) {
        (Some(p), _) => Some(p.display().to_string()),
        (None, PipelineError::Profiles(_) | PipelineError::Fit(_)) => show(&args.profiles),
        (
            None,
            PipelineError::Workflow(_)
            | PipelineError::TooManyStages { .. }
            | PipelineError::Solve(SolveError::Antichains(_)),
        ) => show(&args.workflow),
        (None, PipelineError::Settings(_)) => None,
        (None, _) => match (show(&args.workflow), show(&args.profiles)) {
            (Some(w), Some(p)) => Some(format!("{w} with {p}")),
            (w, p) => w.or(p),
        },
    };
    let err = anyhow::Error::new(err);
    match place {
        Some(place) => err.context(place),
        None => err,
    }
}

/// Loads the input and checks the workflow and the profiles against it (the
/// prelude of the commands that fit before planning), errors located in the files.
pub fn load_checked(args: &InputArgs) -> Result<(Project, Dag)> {
    let project = load(args)?;
    let located = |e: PipelineError| locate(args, e);
    let dag = project.workflow.validate().map_err(|e| located(e.into()))?;
    project
        .profiles
        .validate(&project.workflow)
        .map_err(|e| located(e.into()))?;
    Ok((project, dag))
}

/// Loads the project the arguments describe, within the default memory limit.
pub fn load(args: &InputArgs) -> Result<Project> {
    load_within(args, DEFAULT_MEMORY_LIMIT_BYTES)
}

/// Loads the project the arguments describe; a file whose reading would take
/// more than `max_memory_bytes` is refused before it is read.
pub fn load_within(args: &InputArgs, max_memory_bytes: u64) -> Result<Project> {
    let read = |path: &Path| read(path, max_memory_bytes);
    let mut project = match (&args.project, &args.workflow, &args.profiles) {
        (Some(path), _, _) => {
            let started = Instant::now();
            let project =
                Project::from_json(&read(path)?).with_context(|| path.display().to_string())?;
            report_large(path, &project.profiles, started);
            project
        }
        (None, Some(wf), Some(pf)) => load_files(args, wf, pf, &read)?,
        _ => bail!("no input: give --project FILE, or --workflow FILE with --profiles FILE"),
    };
    if let Some(p) = args.platform {
        project.platform = Preset::from(p).platform();
    }
    apply_choices(&mut project.workflow, &args.choices)?;
    if let Some(text) = &args.window {
        project.settings.window.max_age_s =
            Some(Window::parse_age(text).map_err(|e| anyhow::anyhow!("--window: {e}"))?);
    }
    if let Some(n) = args.window_runs {
        if n == 0 {
            bail!("--window-runs: must be at least 1");
        }
        project.settings.window.max_runs = Some(n);
    }
    Ok(project)
}

/// Applies `--choice NAME=P1,P2,..` (or `NAME=slowest`) flags to the workflow's Choices.
pub fn apply_choices(workflow: &mut Workflow, flags: &[String]) -> Result<()> {
    for flag in flags {
        let Some((name, value)) = flag.rsplit_once('=') else {
            bail!("--choice {flag}: expected NAME=P1,P2,.. or NAME=slowest");
        };
        let names = || {
            let all: Vec<&str> = workflow.choices.iter().map(|c| c.name.as_str()).collect();
            if all.is_empty() {
                "the workflow has none".to_string()
            } else {
                format!("Choices: {}", all.join(", "))
            }
        };
        let listed = names();
        let Some(choice) = workflow.choice_mut(name) else {
            bail!("--choice {flag}: no Choice named {name:?} ({listed})");
        };
        if value.trim() == "slowest" {
            choice.mode = ChoiceMode::Slowest;
            continue;
        }
        let weights = value
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<Vec<f64>, _>>()
            .map_err(|e| anyhow!("--choice {flag}: {e} (alternatives: {})", choice.labels()))?;
        choice
            .set_probabilities(&weights)
            .map_err(|e| anyhow!("--choice {flag}: {e}"))?;
    }
    Ok(())
}

/// After a large file: what it held and how long reading it took, on stderr.
fn report_large(path: &Path, profiles: &Profiles, started: Instant) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > LARGE_FILE_BYTES) {
        let runs: usize = profiles.stages.iter().map(|s| s.runs.len()).sum();
        eprintln!(
            "read {}: {} stages, {runs} profiled runs ({:.1} s)",
            path.display(),
            profiles.stages.len(),
            started.elapsed().as_secs_f64()
        );
    }
}

fn load_files(
    args: &InputArgs,
    wf_path: &Path,
    pf_path: &Path,
    read: &dyn Fn(&Path) -> Result<String>,
) -> Result<Project> {
    let wf_text = read(wf_path)?;
    let grid = match &args.grid {
        Some(path) => {
            Some(JolteonGrid::from_json(&read(path)?).with_context(|| path.display().to_string())?)
        }
        None => None,
    };
    let grid = jolteon::resolve_grid(&wf_text, grid).map_err(|e| match e {
        JolteonError::UnknownWorkflow(name) => anyhow!(
            "{}: workflow {name:?} is not one of the bundled ones, so its profiling grid is unknown: give it with --grid FILE",
            wf_path.display()
        ),
        e => anyhow::Error::new(e).context(wf_path.display().to_string()),
    })?;
    let workflow =
        jolteon::import_workflow(&wf_text, &grid).with_context(|| wf_path.display().to_string())?;
    let started = Instant::now();
    let pf_text = read(pf_path)?;
    let is_csv = pf_path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let profiles = if is_csv {
        let mb = args.measured_mb_per_vcpu.with_context(|| {
            format!("{}: a CSV profile needs --measured-mb-per-vcpu (MB per vCPU of the platform it was measured on)", pf_path.display())
        })?;
        read_profiles_csv(&pf_text, mb).with_context(|| pf_path.display().to_string())?
    } else {
        let mut options = JolteonProfileOptions::default();
        if let Some(mb) = args.measured_mb_per_vcpu {
            options.mb_per_vcpu = mb;
        }
        jolteon::import_profiles(&pf_text, &workflow, &grid, &options)
            .with_context(|| pf_path.display().to_string())?
    };
    drop(pf_text);
    report_large(pf_path, &profiles, started);
    Ok(Project {
        workflow,
        profiles,
        platform: Preset::AwsX86_64.platform(),
        settings: PlanSettings::default(),
    })
}
