//! Step curves: small linear models with nonnegative coefficients.
//!
//! A [`Curve`] is `Σ_j c_j · φ_j(x, d_in)` over a few basis terms ([`Term`]),
//! where `x` is the work-splitting variable chosen by [`XForm`] (the instance
//! count d, the total vCPU count k·d, or the vCPU count k of one instance) and
//! `d_in` is the number of input partitions of a single-instance stage.
//! Coefficients are fitted by nonnegative weighted least squares
//! ([`fit_nnls`]): every subset of the terms is solved unconstrained and the
//! best subset whose coefficients are all ≥ 0 is kept. With at most four terms
//! that is at most 16 tiny solves and gives the exact NNLS optimum.
//!
//! With nonnegative coefficients `1/x`, `1/x²` and `ln(1+x)/x` are non-increasing
//! in x for every x > 0, the constant is flat and `d_in` is non-decreasing in the
//! input partitions: a fitted curve never gets faster with fewer resources and
//! never gets faster with more input partitions.

/// Which variable a step's work is split over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum XForm {
    /// x = d: the work splits over the instances, not helped by more vCPU.
    D,
    /// x = k·d: the work splits over all vCPUs of all instances.
    KD,
    /// x = k: one instance, helped by its vCPUs (single-instance stages).
    K,
    /// x = min(k, cap)·d: work with `cap` threads split over the instances, slowed
    /// by fewer vCPUs than threads and not helped by more.
    CapD(f64),
    /// x = min(k, cap): work with `cap` threads in one instance.
    Cap(f64),
}

impl XForm {
    /// The value of x for `vcpu` vCPUs per instance and `d` instances.
    pub fn x(self, vcpu: f64, d: f64) -> f64 {
        match self {
            XForm::D => d,
            XForm::KD => vcpu * d,
            XForm::K => vcpu,
            XForm::CapD(cap) => vcpu.min(cap) * d,
            XForm::Cap(cap) => vcpu.min(cap),
        }
    }
}

/// A basis term of a curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Term {
    /// 1 / x.
    InvX,
    /// ln(1 + x) / x (n·log n work split over x; ln(1 + x) keeps it positive
    /// and decreasing for every x > 0, and equals ln(x)/x asymptotically).
    LnXOverX,
    /// 1 / x².
    InvX2,
    /// The constant 1.
    One,
    /// The number of input partitions d_in (single-instance stages reading a parallel parent).
    InputD,
    /// 1 / (k·d), whatever x is (a second split variable beside x = d).
    InvKD,
}

impl Term {
    /// The term's value at `x`, with `vcpu` vCPUs, `d` instances and `d_in` input partitions.
    pub fn eval(self, x: f64, vcpu: f64, d: f64, d_in: f64) -> f64 {
        match self {
            Term::InvKD => 1.0 / (vcpu * d),
            Term::InvX => 1.0 / x,
            Term::LnXOverX => x.ln_1p() / x,
            Term::InvX2 => 1.0 / (x * x),
            Term::One => 1.0,
            Term::InputD => d_in,
        }
    }
}

/// A fitted step curve: time in seconds as a function of the configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// The work-splitting variable.
    pub xform: XForm,
    /// The terms with their (nonnegative) coefficients, seconds.
    pub terms: Vec<(Term, f64)>,
}

impl Curve {
    /// The constant curve `value`.
    pub fn constant(value: f64) -> Self {
        Curve {
            xform: XForm::D,
            terms: vec![(Term::One, value)],
        }
    }

    /// Time in seconds for `vcpu` vCPUs per instance, `d` instances and `d_in` input partitions.
    pub fn eval(&self, vcpu: f64, d: f64, d_in: f64) -> f64 {
        let x = self.xform.x(vcpu, d);
        self.terms
            .iter()
            .map(|&(t, c)| c * t.eval(x, vcpu, d, d_in))
            .sum()
    }

    /// Number of fitted parameters: nonzero coefficients, plus the thread cap if any.
    pub fn n_params(&self) -> usize {
        let cap = matches!(self.xform, XForm::CapD(_) | XForm::Cap(_));
        self.terms.iter().filter(|t| t.1 != 0.0).count() + usize::from(cap)
    }
}

/// Most terms a curve may have.
pub const MAX_TERMS: usize = 5;

/// One observation for a curve fit: vCPUs, instance count, input partitions, target, weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Obs {
    /// vCPUs per instance.
    pub vcpu: f64,
    /// Instance count.
    pub d: f64,
    /// Input partitions (single-instance stages), else equal to `d`.
    pub d_in: f64,
    /// Measured value, s.
    pub y: f64,
    /// Least-squares weight.
    pub w: f64,
}

/// The best nonnegative weighted least-squares fit of `terms` on `obs` with
/// variable `xform`, and its weighted sum of squared residuals.
///
/// At most [`MAX_TERMS`] terms are used; further terms are ignored. The Gram
/// matrix is formed once; each subset is solved from it, and its SSE is
/// `yᵀWy − 2cᵀb + cᵀGc`.
pub fn fit_nnls(xform: XForm, terms: &[Term], obs: &[Obs]) -> (Curve, f64) {
    let terms = &terms[..terms.len().min(MAX_TERMS)];
    let p = terms.len();
    let mut g = [[0.0f64; MAX_TERMS]; MAX_TERMS];
    let mut b = [0.0f64; MAX_TERMS];
    let mut yy = 0.0;
    for o in obs {
        let x = xform.x(o.vcpu, o.d);
        let mut phi = [0.0f64; MAX_TERMS];
        for (f, t) in phi.iter_mut().zip(terms) {
            *f = t.eval(x, o.vcpu, o.d, o.d_in);
        }
        for ((row, br), &pr) in g.iter_mut().zip(b.iter_mut()).zip(&phi) {
            for (gc, &pc) in row.iter_mut().zip(&phi) {
                *gc += o.w * pr * pc;
            }
            *br += o.w * pr * o.y;
        }
        yy += o.w * o.y * o.y;
    }
    let mut best = ([0.0f64; MAX_TERMS], yy);
    for mask in 1u32..(1 << p) {
        let active: Vec<usize> = (0..p).filter(|j| mask & (1 << j) != 0).collect();
        if active.len() > obs.len() {
            continue;
        }
        let Some(coef) = solve_subset(&g, &b, &active) else {
            continue;
        };
        if coef.iter().any(|&c| c < 0.0 || !c.is_finite()) {
            continue;
        }
        let mut full = [0.0f64; MAX_TERMS];
        for (&j, &c) in active.iter().zip(&coef) {
            full[j] = c;
        }
        let mut sse = yy;
        for r in 0..p {
            sse -= 2.0 * full[r] * b[r];
            for c in 0..p {
                sse += full[r] * g[r][c] * full[c];
            }
        }
        if sse < best.1 {
            best = (full, sse);
        }
    }
    let curve = Curve {
        xform,
        terms: terms.iter().copied().zip(best.0).collect(),
    };
    (curve, best.1.max(0.0))
}

/// Solves the normal equations restricted to the `active` terms (Gaussian
/// elimination with partial pivoting); `None` when singular.
fn solve_subset(
    g: &[[f64; MAX_TERMS]; MAX_TERMS],
    b: &[f64; MAX_TERMS],
    active: &[usize],
) -> Option<Vec<f64>> {
    let n = active.len();
    let mut a = [[0.0f64; MAX_TERMS + 1]; MAX_TERMS];
    for (r, &jr) in active.iter().enumerate() {
        for (c, &jc) in active.iter().enumerate() {
            a[r][c] = g[jr][jc];
        }
        a[r][n] = b[jr];
    }
    let scale = (0..n).map(|i| a[i][i].abs()).fold(0.0, f64::max);
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() <= 1e-12 * scale.max(f64::MIN_POSITIVE) {
            return None;
        }
        a.swap(col, piv);
        for r in 0..n {
            if r != col {
                let f = a[r][col] / a[col][col];
                let pivot_row = a[col];
                for (x, p) in a[r][col..=n].iter_mut().zip(&pivot_row[col..=n]) {
                    *x -= f * p;
                }
            }
        }
    }
    Some((0..n).map(|i| a[i][n] / a[i][i]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nnls_recovers_exact_nonnegative_coefficients() {
        let obs: Vec<Obs> = [1.0, 2.0, 4.0, 8.0, 16.0]
            .iter()
            .map(|&d| Obs {
                vcpu: 1.0,
                d,
                d_in: d,
                y: 10.0 / d + 0.5,
                w: 1.0,
            })
            .collect();
        let (c, sse) = fit_nnls(XForm::D, &[Term::InvX, Term::One], &obs);
        assert!(sse < 1e-20);
        approx::assert_relative_eq!(c.terms[0].1, 10.0, epsilon = 1e-9);
        approx::assert_relative_eq!(c.terms[1].1, 0.5, epsilon = 1e-9);
    }

    #[test]
    fn nnls_clamps_a_negative_coefficient_to_zero() {
        let obs: Vec<Obs> = [1.0, 2.0, 4.0]
            .iter()
            .map(|&d| Obs {
                vcpu: 1.0,
                d,
                d_in: d,
                y: 3.0 - 1.0 / d,
                w: 1.0,
            })
            .collect();
        let (c, _) = fit_nnls(XForm::D, &[Term::InvX, Term::One], &obs);
        assert!(c.terms.iter().all(|t| t.1 >= 0.0));
        assert_eq!(c.terms[0].1, 0.0);
    }
}
