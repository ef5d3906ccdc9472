//! The table of one stage's measured runs.

use std::rc::Rc;

use faasplan_core::profile::{ProfileRun, StepStat};
use yew::prelude::*;

/// Props of [`StageRuns`].
#[derive(Properties, PartialEq)]
pub struct StageRunsProps {
    /// The runs, in file order.
    pub runs: Rc<[ProfileRun]>,
}

fn secs(s: Option<StepStat>) -> String {
    s.map_or("–".to_string(), |s| format!("{:.2}", s.mean_s))
}

/// Memory, d, rep, cold, step means and wall time of every run (seconds).
#[component]
pub fn StageRuns(props: &StageRunsProps) -> Html {
    let rows = props.runs.iter().map(|r| {
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
        </div>
    }
}
