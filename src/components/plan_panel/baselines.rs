//! The "Compared with baselines" block under the plan table: for every
//! baseline planner, its expected cost and guaranteed latency on the same
//! samples, and one sentence on how the chosen plan compares
//! ([`crate::state::baselines::sentence`]): the cost difference when the
//! baseline also meets the bound, by how much it misses the bound, or that it
//! found no plan.

use faasplan_charts::fmt_sig;
use faasplan_charts::pareto::RUNS_PER_MILLION;
use yew::prelude::*;

use crate::state::BaselinesStatus;
use crate::state::baselines::{Comparison, compare, sentence};

/// The block for baselines `status`, against a chosen plan of expected cost
/// `chosen_cost_usd`; `p` is the percentile label ("95").
pub fn view_baselines(status: &BaselinesStatus, chosen_cost_usd: f64, p: &str) -> Html {
    let body = match status {
        BaselinesStatus::Idle | BaselinesStatus::Pending { .. } => {
            html! { <p class="muted" data-testid="baselines-pending">{ "Running the baseline planners…" }</p> }
        }
        BaselinesStatus::Failed { message, .. } => {
            html! { <p class="warn" data-testid="baselines-failed">{ format!("Baselines failed: {message}") }</p> }
        }
        BaselinesStatus::Done { set, .. } => html! { <>
            <p class="hint">{ format!(
                "Each baseline planned for the latency bound {} s and judged on the same planning samples; percentages are the chosen plan's expected cost relative to the baseline's (computed in {} ms).",
                fmt_sig(set.bound_s, 4),
                set.elapsed_ms.round()
            ) }</p>
            <table class="table baseline-table">
                <thead><tr>
                    <th>{ "Baseline" }</th>
                    <th class="num">{ format!("p{p} (s)") }</th>
                    <th class="num">{ "$/M runs" }</th>
                </tr></thead>
                { for set.rows.iter().map(|r| {
                    let c = compare(r, set.bound_s, chosen_cost_usd);
                    let class = match c {
                        Comparison::Meets { cost_diff_pct } if cost_diff_pct <= 0.0 => "better",
                        Comparison::Meets { .. } => "worse",
                        Comparison::Misses { .. } => "misses",
                        Comparison::NoPlan => "none",
                    };
                    let num = |x: f64, f: &dyn Fn(f64) -> String| if x.is_finite() { f(x) } else { "—".to_string() };
                    html! {
                        <tbody data-testid="baseline-diff" data-baseline={r.name.clone()} class={class}>
                            <tr>
                                <td class="name">{ r.name.clone() }</td>
                                <td class="num">{ num(r.guaranteed_latency_s, &|x| format!("{x:.2}")) }</td>
                                <td class="num">{ num(r.expected_cost_usd, &|x| format!("{:.0}", x * RUNS_PER_MILLION)) }</td>
                            </tr>
                            <tr class="sentence"><td colspan="3" data-testid="baseline-sentence">{ sentence(&c, p) }</td></tr>
                        </tbody>
                    }
                }) }
            </table>
        </> },
    };
    html! {
        <section class="baselines" data-testid="plan-baselines">
            <h3>{ "Compared with baselines" }</h3>
            { body }
        </section>
    }
}
