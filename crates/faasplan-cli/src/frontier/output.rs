//! The frontier as JSON (`faasplan-frontier`, version 1) and as CSV.
//!
//! JSON: `{"format": "faasplan-frontier", "version": 1, "workflow", "settings"
//! (the plan file's settings echo, `samples` = N used), "points": [{
//! "guaranteed_latency_s", "expected_cost_usd", "cost_per_million_usd",
//! "stages": [{"stage", "memory_mb", "d"}]}]}`. CSV: the same per point, one
//! `<stage>_memory_mb`, `<stage>_d` column pair per stage. A resolution-bounded
//! frontier (`--positions P`) adds `"exact_at_positions": P` before `points`.
//!
//! Over fusion and placement (`--fusion`, `--edge-device`) a stage of a point
//! also names the root stage it runs fused into (`"fused_into"`, absent when
//! it is not fused; it reports the group's memory and d) and whether it runs on
//! the edge device (`"on_edge": true`, absent in the cloud); the CSV then has
//! `<stage>_fused_into` and `<stage>_on_edge` columns after each pair.
//!
//! With architecture choices (`--allow-arm64`) a stage that may change
//! architecture names the one of the point (`"architecture"`); the CSV then has
//! a `<stage>_architecture` column after each stage's others (empty for a stage
//! without a choice).

use faasplan_core::arch::Arch;
use faasplan_core::formats::project::Project;
use faasplan_core::frontier::Frontier;
use faasplan_core::fusion::{FusedPoint, Grouping};
use faasplan_core::plan::SettingsEcho;
use faasplan_core::problem::{PlanError, SampledProblem};
use serde::Serialize;

use crate::summary::MILLION;

/// What the outputs are made from.
pub struct View<'a> {
    /// The project (settings already resolved).
    pub project: &'a Project,
    /// Planning samples N.
    pub n_samples: usize,
    /// The points with each stage's configuration.
    pub points: Vec<PointOut<'a>>,
    /// Whether the points span fusion and placement (adds their columns to the CSV).
    pub joint: bool,
    /// `Some(P)` when the frontier is exact only at P slider positions.
    pub exact_at_positions: Option<usize>,
}

#[derive(Serialize)]
struct FileOut<'a> {
    format: &'static str,
    version: u32,
    workflow: &'a str,
    settings: SettingsEcho,
    /// Present for a resolution-bounded frontier: every one of this many evenly spaced
    /// latency bounds got its proven-optimal plan; points between them may be missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    exact_at_positions: Option<usize>,
    points: &'a [PointOut<'a>],
}

/// One point of the frontier.
#[derive(Serialize)]
pub struct PointOut<'a> {
    /// Guaranteed latency, s.
    pub guaranteed_latency_s: f64,
    /// Expected cost per run, USD.
    pub expected_cost_usd: f64,
    cost_per_million_usd: f64,
    stages: Vec<StageOut<'a>>,
}

#[derive(Serialize)]
struct StageOut<'a> {
    stage: &'a str,
    memory_mb: u32,
    d: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    fused_into: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    on_edge: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    architecture: Option<Arch>,
}

/// The points of an unfused frontier of `problem`.
pub fn points<'a>(
    project: &'a Project,
    problem: &SampledProblem,
    frontier: &Frontier,
) -> Result<Vec<PointOut<'a>>, PlanError> {
    frontier
        .points
        .iter()
        .map(|p| {
            Ok(PointOut {
                guaranteed_latency_s: p.guaranteed_latency_s,
                expected_cost_usd: p.expected_cost_usd,
                cost_per_million_usd: p.expected_cost_usd * MILLION,
                stages: project
                    .workflow
                    .stages
                    .iter()
                    .zip(problem.configs(&p.plan.choice)?)
                    .zip(problem.stages.iter().zip(&p.plan.choice))
                    .map(|((s, c), (t, &j))| StageOut {
                        stage: &s.id,
                        memory_mb: c.memory_mb,
                        d: c.d,
                        fused_into: None,
                        on_edge: false,
                        architecture: t.architecture(j as usize),
                    })
                    .collect(),
            })
        })
        .collect()
}

/// The point `p` of a frontier over fusion and placement: `problem` is the
/// contracted problem of its grouping `grouping`.
pub fn fused_point<'a>(
    project: &'a Project,
    grouping: &Grouping,
    problem: &SampledProblem,
    p: &FusedPoint,
) -> Result<PointOut<'a>, PlanError> {
    let configs = problem.configs(&p.point.plan.choice)?;
    let stages = &project.workflow.stages;
    Ok(PointOut {
        guaranteed_latency_s: p.point.guaranteed_latency_s,
        expected_cost_usd: p.point.expected_cost_usd,
        cost_per_million_usd: p.point.expected_cost_usd * MILLION,
        stages: stages
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let g = grouping.group_of[i];
                let root = grouping.groups[g][0];
                StageOut {
                    stage: &s.id,
                    memory_mb: configs[g].memory_mb,
                    d: configs[g].d,
                    fused_into: (root != i).then(|| stages[root].id.as_str()),
                    on_edge: grouping.on_edge[i],
                    architecture: problem.stages[g].architecture(p.point.plan.choice[g] as usize),
                }
            })
            .collect(),
    })
}

/// The frontier as pretty JSON with a trailing newline.
pub fn json(v: &View<'_>) -> String {
    let s = &v.project.settings;
    let file = FileOut {
        format: "faasplan-frontier",
        version: 1,
        workflow: &v.project.workflow.name,
        settings: SettingsEcho {
            bound: s.bound,
            percentile: s.percentile,
            confidence: 1.0 - s.delta,
            alpha: s.alpha,
            samples: v.n_samples,
            seed: s.seed,
            platform: v.project.platform.name.clone(),
        },
        exact_at_positions: v.exact_at_positions,
        points: &v.points,
    };
    // Plain data with string keys: serialising to a String cannot fail.
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    text
}

/// Quotes a CSV field when it needs it.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The frontier as CSV with a header row.
pub fn csv(v: &View<'_>) -> String {
    let archs = v
        .points
        .iter()
        .any(|p| p.stages.iter().any(|s| s.architecture.is_some()));
    let mut out = String::from("guaranteed_latency_s,expected_cost_usd,cost_per_million_usd");
    for s in &v.project.workflow.stages {
        out.push_str(&format!(
            ",{},{}",
            field(&format!("{}_memory_mb", s.id)),
            field(&format!("{}_d", s.id))
        ));
        if v.joint {
            out.push_str(&format!(
                ",{},{}",
                field(&format!("{}_fused_into", s.id)),
                field(&format!("{}_on_edge", s.id))
            ));
        }
        if archs {
            out.push_str(&format!(",{}", field(&format!("{}_architecture", s.id))));
        }
    }
    out.push('\n');
    for p in &v.points {
        out.push_str(&format!(
            "{},{},{}",
            p.guaranteed_latency_s, p.expected_cost_usd, p.cost_per_million_usd
        ));
        for s in &p.stages {
            out.push_str(&format!(",{},{}", s.memory_mb, s.d));
            if v.joint {
                out.push_str(&format!(
                    ",{},{}",
                    field(s.fused_into.unwrap_or("")),
                    s.on_edge
                ));
            }
            if archs {
                out.push_str(&format!(",{}", s.architecture.map_or("", |a| a.name())));
            }
        }
        out.push('\n');
    }
    out
}
