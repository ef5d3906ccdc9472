//! The architecture of each stage as a planner decision: the arm64 rows' model
//! and prices, the optimum and frontier against brute force over memory × d ×
//! architecture, the time factor from arm64 runs, the fresh check and the refusals.

use faasplan_core::arch::{self, Arch, ArchRates, StageArchitectures};
use faasplan_core::dag::{MemoryGrid, StageKind};
use faasplan_core::formats::project::Project;
use faasplan_core::frontier::{self, FrontierSettings};
use faasplan_core::fusion::{Fuser, Grouping, fusable_edges, fused_frontier, solve_fused};
use faasplan_core::pipeline::{self, Limits, Prepared};
use faasplan_core::platform::Preset;
use faasplan_core::problem::SampledProblem;
use faasplan_core::sampling::{evaluate_fresh, evaluate_fresh_on};
use faasplan_core::settings::{Bound, SampleCount};
use faasplan_core::solve::{self, Plan, PlanEval, SolveSettings};
use proptest::prelude::*;

fn grid(min_mb: u32, max_mb: u32, step_mb: u32) -> MemoryGrid {
    serde_json::from_value(serde_json::json!({
        "min_mb": min_mb,
        "max_mb": max_mb,
        "step_mb": step_mb,
    }))
    .expect("a stepped grid deserialises")
}

/// The ML pipeline with 2 memory sizes per stage and 2 instance counts per
/// parallel stage; `arm` allows arm64 with a time factor on the listed stages.
fn small(arm: &[(usize, f64)], samples: usize) -> Project {
    let mut p = crate::bundled::project("ml");
    for s in &mut p.workflow.stages {
        s.memory = grid(1024, 2048, 1024);
        if s.kind == StageKind::Parallel {
            s.allowed_d.sort_unstable();
            s.allowed_d.truncate(2);
        }
    }
    for &(i, f) in arm {
        let id = p.workflow.stages[i].id.clone();
        p.settings
            .architectures
            .insert(id, StageArchitectures::both(Some(f)));
    }
    p.settings.samples = SampleCount::Fixed(samples);
    p.settings.fresh_samples = SampleCount::Fixed(2000);
    p
}

/// Every plan of `p` with its evaluation.
fn all_plans(p: &SampledProblem) -> Vec<PlanEval> {
    let sizes: Vec<u32> = p.stages.iter().map(|t| t.configs.len() as u32).collect();
    let mut choice = vec![0u32; sizes.len()];
    let mut out = Vec::new();
    loop {
        out.push(
            solve::evaluate(
                p,
                &Plan {
                    choice: choice.clone(),
                },
            )
            .unwrap(),
        );
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// Brute force over every memory × d × architecture of every stage: the
    /// planner's optimum at a bound and its exact frontier are the brute-force ones.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_optimum_and_frontier_over_architectures_equal_brute_force(
        mask in 1u32..16,
        factors in proptest::collection::vec(0.6f64..1.4, 4),
        at in 0.0f64..1.0,
    ) {
        let arm: Vec<(usize, f64)> = (0..4).filter(|i| mask >> i & 1 == 1).map(|i| (i, factors[i])).collect();
        let p = small(&arm, 200);
        let prepared = pipeline::prepare(&p).unwrap();
        let problem = &prepared.problem;
        for (i, t) in problem.stages.iter().enumerate() {
            let base = faasplan_core::sampling::candidates(&p.workflow.stages[i], &p.platform).len();
            if arm.iter().any(|&(k, _)| k == i) {
                prop_assert_eq!(t.configs.len(), 2 * base);
                prop_assert_eq!(t.architectures.iter().filter(|&&a| a == Arch::Arm64).count(), base);
            } else {
                prop_assert_eq!(t.configs.len(), base);
                prop_assert!(t.architectures.is_empty());
            }
        }
        let plans = all_plans(problem);
        let (lo, hi) = plans.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), e| {
            (lo.min(e.guaranteed_latency_s), hi.max(e.guaranteed_latency_s))
        });
        let bound = lo + at * (hi - lo) + 1e-9;
        let want = plans
            .iter()
            .filter(|e| e.guaranteed_latency_s <= bound)
            .map(|e| e.expected_cost_usd)
            .fold(f64::INFINITY, f64::min);
        let got = solve::solve(problem, SolveSettings { bound: Bound::Latency { max_s: bound }, max_nodes: None }).unwrap();
        prop_assert!(got.plan.is_some());
        approx::assert_relative_eq!(got.expected_cost_usd, want, max_relative = 1e-12);
        // The frontier: the non-dominated (guaranteed latency, expected cost) pairs.
        let mut points: Vec<(f64, f64)> = plans.iter().map(|e| (e.guaranteed_latency_s, e.expected_cost_usd)).collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut front: Vec<(f64, f64)> = Vec::new();
        for (l, c) in points {
            if front.last().is_none_or(|&(_, lc)| c < lc) {
                front.push((l, c));
            }
        }
        let f = frontier::frontier(problem, FrontierSettings::default()).unwrap();
        prop_assert_eq!(f.points.len(), front.len());
        for (g, w) in f.points.iter().zip(&front) {
            approx::assert_relative_eq!(g.guaranteed_latency_s, w.0, max_relative = 1e-12);
            approx::assert_relative_eq!(g.expected_cost_usd, w.1, max_relative = 1e-12);
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn an_arm64_row_takes_the_factor_times_the_time_and_pays_the_arm64_rate() {
    let x86 = ArchRates::aws(Arch::X86_64);
    let arm = ArchRates::aws(Arch::Arm64);
    let p = small(&[(0, 1.0), (1, 1.0)], 300);
    let prepared = pipeline::prepare(&p).unwrap();
    for i in [0, 1] {
        let t = &prepared.problem.stages[i];
        let n = t.configs.len() / 2;
        for j in 0..n {
            assert_eq!(t.configs[j], t.configs[j + n]);
            assert_eq!(t.architecture(j), Some(Arch::X86_64));
            assert_eq!(t.architecture(j + n), Some(Arch::Arm64));
            let (a, b) = (t.row(0, j), t.row(0, j + n));
            // At factor 1 the latencies are the x86_64 ones, bit for bit.
            assert_eq!(
                prepared.problem.latencies(i, a),
                prepared.problem.latencies(i, b)
            );
            let fee = f64::from(t.configs[j].d) * x86.price_per_request;
            for (&c0, &c1) in prepared
                .problem
                .costs(i, a)
                .iter()
                .zip(prepared.problem.costs(i, b))
            {
                let want = (f64::from(c0) - fee) * arm.price_per_gb_s / x86.price_per_gb_s + fee;
                approx::assert_relative_eq!(f64::from(c1), want, max_relative = 1e-6);
            }
        }
    }
    // At factor 0.5 every sample is faster (the start-up unchanged) and cheaper.
    let p = small(&[(0, 0.5)], 300);
    let prepared = pipeline::prepare(&p).unwrap();
    let t = &prepared.problem.stages[0];
    let n = t.configs.len() / 2;
    let lat = |r| prepared.problem.latencies(0, r);
    assert!(
        lat(t.row(0, 0))
            .iter()
            .zip(lat(t.row(0, n)))
            .all(|(x, a)| a < x)
    );
    assert!(
        prepared.problem.expected_cost(0, t.row(0, n))
            < prepared.problem.expected_cost(0, t.row(0, 0)) * 0.5
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_time_factor_comes_from_arm64_runs_which_stay_out_of_the_x86_model() {
    let plain = small(&[], 200);
    let mut p = plain.clone();
    let runs = p.profiles.stages[0].runs.clone();
    let tagged = |a: Arch, k: f64| {
        runs.iter().map(move |r| {
            let mut r = r.clone();
            r.architecture = Some(a);
            r.read.mean_s *= k;
            r.compute.mean_s *= k;
            r.write = r.write.map(|mut w| {
                w.mean_s *= k;
                w
            });
            r
        })
    };
    p.profiles.stages[0].runs.extend(tagged(Arch::Arm64, 0.7));
    let id = p.workflow.stages[0].id.clone();
    // Measured runs win over a user's factor.
    p.settings
        .architectures
        .insert(id.clone(), StageArchitectures::both(Some(3.0)));
    let prepared = pipeline::prepare(&p).unwrap();
    // The arm64 runs do not enter the x86_64 model.
    let unmixed = pipeline::prepare(&plain).unwrap();
    assert_eq!(prepared.model.stages[0], unmixed.model.stages[0]);
    let resolved = arch::resolve(
        &p.workflow,
        &p.platform,
        &p.settings.architectures,
        &p.profiles,
        &prepared.model,
    )
    .unwrap()
    .unwrap();
    let mut x86_tagged = plain.profiles.clone();
    x86_tagged.stages[0].runs = tagged(Arch::X86_64, 1.0).collect();
    let (x86_ratio, count) =
        arch::measured_factor(&prepared.model.stages[0], &x86_tagged, &id, Arch::X86_64).unwrap();
    assert_eq!(count, runs.len());
    approx::assert_relative_eq!(
        resolved.stages[0].time_factor,
        0.7 * x86_ratio,
        max_relative = 1e-9
    );
    assert_eq!(
        resolved.stages[0].source,
        Some(arch::FactorSource::Measured { runs: runs.len() })
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_fresh_check_samples_each_stage_on_its_architecture() {
    let p = small(&[(0, 1.0), (1, 1.0), (2, 1.0), (3, 1.0)], 200);
    let prepared = pipeline::prepare(&p).unwrap();
    let resolved = arch::resolve(
        &p.workflow,
        &p.platform,
        &p.settings.architectures,
        &p.profiles,
        &prepared.model,
    )
    .unwrap()
    .unwrap();
    let configs: Vec<_> = prepared
        .problem
        .stages
        .iter()
        .map(|t| t.configs[0])
        .collect();
    let x86 = evaluate_fresh(
        &p.workflow,
        &prepared.dag,
        &prepared.model,
        &p.platform,
        &p.settings,
        &configs,
    )
    .unwrap();
    let all_arm = vec![Arch::Arm64; 4];
    let arm = evaluate_fresh_on(
        &p.workflow,
        &prepared.dag,
        &prepared.model,
        &p.platform,
        &p.settings,
        &configs,
        Some((&resolved, &all_arm)),
    )
    .unwrap();
    assert_eq!(x86.latency_s, arm.latency_s);
    let ratio = arm.mean_cost_usd() / x86.mean_cost_usd();
    assert!(ratio > 0.79 && ratio < 0.81, "{ratio}");
    // The plan report names the architectures and its fresh figures are arm64's.
    let mut p = p;
    p.settings.bound = Bound::Latency { max_s: 1000.0 };
    let report = pipeline::plan(&p, Limits::default()).unwrap();
    assert!(
        report
            .stages
            .iter()
            .all(|s| s.architecture == Some(Arch::Arm64))
    );
    let planned = report.totals.unwrap().expected_cost_usd;
    let fresh = report.out_of_sample.unwrap().totals.expected_cost_usd;
    assert!((fresh / planned - 1.0).abs() < 0.05, "{fresh} vs {planned}");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn on_an_arm64_platform_x86_64_is_the_other_architecture() {
    let mut p = small(&[(0, 0.8)], 100);
    p.platform = Preset::AwsArm64.platform();
    let prepared = pipeline::prepare(&p).unwrap();
    let resolved = arch::resolve(
        &p.workflow,
        &p.platform,
        &p.settings.architectures,
        &p.profiles,
        &prepared.model,
    )
    .unwrap()
    .unwrap();
    assert_eq!(resolved.native, Arch::Arm64);
    approx::assert_relative_eq!(resolved.stages[0].time_factor, 1.0 / 0.8);
    assert_eq!(
        resolved.other_platform.price_per_gb_s,
        ArchRates::aws(Arch::X86_64).price_per_gb_s
    );
    let t = &prepared.problem.stages[0];
    assert_eq!(t.architecture(0), Some(Arch::Arm64));
    assert_eq!(t.architecture(t.configs.len() - 1), Some(Arch::X86_64));
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn arm64_without_speed_and_unknown_stages_are_refused() {
    let mut p = small(&[], 100);
    let id = p.workflow.stages[1].id.clone();
    p.settings
        .architectures
        .insert(id.clone(), StageArchitectures::both(None));
    let err = pipeline::prepare(&p).unwrap_err().to_string();
    assert!(
        err.contains(&format!("stage `{id}` may run on arm64, but its profiles have no arm64 run and no arm64 time factor is set")),
        "{err}"
    );
    let mut p = small(&[], 100);
    p.settings
        .architectures
        .insert("nope".into(), StageArchitectures::both(Some(1.0)));
    let err = pipeline::prepare(&p).unwrap_err().to_string();
    assert!(
        err.contains("settings.architectures: the workflow has no stage `nope`"),
        "{err}"
    );
    let p = small(&[(0, 0.0)], 100);
    let err = pipeline::prepare(&p).unwrap_err().to_string();
    assert!(
        err.contains("arm64_time_factor: 0 is not a finite value above 0"),
        "{err}"
    );
}

/// The fusion tests' workflow of `n` single-instance stages wired by `edges`
/// (2 memory sizes each, Step Functions Standard), with arm64 allowed on the
/// stages of `arm` at their time factors.
fn fusable(n: usize, edges: &[(usize, usize)], arm: &[(usize, f64)], samples: usize) -> Project {
    let mut p = crate::fusion::project(n, edges, 2, samples);
    for &(i, f) in arm {
        p.settings
            .architectures
            .insert(format!("s{i}"), StageArchitectures::both(Some(f)));
    }
    p
}

/// A fuser over `prepared` with the architecture choices it was sampled with.
fn arch_fuser<'a>(
    p: &'a Project,
    prepared: &'a Prepared,
    arch: Option<&'a arch::Architectures>,
) -> Fuser<'a> {
    Fuser::new(
        &p.workflow,
        &prepared.dag,
        &prepared.model,
        &p.platform,
        &prepared.problem,
        &p.settings,
    )
    .with_architectures(arch)
}

/// The non-dominated (latency, cost) pairs of `points`.
fn pareto(mut points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut front: Vec<(f64, f64)> = Vec::new();
    for (l, c) in points {
        if front.last().is_none_or(|&(_, lc)| c < lc) {
            front.push((l, c));
        }
    }
    front
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Brute force over placement × fusion × architecture × memory, the
    /// placements and groupings enumerated here by hand: the planner's optimum
    /// at a bound and its frontier over the joint space are the brute-force ones,
    /// and every fused group has one row per memory size and architecture that
    /// all its members allow.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn arm64_fusion_and_placement_together_equal_brute_force(
        n in 2usize..=4,
        parents in proptest::collection::vec(any::<prop::sample::Index>(), 3),
        mask in 0u32..16,
        factors in proptest::collection::vec(0.6f64..1.4, 4),
        placed in any::<bool>(),
        at in 0.0f64..1.0,
    ) {
        let edges: Vec<(usize, usize)> = (1..n).map(|v| (parents[v - 1].index(v), v)).collect();
        let arm: Vec<(usize, f64)> = (0..n).filter(|i| mask >> i & 1 == 1).map(|i| (i, factors[i])).collect();
        let mut p = fusable(n, &edges, &arm, 80);
        if placed {
            p.platform.pricing.edge_device = Some(crate::fusion::device(1.5, 3.0));
        }
        let prepared = pipeline::prepare(&p).unwrap();
        let resolved = pipeline::architectures(&p, &prepared).unwrap();
        let mut f = arch_fuser(&p, &prepared, resolved.as_ref());
        let fusable_edges = fusable_edges(&p.workflow, &prepared.dag, &crate::fusion::enabled()).unwrap();
        prop_assert_eq!(fusable_edges.len(), n - 1);
        let allows_arm = |i: usize| mask >> i & 1 == 1;
        let mut points = Vec::new();
        let mut solved = 0;
        for emask in 0u32..1 << n {
            let on_edge: Vec<bool> = (0..n).map(|i| emask >> i & 1 == 1).collect();
            if !placed && emask != 0 {
                continue;
            }
            // Data flows edge → cloud only: an edge stage's parent is on the edge.
            if edges.iter().any(|&(u, v)| on_edge[v] && !on_edge[u]) {
                continue;
            }
            for fmask in 0u32..1 << fusable_edges.len() {
                let fused: Vec<_> = (0..fusable_edges.len())
                    .filter(|k| fmask >> k & 1 == 1)
                    .map(|k| fusable_edges[k])
                    .collect();
                if fused.iter().any(|&(u, v)| on_edge[u] != on_edge[v]) {
                    continue;
                }
                let grouping = Grouping::placed(&prepared.dag, &fused, on_edge.clone());
                let problem = f.problem(&grouping);
                for (g, members) in grouping.groups.iter().enumerate() {
                    let t = &problem.stages[g];
                    let rows = if grouping.group_on_edge(g) {
                        1
                    } else if members.iter().all(|&m| allows_arm(m)) {
                        4
                    } else {
                        2
                    };
                    prop_assert_eq!(t.configs.len(), rows, "group {:?}", members);
                    if grouping.group_on_edge(g) || !members.iter().any(|&m| allows_arm(m)) {
                        prop_assert!(t.architectures.is_empty());
                    } else {
                        prop_assert_eq!(t.architectures.len(), rows);
                    }
                }
                solved += 1;
                points.extend(
                    crate::fusion::all_plans(&problem)
                        .iter()
                        .map(|e| (e.guaranteed_latency_s, e.expected_cost_usd)),
                );
            }
        }
        prop_assert_eq!(f.groupings(&fusable_edges).unwrap().len(), solved);
        let (lo, hi) = points.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &(l, _)| (lo.min(l), hi.max(l)));
        let bound = lo + at * (hi - lo) + 1e-9;
        let want = points
            .iter()
            .filter(|&&(l, _)| l <= bound)
            .map(|&(_, c)| c)
            .fold(f64::INFINITY, f64::min);
        let got = solve_fused(
            &mut f,
            &fusable_edges,
            SolveSettings { bound: Bound::Latency { max_s: bound }, max_nodes: None },
        )
        .unwrap();
        let eval = solve::evaluate(&got.problem, got.solution.plan.as_ref().unwrap()).unwrap();
        prop_assert!(eval.guaranteed_latency_s <= bound);
        approx::assert_relative_eq!(eval.expected_cost_usd, want, max_relative = 1e-12);
        let want = pareto(points);
        let (_, merged) = fused_frontier(&mut f, &fusable_edges, FrontierSettings::default()).unwrap();
        prop_assert_eq!(merged.len(), want.len());
        for (g, w) in merged.iter().zip(&want) {
            approx::assert_relative_eq!(g.point.guaranteed_latency_s, w.0, max_relative = 1e-12);
            approx::assert_relative_eq!(g.point.expected_cost_usd, w.1, max_relative = 1e-12);
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_fused_group_on_arm64_scales_each_members_time_by_its_factor_and_pays_the_arm64_rate() {
    let factors = [0.7, 1.3, 0.9];
    let arm: Vec<(usize, f64)> = factors.iter().copied().enumerate().collect();
    let p = fusable(3, &[(0, 1), (1, 2)], &arm, 200);
    let prepared = pipeline::prepare(&p).unwrap();
    let resolved = pipeline::architectures(&p, &prepared).unwrap();
    let mut f = arch_fuser(&p, &prepared, resolved.as_ref());
    let chain = Grouping::new(&prepared.dag, &[(0, 1), (1, 2)]);
    let t = f.problem(&chain).stages[0].clone();
    assert_eq!(
        t.architectures,
        vec![Arch::X86_64, Arch::X86_64, Arch::Arm64, Arch::Arm64]
    );
    // The same group planned without a choice: on x86_64 as before, and on a
    // platform priced at arm64's rates whose stage models carry the factors.
    let mut q = p.clone();
    q.settings.architectures.clear();
    let plain = pipeline::prepare(&q).unwrap();
    let x86 = arch_fuser(&q, &plain, None)
        .problem(&chain)
        .stages
        .swap_remove(0);
    let rates = ArchRates::aws(Arch::Arm64);
    q.platform.price_per_gb_s = rates.price_per_gb_s;
    q.platform.price_per_request = rates.price_per_request;
    let on_arm = pipeline::prepare(&q).unwrap();
    let scaled = faasplan_core::model::WorkflowModel {
        stages: on_arm
            .model
            .stages
            .iter()
            .zip(factors)
            .map(|(m, f)| arch::scaled(m, f))
            .collect(),
    };
    let arm = Fuser::new(
        &q.workflow,
        &on_arm.dag,
        &scaled,
        &q.platform,
        &on_arm.problem,
        &q.settings,
    )
    .problem(&chain)
    .stages
    .swap_remove(0);
    let n = prepared.problem.n_samples;
    assert_eq!(t.configs[..2], x86.configs[..]);
    assert_eq!(t.configs[2..], arm.configs[..]);
    assert_eq!(t.latency_s[..2 * n], x86.latency_s[..]);
    assert_eq!(t.cost_usd[..2 * n], x86.cost_usd[..]);
    assert_eq!(t.latency_s[2 * n..], arm.latency_s[..]);
    assert_eq!(t.cost_usd[2 * n..], arm.cost_usd[..]);
    // A member that stays on x86_64 keeps its whole group there.
    let mut r = p.clone();
    r.settings.architectures.remove("s2");
    let prepared = pipeline::prepare(&r).unwrap();
    let resolved = pipeline::architectures(&r, &prepared).unwrap();
    let mut f = arch_fuser(&r, &prepared, resolved.as_ref());
    let whole = f.problem(&chain);
    assert_eq!(whole.stages[0].architectures, vec![Arch::X86_64; 2]);
    let pair = f.problem(&Grouping::new(&prepared.dag, &[(0, 1)]));
    assert_eq!(pair.stages[0].configs.len(), 4);
    assert!(pair.stages[1].architectures.is_empty());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_plan_with_arm64_fusion_and_an_edge_device_names_each_stages_architecture() {
    // arm64 20% faster at a lower rate: every cloud function takes it.
    let arm: Vec<(usize, f64)> = (0..3).map(|i| (i, 0.8)).collect();
    let mut p = fusable(3, &[(0, 1), (1, 2)], &arm, 300);
    p.settings.bound = Bound::Latency { max_s: 1000.0 };
    let rep = pipeline::plan_fused(&p, &crate::fusion::enabled(), Limits::default()).unwrap();
    assert!(rep.stages.iter().any(|s| s.fused_into.is_some()), "{rep:?}");
    for s in &rep.stages {
        assert_eq!(s.architecture, Some(Arch::Arm64), "{}", s.stage);
    }
    let oos = rep.out_of_sample.clone().unwrap();
    assert!(oos.fraction_meeting_bound > 0.99);
    // The fresh check of an unfused grouping on each stage's architecture is
    // the unfused fresh check on those architectures.
    let prepared = pipeline::prepare(&p).unwrap();
    let resolved = pipeline::architectures(&p, &prepared).unwrap().unwrap();
    let f = arch_fuser(&p, &prepared, Some(&resolved));
    let configs = prepared.problem.configs(&[0, 1, 0]).unwrap();
    let on = [Arch::Arm64, Arch::X86_64, Arch::Arm64];
    let got = faasplan_core::fusion::evaluate_fresh_grouping_on(
        &f,
        &p.settings,
        &Grouping::new(&prepared.dag, &[]),
        &configs,
        &on.map(Some),
    )
    .unwrap();
    let want = evaluate_fresh_on(
        &p.workflow,
        &prepared.dag,
        &prepared.model,
        &p.platform,
        &p.settings,
        &configs,
        Some((&resolved, &on)),
    )
    .unwrap();
    // The grouping's values pass through f32 tables; the unfused ones stay in f64.
    for (a, b) in got.latency_s.iter().zip(&want.latency_s) {
        approx::assert_relative_eq!(*a, *b, max_relative = 1e-6);
    }
    for (a, b) in got.cost_usd.iter().zip(&want.cost_usd) {
        approx::assert_relative_eq!(*a, *b, max_relative = 1e-6);
    }
    let unfused = pipeline::plan(&p, Limits::default()).unwrap();
    assert!(
        rep.totals.as_ref().unwrap().expected_cost_usd
            < unfused.totals.as_ref().unwrap().expected_cost_usd
    );
    // With an edge device for free and as fast as the cloud, the stages on it
    // have no architecture; the ones in the cloud keep theirs.
    let mut dev = crate::fusion::device(1.0, 0.0);
    dev.usd_per_s = 0.0;
    p.platform.pricing.edge_device = Some(dev);
    let rep = pipeline::plan_fused(&p, &crate::fusion::enabled(), Limits::default()).unwrap();
    assert!(rep.stages.iter().any(|s| s.on_edge), "{rep:?}");
    for s in &rep.stages {
        if s.on_edge {
            assert_eq!(s.architecture, None, "{}", s.stage);
        } else {
            assert_eq!(s.architecture, Some(Arch::Arm64), "{}", s.stage);
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_profile_csv_reads_the_architecture_column_and_names_a_bad_one() {
    use faasplan_core::formats::csv::read_profiles_csv;
    let head = "stage,memory_mb,d,rep,cold,start_mean_s,start_p95_s,read_mean_s,read_p95_s,compute_mean_s,compute_p95_s,architecture\n";
    let p = read_profiles_csv(
        &format!("{head}s,1024,1,0,false,0.1,0.1,0.5,0.6,1,1.2,arm64\ns,1024,1,1,false,0.1,0.1,0.5,0.6,1,1.2,\n"),
        1769.0,
    )
    .unwrap();
    assert_eq!(p.stages[0].runs[0].architecture, Some(Arch::Arm64));
    assert_eq!(p.stages[0].runs[1].architecture, None);
    let err = read_profiles_csv(
        &format!("{head}s,1024,1,0,false,0.1,0.1,0.5,0.6,1,1.2,sparc\n"),
        1769.0,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "line 2, column architecture: \"sparc\" is not an architecture (x86_64 or arm64)"
    );
}
