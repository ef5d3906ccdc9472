//! AWS Lambda Power Tuning, applied to each stage on its own.
//!
//! Rule: Power Tuning invokes one function at a list of memory sizes and picks
//! one by a strategy over the measured averages. There is no workflow view, no
//! bound and no percentile. Here every stage is tuned independently over its
//! measured configurations ([`Measured`]):
//!
//! - `cost`: the least mean cost per run;
//! - `speed`: the least mean duration;
//! - `balanced`: the least `w·cost/max_cost + (1 − w)·duration/max_duration`
//!   with Power Tuning's default weight w = 0.5 (maxima over the stage's
//!   measured configurations).
//!
//! These are the strategies and the formula of Power Tuning's analyzer, with its
//! tie-breaks (cost: the faster; speed: the cheaper), then the smaller memory
//! and d. Its duration is the function's; here it is the stage's measured wall
//! time, the closest a stage of d instances has. Power Tuning does not
//! choose d: the stage takes the profiled d of the configuration the strategy
//! prefers (at the chosen memory, that is the d whose measurement scores best).
//! The chosen (memory, d) is mapped to the nearest candidate: same d if the
//! stage has it (else the nearest d), then the nearest memory (ties: smaller).
//! A stage without measurements takes its smallest candidate.

use super::inputs::{Measured, MeasuredConfig};
use crate::problem::SampledProblem;
use crate::solve::Plan;

/// Power Tuning's strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Cheapest.
    Cost,
    /// Fastest.
    Speed,
    /// Balanced, weight 0.5.
    Balanced,
}

/// Power Tuning's default balanced weight.
pub const BALANCED_WEIGHT: f64 = 0.5;

/// The measured configuration `strategy` picks among `measured` (non-empty).
pub fn pick(measured: &[MeasuredConfig], strategy: Strategy) -> Option<MeasuredConfig> {
    let max_cost = measured.iter().map(|m| m.cost_usd).fold(0.0, f64::max);
    let max_dur = measured.iter().map(|m| m.duration_s).fold(0.0, f64::max);
    let score = |m: &MeasuredConfig| match strategy {
        Strategy::Cost => m.cost_usd,
        Strategy::Speed => m.duration_s,
        Strategy::Balanced => {
            let w = BALANCED_WEIGHT;
            w * m.cost_usd / max_cost.max(f64::MIN_POSITIVE)
                + (1.0 - w) * m.duration_s / max_dur.max(f64::MIN_POSITIVE)
        }
    };
    // Power Tuning's tie-breaks: cost → faster, speed → cheaper; then the smaller size.
    let tie = |a: &MeasuredConfig, b: &MeasuredConfig| match strategy {
        Strategy::Cost => a.duration_s.total_cmp(&b.duration_s),
        Strategy::Speed => a.cost_usd.total_cmp(&b.cost_usd),
        Strategy::Balanced => std::cmp::Ordering::Equal,
    };
    measured.iter().copied().min_by(|a, b| {
        score(a)
            .total_cmp(&score(b))
            .then(tie(a, b))
            .then(a.memory_mb.cmp(&b.memory_mb))
            .then(a.d.cmp(&b.d))
    })
}

/// Index of the candidate of `configs` nearest to `(memory_mb, d)`.
pub fn nearest(configs: &[crate::dag::Config], memory_mb: u32, d: u32) -> Option<u32> {
    (0..configs.len() as u32).min_by_key(|&j| {
        let c = configs[j as usize];
        (
            c.d.abs_diff(d),
            c.memory_mb.abs_diff(memory_mb),
            c.memory_mb,
        )
    })
}

/// The Power Tuning plan under `strategy`.
pub fn plan(problem: &SampledProblem, measured: &Measured, strategy: Strategy) -> Option<Plan> {
    let choice = problem
        .stages
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let m = measured.stages.get(i).map_or(&[][..], Vec::as_slice);
            match pick(m, strategy) {
                Some(best) => nearest(&t.configs, best.memory_mb, best.d),
                None => (0..t.configs.len() as u32).min_by_key(|&j| {
                    let c = t.configs[j as usize];
                    (c.memory_mb, c.d)
                }),
            }
        })
        .collect::<Option<Vec<u32>>>()?;
    Some(Plan { choice })
}
