//! Fitting a [`StageModel`] from a stage's profiled runs (see the parent module
//! for the model). Runs are grouped by configuration (memory, d); step curves are
//! fitted on the per-configuration means over the repetitions, the overhead and
//! the residual distributions on the individual runs: the overhead and ρ on the
//! warm runs, the cold start-up pool κ and the cold share on the cold ones.

use super::curve::{Curve, Obs, Term, XForm, fit_nnls};
use super::{FitError, StageModel, StepKind, StepModel, WorkflowModel};
use crate::dag::{Dag, Stage, StageKind, Workflow};
use crate::profile::{ProfileRun, Profiles, StageProfile, StepStat};

/// Fewest distinct configurations a stage needs to be fitted.
const MIN_CONFIGS: usize = 2;

/// Whether a single-instance stage's read time depends on its input partitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputPartitions {
    /// The stage reads the output of a parallel parent split in d_in parts.
    Used,
    /// The stage's input does not come from a parallel parent.
    Unused,
}

/// Fits a stage; a single-instance stage's read step may depend on its input partitions.
pub fn fit_stage(
    stage: &Stage,
    profile: &StageProfile,
    mb_per_vcpu: f64,
) -> Result<StageModel, FitError> {
    fit_stage_with(stage, profile, mb_per_vcpu, InputPartitions::Used)
}

/// Fits every stage of a workflow; a single-instance stage uses its input
/// partitions only when the DAG gives it an input parent.
pub fn fit_workflow(
    workflow: &Workflow,
    dag: &Dag,
    profiles: &Profiles,
) -> Result<WorkflowModel, FitError> {
    let stages = per_stage(workflow, dag, profiles, fit_stage_with)?;
    Ok(WorkflowModel { stages })
}

/// Runs `f` on every stage of a workflow with its profile, the profiles' MB per
/// vCPU and whether its input partitions count (a single-instance stage with an
/// input parent); the error names a stage without a profile.
pub(crate) fn per_stage<T>(
    workflow: &Workflow,
    dag: &Dag,
    profiles: &Profiles,
    f: impl Fn(&Stage, &StageProfile, f64, InputPartitions) -> Result<T, FitError>,
) -> Result<Vec<T>, FitError> {
    (0..workflow.stages.len())
        .map(|i| on_stage(workflow, dag, profiles, i, &f))
        .collect()
}

/// Fits the model of stage `i` alone (what [`fit_workflow`] does for every stage),
/// so a resumable run can fit one stage per step.
pub fn fit_stage_at(
    workflow: &Workflow,
    dag: &Dag,
    profiles: &Profiles,
    i: usize,
) -> Result<StageModel, FitError> {
    on_stage(workflow, dag, profiles, i, &fit_stage_with)
}

fn on_stage<T>(
    workflow: &Workflow,
    dag: &Dag,
    profiles: &Profiles,
    i: usize,
    f: &impl Fn(&Stage, &StageProfile, f64, InputPartitions) -> Result<T, FitError>,
) -> Result<T, FitError> {
    let stage = &workflow.stages[i];
    let profile = profiles
        .stage(&stage.id)
        .ok_or_else(|| FitError::Unprofiled {
            stage: stage.id.clone(),
        })?;
    let input = match dag.input_parent.get(i) {
        Some(Some(_)) => InputPartitions::Used,
        _ => InputPartitions::Unused,
    };
    f(stage, profile, profiles.mb_per_vcpu, input)
}

/// Fits a stage with an explicit choice of input-partition dependence.
pub fn fit_stage_with(
    stage: &Stage,
    profile: &StageProfile,
    mb_per_vcpu: f64,
    input: InputPartitions,
) -> Result<StageModel, FitError> {
    let runs: Vec<&ProfileRun> = profile.runs.iter().collect();
    fit_runs(stage, &runs, mb_per_vcpu, input, None)
}

/// Fits a stage on every run of `profile` but those of configuration
/// `(memory_mb, d)`, as the fit report's cross-validation does (through the
/// grouped runs, without regrouping them).
pub fn fit_fold(
    stage: &Stage,
    profile: &StageProfile,
    mb_per_vcpu: f64,
    input: InputPartitions,
    (memory_mb, d): (u32, u32),
) -> Result<StageModel, FitError> {
    let runs: Vec<&ProfileRun> = profile.runs.iter().collect();
    let grouped = Grouped::new(stage, &runs, mb_per_vcpu)?;
    grouped.fit(input, None, grouped.index_of(memory_mb, d))
}

/// Fits a stage on `runs`. With `pool_limit = Some(k)`, the residual pools are
/// summarised by at most k order statistics (see [`summarize`]) in O(n log k)
/// instead of sorted in full: the fit report uses this.
pub(crate) fn fit_runs(
    stage: &Stage,
    runs: &[&ProfileRun],
    mb_per_vcpu: f64,
    input: InputPartitions,
    pool_limit: Option<usize>,
) -> Result<StageModel, FitError> {
    Grouped::new(stage, runs, mb_per_vcpu)?.fit(input, pool_limit, None)
}

/// Runs of one configuration, with the figures every fit on them reads.
struct Group<'a> {
    runs: Vec<&'a ProfileRun>,
    /// Mean wall time over the runs, s.
    wall_s: f64,
    /// Per step (read, compute, write): the runs' mean `mean` and `p95` columns
    /// (0 for a run without the step), and whether every run has the step.
    steps: [(f64, f64, bool); 3],
    /// Run-to-run deviations of the runs, in run order.
    noise: Vec<f64>,
    /// ln of the instance count the overhead reads (0 for a single-instance stage).
    ln_inst_d: f64,
    /// ln d of the runs (the overhead's regressor).
    ln_d: f64,
}

/// A stage's checked runs grouped by configuration (groups in order of first
/// appearance), so that a fit — on every run, or on all but one configuration
/// for cross-validation — reuses the per-configuration work: a fold costs
/// O(configurations) for the curves and one pass over the runs for the
/// start-up residuals and the pools.
pub(crate) struct Grouped<'a> {
    stage: &'a Stage,
    mb_per_vcpu: f64,
    runs: Vec<&'a ProfileRun>,
    /// Index into `groups` of every run.
    group_of: Vec<usize>,
    groups: Vec<Group<'a>>,
}

impl<'a> Grouped<'a> {
    /// Checks `runs` (values, then at least [`MIN_CONFIGS`] configurations) and groups them.
    pub(crate) fn new(
        stage: &'a Stage,
        runs: &[&'a ProfileRun],
        mb_per_vcpu: f64,
    ) -> Result<Self, FitError> {
        if !(mb_per_vcpu.is_finite() && mb_per_vcpu > 0.0) {
            return Err(FitError::BadMbPerVcpu(mb_per_vcpu));
        }
        for r in runs {
            check_run(&stage.id, r)?;
        }
        let single = stage.kind == StageKind::Single;
        let mut index: std::collections::HashMap<(u32, u32), usize> =
            std::collections::HashMap::new();
        let mut members: Vec<Vec<&'a ProfileRun>> = Vec::new();
        let mut group_of = Vec::with_capacity(runs.len());
        for &r in runs {
            let i = *index.entry((r.memory_mb, r.d)).or_insert_with(|| {
                members.push(Vec::new());
                members.len() - 1
            });
            members[i].push(r);
            group_of.push(i);
        }
        let groups = members
            .into_iter()
            .map(|runs| {
                let avg = |f: &dyn Fn(&ProfileRun) -> f64| {
                    runs.iter().map(|r| f(r)).sum::<f64>() / runs.len() as f64
                };
                let steps = STEPS.map(|(_, get)| {
                    (
                        avg(&|r| get(r).map_or(0.0, |s| s.mean_s)),
                        avg(&|r| get(r).map_or(0.0, |s| s.p95_s)),
                        runs.iter().all(|r| get(r).is_some()),
                    )
                });
                let straggler = avg(&straggler_s);
                let noise = runs
                    .iter()
                    .map(|r| {
                        if straggler > 0.0 {
                            straggler_s(r) / straggler - 1.0
                        } else {
                            0.0
                        }
                    })
                    .collect();
                let d = runs[0].d;
                Group {
                    wall_s: avg(&ProfileRun::wall_s),
                    steps,
                    noise,
                    ln_inst_d: if single {
                        1.0f64.ln()
                    } else {
                        f64::from(d).ln()
                    },
                    ln_d: f64::from(d).ln(),
                    runs,
                }
            })
            .collect();
        Ok(Grouped {
            stage,
            mb_per_vcpu,
            runs: runs.to_vec(),
            group_of,
            groups,
        })
    }

    /// The index of configuration (memory, d) among the groups.
    pub(crate) fn index_of(&self, memory_mb: u32, d: u32) -> Option<usize> {
        self.groups
            .iter()
            .position(|g| (g.runs[0].memory_mb, g.runs[0].d) == (memory_mb, d))
    }

    /// Fits the stage on every run, or (`skip = Some(i)`) on every run but those of
    /// group i: the same model as fitting those runs afresh, computed from the
    /// groups' figures.
    pub(crate) fn fit(
        &self,
        input: InputPartitions,
        pool_limit: Option<usize>,
        skip: Option<usize>,
    ) -> Result<StageModel, FitError> {
        let stage = self.stage;
        let kept = |i: usize| skip != Some(i);
        let groups: Vec<&Group<'_>> = self
            .groups
            .iter()
            .enumerate()
            .filter(|&(i, _)| kept(i))
            .map(|(_, g)| g)
            .collect();
        // A stage with a fixed configuration (a service integration) is only ever
        // evaluated there: one measured configuration is enough.
        let needed = if stage.fixed.is_some() {
            1
        } else {
            MIN_CONFIGS
        };
        if groups.len() < needed {
            return Err(FitError::TooFewConfigs {
                stage: stage.id.clone(),
                found: groups.len(),
                needed,
            });
        }
        let runs: Vec<(&ProfileRun, &Group<'_>)> = self
            .runs
            .iter()
            .zip(&self.group_of)
            .filter(|&(_, &g)| kept(g))
            .map(|(&r, &g)| (r, &self.groups[g]))
            .collect();
        let single = stage.kind == StageKind::Single;
        let obs = |step: usize, p95: bool| -> Vec<Obs> {
            groups
                .iter()
                .map(|g| {
                    let r0 = g.runs[0];
                    let (mean, p, _) = g.steps[step];
                    Obs {
                        vcpu: f64::from(r0.memory_mb) / self.mb_per_vcpu,
                        d: if single { 1.0 } else { f64::from(r0.d) },
                        d_in: f64::from(r0.d),
                        y: if p95 { p } else { mean },
                        w: 1.0 / (g.wall_s * g.wall_s),
                    }
                })
                .collect()
        };
        let mut steps = Vec::new();
        for (k, (kind, _)) in STEPS.iter().enumerate() {
            if groups.iter().any(|g| !g.steps[k].2) {
                continue;
            }
            let family = family(*kind, single, input);
            steps.push((
                *kind,
                StepModel {
                    mean: best_fit(&family, &obs(k, false)),
                    p95: best_fit(&family, &obs(k, true)),
                },
            ));
        }
        // Start-up: warm and cold runs apart (all runs as warm when none is warm).
        let warm: Vec<(&ProfileRun, &Group<'_>)> =
            runs.iter().copied().filter(|(r, _)| !r.cold).collect();
        let mixed = !warm.is_empty() && warm.len() < runs.len();
        let warm = if warm.is_empty() { runs.clone() } else { warm };
        let overhead = fit_overhead(&warm, single);
        let g = |grp: &Group<'_>| overhead[0] + overhead[1] * grp.ln_inst_d;
        let start_resid_s: Vec<f64> = warm.iter().map(|(r, grp)| r.start.p95_s - g(grp)).collect();
        let start_resid_s = pool(start_resid_s, pool_limit);
        let (cold_start_s, cold_rate) = if mixed {
            let cold: Vec<f64> = runs
                .iter()
                .filter(|(r, _)| r.cold)
                .map(|(r, grp)| r.start.p95_s - g(grp))
                .collect();
            let share = cold.len() as f64 / runs.len().max(1) as f64;
            (pool(cold, pool_limit), share)
        } else {
            (Vec::new(), 0.0)
        };
        let noise: Vec<f64> = groups
            .iter()
            .flat_map(|g| g.noise.iter().copied())
            .collect();
        let noise = pool(noise, pool_limit);
        // The median d of the runs: rank n/2 of the runs' d, from the groups' sizes.
        let mut ds: Vec<(u32, usize)> =
            groups.iter().map(|g| (g.runs[0].d, g.runs.len())).collect();
        ds.sort_unstable();
        let mid = runs.len() / 2;
        let mut seen = 0;
        let mut median_d = ds[0].0;
        for (d, n) in ds {
            seen += n;
            if seen > mid {
                median_d = d;
                break;
            }
        }
        Ok(StageModel {
            stage: stage.id.clone(),
            kind: stage.kind,
            steps,
            overhead,
            start_resid_s,
            cold_start_s,
            cold_rate,
            noise,
            default_input_d: median_d,
        })
    }
}

/// The fitted steps with their columns, in the order a run takes them.
type Get = fn(&ProfileRun) -> Option<StepStat>;
const STEPS: [(StepKind, Get); 3] = [
    (StepKind::Read, |r| Some(r.read)),
    (StepKind::Compute, |r| Some(r.compute)),
    (StepKind::Write, |r| r.write),
];

/// The sorted pool, or its [`summarize`]d form under a limit.
fn pool(mut v: Vec<f64>, limit: Option<usize>) -> Vec<f64> {
    match limit {
        Some(k) if v.len() > k => summarize(&mut v, k),
        _ => {
            v.sort_by(f64::total_cmp);
            v
        }
    }
}

/// `k ≥ 2` order statistics of `v` (which it reorders), ascending: ranks
/// `round(i·(n − 1)/(k − 1))` for i = 0..k, so the minimum and the maximum are kept
/// and each value stands for an equal share of the distribution. O(n log k) by
/// recursive selection.
pub(crate) fn summarize(v: &mut [f64], k: usize) -> Vec<f64> {
    let n = v.len();
    let k = k.max(2);
    if n <= k {
        v.sort_by(f64::total_cmp);
        return v.to_vec();
    }
    let ranks: Vec<usize> = (0..k)
        .map(|i| ((i as f64) * (n - 1) as f64 / (k - 1) as f64).round() as usize)
        .collect();
    multiselect(v, &ranks, 0);
    ranks.iter().map(|&r| v[r]).collect()
}

/// Puts the values of the given (sorted, absolute) ranks in place; `offset` is the
/// rank of `v[0]`.
fn multiselect(v: &mut [f64], ranks: &[usize], offset: usize) {
    if ranks.is_empty() || v.is_empty() {
        return;
    }
    let mid = ranks.len() / 2;
    let r = ranks[mid] - offset;
    v.select_nth_unstable_by(r, f64::total_cmp);
    let (left, right) = v.split_at_mut(r);
    multiselect(left, &ranks[..mid], offset);
    let rest = &ranks[mid + 1..];
    let skip = rest.iter().take_while(|&&x| x == ranks[mid]).count();
    multiselect(&mut right[1..], &rest[skip..], offset + r + 1);
}

/// In-function time of the slowest instance of a run: Σ_step p95, s.
fn straggler_s(r: &ProfileRun) -> f64 {
    r.read.p95_s + r.compute.p95_s + r.write.map_or(0.0, |w| w.p95_s)
}

fn check_run(stage: &str, r: &ProfileRun) -> Result<(), FitError> {
    let bad = |field| FitError::BadValue {
        stage: stage.to_string(),
        field,
        memory_mb: r.memory_mb,
        d: r.d,
    };
    let stats = [
        ("start", Some(r.start)),
        ("read", Some(r.read)),
        ("compute", Some(r.compute)),
        ("write", r.write),
    ];
    for (field, s) in stats {
        if let Some(s) = s
            && !(s.mean_s.is_finite() && s.p95_s.is_finite())
        {
            return Err(bad(field));
        }
    }
    if r.memory_mb == 0 || r.d == 0 {
        return Err(bad("config"));
    }
    if r.wall_s() <= 0.0 {
        return Err(bad("wall"));
    }
    Ok(())
}

/// Thread counts tried for the saturating forms x = min(k, cap)·d and x = min(k, cap).
const CAPS: [f64; 5] = [1.0, 1.5, 2.0, 3.0, 4.0];

/// Candidate (x, terms) families for a step.
fn family(step: StepKind, single: bool, input: InputPartitions) -> Vec<(XForm, Vec<Term>)> {
    let compute = vec![Term::InvX, Term::LnXOverX, Term::InvX2, Term::One];
    let io = vec![Term::InvX, Term::One];
    let xs: Vec<XForm> = if single {
        std::iter::once(XForm::K)
            .chain(CAPS.map(XForm::Cap))
            .collect()
    } else {
        [XForm::D, XForm::KD]
            .into_iter()
            .chain(CAPS.map(XForm::CapD))
            .collect()
    };
    let with = |terms: &[Term]| -> Vec<(XForm, Vec<Term>)> {
        xs.iter().map(|&x| (x, terms.to_vec())).collect()
    };
    match (single, step) {
        (true, StepKind::Read) if input == InputPartitions::Used => {
            with(&[Term::InvX, Term::InputD, Term::One])
        }
        (true, StepKind::Compute) => with(&compute),
        (true, _) => with(&io),
        (false, StepKind::Compute) => {
            let mut f = with(&compute);
            let mut both = compute.clone();
            both.push(Term::InvKD);
            f.push((XForm::D, both));
            f
        }
        (false, _) => {
            let mut f = with(&io);
            f.push((XForm::D, vec![Term::InvX, Term::InvKD, Term::One]));
            f
        }
    }
}

/// Huber threshold on a residual relative to the stage wall time.
const HUBER_REL: f64 = 0.05;
/// Reweighting rounds of the robust fit.
const IRLS_ROUNDS: usize = 4;

/// The family member with the lowest BIC, each fitted robustly (Huber loss on the
/// residual relative to the stage wall time, by iteratively reweighted NNLS), so
/// that one anomalous configuration does not bend the curve for all the others.
fn best_fit(family: &[(XForm, Vec<Term>)], obs: &[Obs]) -> Curve {
    let n = obs.len() as f64;
    let mut best: Option<(Curve, f64)> = None;
    for (xform, terms) in family {
        let curve = robust_fit(*xform, terms, obs);
        let loss: f64 = obs.iter().map(|o| huber(scaled_resid(&curve, o))).sum();
        // A floor keeps a perfect fit from scoring -inf.
        let score = n * (2.0 * loss / n + 1e-12).ln() + curve.n_params() as f64 * n.ln();
        if best.as_ref().is_none_or(|b| score < b.1) {
            best = Some((curve, score));
        }
    }
    best.map_or_else(|| Curve::constant(0.0), |b| b.0)
}

fn scaled_resid(c: &Curve, o: &Obs) -> f64 {
    o.w.sqrt() * (c.eval(o.vcpu, o.d, o.d_in) - o.y)
}

fn huber(r: f64) -> f64 {
    let a = r.abs();
    if a <= HUBER_REL {
        0.5 * a * a
    } else {
        HUBER_REL * (a - 0.5 * HUBER_REL)
    }
}

fn robust_fit(xform: XForm, terms: &[Term], obs: &[Obs]) -> Curve {
    let mut curve = fit_nnls(xform, terms, obs).0;
    let mut w_obs = obs.to_vec();
    for _ in 0..IRLS_ROUNDS {
        for (wo, o) in w_obs.iter_mut().zip(obs) {
            let a = scaled_resid(&curve, o).abs();
            wo.w = if a <= HUBER_REL {
                o.w
            } else {
                o.w * HUBER_REL / a
            };
        }
        curve = fit_nnls(xform, terms, &w_obs).0;
    }
    curve
}

/// Least squares `start.p95 = a + b·ln d` with b ≥ 0 (b = 0 for single-instance stages).
fn fit_overhead(runs: &[(&ProfileRun, &Group<'_>)], single: bool) -> [f64; 2] {
    let n = runs.len() as f64;
    let y_mean = runs.iter().map(|(r, _)| r.start.p95_s).sum::<f64>() / n;
    if single {
        return [y_mean, 0.0];
    }
    let x = |(_, g): &(&ProfileRun, &Group<'_>)| g.ln_d;
    let x_mean = runs.iter().map(x).sum::<f64>() / n;
    let sxx: f64 = runs.iter().map(|r| (x(r) - x_mean).powi(2)).sum();
    let sxy: f64 = runs
        .iter()
        .map(|r| (x(r) - x_mean) * (r.0.start.p95_s - y_mean))
        .sum();
    let b = if sxx > 0.0 { (sxy / sxx).max(0.0) } else { 0.0 };
    [y_mean - b * x_mean, b]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The summary is exactly the order statistics at the documented ranks.
        #[test]
        fn summarize_picks_the_order_statistics_of_a_full_sort(
            v in proptest::collection::vec(-1e3f64..1e3, 1..3000),
            k in 2usize..300,
        ) {
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let mut w = v.clone();
            let got = summarize(&mut w, k);
            let n = v.len();
            if n <= k {
                prop_assert_eq!(got, sorted);
            } else {
                prop_assert_eq!(got.len(), k);
                for (i, g) in got.iter().enumerate() {
                    let r = ((i as f64) * (n - 1) as f64 / (k - 1) as f64).round() as usize;
                    prop_assert_eq!(*g, sorted[r]);
                }
                prop_assert_eq!(got[0], sorted[0]);
                prop_assert_eq!(got[k - 1], sorted[n - 1]);
            }
        }
    }
}
