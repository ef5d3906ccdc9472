//! A-posteriori certification of a chosen plan on an independent fresh sample.
//!
//! The plan is evaluated on M fresh samples (their own stream family, see
//! [`crate::sampling::evaluate_fresh`]), independent of the planning samples that
//! chose it, so the count of fresh violations K is exactly Bin(M, p) with p the
//! plan's true violation probability. With risk r = δ / [`CERTIFY_ATTEMPTS`](crate::sampling::CERTIFY_ATTEMPTS):
//!
//! - **violation bound**: the one-sided Clopper–Pearson upper confidence bound
//!   `p_u` of p at level 1 − r ([`binomial::clopper_pearson_upper`]);
//! - **certified q-quantile**: with `a_M = max { a : P(Bin(M, ε) ≤ a) ≤ r }`
//!   ([`binomial::allowance`]), the `(a_M + 1)`-th largest fresh value. It is an upper
//!   confidence bound of the plan's true q-quantile x_q at level 1 − r: it falls
//!   below x_q only if at most a_M fresh values lie at or above x_q; that count is
//!   Bin(M, p′) with p′ = P(L ≥ x_q) ≥ ε, so this happens with probability at most
//!   `P(Bin(M, ε) ≤ a_M) ≤ r` by the choice of a_M.
//! - the plan **meets its bound** when the certified quantile is within it
//!   (equivalently K ≤ a_M, equivalently `p_u ≤ ε` up to the boundary case).
//!
//! The planner tries at most [`CERTIFY_ATTEMPTS`](crate::sampling::CERTIFY_ATTEMPTS) solves per bound (see
//! [`crate::pipeline::plan`]) and spends risk r on each, so the reported claim
//! holds with probability at least 1 − δ whichever attempt it comes from.

use serde::{Deserialize, Serialize};

use crate::sampling::FreshEvaluation;
use crate::settings::{Bound, CostKind};
use crate::stats::binomial;

/// The certificate of a plan on its fresh samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    /// Number of fresh samples M.
    pub fresh_samples: usize,
    /// Confidence of this certificate, `1 − δ / CERTIFY_ATTEMPTS`.
    pub confidence: f64,
    /// `a_M`: fresh samples the certified quantile leaves above it (`null` when M
    /// is too small for any certificate at this percentile and confidence).
    pub allowed_violations: Option<usize>,
    /// Fresh samples over the bound (`null` under a mean-cost bound).
    pub violations: Option<usize>,
    /// Clopper–Pearson upper confidence bound of the violation probability
    /// (`null` under a mean-cost bound).
    pub violation_upper: Option<f64>,
    /// Certified q-quantile of the workflow latency, s.
    pub certified_latency_s: Option<f64>,
    /// Certified q-quantile of the workflow cost, USD.
    pub certified_cost_q_usd: Option<f64>,
    /// Whether the certified figure meets the bound (`null` under a mean-cost bound,
    /// which is not a chance constraint).
    pub meets_bound: Option<bool>,
}

/// Certifies a plan's fresh evaluation at percentile `q` with per-attempt risk
/// `exp(ln_risk)` against `bound`. Reorders the fresh values.
pub fn certify(fresh: &mut FreshEvaluation, bound: Bound, q: f64, ln_risk: f64) -> Certificate {
    let m = fresh.latency_s.len();
    let eps = 1.0 - q;
    let allowed = binomial::allowance(m as u64, eps, ln_risk).map(|a| a as usize);
    let violations = match bound {
        Bound::Latency { max_s } => Some(fresh.latency_s.iter().filter(|&&l| l > max_s).count()),
        Bound::Cost {
            max_usd,
            kind: CostKind::Quantile,
        } => Some(fresh.cost_usd.iter().filter(|&&c| c > max_usd).count()),
        Bound::Cost {
            kind: CostKind::Mean,
            ..
        } => None,
    };
    let delta = ln_risk.exp();
    let violation_upper =
        violations.map(|k| binomial::clopper_pearson_upper(k as u64, m as u64, delta));
    let certified_latency_s = allowed
        .filter(|&a| a < m)
        .map(|a| crate::stats::guarantee_in_place(&mut fresh.latency_s, a));
    let certified_cost_q_usd = allowed
        .filter(|&a| a < m)
        .map(|a| crate::stats::guarantee_in_place(&mut fresh.cost_usd, a));
    let meets_bound = match bound {
        Bound::Latency { max_s } => Some(certified_latency_s.is_some_and(|l| l <= max_s)),
        Bound::Cost {
            max_usd,
            kind: CostKind::Quantile,
        } => Some(certified_cost_q_usd.is_some_and(|c| c <= max_usd)),
        Bound::Cost {
            kind: CostKind::Mean,
            ..
        } => None,
    };
    Certificate {
        fresh_samples: m,
        confidence: 1.0 - delta,
        allowed_violations: allowed,
        violations,
        violation_upper,
        certified_latency_s,
        certified_cost_q_usd,
        meets_bound,
    }
}
