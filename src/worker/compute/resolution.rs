//! The frontier at the slider's resolution, coarse to fine ([`Task::Frontier`]).
//!
//! The exact frontier of a large workflow takes minutes; the slider needs an
//! optimal plan at each of its positions much sooner. After the preparation
//! (fit and sample, cached across jobs) this:
//!
//! 1. solves the job's own latency bound exactly and answers it at once, so the
//!    plan panel has the plan under the slider before anything else;
//! 2. runs the core's `ResolutionBuilder` over [`RESOLUTION_POSITIONS`] latency
//!    bounds from the fastest to the cheapest plan's guaranteed latency, level by
//!    level (both ends, then the midpoints of every gap, …), answering the
//!    frontier so far after rounds of 1, 2, 4, … up to [`MAX_ROUND`] solves,
//!    so the chart fills in evenly;
//! 3. computes the fit report for the profiles chart (once per fit) and answers
//!    the final frontier: every position's plan is optimal for its bound
//!    ("exact at this resolution"); the whole exact frontier is
//!    [`Task::ExactFrontier`](crate::worker::protocol::Task::ExactFrontier).
//!
//! Every answer's frontier is the distinct resolved answers plus the job's own
//! bound's plan, without dominated points (ascending latency, strictly
//! descending cost), so the app's look-ups work on a partial one as on a whole.
//!
//! [`Task::Frontier`]: crate::worker::protocol::Task::Frontier

use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::frontier::{Frontier, FrontierPoint, ResolutionBuilder, ResolutionProgress};
use faasplan_core::pipeline::PipelineError;
use faasplan_core::problem::SampledProblem;
use faasplan_core::settings::Bound;
use faasplan_core::solve::{Planner, SolveSettings, Status};

use super::{Cache, ComputeError, memory_bytes, prepared, tables};
use crate::worker::protocol::{
    PlanOutput, Progress, RESOLUTION_POSITIONS, Resolution, StageFit, Timings,
};

/// Most solves between two answers: the rounds double up to this.
pub const MAX_ROUND: usize = 64;

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
    let positions = RESOLUTION_POSITIONS as u32;
    let mut shell = Shell {
        project,
        fits: known_fits,
        t0,
        t1,
    };

    // 1. The plan for the job's own bound, first.
    let own = own_bound_point(problem, project.settings.bound)?;
    if let Some(p) = &own {
        let front = with_point(Frontier::default(), Some(p.clone()));
        part(shell.output(problem, front, 0, now(), positions, 0)?);
    }

    // 2. The positions, coarse to fine.
    let mut builder =
        ResolutionBuilder::new(problem, RESOLUTION_POSITIONS).map_err(PipelineError::from)?;
    let mut round = 1;
    loop {
        let step = builder.step(round);
        let r = builder.result();
        let resolved = r.resolved.iter().filter(|&&x| x).count() as u32;
        progress(Progress::Resolving {
            resolved: u64::from(resolved),
            positions: u64::from(positions),
        });
        if step == ResolutionProgress::Finished {
            break;
        }
        let front = with_point(r.frontier(), own.clone());
        part(shell.output(problem, front, builder.nodes(), now(), positions, resolved)?);
        round = (round * 2).min(MAX_ROUND);
    }
    let (front, nodes) = (
        with_point(builder.result().frontier(), own),
        builder.nodes(),
    );
    drop(builder);
    let t2 = now();

    // 3. The fit report (once per fit), then the final answer.
    shell.fits = match cache.fit_tables(project) {
        Some(fits) => fits?,
        None => unreachable!("prepared() keeps the fit of the project"),
    };
    let t3 = now();
    let Some(prep) = cache.cached_prepared(project) else {
        unreachable!("prepared() keeps the sampled problem")
    };
    let mut out = shell.output(&prep.problem, front, nodes, now(), positions, positions)?;
    out.timings.fit_ms = t3 - t2;
    out.timings.frontier_ms = t2 - t1;
    Ok(out)
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
        positions: u32,
        resolved: u32,
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
            resolution: Resolution {
                positions,
                resolved,
                exact: false,
            },
        })
    }
}

/// The optimal plan for a finite latency bound as a frontier point (`None` for
/// a cost bound, or when no plan meets it).
fn own_bound_point(
    problem: &SampledProblem,
    bound: Bound,
) -> Result<Option<FrontierPoint>, ComputeError> {
    let Bound::Latency { max_s } = bound else {
        return Ok(None);
    };
    if !max_s.is_finite() || max_s < 0.0 {
        return Ok(None);
    }
    let planner = Planner::new(problem).map_err(PipelineError::from)?;
    let sol = planner
        .solve(SolveSettings {
            bound,
            max_nodes: None,
        })
        .map_err(PipelineError::from)?;
    Ok(match (sol.status, sol.plan) {
        (Status::Optimal, Some(plan)) => Some(FrontierPoint {
            guaranteed_latency_s: sol.guaranteed_latency_s,
            expected_cost_usd: sol.expected_cost_usd,
            plan,
        }),
        _ => None,
    })
}

/// `front` with `point` added unless a point of it is at least as good on both
/// axes; the points it dominates go. Keeps ascending latency and strictly
/// descending cost.
pub fn with_point(mut front: Frontier, point: Option<FrontierPoint>) -> Frontier {
    let Some(p) = point else {
        return front;
    };
    let (l, c) = (p.guaranteed_latency_s, p.expected_cost_usd);
    if front
        .points
        .iter()
        .any(|q| q.guaranteed_latency_s <= l && q.expected_cost_usd <= c)
    {
        return front;
    }
    front
        .points
        .retain(|q| !(l <= q.guaranteed_latency_s && c <= q.expected_cost_usd));
    let i = front.points.partition_point(|q| q.guaranteed_latency_s < l);
    front.points.insert(i, p);
    front
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::compute::{compute, compute_with_parts};
    use crate::worker::protocol::{Job, Task, WorkerOutput};
    use faasplan_core::formats::jolteon::{JolteonProfileOptions, import};
    use faasplan_core::platform::Preset;
    use faasplan_core::settings::{PlanSettings, SampleCount};
    use faasplan_core::solve::Plan;

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

    /// The frontier job answers the plan for its own bound first, then rounds that
    /// fill the frontier in, then the frontier whose every point is the optimum of
    /// its own latency; it equals the core's resolution frontier (plus the own
    /// bound's plan) on the same problem.
    #[test]
    fn rounds_come_coarse_to_fine_and_every_point_is_optimal_for_its_latency() {
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

        let mut parts: Vec<PlanOutput> = Vec::new();
        let job = Job::new(2, 2, project.clone(), Task::Frontier, 2);
        let out = compute_with_parts(
            &job,
            &mut cache,
            &mut |_| {},
            &mut |p| parts.push(p),
            &|| 0.0,
        );
        let WorkerOutput::Frontier {
            rev: 2,
            result: Ok(out),
        } = out
        else {
            panic!("no frontier");
        };
        assert!(parts.len() >= 5, "answered in rounds: {}", parts.len());
        // The first answer is the plan for the job's own bound, alone.
        assert_eq!(parts[0].frontier.points.len(), 1);
        assert_eq!(parts[0].resolution.resolved, 0);
        assert!(parts[0].frontier.points[0].guaranteed_latency_s <= mid_s);
        // Rounds resolve ever more positions, and only the last is complete.
        for w in parts.windows(2) {
            assert!(w[0].resolution.resolved <= w[1].resolution.resolved);
        }
        assert!(
            parts
                .iter()
                .all(|p| !p.resolution.complete() && !p.resolution.exact)
        );
        assert!(out.resolution.complete() && !out.resolution.exact);
        assert_eq!(out.resolution.positions as usize, RESOLUTION_POSITIONS);
        assert_eq!(out.fits.len(), project.workflow.stages.len());

        let problem = &cache.cached_prepared(&project).expect("kept").problem;
        // The core's resolution frontier on the same problem, with the own bound's plan.
        let mut b = ResolutionBuilder::new(problem, RESOLUTION_POSITIONS).expect("builds");
        while b.step(7) != ResolutionProgress::Finished {}
        let own = own_bound_point(problem, project.settings.bound).expect("solves");
        assert_eq!(out.frontier, with_point(b.result().frontier(), own));

        // Every answer (partial ones too) is ordered and each point is the optimum
        // of its own latency.
        for o in parts.iter().chain([&out]) {
            let p = &o.frontier.points;
            assert_eq!(o.point_rows.len(), p.len());
            for w in p.windows(2) {
                assert!(w[0].guaranteed_latency_s < w[1].guaranteed_latency_s);
                assert!(w[0].expected_cost_usd > w[1].expected_cost_usd);
            }
        }
        for p in &out.frontier.points {
            assert_eq!(
                optimum(problem, p.guaranteed_latency_s),
                Some(p.expected_cost_usd)
            );
        }
        // The slider's bound picks the optimum of that bound.
        let i = out.frontier.index_for_latency_bound(mid_s).expect("a plan");
        assert_eq!(
            Some(out.frontier.points[i].expected_cost_usd),
            optimum(problem, mid_s)
        );
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

    fn pt(l: f64, c: f64, k: u32) -> FrontierPoint {
        FrontierPoint {
            guaranteed_latency_s: l,
            expected_cost_usd: c,
            plan: Plan { choice: vec![k] },
        }
    }

    #[test]
    fn an_added_point_keeps_the_frontier_non_dominated_and_ordered() {
        let front = Frontier {
            points: vec![pt(1.0, 9.0, 0), pt(3.0, 5.0, 1), pt(6.0, 2.0, 2)],
        };
        // Dominated (equal cost, more latency) or equal: unchanged.
        assert_eq!(with_point(front.clone(), Some(pt(4.0, 5.0, 7))), front);
        assert_eq!(with_point(front.clone(), Some(pt(3.0, 5.0, 7))), front);
        assert_eq!(with_point(front.clone(), None), front);
        // Between two points: inserted in order.
        let got = with_point(front.clone(), Some(pt(4.0, 4.0, 7)));
        let costs: Vec<f64> = got.points.iter().map(|p| p.expected_cost_usd).collect();
        assert_eq!(costs, [9.0, 5.0, 4.0, 2.0]);
        // Dominating others (same latency and cheaper, or both better): they go.
        let got = with_point(front.clone(), Some(pt(3.0, 4.0, 7)));
        assert_eq!(got.points.len(), 3);
        assert_eq!(got.points[1].plan.choice, [7]);
        let got = with_point(front, Some(pt(0.5, 1.0, 7)));
        assert_eq!(got.points.len(), 1);
        assert_eq!(
            with_point(Frontier::default(), Some(pt(1.0, 1.0, 7)))
                .points
                .len(),
            1
        );
    }
}
