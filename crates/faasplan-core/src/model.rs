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
//! `L = max(g(d) + ρ + (1 + ε)·P, (1 + ε)·M)`, billed `B = d·(1 + ε)·M` (seconds),
//!
//! - `g(d) = a + b·ln d` (b ≥ 0) is the invocation and start-up overhead beyond
//!   the per-step stragglers, fitted on the runs' `start.p95` (constant for
//!   single-instance stages);
//! - `ρ` is drawn from the empirical residuals `start.p95 − g(d)` of all runs,
//!   cold repetitions included: start-up is resampled, never billed;
//! - `ε` is drawn from the empirical run-to-run deviations of the in-function
//!   straggler time, `S_run / mean_reps(S) − 1` with `S = Σ_step p95`, pooled
//!   over all configurations (mean 0 by construction).
//!
//! ρ and ε are drawn independently from `draws[0]` and `draws[1]` (uniforms in
//! (0, 1), index `floor(u·n)` into the sorted residuals, so a larger draw never
//! gives a faster run). [`StageModel::predict`] is exact over that discrete
//! distribution (all n_ρ·n_ε combinations), so a Monte Carlo mean of
//! [`StageModel::sample`] converges to it. Fitting uses no randomness.
//!
//! Units: seconds, MB, vCPUs.

mod curve;
mod fit;
mod report;

pub use curve::{Curve, MAX_TERMS, Obs, Term, XForm, fit_nnls};
pub use fit::{InputPartitions, fit_stage, fit_stage_at, fit_stage_with, fit_workflow};
pub use report::{
    ConfigPrediction, FitReport, StageReport, fit_report, measured_p95_s, stage_report,
};

use crate::dag::{Config, StageKind};

/// Number of uniform draws one stage sample consumes.
pub const DRAWS: usize = 2;

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
    /// Sorted empirical residuals of the overhead ρ, s.
    pub start_resid_s: Vec<f64>,
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

    /// One sampled run of `cfg`; `draws` are uniforms in (0, 1), shared by every
    /// candidate configuration of the stage for a given sample.
    pub fn sample(
        &self,
        cfg: Config,
        input_d: Option<u32>,
        vcpu: f64,
        draws: &[f64; DRAWS],
    ) -> StageSample {
        let (rho, eps) = self.residuals(draws);
        combine(&self.curves(cfg, input_d, vcpu), rho, eps)
    }

    /// Mean and 95th percentile of the stage latency, exact over the model's
    /// discrete residual distribution.
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
        let mean_s = all.iter().sum::<f64>() / all.len() as f64;
        Prediction {
            mean_s,
            p95_s: crate::stats::nearest_rank(&all, q),
        }
    }

    /// Every equally likely stage latency of the model's discrete distribution
    /// (one per pair of residuals), sorted ascending, s.
    pub fn latency_distribution(&self, cfg: Config, input_d: Option<u32>, vcpu: f64) -> Vec<f64> {
        let c = self.curves(cfg, input_d, vcpu);
        let mut all: Vec<f64> = Vec::with_capacity(self.start_resid_s.len() * self.noise.len());
        for &rho in &self.start_resid_s {
            for &eps in &self.noise {
                all.push(combine(&c, rho, eps).latency_s);
            }
        }
        all.sort_by(f64::total_cmp);
        all
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
