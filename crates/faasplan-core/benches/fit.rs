//! Fitting every stage model of a bundled workflow, and the fit report
//! (fit + leave-one-configuration-out cross-validation) at 1k / 10k / 100k runs.
//!
//! The large profiles repeat the ML pipeline's runs (23 configurations per stage)
//! with deterministic ±1% perturbations of the compute and start-up times, so the
//! configurations stay the same and only the runs per configuration grow.

/// The bundled workflows, read as the integration tests read them.
#[path = "../tests/it/model/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

use criterion::{Criterion, criterion_group, criterion_main};
use faasplan_core::model::{fit_report, fit_workflow};
use std::hint::black_box;

fn fit(c: &mut Criterion) {
    let mut g = c.benchmark_group("fit_workflow");
    for (name, w) in [
        ("ml/23cfg", fixtures::ml()),
        ("video/24cfg", fixtures::video()),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                fit_workflow(
                    black_box(&w.workflow),
                    black_box(&w.dag),
                    black_box(&w.profiles),
                )
            })
        });
    }
    g.finish();
}

fn fit_and_cv(c: &mut Criterion) {
    let w = fixtures::ml();
    let mut g = c.benchmark_group("fit_report");
    g.sample_size(10);
    for (name, total) in [("1k", 1_000), ("10k", 10_000), ("100k", 100_000)] {
        let p = fixtures::scaled(&w.profiles, total);
        g.bench_function(name, |b| {
            b.iter(|| fit_report(black_box(&w.workflow), black_box(&w.dag), black_box(&p)))
        });
    }
    g.finish();
}

criterion_group!(benches, fit, fit_and_cv);
criterion_main!(benches);
