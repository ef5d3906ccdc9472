//! The table of one stage's measured runs.

use std::rc::Rc;

use faasplan_core::profile::{ProfileRun, StepStat};
use yew::prelude::*;

/// Props of [`StageRuns`].
#[derive(Properties)]
pub struct StageRunsProps {
    /// The runs, in file order.
    pub runs: Rc<[ProfileRun]>,
}

impl PartialEq for StageRunsProps {
    /// The same shared runs compare in constant time.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.runs, &other.runs) || self.runs == other.runs
    }
}

fn secs(s: Option<StepStat>) -> String {
    s.map_or("–".to_string(), |s| format!("{:.2}", s.mean_s))
}

/// Most runs listed in the table; the chart beside it shows them all. A table
/// row per run of a large profile (2,500 rows a stage at 10,000 runs) took
/// the page's thread over a second to render.
pub const MAX_ROWS: usize = 200;

/// Memory, d, rep, cold, step means and wall time of the first [`MAX_ROWS`]
/// runs (seconds), and how many more there are.
#[component]
pub fn StageRuns(props: &StageRunsProps) -> Html {
    let more = props.runs.len().saturating_sub(MAX_ROWS);
    let rows = props.runs.iter().take(MAX_ROWS).map(|r| {
        html! {
            <tr class={classes!(r.cold.then_some("cold"))}>
                <td class="num">{ r.memory_mb }</td>
                <td class="num">{ r.d }</td>
                <td class="num">{ r.rep }</td>
                <td>{ if r.cold { "cold" } else { "warm" } }</td>
                <td class="num">{ secs(Some(r.start)) }</td>
                <td class="num">{ secs(Some(r.read)) }</td>
                <td class="num">{ secs(Some(r.compute)) }</td>
                <td class="num">{ secs(r.write) }</td>
                <td class="num strong">{ format!("{:.2}", r.wall_s()) }</td>
            </tr>
        }
    });
    html! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Measured runs">
            <table class="table runs" data-testid="profile-runs">
                <thead><tr>
                    <th class="num">{ "MB" }</th><th class="num">{ "d" }</th><th class="num">{ "rep" }</th>
                    <th>{ "start" }</th><th class="num">{ "start s" }</th><th class="num">{ "read s" }</th>
                    <th class="num">{ "compute s" }</th><th class="num">{ "write s" }</th><th class="num">{ "wall s" }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            if more > 0 {
                <p class="muted" data-testid="profile-runs-more">
                    { format!("The first {MAX_ROWS} runs are listed; {more} more are in the chart and the fit.") }
                </p>
            }
        </div>
    }
}
