//! `faasplan frontier`: the exact latency–cost frontier as JSON or CSV, and
//! optionally an SVG chart of it.
//!
//! Points come by ascending guaranteed latency (s) and strictly descending
//! expected cost (USD per run). With a bound (a flag, or the project's), the
//! plan for that bound is solved exactly and highlighted on the chart.
//!
//! With `--fusion` or `--edge-device` the frontier spans the fusion and
//! placement decisions too: the exact frontier of every grouping and
//! placement, Pareto-merged (`faasplan_core::fusion::fused_frontier`).

mod output;

use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use faasplan_charts::pareto::{BoundLine, ParetoView, draw_pareto};
use faasplan_core::formats::project::Project;
use faasplan_core::frontier::{FrontierSettings, ResolutionBuilder};
use faasplan_core::fusion::{Fuser, FusionOptions, fusable_edges, fused_frontier, solve_fused};
use faasplan_core::pipeline::{FrontierRun, Preparation, Prepared, RunProgress};
use faasplan_core::settings::Bound;
use faasplan_core::solve::{self, SolveSettings};
use plotters::prelude::{IntoDrawingArea, SVGBackend};

use crate::Outcome;
use crate::input::{self, InputArgs};
use crate::pricing_args::PricingArgs;
use crate::progress::{Ticker, describe, emit};
use crate::settings_args::{BoundNeed, SettingsArgs};

/// Arguments of `frontier`.
#[derive(Args, Debug)]
pub struct FrontierArgs {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    settings: SettingsArgs,
    #[command(flatten)]
    pricing: PricingArgs,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Also draw the frontier as an SVG chart into FILE.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Instead of the exact frontier, a proven-optimal plan at each of N evenly
    /// spaced latency bounds (slider positions, N ≥ 2), solved on every core: exact at
    /// that resolution, for workflows whose exact frontier is too big to sweep.
    #[arg(long, value_name = "N")]
    positions: Option<usize>,
    /// Print no progress and no summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// Output formats of `frontier`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// JSON: the settings echo and the points with each stage's configuration.
    Json,
    /// CSV: one row per point, one memory_mb and d column pair per stage.
    Csv,
}

/// Sampled table rows between two progress updates.
const SAMPLE_ROWS_PER_STEP: usize = 16;
/// Search nodes between two progress updates.
const NODES_PER_STEP: u64 = 1 << 16;

/// Computes the frontier and writes it out.
pub fn run(args: &FrontierArgs) -> Result<Outcome> {
    let mut project = input::load_within(&args.input, args.settings.limits()?.max_memory_bytes)?;
    let base = args.input.project.is_some().then_some(&project.settings);
    let resolved = args.settings.resolve(base, BoundNeed::Optional)?;
    project.settings = resolved.settings;
    args.pricing.apply(&mut project)?;
    let mut progress = Ticker::new();
    let located = |e| input::locate(&args.input, e);
    let mut preparation = Preparation::new_within(&project, resolved.limits).map_err(located)?;
    loop {
        match preparation.step(SAMPLE_ROWS_PER_STEP).map_err(located)? {
            RunProgress::Finished => break,
            p if !args.quiet => progress.tick(|| describe(&p)),
            _ => {}
        }
    }
    let prepared = preparation.finish().map_err(located)?;
    let sampled_s = progress.elapsed_s();
    let fusion = args.pricing.fusion()?;
    if fusion.enabled || project.platform.pricing.edge_device.is_some() {
        progress.finish();
        return joint(
            args,
            &project,
            &prepared,
            &fusion,
            resolved.bound,
            (sampled_s, &progress),
        );
    }
    let frontier = match args.positions {
        Some(n) => {
            let mut b = ResolutionBuilder::new(&prepared.problem, n)
                .context("--positions: the resolution-bounded frontier")?;
            b.run_parallel().frontier()
        }
        None => {
            let mut sweep = FrontierRun::new(&prepared).map_err(located)?;
            loop {
                match sweep.step(NODES_PER_STEP) {
                    RunProgress::Finished => break,
                    p if !args.quiet => progress.tick(|| describe(&p)),
                    _ => {}
                }
            }
            sweep.finish()
        }
    };
    progress.finish();
    let chosen = match resolved.bound {
        Some(bound) => chosen(&prepared, bound, resolved.limits.max_nodes)?,
        None => None,
    };
    let view = output::View {
        project: &project,
        n_samples: prepared.problem.n_samples,
        points: output::points(&project, &prepared.problem, &frontier)?,
        joint: false,
        exact_at_positions: args.positions,
    };
    finish(
        args,
        &project,
        &prepared,
        &view,
        resolved.bound,
        chosen,
        sampled_s,
        &progress,
    )
}

/// The frontier over fusion and placement as well as memory and d.
fn joint(
    args: &FrontierArgs,
    project: &Project,
    prepared: &Prepared,
    fusion: &FusionOptions,
    bound: Option<Bound>,
    (sampled_s, progress): (f64, &Ticker),
) -> Result<Outcome> {
    if args.positions.is_some() {
        anyhow::bail!(
            "--positions: the frontier over fusion and placement is only computed exactly; drop --positions, or --fusion and --edge-device"
        );
    }
    let located = |e: faasplan_core::pipeline::PipelineError| input::locate(&args.input, e);
    let edges =
        fusable_edges(&project.workflow, &prepared.dag, fusion).map_err(|e| located(e.into()))?;
    let arch = faasplan_core::pipeline::architectures(project, prepared).map_err(located)?;
    let mut fuser = Fuser::new(
        &project.workflow,
        &prepared.dag,
        &prepared.model,
        &project.platform,
        &prepared.problem,
        &project.settings,
    )
    .with_architectures(arch.as_ref());
    let (groupings, merged) = fused_frontier(&mut fuser, &edges, FrontierSettings::default())
        .map_err(|e| located(e.into()))?;
    let mut problems = std::collections::HashMap::new();
    let mut points = Vec::with_capacity(merged.len());
    for p in &merged {
        let problem = problems
            .entry(p.grouping)
            .or_insert_with(|| fuser.problem(&groupings[p.grouping]));
        points.push(output::fused_point(
            project,
            &groupings[p.grouping],
            problem,
            p,
        )?);
    }
    let chosen = match bound {
        Some(bound) => {
            let s = solve_fused(
                &mut fuser,
                &edges,
                SolveSettings {
                    bound,
                    max_nodes: args.settings.limits()?.max_nodes,
                },
            )
            .map_err(|e| located(e.into()))?;
            s.solution.plan.map(|_| {
                (
                    s.solution.guaranteed_latency_s,
                    s.solution.expected_cost_usd,
                )
            })
        }
        None => None,
    };
    let view = output::View {
        project,
        n_samples: prepared.problem.n_samples,
        points,
        joint: true,
        exact_at_positions: None,
    };
    if !args.quiet {
        let placed = merged
            .iter()
            .filter(|p| groupings[p.grouping].places_anything())
            .count();
        let fused = merged
            .iter()
            .filter(|p| groupings[p.grouping].fuses_anything())
            .count();
        eprintln!(
            "over {} groupings and placements: {fused} points fuse stages, {placed} place stages on the edge device",
            groupings.len()
        );
    }
    finish(
        args, project, prepared, &view, bound, chosen, sampled_s, progress,
    )
}

/// Writes the frontier of `view` out (and its chart), and the summary.
#[allow(clippy::too_many_arguments)]
fn finish(
    args: &FrontierArgs,
    project: &Project,
    prepared: &Prepared,
    view: &output::View<'_>,
    bound: Option<Bound>,
    chosen: Option<(f64, f64)>,
    sampled_s: f64,
    progress: &Ticker,
) -> Result<Outcome> {
    match args.format {
        Format::Json => emit(&output::json(view))?,
        Format::Csv => emit(&output::csv(view))?,
    }
    let frontier: Vec<(f64, f64)> = view
        .points
        .iter()
        .map(|p| (p.guaranteed_latency_s, p.expected_cost_usd))
        .collect();
    if let Some(path) = &args.svg {
        write_svg(path, &chart_view(project, &frontier, bound, chosen))?;
    }
    if frontier.is_empty() {
        eprintln!(
            "infeasible: no configuration exists at all (check the concurrency limit and the stages' allowed d), so the frontier is empty"
        );
        return Ok(Outcome::Infeasible);
    }
    if !args.quiet {
        let needed = faasplan_core::pipeline::samples_needed(project)
            .map_err(|e| input::locate(&args.input, e))?;
        eprintln!(
            "{} frontier points from {} samples {}; sampled in {:.2} s, total {:.2} s",
            frontier.len(),
            prepared.problem.n_samples,
            crate::summary::confidence(
                1.0 - project.settings.delta,
                prepared.problem.n_samples,
                needed
            ),
            sampled_s,
            progress.elapsed_s()
        );
    }
    Ok(Outcome::Success)
}

/// The chart of `frontier`: the app's frontier chart (`faasplan_charts`), with a
/// title, the bound and the exact plan for it.
fn chart_view(
    project: &Project,
    frontier: &[(f64, f64)],
    bound: Option<Bound>,
    chosen: Option<(f64, f64)>,
) -> ParetoView {
    ParetoView {
        title: format!(
            "{}: P{} latency–cost frontier",
            project.workflow.name,
            crate::summary::percent(project.settings.percentile)
        ),
        points: frontier.iter().copied().collect::<Rc<[_]>>(),
        bound: bound.map(BoundLine::from),
        chosen_off_frontier: chosen,
        percentile: project.settings.percentile,
        ..ParetoView::default()
    }
}

/// Draws `view` into an SVG file at `path`.
fn write_svg(path: &Path, view: &ParetoView) -> Result<()> {
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (900, 560)).into_drawing_area();
        draw_pareto(&area, view).map_err(|e| anyhow::anyhow!("drawing the chart: {e}"))?;
    }
    std::fs::write(path, svg).with_context(|| format!("{}: cannot write the SVG", path.display()))
}

/// The (guaranteed latency, expected cost) of the exact plan for `bound`, if any.
fn chosen(prepared: &Prepared, bound: Bound, max_nodes: Option<u64>) -> Result<Option<(f64, f64)>> {
    let s = solve::solve(&prepared.problem, SolveSettings { bound, max_nodes })?;
    Ok(s.plan
        .map(|_| (s.guaranteed_latency_s, s.expected_cost_usd)))
}
