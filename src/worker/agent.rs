//! The yew-agent worker that runs [`compute`] off the
//! UI thread. `bin/worker.rs` registers it; the app will reach it with
//! `use_worker_bridge::<PlannerAgent, _>`.

use yew_agent::worker::{HandlerId, Worker, WorkerScope};

use super::compute::compute;
use super::protocol::{Job, WorkerOutput};

/// The planning worker: one job at a time, answered in order.
#[derive(Debug, Default)]
pub struct PlannerAgent;

impl Worker for PlannerAgent {
    type Message = ();
    type Input = Job;
    type Output = WorkerOutput;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        PlannerAgent
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: Self::Message) {}

    fn received(&mut self, scope: &WorkerScope<Self>, job: Self::Input, id: HandlerId) {
        let rev = job.rev;
        let result = compute(&job, &mut |progress| {
            scope.respond(id, WorkerOutput::Progress { rev, progress });
        });
        let result = result.map_err(|e| e.to_string());
        scope.respond(id, WorkerOutput::Finished { rev, result });
    }
}
