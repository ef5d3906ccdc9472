//! Sample efficiency of the profiling advisor (a bench binary, not a timed test).
//!
//! Each bundled workflow's profiles are the "cloud": measuring a configuration
//! reveals all its runs. Every seed starts from 3 random profiled
//! configurations per stage; a strategy then measures one configuration at a
//! time, and after each measurement the plan is the advisor's current plan
//! (the cheapest plan at the bound over the measured configurations, from the
//! stages' GPs, `advisor::propose::current_plan`). Its true latency and cost
//! are read from the full profiles (median runs per configuration). The
//! reference is the full-data plan: the same rule with every configuration
//! measured. The count is the number of measurements until the plan's true
//! cost is within 2% of the reference's and its true latency within the bound
//! (or within the reference's true latency, if that is above the bound). The
//! table also shows the reference's true cost against the cheapest plan on the
//! full medians (what the GP smoothing costs).
//!
//! Strategies: the advisor (batch 1), random order, and a Power-Tuning-style
//! grid sweep (each stage's configurations in memory-then-d order, stages
//! interleaved round-robin). For the advisor, the table also shows when its
//! stopping rule (expected gain < 1%) first fired and the plan's cost gap then.
//!
//! `cargo bench -p faasplan-core --bench advisor -- SEEDS` (default 20). With
//! `--forecast`, instead: the SMAPE of each forecaster (`advisor::forecast`) on
//! generated traces (7 days, a stage with d = 4 and 30 s runs, scored from the
//! second day), mean over the seeds. With `--prewarm`: the pre-warm planner
//! (`advisor::prewarm`) with each forecaster on generated 7-day traces (day 1
//! history, day 2 calibration, days 3–7 scored), against no provisioned
//! concurrency and always-on at the same cold-start rate, mean over the seeds
//! (`--target PCT`: the cold-start target, default 1%).

use std::time::Instant;

use faasplan_core::advisor::forecast::{Forecaster, TraceKind, concurrency, generate, smape};
use faasplan_core::advisor::observations::{ConfigObs, stage_observations};
use faasplan_core::advisor::prewarm::{PrewarmSettings, StageLoad, plan_prewarm};
use faasplan_core::advisor::propose::{
    AdvisorSettings, CurrentPlan, StageInput, advise, current_plan,
};
use faasplan_core::advisor::surrogate::{Choice, Surrogate, stage_cost_usd};
use faasplan_core::dag::{Config, Dag};
use faasplan_core::formats::jolteon::{self, JolteonProfileOptions};
use faasplan_core::platform::{Platform, Preset};
use faasplan_core::profile::Profiles;
use faasplan_core::rng::{stream, uniform};

const ML: (&str, &str) = (
    include_str!("../../../static/examples/ML-pipeline.json"),
    include_str!("../../../static/examples/ML-Pipeline_profile.json"),
);
const VIDEO: (&str, &str) = (
    include_str!("../../../static/examples/Video-analytics.json"),
    include_str!("../../../static/examples/Video-Analytics_profile.json"),
);

/// A plan's cost within this factor of the reference counts as found.
const WITHIN: f64 = 1.02;
/// Configurations measured per stage before any strategy starts.
const INITIAL: usize = 3;

/// The full profiles and what they say about every configuration.
struct Cloud {
    dag: Dag,
    platform: Platform,
    profiles: Profiles,
    /// Per stage: the full-data observation of each configuration.
    truth: Vec<Vec<ConfigObs>>,
    stage_ids: Vec<String>,
}

impl Cloud {
    fn options(&self) -> Vec<Vec<Choice>> {
        self.truth
            .iter()
            .map(|obs| {
                obs.iter()
                    .map(|o| Choice {
                        config: o.config,
                        latency_s: o.ln_wall.exp(),
                        cost_usd: stage_cost_usd(&self.platform, o.config, o.ln_billed.exp()),
                    })
                    .collect()
            })
            .collect()
    }

    /// True latency and cost of a plan.
    fn judge(&self, plan: &CurrentPlan, bound_s: f64) -> (f64, f64) {
        let opts = self.options();
        let mut lat = Vec::new();
        let mut cost = 0.0;
        for (s, (_, c)) in plan.configs.iter().enumerate() {
            let o = opts[s]
                .iter()
                .find(|o| o.config == *c)
                .expect("a measured configuration");
            lat.push(o.latency_s);
            cost += o.cost_usd;
        }
        (Surrogate::new(&self.dag, bound_s).latency_s(&lat), cost)
    }

    /// The stage inputs with the `measured` configurations of each stage.
    fn inputs(&self, measured: &[Vec<Config>]) -> Vec<StageInput> {
        self.profiles
            .stages
            .iter()
            .zip(measured)
            .enumerate()
            .map(|(s, (sp, m))| {
                let mut sp = sp.clone();
                sp.runs.retain(|r| {
                    m.contains(&Config {
                        memory_mb: r.memory_mb,
                        d: r.d,
                    })
                });
                StageInput {
                    stage: self.stage_ids[s].clone(),
                    measured: stage_observations(&sp),
                    candidates: self.truth[s].iter().map(|o| o.config).collect(),
                }
            })
            .collect()
    }
}

fn cloud(files: (&str, &str)) -> Cloud {
    let (workflow, profiles) =
        jolteon::import(files.0, files.1, None, &JolteonProfileOptions::default())
            .expect("bundled files import");
    let dag = workflow.validate().expect("bundled workflow is valid");
    // Profiles in workflow stage order.
    let stages = workflow
        .stages
        .iter()
        .map(|st| {
            profiles
                .stage(&st.id)
                .expect("every stage profiled")
                .clone()
        })
        .collect();
    let profiles = Profiles {
        mb_per_vcpu: profiles.mb_per_vcpu,
        stages,
    };
    let truth = profiles.stages.iter().map(stage_observations).collect();
    Cloud {
        dag,
        platform: Preset::AwsX86_64.platform(),
        profiles,
        truth,
        stage_ids: workflow.stages.iter().map(|s| s.id.clone()).collect(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Strategy {
    Advisor,
    Random,
    Grid,
}

struct Outcome {
    /// Measurements (after the initial ones) until within 2%; `None` if never.
    found_after: Option<usize>,
    /// Advisor only: measurements when the stopping rule first fired, and the true cost gap then (%).
    stopped: Option<(usize, f64)>,
}

fn run(c: &Cloud, bound_s: f64, reference: (f64, f64), strategy: Strategy, seed: u64) -> Outcome {
    let (max_latency, reference) = reference;
    let mut rng = stream(seed, 0);
    let mut pool: Vec<(usize, Config)> = Vec::new();
    let mut measured: Vec<Vec<Config>> = Vec::new();
    for (s, obs) in c.truth.iter().enumerate() {
        let mut cfgs: Vec<Config> = obs.iter().map(|o| o.config).collect();
        let mut first = Vec::new();
        for _ in 0..INITIAL.min(cfgs.len()) {
            let k = (uniform(&mut rng) * cfgs.len() as f64) as usize % cfgs.len();
            first.push(cfgs.remove(k));
        }
        measured.push(first);
        cfgs.sort();
        pool.extend(cfgs.into_iter().map(|cfg| (s, cfg)));
    }
    if strategy == Strategy::Grid {
        // Round-robin over the stages, each in memory-then-d order.
        let stages = c.truth.len();
        let mut per: Vec<Vec<(usize, Config)>> = vec![Vec::new(); stages];
        for p in pool.drain(..) {
            per[p.0].push(p);
        }
        let most = per.iter().map(Vec::len).max().unwrap_or(0);
        for k in 0..most {
            for list in &per {
                if let Some(p) = list.get(k) {
                    pool.push(*p);
                }
            }
        }
    }
    let settings = AdvisorSettings {
        batch: 1,
        draws: 127,
        ..AdvisorSettings::default()
    };
    let mut stopped = None;
    for step in 0..=pool.len() + 1 {
        let inputs = c.inputs(&measured);
        let (plan, next) = if strategy == Strategy::Advisor {
            let advice = advise(&c.dag, &inputs, &c.platform, bound_s, &settings).expect("advice");
            let next = advice.proposals.first().map(|p| {
                let s = c
                    .stage_ids
                    .iter()
                    .position(|id| *id == p.stage)
                    .expect("a stage");
                (
                    s,
                    Config {
                        memory_mb: p.memory_mb,
                        d: p.d,
                    },
                )
            });
            if advice.stop && stopped.is_none() {
                let gap = advice.plan.as_ref().map_or(f64::INFINITY, |p| {
                    100.0 * (c.judge(p, bound_s).1 / reference - 1.0)
                });
                stopped = Some((step, gap));
            }
            (advice.plan, next)
        } else {
            let plan = current_plan(&c.dag, &inputs, &c.platform, bound_s).expect("a plan");
            let next = match strategy {
                Strategy::Random if !pool.is_empty() => {
                    Some(pool[(uniform(&mut rng) * pool.len() as f64) as usize % pool.len()])
                }
                _ => pool.first().copied(),
            };
            (plan, next)
        };
        if let Some(p) = &plan {
            let (lat, cost) = c.judge(p, bound_s);
            if lat <= max_latency * (1.0 + 1e-9) && cost <= WITHIN * reference {
                return Outcome {
                    found_after: Some(step),
                    stopped,
                };
            }
        }
        let Some(next) = next else { break };
        pool.retain(|p| *p != next);
        measured[next.0].push(next.1);
    }
    Outcome {
        found_after: None,
        stopped,
    }
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let all: Vec<String> = std::env::args().collect();
    let seeds: u64 = all
        .iter()
        .enumerate()
        .skip(1)
        .find(|(i, a)| !a.starts_with('-') && all[i - 1] != "--target")
        .map(|(_, a)| a)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let started = Instant::now();
    if std::env::args().any(|a| a == "--prewarm") {
        prewarm_table(seeds);
        eprintln!("{seeds} seeds in {:.1} s", started.elapsed().as_secs_f64());
        return;
    }
    if std::env::args().any(|a| a == "--forecast") {
        forecast_table(seeds);
        eprintln!("{seeds} seeds in {:.1} s", started.elapsed().as_secs_f64());
        return;
    }
    println!(
        "| workflow | bound (s) | configs | strategy | found within 2% (runs) | measurements: median | P25–P75 | min–max | advisor stop: median measurements, median / max gap % |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, files) in [("ML pipeline", ML), ("Video analytics", VIDEO)] {
        let c = cloud(files);
        let opts = c.options();
        let total: usize = c.truth.iter().map(Vec::len).sum();
        // The fastest and the cheapest feasible latencies of the full data.
        let cheapest = Surrogate::new(&c.dag, f64::INFINITY)
            .solve(&opts)
            .expect("a plan");
        let (mut lo, mut hi) = (0.0, cheapest.latency_s);
        for _ in 0..40 {
            let mid = 0.5 * (lo + hi);
            if Surrogate::new(&c.dag, mid).solve(&opts).is_some() {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        for f in [0.25, 0.5] {
            let bound_s = ((hi + f * (cheapest.latency_s - hi)) * 100.0).round() / 100.0;
            let best = Surrogate::new(&c.dag, bound_s)
                .solve(&opts)
                .expect("a plan")
                .cost_usd;
            let all: Vec<Vec<Config>> = c
                .truth
                .iter()
                .map(|o| o.iter().map(|o| o.config).collect())
                .collect();
            let full = current_plan(&c.dag, &c.inputs(&all), &c.platform, bound_s)
                .expect("a plan")
                .expect("the full data meets the bound");
            let (full_latency, reference) = c.judge(&full, bound_s);
            eprintln!(
                "{name} at {bound_s} s: full-data plan {:.6} USD, {:.2} s (true); cheapest on the medians {:.6} USD ({:+.2}%)",
                reference,
                full_latency,
                best,
                100.0 * (reference / best - 1.0)
            );
            let reference = (bound_s.max(full_latency), reference);
            for (label, strategy) in [
                ("advisor", Strategy::Advisor),
                ("random", Strategy::Random),
                ("grid sweep", Strategy::Grid),
            ] {
                let outcomes: Vec<Outcome> = (0..seeds)
                    .map(|seed| run(&c, bound_s, reference, strategy, seed))
                    .collect();
                let mut found: Vec<f64> = outcomes
                    .iter()
                    .filter_map(|o| o.found_after)
                    .map(|n| n as f64)
                    .collect();
                let stop = if strategy == Strategy::Advisor {
                    let mut at: Vec<f64> = outcomes
                        .iter()
                        .filter_map(|o| o.stopped)
                        .map(|s| s.0 as f64)
                        .collect();
                    let mut gap: Vec<f64> = outcomes
                        .iter()
                        .filter_map(|o| o.stopped)
                        .map(|s| s.1)
                        .collect();
                    if at.is_empty() {
                        "never fired".to_string()
                    } else {
                        format!(
                            "{} runs: {:.0}, {:.2} / {:.2}",
                            at.len(),
                            quantile(&mut at, 0.5),
                            quantile(&mut gap, 0.5),
                            quantile(&mut gap, 1.0)
                        )
                    }
                } else {
                    "–".to_string()
                };
                let n = found.len();
                if n == 0 {
                    println!(
                        "| {name} | {bound_s} | {total} | {label} | 0/{seeds} | – | – | – | {stop} |"
                    );
                } else {
                    println!(
                        "| {name} | {bound_s} | {total} | {label} | {n}/{seeds} | {:.0} | {:.0}–{:.0} | {:.0}–{:.0} | {stop} |",
                        quantile(&mut found, 0.5),
                        quantile(&mut found, 0.25),
                        quantile(&mut found, 0.75),
                        quantile(&mut found, 0.0),
                        quantile(&mut found, 1.0)
                    );
                }
            }
        }
    }
    eprintln!("{seeds} seeds in {:.1} s", started.elapsed().as_secs_f64());
}

fn forecasters() -> [(&'static str, Forecaster); 4] {
    [
        (
            "fixed keep-alive (10 min)",
            Forecaster::KeepAlive { minutes: 10 },
        ),
        (
            "seasonal naive (1 day)",
            Forecaster::SeasonalNaive { season: 1440 },
        ),
        (
            "Holt–Winters (α 0.2, γ 0.1)",
            Forecaster::HoltWinters {
                season: 1440,
                alpha: 0.2,
                gamma: 0.1,
            },
        ),
        (
            "quantile (HW + P90 of 120 errors)",
            Forecaster::Quantile {
                season: 1440,
                q: 0.9,
                window: 120,
            },
        ),
    ]
}

fn forecast_table(seeds: u64) {
    let forecasters = forecasters();
    println!("| trace | {} |", forecasters.map(|f| f.0).join(" | "));
    println!("|---|{}", "---|".repeat(forecasters.len()));
    for (name, kind) in [
        ("diurnal", TraceKind::Diurnal),
        ("bursty", TraceKind::Bursty),
        ("sparse", TraceKind::Sparse),
    ] {
        let mut sums = [0.0; 4];
        for seed in 0..seeds {
            let y = concurrency(&generate(kind, 7 * 1440, seed), 4, 30.0);
            for (k, (_, f)) in forecasters.iter().enumerate() {
                sums[k] += smape(&y, &f.forecast(&y), 1440);
            }
        }
        let cells: Vec<String> = sums
            .iter()
            .map(|s| format!("{:.1}%", s / seeds as f64))
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
}

fn prewarm_table(seeds: u64) {
    // `--target PCT`: the cold-start target, % (default 1).
    let args: Vec<String> = std::env::args().collect();
    let target_cold_pct: f64 = args
        .iter()
        .position(|a| a == "--target")
        .and_then(|i| args.get(i + 1))
        .and_then(|a| a.parse().ok())
        .unwrap_or(1.0);
    println!("Target: {target_cold_pct}% cold instance starts.\n");
    let platform = faasplan_core::platform::Platform::default();
    let load = StageLoad {
        stage: "stage".into(),
        memory_mb: 2048,
        d: 4,
        duration_s: 30.0,
    };
    println!(
        "| trace | forecaster | SMAPE of N̂ | plan: cold % | plan: USD/month | always on at the plan's rate: P, USD/month | none: cold %, USD/month |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (name, kind) in [
        ("diurnal", TraceKind::Diurnal),
        ("bursty", TraceKind::Bursty),
        ("sparse", TraceKind::Sparse),
    ] {
        for (fname, forecaster) in forecasters() {
            let settings = PrewarmSettings {
                forecaster,
                target_cold_pct,
                ..PrewarmSettings::default()
            };
            let mut sums = [0.0; 7];
            for seed in 0..seeds {
                let trace = generate(kind, 7 * 1440, seed);
                let plan = plan_prewarm(&trace, std::slice::from_ref(&load), &platform, &settings)
                    .expect("valid settings");
                let s = &plan.stages[0];
                for (k, v) in [
                    s.smape_pct,
                    s.planned.cold_pct,
                    s.planned.monthly_usd,
                    f64::from(s.always_on_p),
                    s.always_on.monthly_usd,
                    s.none.cold_pct,
                    s.none.monthly_usd,
                ]
                .into_iter()
                .enumerate()
                {
                    sums[k] += v;
                }
            }
            let m = sums.map(|v| v / seeds as f64);
            println!(
                "| {name} | {fname} | {:.1}% | {:.2}% | {:.2} | {:.1}, {:.2} | {:.2}%, {:.2} |",
                m[0], m[1], m[2], m[3], m[4], m[5], m[6]
            );
        }
    }
}
