//! `faasplan compare`: the exact planner against every baseline, bound by bound.
//!
//! The project is fitted and sampled once. For every latency bound, the exact
//! planner and each baseline plan on the same samples; every plan is then judged
//! by the same evaluator: expected cost, q-latency and guaranteed latency on the
//! planning samples, and the q-latency and fraction of runs meeting the bound
//! on a fresh sample set (out of sample). Solve times are wall-clock times of
//! the planning call alone (fitting and sampling are shared and timed apart).
//! The bounds, and the planners at a bound, run on every core (each row is
//! computed as on one thread and the rows keep their order, so the output is
//! the same; only the solve times see the other threads).
//!
//! Two exact rows: `exact` is the planner as configured (with α = 0 the bound
//! must hold on every planning sample, the sample-average guarantee); `exact-q`
//! is the exact optimum under the percentile baselines' own criterion (the
//! nearest-rank q-latency on the planning samples at most B, see
//! [`baselines::quantile_target`]). Both are judged like every other row.
//!
//! With `--fusion` (or `--edge-device`) three more rows plan over fusion (and
//! placement): `exact-fused`, the exact planner over the joint space;
//! `costless-larac`, Costless's LARAC on the cost graph of a chain; and
//! `slambuc`, the SLAMBUC-style dynamic program on a chain or tree (see
//! `faasplan_core::fusion`). LARAC and SLAMBUC plan fusion and memory in the
//! cloud only, and print "(not a chain)" / "(not a tree)" on other shapes.
//! Their plans are judged on their groupings' contracted problems and on fresh
//! samples like the others.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use faasplan_core::baselines::{self, Baseline, Inputs};
use faasplan_core::formats::project::Project;
use faasplan_core::fusion::{
    Fuser, Grouping, chain_order, evaluate_fresh_grouping_on, fusable_edges, larac, slambuc,
    solve_fused,
};
use faasplan_core::pipeline::{self, Prepared};
use faasplan_core::problem::SampledProblem;
use faasplan_core::settings::Bound;
use faasplan_core::solve::{self, Plan, SolveSettings, Status};
use rayon::prelude::*;
use serde_json::json;

use crate::Outcome;
use crate::input::{self, InputArgs};
use crate::pricing_args::PricingArgs;
use crate::settings_args::{BoundNeed, SettingsArgs, describe_bound};

/// Arguments of `faasplan compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Latency bounds to compare at, s, separated by commas or spaces (e.g. "20, 30, 40").
    #[arg(long, value_name = "S,..", num_args = 1.., value_parser = bound_list, required_unless_present_any = ["latency_bound", "cost_bound"])]
    latency_bounds: Vec<Vec<f64>>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// The guarantee, sampling and limits, as for `plan`. A `--latency-bound` is
    /// one more bound to compare at; with `--cost-bound` the exact planner plans
    /// within it and every planner is compared at the latency it guarantees.
    #[command(flatten)]
    settings: SettingsArgs,
    #[command(flatten)]
    pricing: PricingArgs,
}

/// A list of bounds, s: numbers separated by commas and/or spaces.
fn bound_list(text: &str) -> Result<Vec<f64>, String> {
    let items: Vec<&str> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    if items.is_empty() {
        return Err("no bound given".into());
    }
    items
        .iter()
        .map(|t| {
            t.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| format!("{t:?} is not a finite number of seconds above 0"))
        })
        .collect()
}

/// Output formats.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Aligned text table.
    Table,
    /// Comma-separated values with a header.
    Csv,
    /// A JSON array of rows.
    Json,
}

/// One planner at one bound.
struct Row {
    bound_s: f64,
    planner: &'static str,
    plan: Option<String>,
    /// Why a planner has no plan when it does not apply (e.g. "not a chain").
    note: Option<&'static str>,
    cost_usd: f64,
    q_s: f64,
    guaranteed_s: f64,
    met: bool,
    fresh_q_s: f64,
    fresh_fraction: f64,
    fresh_met: bool,
    cost_vs_exact: f64,
    solve_ms: f64,
}

/// Runs the comparison and prints it. Like `plan`, it ends with exit status 3
/// (and says so on stderr) when the exact planner has a plan at none of the bounds.
pub fn run(args: CompareArgs) -> Result<Outcome> {
    let mut project = input::load_within(&args.input, args.settings.limits()?.max_memory_bytes)?;
    let base = args
        .input
        .project
        .is_some()
        .then_some(project.settings.clone());
    let resolved = args.settings.resolve(base.as_ref(), BoundNeed::Optional)?;
    project.settings = resolved.settings;
    args.pricing.apply(&mut project)?;
    let mut bounds: Vec<f64> = args.latency_bounds.iter().flatten().copied().collect();
    if let Some(b) = args.settings.latency_bound {
        bounds.push(b);
    }
    let t = Instant::now();
    let prepared = crate::progress::prepare(&project, resolved.limits, false)
        .map_err(|e| input::locate(&args.input, e))?;
    if let Some(Bound::Cost { .. }) = resolved.bound
        && args.settings.cost_bound.is_some()
    {
        let s = solve::solve(
            &prepared.problem,
            SolveSettings {
                bound: project.settings.bound,
                max_nodes: resolved.limits.max_nodes,
            },
        )?;
        if s.plan.is_none() {
            bail!(
                "--cost-bound: no plan meets {}; nothing to compare at",
                describe_bound(&project.settings.bound)
            );
        }
        bounds.push(s.guaranteed_latency_s);
    }
    if bounds.is_empty() {
        bail!("no bound: give --latency-bounds S,.. (or --latency-bound S, or --cost-bound USD)");
    }
    project.settings.bound = Bound::Latency { max_s: bounds[0] };
    let inputs = Inputs::from_project(&project, &prepared);
    let prepare_ms = t.elapsed().as_secs_f64() * 1e3;
    let q_target = baselines::quantile_target(&prepared.problem);
    let fusion = args.pricing.fusion()?;
    let edges = fusable_edges(&project.workflow, &prepared.dag, &fusion)
        .map_err(|e| input::locate(&args.input, e.into()))?;
    let joint = fusion.enabled || project.platform.pricing.edge_device.is_some();
    let settings = project.settings.clone();
    let arch = faasplan_core::pipeline::architectures(&project, &prepared)
        .map_err(|e| input::locate(&args.input, e))?;
    let mut fuser = Fuser::new(
        &project.workflow,
        &prepared.dag,
        &prepared.model,
        &project.platform,
        &prepared.problem,
        &settings,
    )
    .with_architectures(arch.as_ref());
    // Every bound, and every planner at a bound, on every core; the rows are
    // collected in order, each computed exactly as on one thread.
    let per_bound = |&bound_s: &f64| -> Result<Vec<Row>> {
        let mut project = project.clone();
        project.settings.bound = Bound::Latency { max_s: bound_s };
        compare_bound(&project, &prepared, &q_target, &inputs, bound_s)
    };
    let per_bound: Vec<Result<Vec<Row>>> = bounds.par_iter().map(per_bound).collect();
    let mut rows = Vec::new();
    for (r, &bound_s) in per_bound.into_iter().zip(&bounds) {
        rows.extend(r?);
        if joint {
            let mut project = project.clone();
            project.settings.bound = Bound::Latency { max_s: bound_s };
            let exact_cost = rows
                .iter()
                .rev()
                .find(|r| r.planner == "exact")
                .map_or(f64::NAN, |r| r.cost_usd);
            let mut fused = compare_fused(&project, &mut fuser, &edges, bound_s, fusion.enabled)?;
            for r in &mut fused {
                r.cost_vs_exact = r.cost_usd / exact_cost;
            }
            rows.extend(fused);
        }
    }
    let text = match args.format {
        Format::Table => table(&project, &prepared, prepare_ms, &rows),
        Format::Csv => csv(&project, &rows),
        Format::Json => json_rows(&project, &rows),
    };
    print!("{text}");
    if rows
        .iter()
        .any(|r| r.planner == "exact" && r.plan.is_some())
    {
        return Ok(Outcome::Success);
    }
    let bounds: Vec<String> = bounds.iter().map(|b| format!("{b} s")).collect();
    eprintln!(
        "infeasible: no configuration meets any of the latency bounds ({}) at P{}; `faasplan plan` names the nearest achievable bound",
        bounds.join(", "),
        crate::summary::percent(project.settings.percentile)
    );
    Ok(Outcome::Infeasible)
}

/// The exact plan of `problem` for `bound_s` and its solve time, ms.
fn exact(problem: &SampledProblem, bound_s: f64) -> Result<(Option<Plan>, f64)> {
    let t = Instant::now();
    let solution = solve::solve(
        problem,
        SolveSettings {
            bound: Bound::Latency { max_s: bound_s },
            max_nodes: None,
        },
    )?;
    Ok((solution.plan, t.elapsed().as_secs_f64() * 1e3))
}

/// A row's planner.
#[derive(Clone, Copy)]
enum Planner {
    /// The exact planner on the planning samples.
    Exact,
    /// The exact planner under the percentile baselines' own criterion.
    ExactQ,
    /// A baseline.
    Baseline(Baseline),
}

fn compare_bound(
    project: &Project,
    prepared: &Prepared,
    q_target: &SampledProblem,
    inputs: &Inputs,
    bound_s: f64,
) -> Result<Vec<Row>> {
    let problem = &prepared.problem;
    let planners: Vec<Planner> = [Planner::Exact, Planner::ExactQ]
        .into_iter()
        .chain(Baseline::ALL.into_iter().map(Planner::Baseline))
        .collect();
    let one = |p: &Planner| -> Result<Row> {
        let (name, (plan, ms)) = match *p {
            Planner::Exact => ("exact", exact(problem, bound_s)?),
            Planner::ExactQ => ("exact-q", exact(q_target, bound_s)?),
            Planner::Baseline(b) => {
                let t = Instant::now();
                let plan = b.plan(problem, inputs, bound_s);
                (b.name(), (plan, t.elapsed().as_secs_f64() * 1e3))
            }
        };
        row(project, prepared, bound_s, name, plan, ms)
    };
    let mut rows = planners.par_iter().map(one).collect::<Result<Vec<Row>>>()?;
    let exact_cost = rows[0].cost_usd;
    for r in &mut rows {
        r.cost_vs_exact = r.cost_usd / exact_cost;
    }
    Ok(rows)
}

fn row(
    project: &Project,
    prepared: &Prepared,
    bound_s: f64,
    planner: &'static str,
    plan: Option<Plan>,
    solve_ms: f64,
) -> Result<Row> {
    let j = baselines::judge_plan(&prepared.problem, plan, bound_s);
    let mut r = Row {
        bound_s,
        planner,
        plan: None,
        note: None,
        cost_usd: j.expected_cost_usd,
        q_s: j.q_latency_s,
        guaranteed_s: j.guaranteed_latency_s,
        met: j.meets_bound,
        fresh_q_s: f64::NAN,
        fresh_fraction: f64::NAN,
        fresh_met: false,
        cost_vs_exact: f64::NAN,
        solve_ms,
    };
    let Some(plan) = j.plan else {
        return Ok(r);
    };
    let configs = prepared.problem.configs(&plan.choice)?;
    r.plan = Some(
        configs
            .iter()
            .map(|c| format!("{}x{}", c.memory_mb, c.d))
            .collect::<Vec<_>>()
            .join(" "),
    );
    let report = pipeline::report(project, prepared, &Status::Optimal, Some(&plan))?;
    if let Some(oos) = report.out_of_sample {
        r.fresh_q_s = oos.totals.latency_q_s;
        r.fresh_fraction = oos.fraction_meeting_bound;
        r.fresh_met = oos.fraction_meeting_bound >= project.settings.percentile;
    }
    Ok(r)
}

/// The fused rows at `bound_s`: the exact planner over the joint space, and
/// LARAC and SLAMBUC when `fusion` is on.
fn compare_fused(
    project: &Project,
    fuser: &mut Fuser<'_>,
    edges: &[(usize, usize)],
    bound_s: f64,
    fusion: bool,
) -> Result<Vec<Row>> {
    let t = Instant::now();
    let exact = solve_fused(
        fuser,
        edges,
        SolveSettings {
            bound: Bound::Latency { max_s: bound_s },
            max_nodes: None,
        },
    )?;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let plan = exact
        .solution
        .plan
        .clone()
        .map(|p| (exact.grouping.clone(), p));
    let mut rows = vec![fused_row(project, fuser, bound_s, "exact-fused", plan, ms)?];
    if !fusion {
        return Ok(rows);
    }
    let dag_parents = fuser.base().parents.clone();
    let topo = fuser.base().topo.clone();
    let t = Instant::now();
    let (plan, note) = match chain_order(&dag_parents, &topo) {
        Some(order) => (
            larac(fuser, &order, edges, bound_s).map(|l| (l.grouping, l.plan)),
            None,
        ),
        None => (None, Some("not a chain")),
    };
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let mut r = fused_row(project, fuser, bound_s, "costless-larac", plan, ms)?;
    r.note = note;
    rows.push(r);
    let t = Instant::now();
    let tree = faasplan_core::fusion::is_tree(&dag_parents);
    let plan = slambuc(fuser, edges, bound_s).map(|s| (s.grouping, s.plan));
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let mut r = fused_row(project, fuser, bound_s, "slambuc", plan, ms)?;
    r.note = (!tree).then_some("not a tree");
    rows.push(r);
    Ok(rows)
}

/// A row for a plan over fusion groupings: judged on its grouping's contracted
/// problem, and on fresh samples through the same grouping.
fn fused_row(
    project: &Project,
    fuser: &mut Fuser<'_>,
    bound_s: f64,
    planner: &'static str,
    plan: Option<(Grouping, Plan)>,
    solve_ms: f64,
) -> Result<Row> {
    let mut r = Row {
        bound_s,
        planner,
        plan: None,
        note: None,
        cost_usd: f64::NAN,
        q_s: f64::NAN,
        guaranteed_s: f64::NAN,
        met: false,
        fresh_q_s: f64::NAN,
        fresh_fraction: f64::NAN,
        fresh_met: false,
        cost_vs_exact: f64::NAN,
        solve_ms,
    };
    let Some((grouping, plan)) = plan else {
        return Ok(r);
    };
    let problem = fuser.problem(&grouping);
    let j = baselines::judge_plan(&problem, Some(plan), bound_s);
    (r.cost_usd, r.q_s, r.guaranteed_s, r.met) = (
        j.expected_cost_usd,
        j.q_latency_s,
        j.guaranteed_latency_s,
        j.meets_bound,
    );
    let Some(plan) = j.plan else {
        return Ok(r);
    };
    let configs = problem.configs(&plan.choice)?;
    let archs: Vec<Option<faasplan_core::arch::Arch>> = problem
        .stages
        .iter()
        .zip(&plan.choice)
        .map(|(t, &c)| t.architecture(c as usize))
        .collect();
    let native = project.platform.architecture();
    let stages = &project.workflow.stages;
    r.plan = Some(
        (0..stages.len())
            .map(|i| {
                let g = grouping.group_of[i];
                let root = grouping.groups[g][0];
                if root != i {
                    format!("+{}", stages[root].id)
                } else if grouping.on_edge[i] {
                    format!("{}x{}@edge", configs[g].memory_mb, configs[g].d)
                } else {
                    match archs[g].filter(|&a| a != native) {
                        Some(a) => format!("{}x{}@{a}", configs[g].memory_mb, configs[g].d),
                        None => format!("{}x{}", configs[g].memory_mb, configs[g].d),
                    }
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    );
    let fresh = evaluate_fresh_grouping_on(fuser, &project.settings, &grouping, &configs, &archs)?;
    r.fresh_q_s = fresh.latency_quantile_s(project.settings.percentile);
    r.fresh_fraction = 1.0 - fresh.violation_rate(bound_s);
    r.fresh_met = r.fresh_fraction >= project.settings.percentile;
    Ok(r)
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn table(project: &Project, prepared: &Prepared, prepare_ms: f64, rows: &[Row]) -> String {
    let s = &project.settings;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "workflow {:?}, platform {}, q = {}, alpha = {}, N = {} samples (fresh: N more), seed {}; fit + sample + baseline inputs {:.0} ms",
        project.workflow.name,
        project.platform.name,
        s.percentile,
        s.alpha,
        prepared.problem.n_samples,
        s.seed,
        prepare_ms
    );
    let _ = writeln!(
        out,
        "{:>7} {:<22} {:>11} {:>8} {:>8} {:>5} {:>8} {:>7} {:>5} {:>7} {:>9}  plan (MB x d per stage{})",
        "bound_s",
        "planner",
        "cost_usd",
        "vs_exact",
        "q_lat_s",
        "met",
        "fresh_q",
        "fresh%",
        "met",
        "guar_s",
        "solve_ms",
        if rows.iter().any(|r| r.planner == "exact-fused") {
            "; +ROOT: fused into ROOT; @edge: on the edge device"
        } else {
            ""
        }
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:>7} {:<22} {:>11} {:>8} {:>8} {:>5} {:>8} {:>7} {:>5} {:>7} {:>9.2}  {}",
            r.bound_s,
            r.planner,
            fixed(r.cost_usd, 7),
            fixed(r.cost_vs_exact, 3),
            fixed(r.q_s, 2),
            yes(r.met),
            fixed(r.fresh_q_s, 2),
            percent_down(r.fresh_fraction),
            yes(r.fresh_met),
            fixed(r.guaranteed_s, 2),
            r.solve_ms,
            match (&r.plan, r.note) {
                (Some(p), _) => p.clone(),
                (None, Some(note)) => format!("({note})"),
                (None, None) => "(no plan)".to_string(),
            }
        );
    }
    out
}

/// A fraction as a percentage with two decimals, rounded down, so a fraction
/// below the percentile never prints as the percentile (94.96%, not 95.0%).
fn percent_down(fraction: f64) -> String {
    if fraction.is_finite() {
        format!("{:.2}", (fraction * 1e4).floor() / 1e2)
    } else {
        "-".to_string()
    }
}

/// `v` with `prec` decimals, or "-" when it is not a number (no plan, or no exact plan to compare with).
fn fixed(v: f64, prec: usize) -> String {
    if v.is_finite() {
        format!("{v:.prec$}")
    } else {
        "-".to_string()
    }
}

fn csv(project: &Project, rows: &[Row]) -> String {
    let mut out = String::from(
        "workflow,bound_s,planner,expected_cost_usd,cost_vs_exact,q_latency_s,guaranteed_latency_s,meets_bound,fresh_q_latency_s,fresh_fraction_meeting_bound,fresh_meets_bound,solve_ms,plan\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{:.3},{}",
            project.workflow.name,
            r.bound_s,
            r.planner,
            r.cost_usd,
            r.cost_vs_exact,
            r.q_s,
            r.guaranteed_s,
            r.met,
            r.fresh_q_s,
            r.fresh_fraction,
            r.fresh_met,
            r.solve_ms,
            r.plan.as_deref().unwrap_or("")
        );
    }
    out
}

fn num(v: f64) -> serde_json::Value {
    if v.is_finite() { json!(v) } else { json!(null) }
}

fn json_rows(project: &Project, rows: &[Row]) -> String {
    let v: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let mut row = json!({
                "workflow": project.workflow.name,
                "bound_s": r.bound_s,
                "planner": r.planner,
                "plan": r.plan,
                "expected_cost_usd": num(r.cost_usd),
                "cost_vs_exact": num(r.cost_vs_exact),
                "q_latency_s": num(r.q_s),
                "guaranteed_latency_s": num(r.guaranteed_s),
                "meets_bound": r.met,
                "fresh_q_latency_s": num(r.fresh_q_s),
                "fresh_fraction_meeting_bound": num(r.fresh_fraction),
                "fresh_meets_bound": r.fresh_met,
                "solve_ms": (r.solve_ms * 1e3).round() / 1e3,
            });
            if let (Some(note), Some(m)) = (r.note, row.as_object_mut()) {
                m.insert("note".into(), json!(note));
            }
            row
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_below_the_percentile_never_print_as_it() {
        assert_eq!(percent_down(0.9496), "94.96");
        assert_eq!(percent_down(0.949_99), "94.99");
        assert_eq!(percent_down(1.0), "100.00");
        assert_eq!(percent_down(f64::NAN), "-");
    }

    #[test]
    fn bound_lists_take_commas_and_spaces() {
        assert_eq!(bound_list(" 20, 30 ,40 "), Ok(vec![20.0, 30.0, 40.0]));
        assert_eq!(bound_list("20 30"), Ok(vec![20.0, 30.0]));
        assert!(bound_list("20,-1").unwrap_err().contains("\"-1\""));
        assert!(bound_list(" , ").is_err());
    }
}
