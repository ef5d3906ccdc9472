//! The reference grid end to end: each bundled workflow imported from its Jolteon
//! files as the importer does it (memory every 128 MB over the profiled range, d
//! over the profiled values, 1,792 MB per vCPU), q = 0.95, δ = 0.001, α = 0, N
//! from the SAA formula. Groups: `fit` (every stage model), `sample` (the whole
//! sampled problem), `solve` (one bound from scratch at the 10th, 50th and 90th
//! percentile of the frontier's latencies), `frontier` (the whole exact frontier).
//!
//! Before the `solve` group, every 20th frontier latency is also solved once and
//! timed, and the median and worst single-bound times are printed on stderr.
//! `solve/*/p50-setup` is [`Solver::new`] alone: the work before the search.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use faasplan_core::dag::{Dag, Workflow};
use faasplan_core::formats::jolteon::{self, JolteonProfileOptions};
use faasplan_core::frontier::{FrontierSettings, frontier};
use faasplan_core::model::fit_workflow;
use faasplan_core::platform::{Platform, Preset};
use faasplan_core::problem::SampledProblem;
use faasplan_core::profile::Profiles;
use faasplan_core::sampling::build_problem;
use faasplan_core::settings::{Bound, PlanSettings};
use faasplan_core::solve::{Planner, SolveSettings, Solver, solve};

const ML: (&str, &str) = (
    include_str!("../../../static/examples/ML-pipeline.json"),
    include_str!("../../../static/examples/ML-Pipeline_profile.json"),
);
const VIDEO: (&str, &str) = (
    include_str!("../../../static/examples/Video-analytics.json"),
    include_str!("../../../static/examples/Video-Analytics_profile.json"),
);

/// One bundled workflow on the reference grid.
struct Reference {
    name: &'static str,
    workflow: Workflow,
    dag: Dag,
    profiles: Profiles,
    platform: Platform,
    settings: PlanSettings,
}

impl Reference {
    fn load(name: &'static str, (wf, pf): (&str, &str)) -> Reference {
        let (workflow, profiles) = jolteon::import(wf, pf, None, &JolteonProfileOptions::default())
            .expect("bundled Jolteon files import");
        let dag = workflow.validate().expect("bundled workflow is valid");
        Reference {
            name,
            workflow,
            dag,
            profiles,
            platform: Preset::JolteonProfiled.platform(),
            settings: PlanSettings::default(),
        }
    }

    fn problem(&self) -> SampledProblem {
        let model = fit_workflow(&self.workflow, &self.dag, &self.profiles).expect("fits");
        build_problem(
            &self.workflow,
            &self.dag,
            &model,
            &self.platform,
            &self.settings,
        )
        .expect("reference grid samples")
    }
}

fn references() -> [Reference; 2] {
    [Reference::load("ml", ML), Reference::load("video", VIDEO)]
}

fn fit(c: &mut Criterion) {
    let mut g = c.benchmark_group("fit");
    for r in references() {
        g.bench_function(r.name, |b| {
            b.iter(|| fit_workflow(black_box(&r.workflow), black_box(&r.dag), &r.profiles))
        });
    }
    g.finish();
}

fn sample(c: &mut Criterion) {
    let mut g = c.benchmark_group("sample");
    g.sample_size(20);
    for r in references() {
        let model = fit_workflow(&r.workflow, &r.dag, &r.profiles).expect("fits");
        let p = r.problem();
        let space: f64 = p.stages.iter().map(|t| t.configs.len() as f64).product();
        eprintln!(
            "reference/{}: N = {}, configurations per stage {:?}, |X| = {space:.3e}",
            r.name,
            p.n_samples,
            p.stages.iter().map(|t| t.configs.len()).collect::<Vec<_>>()
        );
        g.bench_function(r.name, |b| {
            b.iter(|| {
                build_problem(
                    black_box(&r.workflow),
                    &r.dag,
                    &model,
                    &r.platform,
                    &r.settings,
                )
            })
        });
    }
    g.finish();
}

fn latency(max_s: f64) -> SolveSettings {
    SolveSettings {
        bound: Bound::Latency { max_s },
        max_nodes: None,
    }
}

/// Solves every `step`-th frontier latency once and prints the median and worst times.
fn sweep_times(name: &str, p: &SampledProblem, latencies: &[f64], step: usize) {
    let mut ms: Vec<f64> = latencies
        .iter()
        .step_by(step)
        .map(|&b| {
            let t = Instant::now();
            black_box(solve(p, latency(b)).expect("valid bound"));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    eprintln!(
        "reference/{name}: one bound over {} frontier latencies: median {:.3} ms, worst {:.3} ms",
        ms.len(),
        ms[ms.len() / 2],
        ms[ms.len() - 1]
    );
}

fn solve_one(c: &mut Criterion) {
    let mut g = c.benchmark_group("solve");
    g.sample_size(20);
    for r in references() {
        let p = r.problem();
        let f = frontier(&p, FrontierSettings::default()).expect("valid problem");
        let lat: Vec<f64> = f.points.iter().map(|q| q.guaranteed_latency_s).collect();
        eprintln!("reference/{}: {} frontier points", r.name, lat.len());
        sweep_times(r.name, &p, &lat, 20);
        for pct in [10, 50, 90] {
            let b = lat[(lat.len() - 1) * pct / 100];
            g.bench_function(format!("{}/p{pct}", r.name), |bch| {
                bch.iter(|| solve(black_box(&p), latency(b)))
            });
        }
        // The part of a solve before the search: validation, tables, dominance.
        let b = lat[(lat.len() - 1) / 2];
        g.bench_function(format!("{}/p50-setup", r.name), |bch| {
            bch.iter(|| Solver::new(black_box(&p), latency(b)))
        });
        // One bound on a problem prepared once (what re-planning a sampled problem costs).
        let planner = Planner::new(&p).expect("valid problem");
        for pct in [10, 50, 90] {
            let b = lat[(lat.len() - 1) * pct / 100];
            g.bench_function(format!("{}/prepared-p{pct}", r.name), |bch| {
                bch.iter(|| planner.solve(black_box(latency(b))))
            });
        }
    }
    g.finish();
}

fn frontier_all(c: &mut Criterion) {
    let mut g = c.benchmark_group("frontier");
    g.sample_size(10);
    for r in references() {
        let p = r.problem();
        g.bench_function(r.name, |b| {
            b.iter(|| frontier(black_box(&p), FrontierSettings::default()))
        });
    }
    g.finish();
}

criterion_group!(benches, fit, sample, solve_one, frontier_all);
criterion_main!(benches);
