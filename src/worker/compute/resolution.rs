//! The frontier at the slider's resolution, coarse to fine ([`Task::Frontier`]).
//!
//! The exact frontier of a large workflow takes minutes; the chart and the
//! slider need an optimal plan at each of its positions much sooner. After the
//! preparation (fit and sample, cached across jobs) and the certified solve of
//! the job's own bound (answered first by
//! [`compute_with_parts`](super::compute_with_parts): that is the plan panel's
//! plan), this:
//!
//! 1. runs the core's `ResolutionBuilder` ([`builder`]: a node budget per
//!    position, [`POSITION_NODE_BUDGET`], then a refinement of the unproven
//!    positions, [`REFINEMENT`]) over [`RESOLUTION_POSITIONS`] latency bounds
//!    from the fastest to the cheapest plan's guaranteed latency, level by
//!    level (both ends, then the midpoints of every gap, …), answering the
//!    frontier so far after rounds of 1, 2, 4, … up to [`MAX_ROUND`] solves
//!    (one refinement group a round once every position has a plan), so the
//!    chart fills in evenly;
//! 2. computes the fit report for the profiles chart (once per fit) and answers
//!    the final frontier: every position's plan is optimal for its bound
//!    ("exact at this resolution"), except the positions whose solves ran out of
//!    budget (counted in [`Resolution::unproven`]: the best plan found, feasible);
//!    the whole exact frontier is
//!    [`Task::ExactFrontier`](crate::worker::protocol::Task::ExactFrontier).
//!
//! In the browser the planning worker hands step 1 to a pool of workers
//! (`worker::pool`, with [`Splitter`] splitting each level), so it keeps
//! answering other jobs; [`frontier`] is the same work on one thread, and the
//! two give the same frontier bit for bit.
//!
//! Every answer's frontier is the distinct answers without dominated points
//! (ascending latency, strictly descending cost).
//!
//! [`Task::Frontier`]: crate::worker::protocol::Task::Frontier

use std::collections::BTreeMap;

use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::frontier::{
    Frontier, PositionAnswer, Refinement, ResolutionBuilder, ResolutionProgress, ResolutionRounds,
    solve_position,
};
use faasplan_core::pipeline::PipelineError;
use faasplan_core::problem::SampledProblem;
use faasplan_core::solve::{Planner, SolveError};

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
/// The second pass, once every position has a plan: the unproven positions
/// solved again with 100,000 nodes each, 8 at a time from the loosest down,
/// until 400,000 nodes in all are spent. What is still unproven is said on
/// screen, and the exact frontier proves it.
pub const REFINEMENT: Refinement = Refinement {
    node_budget: 100_000,
    group: 8,
    total_nodes: 400_000,
};

/// The rounds of a frontier job on `problem`: [`RESOLUTION_POSITIONS`]
/// positions, each with [`POSITION_NODE_BUDGET`] nodes, then [`REFINEMENT`].
pub fn builder(problem: &SampledProblem) -> Result<ResolutionBuilder<'_>, SolveError> {
    Ok(ResolutionBuilder::new(problem, RESOLUTION_POSITIONS)?
        .with_node_budget(Some(POSITION_NODE_BUDGET))
        .with_refinement(REFINEMENT))
}

/// How far the positions are answered and proven.
pub fn resolution_of(rounds: &ResolutionRounds) -> Resolution {
    let (resolved, unproven) = rounds.counts();
    Resolution {
        positions: rounds.bounds_s().len() as u32,
        resolved: resolved as u32,
        exact: false,
        unproven: unproven as u32,
    }
}

/// Fit, sample, then the frontier at the slider's resolution (see the module),
/// every position solved on this thread.
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
    let shell = Shell {
        project,
        fits: known_fits,
        t0,
        t1,
    };

    // 1. The positions, coarse to fine, then the refinement.
    let mut rounds = builder(problem).map_err(PipelineError::from)?;
    let mut round = 1;
    loop {
        let step = rounds.step(round);
        let res = resolution_of(rounds.rounds());
        progress(Progress::Resolving {
            resolved: u64::from(res.resolved),
            positions: u64::from(res.positions),
        });
        if step == ResolutionProgress::Finished {
            break;
        }
        part(shell.output(problem, rounds.frontier(), rounds.nodes(), now(), res)?);
        round = if res.resolved == res.positions {
            REFINEMENT.group
        } else {
            (round * 2).min(MAX_ROUND)
        };
    }
    let rounds = rounds.into_rounds();
    finish(project, cache, shell.fits, (t0, t1, now()), &rounds, now)
}

/// The final answer of a frontier job once its rounds are finished: the fit
/// report (once per fit) and the frontier. `times` are the job's start, the
/// end of its preparation and the end of its rounds, ms.
pub fn finish(
    project: &CoreProject,
    cache: &mut Cache,
    known_fits: Vec<StageFit>,
    (t0, t1, t2): (f64, f64, f64),
    rounds: &ResolutionRounds,
    now: &dyn Fn() -> f64,
) -> Result<PlanOutput, ComputeError> {
    let fits = match cache.fit_tables(project) {
        Some(fits) => fits?,
        None if known_fits.is_empty() => return Err(ComputeError::Stale),
        None => known_fits,
    };
    let t3 = now();
    let Some(prep) = cache.cached_prepared(project) else {
        return Err(ComputeError::Stale);
    };
    let shell = Shell {
        project,
        fits,
        t0,
        t1,
    };
    let mut out = shell.output(
        &prep.problem,
        rounds.frontier(),
        rounds.nodes(),
        now(),
        resolution_of(rounds),
    )?;
    out.timings.fit_ms = t3 - t2;
    out.timings.frontier_ms = t2 - t1;
    Ok(out)
}

/// The answer so far of rounds solved elsewhere (a pool's): the frontier with
/// its plan-table rows, on the cached problem of `project`.
pub fn output_so_far(
    project: &CoreProject,
    cache: &Cache,
    (t0, t1): (f64, f64),
    rounds: &ResolutionRounds,
    now_ms: f64,
) -> Result<PlanOutput, ComputeError> {
    let Some(prep) = cache.cached_prepared(project) else {
        return Err(ComputeError::Stale);
    };
    let shell = Shell {
        project,
        fits: cache.known_fit_tables(project).unwrap_or_default(),
        t0,
        t1,
    };
    shell.output(
        &prep.problem,
        rounds.frontier(),
        rounds.nodes(),
        now_ms,
        resolution_of(rounds),
    )
}

/// The first round of `builder` (one solve) and its answer, the frontier so
/// far on the cached problem of `project`; `times` are the job's start and the
/// end of its preparation, ms.
pub fn first_round(
    project: &CoreProject,
    cache: &Cache,
    builder: &mut ResolutionBuilder<'_>,
    times: (f64, f64),
    progress: &mut dyn FnMut(Progress),
    now: &dyn Fn() -> f64,
) -> Result<PlanOutput, ComputeError> {
    builder.step(1);
    let res = resolution_of(builder.rounds());
    progress(Progress::Resolving {
        resolved: u64::from(res.resolved),
        positions: u64::from(res.positions),
    });
    output_so_far(project, cache, times, builder.rounds(), now())
}

/// A pool worker's share: the answers at `bounds` (`(position, bound s)`) with
/// `max_nodes` each, on the (cached) prepared problem of `project`.
pub fn solve_positions(
    project: &CoreProject,
    cache: &mut Cache,
    progress: &mut dyn FnMut(Progress),
    bounds: &[(u32, f64)],
    max_nodes: Option<u64>,
) -> Result<Vec<PositionAnswer>, ComputeError> {
    let prep = prepared(project, cache, progress)?;
    let planner = Planner::new(&prep.problem).map_err(PipelineError::from)?;
    Ok(bounds
        .iter()
        .map(|&(_, max_s)| solve_position(&planner, max_s, max_nodes))
        .collect())
}

/// A share of a round handed to one pool worker ([`Splitter::next_chunk`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    /// Its number, to give its answers back.
    pub id: u64,
    /// The positions and their latency bounds, s.
    pub bounds: Vec<(u32, f64)>,
    /// Search nodes each solve may take.
    pub max_nodes: Option<u64>,
}

/// Splits the rounds' positions between `workers` solvers that answer in any
/// order, and records the answers in the batch's order, so the result is the
/// single-thread one bit for bit (see the core's `ResolutionRounds`).
pub struct Splitter {
    rounds: ResolutionRounds,
    workers: usize,
    /// The current batch's positions, their budget, and how many are handed out.
    batch: Vec<usize>,
    max_nodes: Option<u64>,
    handed: usize,
    /// Answers received, by index in the batch, not recorded yet.
    answers: BTreeMap<usize, PositionAnswer>,
    /// Entries of the batch recorded so far.
    recorded: usize,
    /// Chunk number → its range of indices in the batch.
    chunks: BTreeMap<u64, (usize, usize)>,
    next_id: u64,
}

impl Splitter {
    /// Splits `rounds` for `workers` (≥ 1) solvers.
    pub fn new(rounds: ResolutionRounds, workers: usize) -> Self {
        Splitter {
            rounds,
            workers: workers.max(1),
            batch: Vec::new(),
            max_nodes: None,
            handed: 0,
            answers: BTreeMap::new(),
            recorded: 0,
            chunks: BTreeMap::new(),
            next_id: 0,
        }
    }

    /// The rounds so far.
    pub fn rounds(&self) -> &ResolutionRounds {
        &self.rounds
    }

    /// The next share for an idle worker; `None` while the rest of the current
    /// level is being solved (the next level depends on it), or when finished.
    pub fn next_chunk(&mut self) -> Option<Chunk> {
        if self.handed >= self.batch.len() {
            if self.recorded < self.batch.len() {
                return None;
            }
            let batch = self.rounds.next_batch(usize::MAX);
            if batch.positions.is_empty() {
                return None;
            }
            self.batch = batch.positions;
            self.max_nodes = batch.max_nodes;
            self.handed = 0;
            self.recorded = 0;
        }
        // One worker takes whole levels; several take two shares each a level
        // (each share costs a message; two keep a slow share from idling the rest).
        let size = if self.workers == 1 {
            self.batch.len()
        } else {
            self.batch.len().div_ceil(2 * self.workers).clamp(1, 64)
        };
        let start = self.handed;
        let end = (start + size).min(self.batch.len());
        self.handed = end;
        let id = self.next_id;
        self.next_id += 1;
        self.chunks.insert(id, (start, end));
        let bounds = self.rounds.bounds_s();
        Some(Chunk {
            id,
            bounds: self.batch[start..end]
                .iter()
                .map(|&g| (g as u32, bounds[g]))
                .collect(),
            max_nodes: self.max_nodes,
        })
    }

    /// Takes the answers of chunk `id` (in its order) and records every answer
    /// now in order; true when any was recorded. Unknown chunks, and answers of
    /// the wrong length, are refused.
    pub fn answer(&mut self, id: u64, answers: Vec<PositionAnswer>) -> Result<bool, String> {
        let Some(&(start, end)) = self.chunks.get(&id) else {
            return Err(format!("an answer to an unknown share {id}"));
        };
        if answers.len() != end - start {
            return Err(format!(
                "{} answers to a share of {} positions",
                answers.len(),
                end - start
            ));
        }
        self.chunks.remove(&id);
        for (k, a) in answers.into_iter().enumerate() {
            self.answers.insert(start + k, a);
        }
        let before = self.recorded;
        while let Some(a) = self.answers.remove(&self.recorded) {
            self.rounds.record(self.batch[self.recorded], a);
            self.recorded += 1;
        }
        Ok(self.recorded > before)
    }

    /// Whether every position (and the refinement) is done.
    pub fn finished(&self) -> bool {
        self.rounds.finished()
    }

    /// The rounds, once finished.
    pub fn into_rounds(self) -> ResolutionRounds {
        self.rounds
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
                start: Default::default(),
            },
            resolution,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::compute::tests::ml_project;
    use crate::worker::compute::{compute, compute_with_parts};
    use crate::worker::protocol::{Job, ReportKind, Task, WorkerOutput};
    use faasplan_core::settings::Bound;
    use faasplan_core::solve::{SolveSettings, Status};

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
        // The job's frontier is its builder's, whatever the steps (the budgets as in the job).
        let mut b = builder(problem).expect("builds");
        while b.step(7) != ResolutionProgress::Finished {}
        assert_eq!(out.frontier, b.frontier());
        assert_eq!(out.resolution, resolution_of(b.rounds()));
        let r = b.result();

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
                let best = optimum(problem, r.bounds_s[g]);
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

    /// The rounds left after the first (as `start_frontier` leaves them), split
    /// between one solver (whole levels) or three answering out of order (as
    /// the pool's workers do), give the one-thread job's frontier bit for bit;
    /// a share's answers of the wrong length, or to an unknown share, are refused.
    #[test]
    fn a_split_between_workers_gives_the_one_thread_frontier() {
        let project = ml_project(120);
        let mut cache = Cache::default();
        let job = Job::new(1, 1, project.clone(), Task::Frontier, 1);
        let WorkerOutput::Frontier {
            result: Ok(alone), ..
        } = compute(&job, &mut cache, &mut |_| {}, &|| 0.0)
        else {
            panic!("no frontier");
        };
        for workers in [1, 3] {
            let pooled = split_between(&project, &mut cache, workers);
            assert_eq!(pooled.frontier, alone.frontier);
            assert_eq!(pooled.resolution, alone.resolution);
            assert_eq!(pooled.nodes, alone.nodes);
            assert_eq!(pooled.point_rows, alone.point_rows);
        }
    }

    /// The frontier job's rounds after its first, solved by `workers` solvers.
    fn split_between(project: &CoreProject, cache: &mut Cache, workers: usize) -> PlanOutput {
        let problem = &cache.cached_prepared(project).expect("kept").problem;
        let mut first = builder(problem).expect("builds");
        first_round(project, cache, &mut first, (0.0, 0.0), &mut |_| {}, &|| 0.0).expect("answers");
        let mut split = Splitter::new(first.into_rounds(), workers);
        let mut busy: Vec<Chunk> = Vec::new();
        let mut turn = 0usize;
        loop {
            while busy.len() < workers {
                match split.next_chunk() {
                    Some(c) => busy.push(c),
                    None => break,
                }
            }
            if busy.is_empty() {
                break;
            }
            // Answer the shares out of order: the newest first every other turn.
            turn += 1;
            let c = if turn.is_multiple_of(2) {
                busy.pop().expect("one")
            } else {
                busy.remove(0)
            };
            let answers = solve_positions(project, cache, &mut |_| {}, &c.bounds, c.max_nodes)
                .expect("solves");
            if c.bounds.len() > 1 {
                let short = answers[1..].to_vec();
                assert!(split.answer(c.id, short).is_err());
            }
            split.answer(c.id, answers).expect("recorded");
            assert!(split.answer(c.id, Vec::new()).is_err(), "answered twice");
        }
        assert!(split.finished());
        let rounds = split.into_rounds();
        finish(
            project,
            cache,
            Vec::new(),
            (0.0, 0.0, 0.0),
            &rounds,
            &|| 0.0,
        )
        .expect("answers")
    }

    /// A pool of one worker fewer than the cores, at most four, fewer when their
    /// tables would not fit the pool's memory, and always one.
    #[test]
    fn the_pool_is_sized_by_cores_and_memory() {
        use crate::worker::pool::{POOL_TABLE_BYTES, pool_size};
        assert_eq!(pool_size(2, 1 << 20), 1);
        assert_eq!(pool_size(3, 1 << 20), 2);
        assert_eq!(pool_size(16, 1 << 20), 4);
        assert_eq!(pool_size(1, 1 << 20), 1);
        assert_eq!(pool_size(0, 1 << 20), 1);
        assert_eq!(pool_size(8, POOL_TABLE_BYTES / 3), 2);
        assert_eq!(pool_size(8, POOL_TABLE_BYTES * 2), 1);
    }
}
