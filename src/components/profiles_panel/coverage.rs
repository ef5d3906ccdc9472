//! The "thin data" table: per stage, what the measurements cover (memory
//! sizes, d values, configurations, runs, cold share) and, where that is too
//! thin to plan on, what to measure next (`formats::batch::stage_coverage`).

use std::rc::Rc;

use faasplan_core::arch::Arch;
use faasplan_core::dag::Workflow;
use faasplan_core::formats::batch::{StageCoverage, stage_coverage};
use faasplan_core::profile::Profiles;
use yew::prelude::*;

/// Props of [`Coverage`].
#[derive(Properties)]
pub struct CoverageProps {
    /// The workflow.
    pub workflow: Workflow,
    /// Its profiles.
    pub profiles: Rc<Profiles>,
    /// The platform's architecture (of runs that do not name theirs).
    pub platform_arch: Arch,
}

impl PartialEq for CoverageProps {
    /// The same shared profiles compare in constant time (the panel renders
    /// on every change of the state).
    fn eq(&self, other: &Self) -> bool {
        self.workflow == other.workflow
            && (Rc::ptr_eq(&self.profiles, &other.profiles) || self.profiles == other.profiles)
            && self.platform_arch == other.platform_arch
    }
}

/// The architectures `stage`'s runs were measured on, e.g. "arm64" or
/// "x86_64, arm64"; "–" without runs.
fn measured_on(profiles: &Profiles, stage: &str, platform: Arch) -> String {
    let runs = profiles
        .stages
        .iter()
        .filter(|s| s.stage == stage)
        .flat_map(|s| &s.runs);
    let mut seen = [false; 2];
    for r in runs {
        seen[usize::from(r.architecture.unwrap_or(platform) == Arch::Arm64)] = true;
    }
    let names: Vec<&str> = [Arch::X86_64, Arch::Arm64]
        .into_iter()
        .zip(seen)
        .filter(|&(_, s)| s)
        .map(|(a, _)| a.name())
        .collect();
    if names.is_empty() {
        "–".into()
    } else {
        names.join(", ")
    }
}

fn list(values: &[u32]) -> String {
    match values {
        [] => "–".into(),
        [one] => one.to_string(),
        [first, .., last] if values.len() > 4 => format!("{first}–{last} ({})", values.len()),
        _ => values
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn view_row((c, arch): &(StageCoverage, String)) -> Html {
    let next = c.measure_next();
    let class = if next.is_some() { "thin" } else { "enough" };
    html! {
        <tr class={class} data-testid={format!("coverage-{}", c.stage)}>
            <th scope="row">{ c.stage.clone() }</th>
            <td>{ list(&c.memory_mb) }</td>
            <td>{ if c.parallel { list(&c.d) } else { "single".into() } }</td>
            <td class="num">{ c.configurations }</td>
            <td class="num">{ c.runs }</td>
            <td class="num">{ if c.runs == 0 { "–".into() } else { format!("{:.0} %", c.cold_share() * 100.0) } }</td>
            <td data-testid={format!("measured-arch-{}", c.stage)}>{ arch.clone() }</td>
            <td>{ match (next, c.fixed) {
                (Some(n), _) => n,
                (None, true) => "enough (fixed configuration)".into(),
                (None, false) => "enough to plan on".into(),
            } }</td>
        </tr>
    }
}

/// What the measurements cover, stage by stage.
#[component]
pub fn Coverage(props: &CoverageProps) -> Html {
    let rows = use_memo(
        (
            props.workflow.clone(),
            props.profiles.clone(),
            props.platform_arch,
        ),
        |(w, p, a)| {
            stage_coverage(w, p)
                .into_iter()
                .map(|c| {
                    let arch = measured_on(p, &c.stage, *a);
                    (c, arch)
                })
                .collect::<Vec<_>>()
        },
    );
    let thin = rows
        .iter()
        .filter(|(c, _)| c.measure_next().is_some())
        .count();
    html! {
        <details class="coverage" data-testid="thin-data" open={thin > 0}>
            <summary>{ if thin == 0 {
                "Measurements: every stage has enough to plan on".to_string()
            } else {
                format!("Measurements: {thin} of {} stages have thin data — what to measure next", rows.len())
            } }</summary>
            <table class="table">
                <thead><tr>
                    <th scope="col">{ "Stage" }</th><th scope="col">{ "Memory, MB" }</th>
                    <th scope="col">{ "d" }</th><th scope="col">{ "Configs" }</th>
                    <th scope="col">{ "Runs" }</th><th scope="col">{ "Cold" }</th>
                    <th scope="col">{ "Measured on" }</th>
                    <th scope="col">{ "Measure next" }</th>
                </tr></thead>
                <tbody>{ for rows.iter().map(view_row) }</tbody>
            </table>
        </details>
    }
}
