//! The frontier as JSON (`faasplan-frontier`, version 1) and as CSV.
//!
//! JSON: `{"format": "faasplan-frontier", "version": 1, "workflow", "settings"
//! (the plan file's settings echo, `samples` = N used), "points": [{
//! "guaranteed_latency_s", "expected_cost_usd", "cost_per_million_usd",
//! "stages": [{"stage", "memory_mb", "d"}]}]}`. CSV: the same per point, one
//! `<stage>_memory_mb`, `<stage>_d` column pair per stage. A resolution-bounded
//! frontier (`--positions P`) adds `"exact_at_positions": P` before `points`.

use faasplan_core::formats::project::Project;
use faasplan_core::frontier::Frontier;
use faasplan_core::pipeline::Prepared;
use faasplan_core::plan::SettingsEcho;
use faasplan_core::problem::PlanError;
use serde::Serialize;

use crate::summary::MILLION;

/// What the outputs are made from.
pub struct View<'a> {
    /// The project (settings already resolved).
    pub project: &'a Project,
    /// Its sampled problem.
    pub prepared: &'a Prepared,
    /// The frontier.
    pub frontier: &'a Frontier,
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
    points: Vec<PointOut<'a>>,
}

#[derive(Serialize)]
struct PointOut<'a> {
    guaranteed_latency_s: f64,
    expected_cost_usd: f64,
    cost_per_million_usd: f64,
    stages: Vec<StageOut<'a>>,
}

#[derive(Serialize)]
struct StageOut<'a> {
    stage: &'a str,
    memory_mb: u32,
    d: u32,
}

fn points<'a>(v: &View<'a>) -> Result<Vec<PointOut<'a>>, PlanError> {
    v.frontier
        .points
        .iter()
        .map(|p| {
            Ok(PointOut {
                guaranteed_latency_s: p.guaranteed_latency_s,
                expected_cost_usd: p.expected_cost_usd,
                cost_per_million_usd: p.expected_cost_usd * MILLION,
                stages: v
                    .project
                    .workflow
                    .stages
                    .iter()
                    .zip(v.prepared.problem.configs(&p.plan.choice)?)
                    .map(|(s, c)| StageOut {
                        stage: &s.id,
                        memory_mb: c.memory_mb,
                        d: c.d,
                    })
                    .collect(),
            })
        })
        .collect()
}

/// The frontier as pretty JSON with a trailing newline.
pub fn json(v: &View<'_>) -> Result<String, PlanError> {
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
            samples: v.prepared.problem.n_samples,
            seed: s.seed,
            platform: v.project.platform.name.clone(),
        },
        exact_at_positions: v.exact_at_positions,
        points: points(v)?,
    };
    // Plain data with string keys: serialising to a String cannot fail.
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    Ok(text)
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
pub fn csv(v: &View<'_>) -> Result<String, PlanError> {
    let mut out = String::from("guaranteed_latency_s,expected_cost_usd,cost_per_million_usd");
    for s in &v.project.workflow.stages {
        out.push_str(&format!(
            ",{},{}",
            field(&format!("{}_memory_mb", s.id)),
            field(&format!("{}_d", s.id))
        ));
    }
    out.push('\n');
    for p in points(v)? {
        out.push_str(&format!(
            "{},{},{}",
            p.guaranteed_latency_s, p.expected_cost_usd, p.cost_per_million_usd
        ));
        for s in &p.stages {
            out.push_str(&format!(",{},{}", s.memory_mb, s.d));
        }
        out.push('\n');
    }
    Ok(out)
}
