//! One hook per kind of planning job, each keyed on the revisions it reads
//! (see the parent module for when each job is posted).

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use yew::prelude::*;
use yew_agent::worker::UseWorkerBridgeHandle;

use super::{CHECK_DEBOUNCE_MS, RUN_DEBOUNCE_MS, baseline_bound_s};
use crate::state::run::{Chosen, chosen, output};
use crate::state::{Action, AppState};
use crate::store::Store;
use crate::worker::agent::PlannerAgent;
use crate::worker::protocol::{Job, ReportKind, Task};

type Bridge = UseWorkerBridgeHandle<PlannerAgent>;
type Timer = Rc<RefCell<Option<Timeout>>>;

fn job(state: &AppState, key: u64, task: Task) -> Job {
    Job {
        rev: state.inputs_rev,
        key,
        project: state.project.to_core(),
        task,
    }
}

/// Posts `job` after `delay_ms` unless the timer is replaced or cleared first.
fn post_later(timer: &Timer, bridge: &Bridge, delay_ms: u32, job: Job) {
    let bridge = bridge.clone();
    *timer.borrow_mut() = Some(Timeout::new(delay_ms, move || bridge.send(job)));
}

/// The whole frontier, whenever the planner's inputs change.
#[hook]
pub fn use_frontier_job(store: &Store, bridge: &Bridge) {
    let timer = use_mut_ref(|| None::<Timeout>);
    let (store, bridge) = (store.clone(), bridge.clone());
    let state = store.state();
    let key = (state.inputs_rev, state.planning_paused);
    use_effect_with(key, move |&(rev, paused)| {
        let s = store.state();
        let p = &s.project;
        if !paused && !p.workflow.stages.is_empty() && p.profiles.is_some() {
            store.dispatch(Action::RunStarted { rev });
            post_later(
                &timer,
                &bridge,
                RUN_DEBOUNCE_MS,
                job(s, s.bound_rev, Task::Frontier),
            );
        } else {
            *timer.borrow_mut() = None;
        }
    });
}

/// The chosen plan's report (out-of-sample check), or the exact solve of a
/// bound that is not a frontier look-up, once the bound settles.
#[hook]
pub fn use_check_job(store: &Store, bridge: &Bridge) {
    let timer = use_mut_ref(|| None::<Timeout>);
    let (store, bridge) = (store.clone(), bridge.clone());
    let state = store.state();
    let done_rev = output(state).map(|_| state.inputs_rev);
    use_effect_with((state.bound_rev, done_rev), move |&(key, _)| {
        let s = store.state();
        let rev = s.inputs_rev;
        let (kind, task) = match (chosen(s), output(s)) {
            (Chosen::Point(i), Some(out)) => {
                let configs = out
                    .point_configs(i)
                    .map(|(_, row)| (row.memory_mb, row.d))
                    .collect();
                (ReportKind::Check, Task::Check { configs })
            }
            (Chosen::Solve, _) => (ReportKind::Solve, Task::Solve),
            _ => {
                *timer.borrow_mut() = None;
                return;
            }
        };
        store.dispatch(Action::ReportStarted { kind, rev, key });
        post_later(&timer, &bridge, CHECK_DEBOUNCE_MS, job(s, key, task));
    });
}

/// The baseline planners for the chosen plan's latency bound.
#[hook]
pub fn use_baselines_job(store: &Store, bridge: &Bridge) {
    let timer = use_mut_ref(|| None::<Timeout>);
    let (store, bridge) = (store.clone(), bridge.clone());
    let state = store.state();
    let bound_bits = baseline_bound_s(state).map(f64::to_bits);
    use_effect_with((state.bound_rev, bound_bits), move |&(key, bits)| {
        let s = store.state();
        match bits.map(f64::from_bits) {
            Some(bound_s) => {
                store.dispatch(Action::BaselinesStarted {
                    rev: s.inputs_rev,
                    key,
                });
                let job = job(s, key, Task::Baselines { bound_s });
                post_later(&timer, &bridge, CHECK_DEBOUNCE_MS, job);
            }
            None => *timer.borrow_mut() = None,
        }
    });
}

/// The user's current configuration evaluated, once every stage has one and
/// the frontier of the current inputs is there.
#[hook]
pub fn use_evaluate_job(store: &Store, bridge: &Bridge) {
    let timer = use_mut_ref(|| None::<Timeout>);
    let (store, bridge) = (store.clone(), bridge.clone());
    let state = store.state();
    let done_rev = output(state).map(|_| state.inputs_rev);
    use_effect_with((state.current_rev, done_rev), move |&(key, done)| {
        let s = store.state();
        match (s.current_configs(), done) {
            (Ok(configs), Some(rev)) => {
                store.dispatch(Action::EvaluationStarted { rev, key });
                let job = job(s, key, Task::Evaluate { configs });
                post_later(&timer, &bridge, CHECK_DEBOUNCE_MS, job);
            }
            _ => *timer.borrow_mut() = None,
        }
    });
}

/// The plan JSON, on every "Export plan".
#[hook]
pub fn use_export_job(store: &Store, bridge: &Bridge) {
    let (store, bridge) = (store.clone(), bridge.clone());
    use_effect_with(store.state().export_rev, move |&key| {
        if key > 0 {
            bridge.send(job(store.state(), key, Task::Export));
        }
    });
}
