//! Binomial tails in log space, and the three quantities the guarantee is built from.
//!
//! X ~ Bin(n, p). Every probability is returned as its natural logarithm, so tails
//! far below `f64::MIN_POSITIVE` stay exact and nothing overflows for n up to 10⁷
//! (and well beyond: n is carried as `f64`, exact below 2⁵³).
//!
//! - [`ln_pmf`] uses Loader's saddle-point form (the one R's `dbinom` uses):
//!   `ln P(X = k) = stirlerr(n) − stirlerr(k) − stirlerr(n−k) − bd0(k, np) − bd0(n−k, nq)
//!   − ½ ln(2π k (n−k)/n)`, accurate to a few ulps of the log even at n = 10⁷ where
//!   `ln n!` itself is 1.5·10⁸ and a plain log-gamma difference would lose 8 digits.
//! - [`ln_cdf`] = ln P(X ≤ k) and [`ln_upper`] = ln P(X ≥ k) sum the pmf outward from k
//!   by the ratio `P(X = j−1)/P(X = j) = j/(n−j+1) · q/p`, always on the side of the mean
//!   where the terms shrink, and stop once a term no longer changes the sum; the other
//!   side is `ln(1 − ·)` of the complementary tail.
//! - [`allowance`]: the largest violation count a with `P(Bin(n, ε) ≤ a) ≤ r` (r a
//!   risk, given as `ln r`). A plan whose true violation probability exceeds ε shows at
//!   most a violations among n independent samples with probability at most r (the
//!   binomial cdf only falls as p grows). `None` when even a = 0 is too likely.
//! - [`chernoff_sample_size`]: the n at which that allowance is at least `ratio·ε·n`,
//!   from the Chernoff bound `P(Bin(n, ε) ≤ a) ≤ exp(−n·KL(a/n ‖ ε))` for a ≤ εn:
//!   `n = ⌈ln(1/r) / KL(ratio·ε ‖ ε)⌉` ([`kl_bernoulli`]).
//! - [`clopper_pearson_upper`]: the exact one-sided upper confidence bound of p after k
//!   successes in n trials: the p with `P(Bin(n, p) ≤ k) = δ` (1 when k = n).

use std::f64::consts::PI;

/// `ln √(2π)`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Stirling's error `ln n! − ln(√(2πn) (n/e)ⁿ)` for an integer n ≥ 0.
fn stirlerr(n: f64) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n <= 15.0 {
        if n < 1.0 {
            return 0.0;
        }
        // n! is exact in f64 up to 15! (1.3·10¹²), so this has no cancellation to speak of.
        let mut fact = 1.0f64;
        let mut i = 2.0;
        while i <= n {
            fact *= i;
            i += 1.0;
        }
        return fact.ln() - (n + 0.5) * n.ln() + n - LN_SQRT_2PI;
    }
    let nn = n * n;
    if n > 500.0 {
        (S0 - S1 / nn) / n
    } else if n > 80.0 {
        (S0 - (S1 - S2 / nn) / nn) / n
    } else if n > 35.0 {
        (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
    }
}

/// The deviance term `x ln(x/m) + m − x`, computed without cancellation near x = m.
fn bd0(x: f64, m: f64) -> f64 {
    if (x - m).abs() < 0.1 * (x + m) {
        let mut v = (x - m) / (x + m);
        let mut s = (x - m) * v;
        let mut ej = 2.0 * x * v;
        v *= v;
        let mut j = 1.0;
        loop {
            ej *= v;
            let s1 = s + ej / (2.0 * j + 1.0);
            if s1 == s {
                return s1;
            }
            s = s1;
            j += 1.0;
        }
    }
    x * (x / m).ln() + m - x
}

/// `ln(1 − eˣ)` for x ≤ 0, accurate on both ends.
fn ln_1m_exp(x: f64) -> f64 {
    if x > -std::f64::consts::LN_2 {
        (-x.exp_m1()).ln()
    } else {
        (-x.exp()).ln_1p()
    }
}

/// `ln P(X = k)` for X ~ Bin(n, p); `-inf` outside the support.
pub fn ln_pmf(k: u64, n: u64, p: f64) -> f64 {
    let (x, nf) = (k as f64, n as f64);
    let q = 1.0 - p;
    if k > n {
        return f64::NEG_INFINITY;
    }
    if p <= 0.0 {
        return if k == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    if p >= 1.0 {
        return if k == n { 0.0 } else { f64::NEG_INFINITY };
    }
    if k == 0 {
        if n == 0 {
            return 0.0;
        }
        return if p < 0.1 {
            -bd0(nf, nf * q) - nf * p
        } else {
            nf * q.ln()
        };
    }
    if k == n {
        return if q < 0.1 {
            -bd0(nf, nf * p) - nf * q
        } else {
            nf * p.ln()
        };
    }
    let lc = stirlerr(nf) - stirlerr(x) - stirlerr(nf - x) - bd0(x, nf * p) - bd0(nf - x, nf * q);
    let lf = (2.0 * PI).ln() + x.ln() + (-x / nf).ln_1p();
    lc - 0.5 * lf
}

/// `ln Σ_{j ≤ k} P(X = j)` summed downward from k (call with k at or below the mean).
fn ln_lower_sum(k: u64, n: u64, p: f64) -> f64 {
    let (nf, ratio) = (n as f64, (1.0 - p) / p);
    let (mut s, mut t) = (1.0f64, 1.0f64);
    let mut j = k as f64;
    while j >= 1.0 {
        t *= j / (nf - j + 1.0) * ratio;
        let s1 = s + t;
        if s1 == s {
            break;
        }
        s = s1;
        j -= 1.0;
    }
    ln_pmf(k, n, p) + s.ln()
}

/// `ln Σ_{j ≥ k} P(X = j)` summed upward from k (call with k at or above the mean).
fn ln_upper_sum(k: u64, n: u64, p: f64) -> f64 {
    let (nf, ratio) = (n as f64, p / (1.0 - p));
    let (mut s, mut t) = (1.0f64, 1.0f64);
    let mut j = k as f64;
    while j < nf {
        t *= (nf - j) / (j + 1.0) * ratio;
        let s1 = s + t;
        if s1 == s {
            break;
        }
        s = s1;
        j += 1.0;
    }
    ln_pmf(k, n, p) + s.ln()
}

/// `ln P(X ≤ k)` for X ~ Bin(n, p), p in [0, 1].
pub fn ln_cdf(k: u64, n: u64, p: f64) -> f64 {
    if k >= n || p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return f64::NEG_INFINITY;
    }
    if (k as f64) <= n as f64 * p {
        ln_lower_sum(k, n, p)
    } else {
        ln_1m_exp(ln_upper_sum(k + 1, n, p))
    }
}

/// `ln P(X ≥ k)` for X ~ Bin(n, p), p in [0, 1].
pub fn ln_upper(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 0.0;
    }
    if k > n || p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return 0.0;
    }
    if (k as f64) >= n as f64 * p {
        ln_upper_sum(k, n, p)
    } else {
        ln_1m_exp(ln_lower_sum(k - 1, n, p))
    }
}

/// The largest a with `P(Bin(n, eps) ≤ a) ≤ exp(ln_risk)`, or `None` when a = 0
/// already exceeds the risk (n too small for ε and the risk). `eps` in (0, 1),
/// `ln_risk < 0`.
pub fn allowance(n: u64, eps: f64, ln_risk: f64) -> Option<u64> {
    if n == 0 || !(eps > 0.0 && eps < 1.0) || ln_risk.is_nan() || ln_risk >= 0.0 {
        return None;
    }
    if ln_cdf(0, n, eps) > ln_risk {
        return None;
    }
    // ln_cdf(a) rises with a; at a = n it is 0 > ln_risk. Invariant: lo fits, hi does not.
    let (mut lo, mut hi) = (0u64, n);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ln_cdf(mid, n, eps) <= ln_risk {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo)
}

/// Kullback–Leibler divergence `KL(a ‖ b)` of Bernoulli(a) from Bernoulli(b), nats.
pub fn kl_bernoulli(a: f64, b: f64) -> f64 {
    let term = |x: f64, y: f64| if x > 0.0 { x * (x / y).ln() } else { 0.0 };
    term(a, b) + term(1.0 - a, 1.0 - b)
}

/// The n at which [`allowance`]`(n, eps, ln_risk)` is at least `⌊ratio·eps·n⌋`:
/// `⌈−ln_risk / KL(ratio·eps ‖ eps)⌉` (the Chernoff bound; the exact tail is smaller,
/// so the exact allowance at this n is at least as large). `ratio` in [0, 1);
/// saturates at `u64::MAX` when the divergence underflows.
pub fn chernoff_sample_size(eps: f64, ratio: f64, ln_risk: f64) -> u64 {
    let kl = kl_bernoulli(ratio * eps, eps);
    let n = (-ln_risk / kl).ceil();
    if n.is_finite() && n >= 1.0 {
        if n >= u64::MAX as f64 {
            u64::MAX
        } else {
            n as u64
        }
    } else if n.is_finite() {
        1
    } else {
        u64::MAX
    }
}

/// Exact one-sided (Clopper–Pearson) upper confidence bound at level 1 − δ of a
/// binomial p after `k` successes in `n` trials: the p with `P(Bin(n, p) ≤ k) = δ`,
/// 1 when k ≥ n. `delta` in (0, 1).
pub fn clopper_pearson_upper(k: u64, n: u64, delta: f64) -> f64 {
    if k >= n {
        return 1.0;
    }
    let target = delta.ln();
    // ln_cdf(k; p) falls from 0 at p = 0 to -inf at p = 1.
    let (mut lo, mut hi) = (k as f64 / n as f64, 1.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if ln_cdf(k, n, mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}
