//! Fitting every stage model of a bundled workflow.

/// The bundled workflows, read as the integration tests read them.
#[path = "../tests/it/model/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

use criterion::{Criterion, criterion_group, criterion_main};
use faasplan_core::model::fit_workflow;
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

criterion_group!(benches, fit);
criterion_main!(benches);
