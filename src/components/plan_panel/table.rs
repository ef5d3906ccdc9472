//! The plan table and the out-of-sample line, shared by frontier look-ups and
//! exact solves. Cells carry `data-testid`s so tests can read them.

use faasplan_charts::pareto::RUNS_PER_MILLION;
use faasplan_core::plan::OutOfSample;
use faasplan_core::pricing::CostBreakdown;
use faasplan_core::settings::{Bound, CostKind, PlanSettings};
use yew::prelude::*;

use crate::state::ReportStatus;

/// One stage of the shown plan.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanRow {
    /// Stage id.
    pub stage: String,
    /// Memory per instance, MB.
    pub memory_mb: u32,
    /// vCPUs per instance (memory / the platform's MB per vCPU).
    pub vcpu: f64,
    /// Instance count.
    pub d: u32,
    /// Median stage latency, s.
    pub p50_s: f64,
    /// Stage latency at the percentile q, s.
    pub q_s: f64,
    /// Expected stage cost per run, USD.
    pub cost_usd: f64,
    /// The architecture, for a stage that may change it (`settings.architectures`).
    pub architecture: Option<faasplan_core::arch::Arch>,
}

/// Workflow totals of the shown plan.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanTotals {
    /// Guaranteed latency at q, s.
    pub guaranteed_latency_s: f64,
    /// Expected cost per run, USD.
    pub cost_usd: f64,
    /// Monte Carlo samples N.
    pub samples: usize,
}

/// The percentile q as a label, e.g. "95" or "99.9".
pub fn pct(q: f64) -> String {
    let s = format!("{:.1}", q * 100.0);
    s.trim_end_matches(".0").to_string()
}

/// Where a shown plan comes from (the table's `data-plan`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanSource {
    /// The certified exact solve of the bound the user set (what `faasplan plan` prints).
    Solved,
    /// A look-up on the whole exact frontier.
    Frontier,
    /// While the bound is being solved: the plan of the nearest slider position
    /// at or below it, shown as such.
    Preview,
}

impl PlanSource {
    fn attr(self) -> &'static str {
        match self {
            PlanSource::Solved => "solved",
            PlanSource::Frontier => "frontier",
            PlanSource::Preview => "preview",
        }
    }
}

/// The table of rows and the totals line.
pub fn view_table(
    rows: &[PlanRow],
    totals: &PlanTotals,
    settings: &PlanSettings,
    source: PlanSource,
) -> Html {
    let p = pct(settings.percentile);
    let bound = match settings.bound {
        Bound::Latency { max_s } => max_s,
        Bound::Cost { max_usd, .. } => max_usd,
    };
    html! { <>
        <table class="table plan-table" data-testid="plan-table" data-plan={source.attr()}
            data-bound={bound.to_string()}>
            <thead><tr>
                <th>{ "Stage" }</th><th class="num">{ "Memory (MB)" }</th><th class="num">{ "vCPU" }</th>
                <th class="num">{ "d" }</th><th class="num">{ "p50 (s)" }</th><th class="num">{ format!("p{p} (s)") }</th>
                <th class="num">{ "Cost (USD/run)" }</th>
            </tr></thead>
            <tbody>
                { for rows.iter().map(|r| html! {
                    <tr data-testid="plan-row" data-stage={r.stage.clone()}>
                        <td data-testid="cell-stage">{ r.stage.clone() }
                            if let Some(a) = r.architecture {
                                <span class="badge" data-testid="cell-architecture">{ format!(" {a}") }</span>
                            }
                        </td>
                        <td class="num" data-testid="cell-memory">{ r.memory_mb }</td>
                        <td class="num" data-testid="cell-vcpu">{ format!("{:.2}", r.vcpu) }</td>
                        <td class="num" data-testid="cell-d">{ r.d }</td>
                        <td class="num" data-testid="cell-p50">{ format!("{:.3}", r.p50_s) }</td>
                        <td class="num" data-testid="cell-q">{ format!("{:.3}", r.q_s) }</td>
                        <td class="num" data-testid="cell-cost">{ format!("{:.6}", r.cost_usd) }</td>
                    </tr>
                }) }
            </tbody>
        </table>
        <dl class="totals" data-testid="plan-totals">
            <dt>{ format!("Guaranteed p{p} latency") }</dt>
            <dd data-testid="total-latency">{ format!("{:.3} s", totals.guaranteed_latency_s) }</dd>
            <dt>{ "Expected cost" }</dt>
            <dd data-testid="total-cost">{ format!("${:.6} per run · ${:.2} per million runs", totals.cost_usd, totals.cost_usd * RUNS_PER_MILLION) }</dd>
            <dt>{ "Samples" }</dt>
            <dd data-testid="total-samples">{ totals.samples }</dd>
        </dl>
    </> }
}

/// What the out-of-sample figures say about the bound: the share of runs
/// within a latency or quantile cost bound, but for a mean cost bound whether
/// the mean meets it (single runs above a mean bound are expected).
fn bound_verdict(o: &OutOfSample, bound: Bound) -> String {
    match bound {
        Bound::Cost {
            max_usd,
            kind: CostKind::Mean,
        } => {
            let mean = o.totals.expected_cost_usd;
            let verdict = if mean <= max_usd { "meets" } else { "exceeds" };
            format!("the mean cost {verdict} the ${max_usd:.6} bound")
        }
        _ => format!(
            "{:.1}% of runs within the bound",
            o.fraction_meeting_bound * 100.0
        ),
    }
}

/// The out-of-sample check line.
pub fn view_check(status: &ReportStatus, settings: &PlanSettings) -> Html {
    let p = pct(settings.percentile);
    let text = match status {
        ReportStatus::Idle | ReportStatus::Pending { .. } => "Out of sample: checking…".to_string(),
        ReportStatus::Failed { message, .. } => format!("Out of sample: failed ({message})"),
        ReportStatus::Done { report, .. } => match &report.out_of_sample {
            Some(o) => format!(
                "Out of sample ({} fresh samples): p{p} latency {:.3} s, expected cost ${:.6}; {}",
                o.samples,
                o.totals.latency_q_s,
                o.totals.expected_cost_usd,
                bound_verdict(o, settings.bound)
            ),
            None => "Out of sample: no plan to check".to_string(),
        },
    };
    let done = matches!(status, ReportStatus::Done { .. });
    let breakdown = match status {
        ReportStatus::Done { report, .. } => view_breakdown(report.cost_breakdown),
        _ => Html::default(),
    };
    html! { <>
        <p class={classes!("oos", (!done).then_some("muted"))} data-testid="oos-check" data-done={done.to_string()}>{ text }</p>
        { breakdown }
    </> }
}

/// The plan's cost per million runs split into functions, orchestration,
/// edge device and intermediate data (a stacked bar, [`super::breakdown`]),
/// shown when anything besides the functions is priced.
pub fn view_breakdown(b: Option<CostBreakdown>) -> Html {
    b.map_or_else(Html::default, |b| super::breakdown::view_stacked(&b))
}
