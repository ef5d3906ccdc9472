//! How many samples to draw and how many may violate the bound.
//!
//! # Planning samples
//!
//! With risk ε = 1 − q, confidence 1 − δ and the real decision space
//! |X| = Π_i |C_i| (in log space), the planning allowance is
//!
//! `a(N) = max { a : P(Bin(N, ε) ≤ a) ≤ δ / |X| }` ([`binomial::allowance`]).
//!
//! A plan whose true violation probability exceeds ε shows at most a(N) violations
//! among N independent samples with probability at most δ/|X|, so by the union
//! bound over X, with probability at least 1 − δ no such plan is feasible in the
//! sample-average approximation (Luedtke & Ahmed 2008; Pagnoncelli, Ahmed &
//! Shapiro 2009). N is chosen by the Chernoff bound so that `a(N) ≥ ⌊r·ε·N⌋` with
//! the target ratio r = α/ε, or [`DEFAULT_ALLOWANCE_RATIO`] when α = 0
//! ([`binomial::chernoff_sample_size`]); then capped so the sample tables fit in
//! [`TABLE_BUDGET_BYTES`]. When the cap leaves no allowance at all (`a(N)` does not
//! exist), `a = 0` and the design says so (`union_bound = false`): the plan is then
//! judged by its certificate alone. A fixed N over the budget is refused with an
//! error that names `samples`.
//!
//! # Fresh samples
//!
//! The chosen plan is certified on M independent samples (see
//! [`crate::certify`]), at risk δ / [`CERTIFY_ATTEMPTS`] per attempt. Automatic M is
//! the Chernoff size at which the fresh allowance reaches 0.9·ε·M (so the certified
//! quantile sits within 10% of ε in tail probability), at least
//! [`MIN_FRESH_SAMPLES`] and at most [`MAX_FRESH_SAMPLES`]; a fixed M over
//! [`FRESH_BUDGET_BYTES`] is refused naming `fresh_samples`.
//!
//! [`DEFAULT_ALLOWANCE_RATIO`]: crate::settings::DEFAULT_ALLOWANCE_RATIO

use super::SamplingError;
use crate::settings::{PlanSettings, SampleCount};
use crate::stats::binomial;

/// Memory the planning sample tables may take, bytes (512 MiB: the same sample
/// counts as the former 1 GiB budget of `f64` tables, in half the memory).
pub const TABLE_BUDGET_BYTES: u64 = 512 << 20;
/// Bytes one planning sample takes in a table row (latency and cost, one
/// [`crate::problem::Sample`] each).
pub const BYTES_PER_TABLE_SAMPLE: u64 = 2 * std::mem::size_of::<crate::problem::Sample>() as u64;
/// Memory the fresh evaluation may take, bytes (latency and cost per fresh sample).
pub const FRESH_BUDGET_BYTES: u64 = 512 << 20;
/// Bytes one fresh sample takes.
pub const BYTES_PER_FRESH_SAMPLE: u64 = 16;
/// Fewest fresh samples drawn by default.
pub const MIN_FRESH_SAMPLES: usize = 20_000;
/// Most fresh samples drawn by default.
pub const MAX_FRESH_SAMPLES: usize = 4_000_000;
/// Target share of ε the fresh allowance reaches by default.
pub const FRESH_ALLOWANCE_RATIO: f64 = 0.9;
/// Most solves the planner runs for one bound (the first, then tightenings); the
/// certificate's risk per attempt is δ divided by this.
pub const CERTIFY_ATTEMPTS: u32 = 4;

/// The planning sample design.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleDesign {
    /// Number of planning samples N.
    pub n_samples: usize,
    /// Allowed violations a on the planning samples.
    pub allowed_violations: usize,
    /// Whether `a` is the union-bounded binomial allowance (the a-priori guarantee
    /// holds); `false` when N is too small for any allowance and `a = 0`.
    pub union_bound: bool,
    /// `ln |X|`, the log of the real decision-space size.
    pub ln_space: f64,
}

/// `ln(δ / |X|)`: the risk each plan may take.
fn ln_risk(settings: &PlanSettings, ln_space: f64) -> f64 {
    settings.delta.ln() - ln_space.max(0.0)
}

/// The planning sample design for `rows` table rows (candidate × context) over a
/// space of `exp(ln_space)` plans.
pub fn design(
    settings: &PlanSettings,
    ln_space: f64,
    rows: usize,
) -> Result<SampleDesign, SamplingError> {
    let eps = settings.epsilon();
    let risk = ln_risk(settings, ln_space);
    let per_sample = (rows.max(1) as u64).saturating_mul(BYTES_PER_TABLE_SAMPLE);
    let cap = (TABLE_BUDGET_BYTES / per_sample).max(1);
    let n = match settings.samples {
        SampleCount::Fixed(n) => {
            let needed = (n as u64).saturating_mul(per_sample);
            if needed > TABLE_BUDGET_BYTES {
                return Err(SamplingError::Memory {
                    setting: "samples",
                    needed_bytes: needed,
                    limit_bytes: TABLE_BUDGET_BYTES,
                    hint: format!("at most {cap} samples fit for {rows} candidate rows"),
                });
            }
            n.max(1) as u64
        }
        SampleCount::Auto => {
            binomial::chernoff_sample_size(eps, settings.allowance_ratio(), risk).clamp(1, cap)
        }
    };
    let (allowed, union_bound) = match binomial::allowance(n, eps, risk) {
        Some(a) => (a, true),
        None => (0, false),
    };
    Ok(SampleDesign {
        n_samples: n as usize,
        allowed_violations: (allowed as usize).min(n as usize - 1),
        union_bound,
        ln_space,
    })
}

/// Risk of one certification attempt: `ln(δ / CERTIFY_ATTEMPTS)`.
pub fn ln_certify_risk(settings: &PlanSettings) -> f64 {
    settings.delta.ln() - f64::from(CERTIFY_ATTEMPTS).ln()
}

/// Number of fresh samples M to certify a plan on.
pub fn fresh_sample_count(settings: &PlanSettings) -> Result<usize, SamplingError> {
    match settings.fresh_samples {
        SampleCount::Fixed(m) => {
            let needed = (m as u64).saturating_mul(BYTES_PER_FRESH_SAMPLE);
            if needed > FRESH_BUDGET_BYTES {
                return Err(SamplingError::Memory {
                    setting: "fresh_samples",
                    needed_bytes: needed,
                    limit_bytes: FRESH_BUDGET_BYTES,
                    hint: format!(
                        "at most {} fresh samples fit",
                        FRESH_BUDGET_BYTES / BYTES_PER_FRESH_SAMPLE
                    ),
                });
            }
            Ok(m.max(1))
        }
        SampleCount::Auto => {
            let m = binomial::chernoff_sample_size(
                settings.epsilon(),
                FRESH_ALLOWANCE_RATIO,
                ln_certify_risk(settings),
            );
            Ok((m.min(MAX_FRESH_SAMPLES as u64) as usize).max(MIN_FRESH_SAMPLES))
        }
    }
}
