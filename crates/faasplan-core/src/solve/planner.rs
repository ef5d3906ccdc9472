//! A validated, prepared problem that many solves reuse (slider moves, bound sweeps).
//!
//! Preparation (validation and per-stage dominance) reads the whole sample table
//! and is most of the time of a single solve from scratch; a [`Planner`] does it
//! once. Quantile cost bounds need dominance that also compares per-sample costs,
//! prepared (and the per-sample costs validated) on first use.

use super::precomputed::{Precomputed, validate, validate_sample_costs};
use super::{Solution, SolveError, SolveSettings, Solver, solve_with};
use crate::problem::SampledProblem;
use crate::settings::{Bound, CostKind};
use std::sync::Arc;
use std::sync::OnceLock;

/// A problem prepared for repeated solves.
pub struct Planner<'p> {
    problem: &'p SampledProblem,
    mean: Arc<Precomputed<'p>>,
    quantile: OnceLock<Arc<Precomputed<'p>>>,
}

impl<'p> Planner<'p> {
    /// Validates `problem` and prepares it.
    pub fn new(problem: &'p SampledProblem) -> Result<Self, SolveError> {
        validate(problem, false)?;
        Ok(Planner {
            problem,
            mean: Arc::new(Precomputed::new(problem, false)),
            quantile: OnceLock::new(),
        })
    }

    pub(crate) fn prepared_for(&self, bound: Bound) -> Result<Arc<Precomputed<'p>>, SolveError> {
        if let Bound::Cost {
            kind: CostKind::Quantile,
            ..
        } = bound
        {
            if let Some(p) = self.quantile.get() {
                return Ok(Arc::clone(p));
            }
            validate_sample_costs(self.problem)?;
            let p = Arc::new(Precomputed::new(self.problem, true));
            return Ok(Arc::clone(self.quantile.get_or_init(|| p)));
        }
        Ok(Arc::clone(&self.mean))
    }

    /// A resumable solver for `settings`.
    pub fn solver(&self, settings: SolveSettings) -> Result<Solver<'p>, SolveError> {
        settings.validate()?;
        Ok(Solver::from_prepared(
            self.prepared_for(settings.bound)?,
            settings,
        ))
    }

    /// Solves `settings` (spending at most `settings.max_nodes` nodes).
    pub fn solve(&self, settings: SolveSettings) -> Result<Solution, SolveError> {
        let max = settings.max_nodes;
        Ok(solve_with(self.solver(settings)?, max))
    }
}
