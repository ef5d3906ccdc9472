//! Planning off the UI thread: posts jobs to the worker and turns its answers
//! into actions.
//!
//! - Inputs change (`inputs_rev`): a frontier job after a short debounce, so a
//!   burst of edits costs one run. Answers for an older `inputs_rev` are
//!   dropped by the reducer.
//! - The bound changes (`bound_rev`) or the frontier arrives: a frontier
//!   look-up needs no job, but once the selection settles the worker is asked
//!   for the chosen plan's report with its out-of-sample check; a quantile cost
//!   bound (not on the frontier) is solved exactly in the worker.
//! - With the check (same debounce, after it in the worker's queue): the
//!   baseline planners for the latency bound, never on the look-up path. A
//!   cost bound uses the chosen plan's guaranteed latency as the baselines'
//!   latency bound (the frontier point's, or the exact solve's once it arrived).
//! - "Export plan" (`export_rev`): the worker runs `pipeline::plan` and the
//!   answer is downloaded as the plan JSON.

use std::rc::Rc;

use faasplan_core::plan::from_json;
use faasplan_core::settings::Bound;
use gloo_timers::callback::Timeout;
use yew::prelude::*;
use yew_agent::worker::{UseWorkerBridgeHandle, use_worker_bridge};

use crate::browser::download::download_text;
use crate::components::header::project_file_name;
use crate::state::run::{Chosen, chosen, output};
use crate::state::{Action, AppState, Level, ReportStatus};
use crate::store::{Store, use_store};
use crate::worker::agent::PlannerAgent;
use crate::worker::protocol::{Job, PlanOutput, ReportKind, Task, WorkerOutput};

/// Delay before a frontier job is posted after an edit, ms.
pub const RUN_DEBOUNCE_MS: u32 = 150;
/// Delay before the chosen plan is checked after the bound moved, ms.
pub const CHECK_DEBOUNCE_MS: u32 = 300;

/// The file name of an exported plan.
pub fn plan_file_name(workflow_name: &str) -> String {
    project_file_name(workflow_name).replace(".faasplan.json", ".plan.json")
}

fn handle(store: &Store, out: WorkerOutput) {
    match out {
        WorkerOutput::Progress {
            rev,
            key,
            kind,
            progress,
        } => match kind {
            None => store.dispatch(Action::RunProgressed { rev, progress }),
            Some(ReportKind::Export) => {}
            Some(kind) => store.dispatch(Action::ReportProgressed {
                kind,
                rev,
                key,
                progress,
            }),
        },
        WorkerOutput::Frontier { rev, result } => {
            if let Ok(out) = &result {
                expose_timings(out);
            }
            store.dispatch(Action::RunFinished {
                rev,
                result: result.map(Rc::new),
            });
        }
        WorkerOutput::Report {
            kind: ReportKind::Export,
            result,
            ..
        } => {
            let name = plan_file_name(&store.state().project.workflow.name);
            let done = result
                .map_err(|e| format!("cannot export the plan: {e}"))
                .and_then(|json| download_text(&name, "application/json", &json));
            if let Err(msg) = done {
                store.report(Level::Error, msg);
            }
        }
        WorkerOutput::Baselines { rev, key, result } => {
            store.dispatch(Action::BaselinesFinished {
                rev,
                key,
                result: result.map(Rc::new),
            });
        }
        WorkerOutput::Report {
            rev,
            key,
            kind,
            result,
        } => store.dispatch(Action::ReportFinished {
            kind,
            rev,
            key,
            result: result
                .and_then(|json| from_json(&json).map_err(|e| e.to_string()))
                .map(Rc::new),
        }),
    }
}

/// Puts the last run's figures on `window.__faasplanTimings` for the
/// end-to-end tests and the docs (samples, points, nodes, phase times in ms).
fn expose_timings(out: &PlanOutput) {
    let json = serde_json::json!({
        "samples": out.samples,
        "points": out.frontier.len(),
        "nodes": out.nodes,
        "timings": out.timings,
    });
    if let (Some(w), Ok(v)) = (web_sys::window(), js_sys::JSON::parse(&json.to_string())) {
        let _ = js_sys::Reflect::set(&w, &"__faasplanTimings".into(), &v);
    }
}

fn post_later(
    timer: &Rc<std::cell::RefCell<Option<Timeout>>>,
    bridge: &UseWorkerBridgeHandle<PlannerAgent>,
    delay_ms: u32,
    job: Job,
) {
    let bridge = bridge.clone();
    *timer.borrow_mut() = Some(Timeout::new(delay_ms, move || bridge.send(job)));
}

/// The latency bound the baselines are asked for, s: the latency bound itself,
/// or under a cost bound the chosen plan's guaranteed latency; `None` while
/// there is no chosen plan.
pub fn baseline_bound_s(state: &AppState) -> Option<f64> {
    let plan_latency_s = match chosen(state) {
        Chosen::Point(i) => output(state)?.frontier.get(i)?.latency_s,
        Chosen::Solve => match state.current_report(ReportKind::Solve) {
            ReportStatus::Done { report, .. } => report.totals.as_ref()?.guaranteed_latency_s,
            _ => return None,
        },
        Chosen::NoFrontier | Chosen::Infeasible(_) => return None,
    };
    Some(match state.project.settings.bound {
        Bound::Latency { max_s } => max_s,
        Bound::Cost { .. } => plan_latency_s,
    })
}

/// Runs the planner for the store's project (mount once, inside a `WorkerProvider`).
#[hook]
pub fn use_planner() {
    let store = use_store();
    let bridge = {
        let store = store.clone();
        use_worker_bridge::<PlannerAgent, _>(move |out| handle(&store, out))
    };
    let run_timer = use_mut_ref(|| None::<Timeout>);
    let check_timer = use_mut_ref(|| None::<Timeout>);
    let baselines_timer = use_mut_ref(|| None::<Timeout>);
    let state = store.state();
    {
        let (store, bridge, timer) = (store.clone(), bridge.clone(), run_timer);
        use_effect_with(state.inputs_rev, move |&rev| {
            let s = store.state();
            let p = &s.project;
            if !p.workflow.stages.is_empty() && p.profiles.is_some() {
                store.dispatch(Action::RunStarted { rev });
                let job = Job {
                    rev,
                    key: s.bound_rev,
                    project_json: p.to_core().to_json(),
                    task: Task::Frontier,
                };
                post_later(&timer, &bridge, RUN_DEBOUNCE_MS, job);
            } else {
                *timer.borrow_mut() = None;
            }
        });
    }
    {
        let (store, bridge, timer) = (store.clone(), bridge.clone(), check_timer);
        let done_rev = output(state).map(|_| state.inputs_rev);
        use_effect_with((state.bound_rev, done_rev), move |&(key, _)| {
            let s = store.state();
            let rev = s.inputs_rev;
            let job = |task| Job {
                rev,
                key,
                project_json: s.project.to_core().to_json(),
                task,
            };
            match (chosen(s), output(s)) {
                (Chosen::Point(i), Some(out)) => {
                    let configs = out.frontier[i]
                        .rows
                        .iter()
                        .zip(&out.stages)
                        .map(|(&r, st)| {
                            let row = &st.rows[r as usize];
                            (row.memory_mb, row.d)
                        })
                        .collect();
                    store.dispatch(Action::ReportStarted {
                        kind: ReportKind::Check,
                        rev,
                        key,
                    });
                    post_later(
                        &timer,
                        &bridge,
                        CHECK_DEBOUNCE_MS,
                        job(Task::Check { configs }),
                    );
                }
                (Chosen::Solve, _) => {
                    store.dispatch(Action::ReportStarted {
                        kind: ReportKind::Solve,
                        rev,
                        key,
                    });
                    post_later(&timer, &bridge, CHECK_DEBOUNCE_MS, job(Task::Solve));
                }
                _ => *timer.borrow_mut() = None,
            }
        });
    }
    {
        let (store, bridge, timer) = (store.clone(), bridge.clone(), baselines_timer);
        let bound_bits = baseline_bound_s(state).map(f64::to_bits);
        use_effect_with((state.bound_rev, bound_bits), move |&(key, bits)| {
            let s = store.state();
            match bits.map(f64::from_bits) {
                Some(bound_s) => {
                    let rev = s.inputs_rev;
                    store.dispatch(Action::BaselinesStarted { rev, key });
                    let job = Job {
                        rev,
                        key,
                        project_json: s.project.to_core().to_json(),
                        task: Task::Baselines { bound_s },
                    };
                    post_later(&timer, &bridge, CHECK_DEBOUNCE_MS, job);
                }
                None => *timer.borrow_mut() = None,
            }
        });
    }
    {
        let (store, bridge) = (store.clone(), bridge.clone());
        use_effect_with(state.export_rev, move |&key| {
            if key > 0 {
                let s = store.state();
                bridge.send(Job {
                    rev: s.inputs_rev,
                    key,
                    project_json: s.project.to_core().to_json(),
                    task: Task::Export,
                });
            }
        });
    }
}
