//! The resumable solver: phases over the search engine.
//!
//! - Main: the bounded problem (latency mode minimises cost; cost mode minimises
//!   guaranteed latency).
//! - Tie (cost mode only): the cheapest plan among those with the optimal latency.
//! - Nearest (when Main finds no plan): the tightest achievable bound.

use super::precomputed::Precomputed;
use super::search::{Goal, Search};
use super::{Plan, Solution, SolveError, SolveProgress, SolveSettings, Stats, Status, limits};
use crate::problem::SampledProblem;
use crate::settings::{Bound, CostKind};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Main,
    Tie,
    Nearest,
    Done,
}

/// A resumable exact solve (argmin style): build it, call [`Solver::step`] until
/// [`SolveProgress::Finished`], then read [`Solver::solution`] (also valid mid-way).
pub struct Solver<'p> {
    bound: Bound,
    search: Search<'p>,
    phase: Phase,
    main_plan: Option<Vec<u32>>,
    past_nodes: u64,
    past_rounds: u64,
    status: Option<Status>,
}

const INF: f64 = f64::INFINITY;

impl<'p> Solver<'p> {
    /// Validates the problem and settings and prepares the search (use a
    /// [`Planner`](super::Planner) to prepare once for many solves).
    pub fn new(problem: &'p SampledProblem, settings: SolveSettings) -> Result<Self, SolveError> {
        super::Planner::new(problem)?.solver(settings)
    }

    pub(crate) fn from_prepared(prep: Arc<Precomputed<'p>>, settings: SolveSettings) -> Self {
        let (goal, lim) = match settings.bound {
            Bound::Latency { max_s } => (Goal::Cost, limits(max_s, INF, INF)),
            Bound::Cost { max_usd, kind } => match kind {
                CostKind::Mean => (Goal::Latency, limits(INF, INF, max_usd)),
                CostKind::Quantile => (Goal::Latency, limits(INF, max_usd, INF)),
            },
        };
        Solver {
            bound: settings.bound,
            search: Search::new(prep, goal, lim),
            phase: Phase::Main,
            main_plan: None,
            past_nodes: 0,
            past_rounds: 0,
            status: None,
        }
    }

    /// Search nodes spent so far.
    pub fn nodes(&self) -> u64 {
        self.past_nodes + self.search.nodes
    }

    /// Runs at most about `budget` search nodes.
    pub fn step(&mut self, budget: u64) -> SolveProgress {
        let stop = self.nodes().saturating_add(budget);
        while self.phase != Phase::Done && self.nodes() < stop {
            let left = stop - self.nodes();
            if self.search.step(left) {
                self.next_phase();
            }
        }
        if self.phase == Phase::Done {
            SolveProgress::Finished
        } else {
            SolveProgress::Running {
                nodes: self.nodes(),
            }
        }
    }

    fn switch(&mut self, goal: Goal, lim: super::Caps) {
        self.past_nodes += self.search.nodes;
        self.past_rounds += self.search.rounds;
        self.search = self.search.fork(goal, lim);
    }

    fn next_phase(&mut self) {
        let inc = self.search.inc.clone();
        match (self.phase, self.bound, inc) {
            (Phase::Main, Bound::Latency { .. }, Some(x)) => self.finish(Status::Optimal, x.choice),
            (Phase::Main, Bound::Cost { max_usd, kind }, Some(x)) => {
                let lim = match kind {
                    CostKind::Mean => limits(x.value, INF, max_usd),
                    CostKind::Quantile => limits(x.value, max_usd, INF),
                };
                self.switch(Goal::Cost, lim);
                self.search.offer(&x.choice);
                self.main_plan = Some(x.choice);
                self.phase = Phase::Tie;
            }
            (Phase::Main, bound, None) => {
                let goal = match bound {
                    Bound::Latency { .. } => Goal::Latency,
                    Bound::Cost {
                        kind: CostKind::Mean,
                        ..
                    } => Goal::Cost,
                    Bound::Cost {
                        kind: CostKind::Quantile,
                        ..
                    } => Goal::CostQuantile,
                };
                self.switch(goal, limits(INF, INF, INF));
                self.phase = Phase::Nearest;
            }
            (Phase::Tie, _, x) => {
                let choice = x.map(|x| x.choice).or_else(|| self.main_plan.clone());
                self.finish_opt(Status::Optimal, choice);
            }
            (Phase::Nearest, _, x) => {
                let status = Status::Infeasible {
                    nearest_bound: x.map(|x| x.value),
                };
                self.finish_opt(status, None);
            }
            (Phase::Done, _, _) => {}
        }
    }

    fn finish(&mut self, status: Status, choice: Vec<u32>) {
        self.finish_opt(status, Some(choice));
    }

    fn finish_opt(&mut self, status: Status, choice: Option<Vec<u32>>) {
        self.status = Some(status);
        self.main_plan = choice;
        self.phase = Phase::Done;
    }

    /// The current answer: final after [`SolveProgress::Finished`], else the best so far.
    pub fn solution(&mut self) -> Solution {
        let (status, choice) = match (self.phase, &self.status) {
            (Phase::Done, Some(s)) => (s.clone(), self.main_plan.clone()),
            (Phase::Main, _) => {
                let lb = self.search.lower_bound();
                match self.search.inc.clone() {
                    Some(x) => {
                        let gap = if x.value > 0.0 {
                            ((x.value - lb) / x.value).max(0.0)
                        } else {
                            0.0
                        };
                        (Status::Feasible { gap }, Some(x.choice))
                    }
                    None => (Status::BudgetExhausted { lower_bound: lb }, None),
                }
            }
            (Phase::Tie, _) => {
                let best = self.search.inc.clone().map(|x| x.choice);
                (Status::Optimal, best.or_else(|| self.main_plan.clone()))
            }
            _ => {
                let best = self.search.inc.as_ref().map(|x| x.value);
                (
                    Status::Infeasible {
                        nearest_bound: best,
                    },
                    None,
                )
            }
        };
        let (mut l, mut c) = (f64::NAN, f64::NAN);
        if let Some(choice) = &choice {
            l = self.search.guaranteed_latency(choice).unwrap_or(f64::NAN);
            c = self.search.expected_cost(choice).unwrap_or(f64::NAN);
        }
        let plan = choice.map(|choice| Plan { choice });
        Solution {
            status,
            guaranteed_latency_s: l,
            expected_cost_usd: c,
            plan,
            stats: Stats {
                nodes: self.nodes(),
                rounds: self.past_rounds + self.search.rounds,
                samples_used: self.search.subset_len(),
            },
        }
    }
}
