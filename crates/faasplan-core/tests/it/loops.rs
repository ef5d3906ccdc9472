//! Loops: a chain of stages that runs k times per execution is planned once.
//! Its sampled latency and cost are exactly the sums of k runs drawn from the
//! stage's own stream, and the planner's optimum equals brute force over the
//! body unrolled k times with every copy at the same configuration.

use faasplan_core::dag::{Edge, Loop, MemoryGrid, StageKind, WorkflowError};
use faasplan_core::formats::project::Project;
use faasplan_core::pipeline;
use faasplan_core::pricing::Orchestration;
use faasplan_core::problem::{SampledProblem, StageTable};
use faasplan_core::profile::StageProfile;
use faasplan_core::settings::{Bound, SampleCount};
use faasplan_core::solve::{self, Plan, SolveSettings};
use proptest::prelude::*;

fn grid(min_mb: u32, max_mb: u32, step_mb: u32) -> MemoryGrid {
    serde_json::from_value(serde_json::json!({
        "min_mb": min_mb,
        "max_mb": max_mb,
        "step_mb": step_mb,
    }))
    .expect("a stepped grid deserialises")
}

/// A chain s0 -> s1 -> .. of `n` single-instance stages profiled with the ML
/// pipeline's `stage0` / `stage3` runs (alternating), `sizes` memory sizes each,
/// priced with Step Functions Standard, `samples` samples.
fn chain(n: usize, sizes: u32, samples: usize) -> Project {
    let base = crate::bundled::project("ml");
    let templates = [0, 3].map(|k| {
        (
            base.workflow.stages[k].clone(),
            base.profiles.stages[k].runs.clone(),
        )
    });
    let mut p = base;
    let id = |i: usize| format!("s{i}");
    p.workflow.name = "loop".into();
    p.workflow.choices.clear();
    p.workflow.stages = (0..n)
        .map(|i| {
            let mut s = templates[i % 2].0.clone();
            s.id = id(i);
            s.kind = StageKind::Single;
            s.fixed = None;
            s.memory = grid(1024, 1024 * sizes, 1024);
            s
        })
        .collect();
    p.workflow.edges = (1..n)
        .map(|i| Edge {
            from: id(i - 1),
            to: id(i),
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
    p
}

fn with_loop(mut p: Project, stages: &[&str], iterations: u32) -> Project {
    p.workflow.loops = vec![Loop {
        name: "back".into(),
        stages: stages.iter().map(|s| s.to_string()).collect(),
        iterations,
    }];
    p
}

/// The tables of a stage whose sample s is the sum of samples
/// `k·s .. k·s + k` of `flat` (same configurations).
fn summed(flat: &StageTable, n_flat: usize, k: usize) -> (Vec<f64>, Vec<f64>) {
    let n = n_flat / k;
    let mut lat = Vec::new();
    let mut cost = Vec::new();
    for row in 0..flat.latency_s.len() / n_flat {
        for s in 0..n {
            let at = row * n_flat + s * k;
            lat.push(
                flat.latency_s[at..at + k]
                    .iter()
                    .map(|&v| f64::from(v))
                    .sum::<f64>(),
            );
            cost.push(
                flat.cost_usd[at..at + k]
                    .iter()
                    .map(|&v| f64::from(v))
                    .sum::<f64>(),
            );
        }
    }
    (lat, cost)
}

/// Stored `f32` values equal f64 sums of `k` runs each stored in `f32`, to the
/// tables' rounding: each run and the sum are rounded once (2⁻²⁴ relative each).
fn assert_sums(got: &[faasplan_core::problem::Sample], want: &[f64], k: usize, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    let tol = (k as f64 + 1.0) * 2f64.powi(-24);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let g = f64::from(g);
        assert!((g - w).abs() <= tol * w.abs(), "{what} [{i}]: {g} vs {w}");
    }
}

/// A loop's body stage draws k runs per sample from its own stream: the
/// sums of the runs the same stage draws, one per sample, with k times the
/// samples (the runs are summed in f64 before the table stores them in f32).
#[test]
fn a_loop_body_is_the_sum_of_its_runs() {
    let (n, k) = (200, 3);
    let looped = with_loop(chain(3, 3, n), &["s1", "s2"], k as u32);
    let flat = chain(3, 3, n * k);
    let a = pipeline::prepare(&looped).expect("plans").problem;
    let b = pipeline::prepare(&flat).expect("plans").problem;
    assert_eq!(a.n_samples, n);
    for i in [1, 2] {
        assert_eq!(a.stages[i].configs, b.stages[i].configs);
        let (lat, cost) = summed(&b.stages[i], n * k, k);
        assert_sums(&a.stages[i].latency_s, &lat, k, &format!("latency of s{i}"));
        assert_sums(&a.stages[i].cost_usd, &cost, k, &format!("cost of s{i}"));
    }
    // Outside the loop nothing changes but the sample count: the first n
    // samples of every row are the same.
    let rows = a.stages[0].latency_s.len() / n;
    assert!(rows > 1);
    for r in 0..rows {
        assert_eq!(
            a.stages[0].latency_s[r * n..(r + 1) * n],
            b.stages[0].latency_s[r * n * k..r * n * k + n]
        );
    }
}

/// The sampled problem of the chain with the loop's body written out k times
/// (copy r of a body stage takes run r of each sample), built from `flat`,
/// the loop-free problem with k times the samples.
fn unrolled(
    flat: &SampledProblem,
    body: &[usize],
    k: usize,
    allowed_violations: usize,
) -> (SampledProblem, Vec<usize>) {
    let n = flat.n_samples / k;
    let mut stages: Vec<StageTable> = Vec::new();
    // For each unrolled stage: the original stage it copies.
    let mut origin = Vec::new();
    let mut push = |i: usize, pick: &dyn Fn(usize) -> usize| {
        let t = &flat.stages[i];
        let rows = t.latency_s.len() / flat.n_samples;
        let mut lat = Vec::with_capacity(rows * n);
        let mut cost = Vec::with_capacity(rows * n);
        let mut expected = Vec::with_capacity(rows);
        for row in 0..rows {
            let base = row * flat.n_samples;
            for s in 0..n {
                lat.push(t.latency_s[base + pick(s)]);
                cost.push(t.cost_usd[base + pick(s)]);
            }
            expected.push(cost[row * n..].iter().map(|&c| f64::from(c)).sum::<f64>() / n as f64);
        }
        stages.push(StageTable {
            configs: t.configs.clone(),
            context: None,
            expected_cost_usd: expected,
            cost_usd: cost,
            latency_s: lat,
            architectures: Vec::new(),
        });
        origin.push(i);
    };
    let order: Vec<usize> = flat.topo.clone();
    let first = *body.first().expect("a body");
    for &i in &order {
        if body.contains(&i) {
            if i == first {
                for r in 0..k {
                    for &b in body {
                        push(b, &move |s| s * k + r);
                    }
                }
            }
        } else {
            push(i, &|s| s);
        }
    }
    let m = stages.len();
    let parents: Vec<Vec<usize>> = (0..m)
        .map(|j| if j == 0 { Vec::new() } else { vec![j - 1] })
        .collect();
    let problem = SampledProblem {
        n_samples: n,
        stages,
        parents,
        topo: (0..m).collect(),
        concurrency_limit: flat.concurrency_limit,
        percentile: flat.percentile,
        allowed_violations,
        shared: Vec::new(),
    };
    (problem, origin)
}

/// (guaranteed latency, expected cost) of every plan of `p` whose copies of a
/// stage share one configuration.
fn tied_plans(p: &SampledProblem, origin: &[usize], n_orig: usize) -> Vec<(f64, f64)> {
    let sizes: Vec<u32> = (0..n_orig)
        .map(|i| {
            let j = origin.iter().position(|&o| o == i).expect("copied");
            p.stages[j].configs.len() as u32
        })
        .collect();
    let mut choice = vec![0u32; n_orig];
    let mut out = Vec::new();
    loop {
        let plan = Plan {
            choice: origin.iter().map(|&o| choice[o]).collect(),
        };
        let e = solve::evaluate(p, &plan).expect("evaluates");
        out.push((e.guaranteed_latency_s, e.expected_cost_usd));
        let mut k = 0;
        loop {
            if k == n_orig {
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
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The planner's optimum over the loop (one configuration per body stage)
    /// equals brute force over the unrolled chain with tied copies.
    #[test]
    fn the_loop_optimum_equals_brute_force_over_the_tied_unrolled_chain(
        n in 3usize..=4,
        body_at in 0usize..2,
        k in 2usize..=3,
        at in 0.05f64..0.95,
    ) {
        let body: Vec<usize> = (body_at + 1..n.min(body_at + 3)).collect();
        let names: Vec<String> = body.iter().map(|i| format!("s{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let samples = 60;
        let looped = with_loop(chain(n, 2, samples), &names, k as u32);
        let flat = chain(n, 2, samples * k);
        let a = pipeline::prepare(&looped).expect("prepares").problem;
        let b = pipeline::prepare(&flat).expect("prepares").problem;
        let (u, origin) = unrolled(&b, &body, k, a.allowed_violations);
        let points = tied_plans(&u, &origin, n);
        let (lo, hi) = points
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), &(l, _)| (lo.min(l), hi.max(l)));
        let bound = lo + at * (hi - lo);
        let want = points
            .iter()
            .filter(|&&(l, _)| l <= bound)
            .map(|&(_, c)| c)
            .fold(f64::INFINITY, f64::min);
        let got = solve::solve(
            &a,
            SolveSettings { bound: Bound::Latency { max_s: bound }, max_nodes: None },
        )
        .expect("solves");
        let plan = got.plan.expect("a plan within the bound");
        prop_assert_eq!(plan.choice.len(), n);
        // The loop's tables round each sample's sum once to f32, the unrolled
        // chain each run: equal to the tables' rounding (docs/limits.md).
        approx::assert_relative_eq!(got.expected_cost_usd, want, max_relative = 1e-6);
        prop_assert!(got.guaranteed_latency_s <= bound * (1.0 + 1e-6));
    }
}

#[test]
fn a_loop_must_be_a_chain_of_existing_stages() {
    let p = chain(4, 2, 50);
    let check = |stages: &[&str], iterations: u32| {
        with_loop(p.clone(), stages, iterations)
            .workflow
            .validate()
            .map(|_| ())
    };
    assert_eq!(check(&["s1", "s2"], 3), Ok(()));
    let message = |r: Result<(), WorkflowError>| match r {
        Err(WorkflowError::Loop { name, message }) => format!("{name}: {message}"),
        other => panic!("expected a loop error, got {other:?}"),
    };
    assert!(message(check(&["s1", "s3"], 3)).contains("must be a chain"));
    assert!(message(check(&["s2", "s1"], 3)).contains("must be a chain"));
    assert!(message(check(&["s1", "nope"], 3)).contains("no stage \"nope\""));
    assert!(message(check(&["s1", "s1"], 3)).contains("listed twice"));
    assert!(message(check(&["s1"], 0)).contains("iterations 0"));
    // A body stage with a second child is no chain.
    let mut fork = with_loop(p.clone(), &["s1", "s2"], 2);
    fork.workflow.edges.push(Edge {
        from: "s1".into(),
        to: "s3".into(),
    });
    assert!(message(fork.workflow.validate().map(|_| ())).contains("only stage after"));
    // Fusion does not plan loops: refused with a clear message.
    let mut fused = with_loop(p, &["s1"], 2);
    fused.settings.samples = SampleCount::Fixed(50);
    let mut prepared = pipeline::prepare(&fused).expect("prepares");
    let options = faasplan_core::fusion::FusionOptions {
        enabled: true,
        forbid: Vec::new(),
    };
    let e = pipeline::solve_certified_fused(
        &fused,
        &mut prepared,
        &options,
        pipeline::Limits::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("s1 runs 2 times"), "{e}");
}
