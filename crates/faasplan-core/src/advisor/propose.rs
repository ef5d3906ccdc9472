//! The profiling advisor: which configurations to measure next, and whether
//! measuring more is worth it.
//!
//! **Surrogates.** Every stage has two GPs ([`Gp`], separate models for the
//! QoS and the cost side, as in Aquatope): `ln` wall time and `ln` billed time
//! of its configurations. A configuration's predicted latency and cost are the
//! posterior medians `exp(μ)`.
//!
//! **Current plan (the noisy incumbent).** The cheapest plan at the latency
//! bound over the *measured* configurations only, with their posterior (not
//! raw) values ([`Surrogate::solve`]); its cost is `C`. Only measured
//! configurations are deployable, and the posterior smooths their noise.
//! When no measured plan meets the bound, `C` is the sum of every stage's
//! costliest measured configuration, so any plan that meets it gains.
//!
//! **Acquisition (constrained noisy EI on the workflow problem).** Measuring
//! configuration `x` of stage `s` and finding latency `ℓ` and billed time `b`
//! allows the plan `cost(x, b) + R_s(ℓ)`, where `R_s(τ)` is the cheapest cost
//! of the other stages' measured configurations with stage `s` taking `τ`
//! seconds within the bound (exact on any DAG; tabulated on
//! [`AdvisorSettings::tau_points`] values of τ in `[0, bound]` and read at the
//! next one up, which is conservative). A batch `X` gains
//! `G(X) = E[max(0, C − min_{x∈X} (cost(x, b_x) + R_{s(x)}(ℓ_x)))]`, the
//! expectation over the GPs' joint posterior of the batch (correlated within a
//! stage) estimated with [`AdvisorSettings::draws`] Sobol points. The bound
//! enters through `R_s` (infeasible totals gain nothing), so the acquisition
//! targets the user's decision, not the whole space. (For a single-instance
//! stage linked to its input parent, `R_s` lets the parent take any d: an
//! optimistic simplification of the pairing the plan itself respects.)
//!
//! **Batches.** The `k` proposals are chosen greedily: each adds the most to
//! `G` of the batch so far; a proposal's `expected_gain_usd` is what it added.
//!
//! **Stopping rule.** When `G` of the best batch of at least [`STOP_BATCH`]
//! configurations (the proposals, extended greedily if the batch asked for is
//! smaller) is below [`AdvisorSettings::stop_gain_pct`] % of `C`, more
//! measurements are unlikely to change the plan's cost by more than that: the
//! advice says stop. It never says stop while no measured plan meets the bound.

use serde::{Deserialize, Serialize};

use crate::dag::{Config, Dag, StageKind, Workflow};
use crate::platform::Platform;
use crate::profile::Profiles;
use crate::sampling::candidates;

use super::gp::{Gp, cholesky_jittered};
use super::observations::{ConfigObs, Domain, billed_data, stage_observations, wall_data};
use super::sobol::{MAX_DIMS, normal_points};
use super::surrogate::{Choice, Surrogate, SurrogatePlan, stage_cost_usd};

/// The smallest batch whose expected gain the stopping rule looks at.
pub const STOP_BATCH: usize = 4;

/// What the advisor may do.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdvisorSettings {
    /// Configurations to propose (1..=8).
    pub batch: usize,
    /// Quasi-Monte Carlo draws per expectation (≥ 8).
    pub draws: usize,
    /// Stop when the best batch is expected to gain less than this % of the plan's cost.
    pub stop_gain_pct: f64,
    /// Points of the table of `R_s(τ)` (≥ 4).
    pub tau_points: usize,
}

impl Default for AdvisorSettings {
    fn default() -> Self {
        AdvisorSettings {
            batch: 4,
            draws: 255,
            stop_gain_pct: 1.0,
            tau_points: 64,
        }
    }
}

/// Why the advisor cannot answer.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AdvisorError {
    /// A setting is out of range.
    #[error("advisor settings: {0}")]
    Settings(String),
    /// A stage has no measured run.
    #[error("stage {0}: no measured run (the advisor needs at least one per stage)")]
    Unmeasured(String),
    /// The inputs do not match the workflow.
    #[error("advisor: {0}")]
    Shape(String),
}

impl AdvisorSettings {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), AdvisorError> {
        let err = |m: String| Err(AdvisorError::Settings(m));
        if !(1..=MAX_DIMS / 2).contains(&self.batch) {
            return err(format!(
                "batch {} is not in 1..={}",
                self.batch,
                MAX_DIMS / 2
            ));
        }
        if !(8..=1 << 16).contains(&self.draws) {
            return err(format!("draws {} is not in 8..=65536", self.draws));
        }
        if !(self.stop_gain_pct.is_finite() && self.stop_gain_pct >= 0.0) {
            return err(format!(
                "stop_gain_pct {} is not a number ≥ 0",
                self.stop_gain_pct
            ));
        }
        if !(4..=4096).contains(&self.tau_points) {
            return err(format!("tau_points {} is not in 4..=4096", self.tau_points));
        }
        Ok(())
    }
}

/// One stage's measurements and the configurations it could be measured at.
#[derive(Clone, Debug, PartialEq)]
pub struct StageInput {
    /// Stage id.
    pub stage: String,
    /// One observation per measured configuration.
    pub measured: Vec<ConfigObs>,
    /// Every configuration the plan may use (measured or not).
    pub candidates: Vec<Config>,
}

/// Every stage's input, in workflow order: measured from `profiles`, candidates
/// from the stage's grid on `platform` (plus any measured configuration outside
/// it). A single-instance stage's `d` is the number of input partitions it was
/// measured with: its candidates pair its memory sizes with its input parent's
/// d values, or, without one, with the d values of its runs.
pub fn stage_inputs(
    workflow: &Workflow,
    dag: &Dag,
    profiles: &Profiles,
    platform: &Platform,
) -> Result<Vec<StageInput>, AdvisorError> {
    workflow
        .stages
        .iter()
        .enumerate()
        .map(|(s, stage)| {
            let measured = profiles
                .stage(&stage.id)
                .map(stage_observations)
                .unwrap_or_default();
            if measured.is_empty() {
                return Err(AdvisorError::Unmeasured(stage.id.clone()));
            }
            let mut cands = candidates(stage, platform);
            if stage.kind == StageKind::Single && stage.fixed.is_none() {
                let mut ds: Vec<u32> = match dag.input_parent.get(s).copied().flatten() {
                    Some(p) => candidates(&workflow.stages[p], platform)
                        .iter()
                        .map(|c| c.d)
                        .collect(),
                    None => measured.iter().map(|o| o.config.d).collect(),
                };
                ds.sort_unstable();
                ds.dedup();
                cands = cands
                    .iter()
                    .flat_map(|c| {
                        ds.iter().map(move |&d| Config {
                            memory_mb: c.memory_mb,
                            d,
                        })
                    })
                    .collect();
            }
            for o in &measured {
                if !cands.contains(&o.config) {
                    cands.push(o.config);
                }
            }
            Ok(StageInput {
                stage: stage.id.clone(),
                measured,
                candidates: cands,
            })
        })
        .collect()
}

/// The current plan: one measured configuration per stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurrentPlan {
    /// `(stage id, configuration)` in workflow order.
    pub configs: Vec<(String, Config)>,
    /// Predicted longest-path latency, s.
    pub latency_s: f64,
    /// Predicted cost, USD per run.
    pub cost_usd: f64,
}

/// One configuration to measure next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// Stage id.
    pub stage: String,
    /// Memory, MB.
    pub memory_mb: u32,
    /// Instance count.
    pub d: u32,
    /// Predicted stage wall time (posterior median), s.
    pub predicted_s: f64,
    /// Posterior standard deviation of ln wall time.
    pub ln_sd: f64,
    /// What this proposal adds to the batch's expected gain, USD per run.
    pub expected_gain_usd: f64,
}

/// The advice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Advice {
    /// The latency bound, s.
    pub bound_s: f64,
    /// The cheapest plan over the measured configurations, if one meets the bound.
    pub plan: Option<CurrentPlan>,
    /// The configurations to measure next, best first.
    pub proposals: Vec<Proposal>,
    /// Expected gain of the whole batch, USD per run.
    pub batch_gain_usd: f64,
    /// The same as % of the current plan's cost (of the reference cost without a plan).
    pub batch_gain_pct: f64,
    /// Whether the stopping rule holds: the batch is expected to gain less than the threshold.
    pub stop: bool,
    /// The threshold of the stopping rule, %.
    pub stop_gain_pct: f64,
}

impl Advice {
    /// The proposals as CSV with a header, one row each: the list to measure.
    pub fn proposals_csv(&self) -> String {
        let mut out = String::from("stage,memory_mb,d,predicted_s,ln_sd,expected_gain_usd\n");
        for p in &self.proposals {
            out.push_str(&format!(
                "{},{},{},{:.4},{:.4},{:.9}\n",
                p.stage, p.memory_mb, p.d, p.predicted_s, p.ln_sd, p.expected_gain_usd
            ));
        }
        out
    }

    /// Each proposal as a whole-workflow configuration: the current plan with
    /// the proposal's stage set to the proposed configuration (what an
    /// executor profiles). Empty without a current plan.
    pub fn proposal_configurations(&self) -> Vec<Vec<(String, Config)>> {
        let Some(plan) = &self.plan else {
            return Vec::new();
        };
        self.proposals
            .iter()
            .map(|p| {
                plan.configs
                    .iter()
                    .map(|(stage, c)| {
                        let c = if *stage == p.stage {
                            Config {
                                memory_mb: p.memory_mb,
                                d: p.d,
                            }
                        } else {
                            *c
                        };
                        (stage.clone(), c)
                    })
                    .collect()
            })
            .collect()
    }
}

/// A stage's fitted models.
struct StageModel {
    domain: Domain,
    wall: Gp,
    billed: Gp,
}

impl StageModel {
    fn fit(input: &StageInput) -> Option<StageModel> {
        let domain = Domain::spanning(
            input
                .candidates
                .iter()
                .copied()
                .chain(input.measured.iter().map(|o| o.config)),
        )?;
        let wall = Gp::fit_best(&wall_data(&input.measured, &domain))?;
        let billed = Gp::fit_best(&billed_data(&input.measured, &domain))?;
        Some(StageModel {
            domain,
            wall,
            billed,
        })
    }

    fn choice(&self, platform: &Platform, config: Config) -> Choice {
        let u = self.domain.scale(config);
        Choice {
            config,
            latency_s: self.wall.predict(&u).0.exp(),
            cost_usd: stage_cost_usd(platform, config, self.billed.predict(&u).0.exp()),
        }
    }
}

/// A configuration the batch may take: its stage and configuration.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    stage: usize,
    config: Config,
}

/// The cheapest plan at `bound_s` over the measured configurations, from the stages' GPs.
pub fn current_plan(
    dag: &Dag,
    inputs: &[StageInput],
    platform: &Platform,
    bound_s: f64,
) -> Result<Option<CurrentPlan>, AdvisorError> {
    let models = fit_models(dag, inputs)?;
    let options = measured_options(inputs, &models, platform);
    let surrogate = Surrogate::new(dag, bound_s);
    Ok(surrogate
        .solve(&options)
        .map(|p| to_current(inputs, &options, &p)))
}

fn fit_models(dag: &Dag, inputs: &[StageInput]) -> Result<Vec<StageModel>, AdvisorError> {
    if inputs.len() != dag.topo.len() {
        return Err(AdvisorError::Shape(format!(
            "{} stage inputs for {} stages",
            inputs.len(),
            dag.topo.len()
        )));
    }
    inputs
        .iter()
        .map(|i| StageModel::fit(i).ok_or_else(|| AdvisorError::Unmeasured(i.stage.clone())))
        .collect()
}

fn measured_options(
    inputs: &[StageInput],
    models: &[StageModel],
    platform: &Platform,
) -> Vec<Vec<Choice>> {
    inputs
        .iter()
        .zip(models)
        .map(|(i, m)| {
            i.measured
                .iter()
                .map(|o| m.choice(platform, o.config))
                .collect()
        })
        .collect()
}

fn to_current(inputs: &[StageInput], options: &[Vec<Choice>], plan: &SurrogatePlan) -> CurrentPlan {
    CurrentPlan {
        configs: inputs
            .iter()
            .zip(&plan.choice)
            .enumerate()
            .map(|(s, (i, &c))| (i.stage.clone(), options[s][c].config))
            .collect(),
        latency_s: plan.latency_s,
        cost_usd: plan.cost_usd,
    }
}

/// Proposes the next batch of measurements at the latency bound `bound_s`.
pub fn advise(
    dag: &Dag,
    inputs: &[StageInput],
    platform: &Platform,
    bound_s: f64,
    settings: &AdvisorSettings,
) -> Result<Advice, AdvisorError> {
    settings.validate()?;
    if !(bound_s.is_finite() && bound_s > 0.0) {
        return Err(AdvisorError::Settings(format!(
            "latency bound {bound_s} s is not a positive number"
        )));
    }
    let models = fit_models(dag, inputs)?;
    let options = measured_options(inputs, &models, platform);
    let surrogate = Surrogate::new(dag, bound_s);
    let solved = surrogate.solve(&options);
    let reference = match &solved {
        Some(p) => p.cost_usd,
        None => options
            .iter()
            .map(|o| o.iter().map(|c| c.cost_usd).fold(0.0, f64::max))
            .sum(),
    };
    let rest = rest_tables(&surrogate, &options, settings.tau_points);
    let pool: Vec<Candidate> = inputs
        .iter()
        .enumerate()
        .flat_map(|(s, i)| {
            i.candidates
                .iter()
                .filter(|c| !i.measured.iter().any(|o| o.config == **c))
                .map(move |&config| Candidate { stage: s, config })
        })
        .collect();
    let scorer = Scorer {
        models: &models,
        platform,
        rest: &rest,
        bound_s,
        reference,
        normals: normal_points(settings.draws, 2 * settings.batch.max(STOP_BATCH))
            .ok_or_else(|| AdvisorError::Settings("batch too large".to_string()))?,
        dims: 2 * settings.batch.max(STOP_BATCH),
    };
    let mut batch: Vec<Candidate> = Vec::new();
    let mut gains = Vec::new();
    let mut gain = 0.0;
    let mut proposed_gain = 0.0;
    while batch.len() < settings.batch.max(STOP_BATCH) {
        if batch.len() == settings.batch {
            proposed_gain = gain;
        }
        let mut best: Option<(usize, f64)> = None;
        for (p, c) in pool.iter().enumerate() {
            if batch
                .iter()
                .any(|b| b.stage == c.stage && b.config == c.config)
            {
                continue;
            }
            let mut trial = batch.clone();
            trial.push(*c);
            let g = scorer.batch_gain(&trial);
            if best.is_none_or(|(_, bg)| g > bg) {
                best = Some((p, g));
            }
        }
        let Some((p, g)) = best else { break };
        batch.push(pool[p]);
        gains.push((g - gain).max(0.0));
        gain = g.max(gain);
    }
    if batch.len() <= settings.batch {
        proposed_gain = gain;
    }
    let stop_pct = if reference > 0.0 {
        100.0 * gain / reference
    } else {
        0.0
    };
    let proposals = batch
        .iter()
        .take(settings.batch)
        .zip(&gains)
        .map(|(c, &g)| {
            let (mu, var) = models[c.stage]
                .wall
                .predict(&models[c.stage].domain.scale(c.config));
            Proposal {
                stage: inputs[c.stage].stage.clone(),
                memory_mb: c.config.memory_mb,
                d: c.config.d,
                predicted_s: mu.exp(),
                ln_sd: var.sqrt(),
                expected_gain_usd: g,
            }
        })
        .collect();
    let batch_gain_pct = if reference > 0.0 {
        100.0 * gain / reference
    } else {
        0.0
    };
    let has_plan = solved.is_some();
    Ok(Advice {
        bound_s,
        plan: solved.map(|p| to_current(inputs, &options, &p)),
        proposals,
        batch_gain_usd: proposed_gain,
        batch_gain_pct,
        stop: has_plan && stop_pct < settings.stop_gain_pct,
        stop_gain_pct: settings.stop_gain_pct,
    })
}

/// `R_s(τ)` of every stage on `points` values of τ from 0 to the bound.
fn rest_tables(surrogate: &Surrogate, options: &[Vec<Choice>], points: usize) -> Vec<Vec<f64>> {
    let bound = surrogate.bound_s();
    (0..options.len())
        .map(|s| {
            (0..points)
                .map(|j| {
                    let tau = bound * j as f64 / (points - 1) as f64;
                    let mut opts = options.to_vec();
                    opts[s] = vec![Choice {
                        // d = 0 pairs with any d of a linked stage.
                        config: Config { memory_mb: 0, d: 0 },
                        latency_s: tau,
                        cost_usd: 0.0,
                    }];
                    surrogate.solve(&opts).map_or(f64::INFINITY, |p| p.cost_usd)
                })
                .collect()
        })
        .collect()
}

struct Scorer<'a> {
    models: &'a [StageModel],
    platform: &'a Platform,
    rest: &'a [Vec<f64>],
    bound_s: f64,
    reference: f64,
    normals: Vec<f64>,
    dims: usize,
}

impl Scorer<'_> {
    /// `R_s(τ)` read at the next tabulated τ up (∞ beyond the bound).
    fn rest(&self, s: usize, tau: f64) -> f64 {
        let table = &self.rest[s];
        if tau.is_nan() || tau > self.bound_s {
            return f64::INFINITY;
        }
        let pos = (tau / self.bound_s * (table.len() - 1) as f64).ceil() as usize;
        table[pos.min(table.len() - 1)]
    }

    /// The batch's expected gain, USD.
    fn batch_gain(&self, batch: &[Candidate]) -> f64 {
        // Joint posterior per stage: means and Cholesky factors of both GPs.
        let mut lat = vec![vec![0.0; batch.len()]; self.draws()];
        let mut billed = vec![vec![0.0; batch.len()]; self.draws()];
        let mut stages: Vec<usize> = batch.iter().map(|c| c.stage).collect();
        stages.sort_unstable();
        stages.dedup();
        for s in stages {
            let members: Vec<usize> = (0..batch.len()).filter(|&j| batch[j].stage == s).collect();
            let us: Vec<[f64; 2]> = members
                .iter()
                .map(|&j| self.models[s].domain.scale(batch[j].config))
                .collect();
            let m = members.len();
            for (gp, out, offset) in [
                (&self.models[s].wall, &mut lat, 0),
                (&self.models[s].billed, &mut billed, 1),
            ] {
                let (mean, cov) = gp.predict_joint(&us);
                let l = cholesky_jittered(&cov, m);
                for (n, row) in out.iter_mut().enumerate() {
                    let z = &self.normals[n * self.dims..(n + 1) * self.dims];
                    for a in 0..m {
                        let mut v = mean[a];
                        for b in 0..=a {
                            v += l[a * m + b] * z[2 * members[b] + offset];
                        }
                        row[members[a]] = v.exp();
                    }
                }
            }
        }
        let mut total = 0.0;
        for n in 0..self.draws() {
            let best = batch
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    stage_cost_usd(self.platform, c.config, billed[n][j])
                        + self.rest(c.stage, lat[n][j])
                })
                .fold(f64::INFINITY, f64::min);
            total += (self.reference - best).max(0.0);
        }
        total / self.draws() as f64
    }

    fn draws(&self) -> usize {
        self.normals.len() / self.dims
    }
}
