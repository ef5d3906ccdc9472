//! Scaling of one bound and of the exact frontier with the workflow's size.
//!
//! Chains and fan-outs (`solve::synthetic::scaled`) of 4–32 stages with 16–160
//! configurations per stage. Every case runs in its own child process so that its
//! peak resident memory (`VmHWM`) is its own. Per case: the exact frontier (time,
//! points, nodes; stopped at the time limit), one bound solved on a prepared problem
//! (median of 5 at the hardest of the frontier's 10th/50th/90th percentile latencies;
//! when the frontier did not finish, of the latencies 10/50/90 % of the way from the
//! fastest plan's to the cheapest plan's, marked ²),
//! and the resolution-bounded frontier at 500 slider positions with one thread and
//! with every core.
//!
//! ```sh
//! cargo bench -p faasplan-core --features parallel --bench scaling               # every case
//! cargo bench -p faasplan-core --features parallel --bench scaling -- fanout/32  # names containing it
//! ```
//! `SCALING_LIMIT_S` sets the frontier's time limit (default 60 s).

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use faasplan_core::settings::{Bound, CostKind};
use faasplan_core::solve::frontier::{
    FrontierBuilder, FrontierProgress, FrontierSettings, ResolutionBuilder, ResolutionProgress,
};
use faasplan_core::solve::synthetic::{Topology, scaled};
use faasplan_core::solve::{Planner, SolveProgress, SolveSettings};
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
    let planner = Planner::new(&p).unwrap();
    // The bounds of the one-bound column: the frontier's points; when it did not
    // finish, the range from the fastest plan's latency to the cheapest plan's.
    let lats: Vec<f64> = if finished {
        f.points.iter().map(|x| x.guaranteed_latency_s).collect()
    } else {
        let end = |bound: Bound| {
            let s = SolveSettings {
                bound,
                max_nodes: None,
            };
            let mut solver = planner.solver(s).unwrap();
            while let SolveProgress::Running { .. } = solver.step(20_000) {}
            solver.solution().guaranteed_latency_s
        };
        let lo = end(Bound::Cost {
            max_usd: f64::INFINITY,
            kind: CostKind::Mean,
        });
        let hi = end(Bound::Latency {
            max_s: f64::INFINITY,
        });
        (0..=10)
            .map(|i| lo + (hi - lo) * f64::from(i) / 10.0)
            .collect()
    };
    // One bound: the hardest median of 5 at three frontier latencies; a solve still
    // running at the time limit is reported as such.
    let mut hardest: Option<Duration> = Some(Duration::ZERO);
    if !lats.is_empty() {
        'q: for q in [0.1, 0.5, 0.9] {
            let max_s = lats[((lats.len() - 1) as f64 * q) as usize];
            let mut times = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                let s = SolveSettings {
                    bound: Bound::Latency { max_s },
                    max_nodes: None,
                };
                let mut solver = planner.solver(s).unwrap();
                while let SolveProgress::Running { .. } = solver.step(20_000) {
                    if t.elapsed() > limit {
                        hardest = None;
                        break 'q;
                    }
                }
                std::hint::black_box(solver.solution());
                times.push(t.elapsed());
            }
            times.sort();
            hardest = hardest.map(|h| h.max(times[2]));
        }
    }
    let mark = if finished { "" } else { " ²" };
    let one = match hardest {
        Some(h) => format!("{:.2} ms{mark}", ms(h)),
        None => format!("> {:.0} s (stopped)", limit.as_secs_f64()),
    };
    // The resolution-bounded frontier at 500 positions: one thread, then every core.
    let t1 = Instant::now();
    let mut rb = match hardest {
        Some(_) => ResolutionBuilder::new(&p, 500).unwrap(),
        None => ResolutionBuilder::with_bounds(&p, Vec::new()).unwrap(),
    };
    let mut res_done = false;
    // Each step is one exact solve, which the limit cannot interrupt: when one bound
    // already ran out of time, the resolution frontier is not attempted.
    while hardest.is_some() && t1.elapsed() < limit {
        if rb.step(1) == ResolutionProgress::Finished {
            res_done = true;
            break;
        }
    }
    let res_single = t1.elapsed();
    let res_points = rb.result().frontier().points.len();
    let res = if hardest.is_none() {
        "not attempted".to_string()
    } else if res_done {
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
        "| {} | {} | {} | {} | {} | {} | {} | {:.0} MB |",
        c.name(),
        one,
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
