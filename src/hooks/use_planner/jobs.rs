//! One hook per kind of planning job, each keyed on the revisions it reads
//! (see the parent module for when each job is posted).

use std::cell::RefCell;
use std::rc::Rc;

use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::fusion::FusionOptions;
use faasplan_core::profile::Profiles;
use gloo_timers::callback::Timeout;
use yew::prelude::*;
use yew_agent::worker::UseWorkerBridgeHandle;

use super::{CHECK_DEBOUNCE_MS, RUN_DEBOUNCE_MS, baseline_bound_s};
use crate::state::advisor::AdvisorAction;
use crate::state::fusion::fusion_options;
use crate::state::run::{Chosen, chosen, output};
use crate::state::{Action, AppState, ReportStatus};
use crate::store::Store;
use crate::worker::agent::PlannerAgent;
use crate::worker::protocol::advisor::PrewarmRequest;
use crate::worker::protocol::{Job, JobProfiles, PoolSpec, ReportKind, Task};

type Bridge = UseWorkerBridgeHandle<PlannerAgent>;
type Timer = Rc<RefCell<Option<Timeout>>>;

/// The profiles the worker keeps: the last ones sent, and their number.
#[derive(Default)]
pub struct SentProfiles {
    last: Option<Rc<Profiles>>,
    id: u64,
}

/// Posts jobs to the planning worker, sending the profiles only with the first
/// job after they change (see [`JobProfiles`]). One per worker: a new worker
/// (after a crash) mounts a new one, which sends the profiles again.
#[derive(Clone)]
pub struct Poster {
    bridge: Bridge,
    sent: Rc<RefCell<SentProfiles>>,
}

impl Poster {
    /// A poster on `bridge` that has sent nothing yet.
    pub fn new(bridge: Bridge, sent: Rc<RefCell<SentProfiles>>) -> Self {
        Poster { bridge, sent }
    }

    /// Sends `job` now; its profiles go along only when the worker does not keep them.
    fn send(&self, job: Pending) {
        let Pending {
            rev,
            key,
            mut project,
            profiles,
            fusion,
            task,
        } = job;
        let pool = matches!(task, Task::Frontier).then(pool_spec).flatten();
        if matches!(task, Task::Frontier) {
            mark_frontier_posted();
        }
        let mut sent = self.sent.borrow_mut();
        let kept = match (&sent.last, &profiles) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            _ => false,
        };
        let reference = if kept {
            JobProfiles::Kept { id: sent.id }
        } else {
            sent.id += 1;
            if let Some(p) = &profiles {
                project.profiles = Profiles::clone(p);
            }
            sent.last = profiles;
            JobProfiles::Sent { id: sent.id }
        };
        self.bridge.send(Job {
            rev,
            key,
            project,
            profiles: reference,
            fusion,
            task,
            pool,
        });
    }
}

/// The pool of a frontier job: the planning worker script's absolute address
/// (pool workers of the resolution rounds are started from it) and the size
/// asked for by `?pool=N` on the page's address (sized by the cores when
/// absent); `None` when the page has no address, or with `?pool=0` (the
/// planning worker then solves the rounds itself, e.g. to compare).
fn pool_spec() -> Option<PoolSpec> {
    let location = web_sys::window()?.location();
    let base = location.href().ok()?;
    let workers = pool_param(&location.search().ok()?);
    if workers == Some(0) {
        return None;
    }
    let script = web_sys::Url::new_with_base(crate::app::WORKER_PATH, &base)
        .ok()?
        .href();
    Some(PoolSpec {
        script,
        workers: workers.map(|n| n.min(crate::worker::pool::MAX_WORKERS as u32)),
    })
}

/// The `pool` parameter of a query string (`?a=1&pool=3` → 3); `None` when
/// absent or not a number.
pub(crate) fn pool_param(search: &str) -> Option<u32> {
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("pool="))
        .and_then(|v| v.parse().ok())
}

/// User Timing mark put when a frontier job is posted (the job's
/// `StartTimings::started_at_ms` minus this is how long it waited in the worker).
pub const FRONTIER_POSTED: &str = "frontier-job-posted";

fn mark_frontier_posted() {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        p.clear_marks_with_mark_name(FRONTIER_POSTED);
        let _ = p.mark(FRONTIER_POSTED);
    }
}

/// A job before it is sent: the project without its profiles, and the profiles.
struct Pending {
    rev: u64,
    key: u64,
    project: CoreProject,
    profiles: Option<Rc<Profiles>>,
    fusion: FusionOptions,
    task: Task,
}

fn job(state: &AppState, key: u64, task: Task) -> Pending {
    let p = &state.project;
    Pending {
        rev: state.inputs_rev,
        key,
        // Without profiles (an empty list, as a project without profiles has):
        // `Poster::send` puts them in when the worker does not keep them.
        project: CoreProject {
            workflow: p.workflow.clone(),
            profiles: Profiles {
                mb_per_vcpu: p.platform.mb_per_vcpu,
                stages: Vec::new(),
            },
            platform: p.platform.clone(),
            settings: p.settings.clone(),
        },
        profiles: p.profiles.clone(),
        fusion: fusion_options(p),
        task,
    }
}

/// Posts `job` after `delay_ms` unless the timer is replaced or cleared first.
fn post_later(timer: &Timer, poster: &Poster, delay_ms: u32, job: Pending) {
    let poster = poster.clone();
    *timer.borrow_mut() = Some(Timeout::new(delay_ms, move || poster.send(job)));
}

/// The whole frontier, whenever the planner's inputs change.
#[hook]
pub fn use_frontier_job(store: &Store, poster: &Poster) {
    let timer = use_mut_ref(|| None::<Timeout>);
    let (store, poster) = (store.clone(), poster.clone());
    let state = store.state();
    let key = (state.inputs_rev, state.planning_paused);
    use_effect_with(key, move |&(rev, paused)| {
        let s = store.state();
        let p = &s.project;
        if !paused && !p.workflow.stages.is_empty() && p.profiles.is_some() {
            store.dispatch(Action::RunStarted { rev });
            post_later(
                &timer,
                &poster,
                RUN_DEBOUNCE_MS,
                job(s, s.bound_rev, Task::Frontier),
            );
        } else {
            *timer.borrow_mut() = None;
        }
    });
}

/// The chosen plan's report (out-of-sample check), or the exact solve of a
/// bound that is not a frontier look-up, once the bound settles. The frontier
/// job solves the bound it was posted with itself, so that solve is not asked
/// again.
#[hook]
pub fn use_check_job(store: &Store, poster: &Poster) {
    let timer = use_mut_ref(|| None::<Timeout>);
    let (store, poster) = (store.clone(), poster.clone());
    let state = store.state();
    let done_rev = output(state).map(|_| state.inputs_rev);
    // The frontier fills in round by round: check again when the plan the
    // bound picks changes, not on every round.
    let picked: Option<Vec<(u32, u32)>> = match (chosen(state), output(state)) {
        (Chosen::Point(i), Some(out)) => Some(
            out.point_configs(i)
                .map(|(_, row)| (row.memory_mb, row.d))
                .collect(),
        ),
        _ => None,
    };
    use_effect_with((state.bound_rev, done_rev, picked), move |(key, _, _)| {
        let key = *key;
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
            // Asked already: by the frontier job (it solves the bound first) or
            // by an earlier run of this effect for the same bound.
            (Chosen::Solve, _)
                if !matches!(s.current_report(ReportKind::Solve), ReportStatus::Idle) =>
            {
                return;
            }
            (Chosen::Solve, _) => (ReportKind::Solve, Task::Solve),
            _ => {
                *timer.borrow_mut() = None;
                return;
            }
        };
        store.dispatch(Action::ReportStarted { kind, rev, key });
        post_later(&timer, &poster, CHECK_DEBOUNCE_MS, job(s, key, task));
    });
}

/// The baseline planners for the chosen plan's latency bound.
#[hook]
pub fn use_baselines_job(store: &Store, poster: &Poster) {
    let timer = use_mut_ref(|| None::<Timeout>);
    let (store, poster) = (store.clone(), poster.clone());
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
                post_later(&timer, &poster, CHECK_DEBOUNCE_MS, job);
            }
            None => *timer.borrow_mut() = None,
        }
    });
}

/// The user's current configuration evaluated, once every stage has one and
/// the frontier of the current inputs is there.
#[hook]
pub fn use_evaluate_job(store: &Store, poster: &Poster) {
    let timer = use_mut_ref(|| None::<Timeout>);
    let (store, poster) = (store.clone(), poster.clone());
    let state = store.state();
    let done_rev = output(state).map(|_| state.inputs_rev);
    use_effect_with((state.current_rev, done_rev), move |&(key, done)| {
        let s = store.state();
        match (s.current_configs(), done) {
            (Ok(configs), Some(rev)) => {
                store.dispatch(Action::EvaluationStarted { rev, key });
                let job = job(s, key, Task::Evaluate { configs });
                post_later(&timer, &poster, CHECK_DEBOUNCE_MS, job);
            }
            _ => *timer.borrow_mut() = None,
        }
    });
}

/// The plan JSON, on every "Export plan".
#[hook]
pub fn use_export_job(store: &Store, poster: &Poster) {
    let (store, poster) = (store.clone(), poster.clone());
    use_effect_with(store.state().export_rev, move |&key| {
        if key > 0 {
            poster.send(job(store.state(), key, Task::Export));
        }
    });
}

/// The advisor's flagged runs and proposals, whenever the inputs, the bound or
/// the batch size change (after the bound settles). Under a cost bound the
/// proposals aim at the chosen plan's guaranteed latency.
#[hook]
pub fn use_advise_job(store: &Store, poster: &Poster) {
    let timer = use_mut_ref(|| None::<Timeout>);
    let keys = use_mut_ref(|| 0u64);
    let (store, poster) = (store.clone(), poster.clone());
    let state = store.state();
    let bound_bits = advise_bound_s(state).map(f64::to_bits);
    let has_profiles =
        state.project.profiles.is_some() && !state.project.workflow.stages.is_empty();
    let deps = (
        state.inputs_rev,
        bound_bits,
        state.advisor.advice_rev,
        has_profiles && !state.planning_paused,
    );
    use_effect_with(deps, move |&(rev, bits, _, ready)| {
        match bits.map(f64::from_bits) {
            Some(bound_s) if ready => {
                let s = store.state();
                let key = {
                    let mut k = keys.borrow_mut();
                    *k += 1;
                    *k
                };
                store.dispatch(Action::Advisor(AdvisorAction::AdviceStarted { rev, key }));
                let task = Task::Advise {
                    bound_s,
                    batch: s.advisor.batch,
                };
                post_later(&timer, &poster, CHECK_DEBOUNCE_MS, job(s, key, task));
            }
            _ => *timer.borrow_mut() = None,
        }
    });
}

/// The latency bound the advisor and the pre-warm planner aim at, s: the
/// latency bound, or under a cost bound the chosen plan's guaranteed latency.
pub fn advise_bound_s(state: &AppState) -> Option<f64> {
    match state.project.settings.bound {
        faasplan_core::settings::Bound::Latency { max_s } => Some(max_s),
        faasplan_core::settings::Bound::Cost { .. } => baseline_bound_s(state),
    }
}

/// The pre-warm plan, on every "Plan pre-warming".
#[hook]
pub fn use_prewarm_job(store: &Store, poster: &Poster) {
    let (store, poster) = (store.clone(), poster.clone());
    use_effect_with(store.state().advisor.prewarm_rev, move |&key| {
        if key == 0 {
            return;
        }
        let s = store.state();
        let Some(bound_s) = advise_bound_s(s) else {
            store.dispatch(Action::Advisor(AdvisorAction::PrewarmFinished {
                rev: s.inputs_rev,
                key,
                result: Err(
                    "plan first: the pre-warm planner keeps the chosen plan's stages warm".into(),
                ),
            }));
            return;
        };
        store.dispatch(Action::Advisor(AdvisorAction::PrewarmStarted { key }));
        let a = &s.advisor;
        let request = PrewarmRequest {
            bound_s,
            trace: a.trace.clone(),
            target_cold_pct: a.target_cold_pct,
            forecaster: a.forecaster,
        };
        poster.send(job(s, key, Task::Prewarm(request)));
    });
}

/// A job for a worker that keeps no profiles: the project with its profiles.
pub fn full_job(state: &AppState, task: Task) -> Job {
    let Pending {
        rev,
        key,
        mut project,
        profiles,
        fusion,
        task,
    } = job(state, state.bound_rev, task);
    if let Some(p) = profiles {
        project.profiles = Profiles::clone(&p);
    }
    let mut job = Job::new(rev, key, project, task, 0);
    job.fusion = fusion;
    job
}

#[cfg(test)]
mod tests {
    use super::pool_param;

    /// `?pool=N` anywhere in the query string; absent or not a number is none.
    #[test]
    fn the_pool_size_is_read_from_the_query_string() {
        assert_eq!(pool_param("?pool=3"), Some(3));
        assert_eq!(pool_param("?safe=1&pool=0"), Some(0));
        assert_eq!(pool_param("pool=2&x=1"), Some(2));
        assert_eq!(pool_param("?spool=2"), None);
        assert_eq!(pool_param("?pool=many"), None);
        assert_eq!(pool_param(""), None);
    }
}
