//! Fit report: how well the model predicts the measured stage wall time.
//!
//! Per stage and configuration (memory, d) the measured values are the mean of
//! the repetitions' wall times ([`ProfileRun::wall_s`], cold repetition
//! included, as the model's cold-start mixture at the profile's cold share does) and their P95,
//! defined from the few repetitions by linear interpolation between order
//! statistics (the usual "type 7" quantile: with 3 runs, `x₂ + 0.9·(x₃ − x₂)`,
//! close to the slowest run). Errors are mean absolute percentage errors (MAPE)
//! over the configurations:
//!
//! - fit: the model fitted on every run predicts every configuration;
//! - cross-validation (leave one configuration out): all repetitions of one
//!   configuration are dropped, the model is refitted and predicts it.
//!
//! Cost is linear in the runs: configurations are grouped with a hash map, a
//! fold reuses the configurations' figures (`Grouped`), and above [`POOL_LIMIT`] runs a stage's residual
//! pools (ρ, ε and the cold start-ups κ) are each summarised by that many order
//! statistics (ranks spread evenly, minimum and maximum kept) for the report's
//! predictions. A prediction's distribution then has at most
//! (n_ρ + n_κ)·n_ε ≤ 2·128² values ([`StageModel::latency_distribution`] merges the
//! cold mixture into the start-up's own distribution first). Profiles up to
//! [`POOL_LIMIT`] runs per stage (the bundled ones have 69–72) are reported exactly.
//!
//! The same is reported for a plain least-squares model of the stage wall time,
//! `a + b/(k·d) + c/d` (unconstrained; fitted separately to the means and to the
//! P95s), as a comparison.

use super::fit::{Grouped, InputPartitions, per_stage, summarize};
use super::{Distribution, FitError, StageModel};
use crate::dag::{Config, Dag, Stage, StageKind, Workflow};
use crate::profile::{ProfileRun, Profiles, StageProfile};

/// Errors of one stage, in percent (MAPE over configurations).
#[derive(Clone, Debug, PartialEq)]
pub struct StageReport {
    /// Stage id.
    pub stage: String,
    /// Number of profiled configurations.
    pub configs: usize,
    /// Fit MAPE of the mean wall time, %.
    pub fit_mean_pct: f64,
    /// Fit MAPE of the P95 wall time, %.
    pub fit_p95_pct: f64,
    /// Leave-one-configuration-out MAPE of the mean wall time, %.
    pub cv_mean_pct: f64,
    /// Leave-one-configuration-out MAPE of the P95 wall time, %.
    pub cv_p95_pct: f64,
    /// Leave-one-out MAPE of the expected 3-run P95 statistic (the same statistic
    /// as the measured P95, computed on the model's distribution), %.
    pub cv_p95_of_3_pct: f64,
    /// Largest leave-one-out absolute error of the mean on one configuration, %.
    pub cv_mean_worst_pct: f64,
    /// The plain model's leave-one-out MAPE of the mean, %.
    pub plain_cv_mean_pct: f64,
    /// The plain model's leave-one-out MAPE of the P95, %.
    pub plain_cv_p95_pct: f64,
    /// Leave-one-out predictions, one per configuration.
    pub cv_rows: Vec<ConfigPrediction>,
}

/// Measured and leave-one-out predicted wall time of one configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigPrediction {
    /// Memory, MB.
    pub memory_mb: u32,
    /// d of the profiled run (input partitions for a single-instance stage).
    pub d: u32,
    /// Measured mean wall time, s.
    pub measured_mean_s: f64,
    /// Predicted mean wall time, s.
    pub predicted_mean_s: f64,
    /// Measured P95 wall time, s.
    pub measured_p95_s: f64,
    /// Predicted P95 wall time, s.
    pub predicted_p95_s: f64,
    /// Predicted expected 3-run P95 statistic, s.
    pub predicted_p95_of_3_s: f64,
}

/// Errors of every stage of a workflow.
#[derive(Clone, Debug, PartialEq)]
pub struct FitReport {
    /// One row per stage, in workflow order.
    pub stages: Vec<StageReport>,
}

impl FitReport {
    /// The report as a Markdown table.
    pub fn table(&self) -> String {
        let mut s = String::from(
            "| stage | configs | fit mean % | fit P95 % | CV mean % | CV P95 % | CV P95-of-3 % | CV worst mean % | plain CV mean % | plain CV P95 % |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for r in &self.stages {
            s.push_str(&format!(
                "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
                r.stage,
                r.configs,
                r.fit_mean_pct,
                r.fit_p95_pct,
                r.cv_mean_pct,
                r.cv_p95_pct,
                r.cv_p95_of_3_pct,
                r.cv_mean_worst_pct,
                r.plain_cv_mean_pct,
                r.plain_cv_p95_pct
            ));
        }
        s
    }
}

/// P95 of a few measured values: linear interpolation between order statistics.
pub fn measured_p95_s(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n => {
            let h = 0.95 * (n - 1) as f64;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            v[lo] + (h - lo as f64) * (v[hi] - v[lo])
        }
    }
}

/// The fit report of every stage of a workflow (input partitions as in [`super::fit_workflow`]).
pub fn fit_report(
    workflow: &Workflow,
    dag: &Dag,
    profiles: &Profiles,
) -> Result<FitReport, FitError> {
    let stages = per_stage(workflow, dag, profiles, stage_report)?;
    Ok(FitReport { stages })
}

/// Most residual values per pool the report's predictions use.
pub const POOL_LIMIT: usize = 128;

/// Measured mean and P95 wall time of one configuration.
struct Measured {
    memory_mb: u32,
    d: u32,
    mean_s: f64,
    p95_s: f64,
}

fn measured(profile: &StageProfile) -> Vec<Measured> {
    let mut index: std::collections::HashMap<(u32, u32), usize> = std::collections::HashMap::new();
    let mut groups: Vec<((u32, u32), Vec<f64>)> = Vec::new();
    for r in &profile.runs {
        let key = (r.memory_mb, r.d);
        let i = *index.entry(key).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(r.wall_s());
    }
    groups
        .into_iter()
        .map(|((memory_mb, d), walls)| Measured {
            memory_mb,
            d,
            mean_s: walls.iter().sum::<f64>() / walls.len() as f64,
            p95_s: measured_p95_s(&walls),
        })
        .collect()
}

/// The model with its residual pools summarised to at most [`POOL_LIMIT`] values.
fn summarized(mut m: StageModel) -> StageModel {
    for pool in [&mut m.start_resid_s, &mut m.noise, &mut m.cold_start_s] {
        if pool.len() > POOL_LIMIT {
            *pool = summarize(pool, POOL_LIMIT);
        }
    }
    m
}

/// Predicted mean, P95 and expected 3-run P95 statistic.
fn predict(model: &StageModel, m: &Measured, mb_per_vcpu: f64) -> (f64, f64, f64) {
    let (d, input_d) = match model.kind {
        StageKind::Parallel => (m.d, None),
        StageKind::Single => (1, Some(m.d)),
    };
    let cfg = Config {
        memory_mb: m.memory_mb,
        d,
    };
    let vcpu = f64::from(m.memory_mb) / mb_per_vcpu;
    // The same figures as `model.predict`, from one sorted distribution.
    let dist = model.latency_distribution(cfg, input_d, vcpu);
    (dist.mean(), dist.quantile(0.95), expected_p95_of_3(&dist))
}

/// Expected value of `measured_p95_s` over 3 independent draws from the sorted
/// distribution `v`: `0.1·E[X₍₂₎] + 0.9·E[X₍₃₎]`, from the order statistics'
/// CDFs F³ (maximum) and 3F² − 2F³ (median).
fn expected_p95_of_3(v: &Distribution) -> f64 {
    let g_max = |f: f64| f * f * f;
    let g_med = |f: f64| 3.0 * f * f - 2.0 * f * f * f;
    v.steps()
        .map(|(x, lo, hi)| x * (0.1 * (g_med(hi) - g_med(lo)) + 0.9 * (g_max(hi) - g_max(lo))))
        .sum()
}

fn ape(pred: f64, meas: f64) -> f64 {
    100.0 * (pred - meas).abs() / meas
}

/// The fit report of one stage.
pub fn stage_report(
    stage: &Stage,
    profile: &StageProfile,
    mb_per_vcpu: f64,
    input: InputPartitions,
) -> Result<StageReport, FitError> {
    let meas = measured(profile);
    let n = meas.len() as f64;
    let all: Vec<&ProfileRun> = profile.runs.iter().collect();
    // Grouped once: each fold reuses the configurations' figures.
    let grouped = Grouped::new(stage, &all, mb_per_vcpu)?;
    let full = summarized(grouped.fit(input, Some(POOL_LIMIT), None)?);
    let (mut fit_mean, mut fit_p95) = (0.0, 0.0);
    for m in &meas {
        let (pm, pp, _) = predict(&full, m, mb_per_vcpu);
        fit_mean += ape(pm, m.mean_s) / n;
        fit_p95 += ape(pp, m.p95_s) / n;
    }
    let (mut cv_mean, mut cv_p95, mut worst) = (0.0, 0.0, 0.0f64);
    let (mut plain_mean, mut plain_p95) = (0.0, 0.0);
    let mut cv_rows = Vec::with_capacity(meas.len());
    let mut cv_p3 = 0.0;
    // A fixed stage measured at one configuration (a service integration) runs
    // only there: nothing is predicted out of sample, so its CV is its fit.
    if meas.len() < 2 {
        return Ok(StageReport {
            stage: stage.id.clone(),
            configs: meas.len(),
            fit_mean_pct: fit_mean,
            fit_p95_pct: fit_p95,
            cv_mean_pct: fit_mean,
            cv_p95_pct: fit_p95,
            cv_p95_of_3_pct: fit_p95,
            cv_mean_worst_pct: fit_mean,
            plain_cv_mean_pct: fit_mean,
            plain_cv_p95_pct: fit_p95,
            cv_rows,
        });
    }
    for (i, m) in meas.iter().enumerate() {
        let model =
            summarized(grouped.fit(input, Some(POOL_LIMIT), grouped.index_of(m.memory_mb, m.d))?);
        let (pm, pp, p3) = predict(&model, m, mb_per_vcpu);
        cv_rows.push(ConfigPrediction {
            memory_mb: m.memory_mb,
            d: m.d,
            measured_mean_s: m.mean_s,
            predicted_mean_s: pm,
            measured_p95_s: m.p95_s,
            predicted_p95_s: pp,
            predicted_p95_of_3_s: p3,
        });
        cv_p3 += ape(p3, m.p95_s) / n;
        let e = ape(pm, m.mean_s);
        cv_mean += e / n;
        cv_p95 += ape(pp, m.p95_s) / n;
        worst = worst.max(e);
        let others: Vec<&Measured> = meas
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, o)| o)
            .collect();
        let k = f64::from(m.memory_mb) / mb_per_vcpu;
        plain_mean += ape(
            plain_fit(&others, mb_per_vcpu, |o| o.mean_s)(k, m.d),
            m.mean_s,
        ) / n;
        plain_p95 += ape(
            plain_fit(&others, mb_per_vcpu, |o| o.p95_s)(k, m.d),
            m.p95_s,
        ) / n;
    }
    Ok(StageReport {
        stage: stage.id.clone(),
        configs: meas.len(),
        fit_mean_pct: fit_mean,
        fit_p95_pct: fit_p95,
        cv_mean_pct: cv_mean,
        cv_p95_pct: cv_p95,
        cv_p95_of_3_pct: cv_p3,
        cv_mean_worst_pct: worst,
        plain_cv_mean_pct: plain_mean,
        plain_cv_p95_pct: plain_p95,
        cv_rows,
    })
}

/// Unconstrained least squares `y = a + b/(k·d) + c/d`; returns the fitted function of (k, d).
fn plain_fit(
    data: &[&Measured],
    mb_per_vcpu: f64,
    y: impl Fn(&Measured) -> f64,
) -> impl Fn(f64, u32) -> f64 {
    let phi = |k: f64, d: f64| [1.0, 1.0 / (k * d), 1.0 / d];
    let mut a = [[0.0f64; 4]; 3];
    for m in data {
        let p = phi(f64::from(m.memory_mb) / mb_per_vcpu, f64::from(m.d));
        for r in 0..3 {
            for c in 0..3 {
                a[r][c] += p[r] * p[c];
            }
            a[r][3] += p[r] * y(m);
        }
    }
    let coef = solve3(a);
    move |k, d| {
        let p = phi(k, f64::from(d));
        p.iter().zip(&coef).map(|(x, c)| x * c).sum()
    }
}

/// Solves the 3×3 normal equations `[Σφφᵀ | Σφy]` of the plain model, whose first
/// term is the constant 1 (so `a[0][0]` is the count and `a[0][3]` the sum of y). A
/// singular system (e.g. every run at the same d, where 1 and 1/d coincide) falls
/// back to the mean: only the constant term kept.
fn solve3(mut a: [[f64; 4]; 3]) -> [f64; 3] {
    let mean = [a[0][3] / a[0][0], 0.0, 0.0];
    for col in 0..3 {
        let piv = (col..3)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, piv);
        if a[col][col].abs() < 1e-300 {
            return mean;
        }
        for r in 0..3 {
            if r != col {
                let f = a[r][col] / a[col][col];
                let pivot_row = a[col];
                for (x, p) in a[r][col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * p;
                }
            }
        }
    }
    [a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(memory_mb: u32, d: u32, mean_s: f64) -> Measured {
        Measured {
            memory_mb,
            d,
            mean_s,
            p95_s: mean_s,
        }
    }

    #[test]
    fn plain_fit_recovers_an_exact_plain_model() {
        let truth = |k: f64, d: f64| 2.0 + 3.0 / (k * d) + 5.0 / d;
        let data: Vec<Measured> = [(1024, 1), (2048, 2), (3072, 4), (1024, 8)]
            .into_iter()
            .map(|(m, d)| at(m, d, truth(f64::from(m) / 1024.0, f64::from(d))))
            .collect();
        let refs: Vec<&Measured> = data.iter().collect();
        let f = plain_fit(&refs, 1024.0, |m| m.mean_s);
        let got = f(1.5, 3);
        assert!((got - truth(1.5, 3.0)).abs() < 1e-9, "{got}");
    }

    #[test]
    fn plain_fit_of_a_singular_system_falls_back_to_the_mean() {
        // Every run at d = 1: the terms 1 and 1/d coincide, the system is singular.
        let data = [at(1024, 1, 10.0), at(2048, 1, 7.0), at(4096, 1, 4.0)];
        let refs: Vec<&Measured> = data.iter().collect();
        let f = plain_fit(&refs, 1024.0, |m| m.mean_s);
        for (k, d) in [(1.0, 1), (3.0, 1), (2.0, 4)] {
            assert_eq!(f(k, d), 7.0);
        }
    }
}
