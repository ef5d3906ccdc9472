//! The sampling kernel: per-sample residual columns, the latency and cost of
//! every sample of one candidate, and the cost of one run from its billed time.

use crate::dag::Config;
use crate::model::{ColdMix, DRAWS, StageCurves, StageModel};
use crate::platform::Platform;
use crate::pricing::StageExtra;
use crate::rng;

/// Per-sample residuals of one stage, as columns: ρ, the noise factor 1 + ε and
/// the two cold-start uniforms (the cold count's and the cold start-up's).
#[derive(Default)]
pub(crate) struct Residuals {
    pub(crate) rho: Vec<f64>,
    pub(crate) factor: Vec<f64>,
    pub(crate) cold_count_u: Vec<f64>,
    pub(crate) cold_start_u: Vec<f64>,
}

impl Residuals {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Residuals {
            rho: Vec::with_capacity(n),
            factor: Vec::with_capacity(n),
            cold_count_u: Vec::with_capacity(n),
            cold_start_u: Vec::with_capacity(n),
        }
    }
}

/// The per-sample residuals of `model`'s stage from stream `stream_id` of `seed`.
pub(crate) fn residuals(model: &StageModel, seed: u64, stream_id: u64, n: usize) -> Residuals {
    let mut r = rng::stream(seed, stream_id);
    let mut out = Residuals::with_capacity(n);
    draw_residuals(model, &mut r, n, &mut out);
    out
}

/// Replaces `out` with the next `n` residuals of `model`'s stage from `r` (the same
/// values, in order, as one [`residuals`] call over the whole stream).
pub(crate) fn draw_residuals(
    model: &StageModel,
    r: &mut rand_xoshiro::Xoshiro256PlusPlus,
    n: usize,
    out: &mut Residuals,
) {
    out.rho.clear();
    out.factor.clear();
    out.cold_count_u.clear();
    out.cold_start_u.clear();
    for _ in 0..n {
        let u: [f64; DRAWS] = std::array::from_fn(|_| rng::uniform(r));
        let (a, e) = model.residuals(&u);
        out.rho.push(a);
        out.factor.push(1.0 + e);
        out.cold_count_u.push(u[2]);
        out.cold_start_u.push(u[3]);
    }
}

/// The start-up residual of every sample under one cold-start mixture, and the INIT
/// seconds billed with it: what [`fill_samples`] computes per candidate from the
/// residuals and the mixture alone. The mixture depends only on the number of
/// instances d, so one column serves every candidate of a stage with that d (49
/// memory sizes share it on the bundled grids); the values are the same bits.
pub(crate) struct StartUps {
    /// [`ColdMix::start_up`] per residual.
    pub(crate) start_s: Vec<f64>,
    /// The INIT part of [`ColdMix::start_up_and_init`] per residual.
    pub(crate) init_s: Vec<f64>,
}

impl StartUps {
    /// The columns of `cold` on the residuals `r` (`init_s` only when `init`).
    pub(crate) fn new(r: &Residuals, cold: &ColdMix<'_>, init: bool) -> Self {
        let draws = || r.rho.iter().zip(r.cold_count_u.iter().zip(&r.cold_start_u));
        StartUps {
            start_s: draws()
                .map(|(&rho, (&u, &v))| cold.start_up(rho, u, v))
                .collect(),
            init_s: if init {
                draws()
                    .map(|(&rho, (&u, &v))| cold.start_up_and_init(rho, u, v).1)
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Bytes of the two columns for `n` residuals.
    pub(crate) fn bytes(n: usize, init: bool) -> usize {
        n.saturating_mul(if init { 16 } else { 8 })
    }
}

/// Appends the latency and cost of every sample of one candidate; returns the cost sum.
///
/// Latency is computed exactly as [`crate::model::StageModel::sample_with`] does (bit
/// for bit), the start-up residual from `cold` (the candidate's cold-start mixture),
/// or taken from `starts` when given (the same mixture's columns, [`StartUps`]);
/// the cost rounds the mean instance's billed time `(1 + ε)·M` up to the granularity and
/// adds the stage's orchestration and transfer charges ([`StageExtra`]).
pub(crate) fn fill_samples(
    c: &StageCurves,
    coster: &Coster,
    r: &Residuals,
    cold: &ColdMix<'_>,
    starts: Option<&StartUps>,
    latency_s: &mut Vec<f64>,
    cost_usd: &mut Vec<f64>,
) -> f64 {
    let latency = |rho: f64, f: f64| {
        let slow = c.base_s + rho + f * c.slow_s;
        let billed = f * c.mean_s;
        if slow > billed { slow } else { billed }
    };
    let starts = starts.filter(|s| cold.active() && s.start_s.len() == r.rho.len());
    if let Some(s) = starts {
        latency_s.extend(
            s.start_s
                .iter()
                .zip(&r.factor)
                .map(|(&rho, &f)| latency(rho, f)),
        );
    } else if cold.active() {
        latency_s.extend(
            r.rho
                .iter()
                .zip(&r.factor)
                .zip(r.cold_count_u.iter().zip(&r.cold_start_u))
                .map(|((&rho, &f), (&u, &v))| latency(cold.start_up(rho, u, v), f)),
        );
    } else {
        latency_s.extend(
            r.rho
                .iter()
                .zip(&r.factor)
                .map(|(&rho, &f)| latency(rho, f)),
        );
    }
    let start = cost_usd.len();
    cost_usd.extend(r.factor.iter().map(|&f| coster.cost_one(f * c.mean_s)));
    if cold.active() && coster.bills_init() {
        match starts.filter(|s| s.init_s.len() == r.rho.len()) {
            Some(s) => {
                for (cost, &init) in cost_usd[start..].iter_mut().zip(&s.init_s) {
                    *cost += coster.init_cost(init);
                }
            }
            None => {
                let draws = r.rho.iter().zip(r.cold_count_u.iter().zip(&r.cold_start_u));
                for (cost, (&rho, (&u, &v))) in cost_usd[start..].iter_mut().zip(draws) {
                    *cost += coster.init_cost(cold.start_up_and_init(rho, u, v).1);
                }
            }
        }
    }
    coster.add_extra(&latency_s[start..], &mut cost_usd[start..]);
    cost_usd[start..].iter().sum()
}

/// [`fill_samples`] for a stage that runs `repeat` times back to back in every
/// execution (a loop's body): `r` holds `repeat` consecutive residuals per
/// sample, and a sample's latency and cost are the sums over its runs. With
/// `repeat = 1` this is [`fill_samples`] itself, bit for bit. Returns the cost sum.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fill_repeated(
    repeat: u32,
    c: &StageCurves,
    coster: &Coster,
    r: &Residuals,
    cold: &ColdMix<'_>,
    starts: Option<&StartUps>,
    latency_s: &mut Vec<f64>,
    cost_usd: &mut Vec<f64>,
    scratch: &mut (Vec<f64>, Vec<f64>),
) -> f64 {
    if repeat <= 1 {
        return fill_samples(c, coster, r, cold, starts, latency_s, cost_usd);
    }
    let (lat, cost) = scratch;
    lat.clear();
    cost.clear();
    fill_samples(c, coster, r, cold, starts, lat, cost);
    let k = repeat as usize;
    latency_s.extend(lat.chunks_exact(k).map(|runs| runs.iter().sum::<f64>()));
    let start = cost_usd.len();
    cost_usd.extend(cost.chunks_exact(k).map(|runs| runs.iter().sum::<f64>()));
    cost_usd[start..].iter().sum()
}

/// Cost of one stage run from its billed time.
pub(crate) struct Coster {
    request_usd: f64,
    usd_per_s: f64,
    granularity_s: f64,
    per_granule: f64,
    /// Price of one second of billed INIT on one instance (0 when INIT is not billed).
    init_usd_per_s: f64,
    extra: StageExtra,
}

impl Coster {
    /// The coster of `cfg` on `p` with the stage's `extra` charges.
    pub(crate) fn new(p: &Platform, cfg: Config, extra: StageExtra) -> Self {
        let d = f64::from(cfg.d.max(1));
        let granularity_s = (p.billing_granularity_ms / 1000.0).max(0.0);
        // A service integration pays its own price (in `extra`), no function's.
        let function = if extra.service { 0.0 } else { 1.0 };
        Coster {
            request_usd: function * d * p.price_per_request,
            usd_per_s: function * d * f64::from(cfg.memory_mb) / 1024.0 * p.price_per_gb_s,
            init_usd_per_s: if p.pricing.billed_init {
                function * f64::from(cfg.memory_mb) / 1024.0 * p.price_per_gb_s
            } else {
                0.0
            },
            granularity_s,
            per_granule: if granularity_s > 0.0 {
                1.0 / granularity_s
            } else {
                0.0
            },
            extra,
        }
    }

    /// The coster of a group on the edge `device`: no request fee and no
    /// rounding, the device's running cost per second of compute, and, when
    /// `fee`, the device fee's share of a run (counted once per plan).
    pub(crate) fn edge(device: &crate::pricing::EdgeDevice, fee: bool, extra: StageExtra) -> Self {
        Coster {
            request_usd: if fee { device.fee_per_run_usd() } else { 0.0 },
            usd_per_s: device.usd_per_s,
            granularity_s: 0.0,
            per_granule: 0.0,
            init_usd_per_s: 0.0,
            extra,
        }
    }

    /// Whether INIT is billed (see [`crate::model::ColdMix::start_up_and_init`]).
    pub(crate) fn bills_init(&self) -> bool {
        self.init_usd_per_s > 0.0
    }

    /// The charge for `init_s` seconds of billed INIT over a run's instances.
    #[inline]
    pub(crate) fn init_cost(&self, init_s: f64) -> f64 {
        init_s * self.init_usd_per_s
    }

    /// Adds the stage's extra charges to the costs of samples with latencies `latency_s`.
    pub(crate) fn add_extra(&self, latency_s: &[f64], cost_usd: &mut [f64]) {
        if self.extra.is_zero() {
            return;
        }
        let fixed = self.extra.fixed_usd();
        let per_s = self.extra.orchestration_usd_per_s;
        for (c, &l) in cost_usd.iter_mut().zip(latency_s) {
            *c += fixed + per_s * l;
        }
    }

    /// Cost, USD, of a run whose every instance is billed `per_instance_s`.
    #[inline]
    pub(crate) fn cost_one(&self, per_instance_s: f64) -> f64 {
        let rounded = if self.per_granule > 0.0 {
            ceil_fast(per_instance_s * self.per_granule) * self.granularity_s
        } else {
            per_instance_s
        };
        self.request_usd + rounded * self.usd_per_s
    }
}

/// `t.ceil()` without a libm call (baseline x86_64 has no rounding instruction),
/// exact for |t| < 2⁶³; larger values are returned unchanged (they are integers).
#[inline]
fn ceil_fast(t: f64) -> f64 {
    if t.abs() < 9.0e18 {
        let i = t as i64 as f64;
        if i < t { i + 1.0 } else { i }
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shared start-up columns give the latencies and costs (INIT billed or not,
    /// one run or a loop's several) of the per-candidate computation, bit for bit.
    #[test]
    fn start_up_columns_give_the_same_bits() {
        let pool = [0.3, 0.9, 1.7, 2.2, 4.0];
        let mut r = rng::stream(5, 1);
        let mut resid = Residuals::with_capacity(3000);
        for _ in 0..3000 {
            let u: [f64; 4] = std::array::from_fn(|_| rng::uniform(&mut r));
            resid.rho.push(u[0] * 1.5);
            resid.factor.push(0.8 + 0.4 * u[1]);
            resid.cold_count_u.push(u[2]);
            resid.cold_start_u.push(u[3]);
        }
        let mut p = crate::platform::Preset::AwsX86_64.platform();
        for billed_init in [false, true] {
            p.pricing.billed_init = billed_init;
            for (d, rate) in [(1, 0.2), (8, 0.06), (64, 0.5), (16, 0.0)] {
                let cold = ColdMix::new(&pool, d, rate);
                let starts = StartUps::new(&resid, &cold, billed_init);
                let curves = StageCurves {
                    base_s: 0.25,
                    slow_s: 3.0,
                    mean_s: 2.5,
                    d,
                };
                let cfg = Config { memory_mb: 1536, d };
                let coster = Coster::new(&p, cfg, StageExtra::default());
                assert_eq!(coster.bills_init(), billed_init);
                for repeat in [1, 3] {
                    let run = |s: Option<&StartUps>| {
                        let (mut l, mut c) = (Vec::new(), Vec::new());
                        let sum = fill_repeated(
                            repeat,
                            &curves,
                            &coster,
                            &resid,
                            &cold,
                            s,
                            &mut l,
                            &mut c,
                            &mut (Vec::new(), Vec::new()),
                        );
                        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        (bits(&l), bits(&c), sum.to_bits())
                    };
                    let (shared, own) = (run(Some(&starts)), run(None));
                    assert_eq!(shared, own, "d = {d}, rate = {rate}, INIT {billed_init}");
                    assert_eq!(shared.0.len(), 3000 / repeat as usize);
                }
                if rate > 0.0 {
                    // Cold starts do happen in these columns.
                    assert!(starts.start_s.iter().zip(&resid.rho).any(|(s, r)| s > r));
                }
            }
        }
    }

    #[test]
    fn ceil_fast_agrees_with_ceil() {
        let mut r = rng::stream(3, 0);
        for _ in 0..10_000 {
            let t = (rng::uniform(&mut r) - 0.3) * 1e7;
            assert_eq!(ceil_fast(t), t.ceil(), "{t}");
        }
        for t in [0.0, 1.0, -1.0, 2.5, 1e19, -0.5] {
            assert_eq!(ceil_fast(t), t.ceil(), "{t}");
        }
    }

    #[test]
    fn cost_rounds_each_instance_up_to_the_granularity() {
        let p = crate::platform::Preset::AwsX86_64.platform();
        let c = Coster::new(
            &p,
            Config {
                memory_mb: 1024,
                d: 4,
            },
            StageExtra::default(),
        );
        let want = 4.0 * p.price_per_request + 4.0 * 1.235 * p.price_per_gb_s;
        approx::assert_relative_eq!(c.cost_one(1.2341), want, max_relative = 1e-12);
    }

    #[test]
    fn a_service_integration_pays_no_function_fees() {
        let p = crate::platform::Preset::AwsX86_64.platform();
        let extra = StageExtra {
            service: true,
            service_usd: 3.0e-6,
            ..StageExtra::default()
        };
        let c = Coster::new(
            &p,
            Config {
                memory_mb: 128,
                d: 1,
            },
            extra,
        );
        assert_eq!(c.cost_one(0.5), 0.0);
        let mut cost = [c.cost_one(0.5)];
        c.add_extra(&[0.5], &mut cost);
        assert_eq!(cost, [3.0e-6]);
    }
}
