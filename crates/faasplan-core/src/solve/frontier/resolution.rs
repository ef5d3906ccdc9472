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
//! A node budget per position ([`ResolutionBuilder::with_node_budget`]) bounds each
//! solve: a position whose solve runs out of it keeps the best plan found (feasible,
//! not proven optimal, counted by [`ResolvedFrontier::unproven`]) and covers no other
//! position. A refinement ([`ResolutionBuilder::with_refinement`]) then solves the
//! unproven positions again with a larger budget, loosest first, in groups of a fixed
//! size, until a total is spent.
//!
//! The work can be split between solvers that do not share memory (e.g. browser
//! workers): [`ResolutionRounds::next_batch`] gives positions whose solves are
//! independent, [`solve_position`] solves one with any planner of the same problem, and
//! [`ResolutionRounds::record`] takes the answers back. Recorded in the batch's order,
//! the result is bit-identical to [`ResolutionBuilder::step`]'s, whatever the batch
//! sizes: a level (or refinement group) is chosen whole, from what earlier ones
//! recorded, and a batch never spans two of them.
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

use serde::{Deserialize, Serialize};

use super::{Frontier, FrontierPoint};
use crate::problem::SampledProblem;
use crate::settings::{Bound, CostKind};
use crate::solve::{Planner, SolveError, SolveSettings, Status};

/// Progress after a [`ResolutionBuilder::step`].
#[derive(Clone, Debug, PartialEq)]
pub enum ResolutionProgress {
    /// More positions (or refinement solves) remain.
    Running {
        /// Positions with an answer so far (proven, or the budget's best).
        resolved: usize,
        /// Of those, answers not proven optimal (their solve ran out of budget).
        unproven: usize,
        /// All positions.
        positions: usize,
    },
    /// Every position has its answer, and the refinement (if any) is done.
    Finished,
}

/// The frontier at a slider's resolution.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResolvedFrontier {
    /// The positions' latency bounds, s, ascending.
    pub bounds_s: Vec<f64>,
    /// Per position: the cheapest plan meeting its bound (`None`: not yet resolved,
    /// or no plan meets it); for an unproven position the best plan found.
    pub answers: Vec<Option<FrontierPoint>>,
    /// Per position: whether it has its answer (all `true` once finished).
    pub resolved: Vec<bool>,
    /// Per position: whether its answer is proven optimal (or no plan proven to
    /// meet it). Without a node budget, the same as `resolved`.
    pub proven: Vec<bool>,
    /// True when every position is resolved and proven: each answer is exactly
    /// optimal for its bound, but points of the exact frontier between positions
    /// may be missing.
    pub exact_at_resolution: bool,
}

impl ResolvedFrontier {
    /// The answer at the largest resolved position whose bound is at most `max_s`:
    /// a plan that meets `max_s`, optimal for that position's bound when proven.
    pub fn for_latency_bound(&self, max_s: f64) -> Option<&FrontierPoint> {
        let k = self.bounds_s.partition_point(|&b| b <= max_s);
        (0..k)
            .rev()
            .find(|&g| self.resolved[g])
            .and_then(|g| self.answers[g].as_ref())
    }

    /// Resolved positions whose answer is not proven optimal.
    pub fn unproven(&self) -> usize {
        self.resolved
            .iter()
            .zip(&self.proven)
            .filter(|&(&r, &p)| r && !p)
            .count()
    }

    /// The distinct answers as a frontier (ascending latency, descending cost):
    /// what a chart draws. Each point is the cheapest plan at its own latency; when
    /// plans tie in cost, a faster plan of the same cost may exist between positions
    /// (the exact frontier would show that one instead).
    pub fn frontier(&self) -> Frontier {
        distinct(&self.answers)
    }
}

/// The distinct answers, ascending latency, strictly descending cost.
fn distinct(answers: &[Option<FrontierPoint>]) -> Frontier {
    let mut points: Vec<FrontierPoint> = Vec::new();
    for a in answers.iter().flatten() {
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

/// The second pass over unproven positions ([`ResolutionBuilder::with_refinement`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refinement {
    /// Search nodes each second solve may take.
    pub node_budget: u64,
    /// Unproven positions chosen together (loosest first); a fixed number, so the
    /// result does not depend on how a caller batches the solves.
    pub group: usize,
    /// No new group starts once the second solves have taken this many nodes.
    pub total_nodes: u64,
}

/// One position's solve ([`solve_position`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PositionAnswer {
    /// The plan: optimal when `proven`, else the best the budget found.
    pub point: Option<FrontierPoint>,
    /// Proven optimal, or proven that no plan meets the bound.
    pub proven: bool,
    /// Search nodes the solve took.
    pub nodes: u64,
}

/// Positions whose solves are independent ([`ResolutionBuilder::next_batch`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// Positions, in the order their answers are recorded.
    pub positions: Vec<usize>,
    /// The node budget of each solve.
    pub max_nodes: Option<u64>,
}

/// The cheapest plan meeting latency bound `max_s` within `max_nodes`: one
/// position's answer, from any planner of the builder's problem.
pub fn solve_position(planner: &Planner<'_>, max_s: f64, max_nodes: Option<u64>) -> PositionAnswer {
    let sol = planner.solve(SolveSettings {
        bound: Bound::Latency { max_s },
        max_nodes,
    });
    let Ok(sol) = sol else {
        // A bound that is not finite and non-negative: nothing proven.
        return PositionAnswer {
            point: None,
            proven: false,
            nodes: 0,
        };
    };
    let proven = matches!(sol.status, Status::Optimal | Status::Infeasible { .. });
    let point = match sol.status {
        Status::Optimal | Status::Feasible { .. } => sol.plan.map(|plan| FrontierPoint {
            guaranteed_latency_s: sol.guaranteed_latency_s,
            expected_cost_usd: sol.expected_cost_usd,
            plan,
        }),
        Status::Infeasible { .. } | Status::BudgetExhausted { .. } => None,
    };
    PositionAnswer {
        point,
        proven,
        nodes: sol.stats.nodes,
    }
}

/// Which pass the queued positions belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// A level of the coarse-to-fine grid.
    Level,
    /// A refinement group.
    Refine,
    /// Nothing left.
    Done,
}

/// Builds the resolution-bounded frontier level by level (resumable): a
/// [`ResolutionRounds`] and a planner that solves its positions.
pub struct ResolutionBuilder<'p> {
    planner: Planner<'p>,
    rounds: ResolutionRounds,
}

/// The state of a resolution-bounded frontier without its problem: which positions
/// to solve next ([`Self::next_batch`]) and their answers ([`Self::record`]). A
/// caller that solves the positions elsewhere (e.g. in a pool of workers, with
/// [`solve_position`]) keeps this one; [`ResolutionBuilder::into_rounds`] gives it.
#[derive(Clone, Debug)]
pub struct ResolutionRounds {
    budget: Option<u64>,
    refinement: Option<Refinement>,
    bounds: Vec<f64>,
    answers: Vec<Option<FrontierPoint>>,
    /// Answered (proven, or the budget's best).
    resolved: Vec<bool>,
    /// Answered and proven.
    proven: Vec<bool>,
    /// Solved again by the refinement.
    retried: Vec<bool>,
    /// Positions of the current level or refinement group, in recording order.
    queue: Vec<usize>,
    /// Next entry of `queue` to hand out.
    next: usize,
    /// Entries handed out and not recorded yet.
    outstanding: usize,
    phase: Phase,
    /// Spacing of the current level's grid (in positions); 0 at the last level.
    stride: usize,
    nodes: u64,
    refine_nodes: u64,
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
        Ok(ResolutionBuilder {
            planner,
            rounds: ResolutionRounds::new(bounds, fastest.stats.nodes + cheapest.stats.nodes),
        })
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
        Ok(ResolutionBuilder {
            planner: Planner::new(problem)?,
            rounds: ResolutionRounds::new(bounds_s, 0),
        })
    }

    /// Gives each position's solve at most `max_nodes` search nodes (`None`: no
    /// limit, every answer proven). A solve that runs out keeps the best plan found
    /// for its own position only, not proven. Set before the first step.
    pub fn with_node_budget(mut self, max_nodes: Option<u64>) -> Self {
        self.rounds.budget = max_nodes;
        self
    }

    /// Once every position has an answer, solves the unproven ones again as
    /// `refinement` says. Set before the first step.
    pub fn with_refinement(mut self, refinement: Refinement) -> Self {
        self.rounds.refinement = Some(Refinement {
            group: refinement.group.max(1),
            ..refinement
        });
        self
    }

    /// The state without the planner, to solve the positions elsewhere.
    pub fn into_rounds(self) -> ResolutionRounds {
        self.rounds
    }

    /// The state so far.
    pub fn rounds(&self) -> &ResolutionRounds {
        &self.rounds
    }

    /// The positions' latency bounds, s, ascending.
    pub fn bounds_s(&self) -> &[f64] {
        &self.rounds.bounds
    }

    /// Search nodes spent so far.
    pub fn nodes(&self) -> u64 {
        self.rounds.nodes
    }

    /// The planner the builder solves with.
    pub fn planner(&self) -> &Planner<'p> {
        &self.planner
    }

    /// See [`ResolutionRounds::next_batch`].
    pub fn next_batch(&mut self, max: usize) -> Batch {
        self.rounds.next_batch(max)
    }

    /// See [`ResolutionRounds::record`].
    pub fn record(&mut self, g: usize, answer: PositionAnswer) {
        self.rounds.record(g, answer);
    }

    /// Solves at most `solves` positions, in level order.
    pub fn step(&mut self, solves: usize) -> ResolutionProgress {
        let mut left = solves;
        while left > 0 {
            let batch = self.rounds.next_batch(left);
            if batch.positions.is_empty() {
                break;
            }
            for &g in &batch.positions {
                let answer = solve_position(&self.planner, self.rounds.bounds[g], batch.max_nodes);
                self.rounds.record(g, answer);
            }
            left -= batch.positions.len();
        }
        self.rounds.progress()
    }

    /// Where the builder is.
    pub fn progress(&self) -> ResolutionProgress {
        self.rounds.progress()
    }

    /// Solves every remaining position, one level at a time, each level's solves on
    /// every core; the answers are the same as with [`Self::step`].
    #[cfg(feature = "parallel")]
    pub fn run_parallel(&mut self) -> ResolvedFrontier {
        use rayon::prelude::*;
        loop {
            let batch = self.rounds.next_batch(usize::MAX);
            if batch.positions.is_empty() {
                break;
            }
            let (planner, bounds) = (&self.planner, &self.rounds.bounds);
            let answers: Vec<PositionAnswer> = batch
                .positions
                .par_iter()
                .map(|&g| solve_position(planner, bounds[g], batch.max_nodes))
                .collect();
            for (&g, answer) in batch.positions.iter().zip(answers) {
                self.rounds.record(g, answer);
            }
        }
        self.result()
    }

    /// The distinct answers so far as a frontier (see [`ResolvedFrontier::frontier`]).
    pub fn frontier(&self) -> Frontier {
        self.rounds.frontier()
    }

    /// The answers so far (final after [`ResolutionProgress::Finished`]).
    pub fn result(&self) -> ResolvedFrontier {
        self.rounds.result()
    }
}

impl ResolutionRounds {
    /// Rounds over `bounds` (ascending), `nodes` search nodes spent already.
    fn new(bounds: Vec<f64>, nodes: u64) -> Self {
        let n = bounds.len();
        let queue = match n {
            0 => Vec::new(),
            1 => vec![0],
            _ => vec![0, n - 1],
        };
        ResolutionRounds {
            budget: None,
            refinement: None,
            answers: vec![None; n],
            resolved: vec![false; n],
            proven: vec![false; n],
            retried: vec![false; n],
            bounds,
            queue,
            next: 0,
            outstanding: 0,
            phase: if n == 0 { Phase::Done } else { Phase::Level },
            stride: n.saturating_sub(1).max(1),
            nodes,
            refine_nodes: 0,
        }
    }

    /// The positions' latency bounds, s, ascending.
    pub fn bounds_s(&self) -> &[f64] {
        &self.bounds
    }

    /// Search nodes spent so far.
    pub fn nodes(&self) -> u64 {
        self.nodes
    }

    /// Of which spent by the refinement.
    pub fn refine_nodes(&self) -> u64 {
        self.refine_nodes
    }

    /// Positions answered so far, and of those the unproven ones.
    pub fn counts(&self) -> (usize, usize) {
        let resolved = self.resolved.iter().filter(|&&r| r).count();
        (
            resolved,
            resolved - self.proven.iter().filter(|&&p| p).count(),
        )
    }

    fn pass_budget(&self) -> Option<u64> {
        match (self.phase, self.refinement) {
            (Phase::Refine, Some(r)) => Some(r.node_budget),
            _ => self.budget,
        }
    }

    /// Up to `max` positions (≥ 1 unless finished) to solve next, all of one level
    /// or refinement group, so their solves are independent; empty when finished, or
    /// while positions handed out are not recorded yet (record every one, in the
    /// batch's order, before asking again).
    pub fn next_batch(&mut self, max: usize) -> Batch {
        if self.outstanding > 0 {
            return Batch::default();
        }
        while self.next >= self.queue.len() && self.phase != Phase::Done {
            self.advance();
        }
        // Any `max` (`usize::MAX`: the whole rest of the level) after a partial batch.
        let end = self.queue.len().min(self.next.saturating_add(max.max(1)));
        let positions = self.queue[self.next..end].to_vec();
        self.next = end;
        self.outstanding = positions.len();
        Batch {
            positions,
            max_nodes: self.pass_budget(),
        }
    }

    /// Records the answer of a position from the last [`Self::next_batch`].
    /// Answers of other positions are ignored.
    pub fn record(&mut self, g: usize, answer: PositionAnswer) {
        let handed = self.next - self.outstanding..self.next;
        if self.outstanding == 0 || !self.queue[handed].contains(&g) {
            return;
        }
        self.outstanding -= 1;
        self.nodes += answer.nodes;
        match self.phase {
            Phase::Refine => {
                self.refine_nodes += answer.nodes;
                // A second solve that ran out again keeps the first one's plan.
                if answer.proven {
                    self.set(g, answer.point, true);
                }
            }
            Phase::Level | Phase::Done => self.set(g, answer.point, answer.proven),
        }
    }

    /// Records the answer at `g`; a proven one also answers every position it
    /// covers that is not proven yet.
    fn set(&mut self, g: usize, answer: Option<FrontierPoint>, proven: bool) {
        if proven {
            if let Some(a) = &answer {
                let mut h = g;
                while h > 0 && !self.proven[h - 1] && self.bounds[h - 1] >= a.guaranteed_latency_s {
                    h -= 1;
                    self.answers[h] = Some(a.clone());
                    self.resolved[h] = true;
                    self.proven[h] = true;
                }
            } else {
                // No plan meets B_g, hence none meets a tighter bound.
                for h in 0..g {
                    if !self.proven[h] {
                        self.answers[h] = None;
                        self.resolved[h] = true;
                        self.proven[h] = true;
                    }
                }
            }
        }
        self.answers[g] = answer;
        self.resolved[g] = true;
        self.proven[g] = proven;
    }

    /// The next level's positions (midpoints of the current grid not yet
    /// answered), then the refinement groups, then done.
    fn advance(&mut self) {
        self.next = 0;
        if self.phase == Phase::Level && !self.all_resolved() {
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
                if !self.queue.is_empty() {
                    return;
                }
            }
            // The last level: every position still open.
            self.queue = (0..self.bounds.len())
                .filter(|&g| !self.resolved[g])
                .collect();
            self.stride = 0;
            return;
        }
        // Every position answered: a group of the loosest unproven ones, while
        // the refinement's total allows.
        self.queue.clear();
        if let Some(r) = self.refinement
            && self.refine_nodes < r.total_nodes
        {
            self.queue = (0..self.bounds.len())
                .rev()
                .filter(|&g| !self.proven[g] && !self.retried[g])
                .take(r.group)
                .collect();
        }
        for &g in &self.queue {
            self.retried[g] = true;
        }
        self.phase = if self.queue.is_empty() {
            Phase::Done
        } else {
            Phase::Refine
        };
    }

    fn all_resolved(&self) -> bool {
        self.resolved.iter().all(|&r| r)
    }

    /// Whether nothing is left to solve.
    pub fn finished(&self) -> bool {
        self.outstanding == 0
            && self.next >= self.queue.len()
            && match self.phase {
                Phase::Done => true,
                // The refinement's next group would be empty.
                Phase::Level | Phase::Refine => {
                    self.all_resolved()
                        && self.refinement.is_none_or(|r| {
                            self.refine_nodes >= r.total_nodes
                                || (0..self.bounds.len()).all(|g| self.proven[g] || self.retried[g])
                        })
                }
            }
    }

    /// Where the rounds are.
    pub fn progress(&self) -> ResolutionProgress {
        if self.finished() {
            ResolutionProgress::Finished
        } else {
            let (resolved, unproven) = self.counts();
            ResolutionProgress::Running {
                resolved,
                unproven,
                positions: self.bounds.len(),
            }
        }
    }

    /// The distinct answers so far as a frontier (see [`ResolvedFrontier::frontier`]).
    pub fn frontier(&self) -> Frontier {
        distinct(&self.answers)
    }

    /// The answers so far (final after [`ResolutionProgress::Finished`]).
    pub fn result(&self) -> ResolvedFrontier {
        let finished = self.finished();
        ResolvedFrontier {
            bounds_s: self.bounds.clone(),
            answers: self.answers.clone(),
            resolved: self.resolved.clone(),
            proven: self.proven.clone(),
            exact_at_resolution: finished && self.proven.iter().all(|&p| p),
        }
    }
}
