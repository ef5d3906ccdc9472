//! The sampler: sample count, candidates, tables, determinism, fresh evaluation.

use super::fixtures::{Bundled, ml, video};
use faasplan_core::dag::{Config, StageKind};
use faasplan_core::model::fit_workflow;
use faasplan_core::platform::{Platform, Preset};
use faasplan_core::problem::SampledProblem;
use faasplan_core::sampling::{
    BYTES_PER_TABLE_SAMPLE, Sampler, SamplingError, SamplingProgress, TABLE_BUDGET_BYTES,
    build_problem, candidates, design, evaluate_fresh, fresh_sample_count,
};
use faasplan_core::settings::{PlanSettings, SampleCount};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test;

fn platform() -> Platform {
    Preset::JolteonProfiled.platform()
}

fn settings(n: usize, seed: u64) -> PlanSettings {
    PlanSettings {
        samples: SampleCount::Fixed(n),
        seed,
        ..PlanSettings::default()
    }
}

fn problem(w: &Bundled, s: &PlanSettings) -> SampledProblem {
    let m = fit_workflow(&w.workflow, &w.dag, &w.profiles).unwrap();
    build_problem(&w.workflow, &w.dag, &m, &platform(), s).unwrap()
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
fn sample_design_is_the_union_bounded_binomial_allowance_in_log_space() {
    use faasplan_core::stats::binomial::allowance;
    let s = PlanSettings::default();
    let ln_x = 2.0 * 49f64.ln() + 2.0 * 196f64.ln();
    let d = design(&s, ln_x, 490).unwrap();
    let risk = 0.001f64.ln() - ln_x;
    // a is the exact allowance at N, and reaches the default 0.6·ε·N.
    assert_eq!(
        Some(d.allowed_violations as u64),
        allowance(d.n_samples as u64, 0.05, risk)
    );
    assert!(d.union_bound);
    assert!(d.allowed_violations as f64 >= (0.6 * 0.05 * d.n_samples as f64).floor());
    assert!((4000..7000).contains(&d.n_samples), "{}", d.n_samples);
    // 8 stages × 10⁴ candidates does not overflow, and P99.9 stays within the memory limit.
    let big = PlanSettings {
        percentile: 0.999,
        ..s.clone()
    };
    let d = design(&big, 8.0 * 1e4f64.ln(), 80_000).unwrap();
    assert!(d.n_samples as u64 * 80_000 * BYTES_PER_TABLE_SAMPLE <= TABLE_BUDGET_BYTES);
    // A fixed N is used as given; over the memory limit it is refused, naming the setting.
    assert_eq!(design(&settings(77, 1), 1e9, 10).unwrap().n_samples, 77);
    let err = design(&settings(usize::MAX, 1), 10.0, 10).unwrap_err();
    assert!(
        matches!(
            err,
            SamplingError::Memory {
                setting: "samples",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("lower `samples`"), "{err}");
    // α = ε exactly (1 − 0.95 > 0.05 in floating point) neither panics nor overflows.
    let edge = PlanSettings {
        alpha: 0.05,
        ..s.clone()
    };
    let d = design(&edge, ln_x, 490).unwrap();
    assert!(
        d.n_samples as u64 * 490 * BYTES_PER_TABLE_SAMPLE <= TABLE_BUDGET_BYTES
            && d.n_samples > 100_000
    );
    // The fresh sample count: automatic within its range, fixed as given, refused when too large.
    let m = fresh_sample_count(&s).unwrap();
    assert!((20_000..100_000).contains(&m), "{m}");
    let fixed = PlanSettings {
        fresh_samples: SampleCount::Fixed(usize::MAX),
        ..s
    };
    assert!(
        fresh_sample_count(&fixed)
            .unwrap_err()
            .to_string()
            .contains("fresh_samples")
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
fn candidates_cover_the_grid_within_the_platform_range() {
    let w = ml();
    let mut st = w.workflow.stages[1].clone();
    st.memory.min_mb = 64;
    let c = candidates(&st, &platform());
    assert_eq!(
        c.first(),
        Some(&Config {
            memory_mb: 192,
            d: 4
        })
    );
    assert!(c.iter().all(|c| c.memory_mb >= 128 && c.memory_mb <= 7168));
    assert_eq!(c.len(), 55 * 4);
    let single = candidates(&w.workflow.stages[0], &platform());
    assert!(single.iter().all(|c| c.d == 1));
    assert_eq!(single.len(), 49);
    st.fixed = Some(Config {
        memory_mb: 3000,
        d: 7,
    });
    assert_eq!(
        candidates(&st, &platform()),
        vec![Config {
            memory_mb: 3000,
            d: 7
        }]
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
fn same_seed_gives_identical_tables_and_another_seed_does_not() {
    let w = video();
    let a = problem(&w, &settings(300, 5));
    let b = problem(&w, &settings(300, 5));
    let c = problem(&w, &settings(300, 6));
    assert!(a == b);
    assert!(a.stages[0].latency_s != c.stages[0].latency_s);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
fn a_stage_draws_do_not_depend_on_other_stages_candidates() {
    let w = video();
    let a = problem(&w, &settings(200, 3));
    let mut w2 = w.clone();
    w2.workflow.stages[0].allowed_d = vec![2, 4];
    w2.workflow.stages[0].memory.step_mb = 64;
    let b = problem(&w2, &settings(200, 3));
    assert_eq!(a.stages[2], b.stages[2]);
    assert_ne!(a.stages[0].configs.len(), b.stages[0].configs.len());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
fn single_stage_with_input_parent_gets_one_block_per_parent_d() {
    let w = ml();
    let p = problem(&w, &settings(100, 1));
    let t = &p.stages[3];
    let ctx = t.context.as_ref().unwrap();
    assert_eq!((ctx.parent, ctx.parent_d.clone()), (2, vec![4, 8, 16, 32]));
    assert_eq!(t.latency_s.len(), 4 * t.configs.len() * 100);
    assert_eq!(t.expected_cost_usd.len(), 4 * t.configs.len());
    // More input partitions never read faster (same draws, same memory).
    let n_cfg = t.configs.len();
    let mean = |ctx: usize| {
        t.latency_s[ctx * n_cfg * 100..(ctx * n_cfg + 1) * 100]
            .iter()
            .map(|&l| f64::from(l))
            .sum::<f64>()
    };
    assert!(mean(3) > mean(0));
    assert!(p.stages[0].context.is_none() && p.stages[1].context.is_none());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
fn cost_counts_requests_and_rounded_duration() {
    let w = video();
    let p = problem(&w, &settings(50, 1));
    let t = &p.stages[1];
    let plat = platform();
    for (j, c) in t.configs.iter().enumerate() {
        let floor = f64::from(c.d) * plat.price_per_request;
        assert!(
            t.cost_usd[j * 50..(j + 1) * 50]
                .iter()
                .all(|&x| f64::from(x) > floor)
        );
        // The expected cost is the mean of the stored (f32) costs, summed in f64.
        let mean = t.cost_usd[j * 50..(j + 1) * 50]
            .iter()
            .map(|&x| f64::from(x))
            .sum::<f64>()
            / 50.0;
        assert_eq!(mean.to_bits(), t.expected_cost_usd[j].to_bits());
    }
}

/// With the `parallel` feature, a step fills its rows on every core; one row per
/// step fills them one after another. The tables are the same bits either way,
/// and the same as on a one-thread pool.
#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
fn rows_filled_together_or_one_by_one_are_bit_identical() {
    for (w, n) in [(ml(), 300), (video(), 257)] {
        let m = fit_workflow(&w.workflow, &w.dag, &w.profiles).unwrap();
        let s = settings(n, 11);
        let plat = platform();
        let mut one = Sampler::new(&w.workflow, &w.dag, &m, &plat, &s).unwrap();
        while let SamplingProgress::Running { .. } = one.step(1) {}
        let one = one.finish().unwrap();
        let all = build_problem(&w.workflow, &w.dag, &m, &plat, &s).unwrap();
        let bits = |p: &SampledProblem| -> Vec<u32> {
            p.stages
                .iter()
                .flat_map(|t| t.latency_s.iter().chain(&t.cost_usd).map(|x| x.to_bits()))
                .collect()
        };
        assert_eq!(bits(&one), bits(&all));
        assert!(one == all);
        #[cfg(feature = "parallel")]
        {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .unwrap();
            let single =
                pool.install(|| build_problem(&w.workflow, &w.dag, &m, &plat, &s).unwrap());
            assert!(single == all);
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(4)
                .build()
                .unwrap();
            let four = pool.install(|| build_problem(&w.workflow, &w.dag, &m, &plat, &s).unwrap());
            assert!(four == all);
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
fn stepping_in_small_budgets_gives_the_same_problem() {
    let w = ml();
    let m = fit_workflow(&w.workflow, &w.dag, &w.profiles).unwrap();
    let s = settings(64, 2);
    let plat = platform();
    let mut sampler = Sampler::new(&w.workflow, &w.dag, &m, &plat, &s).unwrap();
    let mut last = 0;
    while let SamplingProgress::Running { done, total } = sampler.step(7) {
        assert!(done > last && done < total);
        last = done;
    }
    assert!(
        sampler.finish().unwrap() == build_problem(&w.workflow, &w.dag, &m, &plat, &s).unwrap()
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
fn candidates_over_the_timeout_are_excluded() {
    let w = video();
    let m = fit_workflow(&w.workflow, &w.dag, &w.profiles).unwrap();
    let plat = Platform {
        timeout_s: 20.0,
        ..platform()
    };
    let p = build_problem(&w.workflow, &w.dag, &m, &plat, &settings(200, 1)).unwrap();
    let t = &p.stages[0];
    assert!(!t.configs.contains(&Config {
        memory_mb: 1792,
        d: 4
    }));
    assert!(t.configs.contains(&Config {
        memory_mb: 8960,
        d: 32
    }));
    assert_eq!(t.latency_s.len(), t.configs.len() * 200);
    let tiny = Platform {
        timeout_s: 0.01,
        ..platform()
    };
    let err = build_problem(&w.workflow, &w.dag, &m, &tiny, &settings(10, 1)).unwrap_err();
    assert!(matches!(err, SamplingError::NoCandidates { ref stage, .. } if stage == "stage0"));
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
fn allowed_violations_is_the_design_allowance_and_bad_settings_are_rejected() {
    let w = video();
    let s = settings(5000, 1);
    let p = problem(&w, &s);
    assert!(
        p.allowed_violations > 0 && p.allowed_violations < 250,
        "{}",
        p.allowed_violations
    );
    // Too few samples for any allowance: a = 0.
    assert_eq!(problem(&w, &settings(250, 1)).allowed_violations, 0);
    let m = fit_workflow(&w.workflow, &w.dag, &w.profiles).unwrap();
    let bad = PlanSettings {
        alpha: 0.2,
        ..settings(10, 1)
    };
    let err = build_problem(&w.workflow, &w.dag, &m, &platform(), &bad).unwrap_err();
    assert!(err.to_string().contains("alpha"), "{err}");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
fn fresh_evaluation_uses_every_path_and_matches_in_sample_means() {
    let w = ml();
    let m = fit_workflow(&w.workflow, &w.dag, &w.profiles).unwrap();
    let s = settings(4000, 11);
    let plan = [
        Config {
            memory_mb: 3584,
            d: 1,
        },
        Config {
            memory_mb: 3584,
            d: 16,
        },
        Config {
            memory_mb: 1792,
            d: 8,
        },
        Config {
            memory_mb: 2048,
            d: 1,
        },
    ];
    let fresh = evaluate_fresh(&w.workflow, &w.dag, &m, &platform(), &s, &plan).unwrap();
    let p = problem(&w, &s);
    let n = p.n_samples;
    let row = |i: usize, ctx: usize| {
        let t = &p.stages[i];
        let j = t.configs.iter().position(|c| *c == plan[i]).unwrap();
        (ctx * t.configs.len() + j) * n
    };
    // In-sample workflow latency along 0 → 1 → 2 → 3 (the longest path here).
    let in_sample: Vec<f64> = (0..n)
        .map(|s| {
            [(0, 0), (1, 0), (2, 0), (3, 1)]
                .iter()
                .map(|&(i, ctx)| f64::from(p.stages[i].latency_s[row(i, ctx) + s]))
                .sum()
        })
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let sd = (in_sample
        .iter()
        .map(|x| (x - mean(&in_sample)).powi(2))
        .sum::<f64>()
        / n as f64)
        .sqrt();
    assert!((mean(&fresh.latency_s) - mean(&in_sample)).abs() < 6.0 * sd / (n as f64).sqrt());
    assert!(fresh.latency_s != in_sample);
    assert!(fresh.latency_quantile_s(0.95) >= fresh.latency_quantile_s(0.5));
    assert!(fresh.mean_cost_usd() > 0.0);
    assert_eq!(w.workflow.stages[3].kind, StageKind::Single);
    let err = evaluate_fresh(&w.workflow, &w.dag, &m, &platform(), &s, &plan[..2]).unwrap_err();
    assert!(matches!(
        err,
        SamplingError::PlanMismatch {
            expected: 4,
            found: 2
        }
    ));
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
fn table_latencies_equal_stage_samples_from_the_documented_streams() {
    let w = ml();
    let m = fit_workflow(&w.workflow, &w.dag, &w.profiles).unwrap();
    let p = problem(&w, &settings(40, 8));
    for (i, t) in p.stages.iter().enumerate() {
        let mut r = faasplan_core::rng::stream(8, i as u64);
        let draws: Vec<[f64; faasplan_core::model::DRAWS]> = (0..40)
            .map(|_| std::array::from_fn(|_| faasplan_core::rng::uniform(&mut r)))
            .collect();
        let n_cfg = t.configs.len();
        for ctx in 0..t.n_contexts() {
            let input_d = t.context.as_ref().map(|c| c.parent_d[ctx]);
            for j in [0, n_cfg / 2, n_cfg - 1] {
                let c = t.configs[j];
                let vcpu = f64::from(c.memory_mb) / 1792.0;
                for (s, u) in draws.iter().enumerate() {
                    // Computed in f64 exactly as the model does, stored rounded to f32.
                    let want = m.stages[i].sample(c, input_d, vcpu, u).latency_s;
                    assert_eq!(
                        t.latency_s[(ctx * n_cfg + j) * 40 + s].to_bits(),
                        (want as f32).to_bits()
                    );
                    let err = (f64::from(t.latency_s[(ctx * n_cfg + j) * 40 + s]) - want).abs();
                    assert!(err <= want.abs() * f64::from(f32::EPSILON) / 2.0);
                }
            }
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
fn streamed_fresh_evaluation_does_not_depend_on_where_chunks_end() {
    // Each stage draws its own stream in order, 4,096 samples at a time: a longer
    // fresh set starts with exactly the shorter one's values, across chunk boundaries.
    let w = video();
    let m = fit_workflow(&w.workflow, &w.dag, &w.profiles).unwrap();
    let plan: Vec<Config> = w
        .workflow
        .stages
        .iter()
        .map(|s| candidates(s, &platform())[3])
        .collect();
    let with = |n: usize| PlanSettings {
        fresh_samples: SampleCount::Fixed(n),
        ..settings(100, 5)
    };
    let short = evaluate_fresh(&w.workflow, &w.dag, &m, &platform(), &with(5_000), &plan).unwrap();
    let long = evaluate_fresh(&w.workflow, &w.dag, &m, &platform(), &with(9_001), &plan).unwrap();
    assert_eq!(short.latency_s.len(), 5_000);
    assert_eq!(long.latency_s.len(), 9_001);
    assert_eq!(short.latency_s[..], long.latency_s[..5_000]);
    assert_eq!(short.cost_usd[..], long.cost_usd[..5_000]);
    // And it is the unchunked computation: each stage's whole stream sampled in order
    // (video is a chain 0 → 1 → 2 → 3 with a shortcut 1 → 3, so the longest path is
    // the sum of the four stage latencies, added in that order).
    use faasplan_core::model::DRAWS;
    use faasplan_core::rng;
    use faasplan_core::sampling::FRESH_STREAM_BASE;
    let p = platform();
    let per_stage: Vec<Vec<f64>> = (0..plan.len())
        .map(|i| {
            let mut r = rng::stream(5, FRESH_STREAM_BASE + i as u64);
            let vcpu = f64::from(plan[i].memory_mb) / p.mb_per_vcpu;
            (0..9_001)
                .map(|_| {
                    let u: [f64; DRAWS] = std::array::from_fn(|_| rng::uniform(&mut r));
                    m.stages[i].sample(plan[i], None, vcpu, &u).latency_s
                })
                .collect()
        })
        .collect();
    for s in [0, 4_095, 4_096, 4_097, 8_191, 8_192, 9_000] {
        let want = ((per_stage[0][s] + per_stage[1][s]) + per_stage[2][s]) + per_stage[3][s];
        assert_eq!(long.latency_s[s], want, "sample {s}");
    }
}

/// The memory estimate counts the tables at the stored type's size: the f32
/// tables of a sampled problem are exactly its table part, and the whole
/// estimate (with the residual columns and the evaluator's buffers) is above them.
#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
fn the_memory_estimate_follows_the_stored_tables() {
    for (w, n) in [(ml(), 400), (video(), 250)] {
        let s = settings(n, 4);
        let est = faasplan_core::sampling::estimate(&w.workflow, &w.dag, &platform(), &s, u64::MAX)
            .unwrap();
        let p = problem(&w, &s);
        let value = std::mem::size_of::<faasplan_core::problem::Sample>();
        assert_eq!(value, 4);
        // Before the timeout filter every candidate row is sampled.
        let rows: u64 = est.rows.iter().sum();
        let kept: usize = p.stages.iter().map(|t| t.n_rows()).sum();
        assert!(kept as u64 <= rows);
        let stored: usize = p
            .stages
            .iter()
            .map(|t| (t.latency_s.len() + t.cost_usd.len()) * value)
            .sum();
        let tables = 2.0 * rows as f64 * n as f64 * value as f64;
        assert!(stored as f64 <= tables);
        let extra = (4.0 * p.stages.len() as f64 + 4.0) * n as f64 * 8.0;
        assert_eq!(est.bytes, tables + extra);
    }
}
