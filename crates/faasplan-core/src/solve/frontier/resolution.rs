//! The resolution-bounded frontier: a proven-optimal plan at every slider position.
//!
//! When the exact frontier is too big to sweep, the slider still needs an answer at
//! each of its positions. Positions are latency bounds `B_0 < … < B_{P−1}` spaced
//! evenly from the fastest guaranteed latency any plan reaches to the guaranteed
//! latency of the cheapest plan (above it every bound has the same answer). Each
//! position gets the exact optimum of "minimise expected cost s.t. the plan meets
//! `B_g`" — exact *at this resolution*: between two positions the true frontier may
//! have points that are not shown, but every shown answer is optimal for its bound.
//!
//! Work is coarse to fine: level 0 solves the two ends, and each later level the
//! midpoints of the previous level's gaps, so a chart fills in evenly. An answer is
//! reused: the optimum at `B` with guaranteed latency `l` is also optimal at every
//! bound in `[l, B]` (it is feasible there, and no bound in that range admits a
//! cheaper plan), so a position covered by a solved one is not solved again. The
//! positions solved at a level depend only on earlier levels, so the solves of one
//! level are independent: with the `parallel` feature they run on every core, and the
//! results are identical to the single-threaded ones.
//!
//! ```
//! use faasplan_core::solve::frontier::{ResolutionBuilder, ResolutionProgress};
//! use faasplan_core::solve::synthetic::{Shape, problem};
//!
//! let p = problem(Shape::Video, 200, 1);
//! let mut b = ResolutionBuilder::new(&p, 50)?;
//! while let ResolutionProgress::Running { .. } = b.step(1) {}
//! let r = b.result();
//! assert!(r.exact_at_resolution);
//! let pick = r.for_latency_bound(r.bounds_s[25]).expect("a plan");
//! assert!(pick.guaranteed_latency_s <= r.bounds_s[25]);
//! # Ok::<(), faasplan_core::solve::SolveError>(())
//! ```

use super::{Frontier, FrontierPoint};
use crate::problem::SampledProblem;
use crate::settings::{Bound, CostKind};
use crate::solve::{Planner, SolveError, SolveSettings, Status};

/// Progress after a [`ResolutionBuilder::step`].
#[derive(Clone, Debug, PartialEq)]
pub enum ResolutionProgress {
    /// More positions remain.
    Running {
        /// Positions with a proven answer so far.
        resolved: usize,
        /// All positions.
        positions: usize,
    },
    /// Every position has its proven answer.
    Finished,
}

/// The frontier at a slider's resolution.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResolvedFrontier {
    /// The positions' latency bounds, s, ascending.
    pub bounds_s: Vec<f64>,
    /// Per position: the cheapest plan meeting its bound (`None`: not yet resolved,
    /// or no plan meets it).
    pub answers: Vec<Option<FrontierPoint>>,
    /// Per position: whether its answer is proven (all `true` once finished).
    pub resolved: Vec<bool>,
    /// True when every position is resolved: each answer is exactly optimal for its
    /// bound, but points of the exact frontier between positions may be missing.
    pub exact_at_resolution: bool,
}

impl ResolvedFrontier {
    /// The resolved answer at the largest position whose bound is at most `max_s`:
    /// a plan that meets `max_s`, optimal for that position's bound.
    pub fn for_latency_bound(&self, max_s: f64) -> Option<&FrontierPoint> {
        let k = self.bounds_s.partition_point(|&b| b <= max_s);
        (0..k)
            .rev()
            .find(|&g| self.resolved[g])
            .and_then(|g| self.answers[g].as_ref())
    }

    /// The distinct answers as a frontier (ascending latency, descending cost):
    /// what a chart draws. Each point is the cheapest plan at its own latency; when
    /// plans tie in cost, a faster plan of the same cost may exist between positions
    /// (the exact frontier would show that one instead).
    pub fn frontier(&self) -> Frontier {
        let mut points: Vec<FrontierPoint> = Vec::new();
        for a in self.answers.iter().flatten() {
            if points.last().is_some_and(|p| p.plan == a.plan) {
                continue;
            }
            // A later (looser) answer of equal cost and more latency is dominated.
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

/// Builds the resolution-bounded frontier level by level (resumable).
pub struct ResolutionBuilder<'p> {
    planner: Planner<'p>,
    bounds: Vec<f64>,
    answers: Vec<Option<FrontierPoint>>,
    resolved: Vec<bool>,
    /// Positions to solve at the current level, ascending.
    queue: Vec<usize>,
    /// Next entry of `queue`.
    next: usize,
    /// Spacing of the current level's grid (in positions); 0 when finished.
    stride: usize,
    nodes: u64,
}

impl<'p> ResolutionBuilder<'p> {
    /// Validates `problem` and finds the bounds of `positions` (≥ 2) slider positions:
    /// two exact solves (the fastest plan and the cheapest plan).
    pub fn new(problem: &'p SampledProblem, positions: usize) -> Result<Self, SolveError> {
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
        let bounds = if lo.is_finite() && hi.is_finite() {
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
        Ok(Self::with_planner(
            planner,
            bounds,
            fastest.stats.nodes + cheapest.stats.nodes,
        ))
    }

    /// A builder for the given latency bounds (ascending, finite), e.g. a slider's own
    /// positions.
    pub fn with_bounds(
        problem: &'p SampledProblem,
        bounds_s: Vec<f64>,
    ) -> Result<Self, SolveError> {
        if let Some(&b) = bounds_s.iter().find(|b| !b.is_finite() || **b < 0.0) {
            return Err(SolveError::Bound(b));
        }
        if bounds_s.windows(2).any(|w| w[1] < w[0]) {
            return Err(SolveError::Positions(bounds_s.len()));
        }
        Ok(Self::with_planner(Planner::new(problem)?, bounds_s, 0))
    }

    fn with_planner(planner: Planner<'p>, bounds: Vec<f64>, nodes: u64) -> Self {
        let n = bounds.len();
        let queue = match n {
            0 => Vec::new(),
            1 => vec![0],
            _ => vec![0, n - 1],
        };
        ResolutionBuilder {
            planner,
            answers: vec![None; n],
            resolved: vec![false; n],
            bounds,
            queue,
            next: 0,
            stride: n.saturating_sub(1).max(1),
            nodes,
        }
    }

    /// Search nodes spent so far.
    pub fn nodes(&self) -> u64 {
        self.nodes
    }

    fn solve_at(&self, g: usize) -> (Option<FrontierPoint>, u64) {
        let sol = self.planner.solve(SolveSettings {
            bound: Bound::Latency {
                max_s: self.bounds[g],
            },
            max_nodes: None,
        });
        match sol {
            Ok(sol) if sol.status == Status::Optimal => {
                let nodes = sol.stats.nodes;
                let point = sol.plan.map(|plan| FrontierPoint {
                    guaranteed_latency_s: sol.guaranteed_latency_s,
                    expected_cost_usd: sol.expected_cost_usd,
                    plan,
                });
                (point, nodes)
            }
            Ok(sol) => (None, sol.stats.nodes),
            // The bounds were validated: a solve cannot fail on input.
            Err(_) => (None, 0),
        }
    }

    /// Records the answer at `g` and every position it covers.
    fn record(&mut self, g: usize, answer: Option<FrontierPoint>) {
        if let Some(a) = &answer {
            let mut h = g;
            while h > 0 && !self.resolved[h - 1] && self.bounds[h - 1] >= a.guaranteed_latency_s {
                h -= 1;
                self.answers[h] = Some(a.clone());
                self.resolved[h] = true;
            }
        } else {
            // No plan meets B_g, hence none meets a tighter bound.
            for h in 0..g {
                self.resolved[h] = true;
            }
        }
        self.answers[g] = answer;
        self.resolved[g] = true;
    }

    /// The next level's positions: midpoints of the current grid not yet resolved.
    fn next_level(&mut self) {
        while self.stride > 1 {
            let half = self.stride / 2;
            let n = self.bounds.len();
            self.queue = (0..n)
                .skip(half)
                .step_by(self.stride.max(1))
                .filter(|&g| !self.resolved[g])
                .collect();
            // Positions between the grid points are picked up at finer levels; a
            // stride that does not halve evenly leaves them to the last level.
            self.stride = half;
            self.next = 0;
            if !self.queue.is_empty() {
                return;
            }
        }
        // The last level: every position still open.
        self.queue = (0..self.bounds.len())
            .filter(|&g| !self.resolved[g])
            .collect();
        self.next = 0;
        self.stride = 0;
    }

    fn finished(&self) -> bool {
        self.resolved.iter().all(|&r| r)
    }

    /// Solves at most `solves` positions, in level order.
    pub fn step(&mut self, solves: usize) -> ResolutionProgress {
        let mut left = solves;
        while left > 0 && !self.finished() {
            if self.next >= self.queue.len() {
                self.next_level();
                continue;
            }
            let g = self.queue[self.next];
            self.next += 1;
            // Answers only cover positions below their own, and a level's queue is
            // ascending: no queued position is resolved by an earlier one of its level,
            // so every position of a level is solved, as in `run_parallel`.
            let (answer, nodes) = self.solve_at(g);
            self.nodes += nodes;
            self.record(g, answer);
            left -= 1;
        }
        self.progress()
    }

    fn progress(&self) -> ResolutionProgress {
        if self.finished() {
            ResolutionProgress::Finished
        } else {
            ResolutionProgress::Running {
                resolved: self.resolved.iter().filter(|&&r| r).count(),
                positions: self.bounds.len(),
            }
        }
    }

    /// Solves every remaining position, one level at a time, each level's solves on
    /// every core; the answers are the same as with [`Self::step`].
    #[cfg(feature = "parallel")]
    pub fn run_parallel(&mut self) -> ResolvedFrontier {
        use rayon::prelude::*;
        while !self.finished() {
            if self.next >= self.queue.len() {
                self.next_level();
                continue;
            }
            let todo: Vec<usize> = self.queue[self.next..].to_vec();
            self.next = self.queue.len();
            let this = &*self;
            let answers: Vec<(Option<FrontierPoint>, u64)> =
                todo.par_iter().map(|&g| this.solve_at(g)).collect();
            for (&g, (answer, nodes)) in todo.iter().zip(answers) {
                self.nodes += nodes;
                self.record(g, answer);
            }
        }
        self.result()
    }

    /// The answers so far (final after [`ResolutionProgress::Finished`]).
    pub fn result(&self) -> ResolvedFrontier {
        ResolvedFrontier {
            bounds_s: self.bounds.clone(),
            answers: self.answers.clone(),
            resolved: self.resolved.clone(),
            exact_at_resolution: self.finished(),
        }
    }
}
