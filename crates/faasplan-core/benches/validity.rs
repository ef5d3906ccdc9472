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
//! Seeds run in rounds of ten across every row, so a run stopped early has the
//! same seeds in every row; the cumulative table is printed after each round,
//! with the violation count pooled over all rows. With the `parallel` feature the
//! seeds of a round run on every core (the figures are the same as on one thread).
//! Distinct plans are few, so each plan's truth is computed once and kept as its
//! quantile and its violation at each bound.
//!
//! `cargo bench -p faasplan-core --features parallel --bench validity -- SEEDS Q... [--truth N]`,
//! e.g. `-- 500` (q = 0.95, 0.99 and 0.999). With `--compare`, the table of
//! docs/comparison.md instead: expected cost of today's certified plans against the
//! former defaults (Hoeffding N at α = 0, the slowest sample as guarantee).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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
/// Seeds per round: every row gets this many more seeds before the table is printed again.
const BATCH: u64 = 10;

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
    try_prepared(s, settings).expect("samples")
}

fn try_prepared(
    s: &Setup,
    settings: &PlanSettings,
) -> Result<Prepared, faasplan_core::sampling::SamplingError> {
    let dag = s.project.workflow.validate().expect("valid");
    let problem = build_problem(
        &s.project.workflow,
        &dag,
        &s.model,
        &s.project.platform,
        settings,
    )?;
    Ok(Prepared {
        dag,
        model: s.model.clone(),
        problem,
    })
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

/// What the truth samples say about one plan: its true q-quantile and its true
/// violation probability at each bound of its row.
struct Truth {
    quantile_s: f64,
    violation: Vec<f64>,
}

/// One (workflow, q) row of the experiment, accumulated over seed batches.
struct Row<'s> {
    setup: &'s Setup,
    q: f64,
    bounds: Vec<f64>,
    cache: Mutex<HashMap<Vec<Config>, Arc<Truth>>>,
    seeds: u64,
    runs: u64,
    bad: u64,
    infeasible: u64,
    tightened: u64,
    ratios: Vec<f64>,
    max_true_violation: f64,
    secs: f64,
}

/// The outcome of one bound under one seed.
enum Outcome {
    NoCertifiedPlan,
    Certified {
        tightened: bool,
        violation: f64,
        ratio: f64,
    },
}

impl<'s> Row<'s> {
    fn new(setup: &'s Setup, q: f64) -> Self {
        Row {
            setup,
            q,
            bounds: bounds(setup, q),
            cache: Mutex::new(HashMap::new()),
            seeds: 0,
            runs: 0,
            bad: 0,
            infeasible: 0,
            tightened: 0,
            ratios: Vec::new(),
            max_true_violation: 0.0,
            secs: 0.0,
        }
    }

    fn truth(&self, prep: &Prepared, plan: &[Config], truth_n: usize) -> Arc<Truth> {
        let known = self.cache.lock().expect("not poisoned").get(plan).cloned();
        if let Some(t) = known {
            return t;
        }
        let lat = truth(self.setup, prep, self.q, plan, truth_n);
        let t = Arc::new(Truth {
            quantile_s: quantile_sorted(&lat, self.q),
            violation: self
                .bounds
                .iter()
                .map(|&b| (lat.len() - lat.partition_point(|&l| l <= b)) as f64 / lat.len() as f64)
                .collect(),
        });
        self.cache
            .lock()
            .expect("not poisoned")
            .insert(plan.to_vec(), t.clone());
        t
    }

    /// Plans every bound under one seed, certified, and judges each plan on the truth.
    fn seed(&self, seed: u64, truth_n: usize) -> Vec<Outcome> {
        let s = self.setup;
        let mut p = s.project.clone();
        p.settings = PlanSettings {
            percentile: self.q,
            seed,
            ..PlanSettings::default()
        };
        let mut prep = prepared(s, &p.settings);
        let a0 = prep.problem.allowed_violations;
        let mut out = Vec::with_capacity(self.bounds.len());
        for (i, &b) in self.bounds.iter().enumerate() {
            prep.problem.allowed_violations = a0;
            p.settings.bound = Bound::Latency { max_s: b };
            let r = pipeline::solve_certified(&p, &mut prep, Limits::default()).expect("plans");
            let g = r.guarantee.as_ref().expect("a guarantee");
            let Some(c) = g
                .certificate
                .as_ref()
                .filter(|c| c.meets_bound == Some(true))
            else {
                out.push(Outcome::NoCertifiedPlan);
                continue;
            };
            let t = self.truth(&prep, &configs(&r), truth_n);
            let certified = c.certified_latency_s.expect("a certified latency");
            out.push(Outcome::Certified {
                tightened: g.attempts > 1,
                violation: t.violation[i],
                ratio: certified / t.quantile_s,
            });
        }
        out
    }

    /// Runs seeds `from..to` (on every core with the `parallel` feature) and adds them up.
    fn batch(&mut self, from: u64, to: u64, truth_n: usize) {
        let t0 = Instant::now();
        #[cfg(feature = "parallel")]
        let outcomes: Vec<Vec<Outcome>> = {
            use rayon::prelude::*;
            (from..to)
                .into_par_iter()
                .map(|seed| self.seed(seed, truth_n))
                .collect()
        };
        #[cfg(not(feature = "parallel"))]
        let outcomes: Vec<Vec<Outcome>> = (from..to).map(|seed| self.seed(seed, truth_n)).collect();
        let eps = 1.0 - self.q;
        for o in outcomes.into_iter().flatten() {
            match o {
                Outcome::NoCertifiedPlan => self.infeasible += 1,
                Outcome::Certified {
                    tightened,
                    violation,
                    ratio,
                } => {
                    self.runs += 1;
                    self.tightened += u64::from(tightened);
                    self.bad += u64::from(violation > eps);
                    self.max_true_violation = self.max_true_violation.max(violation);
                    self.ratios.push(ratio);
                }
            }
        }
        self.seeds += to - from;
        self.secs += t0.elapsed().as_secs_f64();
    }

    fn print(&self) {
        let rate = self.bad as f64 / self.runs.max(1) as f64;
        let upper = clopper_pearson_upper(self.bad, self.runs.max(1), 0.05);
        let worst = self.ratios.iter().copied().fold(f64::NAN, f64::max);
        let med = median(&mut self.ratios.clone());
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} ({:.4}%, ≤ {:.4}%) | {:.4}% | {med:.4} | {worst:.4} | {} | {:.0} s |",
            self.setup.name,
            self.q,
            self.bounds
                .iter()
                .map(|b| format!("{b:.2}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.seeds,
            self.runs,
            self.infeasible,
            self.tightened,
            self.bad,
            rate * 100.0,
            upper * 100.0,
            self.max_true_violation * 100.0,
            self.cache.lock().expect("not poisoned").len(),
            self.secs
        );
    }
}

/// Prints the pooled violation count over every row with its 95% upper bound.
fn print_pooled(rows: &[Row]) {
    let runs: u64 = rows.iter().map(|r| r.runs).sum();
    let bad: u64 = rows.iter().map(|r| r.bad).sum();
    println!(
        "pooled: {bad} of {runs} certified plans truly violating, 95% upper bound {:.4}% (δ = 0.1%)",
        clopper_pearson_upper(bad, runs.max(1), 0.05) * 100.0
    );
}

const HEADER: &str = "| workflow | q | bounds, s | seeds | certified runs | no certified plan | tightened | truly violating (rate, 95% upper) | worst true violation | tightness median | tightness worst | distinct plans | time |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|";

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
    let mut old_fits = true;
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
                let Ok(mut prep) = try_prepared(s, &old) else {
                    old_fits = false;
                    continue;
                };
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
            format!("refused: N = {n_old} over the table budget")
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
    println!("truth: {truth_n} samples per distinct plan; seeds run in rounds of {BATCH}");
    let mut rows: Vec<Row> = setups
        .iter()
        .flat_map(|s| qs.iter().map(move |&q| (s, q)))
        .map(|(s, q)| Row::new(s, q))
        .collect();
    let mut done = 0;
    while done < seeds {
        let to = (done + BATCH).min(seeds);
        for r in &mut rows {
            r.batch(done + 1, to + 1, truth_n);
        }
        done = to;
        println!("\nafter seeds 1..={done}:\n{HEADER}");
        for r in &rows {
            r.print();
        }
        print_pooled(&rows);
        std::io::Write::flush(&mut std::io::stdout()).expect("stdout");
    }
}
