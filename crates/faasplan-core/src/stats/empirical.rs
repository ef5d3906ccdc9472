//! Empirical order statistics of samples: the one definition of a quantile and of
//! a guarantee that the evaluator, the plan report, the out-of-sample check, the
//! baselines and the sampler's timeout filter share.
//!
//! - The nearest-rank `q`-quantile of N values is the `⌈qN⌉`-th smallest
//!   (1-based, clamped to `1..=N`).
//! - With `a` allowed violations, the guarantee of N values is the `(N − a)`-th
//!   smallest (the `(a + 1)`-th largest): the smallest bound B with
//!   `#{s : v(s) > B} ≤ a`.
//!
//! Values are ordered by [`f64::total_cmp`], so NaN sorts last and the result is
//! the same bits whether it comes from a full sort or a selection.

/// The 0-based index of the nearest-rank `q`-quantile among `n ≥ 1` sorted values.
pub fn nearest_rank_index(n: usize, q: f64) -> usize {
    ((q * n as f64).ceil() as usize).clamp(1, n.max(1)) - 1
}

/// The nearest-rank `q`-quantile of values sorted ascending (NaN when empty).
pub fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[nearest_rank_index(sorted.len(), q)]
}

/// The nearest-rank `q`-quantile of `values` in any order (NaN when empty).
/// `values` may be `f64` or the `f32` of the sample tables (widened exactly).
pub fn quantile<T: Copy + Into<f64>>(values: &[T], q: f64) -> f64 {
    let mut scratch = Vec::new();
    quantile_with(values, q, &mut scratch)
}

/// [`quantile`] using `scratch` for the selection, so a loop allocates once.
pub fn quantile_with<T: Copy + Into<f64>>(values: &[T], q: f64, scratch: &mut Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    kth_smallest(values, nearest_rank_index(values.len(), q), scratch)
}

/// [`quantile`] selecting in `values` itself (reordered), for sample sets too
/// large to copy (fresh sample sets run to millions); NaN when empty.
pub fn quantile_in_place(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let k = nearest_rank_index(values.len(), q);
    *values.select_nth_unstable_by(k, f64::total_cmp).1
}

/// The median and the nearest-rank `q`-quantile of `values` with one sort (NaN when empty).
pub fn median_and_quantile<T: Copy + Into<f64>>(values: &[T], q: f64) -> (f64, f64) {
    let mut v: Vec<f64> = values.iter().map(|&x| x.into()).collect();
    v.sort_unstable_by(f64::total_cmp);
    (nearest_rank(&v, 0.5), nearest_rank(&v, q))
}

/// Number of samples a guarantee may miss at empirical violation level `alpha`:
/// `⌊αN⌋`, kept below `n` so a guarantee exists (0 for no samples).
pub fn allowed_violations(n: usize, alpha: f64) -> usize {
    ((alpha.clamp(0.0, 1.0) * n as f64).floor() as usize).min(n.saturating_sub(1))
}

/// The guarantee of `values` with `a` allowed violations: the `(a + 1)`-th largest
/// value, selected in `scratch`; NaN when `a ≥ values.len()` (no bound is met by
/// enough samples).
pub fn guarantee<T: Copy + Into<f64>>(values: &[T], a: usize, scratch: &mut Vec<f64>) -> f64 {
    let n = values.len();
    if a >= n {
        return f64::NAN;
    }
    kth_smallest(values, n - 1 - a, scratch)
}

/// [`guarantee`] selecting in `values` itself (reordered), for loops that build
/// the values in a buffer anyway; NaN when `a ≥ values.len()`.
pub fn guarantee_in_place(values: &mut [f64], a: usize) -> f64 {
    let n = values.len();
    if a >= n {
        return f64::NAN;
    }
    let (_, v, _) = values.select_nth_unstable_by(n - 1 - a, f64::total_cmp);
    *v
}

/// The `k`-th smallest (0-based) of `values`, selected in `scratch`; `k < values.len()`.
fn kth_smallest<T: Copy + Into<f64>>(values: &[T], k: usize, scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend(values.iter().map(|&v| v.into()));
    let (_, v, _) = scratch.select_nth_unstable_by(k, f64::total_cmp);
    *v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_is_the_ceil_q_n_th_smallest() {
        let v = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 0.95), 5.0);
        assert_eq!(quantile(&v, 0.2), 1.0);
        assert_eq!(quantile(&v, 0.21), 2.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert!(quantile::<f64>(&[], 0.5).is_nan());
        assert_eq!(median_and_quantile(&v, 0.95), (3.0, 5.0));
    }

    #[test]
    fn guarantee_is_the_a_plus_first_largest_and_needs_a_below_n() {
        let v = [5.0, 1.0, 4.0, 2.0, 3.0];
        let mut s = Vec::new();
        assert_eq!(guarantee(&v, 0, &mut s), 5.0);
        assert_eq!(guarantee(&v, 1, &mut s), 4.0);
        assert_eq!(guarantee(&v, 4, &mut s), 1.0);
        assert!(guarantee(&v, 5, &mut s).is_nan());
        let mut w = v;
        assert_eq!(guarantee_in_place(&mut w, 1), 4.0);
    }

    #[test]
    fn allowed_violations_floor_alpha_n_below_n() {
        assert_eq!(allowed_violations(100, 0.049), 4);
        assert_eq!(allowed_violations(100, 0.0), 0);
        assert_eq!(allowed_violations(10, 1.0), 9);
        assert_eq!(allowed_violations(0, 0.5), 0);
    }

    #[test]
    fn selection_and_sort_agree_bit_for_bit_with_nan_last() {
        let v = [0.3, f64::NAN, -0.0, 0.0, 0.1];
        let mut sorted = v.to_vec();
        sorted.sort_by(f64::total_cmp);
        for q in [0.0, 0.2, 0.4, 0.6, 0.8, 1.0] {
            assert_eq!(
                quantile(&v, q).to_bits(),
                nearest_rank(&sorted, q).to_bits()
            );
        }
    }
}
