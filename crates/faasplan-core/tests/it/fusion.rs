//! Fusion decisions: the fused tables' model, the joint optimum and frontier
//! against brute force over every grouping and configuration, and the plan
//! report of a fused plan.

use faasplan_core::dag::{Edge, MemoryGrid, StageKind};
use faasplan_core::formats::project::Project;
use faasplan_core::frontier::FrontierSettings;
use faasplan_core::fusion::{
    Fuser, FusionOptions, Grouping, chain_order, evaluate_fresh_grouping, fusable_edges,
    fused_frontier, group_extra, is_tree, larac, slambuc, solve_fused,
};
use faasplan_core::pipeline::{self, Limits, Prepared};
use faasplan_core::pricing::{EdgeData, EdgeDevice, Orchestration};
use faasplan_core::problem::SampledProblem;
use faasplan_core::profile::StageProfile;
use faasplan_core::sampling::evaluate_fresh;
use faasplan_core::settings::{Bound, ColdStarts, SampleCount};
use faasplan_core::solve::{self, Plan, PlanEval, SolveSettings};
use proptest::prelude::*;

/// A stepped memory grid, built through the project file's JSON form so that
/// it takes the defaults of any other field.
fn grid(min_mb: u32, max_mb: u32, step_mb: u32) -> MemoryGrid {
    serde_json::from_value(serde_json::json!({
        "min_mb": min_mb,
        "max_mb": max_mb,
        "step_mb": step_mb,
    }))
    .expect("a stepped grid deserialises")
}

/// A workflow of `n` single-instance stages wired by `edges`, each profiled with
/// the ML pipeline's `stage0` or `stage3` runs (alternating), on a grid of
/// `sizes` memory sizes from 1,024 MB, priced with Step Functions Standard.
pub(crate) fn project(n: usize, edges: &[(usize, usize)], sizes: u32, samples: usize) -> Project {
    let base = crate::bundled::project("ml");
    let templates = [0, 3].map(|k| {
        (
            base.workflow.stages[k].clone(),
            base.profiles.stages[k].runs.clone(),
        )
    });
    let mut p = base;
    let id = |i: usize| format!("s{i}");
    p.workflow.name = "fusion".into();
    p.workflow.stages = (0..n)
        .map(|i| {
            let mut s = templates[i % 2].0.clone();
            s.id = id(i);
            s.kind = StageKind::Single;
            s.memory = grid(1024, 1024 * sizes, 1024);
            s
        })
        .collect();
    p.workflow.edges = edges
        .iter()
        .map(|&(a, b)| Edge {
            from: id(a),
            to: id(b),
        })
        .collect();
    p.profiles.stages = (0..n)
        .map(|i| StageProfile {
            stage: id(i),
            runs: templates[i % 2].1.clone(),
        })
        .collect();
    p.platform.pricing.orchestration = Orchestration::aws_standard();
    p.settings.samples = SampleCount::Fixed(samples);
    p.settings.fresh_samples = SampleCount::Fixed(2000);
    p
}

pub(crate) fn enabled() -> FusionOptions {
    FusionOptions {
        enabled: true,
        forbid: Vec::new(),
    }
}

/// Every plan of `p` with its evaluation.
pub(crate) fn all_plans(p: &SampledProblem) -> Vec<PlanEval> {
    let sizes: Vec<u32> = p.stages.iter().map(|t| t.configs.len() as u32).collect();
    let mut choice = vec![0u32; sizes.len()];
    let mut out = Vec::new();
    loop {
        let plan = Plan {
            choice: choice.clone(),
        };
        out.push(solve::evaluate(p, &plan).unwrap());
        let mut k = 0;
        loop {
            if k == sizes.len() {
                return out;
            }
            choice[k] += 1;
            if choice[k] < sizes[k] {
                break;
            }
            choice[k] = 0;
            k += 1;
        }
    }
}

/// (guaranteed latency, expected cost) of every plan of every grouping.
fn brute_force(project: &Project, prepared: &Prepared) -> Vec<(f64, f64)> {
    let edges = fusable_edges(&project.workflow, &prepared.dag, &enabled()).unwrap();
    let mut fuser = fuser(project, prepared);
    let mut out = Vec::new();
    for mask in 0u32..1 << edges.len() {
        let fused: Vec<_> = (0..edges.len())
            .filter(|k| mask >> k & 1 == 1)
            .map(|k| edges[k])
            .collect();
        let problem = fuser.problem(&Grouping::new(&prepared.dag, &fused));
        out.extend(
            all_plans(&problem)
                .iter()
                .map(|e| (e.guaranteed_latency_s, e.expected_cost_usd)),
        );
    }
    out
}

fn fuser<'a>(project: &'a Project, prepared: &'a Prepared) -> Fuser<'a> {
    Fuser::new(
        &project.workflow,
        &prepared.dag,
        &prepared.model,
        &project.platform,
        &prepared.problem,
        &project.settings,
    )
}

/// A random DAG on `n` stages: every stage after the first gets a parent
/// before it, and `extra` more edges may join branches.
fn dag_strategy() -> impl Strategy<Value = (usize, Vec<(usize, usize)>)> {
    (2usize..=6)
        .prop_flat_map(|n| {
            (
                Just(n),
                proptest::collection::vec(any::<prop::sample::Index>(), n - 1),
                proptest::collection::vec((any::<prop::sample::Index>(), any::<bool>()), 0..2),
            )
        })
        .prop_map(|(n, parents, extra)| {
            let mut edges: Vec<(usize, usize)> =
                (1..n).map(|v| (parents[v - 1].index(v), v)).collect();
            for (ix, on) in extra {
                let v = 1 + ix.index(n - 1);
                let u = if on { 0 } else { v.saturating_sub(2) };
                if u < v && !edges.contains(&(u, v)) {
                    edges.push((u, v));
                }
            }
            (n, edges)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_fused_optimum_equals_brute_force_over_groupings_and_configurations(
        (n, edges) in dag_strategy(),
        at in 0.0f64..1.0,
    ) {
        let p = project(n, &edges, 2, 120);
        let prepared = pipeline::prepare(&p).unwrap();
        let points = brute_force(&p, &prepared);
        let (lo, hi) = points.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &(l, _)| (lo.min(l), hi.max(l)));
        let bound = lo + at * (hi - lo) + 1e-9;
        let want = points
            .iter()
            .filter(|&&(l, _)| l <= bound)
            .map(|&(_, c)| c)
            .fold(f64::INFINITY, f64::min);
        let edges = fusable_edges(&p.workflow, &prepared.dag, &enabled()).unwrap();
        let mut f = fuser(&p, &prepared);
        let got = solve_fused(
            &mut f,
            &edges,
            SolveSettings { bound: Bound::Latency { max_s: bound }, max_nodes: None },
        )
        .unwrap();
        let plan = got.solution.plan.as_ref().unwrap();
        let eval = solve::evaluate(&got.problem, plan).unwrap();
        prop_assert!(eval.guaranteed_latency_s <= bound);
        approx::assert_relative_eq!(eval.expected_cost_usd, want, max_relative = 1e-12);
        // The same under a mean-cost bound: the fastest guarantee within the cost.
        let (clo, chi) = points.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &(_, c)| (lo.min(c), hi.max(c)));
        let max_usd = clo + at * (chi - clo) + 1e-15;
        let want = points
            .iter()
            .filter(|&&(_, c)| c <= max_usd)
            .map(|&(l, _)| l)
            .fold(f64::INFINITY, f64::min);
        let got = solve_fused(
            &mut f,
            &edges,
            SolveSettings {
                bound: Bound::Cost { max_usd, kind: faasplan_core::settings::CostKind::Mean },
                max_nodes: None,
            },
        )
        .unwrap();
        let plan = got.solution.plan.as_ref().unwrap();
        let eval = solve::evaluate(&got.problem, plan).unwrap();
        prop_assert!(eval.expected_cost_usd <= max_usd);
        approx::assert_relative_eq!(eval.guaranteed_latency_s, want, max_relative = 1e-12);
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_fused_frontier_equals_the_brute_force_frontier() {
    let p = project(4, &[(0, 1), (1, 2), (0, 3)], 3, 100);
    let prepared = pipeline::prepare(&p).unwrap();
    let mut points = brute_force(&p, &prepared);
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut want: Vec<(f64, f64)> = Vec::new();
    for (l, c) in points {
        if want.last().is_none_or(|&(_, lc)| c < lc) {
            want.push((l, c));
        }
    }
    let edges = fusable_edges(&p.workflow, &prepared.dag, &enabled()).unwrap();
    assert_eq!(edges.len(), 3);
    let mut f = fuser(&p, &prepared);
    let (groupings, merged) = fused_frontier(&mut f, &edges, FrontierSettings::default()).unwrap();
    assert_eq!(groupings.len(), 8);
    let got: Vec<(f64, f64)> = merged
        .iter()
        .map(|q| (q.point.guaranteed_latency_s, q.point.expected_cost_usd))
        .collect();
    assert_eq!(got.len(), want.len(), "{got:?}\n{want:?}");
    for (g, w) in got.iter().zip(&want) {
        approx::assert_relative_eq!(g.0, w.0, max_relative = 1e-12);
        approx::assert_relative_eq!(g.1, w.1, max_relative = 1e-12);
    }
    assert!(
        merged
            .iter()
            .any(|q| groupings[q.grouping].fuses_anything())
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_fused_pair_pays_one_start_up_one_request_and_no_transition_between() {
    let p = project(2, &[(0, 1)], 2, 300);
    let prepared = pipeline::prepare(&p).unwrap();
    let mut f = fuser(&p, &prepared);
    let fused = f.problem(&Grouping::new(&prepared.dag, &[(0, 1)]));
    let base = &prepared.problem;
    let t = &fused.stages[0];
    assert_eq!(fused.stages.len(), 1);
    assert_eq!(t.configs, base.stages[0].configs);
    let n = base.n_samples;
    let standard = 0.000_025;
    for (j, cfg) in t.configs.iter().enumerate() {
        let (a, b) = (base.latencies(0, j), base.latencies(1, j));
        let l = &t.latency_s[j * n..(j + 1) * n];
        for s in 0..n {
            // The second stage's start-up is gone: between the first stage's
            // latency and the sum of both.
            assert!(l[s] >= a[s] && l[s] < a[s] + b[s], "{cfg:?} sample {s}");
        }
        // One request and one transition fewer, one billing rounding instead of two.
        let unfused = base.expected_cost(0, j) + base.expected_cost(1, j);
        let saved = p.platform.price_per_request + standard;
        let rounding = f64::from(cfg.memory_mb) / 1024.0 * p.platform.price_per_gb_s * 1e-3;
        let diff = unfused - saved - t.expected_cost_usd[j];
        assert!(diff.abs() <= rounding, "{cfg:?}: {diff}");
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_fused_plan_report_names_its_groups_and_its_breakdown_adds_up() {
    let mut p = project(3, &[(0, 1), (1, 2)], 2, 400);
    p.settings.bound = Bound::Latency { max_s: 1000.0 };
    let unfused = pipeline::plan(&p, Limits::default()).unwrap();
    let off = pipeline::plan_fused(&p, &FusionOptions::default(), Limits::default()).unwrap();
    assert_eq!(
        faasplan_core::plan::to_json(&off),
        faasplan_core::plan::to_json(&unfused)
    );
    let fused = pipeline::plan_fused(&p, &enabled(), Limits::default()).unwrap();
    let (u, f) = (unfused.totals.unwrap(), fused.totals.clone().unwrap());
    assert!(f.expected_cost_usd < u.expected_cost_usd);
    let roots: Vec<Option<&str>> = fused
        .stages
        .iter()
        .map(|s| s.fused_into.as_deref())
        .collect();
    assert_eq!(roots, vec![None, Some("s0"), Some("s0")]);
    let b = fused.cost_breakdown.unwrap();
    // One Task state and the end: 2 transitions.
    approx::assert_relative_eq!(b.transitions_usd, 2.0 * 0.000_025, max_relative = 1e-12);
    approx::assert_relative_eq!(
        b.functions_usd + b.transitions_usd + b.transfer_usd,
        f.expected_cost_usd,
        max_relative = 1e-12
    );
    let ub = unfused.cost_breakdown.unwrap();
    approx::assert_relative_eq!(ub.transitions_usd, 4.0 * 0.000_025, max_relative = 1e-12);
    let oos = fused.out_of_sample.clone().unwrap();
    assert_eq!(oos.samples, 2000);
    assert!(oos.fraction_meeting_bound > 0.99);
    let text = faasplan_core::plan::to_json(&fused);
    let back = faasplan_core::plan::from_json(&text).unwrap();
    assert_eq!(faasplan_core::plan::to_json(&back), text);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn stages_without_a_common_memory_size_are_not_fused() {
    let mut p = project(2, &[(0, 1)], 2, 100);
    p.workflow.stages[1].memory = grid(3072, 4096, 1024);
    let prepared = pipeline::prepare(&p).unwrap();
    let edges = fusable_edges(&p.workflow, &prepared.dag, &enabled()).unwrap();
    assert_eq!(edges, vec![(0, 1)]);
    let mut f = fuser(&p, &prepared);
    let got = solve_fused(
        &mut f,
        &edges,
        SolveSettings {
            bound: Bound::Latency { max_s: 1000.0 },
            max_nodes: None,
        },
    )
    .unwrap();
    assert!(!got.grouping.fuses_anything());
    assert_eq!((got.solved, got.pruned), (1, 1));
    let (groupings, points) = fused_frontier(&mut f, &edges, FrontierSettings::default()).unwrap();
    assert_eq!(groupings.len(), 1);
    assert!(points.iter().all(|q| q.grouping == 0));
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_fresh_evaluation_of_an_unfused_grouping_is_the_unfused_one() {
    let p = project(4, &[(0, 1), (0, 2), (1, 3)], 2, 100);
    let prepared = pipeline::prepare(&p).unwrap();
    let f = fuser(&p, &prepared);
    let configs = prepared.problem.configs(&[1, 0, 1, 0]).unwrap();
    let unfused = Grouping::new(&prepared.dag, &[]);
    let got = evaluate_fresh_grouping(&f, &p.settings, &unfused, &configs).unwrap();
    let want = evaluate_fresh(
        &p.workflow,
        &prepared.dag,
        &prepared.model,
        &p.platform,
        &p.settings,
        &configs,
    )
    .unwrap();
    // The grouping's fresh values pass through f32 stage tables (each value
    // within 2⁻²⁴ of the f64 one); the unfused evaluation stays in f64.
    same_up_to_f32(&got.latency_s, &want.latency_s);
    same_up_to_f32(&got.cost_usd, &want.cost_usd);
}

/// The fused pair (s0, s1)'s table of a two-stage chain under `settings`.
fn fused_pair_table(p: &Project) -> faasplan_core::problem::StageTable {
    let prepared = pipeline::prepare(p).unwrap();
    let mut f = fuser(p, &prepared);
    let fused = f.problem(&Grouping::new(&prepared.dag, &[(0, 1)]));
    fused.stages[0].clone()
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_fused_group_starts_as_its_roots_cold_start_setting_says() {
    let p = project(2, &[(0, 1)], 2, 300);
    let profiled = fused_pair_table(&p);
    let with = |global: ColdStarts, stage: Option<(&str, ColdStarts)>| {
        let mut q = p.clone();
        q.settings.cold_starts = global;
        q.settings.cold_start_stages = stage
            .map(|(id, c)| (id.to_string(), c))
            .into_iter()
            .collect();
        fused_pair_table(&q)
    };
    let warm = with(ColdStarts::AllWarm, None);
    let cold = with(ColdStarts::FirstInvocation, None);
    let n = 300;
    let rows = profiled.latency_s.len() / n;
    assert_eq!(rows, profiled.configs.len());
    let (mut below, mut above) = (0, 0);
    for s in 0..profiled.latency_s.len() {
        let (w, m, c) = (warm.latency_s[s], profiled.latency_s[s], cold.latency_s[s]);
        assert!(w <= m && m <= c, "sample {s}: {w} {m} {c}");
        below += usize::from(w < m);
        above += usize::from(m < c);
    }
    // The profile has cold and warm runs: both settings move some samples.
    assert!(below > 0 && above > 0, "{below} {above}");
    // The start-up is not billed (no billed INIT; Standard orchestration).
    assert_eq!(cold.expected_cost_usd, warm.expected_cost_usd);
    // The root's own setting decides; a member's does not.
    let root_cold = with(
        ColdStarts::AllWarm,
        Some(("s0", ColdStarts::FirstInvocation)),
    );
    assert_eq!(root_cold.latency_s, cold.latency_s);
    let member_cold = with(
        ColdStarts::AllWarm,
        Some(("s1", ColdStarts::FirstInvocation)),
    );
    assert_eq!(member_cold.latency_s, warm.latency_s);
    let rate = with(ColdStarts::Rate(100.0), None);
    assert_eq!(rate.latency_s, cold.latency_s);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn fused_plans_and_their_fresh_check_follow_the_cold_start_settings() {
    let mut p = project(3, &[(0, 1), (1, 2)], 2, 300);
    p.settings.bound = Bound::Latency { max_s: 1000.0 };
    let plan = |c: ColdStarts| {
        let mut q = p.clone();
        q.settings.cold_starts = c;
        pipeline::plan_fused(&q, &enabled(), Limits::default()).unwrap()
    };
    let (warm, cold) = (plan(ColdStarts::AllWarm), plan(ColdStarts::FirstInvocation));
    for r in [&warm, &cold] {
        assert!(r.stages.iter().any(|s| s.fused_into.is_some()));
    }
    let (w, c) = (warm.totals.unwrap(), cold.totals.unwrap());
    assert!(
        w.guaranteed_latency_s < c.guaranteed_latency_s,
        "{w:?} {c:?}"
    );
    let (wo, co) = (warm.out_of_sample.unwrap(), cold.out_of_sample.unwrap());
    assert!(
        wo.totals.latency_q_s < co.totals.latency_q_s,
        "{wo:?} {co:?}"
    );
    // The fresh check of an unfused grouping is still the unfused one with
    // per-stage settings.
    let mut q = project(3, &[(0, 1), (0, 2)], 2, 100);
    q.settings.cold_starts = ColdStarts::FirstInvocation;
    q.settings.cold_start_stages = [("s1".to_string(), ColdStarts::AllWarm)].into();
    let prepared = pipeline::prepare(&q).unwrap();
    let f = fuser(&q, &prepared);
    let configs = prepared.problem.configs(&[1, 0, 1]).unwrap();
    let got = evaluate_fresh_grouping(
        &f,
        &q.settings,
        &Grouping::new(&prepared.dag, &[]),
        &configs,
    )
    .unwrap();
    let want = evaluate_fresh(
        &q.workflow,
        &prepared.dag,
        &prepared.model,
        &q.platform,
        &q.settings,
        &configs,
    )
    .unwrap();
    same_up_to_f32(&got.latency_s, &want.latency_s);
}

/// Equal within the rounding of stored f32 stage values (2⁻²⁴ relative each).
fn same_up_to_f32(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        approx::assert_relative_eq!(*g, *w, max_relative = f64::from(f32::EPSILON));
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn express_charges_each_execution_once_and_its_duration() {
    let mut p = project(2, &[(0, 1)], 2, 300);
    p.platform.pricing.orchestration = Orchestration::aws_express();
    p.settings.bound = Bound::Latency { max_s: 1000.0 };
    let r = pipeline::plan(&p, Limits::default()).unwrap();
    let b = r.cost_breakdown.unwrap();
    let mean_sum: f64 = r.stages.iter().map(|s| s.latency_p50_s).sum();
    // $1 per million executions plus 64 MB × the stages' latencies: within the
    // spread between the stages' medians and means.
    let duration = 64.0 / 1024.0 * 0.000_016_67;
    let per_run = b.transitions_usd - 1.0e-6;
    assert!(
        per_run > 0.5 * duration * mean_sum && per_run < 2.0 * duration * mean_sum,
        "{b:?}"
    );
    approx::assert_relative_eq!(
        b.functions_usd + b.transitions_usd + b.transfer_usd,
        r.totals.unwrap().expected_cost_usd,
        max_relative = 1e-12
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_exact_planner_never_loses_to_costless_larac(
        n in 2usize..=6,
        sizes in 2u32..=3,
        at in 0.0f64..1.0,
        placed in any::<bool>(),
    ) {
        let chain: Vec<(usize, usize)> = (1..n).map(|v| (v - 1, v)).collect();
        let mut p = project(n, &chain, sizes, 150);
        // With an edge device the exact planner spans placement too.
        if placed {
            p.platform.pricing.edge_device = Some(device(1.5, 5.0));
        }
        let prepared = pipeline::prepare(&p).unwrap();
        let edges = fusable_edges(&p.workflow, &prepared.dag, &enabled()).unwrap();
        let order = chain_order(&prepared.dag.parents, &prepared.dag.topo).unwrap();
        let mut f = fuser(&p, &prepared);
        let points = brute_force(&p, &prepared);
        let (lo, hi) = points.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &(l, _)| (lo.min(l), hi.max(l)));
        let bound = lo + at * (hi - lo) + 1e-9;
        let exact = solve_fused(
            &mut f,
            &edges,
            SolveSettings { bound: Bound::Latency { max_s: bound }, max_nodes: None },
        )
        .unwrap();
        let exact_cost = exact.solution.plan.as_ref().map(|_| exact.solution.expected_cost_usd);
        if let Some(l) = larac(&mut f, &order, &edges, bound) {
            let problem = f.problem(&l.grouping);
            let judged = solve::evaluate(&problem, &l.plan).unwrap();
            if judged.guaranteed_latency_s <= bound {
                let e = exact_cost.expect("the exact planner finds a plan whenever LARAC's meets the bound");
                prop_assert!(e <= judged.expected_cost_usd * (1.0 + 1e-12), "exact {e} > LARAC {}", judged.expected_cost_usd);
            }
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn larac_takes_only_chains_and_returns_a_plan_within_a_loose_bound() {
    let p = project(3, &[(0, 1), (0, 2)], 2, 100);
    let prepared = pipeline::prepare(&p).unwrap();
    assert!(chain_order(&prepared.dag.parents, &prepared.dag.topo).is_none());
    let p = project(3, &[(0, 1), (1, 2)], 2, 100);
    let prepared = pipeline::prepare(&p).unwrap();
    let order = chain_order(&prepared.dag.parents, &prepared.dag.topo).unwrap();
    assert_eq!(order, vec![0, 1, 2]);
    let edges = fusable_edges(&p.workflow, &prepared.dag, &enabled()).unwrap();
    let mut f = fuser(&p, &prepared);
    let loose = larac(&mut f, &order, &edges, 1e6).unwrap();
    // With no binding bound LARAC takes the cheapest path; transitions make fusing all pay.
    assert_eq!(loose.grouping.groups, vec![vec![0, 1, 2]]);
    assert!(larac(&mut f, &order, &edges, 1e-3).is_none());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn under_a_cost_bound_fusion_is_never_slower_and_keeps_the_bound() {
    let mut p = project(3, &[(0, 1), (1, 2)], 3, 300);
    let prepared = pipeline::prepare(&p).unwrap();
    let cheapest = brute_force(&p, &prepared)
        .iter()
        .map(|&(_, c)| c)
        .fold(f64::INFINITY, f64::min);
    let max_usd = cheapest * 1.3;
    p.settings.bound = Bound::Cost {
        max_usd,
        kind: faasplan_core::settings::CostKind::Mean,
    };
    let settings = SolveSettings {
        bound: p.settings.bound,
        max_nodes: None,
    };
    let unfused = solve::solve(&prepared.problem, settings.clone()).unwrap();
    let edges = fusable_edges(&p.workflow, &prepared.dag, &enabled()).unwrap();
    let joint = solve_fused(&mut fuser(&p, &prepared), &edges, settings).unwrap();
    // The joint space holds the unfused plans: its optimum is no slower.
    assert!(joint.solution.guaranteed_latency_s <= unfused.guaranteed_latency_s);
    assert!(joint.solution.expected_cost_usd <= max_usd);
    let fused = pipeline::plan_fused(&p, &enabled(), Limits::default()).unwrap();
    assert!(fused.totals.unwrap().expected_cost_usd <= max_usd);
    assert!(fused.stages.iter().any(|s| s.fused_into.is_some()));
}

/// An edge device of 4,096 MB and 2 cores behind a 100 Mbit/s link.
pub(crate) fn device(speed_factor: f64, monthly_fee_usd: f64) -> EdgeDevice {
    EdgeDevice {
        speed_factor,
        cores: 2.0,
        memory_mb: 4096,
        monthly_fee_usd,
        runs_per_month: 1_000_000.0,
        usd_per_s: 1e-6,
        uplink_mbps: 100.0,
        link_latency_s: 0.05,
        allow_reverse: false,
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn placement_and_fusion_together_equal_brute_force() {
    let mut p = project(3, &[(0, 1), (1, 2)], 2, 120);
    p.platform.pricing.edge_device = Some(device(1.5, 3.0));
    p.platform.pricing.edge_data = vec![EdgeData {
        from: "s1".into(),
        to: "s2".into(),
        data_mb: 20.0,
    }];
    let prepared = pipeline::prepare(&p).unwrap();
    let edges = fusable_edges(&p.workflow, &prepared.dag, &enabled()).unwrap();
    let mut f = fuser(&p, &prepared);
    // Edge sets closed under parents on a chain are its prefixes (4); fused
    // edges may not cross the boundary: 4 + 2 + 2 + 4 groupings.
    assert_eq!(f.groupings(&edges).unwrap().len(), 12);
    let mut points = Vec::new();
    for mask in 0u32..8 {
        let on_edge: Vec<bool> = (0..3).map(|i| mask >> i & 1 == 1).collect();
        if !(0..3).all(|i| !on_edge[i] || i == 0 || on_edge[i - 1]) {
            continue;
        }
        for fmask in 0u32..4 {
            let fused: Vec<_> = (0..2)
                .filter(|k| fmask >> k & 1 == 1)
                .map(|k| edges[k])
                .filter(|&(u, v)| on_edge[u] == on_edge[v])
                .collect();
            if fused.len() != fmask.count_ones() as usize {
                continue;
            }
            let problem = f.problem(&Grouping::placed(&prepared.dag, &fused, on_edge.clone()));
            points.extend(
                all_plans(&problem)
                    .iter()
                    .map(|e| (e.guaranteed_latency_s, e.expected_cost_usd, mask)),
            );
        }
    }
    assert!(points.iter().any(|q| q.2 != 0));
    let (lo, hi) = points.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), q| {
        (lo.min(q.0), hi.max(q.0))
    });
    for at in [0.05, 0.3, 0.6, 1.0] {
        let bound = lo + at * (hi - lo) + 1e-9;
        let want = points
            .iter()
            .filter(|q| q.0 <= bound)
            .map(|q| q.1)
            .fold(f64::INFINITY, f64::min);
        let got = solve_fused(
            &mut f,
            &edges,
            SolveSettings {
                bound: Bound::Latency { max_s: bound },
                max_nodes: None,
            },
        )
        .unwrap();
        let plan = got.solution.plan.as_ref().unwrap();
        let eval = solve::evaluate(&got.problem, plan).unwrap();
        assert!(eval.guaranteed_latency_s <= bound);
        approx::assert_relative_eq!(eval.expected_cost_usd, want, max_relative = 1e-12);
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn an_edge_stage_runs_slower_pays_the_device_and_the_link_and_no_lambda_fees() {
    let mut p = project(2, &[(0, 1)], 2, 200);
    p.platform.pricing.edge_data = vec![EdgeData {
        from: "s0".into(),
        to: "s1".into(),
        data_mb: 100.0,
    }];
    let table = |dev: EdgeDevice| {
        let mut q = p.clone();
        q.platform.pricing.edge_device = Some(dev);
        let prepared = pipeline::prepare(&q).unwrap();
        let mut f = fuser(&q, &prepared);
        let g = Grouping::placed(&prepared.dag, &[], vec![true, false]);
        let problem = f.problem(&g);
        let extra = group_extra(&f, &g, 0, problem.stages[0].configs[0]);
        (
            problem.stages[0].clone(),
            extra,
            prepared.problem.stages[1].clone(),
            problem.stages[1].clone(),
        )
    };
    let (t, extra, base1, cloud1) = table(device(1.0, 30.0));
    assert_eq!(
        t.configs,
        vec![faasplan_core::dag::Config {
            memory_mb: 4096,
            d: 1
        }]
    );
    // The cloud stage is unchanged.
    assert_eq!(base1.latency_s, cloud1.latency_s);
    assert_eq!(base1.cost_usd, cloud1.cost_usd);
    let (slow, _, _, _) = table(device(2.0, 30.0));
    let mut fast_link = device(1.0, 30.0);
    fast_link.uplink_mbps = 1e12;
    fast_link.link_latency_s = 0.0;
    let (no_link, _, _, _) = table(fast_link);
    let n = 200;
    for s in 0..n {
        // 100 MB over 100 Mbit/s plus 0.05 s.
        // The stored latencies are f32: each within 2⁻²⁴ of its value.
        let (l, l0) = (f64::from(t.latency_s[s]), f64::from(no_link.latency_s[s]));
        assert!(
            (l - l0 - 8.05).abs() <= 1e-9 * 8.05 + (l + l0) * f64::from(f32::EPSILON),
            "{l} - {l0}"
        );
        assert!(slow.latency_s[s] > t.latency_s[s]);
        // The fee's share of a run, the running cost of the compute, the
        // orchestration and the object written for the cloud stage; no request fee.
        let compute = (f64::from(t.cost_usd[s]) - 30.0 / 1e6 - extra.fixed_usd()) / 1e-6;
        assert!(compute > 0.0 && compute < l, "{compute}");
    }
    assert!(extra.transfer_usd > 0.0);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn data_flows_edge_to_cloud_unless_the_reverse_is_allowed() {
    let mut p = project(3, &[(0, 1), (1, 2)], 2, 60);
    // s0 needs more memory than the device has.
    p.workflow.stages[0].memory = grid(8192, 9216, 1024);
    p.platform.pricing.edge_device = Some(device(1.0, 0.0));
    let prepared = pipeline::prepare(&p).unwrap();
    let f = fuser(&p, &prepared);
    assert_eq!(f.edge_candidates(), vec![1, 2]);
    let placed = |f: &Fuser<'_>| -> Vec<Vec<bool>> {
        let mut v: Vec<_> = f
            .groupings(&[])
            .unwrap()
            .into_iter()
            .map(|g| g.on_edge)
            .collect();
        v.dedup();
        v
    };
    assert_eq!(placed(&f), vec![vec![false; 3]]);
    p.platform
        .pricing
        .edge_device
        .as_mut()
        .unwrap()
        .allow_reverse = true;
    let f = fuser(&p, &prepared);
    assert_eq!(
        placed(&f),
        vec![
            vec![false, false, false],
            vec![false, true, false],
            vec![false, false, true],
            vec![false, true, true],
        ]
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_placed_plan_reports_its_edge_stages_and_the_device_cost() {
    let mut p = project(3, &[(0, 1), (1, 2)], 2, 300);
    p.settings.bound = Bound::Latency { max_s: 1000.0 };
    let cloud = pipeline::plan_fused(&p, &FusionOptions::default(), Limits::default()).unwrap();
    p.platform.pricing.edge_device = Some(device(1.2, 1.0));
    let placed = pipeline::plan_fused(&p, &FusionOptions::default(), Limits::default()).unwrap();
    let on: Vec<bool> = placed.stages.iter().map(|s| s.on_edge).collect();
    assert!(on.iter().any(|&e| e), "{on:?}");
    let (c, e) = (cloud.totals.unwrap(), placed.totals.clone().unwrap());
    assert!(e.expected_cost_usd < c.expected_cost_usd);
    let b = placed.cost_breakdown.unwrap();
    assert!(b.edge_usd >= 1e-6, "{b:?}");
    approx::assert_relative_eq!(
        b.functions_usd + b.transitions_usd + b.transfer_usd + b.edge_usd,
        e.expected_cost_usd,
        max_relative = 1e-12
    );
    let edge_stage = placed.stages.iter().find(|s| s.on_edge).unwrap();
    assert_eq!((edge_stage.memory_mb, edge_stage.vcpu), (4096, 2.0));
    let oos = placed.out_of_sample.clone().unwrap();
    assert!(oos.fraction_meeting_bound > 0.99);
    let text = faasplan_core::plan::to_json(&placed);
    assert!(text.contains("\"on_edge\": true"), "{text}");
    let back = faasplan_core::plan::from_json(&text).unwrap();
    assert_eq!(faasplan_core::plan::to_json(&back), text);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn billed_init_charges_cold_starts_at_the_functions_memory() {
    let p = project(2, &[(0, 1)], 2, 300);
    let costs = |cold: ColdStarts, billed: bool| {
        let mut q = p.clone();
        q.settings.cold_starts = cold;
        q.platform.pricing.billed_init = billed;
        let prepared = pipeline::prepare(&q).unwrap();
        let mut f = fuser(&q, &prepared);
        let fused = f.problem(&Grouping::new(&prepared.dag, &[(0, 1)]));
        (prepared.problem, fused)
    };
    let (warm_off, _) = costs(ColdStarts::AllWarm, false);
    let (warm_on, _) = costs(ColdStarts::AllWarm, true);
    // No cold start, nothing billed for INIT.
    assert_eq!(warm_off.stages[0].cost_usd, warm_on.stages[0].cost_usd);
    let (cold_off, fused_off) = costs(ColdStarts::FirstInvocation, false);
    let (cold_on, fused_on) = costs(ColdStarts::FirstInvocation, true);
    let (prof_off, _) = costs(ColdStarts::Profile, false);
    let (prof_on, _) = costs(ColdStarts::Profile, true);
    let n = 300;
    for (j, cfg) in cold_on.stages[0].configs.iter().enumerate() {
        let gb_s = f64::from(cfg.memory_mb) / 1024.0 * p.platform.price_per_gb_s;
        let (on, off) = (&cold_on.stages[0], &cold_off.stages[0]);
        let (lon, loff) = (cold_on.latencies(0, j), cold_off.latencies(0, j));
        assert_eq!(lon, loff);
        let warm = warm_off.latencies(0, j);
        for s in 0..n {
            let (c_on, c_off) = (
                f64::from(on.cost_usd[j * n + s]),
                f64::from(off.cost_usd[j * n + s]),
            );
            let (l_on, l_warm) = (f64::from(lon[s]), f64::from(warm[s]));
            let extra = c_on - c_off;
            // One instance (d = 1): the INIT billed is at least the start-up
            // excess visible in the latency, and never negative (up to the f32
            // rounding of the stored values, 2⁻²⁴ of each).
            assert!(extra >= 0.0);
            let rounding = f64::from(f32::EPSILON) * (c_on + c_off + (l_on + l_warm) * gb_s);
            assert!(
                extra + 1e-12 + rounding >= (l_on - l_warm) * gb_s,
                "{cfg:?} {s}"
            );
        }
        assert!(on.expected_cost_usd[j] > off.expected_cost_usd[j]);
        // At the profile's cold share, less INIT is billed than with every start cold.
        let d_prof =
            prof_on.stages[0].expected_cost_usd[j] - prof_off.stages[0].expected_cost_usd[j];
        let d_cold = on.expected_cost_usd[j] - off.expected_cost_usd[j];
        assert!(d_prof > 0.0 && d_prof < d_cold, "{d_prof} {d_cold}");
        // A fused group bills its root's INIT: the same excess as the root alone.
        let d_fused =
            fused_on.stages[0].expected_cost_usd[j] - fused_off.stages[0].expected_cost_usd[j];
        // Differences of expected costs, each the mean of f32-rounded costs.
        let rounding =
            f64::from(f32::EPSILON) * (on.expected_cost_usd[j] + off.expected_cost_usd[j]);
        assert!(
            (d_fused - d_cold).abs() <= 1e-9 * d_cold + rounding,
            "{d_fused} {d_cold}"
        );
    }
}

/// A random tree on 2–6 stages: every stage after the first gets one parent before it.
fn tree_strategy() -> impl Strategy<Value = (usize, Vec<(usize, usize)>)> {
    (2usize..=6)
        .prop_flat_map(|n| {
            (
                Just(n),
                proptest::collection::vec(any::<prop::sample::Index>(), n - 1),
            )
        })
        .prop_map(|(n, parents)| (n, (1..n).map(|v| (parents[v - 1].index(v), v)).collect()))
}

/// A plan's (latency, cost) in SLAMBUC's deterministic model: every group's
/// q-quantile latency summed along the longest path, the groups' expected
/// costs summed.
fn model_point(problem: &SampledProblem, choice: &[u32]) -> (f64, f64) {
    let rows = problem.rows(choice).unwrap();
    let mut finish = vec![0.0f64; problem.stages.len()];
    let mut cost = 0.0;
    for &g in &problem.topo {
        let lat = problem.latencies(g, rows[g]);
        let d = faasplan_core::stats::empirical::quantile(lat, problem.percentile);
        let start = problem.parents[g]
            .iter()
            .map(|&p| finish[p])
            .fold(0.0, f64::max);
        finish[g] = start + d;
        cost += problem.expected_cost(g, rows[g]);
    }
    (finish.iter().copied().fold(0.0, f64::max), cost)
}

/// Every (grouping, plan) of `p` in the deterministic model.
fn model_brute_force(p: &Project, prepared: &Prepared) -> Vec<(f64, f64)> {
    let edges = fusable_edges(&p.workflow, &prepared.dag, &enabled()).unwrap();
    let mut f = fuser(p, prepared);
    let mut out = Vec::new();
    for mask in 0u32..1 << edges.len() {
        let fused: Vec<_> = (0..edges.len())
            .filter(|k| mask >> k & 1 == 1)
            .map(|k| edges[k])
            .collect();
        let problem = f.problem(&Grouping::new(&prepared.dag, &fused));
        if problem.stages.iter().any(|t| t.configs.is_empty()) {
            continue;
        }
        let sizes: Vec<u32> = problem
            .stages
            .iter()
            .map(|t| t.configs.len() as u32)
            .collect();
        let mut choice = vec![0u32; sizes.len()];
        'plans: loop {
            out.push(model_point(&problem, &choice));
            for k in 0..=sizes.len() {
                if k == sizes.len() {
                    break 'plans;
                }
                choice[k] += 1;
                if choice[k] < sizes[k] {
                    break;
                }
                choice[k] = 0;
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn slambuc_is_optimal_in_its_deterministic_model_on_trees(
        (n, edges) in tree_strategy(),
        sizes in 2u32..=3,
        at in 0.0f64..1.0,
    ) {
        let p = project(n, &edges, sizes, 100);
        let prepared = pipeline::prepare(&p).unwrap();
        prop_assert!(is_tree(&prepared.dag.parents));
        let points = model_brute_force(&p, &prepared);
        let (lo, hi) = points.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &(l, _)| (lo.min(l), hi.max(l)));
        let bound = lo + at * (hi - lo) + 1e-9;
        let want = points
            .iter()
            .filter(|&&(l, _)| l <= bound)
            .map(|&(_, c)| c)
            .fold(f64::INFINITY, f64::min);
        let fusable = fusable_edges(&p.workflow, &prepared.dag, &enabled()).unwrap();
        let mut f = fuser(&p, &prepared);
        let got = slambuc(&mut f, &fusable, bound).expect("a partition within the bound exists");
        approx::assert_relative_eq!(got.model_cost_usd, want, max_relative = 1e-9);
        prop_assert!(got.model_latency_s <= bound);
        // The plan it returns has the figures it claims.
        let problem = f.problem(&got.grouping);
        let (l, c) = model_point(&problem, &got.plan.choice);
        approx::assert_relative_eq!(l, got.model_latency_s, max_relative = 1e-9);
        approx::assert_relative_eq!(c, got.model_cost_usd, max_relative = 1e-9);
        prop_assert!(slambuc(&mut f, &fusable, lo * (1.0 - 1e-6)).is_none());
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_exact_planner_never_loses_to_slambuc(
        (n, edges) in tree_strategy(),
        sizes in 2u32..=3,
        at in 0.0f64..1.0,
        placed in any::<bool>(),
    ) {
        let mut p = project(n, &edges, sizes, 150);
        if placed {
            p.platform.pricing.edge_device = Some(device(1.5, 5.0));
        }
        let prepared = pipeline::prepare(&p).unwrap();
        let fusable = fusable_edges(&p.workflow, &prepared.dag, &enabled()).unwrap();
        let mut f = fuser(&p, &prepared);
        let points = brute_force(&p, &prepared);
        let (lo, hi) = points.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &(l, _)| (lo.min(l), hi.max(l)));
        let bound = lo + at * (hi - lo) + 1e-9;
        let exact = solve_fused(
            &mut f,
            &fusable,
            SolveSettings { bound: Bound::Latency { max_s: bound }, max_nodes: None },
        )
        .unwrap();
        let exact_cost = exact.solution.plan.as_ref().map(|_| exact.solution.expected_cost_usd);
        if let Some(s) = slambuc(&mut f, &fusable, bound) {
            let problem = f.problem(&s.grouping);
            let judged = solve::evaluate(&problem, &s.plan).unwrap();
            if judged.guaranteed_latency_s <= bound {
                let e = exact_cost.expect("the exact planner finds a plan whenever SLAMBUC's meets the bound");
                prop_assert!(e <= judged.expected_cost_usd * (1.0 + 1e-12), "exact {e} > SLAMBUC {}", judged.expected_cost_usd);
            }
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn slambuc_takes_only_trees() {
    let p = project(4, &[(0, 1), (0, 2), (1, 3), (2, 3)], 2, 60);
    let prepared = pipeline::prepare(&p).unwrap();
    assert!(!is_tree(&prepared.dag.parents));
    let fusable = fusable_edges(&p.workflow, &prepared.dag, &enabled()).unwrap();
    assert!(slambuc(&mut fuser(&p, &prepared), &fusable, 1e6).is_none());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_frontier_over_placement_and_fusion_equals_brute_force() {
    let mut p = project(3, &[(0, 1), (0, 2)], 2, 100);
    p.platform.pricing.edge_device = Some(device(1.3, 2.0));
    p.platform.pricing.edge_data = vec![EdgeData {
        from: "s0".into(),
        to: "s1".into(),
        data_mb: 10.0,
    }];
    let prepared = pipeline::prepare(&p).unwrap();
    let edges = fusable_edges(&p.workflow, &prepared.dag, &enabled()).unwrap();
    assert_eq!(edges.len(), 2);
    let mut f = fuser(&p, &prepared);
    // Every placement closed under parents (s0 first) × every grouping whose
    // fused edges stay on one side, enumerated here by hand.
    let mut points = Vec::new();
    let mut placed_groupings = 0;
    for mask in 0u32..8 {
        let on_edge: Vec<bool> = (0..3).map(|i| mask >> i & 1 == 1).collect();
        if (on_edge[1] || on_edge[2]) && !on_edge[0] {
            continue;
        }
        for fmask in 0u32..4 {
            let fused: Vec<_> = (0..2)
                .filter(|k| fmask >> k & 1 == 1)
                .map(|k| edges[k])
                .collect();
            if fused.iter().any(|&(u, v)| on_edge[u] != on_edge[v]) {
                continue;
            }
            let problem = f.problem(&Grouping::placed(&prepared.dag, &fused, on_edge.clone()));
            if problem.stages.iter().any(|t| t.configs.is_empty()) {
                continue;
            }
            placed_groupings += 1;
            points.extend(
                all_plans(&problem)
                    .iter()
                    .map(|e| (e.guaranteed_latency_s, e.expected_cost_usd)),
            );
        }
    }
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut want: Vec<(f64, f64)> = Vec::new();
    for (l, c) in points {
        if want.last().is_none_or(|&(_, lc)| c < lc) {
            want.push((l, c));
        }
    }
    let (groupings, merged) = fused_frontier(&mut f, &edges, FrontierSettings::default()).unwrap();
    assert_eq!(groupings.len(), placed_groupings);
    let got: Vec<(f64, f64)> = merged
        .iter()
        .map(|q| (q.point.guaranteed_latency_s, q.point.expected_cost_usd))
        .collect();
    assert_eq!(got.len(), want.len(), "{got:?}\n{want:?}");
    for (g, w) in got.iter().zip(&want) {
        approx::assert_relative_eq!(g.0, w.0, max_relative = 1e-12);
        approx::assert_relative_eq!(g.1, w.1, max_relative = 1e-12);
    }
    // Both decisions show on the frontier.
    assert!(
        merged
            .iter()
            .any(|q| groupings[q.grouping].places_anything())
    );
    assert!(
        merged
            .iter()
            .any(|q| !groupings[q.grouping].places_anything())
    );
}
