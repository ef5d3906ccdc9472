//! The frontier at the slider's resolution, coarse to fine ([`Task::Frontier`]).
//!
//! The exact frontier of a large workflow takes minutes; the chart and the
//! slider need an optimal plan at each of its positions much sooner. After the
//! preparation (fit and sample, cached across jobs) and the certified solve of
//! the job's own bound (answered first by
//! [`compute_with_parts`](super::compute_with_parts): that is the plan panel's
//! plan), this:
//!
//! 1. runs [`Rounds`] (the core's `ResolutionBuilder` with a node budget per
//!    position, [`POSITION_NODE_BUDGET`]) over [`RESOLUTION_POSITIONS`] latency
//!    bounds from the fastest to the cheapest plan's guaranteed latency, level by
//!    level (both ends, then the midpoints of every gap, …), answering the
//!    frontier so far after rounds of 1, 2, 4, … up to [`MAX_ROUND`] solves,
//!    so the chart fills in evenly;
//!    then solves the unproven positions again with [`REFINE_NODE_BUDGET`]
//!    nodes each, from the loosest down, up to [`REFINE_TOTAL_NODES`] in all;
//! 2. computes the fit report for the profiles chart (once per fit) and answers
//!    the final frontier: every position's plan is optimal for its bound
//!    ("exact at this resolution"), except the positions whose solve ran out of
//!    budget (counted in [`Resolution::unproven`]: the best plan found, feasible);
//!    the whole exact frontier is
//!    [`Task::ExactFrontier`](crate::worker::protocol::Task::ExactFrontier).
//!
//! Every answer's frontier is the distinct answers without dominated points
//! (ascending latency, strictly descending cost).
//!
//! [`Task::Frontier`]: crate::worker::protocol::Task::Frontier

use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::frontier::{Frontier, FrontierPoint};
use faasplan_core::pipeline::PipelineError;
use faasplan_core::problem::SampledProblem;
use faasplan_core::settings::{Bound, CostKind};
use faasplan_core::solve::{Planner, SolveError, SolveSettings, Status};

use super::{Cache, ComputeError, memory_bytes, prepared, tables};
use crate::worker::protocol::{
    PlanOutput, Progress, RESOLUTION_POSITIONS, Resolution, StageFit, Timings,
};

/// Most solves between two answers: the rounds double up to this.
pub const MAX_ROUND: usize = 64;

/// Search nodes one slider position may take in the first pass (a few to tens
/// of ms). Near the fastest plans a solve can take minutes; such a position
/// keeps the best plan found within this budget, marked as not proven, so every
/// position has a plan on screen in seconds.
pub const POSITION_NODE_BUDGET: u64 = 2_000;
/// Search nodes an unproven position may take when it is solved again, after
/// every position has a plan.
pub const REFINE_NODE_BUDGET: u64 = 100_000;
/// Search nodes all those second solves may take together: the planning worker
/// answers nothing else meanwhile, so this stays a few seconds; what is still
/// unproven is said on screen, and the exact frontier proves it.
pub const REFINE_TOTAL_NODES: u64 = 400_000;

/// Fit, sample, then the frontier at the slider's resolution (see the module).
pub fn frontier(
    project: &CoreProject,
    cache: &mut Cache,
    progress: &mut dyn FnMut(Progress),
    part: &mut dyn FnMut(PlanOutput),
    now: &dyn Fn() -> f64,
) -> Result<PlanOutput, ComputeError> {
    let t0 = now();
    prepared(project, cache, progress)?;
    let t1 = now();
    let known_fits = cache.known_fit_tables(project).unwrap_or_default();
    let Some(prep) = cache.cached_prepared(project) else {
        unreachable!("prepared() keeps the sampled problem")
    };
    let problem = &prep.problem;
    let mut shell = Shell {
        project,
        fits: known_fits,
        t0,
        t1,
    };

    // 1. The positions, coarse to fine.
    let mut rounds = Rounds::new(problem, RESOLUTION_POSITIONS, Some(POSITION_NODE_BUDGET))
        .map_err(PipelineError::from)?;
    let mut round = 1;
    loop {
        let finished = rounds.step(round);
        let res = rounds.resolution();
        progress(Progress::Resolving {
            resolved: u64::from(res.resolved),
            positions: u64::from(res.positions),
        });
        if finished {
            break;
        }
        part(shell.output(problem, rounds.frontier(), rounds.nodes, now(), res)?);
        round = (round * 2).min(MAX_ROUND);
    }
    // Then the unproven positions again, with a larger budget, while the total allows.
    if rounds.resolution().unproven > 0 {
        let res = rounds.resolution();
        part(shell.output(problem, rounds.frontier(), rounds.nodes, now(), res)?);
    }
    let mut solves = 0;
    while rounds.resolution().unproven > 0 && rounds.refine_nodes < REFINE_TOTAL_NODES {
        if !rounds.refine(1, REFINE_NODE_BUDGET) {
            break;
        }
        solves += 1;
        if solves % 8 == 0 {
            let res = rounds.resolution();
            part(shell.output(problem, rounds.frontier(), rounds.nodes, now(), res)?);
        }
    }
    let (front, nodes, res) = (rounds.frontier(), rounds.nodes, rounds.resolution());
    drop(rounds);
    let t2 = now();

    // 2. The fit report (once per fit), then the final answer.
    shell.fits = match cache.fit_tables(project) {
        Some(fits) => fits?,
        None => unreachable!("prepared() keeps the fit of the project"),
    };
    let t3 = now();
    let Some(prep) = cache.cached_prepared(project) else {
        unreachable!("prepared() keeps the sampled problem")
    };
    let mut out = shell.output(&prep.problem, front, nodes, now(), res)?;
    out.timings.fit_ms = t3 - t2;
    out.timings.frontier_ms = t2 - t1;
    Ok(out)
}

/// The core's `ResolutionBuilder` with a node budget per position: the same
/// bounds (evenly spaced from the fastest to the cheapest plan's guaranteed
/// latency), the same levels (both ends, then the midpoints of every gap, …)
/// and the same reuse of a proven answer for the positions it covers. A solve
/// that runs out of budget keeps its best plan for its own position only, not
/// proven. Without a budget (or when no solve reaches it) the answers are the
/// core builder's.
pub struct Rounds<'p> {
    planner: Planner<'p>,
    budget: Option<u64>,
    bounds: Vec<f64>,
    answers: Vec<Option<FrontierPoint>>,
    /// Answered (proven, or the budget's best).
    done: Vec<bool>,
    /// Answered and proven optimal (or proven infeasible).
    proven: Vec<bool>,
    /// Positions of the current level, ascending.
    queue: Vec<usize>,
    next: usize,
    /// Spacing of the current level's grid (in positions); 0 at the last level.
    stride: usize,
    /// Positions solved again by [`Self::refine`].
    retried: Vec<bool>,
    /// Search nodes so far.
    pub nodes: u64,
    /// Of which spent by [`Self::refine`].
    pub refine_nodes: u64,
}

impl<'p> Rounds<'p> {
    /// Validates `problem` and finds the bounds of `positions` (≥ 2) positions:
    /// two solves without a budget (the fastest and the cheapest plan).
    pub fn new(
        problem: &'p SampledProblem,
        positions: usize,
        budget: Option<u64>,
    ) -> Result<Self, SolveError> {
        if positions < 2 {
            return Err(SolveError::Positions(positions));
        }
        let planner = Planner::new(problem)?;
        let fastest = planner.solve(SolveSettings {
            bound: Bound::Cost {
                max_usd: f64::INFINITY,
                kind: CostKind::Mean,
            },
            max_nodes: None,
        })?;
        let cheapest = planner.solve(SolveSettings {
            bound: Bound::Latency {
                max_s: f64::INFINITY,
            },
            max_nodes: None,
        })?;
        let (lo, hi) = (fastest.guaranteed_latency_s, cheapest.guaranteed_latency_s);
        let bounds: Vec<f64> = if lo.is_finite() && hi.is_finite() {
            (0..positions)
                .map(|g| {
                    if g + 1 == positions {
                        hi.max(lo)
                    } else {
                        lo + (hi - lo).max(0.0) * g as f64 / (positions - 1) as f64
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let n = bounds.len();
        Ok(Rounds {
            planner,
            budget,
            answers: vec![None; n],
            done: vec![false; n],
            proven: vec![false; n],
            retried: vec![false; n],
            queue: match n {
                0 => Vec::new(),
                1 => vec![0],
                _ => vec![0, n - 1],
            },
            next: 0,
            stride: n.saturating_sub(1).max(1),
            nodes: fastest.stats.nodes + cheapest.stats.nodes,
            refine_nodes: 0,
            bounds,
        })
    }

    /// The answer at position `g`: the plan, whether it is proven, the nodes spent.
    fn solve_at(&self, g: usize) -> (Option<FrontierPoint>, bool, u64) {
        let sol = self.planner.solve(SolveSettings {
            bound: Bound::Latency {
                max_s: self.bounds[g],
            },
            max_nodes: self.budget,
        });
        let Ok(sol) = sol else {
            // The bounds are finite and non-negative: a solve cannot fail on input.
            return (None, false, 0);
        };
        let proven = matches!(sol.status, Status::Optimal | Status::Infeasible { .. });
        let point = sol.plan.map(|plan| FrontierPoint {
            guaranteed_latency_s: sol.guaranteed_latency_s,
            expected_cost_usd: sol.expected_cost_usd,
            plan,
        });
        (point, proven, sol.stats.nodes)
    }

    /// Records the answer at `g`; a proven one also answers every position it
    /// covers that is not proven yet (as the core's builder does).
    fn record(&mut self, g: usize, answer: Option<FrontierPoint>, proven: bool) {
        if proven {
            if let Some(a) = &answer {
                let mut h = g;
                while h > 0 && !self.proven[h - 1] && self.bounds[h - 1] >= a.guaranteed_latency_s {
                    h -= 1;
                    self.answers[h] = Some(a.clone());
                    self.done[h] = true;
                    self.proven[h] = true;
                }
            } else {
                // No plan meets B_g, hence none meets a tighter bound.
                for h in 0..g {
                    if !self.proven[h] {
                        self.answers[h] = None;
                        self.done[h] = true;
                        self.proven[h] = true;
                    }
                }
            }
        }
        self.answers[g] = answer;
        self.done[g] = true;
        self.proven[g] = proven;
    }

    /// The next level's positions: midpoints of the current grid not yet answered.
    fn next_level(&mut self) {
        while self.stride > 1 {
            let half = self.stride / 2;
            let n = self.bounds.len();
            self.queue = (0..n)
                .skip(half)
                .step_by(self.stride.max(1))
                .filter(|&g| !self.done[g])
                .collect();
            self.stride = half;
            self.next = 0;
            if !self.queue.is_empty() {
                return;
            }
        }
        // The last level: every position still open.
        self.queue = (0..self.bounds.len()).filter(|&g| !self.done[g]).collect();
        self.next = 0;
        self.stride = 0;
    }

    fn finished(&self) -> bool {
        self.done.iter().all(|&d| d)
    }

    /// Solves at most `solves` positions in level order; true once every
    /// position is answered.
    pub fn step(&mut self, solves: usize) -> bool {
        let mut left = solves;
        while left > 0 && !self.finished() {
            if self.next >= self.queue.len() {
                self.next_level();
                continue;
            }
            let g = self.queue[self.next];
            self.next += 1;
            let (answer, proven, nodes) = self.solve_at(g);
            self.nodes += nodes;
            self.record(g, answer, proven);
            left -= 1;
        }
        self.finished()
    }

    /// After every position is answered: solves at most `solves` unproven
    /// positions again with `budget` nodes each, from the loosest bound down (a
    /// proven answer covers the tighter positions its latency meets), each
    /// position once. False when none is left to try.
    pub fn refine(&mut self, solves: usize, budget: u64) -> bool {
        for _ in 0..solves {
            let Some(g) = (0..self.bounds.len())
                .rev()
                .find(|&g| !self.proven[g] && !self.retried[g])
            else {
                return false;
            };
            self.retried[g] = true;
            let sol = self.planner.solve(SolveSettings {
                bound: Bound::Latency {
                    max_s: self.bounds[g],
                },
                max_nodes: Some(budget),
            });
            let Ok(sol) = sol else {
                continue;
            };
            self.nodes += sol.stats.nodes;
            self.refine_nodes += sol.stats.nodes;
            if matches!(sol.status, Status::Optimal | Status::Infeasible { .. }) {
                let point = sol.plan.map(|plan| FrontierPoint {
                    guaranteed_latency_s: sol.guaranteed_latency_s,
                    expected_cost_usd: sol.expected_cost_usd,
                    plan,
                });
                self.record(g, point, true);
            }
        }
        (0..self.bounds.len()).any(|g| !self.proven[g] && !self.retried[g])
    }

    /// How far the positions are answered and proven.
    pub fn resolution(&self) -> Resolution {
        let count = |v: &[bool]| v.iter().filter(|&&x| x).count() as u32;
        let done = count(&self.done);
        Resolution {
            positions: self.bounds.len() as u32,
            resolved: done,
            exact: false,
            unproven: done - count(&self.proven),
        }
    }

    /// The distinct answers as a frontier (ascending latency, strictly
    /// descending cost), as `ResolvedFrontier::frontier` draws them.
    pub fn frontier(&self) -> Frontier {
        let mut points: Vec<FrontierPoint> = Vec::new();
        for a in self.answers.iter().flatten() {
            if points.last().is_some_and(|p| p.plan == a.plan) {
                continue;
            }
            // A later (looser) answer of equal or more cost is dominated.
            if points
                .last()
                .is_some_and(|p| p.expected_cost_usd <= a.expected_cost_usd)
            {
                continue;
            }
            points.push(a.clone());
        }
        Frontier { points }
    }
}

/// What every answer of one job shares.
struct Shell<'a> {
    project: &'a CoreProject,
    fits: Vec<StageFit>,
    t0: f64,
    t1: f64,
}

impl Shell<'_> {
    /// The output for `front` with its plan-table rows.
    fn output(
        &self,
        problem: &SampledProblem,
        front: Frontier,
        nodes: u64,
        now_ms: f64,
        resolution: Resolution,
    ) -> Result<PlanOutput, ComputeError> {
        let (stages, point_rows) = tables::frontier_rows(&self.project.workflow, problem, &front)
            .map_err(PipelineError::from)?;
        Ok(PlanOutput {
            frontier: front,
            point_rows,
            stages,
            fits: self.fits.clone(),
            samples: problem.n_samples,
            nodes,
            timings: Timings {
                fit_ms: 0.0,
                sample_ms: self.t1 - self.t0,
                frontier_ms: now_ms - self.t1,
                total_ms: now_ms - self.t0,
                memory_bytes: memory_bytes(),
            },
            resolution,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::compute::{compute, compute_with_parts};
    use crate::worker::protocol::{Job, ReportKind, Task, WorkerOutput};
    use faasplan_core::formats::jolteon::{JolteonProfileOptions, import};
    use faasplan_core::frontier::{ResolutionBuilder, ResolutionProgress};
    use faasplan_core::platform::Preset;
    use faasplan_core::settings::{PlanSettings, SampleCount};

    const ML_WORKFLOW: &str = include_str!("../../../static/examples/ML-pipeline.json");
    const ML_PROFILE: &str = include_str!("../../../static/examples/ML-Pipeline_profile.json");

    fn ml_project(samples: usize) -> CoreProject {
        let (workflow, profiles) = import(
            ML_WORKFLOW,
            ML_PROFILE,
            None,
            &JolteonProfileOptions::default(),
        )
        .expect("the bundled example imports");
        CoreProject {
            workflow,
            profiles,
            platform: Preset::JolteonProfiled.platform(),
            settings: PlanSettings {
                samples: SampleCount::Fixed(samples),
                ..PlanSettings::default()
            },
        }
    }

    fn optimum(problem: &SampledProblem, max_s: f64) -> Option<f64> {
        let sol = Planner::new(problem)
            .expect("valid")
            .solve(SolveSettings {
                bound: Bound::Latency { max_s },
                max_nodes: None,
            })
            .expect("solves");
        // Without a node limit every feasible bound is solved to optimality.
        assert!(sol.plan.is_none() || sol.status == Status::Optimal);
        sol.plan.map(|_| sol.expected_cost_usd)
    }

    /// The frontier job answers the certified plan for its own bound first (the
    /// report `faasplan plan` prints), then rounds that fill the frontier in,
    /// then the frontier whose every point is the optimum of its own latency; it
    /// equals the core's resolution frontier on the same problem.
    #[test]
    fn the_bound_is_solved_first_then_rounds_come_coarse_to_fine() {
        let mut project = ml_project(300);
        let mut cache = Cache::default();
        // A first run finds the range; then a bound in the middle of it.
        let job = Job::new(1, 1, project.clone(), Task::Frontier, 1);
        let WorkerOutput::Frontier {
            result: Ok(first), ..
        } = compute(&job, &mut cache, &mut |_| {}, &|| 0.0)
        else {
            panic!("no frontier");
        };
        let pts = &first.frontier.points;
        let mid_s = 0.5 * (pts[0].guaranteed_latency_s + pts[pts.len() - 1].guaranteed_latency_s);
        project.settings.bound = Bound::Latency { max_s: mid_s };

        let mut answers: Vec<WorkerOutput> = Vec::new();
        let job = Job::new(2, 7, project.clone(), Task::Frontier, 2);
        let out = compute_with_parts(
            &job,
            &mut cache,
            &mut |_| {},
            &mut |p| answers.push(p),
            &|| 0.0,
        );
        let WorkerOutput::Frontier {
            rev: 2,
            result: Ok(out),
        } = out
        else {
            panic!("no frontier");
        };
        // The first answer is the certified solve of the job's own bound: the
        // same report as a solve job for that bound (and as `pipeline::plan`).
        let WorkerOutput::Report {
            rev: 2,
            key: 7,
            kind: ReportKind::Solve,
            result: Ok(solved),
        } = &answers[0]
        else {
            panic!(
                "the first answer is not the bound's solve: {:?}",
                answers[0]
            );
        };
        let alone = compute(
            &Job::new(2, 7, project.clone(), Task::Solve, 3),
            &mut Cache::default(),
            &mut |_| {},
            &|| 0.0,
        );
        let WorkerOutput::Report {
            result: Ok(alone), ..
        } = alone
        else {
            panic!("no solve");
        };
        assert_eq!(solved.0, alone.0);
        let plan =
            faasplan_core::pipeline::plan(&project, faasplan_core::pipeline::Limits::default())
                .expect("plans");
        assert_eq!(solved.0, plan);
        let totals = solved.0.totals.as_ref().expect("a plan meets the bound");
        assert!(totals.expected_cost_usd.is_finite());

        let parts: Vec<&PlanOutput> = answers[1..]
            .iter()
            .map(|a| match a {
                WorkerOutput::FrontierPart { rev: 2, output } => output,
                other => panic!("not a round: {other:?}"),
            })
            .collect();
        assert!(parts.len() >= 5, "answered in rounds: {}", parts.len());
        // Rounds answer ever more positions, then (once all are answered) prove
        // ever more of them; none is the exact frontier.
        for w in parts
            .iter()
            .copied()
            .chain([&out])
            .collect::<Vec<_>>()
            .windows(2)
        {
            let (a, b) = (w[0].resolution, w[1].resolution);
            assert!(a.resolved <= b.resolved);
            if a.complete() {
                assert!(b.complete() && b.unproven <= a.unproven);
            }
        }
        assert!(!parts[0].resolution.complete());
        assert!(parts.iter().all(|p| !p.resolution.exact));
        assert!(out.resolution.complete() && !out.resolution.exact);
        assert_eq!(out.resolution.positions as usize, RESOLUTION_POSITIONS);
        assert_eq!(out.fits.len(), project.workflow.stages.len());

        let problem = &cache.cached_prepared(&project).expect("kept").problem;
        // The job's frontier is its rounds' (the budgets as in the job).
        let mut r =
            Rounds::new(problem, RESOLUTION_POSITIONS, Some(POSITION_NODE_BUDGET)).expect("builds");
        while !r.step(7) {}
        while r.resolution().unproven > 0 && r.refine_nodes < REFINE_TOTAL_NODES {
            if !r.refine(1, REFINE_NODE_BUDGET) {
                break;
            }
        }
        assert_eq!(out.frontier, r.frontier());
        assert_eq!(out.resolution, r.resolution());

        // Every answer (partial ones too) is ordered and each point is the optimum
        // of its own latency.
        for o in parts.iter().copied().chain([&out]) {
            let p = &o.frontier.points;
            assert_eq!(o.point_rows.len(), p.len());
            for w in p.windows(2) {
                assert!(w[0].guaranteed_latency_s < w[1].guaranteed_latency_s);
                assert!(w[0].expected_cost_usd > w[1].expected_cost_usd);
            }
        }
        // Each point is a plan of its latency no cheaper than the optimum there,
        // and the optimum itself at every proven position.
        for p in &out.frontier.points {
            let best = optimum(problem, p.guaranteed_latency_s).expect("a plan meets it");
            assert!(best <= p.expected_cost_usd);
        }
        for g in (0..RESOLUTION_POSITIONS).step_by(25) {
            if r.proven[g] {
                let best = optimum(problem, r.bounds[g]);
                assert_eq!(r.answers[g].as_ref().map(|p| p.expected_cost_usd), best);
            }
        }
    }

    /// The exact frontier has every point of the resolution frontier's costs at
    /// their latencies (it is a superset at the slider's resolution).
    #[test]
    fn the_exact_frontier_covers_the_resolution_frontier() {
        let project = ml_project(200);
        let mut cache = Cache::default();
        let answer = |task, cache: &mut Cache| {
            let job = Job::new(1, 1, project.clone(), task, 1);
            match compute(&job, cache, &mut |_| {}, &|| 0.0) {
                WorkerOutput::Frontier { result: Ok(o), .. } => o,
                other => panic!("{other:?}"),
            }
        };
        let coarse = answer(Task::Frontier, &mut cache);
        let exact = answer(Task::ExactFrontier, &mut cache);
        assert!(exact.resolution.exact && exact.resolution.complete());
        assert!(exact.frontier.points.len() >= coarse.frontier.points.len());
        for p in &coarse.frontier.points {
            let i = exact
                .frontier
                .index_for_latency_bound(p.guaranteed_latency_s)
                .expect("the exact frontier has a plan there");
            assert_eq!(
                exact.frontier.points[i].expected_cost_usd,
                p.expected_cost_usd
            );
        }
    }

    /// Without a budget the rounds are the core's builder; with a budget too
    /// small for some positions, those keep a feasible plan no cheaper than the
    /// optimum, marked unproven, and every proven position is optimal.
    #[test]
    fn a_budget_leaves_positions_unproven_and_keeps_the_rest_exact() {
        let project = ml_project(300);
        let mut cache = Cache::default();
        prepared(&project, &mut cache, &mut |_| {}).expect("prepares");
        let problem = &cache.cached_prepared(&project).expect("kept").problem;
        let positions = 60;
        let mut core = ResolutionBuilder::new(problem, positions).expect("builds");
        while core.step(5) != ResolutionProgress::Finished {}
        let core = core.result();

        let mut free = Rounds::new(problem, positions, None).expect("builds");
        while !free.step(5) {}
        assert_eq!(free.frontier(), core.frontier());
        assert_eq!(free.answers, core.answers);
        let r = free.resolution();
        assert_eq!((r.resolved, r.unproven), (positions as u32, 0));

        let mut tight = Rounds::new(problem, positions, Some(3)).expect("builds");
        while !tight.step(5) {}
        let r = tight.resolution();
        assert!(r.complete());
        assert!(r.unproven > 0, "a 3-node budget proves few positions");
        for g in 0..positions {
            let best = core.answers[g].as_ref().map(|p| p.expected_cost_usd);
            let got = tight.answers[g].as_ref();
            if tight.proven[g] {
                assert_eq!(got.map(|p| p.expected_cost_usd), best, "position {g}");
            } else if let Some(p) = got {
                assert!(p.guaranteed_latency_s <= tight.bounds[g]);
                assert!(p.expected_cost_usd >= best.expect("a plan meets it"));
            }
        }
        let f = tight.frontier();
        for w in f.points.windows(2) {
            assert!(w[0].guaranteed_latency_s < w[1].guaranteed_latency_s);
            assert!(w[0].expected_cost_usd > w[1].expected_cost_usd);
        }
    }
}
