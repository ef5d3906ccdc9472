//! Planning off the UI thread: one bridge to the worker, one hook per kind of
//! job, and the one function that turns the worker's answers into actions.
//!
//! - [`jobs::use_frontier_job`]: inputs change (`inputs_rev`): a frontier job
//!   after a short debounce, so a burst of edits costs one run. The worker
//!   answers it in rounds (`FrontierPart`: the plan for the bound first, then
//!   the slider's positions coarse to fine), each shown as it comes. Answers for an
//!   older `inputs_rev` are dropped by the reducer. Nothing is posted in safe mode.
//! - [`exact::use_exact_job`]: "Exact frontier" asks for the whole exact
//!   frontier, which runs in a worker of its own, terminated when the user
//!   cancels or an edit supersedes it.
//! - [`jobs::use_check_job`]: the bound changes (`bound_rev`) or the frontier
//!   arrives: a frontier look-up needs no job, but once the selection settles
//!   the worker is asked for the chosen plan's report with its out-of-sample
//!   check; a quantile cost bound (not on the frontier) is solved exactly.
//! - [`jobs::use_baselines_job`]: the baseline planners for the latency bound,
//!   never on the look-up path. A cost bound uses the chosen plan's guaranteed
//!   latency as the baselines' latency bound.
//! - [`jobs::use_evaluate_job`]: the user's current configuration (every
//!   stage entered in the inspector; `current_rev`), once the frontier of the
//!   current inputs is there: its point on the chart and the planner's saving.
//! - [`jobs::use_advise_job`]: the inputs, the bound or the advisor's batch
//!   change: the anomaly detector's flagged runs and the advisor's proposals.
//! - [`jobs::use_prewarm_job`]: "Plan pre-warming" (`advisor.prewarm_rev`):
//!   provisioned concurrency from the chosen trace.
//! - [`jobs::use_export_job`]: "Export plan" (`export_rev`): the worker runs the
//!   steps of `pipeline::plan` and the answer is downloaded as the plan JSON.
//!
//! Jobs carry the project without its profiles, which go to the worker with
//! the first job after they change and are kept there ([`jobs::Poster`]).
//!
//! A [`WorkerOutput::Crashed`] answer fails every job in flight
//! ([`Action::WorkerCrashed`]); the app then mounts a new worker (the provider
//! is keyed on `worker_generation`, see `app.rs`).

pub mod exact;
pub mod jobs;

use std::rc::Rc;

use faasplan_core::settings::Bound;
use yew::prelude::*;
use yew_agent::worker::use_worker_bridge;

use crate::browser::download::download_text;
use crate::components::header::project_file_name;
use crate::state::advisor::AdvisorAction;
use crate::state::run::{Chosen, chosen, output};
use crate::state::{Action, AppState, Level, ReportStatus};
use crate::store::{Store, use_store};
use crate::worker::agent::PlannerAgent;
use crate::worker::protocol::{JobKind, PlanOutput, ReportKind, WorkerOutput};

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
            JobKind::Frontier => store.dispatch(Action::RunProgressed { rev, progress }),
            JobKind::ExactFrontier => store.dispatch(Action::ExactProgressed { rev, progress }),
            JobKind::Evaluate => {}
            JobKind::Report(kind) => store.dispatch(Action::ReportProgressed {
                kind,
                rev,
                key,
                progress,
            }),
            JobKind::Export
            | JobKind::Baselines
            | JobKind::Import
            | JobKind::Advise
            | JobKind::Prewarm
            | JobKind::Positions => {}
        },
        WorkerOutput::FrontierPart { rev, output } => {
            store.dispatch(Action::RunPartial {
                rev,
                output: Rc::new(output),
            });
        }
        WorkerOutput::Frontier { rev, result } => {
            if let Ok(out) = &result {
                expose_timings(out);
            }
            store.dispatch(Action::RunFinished {
                rev,
                result: result.map(Rc::new),
            });
        }
        WorkerOutput::Export { result, .. } => {
            let done = result
                .map_err(|e| format!("cannot export the plan: {e}"))
                .and_then(|json| download_export(store.state(), &json));
            if let Err(msg) = done {
                store.report(Level::Error, msg);
            }
        }
        WorkerOutput::Evaluation { rev, key, result } => {
            store.dispatch(Action::EvaluationFinished {
                rev,
                key,
                result: result.map(Rc::new),
            });
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
            result: result.map(|plan| Rc::new(plan.0)),
        }),
        WorkerOutput::Advice { rev, key, result } => {
            store.dispatch(Action::Advisor(AdvisorAction::AdviceFinished {
                rev,
                key,
                result: result.map(Rc::new),
            }));
        }
        WorkerOutput::Prewarm { rev, key, result } => {
            store.dispatch(Action::Advisor(AdvisorAction::PrewarmFinished {
                rev,
                key,
                result: result.map(Rc::new),
            }));
        }
        WorkerOutput::Crashed { message } => store.dispatch(Action::WorkerCrashed { message }),
        // Import jobs go to the file-reading worker (`use_opener`), never to the planner.
        WorkerOutput::Imported { .. } => {}
        // Pool workers' answers go to the planning worker that started them.
        WorkerOutput::Positions { .. } => {}
    }
}

/// Downloads what the export was asked for: the plan JSON, or a deploy file
/// made from it for the imported state machine.
fn download_export(state: &AppState, plan_json: &str) -> Result<(), String> {
    match (state.export_file, &state.project.state_machine) {
        (None, _) => download_text(
            &plan_file_name(&state.project.workflow.name),
            "application/json",
            plan_json,
        ),
        (Some(file), Some(sm)) => {
            let text = file
                .render(sm, plan_json)
                .map_err(|e| format!("cannot export {}: {e}", file.file_name()))?;
            download_text(file.file_name(), file.mime(), &text)
        }
        (Some(file), None) => Err(format!(
            "cannot export {}: it needs the state machine the workflow was imported from; open it again",
            file.file_name()
        )),
    }
}

/// Puts the last run's figures on `window.__faasplanTimings` for the
/// end-to-end tests and the docs (samples, points, nodes, phase times in ms,
/// how complete, and every point's guaranteed latency and expected cost).
fn expose_timings(out: &PlanOutput) {
    let json = serde_json::json!({
        "samples": out.samples,
        "points": out.frontier.points.len(),
        "nodes": out.nodes,
        "timings": out.timings,
        "resolution": out.resolution,
        // Every point's figures, bit for bit (to compare two runs).
        "frontier": out.frontier.points.iter()
            .map(|p| [p.guaranteed_latency_s, p.expected_cost_usd])
            .collect::<Vec<_>>(),
    });
    if let (Some(w), Ok(v)) = (web_sys::window(), js_sys::JSON::parse(&json.to_string())) {
        let _ = js_sys::Reflect::set(&w, &"__faasplanTimings".into(), &v);
    }
}

/// The latency bound the baselines are asked for, s: the latency bound itself,
/// or under a cost bound the chosen plan's guaranteed latency; `None` while
/// there is no chosen plan.
pub fn baseline_bound_s(state: &AppState) -> Option<f64> {
    let plan_latency_s = match chosen(state) {
        Chosen::Point(i) => output(state)?.frontier.points.get(i)?.guaranteed_latency_s,
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
    let sent = use_mut_ref(jobs::SentProfiles::default);
    let poster = jobs::Poster::new(bridge, sent);
    jobs::use_frontier_job(&store, &poster);
    jobs::use_check_job(&store, &poster);
    jobs::use_baselines_job(&store, &poster);
    jobs::use_export_job(&store, &poster);
    jobs::use_evaluate_job(&store, &poster);
    jobs::use_advise_job(&store, &poster);
    jobs::use_prewarm_job(&store, &poster);
}
