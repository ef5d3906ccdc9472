//! The pre-warm panel: provisioned concurrency per stage and 5-minute
//! interval from an invocation trace (a CSV of per-minute counts or arrival
//! timestamps, or the built-in generator), for the stages of the advisor's
//! current plan at the latency bound (`faasplan prewarm`, computed in the
//! worker). It shows the forecast chart with the band the planner provisions
//! against, the schedule, its monthly cost against no provisioning and
//! always-on, and the cold-start rate it buys; "use these cold-start rates"
//! writes them into the project's per-stage cold-start settings (one undo
//! step), so the frontier and the plan account for them.

pub mod forecast_chart;

use faasplan_charts::forecast::ForecastView;
use yew::prelude::*;

use crate::browser::download::download_text;
use crate::components::header::project_file_name;
use crate::components::widgets::number_field::NumberField;
use crate::state::advisor::{AdvisorAction, PrewarmStatus, describe_rates};
use crate::state::{Action, AppState, Level};
use crate::store::{Store, use_store};
use crate::worker::protocol::advisor::{
    ForecasterChoice, PrewarmOutput, StageForecast, TraceInput, TraceShape,
};
use forecast_chart::ForecastChart;

/// Schedule rows listed in the panel; the CSV download has them all.
pub const MAX_SCHEDULE_ROWS: usize = 48;

/// A schedule as runs of equal provisioned concurrency:
/// `(first interval, intervals, provisioned)`.
pub fn runs_of(schedule: &[u32]) -> Vec<(usize, usize, u32)> {
    let mut out: Vec<(usize, usize, u32)> = Vec::new();
    for (i, &p) in schedule.iter().enumerate() {
        match out.last_mut() {
            Some((_, n, q)) if *q == p => *n += 1,
            _ => out.push((i, 1, p)),
        }
    }
    out
}

/// A minute of the trace as "day 3 14:05".
pub fn clock(minute: usize) -> String {
    format!(
        "day {} {:02}:{:02}",
        minute / 1440 + 1,
        minute % 1440 / 60,
        minute % 60
    )
}

fn usd(v: f64) -> String {
    format!("${v:.2}")
}

fn select_value(e: &Event) -> String {
    e.target_dyn_into::<web_sys::HtmlSelectElement>()
        .map(|s| s.value())
        .unwrap_or_default()
}

fn view_controls(state: &AppState, store: &Store) -> Html {
    let a = &state.advisor;
    let invalid = store.callback(|msg: String| Action::Notify {
        level: Level::Warning,
        text: msg,
    });
    let (shape, minutes, seed) = match &a.trace {
        TraceInput::Generated {
            shape,
            minutes,
            seed,
        } => (Some(*shape), *minutes, *seed),
        TraceInput::Csv { .. } => (None, 3 * 1440, 1),
    };
    let on_shape = {
        let store = store.clone();
        Callback::from(move |e: Event| {
            let value = select_value(&e);
            if let Some(shape) = TraceShape::ALL.into_iter().find(|s| s.name() == value) {
                store.dispatch(Action::Advisor(AdvisorAction::SetTrace(
                    TraceInput::Generated {
                        shape,
                        minutes,
                        seed,
                    },
                )));
            }
        })
    };
    let shape_now = shape.unwrap_or(TraceShape::Diurnal);
    let on_minutes = store.callback(move |m: f64| {
        Action::Advisor(AdvisorAction::SetTrace(TraceInput::Generated {
            shape: shape_now,
            minutes: m as usize,
            seed,
        }))
    });
    let on_seed = store.callback(move |s: f64| {
        Action::Advisor(AdvisorAction::SetTrace(TraceInput::Generated {
            shape: shape_now,
            minutes,
            seed: s as u64,
        }))
    });
    let on_file = {
        let store = store.clone();
        Callback::from(move |e: Event| {
            let Some(file) = crate::browser::file::picked_files(&e).into_iter().next() else {
                return;
            };
            let store = store.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match crate::browser::file::read_text(&file).await {
                    Ok(text) => {
                        store.dispatch(Action::Advisor(AdvisorAction::SetTrace(TraceInput::Csv {
                            name: file.name(),
                            text,
                        })))
                    }
                    Err(e) => store.report(Level::Error, e),
                }
            });
        })
    };
    let on_forecaster = store.callback(|e: Event| {
        Action::Advisor(AdvisorAction::SetForecaster(
            ForecasterChoice::from_value(&select_value(&e)).unwrap_or(ForecasterChoice::Quantile),
        ))
    });
    let on_target = store.callback(|v: f64| Action::Advisor(AdvisorAction::SetTarget(v)));
    let running = matches!(a.prewarm, PrewarmStatus::Running { .. });
    let on_run = store.callback(|_: MouseEvent| Action::Advisor(AdvisorAction::PlanPrewarm));
    html! {
        <div class="prewarm-controls">
            <label class="field">{ "Trace" }
                <select data-testid="prewarm-shape" onchange={on_shape}>
                    { for TraceShape::ALL.iter().map(|s| html! {
                        <option value={s.name()} selected={shape == Some(*s)}>{ format!("generate: {}", s.name()) }</option>
                    }) }
                    if shape.is_none() {
                        <option value="file" selected=true>{ format!("file: {}", a.trace.label()) }</option>
                    }
                </select>
            </label>
            if shape.is_some() {
                <NumberField label="Minutes" unit="min" value={minutes as f64} min=2885.0 max={(28 * 1440) as f64}
                    step=5.0 testid="prewarm-minutes" on_change={on_minutes} on_invalid={invalid.clone()} />
                <NumberField label="Seed" value={seed as f64} min=0.0 max=1e9 step=1.0
                    testid="prewarm-seed" on_change={on_seed} on_invalid={invalid.clone()} />
            }
            <label class="btn file-btn" title="CSV with a count column (workflow runs per minute) or a timestamp_s column (arrival times, s)">
                { "Trace CSV…" }
                <input type="file" accept=".csv,text/csv" data-testid="prewarm-trace-file" onchange={on_file} />
            </label>
            <label class="field">{ "Forecaster" }
                <select data-testid="prewarm-forecaster" onchange={on_forecaster}>
                    { for ForecasterChoice::ALL.iter().map(|f| html! {
                        <option value={f.value()} selected={a.forecaster == *f}>{ f.label() }</option>
                    }) }
                </select>
            </label>
            <NumberField label="Target cold starts" unit="%" value={a.target_cold_pct} min=0.0 max=100.0 step=0.1
                testid="prewarm-target" on_change={on_target} on_invalid={invalid} />
            <button class="btn primary" data-testid="prewarm-run" onclick={on_run}
                disabled={running || state.project.profiles.is_none()}>{ "Plan pre-warming" }</button>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ResultProps {
    output: std::rc::Rc<PrewarmOutput>,
    /// The inputs revision the plan was made for.
    rev: u64,
}

#[component]
fn PrewarmResult(props: &ResultProps) -> Html {
    let store = use_store();
    let state = store.state();
    let out = &props.output;
    let plan = &out.plan;
    let shown = use_state(|| 0usize);
    let i = (*shown).min(plan.stages.len().saturating_sub(1));
    let on_stage = {
        let shown = shown.clone();
        Callback::from(move |e: Event| shown.set(select_value(&e).parse().unwrap_or(0)))
    };
    let rows = plan.stages.iter().map(|s| {
        let lo = s.schedule.iter().min().copied().unwrap_or(0);
        let hi = s.schedule.iter().max().copied().unwrap_or(0);
        html! {
            <tr data-testid={format!("prewarm-stage-{}", s.load.stage)}>
                <th scope="row">{ s.load.stage.clone() }</th>
                <td class="num">{ s.load.memory_mb }</td>
                <td class="num">{ s.load.d }</td>
                <td class="num">{ format!("{:.2}", s.load.duration_s) }</td>
                <td class="num">{ format!("{:.1} %", s.smape_pct) }</td>
                <td class="num">{ format!("{lo}–{hi}") }</td>
                <td class="num">{ format!("{:.2} %", s.planned.cold_pct) }</td>
                <td class="num">{ usd(s.planned.monthly_usd) }</td>
                <td class="num">{ format!("{:.2} %, {}", s.none.cold_pct, usd(s.none.monthly_usd)) }</td>
                <td class="num">{ format!("{}, {}", s.always_on_p, usd(s.always_on.monthly_usd)) }</td>
            </tr>
        }
    });
    let chart = out.charts.get(i).map(|c: &StageForecast| ForecastView {
        stage: c.stage.clone(),
        interval_minutes: plan.interval_minutes,
        needed: c.needed.clone(),
        forecast: c.forecast.clone(),
        band: c.band.clone(),
        provisioned: c.provisioned.clone(),
    });
    let schedule = plan
        .stages
        .get(i)
        .map(|s| runs_of(&s.schedule))
        .unwrap_or_default();
    let more = schedule.len().saturating_sub(MAX_SCHEDULE_ROWS);
    let minute = |k: usize| plan.evaluate_from + k * plan.interval_minutes;
    let applied = state.advisor.applied_rev == Some(state.inputs_rev);
    let stale = props.rev != state.inputs_rev && !applied;
    let on_apply = store.callback(|_: MouseEvent| Action::Advisor(AdvisorAction::ApplyColdStarts));
    let on_undo = store.callback(|_: MouseEvent| Action::Undo);
    let on_csv = {
        let store = store.clone();
        let csv = plan.schedule_csv();
        let name = project_file_name(&state.project.workflow.name)
            .replace(".faasplan.json", ".prewarm-schedule.csv");
        Callback::from(move |_: MouseEvent| {
            if let Err(e) = download_text(&name, "text/csv", &csv) {
                store.report(Level::Error, e);
            }
        })
    };
    html! { <>
        <p data-testid="prewarm-summary">{ format!(
            "{}: scored on {} to {} ({}-minute intervals), target {} % cold starts. Provisioned + on-demand: {} per month; no provisioning: {}; always on at the same cold-start rate: {}.",
            out.trace, clock(plan.evaluate_from), clock(plan.minutes), plan.interval_minutes, plan.target_cold_pct,
            usd(out.monthly_usd()), usd(out.none_monthly_usd()), usd(out.always_on_monthly_usd())) }</p>
        <p class="muted" data-testid="prewarm-elapsed" data-ms={format!("{:.0}", out.elapsed_ms)}>
            { format!("Planned in {:.0} ms (in the planning worker).", out.elapsed_ms) }</p>
        if stale {
            <p class="warn" data-testid="prewarm-stale">{ "The inputs changed since this plan was made; plan again for the current ones." }</p>
        }
        <div class="table-scroll" tabindex="0" role="region" aria-label="Pre-warm plan per stage">
            <table class="table" data-testid="prewarm-table">
                <thead><tr>
                    <th scope="col">{ "Stage" }</th><th scope="col" class="num">{ "MB" }</th><th scope="col" class="num">{ "d" }</th>
                    <th scope="col" class="num">{ "run s" }</th><th scope="col" class="num">{ "SMAPE" }</th>
                    <th scope="col" class="num">{ "provisioned" }</th><th scope="col" class="num">{ "cold starts" }</th>
                    <th scope="col" class="num">{ "per month" }</th><th scope="col" class="num">{ "none: cold, per month" }</th>
                    <th scope="col" class="num">{ "always on: P, per month" }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
        <div class="toolbar apply">
            if applied {
                <p class="ok" data-testid="prewarm-applied">{ format!("Planning with these cold starts: {}.", describe_rates(&out.cold_starts)) }</p>
                <button class="btn" data-testid="prewarm-undo" onclick={on_undo}>{ "Undo" }</button>
            } else {
                <button class="btn primary" data-testid="prewarm-apply" onclick={on_apply} disabled={stale}
                    title="Set each stage's cold-start rate to what this schedule buys; the frontier and the plan are made again">
                    { format!("Use these cold-start rates ({})", describe_rates(&out.cold_starts)) }</button>
            }
            <button class="btn" data-testid="prewarm-export" onclick={on_csv}>{ "Export schedule (CSV)" }</button>
        </div>
        <label class="field">{ "Stage " }
            <select data-testid="prewarm-chart-stage" onchange={on_stage}>
                { for plan.stages.iter().enumerate().map(|(k, s)| html! {
                    <option value={k.to_string()} selected={k == i}>{ s.load.stage.clone() }</option>
                }) }
            </select>
        </label>
        if let Some(view) = chart {
            <ForecastChart {view} />
        }
        <details class="prewarm-schedule">
            <summary>{ "Provisioned concurrency by interval" }</summary>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Provisioned concurrency schedule">
                <table class="table" data-testid="prewarm-schedule">
                    <thead><tr><th scope="col">{ "from" }</th><th scope="col">{ "to" }</th><th scope="col" class="num">{ "provisioned" }</th></tr></thead>
                    <tbody>{ for schedule.iter().take(MAX_SCHEDULE_ROWS).map(|&(k, n, p)| html! {
                        <tr><td>{ clock(minute(k)) }</td><td>{ clock(minute(k + n)) }</td><td class="num">{ p }</td></tr>
                    }) }</tbody>
                </table>
                if more > 0 {
                    <p class="muted">{ format!("The first {MAX_SCHEDULE_ROWS} changes are listed; {more} more are in the chart and the CSV.") }</p>
                }
            </div>
        </details>
    </> }
}

/// The pre-warm panel.
#[component]
pub fn PrewarmPanel() -> Html {
    let store = use_store();
    let state = store.state();
    let body = match &state.advisor.prewarm {
        PrewarmStatus::Idle => html! {
            <p class="hint" data-testid="prewarm-idle">{ "Pick a trace and plan: provisioned concurrency per stage and 5-minute interval for the plan at the latency bound." }</p>
        },
        PrewarmStatus::Running { .. } => html! {
            <p class="hint" data-testid="prewarm-running">{ "Forecasting the trace and planning provisioned concurrency…" }</p>
        },
        PrewarmStatus::Failed(message) => html! {
            <p class="warn" data-testid="prewarm-error">{ format!("No pre-warm plan: {message}") }</p>
        },
        PrewarmStatus::Done { rev, output } => html! {
            <PrewarmResult output={output.clone()} rev={*rev} />
        },
    };
    html! {
        <section class="panel panel-prewarm" data-testid="panel-prewarm">
            <header class="panel-head"><h2>{ "Pre-warming: provisioned concurrency" }</h2></header>
            { view_controls(state, &store) }
            { body }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_compress_into_runs_and_minutes_read_as_clock_times() {
        assert_eq!(runs_of(&[]), vec![]);
        assert_eq!(
            runs_of(&[2, 2, 3, 3, 3, 0, 2]),
            vec![(0, 2, 2), (2, 3, 3), (5, 1, 0), (6, 1, 2)]
        );
        assert_eq!(clock(0), "day 1 00:00");
        assert_eq!(clock(2880 + 14 * 60 + 5), "day 3 14:05");
    }
}
