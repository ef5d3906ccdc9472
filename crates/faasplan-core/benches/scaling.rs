//! Scaling of one bound and of the exact frontier with the workflow's size.
//!
//! Chains and fan-outs (`solve::synthetic::scaled`) of 4–32 stages with 16–160
//! configurations per stage. Every case runs in its own child process so that its
//! peak resident memory (`VmHWM`) is its own. Per case: the exact frontier (time,
//! points, nodes; stopped at the time limit), one bound solved on a prepared problem
//! (median of 5 at the hardest of the frontier's 10th/50th/90th percentile latencies),
//! and the resolution-bounded frontier at 500 slider positions with one thread and
//! with every core.
//!
//! ```sh
//! cargo bench -p faasplan-core --features parallel --bench scaling               # every case
//! cargo bench -p faasplan-core --features parallel --bench scaling -- fanout/32  # names containing it
//! ```
//! `SCALING_LIMIT_S` sets the frontier's time limit (default 60 s).

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use faasplan_core::settings::Bound;
use faasplan_core::solve::frontier::{
    FrontierBuilder, FrontierProgress, FrontierSettings, ResolutionBuilder, ResolutionProgress,
};
use faasplan_core::solve::synthetic::{Topology, scaled};
use faasplan_core::solve::{Planner, SolveSettings};
use std::time::{Duration, Instant};

struct Case {
    topology: Topology,
    stages: usize,
    configs: usize,
    samples: usize,
}

impl Case {
    fn name(&self) -> String {
        let t = match self.topology {
            Topology::Chain => "chain",
            Topology::FanOut => "fanout",
        };
        format!("{t}/{}x{}/N{}", self.stages, self.configs, self.samples)
    }
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for topology in [Topology::Chain, Topology::FanOut] {
        for stages in [4, 8, 12, 16, 24, 32] {
            v.push(Case {
                topology,
                stages,
                configs: 16,
                samples: 1000,
            });
        }
        for stages in [4, 8] {
            v.push(Case {
                topology,
                stages,
                configs: 160,
                samples: 5000,
            });
        }
    }
    v.push(Case {
        topology: Topology::FanOut,
        stages: 64,
        configs: 16,
        samples: 1000,
    });
    v
}

fn threads() -> usize {
    #[cfg(feature = "parallel")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

fn peak_rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn run_case(c: &Case, limit: Duration) {
    let p = scaled(c.topology, c.stages, c.configs, c.samples, 1);
    let t0 = Instant::now();
    let mut b = FrontierBuilder::new(&p, FrontierSettings::default()).unwrap();
    let mut finished = false;
    while t0.elapsed() < limit {
        if b.step(20_000) == FrontierProgress::Finished {
            finished = true;
            break;
        }
    }
    let frontier_t = t0.elapsed();
    let f = b.frontier();
    let nodes = b.nodes();
    let lats: Vec<f64> = f.points.iter().map(|x| x.guaranteed_latency_s).collect();
    let planner = Planner::new(&p).unwrap();
    let mut hardest = Duration::ZERO;
    if !lats.is_empty() {
        for q in [0.1, 0.5, 0.9] {
            let max_s = lats[((lats.len() - 1) as f64 * q) as usize];
            let mut times: Vec<Duration> = (0..5)
                .map(|_| {
                    let t = Instant::now();
                    let s = SolveSettings {
                        bound: Bound::Latency { max_s },
                        max_nodes: None,
                    };
                    std::hint::black_box(planner.solve(s).unwrap());
                    t.elapsed()
                })
                .collect();
            times.sort();
            hardest = hardest.max(times[2]);
        }
    }
    // The resolution-bounded frontier at 500 positions: one thread, then every core.
    let t1 = Instant::now();
    let mut rb = ResolutionBuilder::new(&p, 500).unwrap();
    let mut res_done = false;
    while t1.elapsed() < limit {
        if rb.step(1) == ResolutionProgress::Finished {
            res_done = true;
            break;
        }
    }
    let res_single = t1.elapsed();
    let res_points = rb.result().frontier().points.len();
    let res = if res_done {
        format!("{:.0} ms ({} points)", ms(res_single), res_points)
    } else {
        format!("> {:.0} s (stopped)", limit.as_secs_f64())
    };
    #[cfg(feature = "parallel")]
    let res_par = if res_done {
        let t2 = Instant::now();
        let par = ResolutionBuilder::new(&p, 500).unwrap().run_parallel();
        let d = t2.elapsed();
        assert_eq!(
            par,
            rb.result(),
            "parallel answers differ from single-threaded"
        );
        format!("{:.0} ms", ms(d))
    } else {
        "—".to_string()
    };
    #[cfg(not(feature = "parallel"))]
    let res_par = "(feature off)".to_string();
    let frontier = if finished {
        format!("{:.0} ms", ms(frontier_t))
    } else {
        format!("> {:.0} s (stopped)", limit.as_secs_f64())
    };
    println!(
        "| {} | {:.2} ms | {} | {} | {} | {} | {} | {:.0} MB |",
        c.name(),
        ms(hardest),
        frontier,
        f.points.len(),
        nodes,
        res,
        res_par,
        peak_rss_mb()
    );
}

fn main() {
    let limit = Duration::from_secs_f64(
        std::env::var("SCALING_LIMIT_S")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(60.0),
    );
    if let Ok(name) = std::env::var("SCALING_CASE") {
        if let Some(c) = cases().into_iter().find(|c| c.name() == name) {
            run_case(&c, limit);
        }
        return;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let exe = std::env::current_exe().unwrap();
    println!(
        "| case | one bound (median, hardest of 3) | exact frontier | points | nodes | 500 positions, 1 thread | 500 positions, {} threads | peak RSS |",
        threads()
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for c in cases() {
        let name = c.name();
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let out = std::process::Command::new(&exe)
            .env("SCALING_CASE", &name)
            .output()
            .unwrap();
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            println!(
                "| {name} | failed: {} |",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
}
