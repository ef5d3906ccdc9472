//! Statistics the guarantee rests on.
//!
//! [`binomial`]: exact binomial tails in log space (no overflow for N up to 10⁷ and
//! beyond), the violation allowance of a sample-average approximation, the
//! KL–Chernoff sample size and the Clopper–Pearson upper confidence bound.

pub mod binomial;
