//! Per-stage stochastic performance models fitted from profiles.
//!
//! # Model
//!
//! One instance of a stage with k vCPUs (k = memory_mb / mb_per_vcpu) among d
//! instances runs read, compute and write steps. Each step's time is a
//! [`Curve`] with nonnegative coefficients:
//!
//! - read / write: `a/x + b`, x = d or x = k·d;
//! - compute: `a/x + b·ln(1+x)/x + c/x² + e`, x = d or x = k·d (ln(1+x) rather
//!   than ln x keeps the term positive and decreasing below x = e, e.g. for
//!   x = k < 1 vCPU);
//! - single-instance stages use x = k, and their read step depends on the
//!   number of input partitions d_in written by the parallel parent:
//!   `a/k + b·d_in + c`.
//!
//! Two more choices of x cover what the profiles show: x = min(k, cap)·d (and
//! x = min(k, cap) for single-instance stages), for code with `cap` ∈ {1, 1.5,
//! 2, 3, 4} threads that a fractional vCPU slows down and more vCPUs do not
//! help (ML stage 0 saturates at 1 vCPU, Video stage 1 at 2); and, for parallel
//! stages, x = d with an extra `f/(k·d)` term (work partly per instance, partly
//! per vCPU). Every choice is fitted and the one with the lowest BIC
//! (`n·ln(2·loss/n) + p·ln(n)`, p = nonzero coefficients plus the cap) is kept,
//! so an extra term stays only when it pays for itself.
//!
//! Fits are on the per-configuration means over the repetitions, weighted by
//! `1/wall²` (the error that matters is relative to the stage's wall time), and
//! robust: Huber loss with a threshold of 5% of the wall time, by iteratively
//! reweighted NNLS (4 rounds), so one anomalous configuration does not bend the
//! curve for the others. Fitting is deterministic.
//!
//! Every step is fitted twice: on the instances' mean (`mean` column, what one
//! instance is billed on average) and on their 95th percentile (`p95` column,
//! the straggler the stage waits for). For stage latency the slow instance runs
//! `P = Σ_step max(p95_fit, mean_fit)`; for billing each instance runs
//! `M = Σ_step mean_fit`.
//!
//! # Randomness
//!
//! A profiled run's wall time is exactly `start.p95 + Σ_step p95` (see
//! [`crate::profile`]), so the stage latency of one run is modelled as
//!
//! `L = max(g(d) + S + (1 + ε)·P, (1 + ε)·M)`, billed `B = d·(1 + ε)·M` (seconds),
//!
//! - `g(d) = a + b·ln d` (b ≥ 0) is the invocation and start-up overhead beyond
//!   the per-step stragglers, fitted on the **warm** runs' `start.p95` (constant
//!   for single-instance stages);
//! - `S` is the start-up residual of the slowest instance: `S = ρ` when every
//!   instance is warm, `S = max(ρ, κ₍c₎)` when c of the d instances start cold;
//! - `ρ` is drawn from the warm runs' empirical residuals `start.p95 − g(d)`:
//!   start-up is resampled, never billed;
//! - cold starts are an explicit mixture, fitted apart from the warm runs:
//!   κ is drawn from the cold runs' residuals `start.p95 − g(d)` (against the warm
//!   overhead); the number of cold instances is `c ~ Binomial(d, p)` (d = 1 for
//!   a single-instance stage), and `κ₍c₎` is the largest of c independent draws
//!   of κ. A profile marks whole runs cold, so by default the per-instance
//!   probability at d instances is `p = 1 − (1 − r)^{1/d}` with r the profile's
//!   share of cold runs ([`StageModel::cold_rate`]): a run has a cold instance as
//!   often as the profiled runs did, whatever d, and κ is read as the start-up of
//!   a cold instance. The settings may replace p ([`crate::settings::ColdStarts`]: all warm, first
//!   invocation cold, a rate). A profiled cold run's κ is the 95th percentile
//!   over its instances, so where the mixture draws many cold instances (all
//!   cold at d = 32, say) the maximum of c draws errs slow;
//! - `ε` is drawn from the empirical run-to-run deviations of the in-function
//!   straggler time, `S_run / mean_reps(S) − 1` with `S = Σ_step p95`, pooled
//!   over all configurations (mean 0 by construction).
//!
//! A profile without warm runs keeps every run in the ρ pool and has no
//! mixture; one without cold runs has p = 0.
//!
//! Each sample takes [`DRAWS`] uniforms in (0, 1): ρ from `draws[0]`, ε from
//! `draws[1]` (index `floor(u·n)` into the sorted residuals, so a larger draw
//! never gives a faster run), c from `draws[2]` (the inverse binomial CDF, so
//! the same draw gives at least as many cold instances at a larger d) and κ₍c₎
//! from `draws[3]` (index `floor(u^{1/c}·n)`, the maximum of c draws).
//! [`StageModel::predict`] is exact over that discrete distribution (every
//! combination of ρ, ε and, with weights, of κ₍c₎), so a Monte Carlo mean of
//! [`StageModel::sample`] converges to it. Fitting uses no randomness.
//!
//! Units: seconds, MB, vCPUs.

mod curve;
mod fit;
mod report;

pub use curve::{Curve, MAX_TERMS, Obs, Term, XForm, fit_nnls};
pub use fit::{InputPartitions, fit_fold, fit_stage, fit_stage_at, fit_stage_with, fit_workflow};
pub use report::{
    ConfigPrediction, FitReport, StageReport, fit_report, measured_p95_s, stage_report,
};

use crate::dag::{Config, StageKind};
use crate::settings::ColdStarts;

/// Number of uniform draws one stage sample consumes (ρ, ε, cold count, cold start-up).
pub const DRAWS: usize = 4;

/// Why a model could not be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// The stage has no profile.
    #[error("stage `{stage}` has no profile")]
    Unprofiled {
        /// Stage id.
        stage: String,
    },
    /// The stage was profiled under too few distinct configurations.
    #[error("stage `{stage}` has {found} profiled configurations, at least {needed} are needed")]
    TooFewConfigs {
        /// Stage id.
        stage: String,
        /// Distinct (memory, d) configurations found.
        found: usize,
        /// Configurations needed.
        needed: usize,
    },
    /// A profile value is not a finite number, or a wall time is not positive.
    #[error("stage `{stage}` has an invalid `{field}` at {memory_mb} MB, d = {d}")]
    BadValue {
        /// Stage id.
        stage: String,
        /// The offending field.
        field: &'static str,
        /// Memory of the offending run, MB.
        memory_mb: u32,
        /// d of the offending run.
        d: u32,
    },
    /// `mb_per_vcpu` is not a positive number.
    #[error("mb_per_vcpu must be positive, got {0}")]
    BadMbPerVcpu(f64),
}

/// A timed step of a stage run that the model fits a curve to (the start-up is
/// modelled separately, as an overhead with resampled residuals).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepKind {
    /// Reading the input.
    Read,
    /// The stage's own work.
    Compute,
    /// Writing the output.
    Write,
}

impl StepKind {
    /// Every fitted step, in the order a run takes them.
    pub const ALL: [StepKind; 3] = [StepKind::Read, StepKind::Compute, StepKind::Write];

    /// The step's name, as in the profile formats and reports.
    pub fn name(self) -> &'static str {
        match self {
            StepKind::Read => "read",
            StepKind::Compute => "compute",
            StepKind::Write => "write",
        }
    }
}

impl std::fmt::Display for StepKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Fitted curves of one step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepModel {
    /// Mean over the instances, s.
    pub mean: Curve,
    /// 95th percentile over the instances (the straggler), s.
    pub p95: Curve,
}

/// The fitted model of one stage.
#[derive(Clone, Debug, PartialEq)]
pub struct StageModel {
    /// Stage id.
    pub stage: String,
    /// Parallel or single-instance.
    pub kind: StageKind,
    /// Read, compute and write steps (absent steps are not listed).
    pub steps: Vec<(StepKind, StepModel)>,
    /// Overhead `g(d) = overhead[0] + overhead[1]·ln d`, s.
    pub overhead: [f64; 2],
    /// Sorted empirical residuals of the overhead ρ (warm runs), s.
    pub start_resid_s: Vec<f64>,
    /// Sorted start-up residuals κ of the cold runs (against the warm overhead), s;
    /// empty when the profile has no cold run (or no warm run to compare with).
    pub cold_start_s: Vec<f64>,
    /// Share of the profiled runs marked cold (0 without a mixture); see
    /// [`ColdStarts::probability`](crate::settings::ColdStarts::probability).
    pub cold_rate: f64,
    /// Sorted empirical relative run-to-run deviations ε.
    pub noise: Vec<f64>,
    /// Input partitions assumed when a single-instance stage is sampled without one.
    pub default_input_d: u32,
}

/// The deterministic parts of a stage sample for one configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StageCurves {
    /// Overhead g(d), s.
    pub base_s: f64,
    /// In-function time of the slowest instance P, s.
    pub slow_s: f64,
    /// Mean in-function time of one instance M, s.
    pub mean_s: f64,
    /// Instance count.
    pub d: u32,
}

/// One sampled run of a stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StageSample {
    /// Stage latency (until the last instance returns), s.
    pub latency_s: f64,
    /// Sum over the instances of their in-function time (start-up excluded), s.
    pub billed_s: f64,
}

/// Deterministic summary of a stage's latency distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    /// Expected stage latency, s.
    pub mean_s: f64,
    /// 95th percentile of the stage latency, s.
    pub p95_s: f64,
}

/// Fitted models of every stage of a workflow, indexed like `Workflow::stages`.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowModel {
    /// One model per stage.
    pub stages: Vec<StageModel>,
}

/// Index of uniform `u` in (0, 1) into a table of `n` ≥ 1 entries.
#[inline]
fn pick(u: f64, n: usize) -> usize {
    ((u * n as f64) as usize).min(n - 1)
}

impl StageModel {
    /// The deterministic parts for `cfg`, with `vcpu` vCPUs per instance and,
    /// for a single-instance stage, `input_d` input partitions.
    pub fn curves(&self, cfg: Config, input_d: Option<u32>, vcpu: f64) -> StageCurves {
        let (d, d_in) = match self.kind {
            StageKind::Parallel => (cfg.d.max(1), cfg.d.max(1)),
            StageKind::Single => (1, input_d.unwrap_or(self.default_input_d)),
        };
        let (df, d_in) = (f64::from(d), f64::from(d_in));
        let (mut slow_s, mut mean_s) = (0.0, 0.0);
        for (_, s) in &self.steps {
            let m = s.mean.eval(vcpu, df, d_in).max(0.0);
            mean_s += m;
            slow_s += s.p95.eval(vcpu, df, d_in).max(m);
        }
        StageCurves {
            base_s: self.overhead[0] + self.overhead[1] * df.ln(),
            slow_s,
            mean_s,
            d,
        }
    }

    /// The residuals (ρ, ε) that `draws` select.
    #[inline]
    pub fn residuals(&self, draws: &[f64; DRAWS]) -> (f64, f64) {
        (
            self.start_resid_s[pick(draws[0], self.start_resid_s.len())],
            self.noise[pick(draws[1], self.noise.len())],
        )
    }

    /// The cold-start mixture of this stage for `d` instances under `setting`.
    pub fn cold_mix(&self, d: u32, setting: ColdStarts) -> ColdMix<'_> {
        ColdMix::new(
            &self.cold_start_s,
            d,
            setting.probability(self.cold_rate, d),
        )
    }

    /// One sampled run of `cfg` at the profile's cold-start rate; `draws` are
    /// uniforms in (0, 1), shared by every candidate configuration of the stage
    /// for a given sample.
    pub fn sample(
        &self,
        cfg: Config,
        input_d: Option<u32>,
        vcpu: f64,
        draws: &[f64; DRAWS],
    ) -> StageSample {
        self.sample_with(cfg, input_d, vcpu, ColdStarts::Profile, draws)
    }

    /// [`StageModel::sample`] under the cold-start setting `cold`.
    pub fn sample_with(
        &self,
        cfg: Config,
        input_d: Option<u32>,
        vcpu: f64,
        cold: ColdStarts,
        draws: &[f64; DRAWS],
    ) -> StageSample {
        let (rho, eps) = self.residuals(draws);
        let c = self.curves(cfg, input_d, vcpu);
        let start = self.cold_mix(c.d, cold).start_up(rho, draws[2], draws[3]);
        combine(&c, start, eps)
    }

    /// Mean and 95th percentile of the stage latency, exact over the model's
    /// discrete residual distribution (at the profile's cold-start rate).
    pub fn predict(&self, cfg: Config, input_d: Option<u32>, vcpu: f64) -> Prediction {
        self.predict_quantile(cfg, input_d, vcpu, 0.95)
    }

    /// Mean and `q`-quantile (reported in `p95_s`) of the stage latency.
    pub fn predict_quantile(
        &self,
        cfg: Config,
        input_d: Option<u32>,
        vcpu: f64,
        q: f64,
    ) -> Prediction {
        let all = self.latency_distribution(cfg, input_d, vcpu);
        Prediction {
            mean_s: all.mean(),
            p95_s: all.quantile(q),
        }
    }

    /// The exact stage latency distribution at the profile's cold-start rate: one
    /// value per pair of residuals (ρ, ε) when every instance is warm, and
    /// otherwise one per pair (S, ε) with S = max(ρ, κ₍c₎) the slowest start-up,
    /// weighted by its probability ([`StageModel::start_up_distribution`]).
    ///
    /// S takes at most n_ρ + n_κ values, so the distribution has at most
    /// (n_ρ + n_κ)·n_ε values (not n_ρ·n_ε·(1 + n_κ), one per (ρ, ε, κ) triple):
    /// the same distribution, its equal values merged. Latency grows with ε, so
    /// the values are built as n_S ascending runs and merged in O(N log n_S).
    pub fn latency_distribution(
        &self,
        cfg: Config,
        input_d: Option<u32>,
        vcpu: f64,
    ) -> Distribution {
        let c = self.curves(cfg, input_d, vcpu);
        let mix = self.cold_mix(c.d, ColdStarts::Profile);
        let start = self.start_up_distribution(&mix);
        let uniform = !mix.active() || mix.warm_probability() >= 1.0;
        let n_eps = self.noise.len() as f64;
        let mut all: Vec<(f64, f64)> = Vec::with_capacity(start.len() * self.noise.len());
        for &(s, p) in &start {
            let w = p / n_eps;
            all.extend(
                self.noise
                    .iter()
                    .map(|&eps| (combine(&c, s, eps).latency_s, w)),
            );
        }
        merge_runs(&mut all, self.noise.len());
        Distribution::new(all, uniform)
    }

    /// The distribution of the slowest instance's start-up residual S under the
    /// mixture `mix`: S = ρ when every instance is warm, max(ρ, κ₍c₎) when c ≥ 1
    /// start cold, so `P(S ≤ x) = F_ρ(x)·(P(warm) + P(C ≥ 1, κ₍C₎ ≤ x))`.
    /// Ascending values with their probabilities; without a mixture, the ρ pool
    /// itself, each value with probability 1/n_ρ (ties kept apart).
    pub fn start_up_distribution(&self, mix: &ColdMix<'_>) -> Vec<(f64, f64)> {
        let rho = &self.start_resid_s;
        let n_rho = rho.len() as f64;
        let warm = mix.warm_probability();
        if !mix.active() || warm >= 1.0 {
            return rho.iter().map(|&r| (r, 1.0 / n_rho)).collect();
        }
        let kappa = mix.pool;
        let w = mix.max_weights();
        let mut out = Vec::with_capacity(rho.len() + kappa.len());
        let (mut i, mut j) = (0, 0);
        // Cumulative weight of the cold maxima ≤ the current value.
        let mut w_le = warm;
        while i < rho.len() || j < kappa.len() {
            let x = match (rho.get(i), kappa.get(j)) {
                (Some(&r), Some(&k)) => r.min(k),
                (Some(&r), None) => r,
                (None, Some(&k)) => k,
                (None, None) => break,
            };
            let below = i as f64;
            let mut w_eq = 0.0;
            while j < kappa.len() && kappa[j] <= x {
                w_eq += w[j];
                j += 1;
            }
            w_le += w_eq;
            let i0 = i;
            while i < rho.len() && rho[i] <= x {
                i += 1;
            }
            let equal = (i - i0) as f64;
            // P(ρ = x, κ₍C₎ ≤ x or all warm) + P(ρ < x, κ₍C₎ = x).
            let p = (equal * w_le + below * w_eq) / n_rho;
            if p > 0.0 {
                out.push((x, p));
            }
        }
        out
    }

    /// The expected stage latency at the profile's cold-start rate: the mean of
    /// [`StageModel::latency_distribution`] without building or sorting it.
    pub fn mean_latency(&self, cfg: Config, input_d: Option<u32>, vcpu: f64) -> f64 {
        let c = self.curves(cfg, input_d, vcpu);
        let mix = self.cold_mix(c.d, ColdStarts::Profile);
        let n_eps = self.noise.len() as f64;
        self.start_up_distribution(&mix)
            .iter()
            .map(|&(s, p)| {
                p * self
                    .noise
                    .iter()
                    .map(|&eps| combine(&c, s, eps).latency_s)
                    .sum::<f64>()
                    / n_eps
            })
            .sum()
    }
}

/// Sorts `v`, made of consecutive ascending runs of `run` values (the last one
/// possibly shorter), by stable pairwise merges: O(N log(N / run)), and the
/// same order as a stable sort of the whole. A run that is not ascending (which
/// a NaN in a pool could make) falls back to that sort.
fn merge_runs(v: &mut Vec<(f64, f64)>, run: usize) {
    let ascending = |s: &[(f64, f64)]| s.windows(2).all(|w| w[0].0.total_cmp(&w[1].0).is_le());
    if run == 0 || !v.chunks(run).all(ascending) {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        return;
    }
    let n = v.len();
    let mut src = std::mem::take(v);
    let mut dst: Vec<(f64, f64)> = Vec::with_capacity(n);
    let mut width = run;
    while width < n {
        dst.clear();
        for start in (0..n).step_by(2 * width) {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            while i < mid && j < end {
                // `<=` takes the left run first on ties: stable.
                if src[i].0.total_cmp(&src[j].0).is_le() {
                    dst.push(src[i]);
                    i += 1;
                } else {
                    dst.push(src[j]);
                    j += 1;
                }
            }
            dst.extend_from_slice(&src[i..mid]);
            dst.extend_from_slice(&src[j..end]);
        }
        std::mem::swap(&mut src, &mut dst);
        width *= 2;
    }
    *v = src;
}

/// A discrete stage latency distribution, sorted ascending, s.
#[derive(Clone, Debug, PartialEq)]
pub struct Distribution {
    /// Values with their probabilities (summing to 1), ascending.
    values: Vec<(f64, f64)>,
    /// Whether every value is equally likely (quantiles by exact nearest rank).
    uniform: bool,
}

impl Distribution {
    fn new(values: Vec<(f64, f64)>, uniform: bool) -> Self {
        Distribution { values, uniform }
    }

    /// The values, ascending, with their probabilities.
    pub fn values(&self) -> &[(f64, f64)] {
        &self.values
    }

    /// Expected value.
    pub fn mean(&self) -> f64 {
        if self.uniform {
            self.values.iter().map(|v| v.0).sum::<f64>() / self.values.len() as f64
        } else {
            self.values.iter().map(|v| v.0 * v.1).sum()
        }
    }

    /// Nearest-rank q-quantile: the smallest value whose cumulative probability
    /// reaches q (exactly `nearest_rank` when the values are equally likely).
    pub fn quantile(&self, q: f64) -> f64 {
        if self.uniform {
            let v: Vec<f64> = self.values.iter().map(|v| v.0).collect();
            return crate::stats::nearest_rank(&v, q);
        }
        let mut cum = 0.0;
        for &(x, w) in &self.values {
            cum += w;
            if cum >= q * (1.0 - 1e-12) {
                return x;
            }
        }
        self.values.last().map_or(f64::NAN, |v| v.0)
    }

    /// Cumulative probabilities before and after each value, in order.
    pub fn steps(&self) -> impl Iterator<Item = (f64, f64, f64)> + '_ {
        let n = self.values.len() as f64;
        let mut cum = 0.0;
        self.values.iter().enumerate().map(move |(i, &(x, w))| {
            if self.uniform {
                (x, i as f64 / n, (i + 1) as f64 / n)
            } else {
                let lo = cum;
                cum += w;
                (x, lo, cum.min(1.0))
            }
        })
    }
}

/// The cold-start mixture of one stage at one instance count: the binomial CDF
/// of the number of cold instances and the cold start-up pool.
#[derive(Clone, Debug, PartialEq)]
pub struct ColdMix<'m> {
    /// The smallest cold count kept (counts below it have probability < 1e-30).
    lo: u32,
    /// `P(C ≤ lo + i)` for the kept counts, the last one set to 1; empty when no
    /// instance can be cold.
    cdf: Vec<f64>,
    /// Sorted cold start-up residuals κ, s.
    pool: &'m [f64],
    /// Mean of `pool` (0 when empty).
    pool_mean: f64,
}

/// Standard deviations kept on each side of the binomial mean: the mass outside is
/// below 1e-30, so a count range of O(√d) stands for the whole support.
const COLD_SIGMAS: f64 = 12.0;

impl<'m> ColdMix<'m> {
    /// The mixture for `d` instances, each cold with probability `p`, drawing κ
    /// from `pool` (sorted).
    pub fn new(pool: &'m [f64], d: u32, p: f64) -> Self {
        let p = if p.is_finite() {
            p.clamp(0.0, 1.0)
        } else {
            0.0
        };
        if pool.is_empty() || p <= 0.0 || d == 0 {
            return ColdMix {
                lo: 0,
                cdf: Vec::new(),
                pool,
                pool_mean: 0.0,
            };
        }
        let n = u64::from(d);
        let (mean, sd) = (n as f64 * p, (n as f64 * p * (1.0 - p)).sqrt());
        let lo = (mean - COLD_SIGMAS * sd - 2.0).floor().max(0.0) as u64;
        let hi = ((mean + COLD_SIGMAS * sd + 2.0).ceil() as u64).min(n);
        let mut cdf = Vec::with_capacity((hi - lo + 1) as usize);
        let mut cum = 0.0;
        for k in lo..=hi {
            cum += crate::stats::binomial::ln_pmf(k, n, p).exp();
            cdf.push(cum.min(1.0));
        }
        if let Some(last) = cdf.last_mut() {
            *last = 1.0;
        }
        ColdMix {
            lo: lo as u32,
            cdf,
            pool,
            pool_mean: pool.iter().sum::<f64>() / pool.len() as f64,
        }
    }

    /// Whether some instance can start cold.
    pub fn active(&self) -> bool {
        !self.cdf.is_empty()
    }

    /// Probability that every instance is warm.
    pub fn warm_probability(&self) -> f64 {
        match self.cdf.first() {
            None => 1.0,
            Some(&c) if self.lo == 0 => c,
            Some(_) => 0.0,
        }
    }

    /// Number of cold instances for the uniform draw `u` (inverse CDF).
    #[inline]
    pub fn cold_count(&self, u: f64) -> u32 {
        self.lo + self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1) as u32
    }

    /// The start-up residual of the slowest instance: ρ, or the largest of c cold
    /// draws κ when c ≥ 1 instances start cold (`u` picks c, `v` the maximum).
    #[inline]
    pub fn start_up(&self, rho: f64, u: f64, v: f64) -> f64 {
        if !self.active() {
            return rho;
        }
        let c = self.cold_count(u);
        if c == 0 {
            return rho;
        }
        // The largest of c uniforms is v^(1/c); for c = 1 that is v itself
        // (`powf(v, 1.0)` returns v exactly, so skipping the call changes no bit).
        let top = if c == 1 {
            v
        } else {
            v.powf(1.0 / f64::from(c))
        };
        let kappa = self.pool[pick(top, self.pool.len())];
        if kappa > rho { kappa } else { rho }
    }

    /// [`ColdMix::start_up`] and the INIT time the run's cold instances are
    /// billed for (when the platform bills INIT): the slowest cold instance's
    /// excess over the warm start-up, `(κ₍C₎ − ρ)⁺`, plus the mean excess of the
    /// pool, `(mean κ − ρ)⁺`, for each of the other `C − 1` cold instances
    /// (only the slowest one's κ is drawn). 0 when every instance is warm.
    #[inline]
    pub fn start_up_and_init(&self, rho: f64, u: f64, v: f64) -> (f64, f64) {
        if !self.active() {
            return (rho, 0.0);
        }
        let c = self.cold_count(u);
        if c == 0 {
            return (rho, 0.0);
        }
        let start = self.start_up(rho, u, v);
        let others = f64::from(c - 1) * (self.pool_mean - rho).max(0.0);
        (start, start - rho + others)
    }

    /// Probability that κ₍C₎ is the j-th pool value and C ≥ 1, per j:
    /// `Σ_{c ≥ 1} P(C = c)·(((j+1)/n)^c − (j/n)^c)`.
    pub fn max_weights(&self) -> Vec<f64> {
        let n = self.pool.len();
        if !self.active() {
            return Vec::new();
        }
        let mut w = vec![0.0; n];
        let mut prev = 0.0;
        for (i, &cum) in self.cdf.iter().enumerate() {
            let pc = cum - prev;
            prev = cum;
            let c = f64::from(self.lo) + i as f64;
            if pc <= 1e-300 || c == 0.0 {
                continue;
            }
            for (j, wj) in w.iter_mut().enumerate() {
                let (lo, hi) = (j as f64 / n as f64, (j + 1) as f64 / n as f64);
                *wj += pc * (hi.powf(c) - lo.powf(c));
            }
        }
        w
    }
}

/// Combines the deterministic parts with one draw of the residuals.
#[inline]
pub fn combine(c: &StageCurves, rho: f64, eps: f64) -> StageSample {
    let f = 1.0 + eps;
    let billed_one = f * c.mean_s;
    StageSample {
        latency_s: (c.base_s + rho + f * c.slow_s).max(billed_one),
        billed_s: f64::from(c.d) * billed_one,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POOL: [f64; 4] = [1.0, 2.0, 3.0, 4.0];

    /// The distribution by its definition: one value per (ρ, ε) pair all warm, and one
    /// per (ρ, ε, κ) triple with the weight of κ being the cold maximum.
    fn brute_force(m: &StageModel, cfg: Config, vcpu: f64) -> Vec<(f64, f64)> {
        let c = m.curves(cfg, None, vcpu);
        let mix = m.cold_mix(c.d, ColdStarts::Profile);
        let pairs = (m.start_resid_s.len() * m.noise.len()) as f64;
        let (warm, w) = (mix.warm_probability(), mix.max_weights());
        let mut all = Vec::new();
        for &rho in &m.start_resid_s {
            for &eps in &m.noise {
                all.push((combine(&c, rho, eps).latency_s, warm / pairs));
                for (&kappa, &wk) in m.cold_start_s.iter().zip(&w) {
                    all.push((combine(&c, rho.max(kappa), eps).latency_s, wk / pairs));
                }
            }
        }
        all.retain(|v| v.1 > 0.0);
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        all
    }

    fn model(rho: Vec<f64>, noise: Vec<f64>, cold: Vec<f64>, cold_rate: f64) -> StageModel {
        let sorted = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v
        };
        StageModel {
            stage: "s".into(),
            kind: StageKind::Parallel,
            steps: Vec::new(),
            overhead: [0.5, 0.1],
            start_resid_s: sorted(rho),
            cold_start_s: sorted(cold),
            cold_rate,
            noise: sorted(noise),
            default_input_d: 1,
        }
    }

    proptest::proptest! {
        /// Merging ascending runs gives exactly a stable sort of the whole.
        #[test]
        fn merging_runs_is_a_stable_sort(
            runs in proptest::collection::vec(proptest::collection::vec(0u8..20, 1..9), 1..20),
            len in 1usize..9,
        ) {
            let mut v: Vec<(f64, f64)> = Vec::new();
            for (k, r) in runs.iter().enumerate() {
                let mut r: Vec<f64> = r.iter().map(|&x| f64::from(x)).collect();
                r.resize(len, 99.0);
                r.sort_by(f64::total_cmp);
                v.extend(r.into_iter().map(|x| (x, k as f64)));
            }
            let mut want = v.clone();
            want.sort_by(|a, b| a.0.total_cmp(&b.0));
            merge_runs(&mut v, len);
            proptest::prop_assert_eq!(v, want);
        }
    }

    proptest::proptest! {
        /// Merging the cold maxima into the start-up's distribution gives the same
        /// distribution as enumerating every (ρ, ε, κ) triple: the same mean, the
        /// same quantiles and the same cumulative steps, to rounding (1e-12).
        #[test]
        fn the_merged_distribution_is_the_triple_enumeration(
            rho in proptest::collection::vec(0u8..12, 1..30),
            noise in proptest::collection::vec(-20i8..20, 1..20),
            cold in proptest::collection::vec(0u8..16, 0..12),
            cold_rate in 0.0f64..1.0,
            d in 1u32..40,
        ) {
            // Small integer grids make ties between ρ, κ and across pools common.
            let m = model(
                rho.iter().map(|&r| f64::from(r) * 0.25).collect(),
                noise.iter().map(|&e| f64::from(e) / 50.0).collect(),
                cold.iter().map(|&k| f64::from(k) * 0.25).collect(),
                cold_rate,
            );
            let cfg = Config { memory_mb: 1024, d };
            let want = brute_force(&m, cfg, 1.0);
            let got = m.latency_distribution(cfg, None, 1.0);
            let total: f64 = got.values().iter().map(|v| v.1).sum();
            proptest::prop_assert!((total - 1.0).abs() < 1e-12, "total {}", total);
            let want_mean: f64 = want.iter().map(|v| v.0 * v.1).sum();
            let tol = 1e-12 * want.last().map_or(1.0, |v| v.0.abs().max(1.0));
            proptest::prop_assert!((got.mean() - want_mean).abs() < tol);
            proptest::prop_assert!((m.mean_latency(cfg, None, 1.0) - want_mean).abs() < tol);
            // Cumulative probability at every distinct value agrees.
            let mut cum_want = 0.0;
            let mut it = got.steps().peekable();
            let mut cum_got = 0.0;
            for (i, &(x, w)) in want.iter().enumerate() {
                cum_want += w;
                if want.get(i + 1).is_some_and(|n| n.0 == x) {
                    continue;
                }
                while let Some(&(gx, _, hi)) = it.peek() {
                    if gx > x {
                        break;
                    }
                    cum_got = hi;
                    it.next();
                }
                proptest::prop_assert!((cum_got - cum_want).abs() < 1e-12, "at {}: {} vs {}", x, cum_got, cum_want);
            }
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn no_cold_probability_leaves_the_warm_start_up() {
        let m = ColdMix::new(&POOL, 8, 0.0);
        assert!(!m.active());
        assert_eq!(m.start_up(0.5, 0.999, 0.999), 0.5);
        assert_eq!(m.warm_probability(), 1.0);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn every_instance_cold_draws_the_maximum_of_d_cold_start_ups() {
        let m = ColdMix::new(&POOL, 3, 1.0);
        assert_eq!(m.cold_count(0.01), 3);
        // v^(1/3) = 0.5 picks index 2 of 4.
        assert_eq!(m.start_up(0.0, 0.5, 0.125), 3.0);
        let w = m.max_weights();
        approx::assert_relative_eq!(w.iter().sum::<f64>(), 1.0, max_relative = 1e-12);
        approx::assert_relative_eq!(w[3], 1.0 - 0.75f64.powi(3), max_relative = 1e-12);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn billed_init_is_the_slowest_excess_plus_the_mean_excess_of_the_others() {
        let m = ColdMix::new(&POOL, 3, 1.0);
        // Three cold: the slowest draws 3.0 (as above); the other two the mean 2.5.
        let (start, init) = m.start_up_and_init(0.5, 0.5, 0.125);
        assert_eq!(start, 3.0);
        approx::assert_relative_eq!(init, 2.5 + 2.0 * 2.0, max_relative = 1e-12);
        // Warm instances bill no INIT.
        let warm = ColdMix::new(&POOL, 3, 0.0);
        assert_eq!(warm.start_up_and_init(0.5, 0.5, 0.125), (0.5, 0.0));
        // A cold start-up below the warm residual bills nothing.
        let one = ColdMix::new(&POOL, 1, 1.0);
        assert_eq!(one.start_up_and_init(9.0, 0.5, 0.1), (9.0, 0.0));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_cold_count_follows_the_binomial_and_grows_with_d() {
        let m = ColdMix::new(&POOL, 10, 0.2);
        approx::assert_relative_eq!(m.warm_probability(), 0.8f64.powi(10), max_relative = 1e-12);
        let mut mean = 0.0;
        let n = 100_000;
        for i in 0..n {
            mean += f64::from(m.cold_count((i as f64 + 0.5) / n as f64)) / n as f64;
        }
        approx::assert_relative_eq!(mean, 2.0, max_relative = 1e-3);
        let big = ColdMix::new(&POOL, 20, 0.2);
        for u in [0.05, 0.3, 0.6, 0.95] {
            assert!(big.cold_count(u) >= m.cold_count(u));
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_huge_instance_count_keeps_a_small_table() {
        let m = ColdMix::new(&POOL, u32::MAX, 0.5);
        assert!(m.cdf.len() < 2_000_000);
        let c = m.cold_count(0.5);
        assert!((f64::from(c) - f64::from(u32::MAX) / 2.0).abs() < 1e3);
        assert_eq!(ColdMix::new(&POOL, u32::MAX, 1.0).cold_count(0.3), u32::MAX);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn profile_rate_gives_the_profiled_share_of_runs_with_a_cold_instance() {
        for d in [1, 4, 32] {
            let p = ColdStarts::Profile.probability(1.0 / 3.0, d);
            let m = ColdMix::new(&POOL, d, p);
            approx::assert_relative_eq!(1.0 - m.warm_probability(), 1.0 / 3.0, max_relative = 1e-9);
        }
    }
}
