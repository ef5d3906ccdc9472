//! A small exact Gaussian process over the unit square of a stage's
//! configurations, `u = (scaled ln memory, scaled ln d)`.
//!
//! Model: `y(u) = h(u)ᵀβ + f(u) + ε`, with the linear trend `h(u) = (1, u₁, u₂)`
//! fitted by (lightly ridged) least squares, `f ~ GP(0, k)` with the squared
//! exponential kernel `k(u, u') = σ_f² exp(−½ Σ_j (u_j − u'_j)² / ℓ_j²)`, and
//! independent noise `ε_i ~ N(0, v_i + ν)`: `v_i` is the known noise of each
//! observation (from its repeated runs) and `ν` a learned nugget (model misfit).
//! The hyperparameters `(ℓ₁, ℓ₂, σ_f, ν)` are the maximum of the marginal
//! likelihood over a fixed grid ([`HYPER_GRID_LENGTH`], ...), which is
//! deterministic and needs no optimiser. Prediction solves with the Cholesky
//! factor of `K + diag(v + ν)`; a matrix that is not positive definite gets a
//! growing jitter on its diagonal.

/// Length scales tried for each input (in units of the scaled inputs).
pub const HYPER_GRID_LENGTH: [f64; 4] = [0.15, 0.3, 0.6, 1.2];
/// Signal standard deviations tried (of ln time).
pub const HYPER_GRID_SIGNAL: [f64; 5] = [0.05, 0.1, 0.2, 0.4, 0.8];
/// Nugget variances tried (of ln time).
pub const HYPER_GRID_NUGGET: [f64; 4] = [1e-4, 1e-3, 1e-2, 4e-2];

/// Ridge added to the normal equations of the linear trend.
const TREND_RIDGE: f64 = 1e-6;

/// The kernel and noise hyperparameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyper {
    /// Length scale of each input.
    pub length: [f64; 2],
    /// Signal standard deviation σ_f.
    pub signal_sd: f64,
    /// Nugget variance ν added to every observation's noise.
    pub nugget: f64,
}

/// Observations: inputs in the unit square, values, and each value's known noise variance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GpData {
    /// Inputs.
    pub x: Vec<[f64; 2]>,
    /// Observed values.
    pub y: Vec<f64>,
    /// Known noise variance of each value (≥ 0).
    pub noise: Vec<f64>,
}

impl GpData {
    /// The observations at `keep` (indices into `self`), in that order.
    pub fn subset(&self, keep: &[usize]) -> GpData {
        GpData {
            x: keep.iter().map(|&i| self.x[i]).collect(),
            y: keep.iter().map(|&i| self.y[i]).collect(),
            noise: keep.iter().map(|&i| self.noise[i]).collect(),
        }
    }
}

/// A fitted Gaussian process.
#[derive(Clone, Debug)]
pub struct Gp {
    hyper: Hyper,
    x: Vec<[f64; 2]>,
    beta: [f64; 3],
    /// Lower Cholesky factor of `K + diag(noise + ν)`, row-major n×n.
    chol: Vec<f64>,
    /// `(K + diag(noise + ν))⁻¹ (y − Hβ)`.
    alpha: Vec<f64>,
    log_likelihood: f64,
}

impl Gp {
    /// Fits the trend and conditions on `data` with the given hyperparameters.
    /// `None` when `data` is empty.
    pub fn fit(data: &GpData, hyper: Hyper) -> Option<Gp> {
        let n = data.y.len();
        if n == 0 {
            return None;
        }
        let beta = trend(data);
        let resid: Vec<f64> = (0..n)
            .map(|i| data.y[i] - dot3(&beta, &data.x[i]))
            .collect();
        let mut k = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let v = kernel(&hyper, &data.x[i], &data.x[j]);
                k[i * n + j] = v;
                k[j * n + i] = v;
            }
            k[i * n + i] += data.noise[i] + hyper.nugget;
        }
        let chol = cholesky_jittered(&k, n);
        let alpha = cho_solve(&chol, n, &resid);
        let log_det_half: f64 = (0..n).map(|i| chol[i * n + i].ln()).sum();
        let fit: f64 = resid.iter().zip(&alpha).map(|(r, a)| r * a).sum();
        let log_likelihood =
            -0.5 * fit - log_det_half - 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln();
        Some(Gp {
            hyper,
            x: data.x.clone(),
            beta,
            chol,
            alpha,
            log_likelihood,
        })
    }

    /// Fits with the hyperparameters of largest marginal likelihood over the grid.
    pub fn fit_best(data: &GpData) -> Option<Gp> {
        let mut best: Option<Gp> = None;
        for &l1 in &HYPER_GRID_LENGTH {
            for &l2 in &HYPER_GRID_LENGTH {
                for &signal_sd in &HYPER_GRID_SIGNAL {
                    for &nugget in &HYPER_GRID_NUGGET {
                        let hyper = Hyper {
                            length: [l1, l2],
                            signal_sd,
                            nugget,
                        };
                        let gp = Gp::fit(data, hyper)?;
                        if best
                            .as_ref()
                            .is_none_or(|b| gp.log_likelihood > b.log_likelihood)
                        {
                            best = Some(gp);
                        }
                    }
                }
            }
        }
        best
    }

    /// The hyperparameters.
    pub fn hyper(&self) -> Hyper {
        self.hyper
    }

    /// Log marginal likelihood of the residuals after the trend.
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// Posterior mean and variance of the latent value `h(u)ᵀβ + f(u)` (without noise).
    pub fn predict(&self, u: &[f64; 2]) -> (f64, f64) {
        let (means, cov) = self.predict_joint(std::slice::from_ref(u));
        (means[0], cov[0])
    }

    /// Joint posterior of the latent values at `us`: means and the row-major covariance.
    pub fn predict_joint(&self, us: &[[f64; 2]]) -> (Vec<f64>, Vec<f64>) {
        let n = self.x.len();
        let m = us.len();
        let mut v = Vec::with_capacity(m);
        let mut means = Vec::with_capacity(m);
        for u in us {
            let k: Vec<f64> = self.x.iter().map(|x| kernel(&self.hyper, x, u)).collect();
            let mean =
                dot3(&self.beta, u) + k.iter().zip(&self.alpha).map(|(a, b)| a * b).sum::<f64>();
            means.push(mean);
            v.push(forward(&self.chol, n, &k));
        }
        let mut cov = vec![0.0; m * m];
        for a in 0..m {
            for b in 0..=a {
                let prior = kernel(&self.hyper, &us[a], &us[b]);
                let reduce: f64 = v[a].iter().zip(&v[b]).map(|(p, q)| p * q).sum();
                let mut c = prior - reduce;
                if a == b {
                    c = c.max(0.0);
                }
                cov[a * m + b] = c;
                cov[b * m + a] = c;
            }
        }
        (means, cov)
    }
}

fn dot3(beta: &[f64; 3], u: &[f64; 2]) -> f64 {
    beta[0] + beta[1] * u[0] + beta[2] * u[1]
}

/// The squared exponential kernel.
pub fn kernel(h: &Hyper, a: &[f64; 2], b: &[f64; 2]) -> f64 {
    let d0 = (a[0] - b[0]) / h.length[0];
    let d1 = (a[1] - b[1]) / h.length[1];
    h.signal_sd * h.signal_sd * (-0.5 * (d0 * d0 + d1 * d1)).exp()
}

/// Least-squares trend `β` of `y` on `(1, u₁, u₂)`, with a small ridge so that
/// fewer than three points or a constant input still give a unique answer.
fn trend(data: &GpData) -> [f64; 3] {
    let mut a = [0.0; 9];
    let mut b = [0.0; 3];
    for (u, y) in data.x.iter().zip(&data.y) {
        let h = [1.0, u[0], u[1]];
        for i in 0..3 {
            b[i] += h[i] * y;
            for j in 0..3 {
                a[i * 3 + j] += h[i] * h[j];
            }
        }
    }
    for i in 0..3 {
        a[i * 3 + i] += TREND_RIDGE;
    }
    let l = cholesky_jittered(&a, 3);
    let x = cho_solve(&l, 3, &b);
    [x[0], x[1], x[2]]
}

/// Lower Cholesky factor of the symmetric row-major n×n `a`, or `None` if `a`
/// is not (numerically) positive definite.
pub fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s.is_nan() || s <= 0.0 || s.is_infinite() {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// [`cholesky`], adding a jitter (relative to the mean diagonal, growing tenfold)
/// until the factor exists; the identity's factor as the last resort.
pub fn cholesky_jittered(a: &[f64], n: usize) -> Vec<f64> {
    if let Some(l) = cholesky(a, n) {
        return l;
    }
    let scale = ((0..n).map(|i| a[i * n + i].abs()).sum::<f64>() / n.max(1) as f64).max(1e-12);
    let mut jitter = 1e-10 * scale;
    for _ in 0..12 {
        let mut b = a.to_vec();
        for i in 0..n {
            b[i * n + i] += jitter;
        }
        if let Some(l) = cholesky(&b, n) {
            return l;
        }
        jitter *= 10.0;
    }
    let mut eye = vec![0.0; n * n];
    for i in 0..n {
        eye[i * n + i] = scale.sqrt();
    }
    eye
}

/// Solves `L z = b` for lower-triangular `L`.
pub fn forward(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut z = b.to_vec();
    for i in 0..n {
        let mut s = z[i];
        for k in 0..i {
            s -= l[i * n + k] * z[k];
        }
        z[i] = s / l[i * n + i];
    }
    z
}

/// Solves `L Lᵀ x = b`.
pub fn cho_solve(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut x = forward(l, n, b);
    for i in (0..n).rev() {
        let mut s = x[i];
        for k in i + 1..n {
            s -= l[k * n + i] * x[k];
        }
        x[i] = s / l[i * n + i];
    }
    x
}
