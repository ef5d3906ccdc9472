//! The exact latency–cost Pareto frontier.
//!
//! The frontier is the set of values (guaranteed latency, expected cost) of plans
//! that no other plan beats on both (one plan kept per value pair). It is built by
//! sweeping the latency bound downward: with `B_0 = ∞`, solve "minimise expected
//! cost s.t. the plan meets `B_k`" exactly, record the optimum's (latency `l_k`,
//! cost `c_k`), and continue with the strict next-lower bound
//! `B_{k+1} = the largest float below l_k`, until no plan meets the bound. When
//! `c_{k+1} = c_k` the earlier point is dominated (same cost, higher latency) and is
//! removed. Every non-dominated point is found: between `l_{k+1}` and `l_k` no plan
//! is cheaper than `c_{k+1}`.
//!
//! One search runs the whole sweep: its sample subset (constraint generation) and
//! tables carry over from bound to bound, and the previous point's plan's
//! single-stage neighbours are offered as warm starts.
//!
//! [`FrontierSettings::min_step_s`] > 0 is an exact-but-thinned option: after a
//! point at latency `l`, the next bound is `l − min_step_s`, so every returned
//! point is still exactly optimal for its bound, but points closer than
//! `min_step_s` to a returned one may be skipped. The default (0) is exact.
//!
//! ```
//! use faasplan_core::solve::frontier::{FrontierSettings, frontier};
//! use faasplan_core::solve::synthetic::{Shape, problem};
//!
//! let p = problem(Shape::Video, 200, 1);
//! let f = frontier(&p, FrontierSettings::default())?;
//! let fastest = &f.points[0];
//! // A slider position is a look-up: the cheapest plan that meets 1.5× the fastest.
//! let pick = f.for_latency_bound(1.5 * fastest.guaranteed_latency_s).expect("a point");
//! assert!(pick.expected_cost_usd <= fastest.expected_cost_usd);
//! # Ok::<(), faasplan_core::solve::SolveError>(())
//! ```

mod builder;
mod resolution;
mod sweep;

pub use builder::{FrontierBuilder, FrontierProgress};
pub use resolution::{
    Batch, PositionAnswer, Refinement, ResolutionBuilder, ResolutionProgress, ResolutionRounds,
    ResolvedFrontier, solve_position,
};

use serde::{Deserialize, Serialize};

use crate::problem::SampledProblem;
use crate::solve::{Plan, SolveError};

/// One non-dominated plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrontierPoint {
    /// Guaranteed latency (the smallest bound the plan meets), s.
    pub guaranteed_latency_s: f64,
    /// Expected cost per run, USD.
    pub expected_cost_usd: f64,
    /// The plan.
    pub plan: Plan,
}

/// Settings of the frontier sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct FrontierSettings {
    /// Least latency step between consecutive points, s (0: the exact frontier).
    pub min_step_s: f64,
}

impl Default for FrontierSettings {
    fn default() -> Self {
        FrontierSettings { min_step_s: 0.0 }
    }
}

impl FrontierSettings {
    /// Checks that the step is a non-negative finite number.
    pub fn validate(&self) -> Result<(), SolveError> {
        if !self.min_step_s.is_finite() || self.min_step_s < 0.0 {
            return Err(SolveError::MinStep(self.min_step_s));
        }
        Ok(())
    }
}

/// The frontier: points by ascending latency and strictly descending cost.
///
/// Serde gives it a plain form (`{"points": [{"guaranteed_latency_s", "expected_cost_usd",
/// "plan": {"choice": [..]}}, ..]}`), so a front end (the browser worker's answer)
/// carries it whole and looks bounds up with the methods below.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Frontier {
    /// The points.
    pub points: Vec<FrontierPoint>,
}

impl Frontier {
    /// The cheapest point that meets latency bound `max_s` (binary search).
    pub fn for_latency_bound(&self, max_s: f64) -> Option<&FrontierPoint> {
        self.index_for_latency_bound(max_s).map(|k| &self.points[k])
    }

    /// The fastest point whose expected cost is at most `max_usd` (binary search).
    pub fn for_cost_bound(&self, max_usd: f64) -> Option<&FrontierPoint> {
        self.index_for_cost_bound(max_usd).map(|k| &self.points[k])
    }

    /// The index in `points` of [`Frontier::for_latency_bound`]'s point.
    pub fn index_for_latency_bound(&self, max_s: f64) -> Option<usize> {
        let k = self
            .points
            .partition_point(|p| p.guaranteed_latency_s <= max_s);
        k.checked_sub(1)
    }

    /// The index in `points` of [`Frontier::for_cost_bound`]'s point.
    pub fn index_for_cost_bound(&self, max_usd: f64) -> Option<usize> {
        let k = self
            .points
            .partition_point(|p| p.expected_cost_usd > max_usd);
        (k < self.points.len()).then_some(k)
    }
}

/// Computes the whole frontier of `problem`.
pub fn frontier(
    problem: &SampledProblem,
    settings: FrontierSettings,
) -> Result<Frontier, SolveError> {
    let mut b = FrontierBuilder::new(problem, settings)?;
    while let FrontierProgress::Running { .. } = b.step(1 << 20) {}
    Ok(b.frontier())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::synthetic::{Shape, problem};

    #[test]
    fn a_negative_or_nan_min_step_is_named_as_the_step() {
        let p = problem(Shape::Ml, 50, 1);
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let err = frontier(&p, FrontierSettings { min_step_s: bad })
                .expect_err("an invalid step is refused");
            assert!(matches!(err, SolveError::MinStep(_)), "{err:?}");
            assert!(err.to_string().starts_with("min_step_s "), "{err}");
        }
    }
}
