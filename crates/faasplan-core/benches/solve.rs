//! One bound solved exactly, for bounds spread over each instance's frontier
//! (tight, middle, loose): from scratch (validation, dominance, search) and with
//! a prepared [`Planner`] (the search only, as for a slider move).

use criterion::{Criterion, criterion_group, criterion_main};
use faasplan_core::frontier::{FrontierSettings, frontier};
use faasplan_core::settings::Bound;
use faasplan_core::solve::synthetic::{Shape, problem};
use faasplan_core::solve::{Planner, SolveSettings, solve};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("solve");
    g.sample_size(10);
    for (name, shape) in [
        ("ml", Shape::Ml),
        ("video", Shape::Video),
        ("eight", Shape::Eight),
    ] {
        let p = problem(shape, 6000, 1);
        let f =
            frontier(&p, FrontierSettings { min_step_s: 1.0 }).expect("valid synthetic problem");
        let n = f.points.len();
        for (tag, idx) in [("tight", n / 50), ("mid", n / 2), ("loose", n - 1)] {
            let b = f.points[idx].guaranteed_latency_s;
            let s = SolveSettings {
                bound: Bound::Latency { max_s: b },
                max_nodes: None,
            };
            g.bench_function(format!("{name}/{tag}"), |bch| {
                bch.iter(|| solve(black_box(&p), s.clone()))
            });
            let planner = Planner::new(&p).expect("valid synthetic problem");
            g.bench_function(format!("{name}/{tag}/prepared"), |bch| {
                bch.iter(|| planner.solve(black_box(s.clone())))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
