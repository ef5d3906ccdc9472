//! The resumable frontier sweep.

use super::sweep::Sweep;
use super::{Frontier, FrontierPoint, FrontierSettings};
use crate::problem::SampledProblem;
use crate::solve::{Caps, Goal, Plan, Precomputed, Search, SolveError, below, validate};
use std::sync::Arc;

/// Progress after a [`FrontierBuilder::step`].
#[derive(Clone, Debug, PartialEq)]
pub enum FrontierProgress {
    /// More work remains.
    Running {
        /// Points found so far.
        points: usize,
        /// Search nodes so far.
        nodes: u64,
    },
    /// The frontier is complete.
    Finished,
}

/// Builds the frontier step by step (the browser worker reports between steps).
pub struct FrontierBuilder<'p> {
    problem: &'p SampledProblem,
    settings: FrontierSettings,
    /// The exact frontier (`min_step_s = 0`) when `a > 0`: one best-first pass (`sweep.rs`).
    sweep: Option<Box<Sweep<'p>>>,
    /// Otherwise: one bound after the other.
    search: Search<'p>,
    points: Vec<FrontierPoint>,
    done: bool,
    /// Thinned sweeps only: the search is a tie probe for the last point (does a plan
    /// of the same cost meet a strictly lower bound?).
    probing: bool,
    past_nodes: u64,
}

const INF: f64 = f64::INFINITY;

fn lim(lat_max: f64) -> Caps {
    lim_cost(lat_max, INF)
}

fn lim_cost(lat_max: f64, mean_max: f64) -> Caps {
    Caps {
        lat_max,
        costq_max: INF,
        mean_max,
    }
}

impl<'p> FrontierBuilder<'p> {
    /// Validates the problem and prepares the sweep.
    pub fn new(
        problem: &'p SampledProblem,
        settings: FrontierSettings,
    ) -> Result<Self, SolveError> {
        settings.validate()?;
        validate(problem, false)?;
        // The one-pass sweep wins when a > 0 (the bundled workflows: 5–9× less CPU); at
        // a = 0 the bound-by-bound search's dynamic cost and budget bounds prune more
        // (long chains: 12 stages 3.3 s against 8.4 s). Both are exact.
        let exact = settings.min_step_s == 0.0 && problem.allowed_violations > 0;
        let prep = Arc::new(Precomputed::new(problem, false));
        let sweep = exact.then(|| Box::new(Sweep::new(Arc::clone(&prep))));
        Ok(FrontierBuilder {
            problem,
            settings,
            sweep,
            search: Search::new(prep, Goal::Cost, lim(INF)),
            points: Vec::new(),
            done: false,
            probing: false,
            past_nodes: 0,
        })
    }

    /// Search nodes spent so far.
    pub fn nodes(&self) -> u64 {
        match &self.sweep {
            Some(s) => s.nodes,
            None => self.past_nodes + self.search.nodes,
        }
    }

    /// Runs at most about `budget` search nodes.
    pub fn step(&mut self, budget: u64) -> FrontierProgress {
        if let Some(s) = &mut self.sweep {
            self.done = s.step(budget);
            if !self.done {
                return FrontierProgress::Running {
                    points: s.points.len(),
                    nodes: s.nodes,
                };
            }
            return FrontierProgress::Finished;
        }
        let stop = self.nodes().saturating_add(budget);
        while !self.done && self.nodes() < stop {
            let left = stop - self.nodes();
            if self.search.step(left) {
                self.point_found();
            }
        }
        if self.done {
            FrontierProgress::Finished
        } else {
            FrontierProgress::Running {
                points: self.points.len(),
                nodes: self.nodes(),
            }
        }
    }

    fn point_found(&mut self) {
        let inc = self.search.inc.clone();
        let found = inc.and_then(|inc| {
            let l = self.search.guaranteed_latency(&inc.choice)?;
            Some((l, inc))
        });
        let Some((l, inc)) = found else {
            if self.probing {
                // No plan of the last point's cost is faster: take the thinned step.
                self.probing = false;
                self.thinned_step();
            } else {
                self.done = true;
            }
            return;
        };
        if self
            .points
            .last()
            .is_some_and(|p| p.expected_cost_usd == inc.value)
        {
            // Same cost, lower latency: the earlier point is dominated.
            self.points.pop();
        }
        let plan = Plan { choice: inc.choice };
        self.points.push(FrontierPoint {
            guaranteed_latency_s: l,
            expected_cost_usd: inc.value,
            plan: plan.clone(),
        });
        if self.settings.min_step_s > 0.0 {
            // A thinned sweep skips bounds, so first make sure no plan of this cost
            // meets a lower bound (else this point would be weakly dominated).
            self.probing = true;
            self.search
                .restart(lim_cost(below(l), inc.value), inc.value);
        } else {
            // The next bound is tighter, so its optimum costs at least this point's cost.
            self.search.restart(lim(below(l)), inc.value);
        }
        self.warm_start(&plan.choice, inc.value);
    }

    /// After a thinned point at latency `l`: the next bound is `l − min_step_s`.
    fn thinned_step(&mut self) {
        let Some(last) = self.points.last().cloned() else {
            self.done = true;
            return;
        };
        let l = last.guaranteed_latency_s;
        let next = below(l - self.settings.min_step_s).min(below(l));
        self.search.restart(lim(next), last.expected_cost_usd);
        self.warm_start(&last.plan.choice, last.expected_cost_usd);
    }

    /// Offers the previous plan's single-stage changes, cheapest first, until one holds.
    /// `floor` is a proven lower bound on the cost of any plan meeting the new bound
    /// (the previous point's cost: its bound was looser), so cheaper changes are skipped
    /// unchecked; the others are screened on S in (cost, stage, configuration) order
    /// and offered (checked on every sample) until one is accepted.
    fn warm_start(&mut self, prev: &[u32], floor: f64) {
        let p = self.problem;
        let mut moves: Vec<(f64, usize, u32)> = Vec::new();
        let mut c = prev.to_vec();
        for (i, t) in p.stages.iter().enumerate() {
            for j in 0..t.configs.len() as u32 {
                if j != prev[i] {
                    c[i] = j;
                    if let Some(cost) = self.search.expected_cost(&c)
                        && cost >= floor
                    {
                        moves.push((cost, i, j));
                    }
                }
            }
            c[i] = prev[i];
        }
        moves.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        for (_, i, j) in moves {
            c[i] = j;
            if self.search.screen(&c).is_some() && self.search.offer(&c) {
                return;
            }
            c[i] = prev[i];
        }
    }

    /// The frontier found so far (complete after [`FrontierProgress::Finished`]).
    pub fn frontier(&self) -> Frontier {
        let mut points = match &self.sweep {
            Some(s) => s.points.clone(),
            None => self.points.clone(),
        };
        points.reverse();
        Frontier { points }
    }
}
