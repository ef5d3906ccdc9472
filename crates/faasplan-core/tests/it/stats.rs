//! Binomial tails, allowance, Chernoff sample size and Clopper–Pearson bound against
//! reference values computed independently.
//!
//! Reference values: SciPy 1.17.1 (`scipy.stats.binom.logpmf/logcdf/logsf`,
//! `scipy.stats.beta.ppf`), and mpmath at 50 digits where SciPy underflows to -inf or
//! rounds a tail to ln 1 = 0. The commands (run with `python3`, `pip install scipy mpmath`):
//!
//! ```text
//! from scipy.stats import binom, beta
//! binom.logpmf(k, n, p); binom.logcdf(k, n, p); binom.logsf(k - 1, n, p)   # ln P(X >= k)
//! beta.ppf(1 - delta, k + 1, n - k)                                          # Clopper-Pearson upper
//! # allowance: largest a with binom.logcdf(a, n, eps) <= log(risk), by bisection over a
//! import mpmath as mp; mp.mp.dps = 50
//! # ln sum_{j<=k} binomial(n, j) p^j (1-p)^(n-j), summed until a term is < 1e-30 of the sum
//! ```

use faasplan_core::stats::binomial::{
    allowance, chernoff_sample_size, clopper_pearson_upper, kl_bernoulli, ln_cdf, ln_pmf, ln_upper,
};
use proptest::prelude::*;

/// (k, n, p, ln P(X = k), ln P(X ≤ k), ln P(X ≥ k)). The pmf column is mpmath's
/// `log(binomial(n, k) p^k (1-p)^(n-k))` at 40 digits (SciPy's `logpmf` is off by up to
/// 4·10⁻⁹ in the log at n = 10⁷); the tails are SciPy's; `None`: SciPy's tail is not
/// usable (underflow to -inf or rounding to 0) and mpmath's is in the tables below.
#[allow(clippy::type_complexity)]
const TAILS: [(u64, u64, f64, f64, Option<f64>, Option<f64>); 16] = [
    (
        0,
        10,
        0.3,
        -3.5667494393873236,
        Some(-3.5667494393873236),
        Some(0.0),
    ),
    (
        3,
        10,
        0.3,
        -1.3211512777668886,
        Some(-0.4313819902707921),
        Some(-0.4825342690570286),
    ),
    (
        9,
        10,
        0.3,
        -8.889845089878111,
        Some(-5.904917433955099e-06),
        None,
    ),
    (
        5,
        1000,
        0.05,
        -36.274219664676195,
        Some(-36.1761100458912),
        None,
    ),
    (
        50,
        1000,
        0.05,
        -2.850974419136404,
        Some(-0.6207724910418503),
        Some(-0.6534286242113868),
    ),
    (
        80,
        1000,
        0.05,
        -11.148350905968032,
        Some(-2.04876467804792e-05),
        Some(-10.263412063232927),
    ),
    (
        0,
        100_000,
        0.001,
        -100.05003335835335,
        Some(-100.05003335835335),
        Some(0.0),
    ),
    (
        60,
        100_000,
        0.001,
        -12.325669114269122,
        Some(-11.443110524400675),
        Some(-6.286724934744422e-06),
    ),
    (
        100,
        100_000,
        0.001,
        -3.221856707421729,
        Some(-0.6413858122114667),
        Some(-0.6668583004786914),
    ),
    (
        140,
        100_000,
        0.001,
        -10.503776696297804,
        Some(-6.346374573039805e-05),
        None,
    ),
    (400_000, 10_000_000, 0.05, -11274.40633800965, None, None),
    (
        499_000,
        10_000_000,
        0.05,
        -8.506822436082075,
        Some(-2.6109583130364733),
        Some(-0.07608441082830843),
    ),
    (
        500_000,
        10_000_000,
        0.05,
        -7.454473741818325,
        Some(-0.6923949635494984),
        Some(-0.6927420702199073),
    ),
    (9000, 10_000_000, 0.001, -57.27639497770096, None, None),
    (11_000, 10_000_000, 0.001, -54.033250649851745, None, None),
    (0, 10_000_000, 0.001, -10005.003335835336, None, Some(0.0)),
];

/// mpmath (50 digits) where SciPy underflows: (k, n, p, ln P(X ≤ k) or ln P(X ≥ k)).
const MP_CDF: [(u64, u64, f64, f64); 3] = [
    (400_000, 10_000_000, 0.05, -11272.837760087386),
    (0, 10_000_000, 0.001, -10005.003335835336),
    (9000, 10_000_000, 0.001, -54.98349103027459),
];
const MP_UPPER: [(u64, u64, f64, f64); 3] = [
    (11_000, 10_000_000, 0.001, -51.646097739280364),
    (9, 10, 0.3, -8.847880890779079),
    (140, 100_000, 0.001, -9.305812377963939),
];

fn close(got: f64, want: f64, rel: f64) -> bool {
    if want == 0.0 {
        return got.abs() <= 1e-12;
    }
    ((got - want) / want).abs() <= rel
}

#[test]
fn log_pmf_matches_mpmath_up_to_n_ten_million() {
    for &(k, n, p, pmf, _, _) in &TAILS {
        let got = ln_pmf(k, n, p);
        assert!(
            close(got, pmf, 1e-11),
            "ln_pmf({k}, {n}, {p}) = {got}, mpmath {pmf}"
        );
    }
}

#[test]
fn log_tails_match_scipy_and_mpmath() {
    for &(k, n, p, _, cdf, upper) in &TAILS {
        if let Some(want) = cdf {
            let got = ln_cdf(k, n, p);
            assert!(
                close(got, want, 1e-9),
                "ln_cdf({k}, {n}, {p}) = {got}, scipy {want}"
            );
        }
        if let Some(want) = upper {
            let got = ln_upper(k, n, p);
            assert!(
                close(got, want, 1e-9),
                "ln_upper({k}, {n}, {p}) = {got}, scipy {want}"
            );
        }
    }
    for &(k, n, p, want) in &MP_CDF {
        let got = ln_cdf(k, n, p);
        assert!(
            close(got, want, 1e-10),
            "ln_cdf({k}, {n}, {p}) = {got}, mpmath {want}"
        );
    }
    for &(k, n, p, want) in &MP_UPPER {
        let got = ln_upper(k, n, p);
        assert!(
            close(got, want, 1e-10),
            "ln_upper({k}, {n}, {p}) = {got}, mpmath {want}"
        );
    }
}

#[test]
fn clopper_pearson_matches_the_beta_quantile() {
    // (k, n, δ, beta.ppf(1 − δ, k + 1, n − k))
    let cases = [
        (0, 100, 0.05, 0.029513049607039925),
        (5, 100, 0.05, 0.1022533776432745),
        (0, 30_000, 0.001, 0.0002302320018434136),
        (1200, 26_700, 0.001, 0.04899618671687768),
        (900, 1_000_000, 0.001, 0.0009965670053917026),
        (50, 10_000, 1e-6, 0.00921998626167303),
        (99, 100, 0.1, 0.9989469496904544),
    ];
    for (k, n, d, want) in cases {
        let got = clopper_pearson_upper(k, n, d);
        assert!(
            close(got, want, 1e-9),
            "cp({k}, {n}, {d}) = {got}, scipy {want}"
        );
    }
    assert_eq!(clopper_pearson_upper(10, 10, 0.001), 1.0);
}

#[test]
fn allowance_matches_a_scipy_search() {
    // (n, ε, risk, largest a with binom.cdf(a, n, ε) ≤ risk)
    let cases = [
        (7600, 0.05, 1e-16, Some(233)),
        (10_000, 0.05, 0.001, Some(433)),
        (39_000, 0.01, 1e-16, Some(239)),
        (1_000_000, 0.001, 0.001, Some(903)),
        (26_700, 0.05, 0.001, Some(1225)),
        (100, 0.05, 0.001, None),
        (5000, 0.001, 0.001, None),
    ];
    for (n, eps, risk, want) in cases {
        let risk: f64 = risk;
        assert_eq!(
            allowance(n, eps, risk.ln()),
            want,
            "allowance({n}, {eps}, {risk})"
        );
    }
}

#[test]
fn chernoff_sample_size_gives_the_promised_allowance() {
    // ln(|X|/δ) of an 8-stage space with 50 configurations each at δ = 0.001.
    let ln_risk = -(8.0 * 50f64.ln() + 1000f64.ln());
    for eps in [0.5, 0.05, 0.01, 0.001] {
        let n = chernoff_sample_size(eps, 0.6, ln_risk);
        let a = allowance(n, eps, ln_risk).expect("an allowance at the Chernoff size");
        assert!(
            a as f64 >= (0.6 * eps * n as f64).floor(),
            "eps {eps}: n {n}, a {a}"
        );
        // Not wastefully large: at 0.8 n the Chernoff bound alone no longer promises it.
        assert!(n as f64 * 0.8 * kl_bernoulli(0.6 * eps, eps) < -ln_risk);
    }
    assert_eq!(chernoff_sample_size(0.05, 0.0, -1e300), u64::MAX);
    // A target ratio of 1 (here 0.05 / (1 − 0.95), just below 1 in floating point)
    // has no finite size: saturate rather than wrap around.
    assert_eq!(
        chernoff_sample_size(1.0 - 0.95, 0.05 / (1.0 - 0.95), -10.0),
        u64::MAX
    );
    assert_eq!(chernoff_sample_size(0.05, 1.0, -10.0), u64::MAX);
}

proptest! {
    /// The two tails partition the distribution: P(X ≤ k) + P(X ≥ k + 1) = 1.
    #[test]
    fn tails_add_up_to_one(n in 1u64..200_000, kf in 0.0f64..1.0, p in 1e-4f64..0.9999) {
        let k = ((n as f64) * kf) as u64;
        let s = ln_cdf(k, n, p).exp() + ln_upper(k + 1, n, p).exp();
        prop_assert!((s - 1.0).abs() < 1e-9, "sum {s}");
    }

    /// The allowance is the boundary: its cdf is within the risk, the next one's is not.
    #[test]
    fn allowance_is_the_largest_within_the_risk(n in 10u64..2_000_000, eps in 1e-3f64..0.5, lr in 1.0f64..60.0) {
        if let Some(a) = allowance(n, eps, -lr) {
            prop_assert!(ln_cdf(a, n, eps) <= -lr);
            prop_assert!(ln_cdf(a + 1, n, eps) > -lr);
        } else {
            prop_assert!(ln_cdf(0, n, eps) > -lr);
        }
    }

    /// Clopper–Pearson inverts the cdf: P(Bin(n, upper) ≤ k) = δ.
    #[test]
    fn clopper_pearson_inverts_the_cdf(n in 2u64..1_000_000, kf in 0.0f64..0.99, d in 1e-9f64..0.5) {
        let k = ((n as f64) * kf) as u64;
        let u = clopper_pearson_upper(k, n, d);
        prop_assert!(u > k as f64 / n as f64 && u <= 1.0);
        prop_assert!((ln_cdf(k, n, u) - d.ln()).abs() < 1e-6 * d.ln().abs().max(1.0));
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn in_place_quantile_and_guarantee_select_the_same_bits_as_the_copying_ones() {
    use faasplan_core::stats::{guarantee, guarantee_in_place, quantile, quantile_in_place};
    let values: Vec<f64> = (0..1000u64)
        .map(|i| ((i * 7919) % 1000) as f64 / 7.0)
        .collect();
    for q in [0.0, 0.5, 0.95, 0.999, 1.0] {
        let mut v = values.clone();
        assert_eq!(
            quantile_in_place(&mut v, q).to_bits(),
            quantile(&values, q).to_bits()
        );
    }
    for a in [0, 1, 50, 999] {
        let mut v = values.clone();
        let want = guarantee(&values, a, &mut Vec::new());
        assert_eq!(guarantee_in_place(&mut v, a).to_bits(), want.to_bits());
    }
    assert!(quantile_in_place(&mut [], 0.5).is_nan());
}
