//! The yew-agent worker that runs [`compute`](super::compute) off the
//! UI thread. `bin/worker.rs` registers it; the app reaches it through
//! [`crate::hooks::use_planner`].

use yew_agent::worker::{HandlerId, Worker, WorkerScope};

use super::compute::{Cache, compute};
use super::protocol::{Job, ReportKind, Task, WorkerOutput};

/// The planning worker: one job at a time, answered in order. It keeps the
/// last prepared problem, so bound-only jobs (solve, check) skip fit and sampling.
#[derive(Default)]
pub struct PlannerAgent {
    cache: Cache,
}

impl Worker for PlannerAgent {
    type Message = ();
    type Input = Job;
    type Output = WorkerOutput;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        PlannerAgent::default()
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: Self::Message) {}

    fn received(&mut self, scope: &WorkerScope<Self>, job: Self::Input, id: HandlerId) {
        let (rev, key) = (job.rev, job.key);
        let kind = match job.task {
            Task::Frontier => None,
            Task::Solve => Some(ReportKind::Solve),
            Task::Check { .. } => Some(ReportKind::Check),
            Task::Export | Task::Baselines { .. } => Some(ReportKind::Export),
        };
        let out = compute(
            &job,
            &mut self.cache,
            &mut |progress| {
                scope.respond(
                    id,
                    WorkerOutput::Progress {
                        rev,
                        key,
                        kind,
                        progress,
                    },
                );
            },
            &now_ms,
        );
        scope.respond(id, out);
    }
}

/// `performance.now()` of the worker's global scope, ms (0 when unavailable).
fn now_ms() -> f64 {
    use wasm_bindgen::JsCast;
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or(0.0, |p| p.now())
}
