//! Validity and tightness of the certified guarantee (a bench binary, not a timed test).
//!
//! For each bundled workflow (imported as the importer does it, AWS x86_64 prices,
//! δ = 0.001) and each percentile q, five latency bounds are set from the tightest
//! bound a seed-0 plan reaches (× 1.02, 1.05, 1.10, 1.25, 1.50). For every seed the
//! planning samples are drawn, every bound is planned with certification
//! (`pipeline::solve_certified`), and each chosen plan's *true* violation probability
//! and q-quantile are estimated on `--truth` fresh samples (10⁶ by default) from a
//! seed no run uses. Distinct plans are few, so each plan's truth is computed once.
//!
//! The results accumulate in a CSV file, one line per (workflow, q, bound, seed)
//! (`docs/data/validity/results.csv` by default, `--out FILE`); a run appends the
//! seeds of its range that the file does not hold yet, in rounds of ten seeds across
//! every row (so a run stopped early has the same seeds in every row), one write per
//! round and row. Seeds are independent: runs over several ranges give the lines of
//! one run over their union. `--report` prints the docs table from every line of the
//! file: per (workflow, q) the truly violating runs (true violation > 1 − q) with
//! their Clopper–Pearson interval (the guarantee asks the rate to be ≤ δ) and the
//! tightness certified ÷ true q-quantile.
//!
//! ```text
//! cargo bench -p faasplan-core --features parallel --bench validity -- --seeds 1..=100 0.999
//! cargo bench -p faasplan-core --features parallel --bench validity -- --from 101 --to 500 0.95 0.99
//! cargo bench -p faasplan-core --features parallel --bench validity -- --report
//! ```
//!
//! A bare count (`-- 500`) is seeds 1..=500; without a percentile, q = 0.95, 0.99 and
//! 0.999. With the `parallel` feature the seeds of a round run on every core (the
//! lines are the same as on one thread). With `--compare`, the table of
//! docs/comparison.md instead: expected cost of today's certified plans against the
//! former defaults (Hoeffding N at α = 0, the slowest sample as guarantee), over seeds
//! 1..=SEEDS.

// Shared with the core's integration tests, which use parts this binary does not.
#[allow(dead_code)]
#[path = "validity/experiment.rs"]
mod experiment;

use std::path::PathBuf;

use experiment::{Row, Setup, accumulate, bounds, prepared, read_records, report, try_prepared};
use faasplan_core::pipeline::{self, Limits};
use faasplan_core::sampling::candidates;
use faasplan_core::settings::{Bound, PlanSettings, SampleCount};
use faasplan_core::solve::{SolveSettings, evaluate, solve};

/// Seeds per round: every row gets this many more seeds before the next round.
const BATCH: u64 = 10;

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

fn usage(msg: &str) -> ! {
    eprintln!(
        "validity: {msg}\nusage: validity [SEEDS | --seeds A..=B | --from A --to B] [Q...] [--truth N] [--out FILE]\n       validity --report [--out FILE]\n       validity SEEDS [Q...] --compare"
    );
    std::process::exit(2)
}

fn parse<T: std::str::FromStr>(what: &str, v: Option<&String>) -> T {
    let Some(v) = v else {
        usage(&format!("{what} needs a value"))
    };
    v.parse()
        .unwrap_or_else(|_| usage(&format!("{what}: {v:?} is not a valid value")))
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (mut from, mut to) = (1u64, 500u64);
    let mut qs = Vec::new();
    let mut truth_n = 1_000_000;
    let (mut cmp, mut rep) = (false, false);
    let mut out = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/data/validity/results.csv"
    ));
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--truth" => truth_n = parse("--truth", it.next()),
            "--compare" => cmp = true,
            "--report" => rep = true,
            "--out" => out = PathBuf::from(parse::<String>("--out", it.next())),
            "--from" => from = parse("--from", it.next()),
            "--to" => to = parse("--to", it.next()),
            "--seeds" => {
                let v: String = parse("--seeds", it.next());
                let (a, b) = v
                    .split_once("..=")
                    .unwrap_or_else(|| usage("--seeds takes A..=B"));
                from = parse("--seeds", Some(&a.to_string()));
                to = parse("--seeds", Some(&b.to_string()));
            }
            v if v.contains('.') => qs.push(parse::<f64>("a percentile", Some(&v.to_string()))),
            v => {
                from = 1;
                to = parse("a seed count", Some(&v.to_string()));
            }
        }
    }
    if from == 0 || from > to {
        usage(&format!(
            "seeds {from}..={to}: seed 0 sets the bounds, runs use 1 and up"
        ));
    }
    if rep {
        let recs = read_records(&out).unwrap_or_else(|e| usage(&e));
        print!("{}", report(&recs));
        return;
    }
    if qs.is_empty() {
        qs = vec![0.95, 0.99, 0.999];
    }
    let setups = experiment::setups();
    if cmp {
        println!(
            "| workflow | q | bound, s | former defaults: cost per 10⁶ runs (feasible seeds) | certified: cost per 10⁶ runs (certified seeds) | change |"
        );
        println!("|---|---|---|---|---|---|");
        for s in &setups {
            for &q in &qs {
                compare(s, q, to);
            }
        }
        return;
    }
    println!(
        "truth: {truth_n} samples per distinct plan; seeds {from}..={to} in rounds of {BATCH}; appending to {}",
        out.display()
    );
    let rows: Vec<Row> = setups
        .iter()
        .flat_map(|s| qs.iter().map(move |&q| (s, q)))
        .map(|(s, q)| Row::new(s, q, truth_n))
        .collect();
    let written = accumulate(&rows, from, to, BATCH, &out, &mut |l| {
        println!("{l}");
        std::io::Write::flush(&mut std::io::stdout()).expect("stdout");
    })
    .unwrap_or_else(|e| usage(&e));
    println!("{written} lines appended; the table over the whole file:\n");
    let recs = read_records(&out).unwrap_or_else(|e| usage(&e));
    print!("{}", report(&recs));
}
