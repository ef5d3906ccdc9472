//! Statistics of samples and the guarantee they rest on.
//!
//! [`empirical`]: nearest-rank quantiles, the guarantee (the `(a + 1)`-th largest
//! value) and `⌊αN⌋` (for a fixed violation share α, as the baselines and the report of
//! a given α use it; the planner's allowance is the binomial one, [`binomial::allowance`]).
//!
//! [`binomial`]: exact binomial tails in log space (no overflow for N up to 10⁷ and
//! beyond), the violation allowance of a sample-average approximation, the
//! KL–Chernoff sample size and the Clopper–Pearson upper bound.

pub mod binomial;
pub mod empirical;

pub use empirical::{
    allowed_violations, guarantee, guarantee_in_place, median_and_quantile, nearest_rank,
    nearest_rank_index, quantile, quantile_in_place, quantile_with,
};
