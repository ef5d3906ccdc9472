//! `faasplan fit`: the stage models' fit and leave-one-configuration-out
//! cross-validation errors (mean absolute % error of the stage wall time), with
//! the plain least-squares model `a + b/(k·d) + c/d` for comparison, and the
//! configurations the anomaly detector flags (`advisor::anomaly`), which
//! `--exclude-flagged` leaves out of the fit.

use anyhow::Result;
use clap::Args;
use faasplan_core::advisor::anomaly::{
    AnomalyReport, AnomalySettings, FlaggedConfig, detect, exclude_flagged,
};
use faasplan_core::model::{FitReport, StageReport, fit_report};
use faasplan_core::pipeline::PipelineError;
use faasplan_core::profile::window::{apply as apply_window, dropped};
use serde::Serialize;

use crate::Outcome;
use crate::input::{self, InputArgs};
use crate::progress::emit;

/// Arguments of `fit`.
#[derive(Args, Debug)]
pub struct FitArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Print JSON (one object per stage, with the per-configuration predictions) instead of a table.
    #[arg(long)]
    json: bool,
    /// Leave the runs of every flagged configuration out of the fit.
    #[arg(long)]
    exclude_flagged: bool,
}

/// Fits the models and prints the report.
pub fn run(args: &FitArgs) -> Result<Outcome> {
    let (project, dag) = input::load_checked(&args.input)?;
    let located = |e: PipelineError| input::locate(&args.input, e);
    // The sliding window first (the detector judges the runs the fit would see).
    let window = project.settings.window;
    let windowed = (!window.is_none()).then(|| apply_window(&project.profiles, &window));
    let base = windowed.as_ref().unwrap_or(&project.profiles);
    let flagged = detect(base, &AnomalySettings::default());
    let exclude = args.exclude_flagged || project.settings.exclude_flagged;
    let profiles = if exclude {
        exclude_flagged(base, &flagged)
    } else {
        base.clone()
    };
    let report = fit_report(&project.workflow, &dag, &profiles).map_err(|e| located(e.into()))?;
    if args.json {
        emit(&to_json(&project.workflow.name, &report, &flagged, exclude))?;
    } else {
        let window_line = if window.is_none() {
            String::new()
        } else {
            format!(
                "window: fitted on {window}; {} of {} runs left out\n",
                dropped(&project.profiles, &window),
                project
                    .profiles
                    .stages
                    .iter()
                    .map(|s| s.runs.len())
                    .sum::<usize>()
            )
        };
        emit(&(window_line + &table(&report) + &flagged_table(&flagged, exclude)))?;
    }
    Ok(Outcome::Success)
}

/// The value of one column for one stage.
type Value = fn(&StageReport) -> f64;

/// Column headers of the table (two lines) and the value of each column.
const COLUMNS: [(&str, &str, Value); 8] = [
    ("fit", "mean %", |r| r.fit_mean_pct),
    ("fit", "P95 %", |r| r.fit_p95_pct),
    ("CV", "mean %", |r| r.cv_mean_pct),
    ("CV", "P95 %", |r| r.cv_p95_pct),
    ("CV", "P95-of-3 %", |r| r.cv_p95_of_3_pct),
    ("CV worst", "mean %", |r| r.cv_mean_worst_pct),
    ("plain CV", "mean %", |r| r.plain_cv_mean_pct),
    ("plain CV", "P95 %", |r| r.plain_cv_p95_pct),
];

/// The report as an aligned text table with an average row.
pub fn table(report: &FitReport) -> String {
    let name_w = report
        .stages
        .iter()
        .map(|r| r.stage.chars().count())
        .chain([7])
        .max()
        .unwrap_or(7);
    let mut head1 = format!("{:<name_w$}  {:>7}", "stage", "configs");
    let mut head2 = format!("{:<name_w$}  {:>7}", "", "");
    for (a, b, _) in COLUMNS {
        let w = b.len().max(a.len()).max(6);
        head1.push_str(&format!("  {a:>w$}"));
        head2.push_str(&format!("  {b:>w$}"));
    }
    let mut out = format!("{}\n{}\n", head1.trim_end(), head2.trim_end());
    let row = |name: &str, configs: String, value: &dyn Fn(Value) -> f64| {
        let mut line = format!("{name:<name_w$}  {configs:>7}");
        for (a, b, f) in COLUMNS {
            let w = b.len().max(a.len()).max(6);
            line.push_str(&format!("  {:>w$.1}", value(f)));
        }
        line + "\n"
    };
    for r in &report.stages {
        out.push_str(&row(&r.stage, r.configs.to_string(), &|f| f(r)));
    }
    let n = report.stages.len().max(1) as f64;
    out.push_str(&row("average", String::new(), &|f| {
        report.stages.iter().map(f).sum::<f64>() / n
    }));
    out.push_str(
        "\nMean absolute % error of the stage wall time over the profiled configurations.\n\
         fit: the model fitted on every run; CV: leave one configuration out, refit, predict it;\n\
         P95-of-3: the 3-run P95 statistic of the model's distribution; plain: a + b/(k·d) + c/d.\n",
    );
    out
}

/// The flagged configurations as a text section.
pub fn flagged_table(report: &AnomalyReport, excluded: bool) -> String {
    let s = AnomalySettings::default();
    let mut out = format!(
        "\nFlagged runs (a diagnostic GP without the configuration: |z| > {} and off by ≥ {}×):\n",
        s.flag_z, s.min_ratio
    );
    let line = |stage: &str, f: &FlaggedConfig| {
        format!(
            "  {stage}  {:>5} MB  d = {:<3}  {} runs  measured {:.2} s, expected {:.2} s (×{:.2}, z = {:.1})\n",
            f.memory_mb, f.d, f.runs, f.measured_s, f.predicted_s, f.ratio, f.z
        )
    };
    for st in &report.stages {
        for f in &st.flagged {
            out.push_str(&line(&st.stage, f));
        }
    }
    if report.flagged_count() == 0 {
        out.push_str("  none\n");
    } else if excluded {
        out.push_str("Their runs are left out of the fit above (--exclude-flagged).\n");
    } else {
        out.push_str("Their runs are in the fit above; --exclude-flagged leaves them out.\n");
    }
    let untested: Vec<&str> = report
        .stages
        .iter()
        .filter(|s| !s.tested)
        .map(|s| s.stage.as_str())
        .collect();
    if !untested.is_empty() {
        out.push_str(&format!(
            "Not tested (fewer than {} configurations): {}\n",
            s.min_configs,
            untested.join(", ")
        ));
    }
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    workflow: &'a str,
    stages: Vec<JsonStage<'a>>,
    flagged: &'a AnomalyReport,
    flagged_excluded: bool,
}

#[derive(Serialize)]
struct JsonStage<'a> {
    stage: &'a str,
    configs: usize,
    fit_mean_pct: f64,
    fit_p95_pct: f64,
    cv_mean_pct: f64,
    cv_p95_pct: f64,
    cv_p95_of_3_pct: f64,
    cv_mean_worst_pct: f64,
    plain_cv_mean_pct: f64,
    plain_cv_p95_pct: f64,
    cv_rows: Vec<JsonRow>,
}

#[derive(Serialize)]
struct JsonRow {
    memory_mb: u32,
    d: u32,
    measured_mean_s: f64,
    predicted_mean_s: f64,
    measured_p95_s: f64,
    predicted_p95_s: f64,
    predicted_p95_of_3_s: f64,
}

/// The report as pretty JSON with a trailing newline.
fn to_json(
    workflow: &str,
    report: &FitReport,
    flagged: &AnomalyReport,
    flagged_excluded: bool,
) -> String {
    let stages = report
        .stages
        .iter()
        .map(|r| JsonStage {
            stage: &r.stage,
            configs: r.configs,
            fit_mean_pct: r.fit_mean_pct,
            fit_p95_pct: r.fit_p95_pct,
            cv_mean_pct: r.cv_mean_pct,
            cv_p95_pct: r.cv_p95_pct,
            cv_p95_of_3_pct: r.cv_p95_of_3_pct,
            cv_mean_worst_pct: r.cv_mean_worst_pct,
            plain_cv_mean_pct: r.plain_cv_mean_pct,
            plain_cv_p95_pct: r.plain_cv_p95_pct,
            cv_rows: r
                .cv_rows
                .iter()
                .map(|c| JsonRow {
                    memory_mb: c.memory_mb,
                    d: c.d,
                    measured_mean_s: c.measured_mean_s,
                    predicted_mean_s: c.predicted_mean_s,
                    measured_p95_s: c.measured_p95_s,
                    predicted_p95_s: c.predicted_p95_s,
                    predicted_p95_of_3_s: c.predicted_p95_of_3_s,
                })
                .collect(),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&JsonReport {
        workflow,
        stages,
        flagged,
        flagged_excluded,
    })
    .unwrap_or_default();
    text.push('\n');
    text
}
