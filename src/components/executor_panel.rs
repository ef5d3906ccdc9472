//! The executor panel: where the executor is (URL, token, "remember on this
//! device"), "test connection", "run this plan × N", "profile these
//! configurations", progress and cancel, and the runs timeline of predicted
//! against measured latency and cost.
//!
//! The panel's own state is [`ExecutorState`] (pure, in `state::executor`);
//! the requests go through `browser::http`. The profiles a run returns reach
//! the project as one undoable `Action::MergeExecutorProfiles`, which makes the
//! planner refit and the frontier update.

use std::cell::Cell;
use std::rc::Rc;

use faasplan_core::executor::{
    ExecutorInfo, RunCreated, RunProfiles, RunRequest, RunStatus as ExecRunStatus, RunTarget,
    Workload,
};
use faasplan_core::platform::Platform;
use faasplan_core::pricing::CostBreakdown;
use gloo_timers::future::TimeoutFuture;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::browser::{http, storage};
use crate::state::Action;
use crate::state::executor::{
    Connection, ExecutorAction, ExecutorState, Job, Measured, Outcome, Predicted, REMEMBER_KEY,
    Remembered, RunEnd, RunKind, RunRecord, format_configurations, measure, neighbours,
    parse_configurations, plan_target, row_count, starting_configurations,
};
use crate::store::{Store, use_store};

/// How often a run's progress is asked for, ms.
const POLL_MS: u32 = 400;

impl Reducible for ExecutorState {
    type Action = ExecutorAction;

    fn reduce(self: Rc<Self>, action: ExecutorAction) -> Rc<Self> {
        let mut next = (*self).clone();
        next.apply(action);
        Rc::new(next)
    }
}

type Exec = UseReducerHandle<ExecutorState>;

/// Everything a run needs, taken when it is sent.
struct Send {
    base: String,
    token: String,
    request: RunRequest,
    platform: Platform,
    percentile: f64,
}

/// Sends the run, follows it until it ends, merges its profiles into the
/// project and records the measured figures.
async fn drive(send: Send, exec: Exec, store: Store, cancel: Rc<Cell<bool>>) {
    let result = follow(&send, &exec, &store, &cancel).await;
    exec.dispatch(ExecutorAction::RunEnded(result));
}

async fn follow(
    send: &Send,
    exec: &Exec,
    store: &Store,
    cancel: &Cell<bool>,
) -> Result<RunEnd, String> {
    let (base, token) = (send.base.as_str(), send.token.as_str());
    let body = serde_json::to_string(&send.request).map_err(|e| e.to_string())?;
    let created: RunCreated = http::call("POST", base, "/runs", token, Some(&body)).await?;
    exec.dispatch(ExecutorAction::RunCreated(created.id.clone()));
    let path = format!("/runs/{}", created.id);
    let mut cancel_sent = false;
    let status = loop {
        if cancel.get() && !cancel_sent {
            let _: ExecRunStatus = http::call("DELETE", base, &path, token, None).await?;
            cancel_sent = true;
        }
        let status: ExecRunStatus = http::call("GET", base, &path, token, None).await?;
        exec.dispatch(ExecutorAction::RunProgressed(status.clone()));
        if status.state.is_final() {
            break status;
        }
        TimeoutFuture::new(POLL_MS).await;
    };
    let profiles: RunProfiles =
        http::call("GET", base, &format!("{path}/profiles"), token, None).await?;
    let rows = row_count(&profiles.profiles);
    if rows > 0 {
        store.dispatch(Action::MergeExecutorProfiles(Rc::new(profiles.profiles)));
    }
    Ok(RunEnd {
        state: status.state,
        measured: measure(
            &profiles.executions,
            &send.request.workflow,
            &send.platform,
            send.percentile,
        ),
        rows,
        errors: status.errors,
    })
}

fn input_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

fn fmt_s(x: f64) -> String {
    format!("{x:.2} s")
}

fn fmt_usd(x: f64) -> String {
    format!("${x:.6}")
}

/// The executor panel.
#[component]
pub fn ExecutorPanel() -> Html {
    let store = use_store();
    let exec = use_reducer(ExecutorState::default);
    let cancel = use_mut_ref(|| Rc::new(Cell::new(false)));
    let config_error = use_state(|| None::<String>);

    {
        let exec = exec.clone();
        use_effect_with((), move |_| {
            if let Ok(Some(r)) = storage::load::<Remembered>(REMEMBER_KEY) {
                exec.dispatch(ExecutorAction::Restore(r));
            }
        });
    }
    {
        // The advisor's "send to executor": its proposals become the list to profile.
        let exec = exec.clone();
        let sent = store.state().advisor.to_executor.clone();
        use_effect_with(sent, move |sent| {
            if let Some((_, text)) = sent {
                exec.dispatch(ExecutorAction::SetConfigurations(text.to_string()));
            }
        });
    }
    {
        let remembered = exec.remembered();
        use_effect_with(remembered, |r| match r {
            Some(r) => {
                let _ = storage::save(REMEMBER_KEY, r);
            }
            None => storage::remove(REMEMBER_KEY),
        });
    }

    // URL and token follow every keystroke (not just `change` on blur): a re-render
    // while the field is being edited then never puts an older value back, and
    // "Test connection" always asks the address the field shows.
    let on_url = {
        let exec = exec.clone();
        Callback::from(move |e: InputEvent| exec.dispatch(ExecutorAction::SetUrl(input_value(&e))))
    };
    let on_token = {
        let exec = exec.clone();
        Callback::from(move |e: InputEvent| {
            exec.dispatch(ExecutorAction::SetToken(input_value(&e)))
        })
    };
    let on_remember = {
        let exec = exec.clone();
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            exec.dispatch(ExecutorAction::SetRemember(on));
        })
    };
    let on_reps = {
        let exec = exec.clone();
        Callback::from(move |e: Event| {
            if let Ok(n) = input_value(&e).trim().parse::<u32>() {
                exec.dispatch(ExecutorAction::SetRepetitions(n));
            }
        })
    };
    let on_bytes = {
        let exec = exec.clone();
        Callback::from(move |e: Event| {
            if let Ok(kb) = input_value(&e).trim().parse::<f64>()
                && kb.is_finite()
                && kb > 0.0
            {
                exec.dispatch(ExecutorAction::SetWorkloadBytes(
                    (kb * 1024.0).round() as u64
                ));
            }
        })
    };
    let on_configs = {
        let exec = exec.clone();
        Callback::from(move |e: Event| {
            let text = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            exec.dispatch(ExecutorAction::SetConfigurations(text));
        })
    };
    let on_test = {
        let exec = exec.clone();
        Callback::from(move |_: MouseEvent| {
            let exec = exec.clone();
            let (base, token) = (exec.url.clone(), exec.token.clone());
            exec.dispatch(ExecutorAction::TestStarted);
            wasm_bindgen_futures::spawn_local(async move {
                let r: Result<ExecutorInfo, String> =
                    http::call("GET", &base, "/health", &token, None).await;
                exec.dispatch(ExecutorAction::TestFinished(r.map(Rc::new)));
            });
        })
    };
    let start = {
        let exec = exec.clone();
        let store = store.clone();
        let cancel = cancel.clone();
        move |kind: RunKind, target: RunTarget, label: String, predicted: Option<Predicted>| {
            let state = store.state();
            let send = Send {
                base: exec.url.clone(),
                token: exec.token.clone(),
                request: RunRequest {
                    workflow: state.project.workflow.clone(),
                    target,
                    workload: Workload::Size {
                        bytes: exec.workload_bytes,
                        seed: 0,
                    },
                    repetitions: exec.repetitions,
                    seed: state.project.settings.seed,
                },
                platform: state.project.platform.clone(),
                percentile: state.project.settings.percentile,
            };
            let flag = Rc::new(Cell::new(false));
            *cancel.borrow_mut() = flag.clone();
            exec.dispatch(ExecutorAction::RunSent {
                kind,
                label,
                predicted,
            });
            wasm_bindgen_futures::spawn_local(drive(send, exec.clone(), store.clone(), flag));
        }
    };
    let on_run_plan = {
        let store = store.clone();
        let exec = exec.clone();
        let start = start.clone();
        Callback::from(move |_: MouseEvent| match plan_target(store.state()) {
            Ok((stages, predicted)) => start(
                RunKind::Plan,
                RunTarget::Plan { stages },
                format!("plan × {}", exec.repetitions),
                Some(predicted),
            ),
            Err(e) => store.report(
                crate::state::Level::Warning,
                format!("Cannot run the plan: {e}"),
            ),
        })
    };
    let on_fill = {
        let store = store.clone();
        let exec = exec.clone();
        let config_error = config_error.clone();
        Callback::from(move |_: MouseEvent| {
            let limit = match &exec.connection {
                Connection::Connected(info) => info.limits.max_configurations as usize,
                _ => 16,
            };
            let workflow = &store.state().project.workflow;
            let configs = match plan_target(store.state()) {
                Ok((stages, _)) => neighbours(workflow, &stages, limit),
                Err(_) => starting_configurations(workflow, limit),
            };
            if configs.is_empty() {
                config_error.set(Some(
                    "A stage allows no configuration: check its memory range and allowed d."
                        .to_string(),
                ));
            } else {
                config_error.set(None);
                exec.dispatch(ExecutorAction::SetConfigurations(format_configurations(
                    &configs,
                )));
            }
        })
    };
    let on_profile = {
        let exec = exec.clone();
        let config_error = config_error.clone();
        Callback::from(
            move |_: MouseEvent| match parse_configurations(&exec.configurations) {
                Ok(configurations) => {
                    config_error.set(None);
                    let label = format!(
                        "{} configurations × {}",
                        configurations.len(),
                        exec.repetitions
                    );
                    start(
                        RunKind::Profile,
                        RunTarget::Profile { configurations },
                        label,
                        None,
                    );
                }
                Err(e) => config_error.set(Some(e)),
            },
        )
    };
    let on_cancel = {
        let exec = exec.clone();
        let cancel = cancel.clone();
        Callback::from(move |_: MouseEvent| {
            cancel.borrow().set(true);
            exec.dispatch(ExecutorAction::CancelRequested);
        })
    };

    let busy = exec.busy();
    let has_workflow = !store.state().project.workflow.stages.is_empty();
    html! {
        <section class="panel panel-executor" data-testid="panel-executor">
            <header class="panel-head"><h2>{ "Executor" }</h2>
                <span class="muted">{ "Run the plan for real and measure it; the profiles come back into the project." }</span>
            </header>
            <div class="executor-connection">
                <label class="field">{ "Executor URL" }
                    <input type="url" data-testid="executor-url" value={exec.url.clone()} oninput={on_url} disabled={busy} />
                </label>
                <label class="field">{ "Token" }
                    <input type="password" data-testid="executor-token" autocomplete="off"
                        value={exec.token.clone()} oninput={on_token} disabled={busy} placeholder="none" />
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="executor-remember" checked={exec.remember} onchange={on_remember} />
                    { " Remember on this device" }
                </label>
                <button class="btn" data-testid="executor-test" onclick={on_test}
                    disabled={busy || matches!(exec.connection, Connection::Testing)}>{ "Test connection" }</button>
            </div>
            { view_connection(&exec.connection, &store) }
            <div class="executor-run">
                <label class="field">{ "Repetitions" }
                    <input type="number" min="1" max="1000" data-testid="executor-repetitions"
                        value={exec.repetitions.to_string()} onchange={on_reps} disabled={busy} />
                </label>
                <label class="field">{ "Input size (KiB)" }
                    <input type="number" min="1" data-testid="executor-workload"
                        value={format!("{}", exec.workload_bytes as f64 / 1024.0)} onchange={on_bytes} disabled={busy} />
                </label>
                <button class="btn primary" data-testid="executor-run-plan" onclick={on_run_plan}
                    disabled={busy || !has_workflow}>{ format!("Run this plan × {}", exec.repetitions) }</button>
            </div>
            <details class="executor-profile" open={store.state().advisor.to_executor.is_some()}>
                <summary>{ "Profile configurations" }</summary>
                <p class="hint">{ "One configuration per line: stage=MEMORYxD, stage=MEMORYxD. Each runs the whole workflow × the repetitions." }</p>
                <textarea rows="5" data-testid="executor-configs" aria-label="Configurations to profile" value={exec.configurations.clone()}
                    onchange={on_configs} disabled={busy} placeholder="stage=1024x4, other=512x1" />
                <div class="toolbar">
                    <button class="btn" data-testid="executor-fill" onclick={on_fill} disabled={busy || !has_workflow}>
                        { "Suggest: the plan and its neighbours, or a first design" }</button>
                    <button class="btn" data-testid="executor-profile" onclick={on_profile} disabled={busy || !has_workflow}>
                        { "Profile these configurations" }</button>
                </div>
                if let Some(e) = &*config_error {
                    <p class="warn" data-testid="executor-config-error">{ e.clone() }</p>
                }
            </details>
            if let Some(job) = &exec.job {
                { view_job(job, &exec.timeline, on_cancel) }
            }
            { view_timeline(&exec.timeline) }
        </section>
    }
}

fn view_connection(c: &Connection, store: &Store) -> Html {
    match c {
        Connection::Unknown => Html::default(),
        Connection::Testing => {
            html! { <p class="muted" data-testid="executor-connection">{ "Testing…" }</p> }
        }
        Connection::Failed(e) => html! {
            <p class="warn" role="alert" data-testid="executor-connection">{ format!("Not connected: {e}") }</p>
        },
        Connection::Connected(info) => {
            let wf = &store.state().project.workflow;
            let missing: Vec<&str> = wf
                .stages
                .iter()
                .map(|s| s.id.as_str())
                .filter(|id| !info.functions.is_empty() && !info.functions.iter().any(|f| f == id))
                .collect();
            html! { <>
                <p class="ok" data-testid="executor-connection">{ format!(
                    "Connected: {} {} ({} backend, protocol {}, {} MB per vCPU{}).",
                    info.service, info.version, info.backend, info.protocol, info.mb_per_vcpu,
                    if info.auth_required { ", token required" } else { "" }
                ) }</p>
                if !missing.is_empty() {
                    <p class="warn" data-testid="executor-missing">{ format!(
                        "This executor has no function for: {}. It runs {}.",
                        missing.join(", "), info.functions.join(", ")
                    ) }</p>
                }
            </> }
        }
    }
}

fn view_job(job: &Job, timeline: &[RunRecord], on_cancel: Callback<MouseEvent>) -> Html {
    let label = timeline.get(job.record).map_or("", |r| r.label.as_str());
    let text = match &job.status {
        None => format!("{label}: sending…"),
        Some(s) => {
            let stages: Vec<String> = s
                .stages
                .iter()
                .map(|p| {
                    format!(
                        "{} {}/{} instances",
                        p.stage, p.instances_finished, p.instances_started
                    )
                })
                .collect();
            format!(
                "{label}: {}/{} executions{}{}",
                s.executions_finished,
                s.executions_total,
                if stages.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", stages.join(", "))
                },
                if job.cancelling {
                    " · cancelling…"
                } else {
                    ""
                }
            )
        }
    };
    html! {
        <div class="progress" role="status" data-testid="executor-progress">
            <p class="muted">{ text }</p>
            if let Some(f) = job.fraction() {
                <progress max="1" value={f.to_string()} />
            } else {
                <progress />
            }
            <button class="btn" data-testid="executor-cancel" onclick={on_cancel} disabled={job.cancelling}>{ "Cancel" }</button>
        </div>
    }
}

fn ratio(measured: f64, predicted: f64) -> String {
    if predicted > 0.0 && measured.is_finite() {
        format!("{:+.0}%", (measured / predicted - 1.0) * 100.0)
    } else {
        String::new()
    }
}

fn view_record(r: &RunRecord) -> Html {
    let outcome = match &r.outcome {
        Outcome::Running => "running".to_string(),
        Outcome::Done { rows } => format!("done, {rows} stage runs added"),
        Outcome::Cancelled => "cancelled".to_string(),
        Outcome::Failed(e) => format!("failed: {e}"),
    };
    let q = r.predicted.as_ref().map_or(String::new(), |p| {
        crate::components::plan_panel::table::pct(p.percentile)
    });
    let m: Option<&Measured> = r.measured.as_ref();
    let p = r.predicted.as_ref();
    let cell = |x: Option<f64>, f: fn(f64) -> String| x.map_or("—".to_string(), f);
    html! {
        <tr data-testid="executor-run-row" class={classes!(matches!(r.outcome, Outcome::Failed(_)).then_some("missing"))}>
            <td>{ r.number }</td>
            <td>{ &r.label }</td>
            <td class="num" data-testid="predicted-p50">{ cell(p.and_then(|p| p.p50_s), fmt_s) }</td>
            <td class="num" data-testid="measured-p50">{ cell(m.map(|m| m.p50_s), fmt_s) }</td>
            <td class="num" data-testid="predicted-pq">{ p.map_or("—".to_string(), |p| format!("{} (P{q})", fmt_s(p.q_s))) }</td>
            <td class="num" data-testid="measured-pq">{ cell(m.map(|m| m.q_s), fmt_s) }
                { p.zip(m).map_or(String::new(), |(p, m)| format!(" {}", ratio(m.q_s, p.q_s))) }</td>
            <td class="num" data-testid="predicted-cost">{ cell(p.map(|p| p.cost_usd), fmt_usd) }
                { p.and_then(|p| p.breakdown.as_ref()).map_or(html! {}, view_breakdown) }</td>
            <td class="num" data-testid="measured-cost">{ cell(m.map(|m| m.cost_usd), fmt_usd) }
                { m.map_or(html! {}, |m| view_breakdown(&m.breakdown)) }</td>
            <td>{ m.map_or(String::new(), |m| format!("{} ({} cold)", m.executions, m.cold)) }</td>
            <td data-testid="executor-run-outcome">{ outcome }</td>
        </tr>
    }
}

/// The cost's components, small under the total.
fn view_breakdown(b: &CostBreakdown) -> Html {
    let mut parts = vec![
        format!("functions {}", fmt_usd(b.functions_usd)),
        format!("transitions {}", fmt_usd(b.transitions_usd)),
        format!("transfer {}", fmt_usd(b.transfer_usd)),
    ];
    if b.edge_usd != 0.0 {
        parts.push(format!("edge {}", fmt_usd(b.edge_usd)));
    }
    html! { <div class="hint" data-testid="cost-breakdown">{ parts.join(" · ") }</div> }
}

fn view_timeline(timeline: &[RunRecord]) -> Html {
    if timeline.is_empty() {
        return html! {
            <p class="hint" data-testid="executor-timeline-empty">{ "Runs appear here with the model's predicted latency and cost next to the measured ones." }</p>
        };
    }
    html! {
        <table class="table" data-testid="executor-timeline">
            <thead><tr>
                <th>{ "#" }</th><th>{ "Run" }</th>
                <th class="num">{ "P50 predicted" }</th><th class="num">{ "P50 measured" }</th>
                <th class="num">{ "Pq predicted" }</th><th class="num">{ "Pq measured" }</th>
                <th class="num">{ "Cost predicted" }</th><th class="num">{ "Cost measured" }</th>
                <th>{ "Executions" }</th><th>{ "Outcome" }</th>
            </tr></thead>
            <tbody>{ for timeline.iter().rev().map(view_record) }</tbody>
            <caption>{ "Measured cost at the project's prices, split like the prediction: functions (billed GB·s and requests), Step Functions transitions and data transfer of the stages that ran. Latency quantiles are nearest-rank over the run's executions." }</caption>
        </table>
    }
}
