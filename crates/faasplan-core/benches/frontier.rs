//! The whole exact frontier (and the 1 s-step thinned one) of each synthetic shape.

use criterion::{Criterion, criterion_group, criterion_main};
use faasplan_core::frontier::{FrontierSettings, frontier};
use faasplan_core::solve::synthetic::{Shape, problem};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("frontier");
    g.sample_size(10);
    for (name, shape) in [
        ("ml", Shape::Ml),
        ("video", Shape::Video),
        ("eight", Shape::Eight),
    ] {
        let p = problem(shape, 6000, 1);
        for (tag, step) in [("exact", 0.0), ("step1s", 1.0)] {
            let s = FrontierSettings { min_step_s: step };
            g.bench_function(format!("{name}/{tag}"), |b| {
                b.iter(|| frontier(black_box(&p), s.clone()))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
