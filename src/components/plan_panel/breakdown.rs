//! The plan's cost breakdown as a stacked bar with the numbers: functions
//! (and service integrations), orchestration transitions, the edge device and
//! intermediate data transfer, per million runs.

use faasplan_charts::pareto::RUNS_PER_MILLION as RUNS;
use faasplan_core::pricing::CostBreakdown;
use yew::prelude::*;

use crate::state::fusion::{cost_parts, shares};

/// The stacked bar and its legend; nothing when only functions are paid for.
pub fn view_stacked(b: &CostBreakdown) -> Html {
    let parts = cost_parts(b);
    if parts[1..].iter().all(|p| p.usd == 0.0) {
        return Html::default();
    }
    let share = shares(&parts);
    let total: f64 = parts.iter().map(|p| p.usd).sum();
    let summary = parts
        .iter()
        .map(|p| format!("{} ${:.2}", p.label, p.usd * RUNS))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        <figure class="cost-breakdown" data-testid="cost-breakdown">
            <figcaption>{ format!("Cost per million runs: ${:.2}", total * RUNS) }</figcaption>
            <div class="stack" role="img" aria-label={format!("Cost per million runs: {summary}")}>
                { for parts.iter().zip(&share).filter(|(_, s)| **s > 0.0).map(|(p, s)| html! {
                    <span class={classes!("part", p.key)} data-testid={format!("breakdown-bar-{}", p.key)}
                          style={format!("width:{:.3}%", s * 100.0)} title={format!("{}: ${:.2}", p.label, p.usd * RUNS)}></span>
                }) }
            </div>
            <ul class="stack-legend">
                { for parts.iter().zip(&share).map(|(p, s)| html! {
                    <li data-testid={format!("breakdown-{}", p.key)}>
                        <span class={classes!("swatch", p.key)} aria-hidden="true"></span>
                        { format!("{} ${:.2} ({:.1}%)", p.label, p.usd * RUNS, s * 100.0) }
                    </li>
                }) }
            </ul>
        </figure>
    }
}
