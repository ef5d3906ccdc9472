//! Function fusion as a planning decision: the planner may run a connected set
//! of single-instance stages as one function.
//!
//! # What fusion does
//!
//! An edge u → v may be fused when both stages are single-instance, v has no
//! other parent, neither stage has a fixed configuration, and the user has not
//! forbidden it ([`FusionOptions::forbid`]). Fusing a set of such edges turns
//! each connected part into one *group*: an out-tree whose root keeps its
//! parents and whose other members depend only on members. A group runs as one
//! function, its members one after the other (fused parallel siblings become
//! sequential):
//!
//! - **memory**: one size for the whole group, chosen by the planner among the
//!   sizes every member allows (so it covers the largest need); d = 1;
//! - **latency**, per sample: the root's sampled latency plus, for every other
//!   member, its latency without its start-up (one invocation, one start-up),
//!   `L = L_root + Σ_k (L_k − start_k)⁺`, with each member's residuals drawn
//!   from its own stream as in the unfused table (common random numbers);
//! - **cost**: the members' in-function times summed and billed once at the
//!   group's memory, one request fee, the orchestration and transfer charges of
//!   one stage (no transition and no intermediate object between members; see
//!   [`crate::pricing`]);
//! - **cold starts**: the group's instances are started by its root, so the
//!   root's start-up follows the cold-start setting of the root (its per-stage
//!   setting, else the global one, as for an unfused stage); the members run
//!   inside an instance already started and their own settings do not apply;
//! - **limits**: a memory size whose q-quantile group latency exceeds the
//!   platform timeout (900 s on AWS) is not a candidate.
//!
//! # Planning over the joint space
//!
//! A *grouping* is a subset of the fusable edges. For each grouping the group
//! tables are built (cached per group) and the contracted [`SampledProblem`] is
//! solved exactly by the existing solver; the best plan over all groupings is the
//! optimum of the joint space (fusion × memory × d). Under a latency bound a
//! grouping whose cheapest conceivable plan (every group at its cheapest row,
//! latency ignored) cannot beat the incumbent is skipped: the bound is sound
//! because expected cost is a sum over groups. Groupings are enumerated, so the
//! number of fusable edges is limited to [`MAX_FUSABLE_EDGES`]. The frontier
//! over the joint space is the Pareto merge of every grouping's exact frontier
//! ([`fused_frontier`]).
//!
//! Two baselines are here: Costless's own planner, LARAC on the cost graph of
//! a chain ([`larac`]), an approximation; and a SLAMBUC-style dynamic program
//! that partitions a chain or tree exactly in a deterministic model of
//! per-block quantile latencies ([`slambuc`]). The exact planner never loses to
//! either on the samples.

mod larac;
mod slambuc;
mod table;

pub use larac::{LaracPlan, chain_order, larac};
pub use slambuc::{SlambucPlan, is_tree, slambuc};

use std::collections::HashMap;

use crate::arch::{Arch, Architectures};
use crate::dag::{Config, Dag, Edge, StageKind, Workflow};
use crate::frontier::{FrontierPoint, FrontierSettings};
use crate::model::WorkflowModel;
use crate::platform::Platform;
use crate::pricing::StageExtra;
use crate::problem::{SampledProblem, StageContext, StageTable};
use crate::sampling::kernel::{Residuals, residuals};
use crate::sampling::{FRESH_STREAM_BASE, FreshEvaluation, SamplingError, fresh_sample_count};
use crate::settings::{Bound, ColdStarts, PlanSettings};
use crate::solve::{self, Plan, Solution, SolveError, SolveSettings, Status};

/// What the user allows the planner to fuse.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FusionOptions {
    /// Whether fusion is considered at all.
    pub enabled: bool,
    /// Edges that must never be fused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbid: Vec<Edge>,
}

/// Most fusable edges whose groupings are enumerated (2¹² groupings).
pub const MAX_FUSABLE_EDGES: usize = 12;

/// Most stages that may be placed on the edge device; placements and
/// groupings are enumerated together, at most 2¹⁴ of them.
pub const MAX_ENUMERATED_BITS: usize = 14;

/// Why fusion cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum FusionError {
    /// A forbidden edge is not an edge of the workflow.
    #[error("fusion.forbid[{index}]: the workflow has no edge {from} -> {to}")]
    UnknownEdge {
        /// Position in `forbid`.
        index: usize,
        /// Producer id.
        from: String,
        /// Consumer id.
        to: String,
    },
    /// Too many fusable edges to enumerate.
    #[error(
        "fusion: {found} edges may be fused, more than the {limit} whose groupings are enumerated: forbid fusion on some edges"
    )]
    TooManyEdges {
        /// Fusable edges found.
        found: usize,
        /// [`MAX_FUSABLE_EDGES`].
        limit: usize,
    },
    /// Too many placements × groupings to enumerate.
    #[error(
        "placement: {stages} stages may run on the edge device and {edges} edges may be fused, more than the {limit} choices enumerated together: forbid fusion on some edges or give the stages memory sizes above the device's"
    )]
    TooManyPlacements {
        /// Stages that fit the device.
        stages: usize,
        /// Fusable edges.
        edges: usize,
        /// [`MAX_ENUMERATED_BITS`].
        limit: usize,
    },
    /// A stage may run on another architecture than the platform's but the
    /// fuser was built without the architecture choices
    /// ([`Fuser::with_architectures`]), so its fused rows cannot be priced.
    #[error(
        "fusion and edge placement: stage {stage} may run on another architecture (settings.architectures), but its time factor was not given to the fusion planner"
    )]
    Architecture {
        /// The first such stage.
        stage: String,
    },
    /// The workflow has a loop: fused and edge-placed plans are built from
    /// one run of each stage.
    #[error(
        "fusion and edge placement: stage {stage} runs {iterations} times per execution (a loop's body), which they do not plan; turn fusion and the edge device off for this workflow"
    )]
    Loop {
        /// A stage of a loop's body.
        stage: String,
        /// How many times it runs per execution.
        iterations: u32,
    },
    /// The solver refused a contracted problem.
    #[error("solver: {0}")]
    Solve(#[from] SolveError),
    /// The fresh samples could not be drawn.
    #[error("sampling: {0}")]
    Sampling(#[from] SamplingError),
    /// A plan does not fit its contracted problem.
    #[error("plan: {0}")]
    Plan(#[from] crate::problem::PlanError),
}

/// The edges (u, v) that may be fused, as stage indices, in the workflow's edge order.
pub fn fusable_edges(
    workflow: &Workflow,
    dag: &Dag,
    options: &FusionOptions,
) -> Result<Vec<(usize, usize)>, FusionError> {
    let index = |id: &str| workflow.stages.iter().position(|s| s.id == id);
    let mut forbidden = Vec::new();
    for (i, e) in options.forbid.iter().enumerate() {
        match (index(&e.from), index(&e.to)) {
            (Some(u), Some(v)) if dag.children[u].contains(&v) => forbidden.push((u, v)),
            _ => {
                return Err(FusionError::UnknownEdge {
                    index: i,
                    from: e.from.clone(),
                    to: e.to.clone(),
                });
            }
        }
    }
    if !options.enabled {
        return Ok(Vec::new());
    }
    // A loop's body runs several times per execution: never fused.
    let repeats = workflow.repeats();
    let fusable_stage = |i: usize| {
        let s = &workflow.stages[i];
        s.kind == StageKind::Single && s.fixed.is_none() && repeats[i] == 1
    };
    let mut edges = Vec::new();
    for e in &workflow.edges {
        let (Some(u), Some(v)) = (index(&e.from), index(&e.to)) else {
            continue;
        };
        if fusable_stage(u)
            && fusable_stage(v)
            && dag.parents[v].len() == 1
            && !forbidden.contains(&(u, v))
            && !edges.contains(&(u, v))
        {
            edges.push((u, v));
        }
    }
    if edges.len() > MAX_FUSABLE_EDGES {
        return Err(FusionError::TooManyEdges {
            found: edges.len(),
            limit: MAX_FUSABLE_EDGES,
        });
    }
    Ok(edges)
}

/// A partition of the stages into groups that each run as one function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Grouping {
    /// Each group's stages: the root first, then the members in topological
    /// order. Groups are ordered by their root's position in the topological
    /// order, which is a topological order of the contracted DAG.
    pub groups: Vec<Vec<usize>>,
    /// The group of each stage.
    pub group_of: Vec<usize>,
    /// Whether each stage runs on the edge device (all false without one).
    pub on_edge: Vec<bool>,
}

impl Grouping {
    /// The grouping that fuses exactly `fused` (edges from [`fusable_edges`]).
    pub fn new(dag: &Dag, fused: &[(usize, usize)]) -> Self {
        let n = dag.parents.len();
        let mut group_of = vec![usize::MAX; n];
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for &i in &dag.topo {
            match fused.iter().find(|&&(_, v)| v == i) {
                // The fused parent comes earlier in `topo`, so it has its group.
                Some(&(u, _)) => {
                    group_of[i] = group_of[u];
                    groups[group_of[u]].push(i);
                }
                None => {
                    group_of[i] = groups.len();
                    groups.push(vec![i]);
                }
            }
        }
        Grouping {
            groups,
            group_of,
            on_edge: vec![false; n],
        }
    }

    /// The grouping that fuses `fused` and places the stages marked in
    /// `on_edge` on the edge device (no fused edge may cross the boundary).
    pub fn placed(dag: &Dag, fused: &[(usize, usize)], on_edge: Vec<bool>) -> Self {
        Grouping {
            on_edge,
            ..Grouping::new(dag, fused)
        }
    }

    /// Whether group `g` runs on the edge device.
    pub fn group_on_edge(&self, g: usize) -> bool {
        self.on_edge[self.groups[g][0]]
    }

    /// Whether some stage runs on the edge device.
    pub fn places_anything(&self) -> bool {
        self.on_edge.iter().any(|&e| e)
    }

    /// The group that pays the edge device's fee: the first group on the edge.
    pub fn fee_group(&self) -> Option<usize> {
        (0..self.groups.len()).find(|&g| self.group_on_edge(g))
    }

    /// Whether some group has more than one stage.
    pub fn fuses_anything(&self) -> bool {
        self.groups.iter().any(|g| g.len() > 1)
    }

    /// The parents of each group in the contracted DAG.
    pub fn parents(&self, dag: &Dag) -> Vec<Vec<usize>> {
        self.groups
            .iter()
            .enumerate()
            .map(|(g, members)| {
                let mut p: Vec<usize> = members
                    .iter()
                    .flat_map(|&m| &dag.parents[m])
                    .map(|&p| self.group_of[p])
                    .filter(|&h| h != g)
                    .collect();
                p.sort_unstable();
                p.dedup();
                p
            })
            .collect()
    }
}

/// Builds the contracted problems of groupings from an unfused sampled problem.
pub struct Fuser<'a> {
    workflow: &'a Workflow,
    dag: &'a Dag,
    model: &'a WorkflowModel,
    platform: &'a Platform,
    base: &'a SampledProblem,
    seed: u64,
    /// The cold-start setting of each stage (a group takes its root's).
    cold: Vec<ColdStarts>,
    allowed_violations: usize,
    resid: Vec<Option<Residuals>>,
    cache: HashMap<(Vec<usize>, bool, bool), StageTable>,
    /// The stages' architecture choices the base problem was sampled with.
    arch: Option<&'a Architectures>,
}

impl<'a> Fuser<'a> {
    /// A fuser over `base`, the unfused problem sampled from `model` under
    /// `settings` (its seed and cold-start settings).
    pub fn new(
        workflow: &'a Workflow,
        dag: &'a Dag,
        model: &'a WorkflowModel,
        platform: &'a Platform,
        base: &'a SampledProblem,
        settings: &PlanSettings,
    ) -> Self {
        Fuser {
            workflow,
            dag,
            model,
            platform,
            base,
            seed: settings.seed,
            cold: workflow
                .stages
                .iter()
                .map(|s| settings.cold_starts_of(&s.id))
                .collect(),
            allowed_violations: base.allowed_violations,
            resid: (0..workflow.stages.len()).map(|_| None).collect(),
            cache: HashMap::new(),
            arch: None,
        }
    }

    /// The fuser with the stages' architecture choices `arch`: the ones `base`
    /// was sampled with ([`crate::arch::resolve`]). A fused group then runs on
    /// one architecture that every member allows, each member's time scaled by
    /// its own factor and the group billed at that architecture's rates.
    pub fn with_architectures(mut self, arch: Option<&'a Architectures>) -> Self {
        self.arch = arch;
        self.cache.clear();
        self
    }

    /// The platform's own architecture.
    fn native(&self) -> Arch {
        self.arch
            .map_or_else(|| self.platform.architecture(), |a| a.native)
    }

    /// The unfused problem.
    pub fn base(&self) -> &SampledProblem {
        self.base
    }

    /// The contracted problem of `grouping`: one table per group, the unfused
    /// tables copied for single-stage groups.
    pub fn problem(&mut self, grouping: &Grouping) -> SampledProblem {
        let stages = grouping
            .groups
            .iter()
            .enumerate()
            .map(|(g, members)| {
                let edge = grouping.group_on_edge(g);
                let mut t = if members.len() == 1 && !edge {
                    self.base.stages[members[0]].clone()
                } else {
                    let fee = grouping.fee_group() == Some(g);
                    self.group_table(members, &grouping.on_edge, fee).clone()
                };
                if let Some(cx) = t.context.as_mut() {
                    cx.parent = grouping.group_of[cx.parent];
                }
                t
            })
            .collect();
        SampledProblem {
            n_samples: self.base.n_samples,
            stages,
            parents: grouping.parents(self.dag),
            topo: (0..grouping.groups.len()).collect(),
            concurrency_limit: self.base.concurrency_limit,
            percentile: self.base.percentile,
            allowed_violations: self.allowed_violations,
            shared: grouping_ties(&self.base.shared, grouping),
        }
    }

    /// Sets the allowed violations of the contracted problems (the base's by default).
    pub fn set_allowed_violations(&mut self, a: usize) {
        self.allowed_violations = a;
    }

    /// The table of a fused or edge group (context parent as a stage index),
    /// cached. `on_edge` marks every stage placed on the edge device; `fee`
    /// whether the group pays the device's fee.
    fn group_table(&mut self, members: &[usize], on_edge: &[bool], fee: bool) -> &StageTable {
        let edge = on_edge[members[0]];
        // An edge group's table depends on which neighbours are on the edge too.
        let key = if edge {
            let mut k = members.to_vec();
            k.extend(
                (0..on_edge.len())
                    .filter(|&i| on_edge[i])
                    .map(|i| usize::MAX - i),
            );
            (k, true, fee)
        } else {
            (members.to_vec(), false, false)
        };
        if !self.cache.contains_key(&key) {
            let n = self.base.n_samples;
            for &i in members {
                if self.resid[i].is_none() {
                    self.resid[i] = Some(residuals(&self.model.stages[i], self.seed, i as u64, n));
                }
            }
            let resid: Vec<&Residuals> = members
                .iter()
                .filter_map(|&i| self.resid[i].as_ref())
                .collect();
            // On the device the group runs with the device's memory and cores
            // (the architecture choice is a cloud one).
            let (configs, archs) = match (&self.platform.pricing.edge_device, edge) {
                (Some(dev), true) => (
                    vec![Config {
                        memory_mb: dev.memory_mb,
                        d: 1,
                    }],
                    Vec::new(),
                ),
                _ => {
                    let native = self.native();
                    let (c, a) = table::common_candidates(self.base, members, native);
                    // Without the choices only the platform's rows can be built.
                    if self.arch.is_none() && a.iter().any(|&x| x != native) {
                        c.iter()
                            .zip(&a)
                            .filter(|&(_, &x)| x == native)
                            .map(|(&c, &x)| (c, x))
                            .unzip()
                    } else {
                        (c, a)
                    }
                }
            };
            let context = self.base.stages[members[0]].context.clone();
            let table = table::group_table(
                &table::Group {
                    workflow: self.workflow,
                    dag: self.dag,
                    model: self.model,
                    platform: self.platform,
                    members,
                    cold: self.cold[members[0]],
                    edge: self.edge_site(on_edge, edge, fee),
                    arch: self.arch,
                },
                configs,
                archs,
                context,
                &resid,
                n,
            );
            // The platform's timeout binds functions in the cloud, not the device.
            let table = if edge {
                table
            } else {
                table::drop_timeouts(table, n, self.base.percentile, self.platform.timeout_s)
            };
            self.cache.insert(key.clone(), table);
        }
        &self.cache[&key]
    }

    /// The edge site of a group: `Some` when `edge` (the group is placed on the device).
    fn edge_site<'b>(
        &'b self,
        on_edge: &'b [bool],
        edge: bool,
        fee: bool,
    ) -> Option<table::EdgeSite<'b>> {
        let device = self.platform.pricing.edge_device.as_ref()?;
        edge.then_some(table::EdgeSite {
            device,
            on_edge,
            fee,
        })
    }

    /// The stages that may run on the edge device: single-instance, not fixed,
    /// and whose smallest allowed memory size fits the device (none without one).
    pub fn edge_candidates(&self) -> Vec<usize> {
        let Some(device) = self.platform.pricing.edge_device.as_ref() else {
            return Vec::new();
        };
        (0..self.workflow.stages.len())
            .filter(|&i| {
                let s = &self.workflow.stages[i];
                s.kind == StageKind::Single
                    && s.fixed.is_none()
                    && self.base.stages[i]
                        .configs
                        .iter()
                        .map(|c| c.memory_mb)
                        .min()
                        .is_some_and(|m| m <= device.memory_mb)
            })
            .collect()
    }

    /// Every placement × grouping of `edges`, all-cloud first, then fewer
    /// stages on the edge first; within a placement the groupings in order of
    /// their bit mask. Without reverse flow an edge stage's parents are all on
    /// the edge; no fused edge crosses the boundary.
    pub fn groupings(&self, edges: &[(usize, usize)]) -> Result<Vec<Grouping>, FusionError> {
        let cand = self.edge_candidates();
        if (!edges.is_empty() || !cand.is_empty())
            && self.arch.is_none()
            && let Some(i) = self
                .base
                .stages
                .iter()
                .position(|t| !t.architectures.is_empty())
        {
            return Err(FusionError::Architecture {
                stage: self.workflow.stages[i].id.clone(),
            });
        }
        if cand.len() + edges.len() > MAX_ENUMERATED_BITS {
            return Err(FusionError::TooManyPlacements {
                stages: cand.len(),
                edges: edges.len(),
                limit: MAX_ENUMERATED_BITS,
            });
        }
        let reverse = self
            .platform
            .pricing
            .edge_device
            .as_ref()
            .is_some_and(|d| d.allow_reverse);
        let n = self.workflow.stages.len();
        let mut masks: Vec<u32> = (0u32..1 << cand.len()).collect();
        masks.sort_by_key(|m| (m.count_ones(), *m));
        let mut out = Vec::new();
        for mask in masks {
            let mut on_edge = vec![false; n];
            for (k, &i) in cand.iter().enumerate() {
                on_edge[i] = mask >> k & 1 == 1;
            }
            let closed = (0..n)
                .filter(|&i| on_edge[i])
                .all(|i| self.dag.parents[i].iter().all(|&p| on_edge[p]));
            if !reverse && !closed {
                continue;
            }
            for fused in subsets(edges) {
                if fused.iter().any(|&(u, v)| on_edge[u] != on_edge[v]) {
                    continue;
                }
                out.push(Grouping::placed(self.dag, &fused, on_edge.clone()));
            }
        }
        Ok(out)
    }
}

/// The best plan over every grouping of the fusable edges.
#[derive(Clone, Debug)]
pub struct FusedSolution {
    /// The grouping of the plan (all singletons when nothing is fused or no plan exists).
    pub grouping: Grouping,
    /// The contracted problem the plan indexes.
    pub problem: SampledProblem,
    /// The solve of that problem.
    pub solution: Solution,
    /// Groupings solved.
    pub solved: usize,
    /// Groupings skipped: by the lower bound, or because a group has no
    /// candidate (no memory size common to its members within the timeout).
    pub pruned: usize,
}

/// The subsets of `edges`, in order of their bit mask (the empty set first).
fn subsets(edges: &[(usize, usize)]) -> impl Iterator<Item = Vec<(usize, usize)>> + '_ {
    (0u32..1 << edges.len()).map(move |mask| {
        edges
            .iter()
            .enumerate()
            .filter(|(k, _)| mask >> k & 1 == 1)
            .map(|(_, &e)| e)
            .collect()
    })
}

/// The objective of a solution under `bound` (`None` without a plan).
fn objective(bound: Bound, s: &Solution) -> Option<f64> {
    s.plan.as_ref().map(|_| match bound {
        Bound::Latency { .. } => s.expected_cost_usd,
        Bound::Cost { .. } => s.guaranteed_latency_s,
    })
}

/// Solves `settings.bound` exactly over every grouping of `edges` and returns the
/// best plan (ties keep the grouping with fewer fused edges, enumerated first).
pub fn solve_fused(
    fuser: &mut Fuser<'_>,
    edges: &[(usize, usize)],
    settings: SolveSettings,
) -> Result<FusedSolution, FusionError> {
    let mut best: Option<(f64, FusedSolution)> = None;
    let mut first: Option<FusedSolution> = None;
    let mut nearest: Option<f64> = None;
    let (mut solved, mut pruned) = (0, 0);
    for grouping in fuser.groupings(edges)? {
        let problem = fuser.problem(&grouping);
        if !has_candidates(&problem) {
            // A group whose members share no memory size, or that exceeds the timeout at every size.
            pruned += 1;
            continue;
        }
        if let (Bound::Latency { .. }, Some((incumbent, _))) = (settings.bound, &best)
            && cheapest_cost(&problem) >= *incumbent
        {
            pruned += 1;
            continue;
        }
        let solution = solve::solve(&problem, settings.clone())?;
        solved += 1;
        if let Status::Infeasible {
            nearest_bound: Some(b),
        } = solution.status
        {
            nearest = Some(nearest.map_or(b, |n: f64| n.min(b)));
        }
        let value = objective(settings.bound, &solution);
        let candidate = FusedSolution {
            grouping,
            problem,
            solution,
            solved: 0,
            pruned: 0,
        };
        match value {
            Some(v) if best.as_ref().is_none_or(|(b, _)| v < *b) => best = Some((v, candidate)),
            _ if first.is_none() => first = Some(candidate),
            _ => {}
        }
    }
    let mut out = match (best, first) {
        (Some((_, s)), _) => s,
        (None, Some(mut s)) => {
            if let Status::Infeasible { nearest_bound } = &mut s.solution.status {
                *nearest_bound = nearest;
            }
            s
        }
        // `subsets` yields at least the empty set, which is solved.
        (None, None) => unreachable!("the unfused grouping is always solved"),
    };
    out.solved = solved;
    out.pruned = pruned;
    Ok(out)
}

/// Whether every stage of `problem` has a candidate configuration.
fn has_candidates(problem: &SampledProblem) -> bool {
    problem.stages.iter().all(|t| !t.configs.is_empty())
}

/// The least expected cost any plan of `problem` can have: each stage at its
/// cheapest row, latency ignored.
fn cheapest_cost(problem: &SampledProblem) -> f64 {
    problem
        .stages
        .iter()
        .map(|t| {
            t.expected_cost_usd
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min)
        })
        .sum()
}

/// A point of the frontier over the joint space.
#[derive(Clone, Debug, PartialEq)]
pub struct FusedPoint {
    /// Index of the grouping in the list [`fused_frontier`] returns.
    pub grouping: usize,
    /// The point (its plan indexes that grouping's contracted problem).
    pub point: FrontierPoint,
}

/// The exact latency–cost frontier over every grouping of `edges`: each
/// grouping's frontier, Pareto-merged (latency ascending, cost strictly
/// descending; on equal latency the cheaper point, on equal points the grouping
/// enumerated first). Returns the groupings and the merged points.
pub fn fused_frontier(
    fuser: &mut Fuser<'_>,
    edges: &[(usize, usize)],
    settings: FrontierSettings,
) -> Result<(Vec<Grouping>, Vec<FusedPoint>), FusionError> {
    let mut groupings = Vec::new();
    let mut all = Vec::new();
    for grouping in fuser.groupings(edges)? {
        let problem = fuser.problem(&grouping);
        if !has_candidates(&problem) {
            continue;
        }
        let f = crate::frontier::frontier(&problem, settings.clone())?;
        all.extend(f.points.into_iter().map(|point| FusedPoint {
            grouping: groupings.len(),
            point,
        }));
        groupings.push(grouping);
    }
    Ok((groupings, pareto_merge(all)))
}

/// The non-dominated points of `points` (see [`fused_frontier`]).
pub fn pareto_merge(mut points: Vec<FusedPoint>) -> Vec<FusedPoint> {
    points.sort_by(|a, b| {
        a.point
            .guaranteed_latency_s
            .total_cmp(&b.point.guaranteed_latency_s)
            .then(
                a.point
                    .expected_cost_usd
                    .total_cmp(&b.point.expected_cost_usd),
            )
            .then(a.grouping.cmp(&b.grouping))
    });
    let mut out: Vec<FusedPoint> = Vec::new();
    for p in points {
        if out
            .last()
            .is_none_or(|l| p.point.expected_cost_usd < l.point.expected_cost_usd)
        {
            out.push(p);
        }
    }
    out
}

/// Evaluates the plan `configs` (one per group of `grouping`) on the fresh,
/// independent sample family ([`FRESH_STREAM_BASE`] + stage), as
/// [`crate::sampling::evaluate_fresh`] does for an unfused plan: every group's
/// table is built for its one configuration from its members' fresh streams, and
/// the workflow latency is the longest path through the contracted DAG. Every
/// group runs on the platform's architecture ([`evaluate_fresh_grouping_on`]
/// takes each group's).
pub fn evaluate_fresh_grouping(
    fuser: &Fuser<'_>,
    settings: &PlanSettings,
    grouping: &Grouping,
    configs: &[Config],
) -> Result<FreshEvaluation, FusionError> {
    evaluate_fresh_grouping_on(fuser, settings, grouping, configs, &[])
}

/// [`evaluate_fresh_grouping`] with each group's architecture `archs`
/// (indexed like `configs`; `None` or a missing entry: the platform's).
pub fn evaluate_fresh_grouping_on(
    fuser: &Fuser<'_>,
    settings: &PlanSettings,
    grouping: &Grouping,
    configs: &[Config],
    archs: &[Option<Arch>],
) -> Result<FreshEvaluation, FusionError> {
    let n = fresh_sample_count(settings)?;
    let stages = grouping
        .groups
        .iter()
        .zip(configs)
        .enumerate()
        .map(|(g, (members, &cfg))| {
            let root = members[0];
            let context = match fuser.workflow.stages[root].kind {
                StageKind::Single => fuser.dag.input_parent[root].map(|p| StageContext {
                    parent: grouping.group_of[p],
                    parent_d: vec![configs[grouping.group_of[p]].d],
                }),
                StageKind::Parallel => None,
            };
            let resid: Vec<Residuals> = members
                .iter()
                .map(|&i| {
                    let stream = FRESH_STREAM_BASE + i as u64;
                    residuals(&fuser.model.stages[i], settings.seed, stream, n)
                })
                .collect();
            let resid: Vec<&Residuals> = resid.iter().collect();
            let on_edge = grouping.on_edge[root];
            let arch = match archs.get(g).copied().flatten() {
                Some(a) if !on_edge && fuser.arch.is_some() => vec![a],
                _ => Vec::new(),
            };
            let group = table::Group {
                workflow: fuser.workflow,
                dag: fuser.dag,
                model: fuser.model,
                platform: fuser.platform,
                members,
                cold: settings.cold_starts_of(&fuser.workflow.stages[root].id),
                edge: fuser.edge_site(&grouping.on_edge, on_edge, grouping.fee_group() == Some(g)),
                arch: fuser.arch,
            };
            table::group_table(&group, vec![cfg], arch, context, &resid, n)
        })
        .collect();
    let problem = SampledProblem {
        n_samples: n,
        stages,
        parents: grouping.parents(fuser.dag),
        topo: (0..grouping.groups.len()).collect(),
        concurrency_limit: None,
        percentile: settings.percentile,
        allowed_violations: 0,
        shared: Vec::new(),
    };
    let plan = Plan {
        choice: vec![0; grouping.groups.len()],
    };
    // One configuration and one context per group, built to match: the plan fits.
    let eval = solve::evaluate(&problem, &plan)?;
    Ok(FreshEvaluation {
        latency_s: eval.latency_s,
        cost_usd: eval.cost_usd,
    })
}

/// The orchestration and transfer charges of the group `members` run as one
/// function at `cfg` under `grouping`'s placement (see [`crate::pricing`]).
pub fn group_extra(fuser: &Fuser<'_>, grouping: &Grouping, g: usize, cfg: Config) -> StageExtra {
    let members = &grouping.groups[g];
    table::Group {
        workflow: fuser.workflow,
        dag: fuser.dag,
        model: fuser.model,
        platform: fuser.platform,
        members,
        cold: fuser.cold[members[0]],
        edge: fuser.edge_site(
            &grouping.on_edge,
            grouping.group_on_edge(g),
            grouping.fee_group() == Some(g),
        ),
        arch: fuser.arch,
    }
    .extra(cfg)
}

#[cfg(test)]
mod tests;

/// The ties of the contracted problem of `grouping`: each tie group of the
/// unfused problem mapped to the groups holding its members, overlapping ones
/// merged. A fused group keeps its members' ties (its one memory size is theirs);
/// a stage placed on the edge device runs no Lambda function and leaves its tie.
fn grouping_ties(shared: &[Vec<usize>], grouping: &Grouping) -> Vec<Vec<usize>> {
    crate::problem::merge_groups(shared.iter().map(|g| {
        g.iter()
            .filter(|&&i| !grouping.on_edge[i])
            .map(|&i| grouping.group_of[i])
            .collect()
    }))
}
