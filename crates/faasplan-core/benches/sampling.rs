//! Sampling the reference grid: each bundled workflow, memory every 128 MB over its
//! profiled range, d over the profiled values, q = 0.95, δ = 0.001, α = 0, N from
//! the SAA formula (≈ 5,000). `fresh-alloc` builds the tables in new memory;
//! `reused` recycles the previous tables' buffers (what a rebuild after a settings
//! change does), which isolates the sampling work from the kernel's page faults.

/// The bundled workflows, read as the integration tests read them.
#[path = "../tests/it/model/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

use criterion::{Criterion, criterion_group, criterion_main};
use faasplan_core::model::fit_workflow;
use faasplan_core::platform::Preset;
use faasplan_core::sampling::{Sampler, build_problem};
use faasplan_core::settings::PlanSettings;
use std::hint::black_box;

fn sampling(c: &mut Criterion) {
    let mut g = c.benchmark_group("build_problem");
    g.sample_size(20);
    let platform = Preset::JolteonProfiled.platform();
    let settings = PlanSettings::default();
    for (name, w) in [("ml", fixtures::ml()), ("video", fixtures::video())] {
        let m = fit_workflow(&w.workflow, &w.dag, &w.profiles).expect("bundled profiles fit");
        let build = || {
            build_problem(
                black_box(&w.workflow),
                black_box(&w.dag),
                black_box(&m),
                black_box(&platform),
                black_box(&settings),
            )
            .expect("reference grid samples")
        };
        g.bench_function(format!("{name}/ref-grid/fresh-alloc"), |b| b.iter(build));
        let mut old = Some(build());
        g.bench_function(format!("{name}/ref-grid/reused"), |b| {
            b.iter(|| {
                let mut s = Sampler::new(&w.workflow, &w.dag, &m, &platform, &settings)
                    .expect("valid settings");
                if let Some(o) = old.take() {
                    s.reuse_buffers(o);
                }
                old = Some(s.finish().expect("reference grid samples"));
            })
        });
    }
    g.finish();
}

criterion_group!(benches, sampling);
criterion_main!(benches);
