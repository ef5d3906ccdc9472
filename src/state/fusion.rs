//! Fusion, edge placement and orchestration pricing in the project: whether
//! the planner may fuse adjacent stages (and which edges never), the edge
//! device stages may run on, and the orchestration service a run pays for.
//! Each change is one undo step (the whole project before it) and a new
//! planning run.
//!
//! When fusion is allowed or an edge device is declared, the plan is not a
//! look-up on the unfused frontier: the worker solves the bound exactly over
//! every grouping and placement (`pipeline::solve_certified_fused`), see
//! [`plans_over_groupings`]. What the chosen plan fused and placed is read
//! from its report ([`PlanLayout`]) for the editor's drawing.

use std::collections::BTreeMap;
use std::rc::Rc;

use faasplan_core::dag::Edge;
use faasplan_core::fusion::FusionOptions;
use faasplan_core::plan::PlanReport;
use faasplan_core::pricing::{CostBreakdown, EdgeDevice, Orchestration};

use super::history::Snapshot;
use super::project::Project;
use super::run::{Chosen, chosen};
use super::{Action, AppState, Level, ReportStatus};
use crate::worker::protocol::ReportKind;

/// The device the "Edge devices…" dialog starts from: a small gateway
/// 1.5 times slower than Lambda per vCPU, 4 cores, 8 GB, a 100 Mbit/s uplink
/// with 20 ms per object, $16 a month over a million runs.
pub fn default_edge_device() -> EdgeDevice {
    EdgeDevice {
        speed_factor: 1.5,
        cores: 4.0,
        memory_mb: 8192,
        monthly_fee_usd: 16.0,
        runs_per_month: 1_000_000.0,
        usd_per_s: 0.0,
        uplink_mbps: 100.0,
        link_latency_s: 0.02,
        allow_reverse: false,
    }
}

/// Whether the plan is solved over fusion groupings and edge placements
/// rather than looked up on the (unfused, all-cloud) frontier.
pub fn plans_over_groupings(project: &Project) -> bool {
    project.fusion.enabled || project.platform.pricing.edge_device.is_some()
}

/// The fusion options the worker plans with: the project's, with the
/// never-fuse marks of edges the workflow no longer has dropped (a deleted or
/// renamed stage takes its edges with it).
pub fn fusion_options(project: &Project) -> FusionOptions {
    let edges = &project.workflow.edges;
    FusionOptions {
        enabled: project.fusion.enabled,
        forbid: project
            .fusion
            .forbid
            .iter()
            .filter(|f| edges.iter().any(|e| e.from == f.from && e.to == f.to))
            .cloned()
            .collect(),
    }
}

/// Whether the user marked the edge `from → to` "never fuse".
pub fn never_fused(project: &Project, from: &str, to: &str) -> bool {
    project
        .fusion
        .forbid
        .iter()
        .any(|e| e.from == from && e.to == to)
}

/// What the chosen plan fused and placed: its groups of two or more stages
/// (the root first, then the members in workflow order) and the stages on
/// the edge device.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanLayout {
    /// Fused groups: root id, then the other members' ids.
    pub groups: Vec<Vec<String>>,
    /// Ids of the stages on the edge device.
    pub on_edge: Vec<String>,
}

impl PlanLayout {
    /// The layout of a plan report.
    pub fn of(report: &PlanReport) -> PlanLayout {
        let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for s in &report.stages {
            if let Some(root) = &s.fused_into {
                groups
                    .entry(root.as_str())
                    .or_default()
                    .push(s.stage.clone());
            }
        }
        // Groups in the workflow order of their roots.
        let groups = report
            .stages
            .iter()
            .filter_map(|s| {
                groups.get(s.stage.as_str()).map(|members| {
                    std::iter::once(s.stage.clone())
                        .chain(members.iter().cloned())
                        .collect::<Vec<String>>()
                })
            })
            .collect();
        let on_edge = report
            .stages
            .iter()
            .filter(|s| s.on_edge)
            .map(|s| s.stage.clone())
            .collect();
        PlanLayout { groups, on_edge }
    }

    /// Whether nothing is fused or placed.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.on_edge.is_empty()
    }
}

/// The report of the plan the bound picks, once it has arrived: the exact
/// solve, or the check of a frontier point.
pub fn chosen_report(state: &AppState) -> Option<&Rc<PlanReport>> {
    let kind = match chosen(state) {
        Chosen::Solve => ReportKind::Solve,
        Chosen::Point(_) => ReportKind::Check,
        Chosen::NoFrontier | Chosen::Infeasible(_) => return None,
    };
    match state.current_report(kind) {
        ReportStatus::Done { report, .. } => Some(report),
        _ => None,
    }
}

/// One part of a cost breakdown: its key (a CSS class and test id), label, USD per run.
#[derive(Clone, Debug, PartialEq)]
pub struct CostPart {
    /// Stable key: `functions`, `transitions`, `edge` or `transfer`.
    pub key: &'static str,
    /// What it pays for.
    pub label: &'static str,
    /// USD per run.
    pub usd: f64,
}

/// The breakdown's parts in a fixed order (zero parts included, so the
/// legend does not move); negative round-off is shown as 0.
pub fn cost_parts(b: &CostBreakdown) -> [CostPart; 4] {
    let part = |key, label, usd: f64| CostPart {
        key,
        label,
        usd: usd.max(0.0),
    };
    [
        part("functions", "functions and services", b.functions_usd),
        part("transitions", "transitions", b.transitions_usd),
        part("edge", "edge device", b.edge_usd),
        part("transfer", "transfer", b.transfer_usd),
    ]
}

/// Each part's share of the total, in [0, 1] (all 0 when the total is 0).
pub fn shares(parts: &[CostPart]) -> Vec<f64> {
    let total: f64 = parts.iter().map(|p| p.usd).sum();
    parts
        .iter()
        .map(|p| if total > 0.0 { p.usd / total } else { 0.0 })
        .collect()
}

impl AppState {
    pub(crate) fn apply_fusion(&mut self, action: Action) {
        let mut next = self.project.clone();
        match action {
            Action::SetFusionAllowed(on) => next.fusion.enabled = on,
            Action::SetNeverFuse { from, to, never } => {
                let wf = &next.workflow;
                if !wf.edges.iter().any(|e| e.from == from && e.to == to) {
                    self.notify(
                        Level::Warning,
                        format!("never fuse: the workflow has no edge {from} → {to}"),
                    );
                    return;
                }
                let forbid = &mut next.fusion.forbid;
                forbid.retain(|e| !(e.from == from && e.to == to));
                if never {
                    forbid.push(Edge { from, to });
                }
            }
            Action::SetOrchestration(o) => next.platform.pricing.orchestration = o,
            Action::SetEdgeDevice(device) => next.platform.pricing.edge_device = device,
            _ => return,
        }
        if let Err(e) = next.platform.pricing.validate(Some(&next.workflow)) {
            self.notify(Level::Warning, e.to_string());
            return;
        }
        if next == self.project {
            return;
        }
        let before = std::mem::replace(&mut self.project, next);
        self.history.record(Snapshot::Project(Rc::new(before)));
        self.touch_inputs();
    }
}

/// The orchestration choices of the controls: key, label, prices.
pub fn orchestration_choices() -> [(&'static str, &'static str, Orchestration); 3] {
    [
        ("none", "none", Orchestration::None),
        (
            "standard",
            "Step Functions Standard",
            Orchestration::aws_standard(),
        ),
        (
            "express",
            "Step Functions Express",
            Orchestration::aws_express(),
        ),
    ]
}

/// The key of an orchestration among [`orchestration_choices`] (`custom` when
/// its prices are not the built-in ones, e.g. from a project file).
pub fn orchestration_key(o: &Orchestration) -> &'static str {
    orchestration_choices()
        .into_iter()
        .find(|(_, _, x)| x == o)
        .map_or("custom", |(k, _, _)| k)
}

#[cfg(test)]
mod tests;
