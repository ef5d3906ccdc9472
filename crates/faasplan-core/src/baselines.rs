//! Baseline planners: what a user would get from the published alternatives,
//! on the same fitted model and the same [`SampledProblem`] as the exact planner.
//!
//! The baselines follow their published rules, which plan each stage on its
//! own: they ignore [`SampledProblem::shared`] (stages sharing a function may
//! get two memory sizes), and `judge_plan` reports such a plan as it is.
//!
//! Every baseline maps the problem (plus, where its rule needs it, the model's
//! deterministic point predictions or the measured profile means, see
//! [`Inputs`]) to a [`Plan`] or to no plan. Each rule is documented in its
//! module:
//!
//! - [`power_tuning`]: AWS Lambda Power Tuning per stage, on measured means;
//! - [`ditto`]: Ditto's two extremes on a deterministic white-box model;
//! - [`orion`]: Orion's best-first search over memory from the minimum;
//! - [`caerus`]: Caerus' parallelism in proportion to input size, one memory size;
//! - [`jolteon`]: Jolteon's continuous relaxation, rounding and probing.
//!
//! A plan is then judged like the exact planner's ([`evaluate`]): it meets a
//! latency bound B when its guaranteed latency (the `(N − a)`-th smallest
//! workflow latency over the samples, `a = allowed_violations`) is at most B and
//! it respects the concurrency limit ([`concurrency_ok`], the solver's own check
//! over the DAG's maximal antichains). Baselines that target a percentile (Orion,
//! Jolteon) check the nearest-rank q-quantile instead, which is what they do;
//! with α = 0 that is a weaker test than the guarantee, so their plans can miss
//! the bound under the exact criterion.
//!
//! Cost of [`all`]: for the bundled workflows (4 stages, ≤ 228 candidates each,
//! N ≈ 5,000–5,700 samples) 10–85 ms natively (release build), measured by
//! `faasplan compare` (per-planner times in `docs/comparison.md`): Power
//! Tuning and Ditto take microseconds; Orion's greedy walk (at most
//! Σ_i |memory sizes_i| steps of K evaluations) up to ~50 ms when the bound is
//! out of its reach; Caerus 2–7 ms; Jolteon's relaxation (on ≤ 1,024 samples)
//! and probing 14–60 ms. Expect a few times that in the browser's wasm worker.

pub mod caerus;
pub mod ditto;
pub mod inputs;
pub mod jolteon;
pub mod orion;
pub mod power_tuning;

pub use inputs::{Inputs, Measured, MeasuredConfig, PointTable};

use crate::formats::project::Project;
use crate::pipeline::Prepared;
use crate::problem::SampledProblem;
use crate::solve::{Plan, concurrency_ok, evaluate};
use crate::stats::{nearest_rank_index, quantile};

/// A baseline planner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Baseline {
    /// Power Tuning, cost strategy.
    PowerTuningCost,
    /// Power Tuning, speed strategy.
    PowerTuningSpeed,
    /// Power Tuning, balanced strategy.
    PowerTuningBalanced,
    /// Ditto, minimum-latency extreme.
    DittoMinLatency,
    /// Ditto, minimum-cost extreme.
    DittoMinCost,
    /// Orion.
    Orion,
    /// Caerus.
    Caerus,
    /// Jolteon-style relaxation.
    Jolteon,
}

impl Baseline {
    /// Every baseline, in display order.
    pub const ALL: [Baseline; 8] = [
        Baseline::PowerTuningCost,
        Baseline::PowerTuningSpeed,
        Baseline::PowerTuningBalanced,
        Baseline::DittoMinLatency,
        Baseline::DittoMinCost,
        Baseline::Orion,
        Baseline::Caerus,
        Baseline::Jolteon,
    ];

    /// Short name, as in tables and charts.
    pub fn name(self) -> &'static str {
        match self {
            Baseline::PowerTuningCost => "power-tuning-cost",
            Baseline::PowerTuningSpeed => "power-tuning-speed",
            Baseline::PowerTuningBalanced => "power-tuning-balanced",
            Baseline::DittoMinLatency => "ditto-min-latency",
            Baseline::DittoMinCost => "ditto-min-cost",
            Baseline::Orion => "orion",
            Baseline::Caerus => "caerus",
            Baseline::Jolteon => "jolteon",
        }
    }

    /// Runs this baseline for latency bound `bound_s` (the bound-free ones ignore it).
    pub fn plan(self, problem: &SampledProblem, inputs: &Inputs, bound_s: f64) -> Option<Plan> {
        use power_tuning::Strategy;
        match self {
            Baseline::PowerTuningCost => {
                power_tuning::plan(problem, &inputs.measured, Strategy::Cost)
            }
            Baseline::PowerTuningSpeed => {
                power_tuning::plan(problem, &inputs.measured, Strategy::Speed)
            }
            Baseline::PowerTuningBalanced => {
                power_tuning::plan(problem, &inputs.measured, Strategy::Balanced)
            }
            Baseline::DittoMinLatency => {
                ditto::plan(problem, &inputs.points, ditto::Extreme::MinLatency)
            }
            Baseline::DittoMinCost => ditto::plan(problem, &inputs.points, ditto::Extreme::MinCost),
            Baseline::Orion => orion::plan(problem, bound_s),
            Baseline::Caerus => caerus::plan(problem, &inputs.points, bound_s),
            Baseline::Jolteon => jolteon::plan(problem, bound_s),
        }
    }
}

/// A baseline's plan with its figures on the planning samples.
#[derive(Clone, Debug, PartialEq)]
pub struct BaselineResult {
    /// Which baseline.
    pub baseline: Baseline,
    /// Its short name.
    pub name: &'static str,
    /// The plan, or `None` when the baseline found none.
    pub plan: Option<Plan>,
    /// Guaranteed latency on the planning samples, s (NaN without a plan).
    pub guaranteed_latency_s: f64,
    /// Nearest-rank q-quantile of the workflow latency, s (NaN without a plan).
    pub q_latency_s: f64,
    /// Expected cost per run, USD (NaN without a plan).
    pub expected_cost_usd: f64,
    /// Whether the plan meets the bound on the planning samples (guarantee and
    /// concurrency limit); false without a plan.
    pub meets_bound: bool,
}

/// Any plan judged on the planning samples against a latency bound: the one
/// judgement the baselines, the exact planner's rows in `faasplan compare` and
/// the app's comparison share.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    /// The plan, or `None` when there was none or it does not fit the problem.
    pub plan: Option<Plan>,
    /// Guaranteed latency on the planning samples, s (NaN without a plan).
    pub guaranteed_latency_s: f64,
    /// Nearest-rank q-quantile of the workflow latency, s (NaN without a plan).
    pub q_latency_s: f64,
    /// Expected cost per run, USD (NaN without a plan).
    pub expected_cost_usd: f64,
    /// Whether the plan meets the bound (guarantee and concurrency limit).
    pub meets_bound: bool,
}

/// Evaluates `plan` ([`evaluate`]) against latency bound `bound_s` and the
/// concurrency limit ([`concurrency_ok`]).
pub fn judge_plan(problem: &SampledProblem, plan: Option<Plan>, bound_s: f64) -> Judgement {
    let eval = plan.as_ref().and_then(|p| evaluate(problem, p).ok());
    let (g, q, c) = eval.as_ref().map_or((f64::NAN, f64::NAN, f64::NAN), |e| {
        (e.guaranteed_latency_s, e.q_latency_s, e.expected_cost_usd)
    });
    let plan = if eval.is_some() { plan } else { None };
    let meets_bound = g <= bound_s
        && plan
            .as_ref()
            .is_some_and(|p| concurrency_ok(problem, &p.choice));
    Judgement {
        plan,
        guaranteed_latency_s: g,
        q_latency_s: q,
        expected_cost_usd: c,
        meets_bound,
    }
}

/// Evaluates `plan` of `baseline` on the planning samples against `bound_s`.
pub fn judge(
    problem: &SampledProblem,
    baseline: Baseline,
    plan: Option<Plan>,
    bound_s: f64,
) -> BaselineResult {
    let j = judge_plan(problem, plan, bound_s);
    BaselineResult {
        baseline,
        name: baseline.name(),
        plan: j.plan,
        guaranteed_latency_s: j.guaranteed_latency_s,
        q_latency_s: j.q_latency_s,
        expected_cost_usd: j.expected_cost_usd,
        meets_bound: j.meets_bound,
    }
}

/// Every baseline's plan for latency bound `bound_s`, on problem and inputs alone.
/// With the `parallel` feature the baselines are planned on every core; each is
/// deterministic and the results keep `Baseline::ALL`'s order, so they are identical.
pub fn all_on(problem: &SampledProblem, inputs: &Inputs, bound_s: f64) -> Vec<BaselineResult> {
    let one = |&b: &Baseline| judge(problem, b, b.plan(problem, inputs, bound_s), bound_s);
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        Baseline::ALL.par_iter().map(one).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        Baseline::ALL.iter().map(one).collect()
    }
}

/// Every baseline's plan for latency bound `bound_s` on a prepared project
/// (point predictions from its fitted model, measured means from its profiles).
pub fn all(project: &Project, prepared: &Prepared, bound_s: f64) -> Vec<BaselineResult> {
    let inputs = Inputs::from_project(project, prepared);
    all_on(&prepared.problem, &inputs, bound_s)
}

/// The same problem judged as Orion and Jolteon judge a plan: the bound is met
/// when the nearest-rank q-quantile of the workflow latency is at most B, i.e.
/// `allowed_violations = N − ⌈qN⌉` (no margin for sampling error). The exact
/// planner on this problem is the optimum under the percentile baselines' own
/// criterion. Copies the tables.
pub fn quantile_target(problem: &SampledProblem) -> SampledProblem {
    let n = problem.n_samples;
    let rank = nearest_rank_index(n, problem.percentile) + 1;
    SampledProblem {
        allowed_violations: n.saturating_sub(rank),
        ..problem.clone()
    }
}

/// Workflow latency per sample and expected cost of `choice`, or `None` when a
/// context parent's d has no block. The finish times come from the solver's own
/// checker (the one [`evaluate`] uses), so the values agree bit for bit.
pub(crate) fn latencies(problem: &SampledProblem, choice: &[u32]) -> Option<(Vec<f64>, f64)> {
    let ctx = problem.contexts(choice).ok()?;
    if problem.n_samples == 0 {
        return None;
    }
    let mut lat = Vec::with_capacity(problem.n_samples);
    crate::solve::workflow_latencies(problem, choice, &ctx, &mut lat);
    Some((lat, crate::solve::plan_expected_cost(problem, choice, &ctx)))
}

/// Nearest-rank q-quantile latency and expected cost of `choice` on the samples.
pub(crate) fn q_latency(problem: &SampledProblem, choice: &[u32]) -> Option<(f64, f64)> {
    let (lat, cost) = latencies(problem, choice)?;
    Some((quantile(&lat, problem.percentile), cost))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::synthetic::{Shape, problem};

    #[test]
    fn lean_q_latency_agrees_with_the_exact_evaluator_bit_for_bit() {
        let p = problem(Shape::Ml, 300, 7);
        for k in 0..20u32 {
            let choice: Vec<u32> = p
                .stages
                .iter()
                .map(|t| (k * 37 + 11) % t.configs.len() as u32)
                .collect();
            let e = evaluate(
                &p,
                &Plan {
                    choice: choice.clone(),
                },
            )
            .expect("every synthetic context block exists");
            let (q, c) = q_latency(&p, &choice).expect("same plan");
            assert_eq!(q.to_bits(), e.q_latency_s.to_bits());
            assert_eq!(c.to_bits(), e.expected_cost_usd.to_bits());
        }
    }
}
