//! The validity experiment's runs, its results file and its report (used by the
//! `validity` bench binary and by the core's integration tests).
//!
//! One line of the results file per (workflow, q, bound, seed): the plan certified
//! for that bound under that seed's planning samples, judged on the truth samples.
//! Seeds are independent and the truth of a plan does not depend on which seeds
//! ran before, so runs over several seed ranges append exactly the lines one run
//! over their union writes (the test below checks it).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use faasplan_core::dag::Config;
use faasplan_core::formats::jolteon::{self, JolteonProfileOptions};
use faasplan_core::formats::project::Project;
use faasplan_core::model::{WorkflowModel, fit_workflow};
use faasplan_core::pipeline::{self, Limits, Prepared};
use faasplan_core::plan::{PlanReport, PlanStatus};
use faasplan_core::platform::Preset;
use faasplan_core::sampling::{SamplingError, build_problem, evaluate_fresh};
use faasplan_core::settings::{Bound, PlanSettings, SampleCount};
use faasplan_core::stats::binomial::{clopper_pearson_upper, ln_upper};

pub const ML: (&str, &str) = (
    include_str!("../../../../static/examples/ML-pipeline.json"),
    include_str!("../../../../static/examples/ML-Pipeline_profile.json"),
);
pub const VIDEO: (&str, &str) = (
    include_str!("../../../../static/examples/Video-analytics.json"),
    include_str!("../../../../static/examples/Video-Analytics_profile.json"),
);
/// Seed of the truth samples (no planning or certification run uses it).
pub const TRUTH_SEED: u64 = u64::MAX - 7;
/// The bounds of a row: the tightest bound a seed-0 plan reaches times these.
pub const FACTORS: [f64; 5] = [1.02, 1.05, 1.10, 1.25, 1.50];
/// δ of the plans (the default confidence 0.999).
pub const DELTA: f64 = 0.001;
/// The header line of the results file.
pub const CSV_HEADER: &str = "workflow,q,bound,bound_s,seed,certified,attempts,planning_samples,allowed_violations,true_violation,certified_latency_s,true_quantile_s,plan";

/// A bundled workflow, imported as the importer does it, on AWS x86_64 prices.
pub struct Setup {
    pub name: &'static str,
    pub project: Project,
    pub model: WorkflowModel,
}

pub fn setup(name: &'static str, (wf, pf): (&str, &str)) -> Setup {
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

/// Both bundled workflows, in the order of the report.
pub fn setups() -> Vec<Setup> {
    vec![setup("ml", ML), setup("video", VIDEO)]
}

pub fn prepared(s: &Setup, settings: &PlanSettings) -> Prepared {
    try_prepared(s, settings).expect("samples")
}

pub fn try_prepared(s: &Setup, settings: &PlanSettings) -> Result<Prepared, SamplingError> {
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

pub fn configs(r: &PlanReport) -> Vec<Config> {
    r.stages
        .iter()
        .map(|p| Config {
            memory_mb: p.memory_mb,
            d: p.d,
        })
        .collect()
}

/// True latencies of a plan, sorted, on `n` truth samples.
fn truth_latencies(s: &Setup, prep: &Prepared, q: f64, plan: &[Config], n: usize) -> Vec<f64> {
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

/// The five bounds of a (workflow, q) row, from the tightest bound a seed-0 plan reaches.
pub fn bounds(s: &Setup, q: f64) -> Vec<f64> {
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

/// The result of one bound under one seed: a line of the results file.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub workflow: String,
    pub q: f64,
    /// Index of the bound in its row (0..5).
    pub bound: usize,
    pub bound_s: f64,
    pub seed: u64,
    /// Planning samples N and allowance a of the seed's problem.
    pub planning_samples: usize,
    pub allowed_violations: usize,
    /// Solves run for the bound.
    pub attempts: u32,
    /// `None` when no plan was certified to meet the bound.
    pub certified: Option<Certified>,
}

/// A certified plan judged on the truth samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Certified {
    pub true_violation: f64,
    pub certified_latency_s: f64,
    pub true_quantile_s: f64,
    /// The plan: `memory_mb:d` per stage, `;`-separated.
    pub plan: String,
}

impl Record {
    /// The CSV line (no newline); floats in Rust's shortest round-trip form.
    pub fn line(&self) -> String {
        let (flag, rest) = match &self.certified {
            Some(c) => (
                1,
                format!(
                    "{},{},{},{}",
                    c.true_violation, c.certified_latency_s, c.true_quantile_s, c.plan
                ),
            ),
            None => (0, ",,,".to_string()),
        };
        format!(
            "{},{},{},{},{},{flag},{},{},{},{rest}",
            self.workflow,
            self.q,
            self.bound,
            self.bound_s,
            self.seed,
            self.attempts,
            self.planning_samples,
            self.allowed_violations
        )
    }

    /// Parses a CSV line written by [`Record::line`].
    pub fn parse(line: &str) -> Result<Record, String> {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 13 {
            return Err(format!("{} fields, expected 13", f.len()));
        }
        fn num<T: std::str::FromStr>(f: &[&str], i: usize, name: &str) -> Result<T, String> {
            f[i].parse()
                .map_err(|_| format!("field `{name}` is not a number: {:?}", f[i]))
        }
        let certified = match f[5] {
            "1" => Some(Certified {
                true_violation: num(&f, 9, "true_violation")?,
                certified_latency_s: num(&f, 10, "certified_latency_s")?,
                true_quantile_s: num(&f, 11, "true_quantile_s")?,
                plan: f[12].to_string(),
            }),
            "0" => None,
            v => return Err(format!("field `certified` is {v:?}, expected 0 or 1")),
        };
        Ok(Record {
            workflow: f[0].to_string(),
            q: num(&f, 1, "q")?,
            bound: num(&f, 2, "bound")?,
            bound_s: num(&f, 3, "bound_s")?,
            seed: num(&f, 4, "seed")?,
            attempts: num(&f, 6, "attempts")?,
            planning_samples: num(&f, 7, "planning_samples")?,
            allowed_violations: num(&f, 8, "allowed_violations")?,
            certified,
        })
    }
}

/// Reads a results file (a missing file has no records). Errors name the file and line.
pub fn read_records(path: &Path) -> Result<Vec<Record>, String> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            if line != CSV_HEADER {
                return Err(format!(
                    "{}:1: not a results file of this experiment (header {line:?})",
                    path.display()
                ));
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        out.push(Record::parse(line).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?);
    }
    Ok(out)
}

/// One (workflow, q) row of the experiment: its bounds and the truth of the plans seen.
pub struct Row<'s> {
    pub setup: &'s Setup,
    pub q: f64,
    pub bounds: Vec<f64>,
    cache: Mutex<HashMap<Vec<Config>, Arc<Truth>>>,
    truth_n: usize,
}

impl<'s> Row<'s> {
    pub fn new(setup: &'s Setup, q: f64, truth_n: usize) -> Self {
        Row {
            setup,
            q,
            bounds: bounds(setup, q),
            cache: Mutex::new(HashMap::new()),
            truth_n,
        }
    }

    /// This row with other bounds (a row whose lines a results file refuses).
    pub fn with_bounds(self, bounds: Vec<f64>) -> Self {
        Row { bounds, ..self }
    }

    fn truth(&self, prep: &Prepared, plan: &[Config]) -> Arc<Truth> {
        let known = self.cache.lock().expect("not poisoned").get(plan).cloned();
        if let Some(t) = known {
            return t;
        }
        let lat = truth_latencies(self.setup, prep, self.q, plan, self.truth_n);
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

    /// Distinct plans judged so far.
    pub fn distinct_plans(&self) -> usize {
        self.cache.lock().expect("not poisoned").len()
    }

    /// Plans every bound under one seed, certified, and judges each plan on the truth.
    pub fn seed(&self, seed: u64) -> Vec<Record> {
        let s = self.setup;
        let mut p = s.project.clone();
        p.settings = PlanSettings {
            percentile: self.q,
            seed,
            ..PlanSettings::default()
        };
        let mut prep = prepared(s, &p.settings);
        let a0 = prep.problem.allowed_violations;
        let n = prep.problem.n_samples;
        let mut out = Vec::with_capacity(self.bounds.len());
        for (i, &b) in self.bounds.iter().enumerate() {
            prep.problem.allowed_violations = a0;
            p.settings.bound = Bound::Latency { max_s: b };
            let r = pipeline::solve_certified(&p, &mut prep, Limits::default()).expect("plans");
            let g = r.guarantee.as_ref().expect("a guarantee");
            let certified = g
                .certificate
                .as_ref()
                .filter(|c| c.meets_bound == Some(true))
                .map(|c| {
                    let plan = configs(&r);
                    let t = self.truth(&prep, &plan);
                    Certified {
                        true_violation: t.violation[i],
                        certified_latency_s: c.certified_latency_s.expect("a certified latency"),
                        true_quantile_s: t.quantile_s,
                        plan: plan
                            .iter()
                            .map(|c| format!("{}:{}", c.memory_mb, c.d))
                            .collect::<Vec<_>>()
                            .join(";"),
                    }
                });
            out.push(Record {
                workflow: s.name.to_string(),
                q: self.q,
                bound: i,
                bound_s: b,
                seed,
                planning_samples: n,
                allowed_violations: a0,
                attempts: g.attempts,
                certified,
            });
        }
        out
    }

    /// Runs `seeds` (on every core with the `parallel` feature), in order.
    pub fn run(&self, seeds: &[u64]) -> Vec<Record> {
        #[cfg(feature = "parallel")]
        let per_seed: Vec<Vec<Record>> = {
            use rayon::prelude::*;
            seeds.par_iter().map(|&seed| self.seed(seed)).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let per_seed: Vec<Vec<Record>> = seeds.iter().map(|&seed| self.seed(seed)).collect();
        per_seed.into_iter().flatten().collect()
    }

    /// The seeds of this row a results file already holds, after checking that its
    /// lines were made with this row's bounds (else the file is from other code or
    /// another model, and appending would mix two experiments).
    pub fn seeds_done(&self, records: &[Record]) -> Result<BTreeSet<u64>, String> {
        let mut done = BTreeSet::new();
        for r in records
            .iter()
            .filter(|r| r.workflow == self.setup.name && r.q == self.q)
        {
            if self.bounds.get(r.bound) != Some(&r.bound_s) {
                return Err(format!(
                    "{} q = {} seed {}: bound {} is {} s in the file but {:?} s now \
                     (the file was made by other code or another model; use another --out)",
                    r.workflow,
                    r.q,
                    r.seed,
                    r.bound,
                    r.bound_s,
                    self.bounds.get(r.bound)
                ));
            }
            done.insert(r.seed);
        }
        Ok(done)
    }
}

/// Runs seeds `from..=to` of every row, in rounds of `batch` seeds across all rows
/// (so a run stopped early has the same seeds in every row), skipping the seeds the
/// results file at `out` already holds, and appends each round's lines to it.
/// Returns the lines written. `log` gets a line per row and round.
pub fn accumulate(
    rows: &[Row],
    from: u64,
    to: u64,
    batch: u64,
    out: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<usize, String> {
    let existing = read_records(out)?;
    let mut todo: Vec<Vec<u64>> = Vec::with_capacity(rows.len());
    for r in rows {
        let done = r.seeds_done(&existing)?;
        todo.push((from..=to).filter(|s| !done.contains(s)).collect());
    }
    if let Some(dir) = out.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let new_file = existing.is_empty() && !out.exists();
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(out)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    if new_file {
        writeln!(file, "{CSV_HEADER}").map_err(|e| format!("{}: {e}", out.display()))?;
    }
    let mut written = 0;
    let mut start = from;
    while start <= to {
        let end = start.saturating_add(batch - 1).min(to);
        for (r, seeds) in rows.iter().zip(&todo) {
            let round: Vec<u64> = seeds
                .iter()
                .copied()
                .filter(|s| (start..=end).contains(s))
                .collect();
            if round.is_empty() {
                continue;
            }
            let t0 = Instant::now();
            let recs = r.run(&round);
            let secs = t0.elapsed().as_secs_f64();
            let mut text = String::new();
            for rec in &recs {
                text.push_str(&rec.line());
                text.push('\n');
            }
            // One write per round and row: a stopped run leaves whole seeds.
            file.write_all(text.as_bytes())
                .and_then(|()| file.flush())
                .map_err(|e| format!("{}: {e}", out.display()))?;
            written += recs.len();
            log(&format!(
                "{} q = {}: seeds {}..={} ({} run) in {secs:.1} s wall, {:.2} s per seed; {} distinct plans",
                r.setup.name,
                r.q,
                round[0],
                round[round.len() - 1],
                round.len(),
                secs / round.len() as f64,
                r.distinct_plans()
            ));
        }
        if end == u64::MAX {
            break;
        }
        start = end + 1;
    }
    Ok(written)
}

/// Exact one-sided (Clopper–Pearson) lower confidence bound at level 1 − `delta` of a
/// binomial p after `k` successes in `n` trials: the p with `P(Bin(n, p) ≥ k) = delta`,
/// 0 when k = 0 (with `delta` = 0.025 and the upper bound at 0.025, the two-sided 95% interval).
pub fn clopper_pearson_lower(k: u64, n: u64, delta: f64) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let target = delta.ln();
    // ln_upper(k; p) rises from -inf at p = 0 to 0 at p = 1.
    let (mut lo, mut hi) = (0.0f64, k as f64 / n as f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if ln_upper(k, n, mid) > target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    lo
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Seed ranges as `1–340` or `1–20, 31–40`.
fn ranges(seeds: &BTreeSet<u64>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut it = seeds.iter().copied();
    let Some(mut lo) = it.next() else {
        return "–".into();
    };
    let mut hi = lo;
    for s in it {
        if s == hi + 1 {
            hi = s;
        } else {
            out.push(if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}–{hi}")
            });
            lo = s;
            hi = s;
        }
    }
    out.push(if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}–{hi}")
    });
    out.join(", ")
}

/// The docs table from every line of a results file: per (workflow, q), the seeds,
/// certified runs, truly violating runs (true violation > 1 − q) with their rate and
/// 95% Clopper–Pearson interval (two-sided) and one-sided 95% upper bound, the worst
/// true violation and the tightness (certified ÷ true q-quantile), then the pooled count.
pub fn report(records: &[Record]) -> String {
    #[derive(Default)]
    struct Acc {
        bounds: BTreeMap<usize, f64>,
        seeds: BTreeSet<u64>,
        runs: u64,
        none: u64,
        tightened: u64,
        bad: u64,
        worst_violation: f64,
        ratios: Vec<f64>,
        plans: BTreeSet<String>,
    }
    let mut rows: BTreeMap<(String, u64), (f64, Acc)> = BTreeMap::new();
    for r in records {
        let (_, a) = rows
            .entry((r.workflow.clone(), r.q.to_bits()))
            .or_insert_with(|| (r.q, Acc::default()));
        a.bounds.insert(r.bound, r.bound_s);
        a.seeds.insert(r.seed);
        a.tightened += u64::from(r.attempts > 1);
        match &r.certified {
            None => a.none += 1,
            Some(c) => {
                a.runs += 1;
                a.bad += u64::from(c.true_violation > 1.0 - r.q);
                a.worst_violation = a.worst_violation.max(c.true_violation);
                a.ratios.push(c.certified_latency_s / c.true_quantile_s);
                a.plans.insert(c.plan.clone());
            }
        }
    }
    let pct = |x: f64| format!("{:.4}%", x * 100.0);
    let mut s = String::new();
    s.push_str(
        "| workflow | q | bounds, s | seeds | certified runs | no certified plan | tightened | truly violating | rate (95% CI) | 95% upper | worst true violation | tightness median | tightness worst | distinct plans |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let (mut all_runs, mut all_bad) = (0u64, 0u64);
    for ((name, _), (q, a)) in &rows {
        let runs = a.runs.max(1);
        let bounds = a
            .bounds
            .values()
            .map(|b| format!("{b:.2}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut ratios = a.ratios.clone();
        let worst = ratios.iter().copied().fold(f64::NAN, f64::max);
        let med = median(&mut ratios);
        let _ = writeln!(
            s,
            "| {name} | {q} | {bounds} | {} ({}) | {} | {} | {} | {} | {} ({} – {}) | ≤ {} | {} | {med:.4} | {worst:.4} | {} |",
            a.seeds.len(),
            ranges(&a.seeds),
            a.runs,
            a.none,
            a.tightened,
            a.bad,
            pct(a.bad as f64 / runs as f64),
            pct(clopper_pearson_lower(a.bad, runs, 0.025)),
            pct(clopper_pearson_upper(a.bad, runs, 0.025)),
            pct(clopper_pearson_upper(a.bad, runs, 0.05)),
            pct(a.worst_violation),
            a.plans.len()
        );
        all_runs += a.runs;
        all_bad += a.bad;
    }
    let _ = writeln!(
        s,
        "\nPooled over the {} rows: {all_bad} of {all_runs} certified plans truly violating, \
         95% CI {} – {}, one-sided 95% upper bound {} (δ = {}).",
        rows.len(),
        pct(clopper_pearson_lower(all_bad, all_runs.max(1), 0.025)),
        pct(clopper_pearson_upper(all_bad, all_runs.max(1), 0.025)),
        pct(clopper_pearson_upper(all_bad, all_runs.max(1), 0.05)),
        pct(DELTA)
    );
    s
}
