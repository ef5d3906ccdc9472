//! A stage's runs as one observation per configuration, for the Gaussian processes.
//!
//! Per configuration `(memory, d)` the observation is the median over its runs
//! of `ln` of the stage wall time (and of the billed in-function time): the
//! median keeps one slow cold start from moving it. Its noise variance is
//! `(π/2) s² / n` (the variance of a median of `n` normal values), with `s`
//! the stage's pooled robust spread: 1.4826 × the median absolute deviation of
//! every run from its configuration's median. Inputs are scaled to the unit
//! square on `ln memory` and `ln d` over a [`Domain`].

use crate::dag::Config;
use crate::profile::{ProfileRun, StageProfile};

use super::gp::GpData;

/// The floor of a noise variance (of ln time).
const MIN_NOISE_VAR: f64 = 1e-8;

/// The range of `ln memory` and `ln d` that is scaled to `[0, 1]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Domain {
    ln_memory: (f64, f64),
    ln_d: (f64, f64),
}

impl Domain {
    /// The smallest domain holding every configuration given (`None` if there are none).
    pub fn spanning(configs: impl IntoIterator<Item = Config>) -> Option<Domain> {
        let mut it = configs.into_iter();
        let first = it.next()?;
        let lm = f64::from(first.memory_mb).ln();
        let ld = f64::from(first.d).ln();
        let mut dom = Domain {
            ln_memory: (lm, lm),
            ln_d: (ld, ld),
        };
        for c in it {
            let lm = f64::from(c.memory_mb).ln();
            let ld = f64::from(c.d).ln();
            dom.ln_memory = (dom.ln_memory.0.min(lm), dom.ln_memory.1.max(lm));
            dom.ln_d = (dom.ln_d.0.min(ld), dom.ln_d.1.max(ld));
        }
        Some(dom)
    }

    /// The scaled input of a configuration.
    pub fn scale(&self, c: Config) -> [f64; 2] {
        let s = |v: f64, (lo, hi): (f64, f64)| if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
        [
            s(f64::from(c.memory_mb).ln(), self.ln_memory),
            s(f64::from(c.d).ln(), self.ln_d),
        ]
    }
}

/// One configuration's summary of its runs.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigObs {
    /// The configuration.
    pub config: Config,
    /// Number of runs.
    pub runs: usize,
    /// Median of ln(stage wall time in s) over the runs.
    pub ln_wall: f64,
    /// Median of ln(mean in-function time in s) over the runs.
    pub ln_billed: f64,
    /// Noise variance of `ln_wall` and `ln_billed` (as one value: the larger of the two).
    pub noise: f64,
}

/// The configurations of a stage's runs, in the order each first appears.
pub fn stage_observations(profile: &StageProfile) -> Vec<ConfigObs> {
    let mut groups: Vec<(Config, Vec<&ProfileRun>)> = Vec::new();
    for run in &profile.runs {
        let c = Config {
            memory_mb: run.memory_mb,
            d: run.d,
        };
        match groups.iter_mut().find(|(g, _)| *g == c) {
            Some((_, runs)) => runs.push(run),
            None => groups.push((c, vec![run])),
        }
    }
    let ln_of = |f: fn(&ProfileRun) -> f64, runs: &[&ProfileRun]| -> Vec<f64> {
        runs.iter().map(|r| f(r).max(1e-6).ln()).collect()
    };
    let wall: Vec<Vec<f64>> = groups
        .iter()
        .map(|(_, r)| ln_of(ProfileRun::wall_s, r))
        .collect();
    let billed: Vec<Vec<f64>> = groups
        .iter()
        .map(|(_, r)| ln_of(ProfileRun::in_function_mean_s, r))
        .collect();
    let spread = pooled_spread(&wall).max(pooled_spread(&billed));
    groups
        .iter()
        .enumerate()
        .map(|(i, (config, runs))| ConfigObs {
            config: *config,
            runs: runs.len(),
            ln_wall: median(&wall[i]),
            ln_billed: median(&billed[i]),
            noise: (std::f64::consts::FRAC_PI_2 * spread * spread / runs.len() as f64)
                .max(MIN_NOISE_VAR),
        })
        .collect()
}

/// The observations of ln wall time as GP data over `domain`.
pub fn wall_data(obs: &[ConfigObs], domain: &Domain) -> GpData {
    gp_data(obs, domain, |o| o.ln_wall)
}

/// The observations of ln billed time as GP data over `domain`.
pub fn billed_data(obs: &[ConfigObs], domain: &Domain) -> GpData {
    gp_data(obs, domain, |o| o.ln_billed)
}

fn gp_data(obs: &[ConfigObs], domain: &Domain, y: fn(&ConfigObs) -> f64) -> GpData {
    GpData {
        x: obs.iter().map(|o| domain.scale(o.config)).collect(),
        y: obs.iter().map(y).collect(),
        noise: obs.iter().map(|o| o.noise).collect(),
    }
}

/// 1.4826 × the median absolute deviation of every value from its group's median.
fn pooled_spread(groups: &[Vec<f64>]) -> f64 {
    let mut dev: Vec<f64> = Vec::new();
    for g in groups.iter().filter(|g| g.len() > 1) {
        let m = median(g);
        dev.extend(g.iter().map(|v| (v - m).abs()));
    }
    if dev.is_empty() {
        0.0
    } else {
        1.4826 * median(&dev)
    }
}

/// The median (the mean of the two middle values for an even count; 0 when empty).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => v[n / 2],
        _ => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}
