//! Baselines: each one's defining rule, and the exact planner never losing to them.

use faasplan_core::baselines::{
    self, Baseline, Inputs, caerus, ditto, orion, power_tuning, power_tuning::Strategy,
};
use faasplan_core::formats::project::Project;
use faasplan_core::pipeline::{self, Prepared};
use faasplan_core::problem::SampledProblem;
use faasplan_core::settings::Bound;
use faasplan_core::solve::synthetic::{Small, small};
use faasplan_core::solve::{Plan, SolveSettings, Status, evaluate, solve};

use crate::bundled::project;

fn prepared(which: &str) -> (Project, Prepared) {
    let p = project(which);
    let prep = pipeline::prepare(&p).unwrap();
    (p, prep)
}

/// Asserts that the exact plan for every bound a baseline meets costs no more;
/// returns how many (bound, baseline) comparisons were made.
fn exact_never_loses(problem: &SampledProblem, inputs: &Inputs, bounds: &[f64]) -> usize {
    let mut compared = 0;
    let mut bounds = bounds.to_vec();
    // Each bound-free baseline's own guaranteed latency is a bound it meets (ties included).
    for r in baselines::all_on(problem, inputs, f64::INFINITY) {
        if r.plan.is_some()
            && !matches!(
                r.baseline,
                Baseline::Orion | Baseline::Caerus | Baseline::Jolteon
            )
        {
            bounds.push(r.guaranteed_latency_s);
        }
    }
    for &b in &bounds {
        let exact = solve(
            problem,
            SolveSettings {
                bound: Bound::Latency { max_s: b },
                max_nodes: None,
            },
        )
        .unwrap();
        for r in baselines::all_on(problem, inputs, b) {
            if !r.meets_bound {
                continue;
            }
            compared += 1;
            assert_eq!(
                exact.status,
                Status::Optimal,
                "bound {b}: {} meets it",
                r.name
            );
            assert!(
                exact.expected_cost_usd <= r.expected_cost_usd * (1.0 + 1e-12),
                "bound {b}: exact {} > {} {}",
                exact.expected_cost_usd,
                r.name,
                r.expected_cost_usd
            );
        }
    }
    compared
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn exact_plan_is_never_worse_than_a_feasible_baseline_on_small_problems() {
    let mut compared = 0;
    for seed in 0..40u64 {
        let p = small(
            Small {
                stages: 2 + (seed % 4) as usize,
                max_configs: 6,
                samples: 40,
                allowed_violations: (seed % 3) as usize,
                concurrency_limit: if seed % 5 == 0 { Some(6) } else { None },
                ties: seed % 2 == 0,
            },
            seed,
        );
        let inputs = Inputs::from_samples(&p);
        compared += exact_never_loses(&p, &inputs, &[2.0, 4.0, 8.0]);
    }
    // Each bound-free baseline meets its own guaranteed latency, so most seeds compare.
    assert!(compared >= 40, "only {compared} comparisons were made");
}

// Heavy (real-size problems, several bounds): native only.
#[test]
#[cfg(not(target_arch = "wasm32"))]
fn exact_plan_is_never_worse_than_a_feasible_baseline_on_the_bundled_workflows() {
    for which in ["ml", "video"] {
        let (p, prep) = prepared(which);
        let inputs = Inputs::from_project(&p, &prep);
        let compared = exact_never_loses(&prep.problem, &inputs, &[25.0, 40.0]);
        assert!(
            compared >= 3,
            "{which}: only {compared} comparisons were made"
        );
    }
}

/// Every plan of a small problem (product of the stages' candidates).
fn every_plan(p: &SampledProblem) -> Vec<Vec<u32>> {
    let mut plans = vec![vec![]];
    for t in &p.stages {
        plans = plans
            .into_iter()
            .flat_map(|pl| {
                (0..t.configs.len() as u32).map(move |j| {
                    let mut q = pl.clone();
                    q.push(j);
                    q
                })
            })
            .collect();
    }
    plans
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn ditto_plans_are_the_extremes_of_its_own_point_model() {
    for seed in 0..30u64 {
        let p = small(
            Small {
                stages: 2 + (seed % 3) as usize,
                max_configs: 5,
                samples: 20,
                allowed_violations: 0,
                concurrency_limit: None,
                ties: false,
            },
            seed,
        );
        let inputs = Inputs::from_samples(&p);
        let pts = &inputs.points;
        let fast = ditto::plan(&p, pts, ditto::Extreme::MinLatency).unwrap();
        let cheap = ditto::plan(&p, pts, ditto::Extreme::MinCost).unwrap();
        let lat = |c: &[u32]| ditto::point_latency(&p, pts, c);
        let cost = |c: &[u32]| evaluate(&p, &Plan { choice: c.to_vec() }).ok();
        let fast_lat = lat(&fast.choice).unwrap();
        let cheap_cost = cost(&cheap.choice).unwrap().expected_cost_usd;
        for c in every_plan(&p) {
            if let Some(l) = lat(&c) {
                assert!(fast_lat <= l, "seed {seed}: {fast_lat} > {l} at {c:?}");
            }
            if let Some(e) = cost(&c) {
                assert!(
                    cheap_cost <= e.expected_cost_usd * (1.0 + 1e-12),
                    "seed {seed}"
                );
            }
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn power_tuning_cost_picks_the_cheapest_measured_memory_of_each_stage() {
    let (p, prep) = prepared("ml");
    let inputs = Inputs::from_project(&p, &prep);
    let plan = power_tuning::plan(&prep.problem, &inputs.measured, Strategy::Cost).unwrap();
    for (i, m) in inputs.measured.stages.iter().enumerate() {
        let cheapest = m
            .iter()
            .min_by(|a, b| a.cost_usd.total_cmp(&b.cost_usd))
            .unwrap();
        let chosen = prep.problem.stages[i].configs[plan.choice[i] as usize];
        assert_eq!(chosen.memory_mb, cheapest.memory_mb, "stage {i}");
        assert_eq!(chosen.d, cheapest.d, "stage {i}");
    }
    let fast = power_tuning::plan(&prep.problem, &inputs.measured, Strategy::Speed).unwrap();
    for (i, m) in inputs.measured.stages.iter().enumerate() {
        let fastest = m
            .iter()
            .min_by(|a, b| a.duration_s.total_cmp(&b.duration_s))
            .unwrap();
        let chosen = prep.problem.stages[i].configs[fast.choice[i] as usize];
        assert_eq!(chosen.memory_mb, fastest.memory_mb, "stage {i}");
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn caerus_uses_one_memory_size_and_the_largest_d_for_the_heaviest_stage() {
    for which in ["ml", "video"] {
        let (p, prep) = prepared(which);
        let inputs = Inputs::from_project(&p, &prep);
        let plan = caerus::plan(&prep.problem, &inputs.points, 1e6).unwrap();
        let configs = prep.problem.configs(&plan.choice).unwrap();
        assert!(configs.iter().all(|c| c.memory_mb == configs[0].memory_mb));
        let d = caerus::proportional_d(&prep.problem, &inputs.points);
        let heaviest = (0..d.len())
            .filter(|&i| prep.problem.stages[i].configs.iter().any(|c| c.d > 1))
            .max_by(|&a, &b| inputs.points.work_s[a].total_cmp(&inputs.points.work_s[b]))
            .unwrap();
        assert_eq!(d[heaviest], 32, "{which}");
        assert!(configs.iter().zip(&d).all(|(c, &di)| c.d == di));
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn orion_returns_the_first_plan_from_the_minimum_memory_that_meets_the_target() {
    let (_, prep) = prepared("video");
    let p = &prep.problem;
    let q = |c: &[u32]| evaluate(p, &Plan { choice: c.to_vec() }).unwrap();
    // A loose bound: the minimum itself.
    let loose = orion::plan(p, 1e6).unwrap();
    let min_mem: Vec<u32> = p
        .stages
        .iter()
        .zip(&loose.choice)
        .map(|(t, &j)| {
            let d = orion::fixed_d(&t.configs);
            assert_eq!(t.configs[j as usize].d, d);
            t.configs.iter().map(|c| c.memory_mb).min().unwrap()
        })
        .collect();
    let mem = |plan: &Plan| -> Vec<u32> {
        (0..p.stages.len())
            .map(|i| p.stages[i].configs[plan.choice[i] as usize].memory_mb)
            .collect()
    };
    assert_eq!(mem(&loose), min_mem);
    // Just below the minimum's q-latency: one step up on one stage, when that meets it.
    let q_min = q(&loose.choice).q_latency_s;
    let one_step = orion::plan(p, q_min * 0.999).unwrap();
    let steps = mem(&one_step)
        .iter()
        .zip(&min_mem)
        .filter(|(a, b)| a != b)
        .count();
    assert!(q(&one_step.choice).q_latency_s <= q_min * 0.999);
    assert_eq!(steps, 1);
    // A tight bound: met on the estimate, never a plan that misses it.
    if let Some(tight) = orion::plan(p, 20.0) {
        assert!(q(&tight.choice).q_latency_s <= 20.0);
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn jolteon_meets_its_own_target_at_a_reachable_bound_and_is_deterministic() {
    let (p, prep) = prepared("ml");
    let a = baselines::all(&p, &prep, 60.0);
    let b = baselines::all(&p, &prep, 60.0);
    assert_eq!(a, b);
    let j = a.iter().find(|r| r.baseline == Baseline::Jolteon).unwrap();
    assert!(j.q_latency_s <= 60.0, "{}", j.q_latency_s);
    assert_eq!(a.len(), Baseline::ALL.len());
    for r in &a {
        assert_eq!(
            r.meets_bound,
            r.plan.is_some() && r.guaranteed_latency_s <= 60.0
        );
    }
}

/// Asserts that the exact plan under the percentile criterion costs no more than
/// an Orion or Jolteon plan whose q-latency meets the bound.
fn exact_q_never_loses_to_percentile_baselines(problem: &SampledProblem, bounds: &[f64]) {
    let q_problem = baselines::quantile_target(problem);
    let inputs = Inputs::from_samples(problem);
    for &b in bounds {
        let exact = solve(
            &q_problem,
            SolveSettings {
                bound: Bound::Latency { max_s: b },
                max_nodes: None,
            },
        )
        .unwrap();
        for r in baselines::all_on(problem, &inputs, b) {
            let own_target_met = r.q_latency_s <= b;
            if !matches!(r.baseline, Baseline::Orion | Baseline::Jolteon) || !own_target_met {
                continue;
            }
            assert_eq!(exact.status, Status::Optimal, "bound {b}: {}", r.name);
            assert!(
                exact.expected_cost_usd <= r.expected_cost_usd * (1.0 + 1e-12),
                "bound {b}: exact {} > {} {}",
                exact.expected_cost_usd,
                r.name,
                r.expected_cost_usd
            );
            assert!(exact.guaranteed_latency_s <= b);
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn exact_plan_on_the_quantile_criterion_never_loses_to_orion_or_jolteon_on_small_problems() {
    for seed in 0..30u64 {
        let p = small(
            Small {
                stages: 2 + (seed % 4) as usize,
                max_configs: 6,
                samples: 40,
                allowed_violations: 0,
                concurrency_limit: None,
                ties: seed % 2 == 0,
            },
            seed,
        );
        exact_q_never_loses_to_percentile_baselines(&p, &[2.0, 3.0, 4.0, 6.0, 8.0]);
    }
}

// Heavy (a real-size problem with thousands of allowed violations): native only.
#[test]
#[cfg(not(target_arch = "wasm32"))]
fn exact_plan_on_the_quantile_criterion_never_loses_to_orion_or_jolteon_on_the_ml_pipeline() {
    let (_, prep) = prepared("ml");
    exact_q_never_loses_to_percentile_baselines(&prep.problem, &[40.0]);
}
