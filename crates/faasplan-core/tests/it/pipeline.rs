//! The planning run end to end on the bundled real profiles.

use faasplan_core::formats::project::Project;
use faasplan_core::pipeline::{self, Limits};
use faasplan_core::plan::PlanStatus;
use faasplan_core::settings::{Bound, PlanSettings};

fn project(which: &str, bound: Bound) -> Project {
    let mut p = crate::bundled::project(which);
    p.settings = PlanSettings {
        bound,
        ..PlanSettings::default()
    };
    p
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_met_bound_gives_an_optimal_plan_that_meets_it_in_and_out_of_sample() {
    let p = project("ml", Bound::Latency { max_s: 40.0 });
    let r = pipeline::plan(&p, Limits::default()).unwrap();
    assert_eq!(r.status, PlanStatus::Optimal);
    assert_eq!(r.stages.len(), 4);
    let totals = r.totals.as_ref().unwrap();
    assert!(totals.guaranteed_latency_s <= 40.0);
    let oos = r.out_of_sample.as_ref().unwrap();
    // The guaranteed latency is the certified quantile: at or above the fresh q-quantile.
    assert!(oos.totals.latency_q_s <= totals.guaranteed_latency_s);
    let g = r.guarantee.as_ref().unwrap();
    let c = g.certificate.as_ref().unwrap();
    assert_eq!(c.certified_latency_s, Some(totals.guaranteed_latency_s));
    assert_eq!(c.meets_bound, Some(true));
    assert!(c.violation_upper.unwrap() <= 0.05);
    assert_eq!(oos.samples, c.fresh_samples);
    assert_eq!(g.samples, r.settings.samples);
    assert!(g.union_bound && g.allowed_violations > 0);
    assert!(
        oos.fraction_meeting_bound >= 0.95,
        "{}",
        oos.fraction_meeting_bound
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_same_seed_gives_the_same_plan_bytes() {
    let p = project("video", Bound::Latency { max_s: 30.0 });
    let a = faasplan_core::plan::to_json(&pipeline::plan(&p, Limits::default()).unwrap());
    let b = faasplan_core::plan::to_json(&pipeline::plan(&p, Limits::default()).unwrap());
    assert_eq!(a, b);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn an_unreachable_bound_is_infeasible_with_the_nearest_achievable_bound() {
    let p = project("ml", Bound::Latency { max_s: 1.0 });
    let r = pipeline::plan(&p, Limits::default()).unwrap();
    let PlanStatus::Infeasible {
        nearest_bound: Some(Bound::Latency { max_s }),
    } = r.status
    else {
        panic!("expected infeasible, got {:?}", r.status);
    };
    assert!(max_s > 1.0);
    assert!(r.stages.is_empty());
    // The nearest bound is achievable.
    let r = pipeline::plan(&project("ml", Bound::Latency { max_s }), Limits::default()).unwrap();
    assert_eq!(r.status, PlanStatus::Optimal);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_frontier_look_up_matches_the_direct_solve() {
    let p = project("ml", Bound::Latency { max_s: 25.0 });
    let prepared = pipeline::prepare(&p).unwrap();
    let frontier = pipeline::frontier(&prepared, |_, _| {}).unwrap();
    assert!(
        frontier.points.len() > 10,
        "{} points",
        frontier.points.len()
    );
    let point = frontier.for_latency_bound(25.0).unwrap();
    let r = pipeline::plan(&p, Limits::default()).unwrap();
    let totals = r.totals.unwrap();
    assert_eq!(point.expected_cost_usd, totals.expected_cost_usd);
    let chosen: Vec<(u32, u32)> = r.stages.iter().map(|s| (s.memory_mb, s.d)).collect();
    let looked_up: Vec<(u32, u32)> = prepared
        .problem
        .configs(&point.plan.choice)
        .unwrap()
        .iter()
        .map(|c| (c.memory_mb, c.d))
        .collect();
    assert_eq!(chosen, looked_up);
}

/// The checked-in plan was written by the native build; the same test in wasm32
/// compares against it, so every figure (floats in shortest round-trip form) is
/// bit-identical on both targets. `UPDATE_EXPECT=1` rewrites it natively.
#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn plans_are_bit_identical_natively_and_in_wasm32() {
    let p = project("video", Bound::Latency { max_s: 25.0 });
    let json = faasplan_core::plan::to_json(&pipeline::plan(&p, Limits::default()).unwrap());
    #[cfg(not(target_arch = "wasm32"))]
    expect_test::expect_file!["pipeline/video_25s_plan.json"].assert_eq(&json);
    #[cfg(target_arch = "wasm32")]
    assert_eq!(json, include_str!("pipeline/video_25s_plan.json"));
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_run_driven_in_small_steps_reports_each_phase_and_prepares_the_same_bits() {
    use faasplan_core::pipeline::{FrontierRun, Preparation, RunProgress};
    let p = project("video", Bound::Latency { max_s: 60.0 });
    let whole = pipeline::prepare(&p).unwrap();
    let mut run = Preparation::new(&p).unwrap();
    let mut seen = Vec::new();
    loop {
        match run.step(7).unwrap() {
            RunProgress::Finished => break,
            step => seen.push(step),
        }
    }
    let k = p.workflow.stages.len();
    let fitting: Vec<RunProgress> = (1..=k)
        .map(|done| RunProgress::Fitting { done, total: k })
        .collect();
    assert_eq!(seen[..k], fitting[..]);
    let sampled: Vec<(usize, usize)> = seen[k..]
        .iter()
        .map(|s| match *s {
            RunProgress::Sampling { done, total } => (done, total),
            other => panic!("expected sampling, got {other:?}"),
        })
        .collect();
    assert!(!sampled.is_empty());
    assert!(sampled.windows(2).all(|w| w[0].0 + 7 == w[1].0));
    assert!(sampled.iter().all(|&(done, total)| done < total));
    let stepped = run.finish().unwrap();
    assert_eq!(stepped.problem, whole.problem);
    assert_eq!(stepped.model, whole.model);

    let mut sweep = FrontierRun::new(&stepped).unwrap();
    let mut last = (0, 0);
    loop {
        match sweep.step(500) {
            RunProgress::Finished => break,
            RunProgress::Frontier { points, nodes } => {
                assert!(points >= last.0 && nodes > last.1);
                last = (points, nodes);
            }
            other => panic!("expected frontier progress, got {other:?}"),
        }
    }
    let stepped_frontier = sweep.finish();
    let whole_frontier = pipeline::frontier(&whole, |_, _| {}).unwrap();
    assert_eq!(stepped_frontier, whole_frontier);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_workflow_above_the_stage_limit_is_refused_before_sampling() {
    // 200 stages of the ML workflow's first stage in a chain; the profiles cover only
    // the original ids, so fitting would fail: the refusal must come first.
    let mut p = project("ml", Bound::Latency { max_s: 40.0 });
    let first = p.workflow.stages[0].clone();
    p.workflow.stages = (0..200)
        .map(|i| faasplan_core::dag::Stage {
            id: format!("s{i}"),
            ..first.clone()
        })
        .collect();
    p.workflow.edges = (1..200)
        .map(|i| faasplan_core::dag::Edge {
            from: format!("s{}", i - 1),
            to: format!("s{i}"),
        })
        .collect();
    let err = pipeline::prepare(&p).expect_err("200 stages are refused");
    assert_eq!(
        err.to_string(),
        "workflow: 200 stages, more than the 64 the exact solver plans: merge stages or plan parts of the workflow apart"
    );
}

#[test]
fn a_failed_certificate_tightens_the_allowance_and_solves_again() {
    let p = project("ml", Bound::Latency { max_s: 45.0 });
    let mut prepared = pipeline::prepare(&p).unwrap();
    // An allowance far beyond the percentile: the first plan cannot be certified.
    let n = prepared.problem.n_samples;
    prepared.problem.allowed_violations = n / 4;
    let r = pipeline::solve_certified(&p, &mut prepared, Limits::default()).unwrap();
    let g = r.guarantee.as_ref().unwrap();
    assert!(g.attempts > 1, "{g:?}");
    assert!(g.allowed_violations < n / 4);
    assert_eq!(g.allowed_violations, prepared.problem.allowed_violations);
    let c = g.certificate.as_ref().unwrap();
    assert_eq!(c.meets_bound, Some(true), "{g:?}");
    assert!(c.violations.unwrap() <= c.allowed_violations.unwrap());
}

mod certificate {
    use faasplan_core::certify::certify;
    use faasplan_core::sampling::FreshEvaluation;
    use faasplan_core::settings::{Bound, CostKind};
    use faasplan_core::stats::binomial::allowance;
    use proptest::prelude::*;

    proptest! {
        /// A certified plan never has more fresh violations than its certificate
        /// allows, its violation bound is within ε, and the certified quantile is a
        /// fresh value with exactly `allowed` values above it (ties aside).
        #[test]
        fn a_certified_plan_never_has_more_fresh_violations_than_allowed(
            lat in proptest::collection::vec(0.0f64..100.0, 1..3000),
            bound in 0.0f64..100.0,
            q in prop_oneof![Just(0.5), Just(0.9), Just(0.95), Just(0.99), Just(0.999), 0.5f64..0.999],
            ln_risk in -12.0f64..-1.0,
        ) {
            let cost: Vec<f64> = lat.iter().map(|l| l * 1e-4).collect();
            let mut fresh = FreshEvaluation { latency_s: lat.clone(), cost_usd: cost };
            let c = certify(&mut fresh, Bound::Latency { max_s: bound }, q, ln_risk);
            let m = lat.len();
            prop_assert_eq!(c.fresh_samples, m);
            let over = lat.iter().filter(|&&l| l > bound).count();
            prop_assert_eq!(c.violations, Some(over));
            prop_assert_eq!(c.allowed_violations, allowance(m as u64, 1.0 - q, ln_risk).map(|a| a as usize));
            if c.meets_bound == Some(true) {
                let a = c.allowed_violations.unwrap();
                prop_assert!(over <= a, "{} over, {} allowed", over, a);
                prop_assert!(c.violation_upper.unwrap() <= (1.0 - q) * (1.0 + 1e-6));
                let cl = c.certified_latency_s.unwrap();
                prop_assert!(cl <= bound);
                prop_assert!(lat.iter().filter(|&&l| l > cl).count() <= a);
                prop_assert!(lat.iter().filter(|&&l| l >= cl).count() > a);
            } else {
                prop_assert_eq!(c.meets_bound, Some(false));
                prop_assert!(c.allowed_violations.is_none_or(|a| over > a));
            }
            let mean = certify(&mut fresh, Bound::Cost { max_usd: 1.0, kind: CostKind::Mean }, q, ln_risk);
            prop_assert_eq!(mean.meets_bound, None);
            prop_assert_eq!(mean.violations, None);
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_preparation_from_a_fitted_model_only_samples_and_gives_the_same_bits() {
    use faasplan_core::pipeline::{PipelineError, Preparation, RunProgress};
    let p = project("ml", Bound::Latency { max_s: 40.0 });
    let whole = pipeline::prepare(&p).unwrap();
    let mut changed = p.clone();
    changed.settings.percentile = 0.9;
    let mut run = Preparation::with_model(&changed, &whole.model).unwrap();
    loop {
        match run.step(64).unwrap() {
            RunProgress::Finished => break,
            RunProgress::Sampling { .. } => {}
            other => panic!("expected sampling only, got {other:?}"),
        }
    }
    let resampled = run.finish().unwrap();
    assert_eq!(resampled.model, whole.model);
    assert_eq!(
        resampled.problem,
        pipeline::prepare(&changed).unwrap().problem
    );
    let mut short = whole.model.clone();
    short.stages.pop();
    let err = Preparation::with_model(&p, &short).err().expect("refused");
    assert!(
        matches!(
            err,
            PipelineError::ModelStages {
                model: 3,
                stages: 4
            }
        ),
        "{err}"
    );
}

/// Stages tied to one function get one memory size, and the plan names the tie.
#[test]
fn stages_sharing_a_function_are_planned_with_one_memory_size() {
    let mut p = project("ml", Bound::Latency { max_s: 40.0 });
    let (a, b) = (
        p.workflow.stages[0].id.clone(),
        p.workflow.stages[3].id.clone(),
    );
    p.workflow.tie_memory(&b, &a, "shared-fn");
    let r = pipeline::plan(&p, Limits::default()).unwrap();
    assert_eq!(r.status, PlanStatus::Optimal);
    assert_eq!(r.stages[0].memory_mb, r.stages[3].memory_mb);
    assert_eq!(r.stages[0].shares_memory_with, std::slice::from_ref(&b));
    assert_eq!(r.stages[3].shares_memory_with, [a]);
    let json = faasplan_core::plan::to_json(&r);
    assert!(json.contains("\"shares_memory_with\""), "{json}");
    let back = faasplan_core::plan::from_json(&json).unwrap();
    assert_eq!(
        back.stages[3].shares_memory_with,
        r.stages[3].shares_memory_with
    );
}
