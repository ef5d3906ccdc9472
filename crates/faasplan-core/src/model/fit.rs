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

/// Runs of one configuration.
struct Group<'a> {
    runs: Vec<&'a ProfileRun>,
}

impl Group<'_> {
    fn avg(&self, f: impl Fn(&ProfileRun) -> f64) -> f64 {
        self.runs.iter().map(|r| f(r)).sum::<f64>() / self.runs.len() as f64
    }
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

/// Fits a stage on `runs`. With `pool_limit = Some(k)`, the residual pools are
/// summarised by at most k order statistics (see [`summarize`]) in O(n log k)
/// instead of sorted in full: the fit report's cross-validation uses this, so a
/// fold costs time linear in the runs.
pub(crate) fn fit_runs(
    stage: &Stage,
    runs: &[&ProfileRun],
    mb_per_vcpu: f64,
    input: InputPartitions,
    pool_limit: Option<usize>,
) -> Result<StageModel, FitError> {
    if !(mb_per_vcpu.is_finite() && mb_per_vcpu > 0.0) {
        return Err(FitError::BadMbPerVcpu(mb_per_vcpu));
    }
    for r in runs {
        check_run(&stage.id, r)?;
    }
    let groups = group(runs);
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
    let single = stage.kind == StageKind::Single;
    let inst_d = |r: &ProfileRun| if single { 1.0 } else { f64::from(r.d) };
    let obs = |col: &dyn Fn(&ProfileRun) -> f64| -> Vec<Obs> {
        groups
            .iter()
            .map(|g| {
                let r0 = g.runs[0];
                let wall = g.avg(ProfileRun::wall_s);
                Obs {
                    vcpu: f64::from(r0.memory_mb) / mb_per_vcpu,
                    d: inst_d(r0),
                    d_in: f64::from(r0.d),
                    y: g.avg(col),
                    w: 1.0 / (wall * wall),
                }
            })
            .collect()
    };
    type Get = fn(&ProfileRun) -> Option<StepStat>;
    let getters: [(StepKind, Get); 3] = [
        (StepKind::Read, |r| Some(r.read)),
        (StepKind::Compute, |r| Some(r.compute)),
        (StepKind::Write, |r| r.write),
    ];
    let mut steps = Vec::new();
    for (kind, get) in getters {
        if runs.iter().any(|r| get(r).is_none()) {
            continue;
        }
        let mean_of = |r: &ProfileRun| get(r).map_or(0.0, |s| s.mean_s);
        let p95_of = |r: &ProfileRun| get(r).map_or(0.0, |s| s.p95_s);
        let family = family(kind, single, input);
        steps.push((
            kind,
            StepModel {
                mean: best_fit(&family, &obs(&mean_of)),
                p95: best_fit(&family, &obs(&p95_of)),
            },
        ));
    }
    // Start-up: warm and cold runs apart (all runs as warm when none is warm).
    let warm: Vec<&ProfileRun> = runs.iter().copied().filter(|r| !r.cold).collect();
    let mixed = !warm.is_empty() && warm.len() < runs.len();
    let warm = if warm.is_empty() { runs.to_vec() } else { warm };
    let overhead = fit_overhead(&warm, single);
    let g = |r: &ProfileRun| overhead[0] + overhead[1] * inst_d(r).ln();
    let start_resid_s: Vec<f64> = warm.iter().map(|r| r.start.p95_s - g(r)).collect();
    let start_resid_s = pool(start_resid_s, pool_limit);
    let (cold_start_s, cold_rate) = if mixed {
        let cold: Vec<f64> = runs
            .iter()
            .filter(|r| r.cold)
            .map(|r| r.start.p95_s - g(r))
            .collect();
        (pool(cold, pool_limit), cold_share(runs))
    } else {
        (Vec::new(), 0.0)
    };
    let mut noise: Vec<f64> = Vec::with_capacity(runs.len());
    for grp in &groups {
        let avg = grp.avg(straggler_s);
        noise.extend(grp.runs.iter().map(|r| {
            if avg > 0.0 {
                straggler_s(r) / avg - 1.0
            } else {
                0.0
            }
        }));
    }
    let noise = pool(noise, pool_limit);
    let mut ds: Vec<u32> = runs.iter().map(|r| r.d).collect();
    let mid = ds.len() / 2;
    ds.select_nth_unstable(mid);
    Ok(StageModel {
        stage: stage.id.clone(),
        kind: stage.kind,
        steps,
        overhead,
        start_resid_s,
        cold_start_s,
        cold_rate,
        noise,
        default_input_d: ds[mid],
    })
}

/// Share of the runs marked cold.
fn cold_share(runs: &[&ProfileRun]) -> f64 {
    runs.iter().filter(|r| r.cold).count() as f64 / runs.len().max(1) as f64
}

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

/// Runs grouped by configuration, groups in order of first appearance (linear time).
fn group<'a>(runs: &[&'a ProfileRun]) -> Vec<Group<'a>> {
    let mut index: std::collections::HashMap<(u32, u32), usize> = std::collections::HashMap::new();
    let mut groups: Vec<Group<'a>> = Vec::new();
    for &r in runs {
        let key = (r.memory_mb, r.d);
        let i = *index.entry(key).or_insert_with(|| {
            groups.push(Group { runs: Vec::new() });
            groups.len() - 1
        });
        groups[i].runs.push(r);
    }
    groups
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
fn fit_overhead(runs: &[&ProfileRun], single: bool) -> [f64; 2] {
    let n = runs.len() as f64;
    let y_mean = runs.iter().map(|r| r.start.p95_s).sum::<f64>() / n;
    if single {
        return [y_mean, 0.0];
    }
    let x = |r: &&ProfileRun| f64::from(r.d).ln();
    let x_mean = runs.iter().map(x).sum::<f64>() / n;
    let sxx: f64 = runs.iter().map(|r| (x(r) - x_mean).powi(2)).sum();
    let sxy: f64 = runs
        .iter()
        .map(|r| (x(r) - x_mean) * (r.start.p95_s - y_mean))
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
