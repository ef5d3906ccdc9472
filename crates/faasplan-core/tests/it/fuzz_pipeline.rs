//! Seeded fuzz of the whole pipeline: projects mutated field by field (settings,
//! platform, workflow, profiles) go through `pipeline::check`, and those it
//! accepts through fitting, sampling, the solver, the frontier and the
//! evaluator. Nothing may panic; every error names a setting, stage, field or
//! line; nothing absurd is accepted (an accepted project's every run passes the
//! value checks, and every figure of a plan is finite and non-negative).
//!
//! `FAASPLAN_FUZZ_CASES` sets the inputs per kind (default 300; the longer run
//! uses 3,000 or more: `FAASPLAN_FUZZ_CASES=3000 cargo test -p faasplan-core
//! --test it fuzz_pipeline`).

use faasplan_core::dag::{Config, Edge, MemoryGrid, StageKind};
use faasplan_core::formats::project::Project;
use faasplan_core::frontier::{FrontierBuilder, FrontierProgress, FrontierSettings};
use faasplan_core::model::{WorkflowModel, fit_workflow};
use faasplan_core::pipeline::{self, Limits};
use faasplan_core::rng::{stream, uniform};
use faasplan_core::sampling::Sampler;
use faasplan_core::settings::{Bound, CostKind, SampleCount};
use faasplan_core::solve::{self, SolveSettings};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::bundled;

/// Inputs per kind: `FAASPLAN_FUZZ_CASES`, else 300.
fn cases() -> usize {
    option_env_cases().unwrap_or(300)
}

#[cfg(not(target_arch = "wasm32"))]
fn option_env_cases() -> Option<usize> {
    std::env::var("FAASPLAN_FUZZ_CASES").ok()?.parse().ok()
}

#[cfg(target_arch = "wasm32")]
fn option_env_cases() -> Option<usize> {
    Some(40)
}

fn below(rng: &mut Xoshiro256PlusPlus, n: usize) -> usize {
    ((uniform(rng) * n as f64) as usize).min(n.saturating_sub(1))
}

fn pick<T: Copy>(rng: &mut Xoshiro256PlusPlus, items: &[T]) -> T {
    items[below(rng, items.len())]
}

const FLOATS: [f64; 16] = [
    -1.0,
    0.0,
    1e-300,
    1e-9,
    0.05,
    0.5,
    0.95,
    0.999,
    0.999_999_99,
    1.0,
    95.0,
    1e9,
    1e308,
    f64::INFINITY,
    f64::NAN,
    f64::MIN_POSITIVE,
];
const U32S: [u32; 10] = [
    0,
    1,
    2,
    64,
    128,
    1792,
    10_240,
    65_537,
    1_000_000_000,
    u32::MAX,
];

fn mutate_settings(rng: &mut Xoshiro256PlusPlus, p: &mut Project) {
    let s = &mut p.settings;
    match below(rng, 6) {
        0 => s.percentile = pick(rng, &FLOATS),
        1 => s.delta = pick(rng, &FLOATS),
        2 => {
            s.alpha = pick(
                rng,
                &[0.0, 0.01, 0.049, 0.05, 0.049_999_999_999, -0.1, f64::NAN],
            )
        }
        3 => {
            s.samples = SampleCount::Fixed(pick(
                rng,
                &[
                    0,
                    1,
                    2,
                    20,
                    1000,
                    usize::MAX >> 24,
                    usize::MAX >> 4,
                    usize::MAX,
                ],
            ))
        }
        4 => {
            s.bound = Bound::Latency {
                max_s: pick(rng, &FLOATS),
            }
        }
        _ => {
            s.bound = Bound::Cost {
                max_usd: pick(rng, &FLOATS),
                kind: pick(rng, &[CostKind::Mean, CostKind::Quantile]),
            }
        }
    }
}

fn mutate_platform(rng: &mut Xoshiro256PlusPlus, p: &mut Project) {
    let f = &mut p.platform;
    match below(rng, 8) {
        0 => f.concurrency_limit = pick(rng, &U32S),
        1 => f.min_memory_mb = pick(rng, &U32S),
        2 => f.max_memory_mb = pick(rng, &U32S),
        3 => f.timeout_s = pick(rng, &FLOATS),
        4 => f.price_per_gb_s = pick(rng, &FLOATS),
        5 => f.price_per_request = pick(rng, &FLOATS),
        6 => f.mb_per_vcpu = pick(rng, &FLOATS),
        _ => f.billing_granularity_ms = pick(rng, &FLOATS),
    }
}

fn mutate_workflow(rng: &mut Xoshiro256PlusPlus, p: &mut Project) {
    let w = &mut p.workflow;
    let n = w.stages.len();
    let i = below(rng, n);
    match below(rng, 8) {
        0 => {
            w.stages[i].memory = MemoryGrid {
                min_mb: pick(rng, &U32S),
                max_mb: pick(rng, &U32S),
                step_mb: pick(rng, &U32S),
                listed_mb: (0..pick(rng, &[0, 0, 1, 3]))
                    .map(|_| pick(rng, &U32S))
                    .collect(),
            }
        }
        1 => {
            let len = pick(rng, &[0, 1, 3, 50, 2000]);
            w.stages[i].allowed_d = (0..len).map(|_| pick(rng, &U32S)).collect();
        }
        2 => {
            w.stages[i].kind = match w.stages[i].kind {
                StageKind::Single => StageKind::Parallel,
                StageKind::Parallel => StageKind::Single,
            }
        }
        3 => {
            w.stages[i].fixed = Some(Config {
                memory_mb: pick(rng, &U32S),
                d: pick(rng, &U32S),
            })
        }
        4 => {
            let (a, b) = (below(rng, n), below(rng, n));
            w.edges.push(Edge {
                from: w.stages[a].id.clone(),
                to: w.stages[b].id.clone(),
            });
        }
        5 if !w.edges.is_empty() => {
            let e = below(rng, w.edges.len());
            w.edges.remove(e);
        }
        6 => w.stages[i].id = pick(rng, &["", "stage0", "x", "stage1"]).to_string(),
        _ => {
            let mut extra = w.stages[i].clone();
            extra.id = format!("{}_copy", extra.id);
            w.stages.push(extra);
        }
    }
}

fn mutate_profiles(rng: &mut Xoshiro256PlusPlus, p: &mut Project) {
    let stages = &mut p.profiles.stages;
    let s = below(rng, stages.len());
    let runs = &mut stages[s].runs;
    if runs.is_empty() {
        return;
    }
    let r = below(rng, runs.len());
    let run = &mut runs[r];
    match below(rng, 9) {
        0 => run.read.mean_s *= pick(rng, &FLOATS),
        1 => run.compute.p95_s = pick(rng, &FLOATS) * run.compute.p95_s.signum(),
        2 => run.start.mean_s = -pick(rng, &FLOATS),
        3 => run.memory_mb = pick(rng, &U32S),
        4 => run.d = pick(rng, &U32S),
        5 => runs.truncate(below(rng, runs.len())),
        6 => stages[s].stage = pick(rng, &["stage3_typo", "stage0", ""]).to_string(),
        7 => p.profiles.mb_per_vcpu = pick(rng, &FLOATS),
        _ => {
            let copy = stages[s].clone();
            stages.push(copy);
        }
    }
}

/// Words one of which every error must contain: it names where the problem is.
const PLACES: [&str; 14] = [
    "settings.",
    "platform.",
    "profiles",
    "stage",
    "workflow",
    "edge",
    "samples",
    "memory",
    "mb_per_vcpu",
    "concurrency",
    "timeout",
    "bound",
    "line ",
    "antichains",
];

fn assert_names_a_place(what: &str, err: &str) {
    assert!(
        PLACES.iter().any(|p| err.contains(p)),
        "{what}: {err:?} names no setting, stage, field or line"
    );
}

/// The unmutated project and its fitted model.
struct Base {
    project: Project,
    model: WorkflowModel,
}

/// Runs one project through every stage of the pipeline that accepts it; the
/// evaluator and the first frontier steps only when `deep` (they are slower).
fn exercise(base: &Base, p: &mut Project, deep: bool) {
    let limits = Limits {
        max_nodes: Some(20_000),
        max_memory_bytes: 256 << 20,
    };
    let checked = match pipeline::check(p, limits) {
        Ok(c) => c,
        Err(e) => return assert_names_a_place("check", &e.to_string()),
    };
    for s in &p.profiles.stages {
        for r in &s.runs {
            assert!(
                r.check().is_ok(),
                "accepted a run that fails its checks: {r:?}"
            );
        }
    }
    // Keep the run short: at most 64 samples past the check.
    p.settings.samples = SampleCount::Fixed(checked.size.n_samples.min(64));
    // Fitting is the slow part: reuse the base model when the mutation left
    // the workflow and profiles alone (what `prepare_within` does otherwise).
    let same = p.workflow == base.project.workflow && p.profiles == base.project.profiles;
    let model = if same {
        Ok(base.model.clone())
    } else {
        fit_workflow(&p.workflow, &checked.dag, &p.profiles)
    };
    let model = match model {
        Ok(m) => m,
        Err(e) => return assert_names_a_place("fit", &e.to_string()),
    };
    let sampled = Sampler::new_within(
        &p.workflow,
        &checked.dag,
        &model,
        &p.platform,
        &p.settings,
        limits.max_memory_bytes,
    )
    .and_then(Sampler::finish);
    let prepared = match sampled {
        Ok(problem) => pipeline::Prepared {
            dag: checked.dag.clone(),
            model,
            problem,
        },
        Err(e) => return assert_names_a_place("sampling", &e.to_string()),
    };
    let solved = solve::solve(
        &prepared.problem,
        SolveSettings {
            bound: p.settings.bound,
            max_nodes: limits.max_nodes,
        },
    );
    let solution = match solved {
        Ok(s) => s,
        Err(e) => return assert_names_a_place("solve", &e.to_string()),
    };
    match pipeline::report(p, &prepared, &solution.status, solution.plan.as_ref()) {
        Ok(report) => {
            if let Some(t) = &report.totals {
                for v in [
                    t.latency_p50_s,
                    t.latency_q_s,
                    t.guaranteed_latency_s,
                    t.expected_cost_usd,
                ] {
                    assert!(v.is_finite() && v >= 0.0, "plan figure {v} in {t:?}");
                }
                let configs: Vec<(String, Config)> = report
                    .stages
                    .iter()
                    .map(|s| {
                        (
                            s.stage.clone(),
                            Config {
                                memory_mb: s.memory_mb,
                                d: s.d,
                            },
                        )
                    })
                    .collect();
                if deep && let Err(e) = pipeline::evaluate(p, &prepared, &configs, limits.max_nodes)
                {
                    panic!("a planned configuration does not evaluate: {e}");
                }
            }
        }
        Err(e) => assert_names_a_place("plan", &e.to_string()),
    }
    if !deep {
        return;
    }
    if let Ok(mut b) = FrontierBuilder::new(&prepared.problem, FrontierSettings::default()) {
        for _ in 0..4 {
            if b.step(256) == FrontierProgress::Finished {
                break;
            }
        }
        for point in b.frontier().points {
            assert!(point.expected_cost_usd.is_finite() && point.guaranteed_latency_s.is_finite());
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn mutated_projects_never_panic_and_errors_name_a_place() {
    let project = bundled::project("ml");
    let dag = project.workflow.validate().unwrap();
    let model = fit_workflow(&project.workflow, &dag, &project.profiles).unwrap();
    let base = Base { project, model };
    let kinds: [fn(&mut Xoshiro256PlusPlus, &mut Project); 4] = [
        mutate_settings,
        mutate_platform,
        mutate_workflow,
        mutate_profiles,
    ];
    let mut rng = stream(2026, 9);
    let mut accepted = 0;
    for (k, mutate) in kinds.iter().enumerate() {
        for case in 0..cases() {
            let mut p = base.project.clone();
            for _ in 0..1 + below(&mut rng, 3) {
                mutate(&mut rng, &mut p);
            }
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                exercise(&base, &mut p.clone(), case % 4 == 0);
                pipeline::check(&p, Limits::default()).is_ok()
            }));
            match result {
                Ok(ok) => accepted += usize::from(ok),
                Err(_) => panic!("kind {k}, case {case}: panicked on {}", p.to_json()),
            }
        }
    }
    // The mutations keep some inputs valid, so the solver and frontier are reached.
    assert!(accepted > cases() / 2, "only {accepted} accepted");
}
