//! Validity and tightness of the certified guarantee (a bench binary, not a timed test).
//!
//! For each bundled workflow (imported as the importer does it, AWS x86_64 prices,
//! δ = 0.001) and each percentile q, five latency bounds are set from the tightest
//! bound a seed-0 plan reaches (× 1.02, 1.05, 1.10, 1.25, 1.50). For every seed the
//! planning samples are drawn, every bound is planned with certification
//! (`pipeline::solve_certified`), and each chosen plan's *true* violation probability
//! and q-quantile are estimated on `TRUTH` fresh samples from a seed no run uses.
//! Printed per (workflow, q): runs with a certified plan, how many of them truly
//! violate (true violation > 1 − q) with a 95% Clopper–Pearson upper bound of that
//! rate (the guarantee asks for ≤ δ), and the tightness certified ÷ true q-quantile.
//!
//! `cargo bench -p faasplan-core --bench validity -- SEEDS Q... [--truth N]`,
//! e.g. `-- 500 0.95 0.99` and `-- 50 0.999`. With `--compare`, the table of
//! docs/comparison.md instead: expected cost of today's certified plans against the
//! former defaults (Hoeffding N at α = 0, the slowest sample as guarantee).

use std::collections::HashMap;
use std::time::Instant;

use faasplan_core::dag::Config;
use faasplan_core::formats::jolteon::{self, JolteonProfileOptions};
use faasplan_core::formats::project::Project;
use faasplan_core::model::{WorkflowModel, fit_workflow};
use faasplan_core::pipeline::{self, Limits, Prepared};
use faasplan_core::plan::{PlanReport, PlanStatus};
use faasplan_core::platform::Preset;
use faasplan_core::sampling::{build_problem, candidates, evaluate_fresh};
use faasplan_core::settings::{Bound, PlanSettings, SampleCount};
use faasplan_core::solve::{SolveSettings, evaluate, solve};
use faasplan_core::stats::binomial::clopper_pearson_upper;

const ML: (&str, &str) = (
    include_str!("../../../static/examples/ML-pipeline.json"),
    include_str!("../../../static/examples/ML-Pipeline_profile.json"),
);
const VIDEO: (&str, &str) = (
    include_str!("../../../static/examples/Video-analytics.json"),
    include_str!("../../../static/examples/Video-Analytics_profile.json"),
);
/// Seed of the truth samples (no planning or certification run uses it).
const TRUTH_SEED: u64 = u64::MAX - 7;
const FACTORS: [f64; 5] = [1.02, 1.05, 1.10, 1.25, 1.50];

struct Setup {
    name: &'static str,
    project: Project,
    model: WorkflowModel,
}

fn setup(name: &'static str, (wf, pf): (&str, &str)) -> Setup {
    let (workflow, profiles) = jolteon::import(wf, pf, None, &JolteonProfileOptions::default())
        .expect("bundled Jolteon files import");
    let dag = workflow.validate().expect("valid");
    let model = fit_workflow(&workflow, &dag, &profiles).expect("fits");
    Setup {
        name,
        project: Project {
            workflow,
            profiles,
            platform: Preset::AwsX86_64.platform(),
            settings: PlanSettings::default(),
        },
        model,
    }
}

fn prepared(s: &Setup, settings: &PlanSettings) -> Prepared {
    let dag = s.project.workflow.validate().expect("valid");
    let problem = build_problem(
        &s.project.workflow,
        &dag,
        &s.model,
        &s.project.platform,
        settings,
    )
    .expect("samples");
    Prepared {
        dag,
        model: s.model.clone(),
        problem,
    }
}

fn configs(r: &PlanReport) -> Vec<Config> {
    r.stages
        .iter()
        .map(|p| Config {
            memory_mb: p.memory_mb,
            d: p.d,
        })
        .collect()
}

/// True latencies of a plan, sorted, on `truth` samples.
fn truth(s: &Setup, prep: &Prepared, q: f64, plan: &[Config], n: usize) -> Vec<f64> {
    let settings = PlanSettings {
        percentile: q,
        seed: TRUTH_SEED,
        fresh_samples: SampleCount::Fixed(n),
        ..PlanSettings::default()
    };
    let mut l = evaluate_fresh(
        &s.project.workflow,
        &prep.dag,
        &s.model,
        &s.project.platform,
        &settings,
        plan,
    )
    .expect("evaluates")
    .latency_s;
    l.sort_unstable_by(f64::total_cmp);
    l
}

fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    let r = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[r - 1]
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn bounds(s: &Setup, q: f64) -> Vec<f64> {
    let mut p = s.project.clone();
    p.settings = PlanSettings {
        percentile: q,
        seed: 0,
        bound: Bound::Latency { max_s: 1e-3 },
        ..PlanSettings::default()
    };
    let mut prep = prepared(s, &p.settings);
    let r = pipeline::solve_certified(&p, &mut prep, Limits::default()).expect("plans");
    let PlanStatus::Infeasible {
        nearest_bound: Some(Bound::Latency { max_s }),
    } = r.status
    else {
        panic!("a 1 ms bound is infeasible");
    };
    FACTORS.iter().map(|f| max_s * f).collect()
}

fn validity(s: &Setup, q: f64, seeds: u64, truth_n: usize) {
    let t0 = Instant::now();
    let eps = 1.0 - q;
    let bs = bounds(s, q);
    let mut cache: HashMap<Vec<Config>, Vec<f64>> = HashMap::new();
    let (mut runs, mut bad, mut infeasible, mut tightened) = (0u64, 0u64, 0u64, 0u64);
    let mut ratios = Vec::new();
    let mut max_true_violation: f64 = 0.0;
    for seed in 1..=seeds {
        let mut p = s.project.clone();
        p.settings = PlanSettings {
            percentile: q,
            seed,
            ..PlanSettings::default()
        };
        let mut prep = prepared(s, &p.settings);
        let a0 = prep.problem.allowed_violations;
        for &b in &bs {
            prep.problem.allowed_violations = a0;
            p.settings.bound = Bound::Latency { max_s: b };
            let r = pipeline::solve_certified(&p, &mut prep, Limits::default()).expect("plans");
            let g = r.guarantee.as_ref().expect("a guarantee");
            let Some(c) = g
                .certificate
                .as_ref()
                .filter(|c| c.meets_bound == Some(true))
            else {
                infeasible += 1;
                continue;
            };
            if g.attempts > 1 {
                tightened += 1;
            }
            let plan = configs(&r);
            let lat = cache
                .entry(plan.clone())
                .or_insert_with(|| truth(s, &prep, q, &plan, truth_n));
            let over = lat.len() - lat.partition_point(|&l| l <= b);
            let viol = over as f64 / lat.len() as f64;
            max_true_violation = max_true_violation.max(viol);
            runs += 1;
            if viol > eps {
                bad += 1;
            }
            let certified = c.certified_latency_s.expect("a certified latency");
            ratios.push(certified / quantile_sorted(lat, q));
        }
    }
    let rate = bad as f64 / runs.max(1) as f64;
    let upper = clopper_pearson_upper(bad, runs.max(1), 0.05);
    let worst = ratios.iter().copied().fold(f64::NAN, f64::max);
    let med = median(&mut ratios);
    println!(
        "| {} | {q} | {} | {seeds} | {runs} | {infeasible} | {tightened} | {bad} ({:.4}%, ≤ {:.4}%) | {:.4}% | {med:.4} | {worst:.4} | {} | {:.0} s |",
        s.name,
        bs.iter()
            .map(|b| format!("{b:.2}"))
            .collect::<Vec<_>>()
            .join(", "),
        rate * 100.0,
        upper * 100.0,
        max_true_violation * 100.0,
        cache.len(),
        t0.elapsed().as_secs_f64()
    );
}

/// Expected cost at the same bounds: certified plans against the former defaults.
fn compare(s: &Setup, q: f64, seeds: u64) {
    let bs = bounds(s, q);
    let eps = 1.0 - q;
    let ln_x: f64 = s
        .project
        .workflow
        .stages
        .iter()
        .map(|st| (candidates(st, &s.project.platform).len() as f64).ln())
        .sum();
    let n_old = ((ln_x - 0.001f64.ln()) / (2.0 * eps * eps)).ceil() as usize;
    let rows: usize = s
        .project
        .workflow
        .stages
        .iter()
        .map(|st| candidates(st, &s.project.platform).len())
        .sum();
    let old_fits = (n_old * rows * 16) as u64 <= 2 << 30;
    for &b in &bs {
        let (mut new_cost, mut new_ok, mut old_cost, mut old_ok) = (0.0, 0u64, 0.0, 0u64);
        for seed in 1..=seeds {
            let mut p = s.project.clone();
            p.settings = PlanSettings {
                percentile: q,
                seed,
                bound: Bound::Latency { max_s: b },
                ..PlanSettings::default()
            };
            let mut prep = prepared(s, &p.settings);
            let r = pipeline::solve_certified(&p, &mut prep, Limits::default()).expect("plans");
            let cert_ok = r
                .guarantee
                .as_ref()
                .and_then(|g| g.certificate.as_ref())
                .is_some_and(|c| c.meets_bound == Some(true));
            if cert_ok && let Some(t) = &r.totals {
                new_cost += t.expected_cost_usd;
                new_ok += 1;
            }
            if old_fits {
                let old = PlanSettings {
                    samples: SampleCount::Fixed(n_old),
                    ..p.settings.clone()
                };
                let mut prep = prepared(s, &old);
                prep.problem.allowed_violations = 0;
                let sol = solve(
                    &prep.problem,
                    SolveSettings {
                        bound: p.settings.bound,
                        max_nodes: None,
                    },
                )
                .expect("solves");
                if let Some(plan) = sol.plan.as_ref() {
                    old_cost += evaluate(&prep.problem, plan)
                        .expect("evaluates")
                        .expected_cost_usd;
                    old_ok += 1;
                }
            }
        }
        let fmt = |c: f64, k: u64| {
            if k == 0 {
                "infeasible".to_string()
            } else {
                format!("${:.2} ({k}/{seeds})", c / k as f64 * 1e6)
            }
        };
        let old = if old_fits {
            fmt(old_cost, old_ok)
        } else {
            format!("does not fit (N = {n_old})")
        };
        let delta = if old_ok > 0 && new_ok > 0 {
            format!(
                "{:+.2}%",
                ((new_cost / new_ok as f64) / (old_cost / old_ok as f64) - 1.0) * 100.0
            )
        } else {
            "–".into()
        };
        println!(
            "| {} | {q} | {b:.2} | {old} | {} | {delta} |",
            s.name,
            fmt(new_cost, new_ok)
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut seeds = 500;
    let mut qs = Vec::new();
    let mut truth_n = 1_000_000;
    let mut cmp = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--truth" => truth_n = it.next().and_then(|v| v.parse().ok()).unwrap_or(truth_n),
            "--compare" => cmp = true,
            v if v.contains('.') => qs.push(v.parse::<f64>().expect("a percentile")),
            v => seeds = v.parse().expect("a seed count"),
        }
    }
    if qs.is_empty() {
        qs = vec![0.95, 0.99, 0.999];
    }
    let setups = [setup("ml", ML), setup("video", VIDEO)];
    if cmp {
        println!(
            "| workflow | q | bound, s | former defaults: cost per 10⁶ runs (feasible seeds) | certified: cost per 10⁶ runs (certified seeds) | change |"
        );
        println!("|---|---|---|---|---|---|");
        for s in &setups {
            for &q in &qs {
                compare(s, q, seeds);
            }
        }
        return;
    }
    println!("truth: {truth_n} samples per distinct plan");
    println!(
        "| workflow | q | bounds, s | seeds | certified runs | no certified plan | tightened | truly violating (rate, 95% upper) | worst true violation | tightness median | tightness worst | distinct plans | time |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for s in &setups {
        for &q in &qs {
            validity(s, q, seeds, truth_n);
        }
    }
}
