//! The yew-agent worker that runs [`compute`](super::compute) off the
//! UI thread. `bin/worker.rs` registers it (with [`install_crash_report`] and
//! the [`Json`](super::codec::Json) codec); the app reaches it through the
//! planner hooks ([`crate::hooks::use_planner`]).

use gloo_timers::callback::Timeout;
use yew_agent::worker::{HandlerId, Worker, WorkerScope};

use std::cell::RefCell;
use std::rc::Rc;

use super::compute::{Cache, compute_with_parts, start_frontier};
use super::opening;
use super::pool::{PoolRun, Solver};
use super::protocol::{Job, JobKind, Progress, Task, WorkerOutput};

/// The global (in the worker) holding the JSON handler id of the running job.
const RUNNING_JOB: &str = "__faasplanRunningJob";
/// The global (in the worker) holding the last panic message.
const PANIC_MESSAGE: &str = "__faasplanPanic";

/// The planning worker: one job at a time, answered in order. It keeps the
/// last fit and sampled problem ([`Cache`]), so later jobs skip what did not change.
/// A frontier job that names the worker script hands its rounds to a pool of
/// workers ([`PoolRun`]) and returns, so later jobs are answered while they run;
/// the next frontier job stops that pool.
///
/// In a pool worker, the shares of one job go to its [`Solver`].
#[derive(Default)]
pub struct PlannerAgent {
    cache: Rc<RefCell<Cache>>,
    pool: Option<PoolRun>,
    solver: Option<Solver>,
    /// An advice job waiting for its turn (see `received`).
    advice: Option<(Job, HandlerId, Timeout)>,
}

/// How long an advice job that comes while a pool solves the frontier's
/// rounds waits before it runs, ms.
const ADVICE_DELAY_MS: u32 = 1_000;

/// Runs `f` as the job of `handler` for the crash report.
pub(crate) fn running<T>(handler: HandlerId, f: impl FnOnce() -> T) -> T {
    set_global(
        RUNNING_JOB,
        &serde_json::to_string(&handler).unwrap_or_default(),
    );
    let out = f();
    set_global(RUNNING_JOB, "");
    out
}

impl Worker for PlannerAgent {
    type Message = ();
    type Input = Job;
    type Output = WorkerOutput;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        PlannerAgent::default()
    }

    fn update(&mut self, scope: &WorkerScope<Self>, _msg: Self::Message) {
        // A waiting advice job's turn.
        if let Some((job, id, _timer)) = self.advice.take() {
            self.run(scope, job, id);
        }
    }

    fn received(&mut self, scope: &WorkerScope<Self>, job: Self::Input, id: HandlerId) {
        if let Task::Advise { .. } = job.task
            && self.pool.as_ref().is_some_and(PoolRun::running)
        {
            // Right after a new frontier the advisor (seconds on a large import)
            // waits a moment, so a bound the user types meanwhile is solved
            // first; a newer advice job replaces a waiting one.
            let waker = scope.clone();
            let timer = Timeout::new(ADVICE_DELAY_MS, move || waker.send_message(()));
            self.advice = Some((job, id, timer));
            return;
        }
        self.run(scope, job, id);
    }
}

impl PlannerAgent {
    /// Runs (or, for a frontier job with a pool, starts) `job` now.
    fn run(&mut self, scope: &WorkerScope<Self>, job: Job, id: HandlerId) {
        if let Task::Import { .. } = job.task {
            wasm_bindgen_futures::spawn_local(import(scope.clone(), job, id));
            return;
        }
        let (rev, key) = (job.rev, job.key);
        let mut progress = reporter(scope, id, (rev, key), job.task.kind());
        if let Task::Positions { .. } = job.task {
            // A pool worker's share: the solver of its job, started by the first share.
            if !self.solver.as_ref().is_some_and(|s| s.serves(rev)) {
                self.solver = None;
                match running(id, || {
                    Solver::start(scope, &job, &mut self.cache.borrow_mut())
                }) {
                    Ok(solver) => self.solver = Some(solver),
                    Err(e) => {
                        return scope.respond(
                            id,
                            WorkerOutput::Positions {
                                rev,
                                key,
                                result: Err(e),
                            },
                        );
                    }
                }
            }
            if let Some(solver) = &self.solver {
                solver.push(&job, id);
            }
            return;
        }
        if let Task::Frontier = job.task {
            // New inputs: the previous rounds' pool stops, and a waiting advice job.
            let stopped_previous = self.pool.take().is_some_and(|run| run.running());
            self.advice = None;
            let cache = self.cache.clone();
            // Without a pool (none asked, or no worker could start) the rounds run here.
            if let Some(run) = job
                .pool
                .as_ref()
                .and_then(|spec| PoolRun::spawn(scope, id, &job, cache.clone(), spec).ok())
            {
                let started_at_ms = epoch_ms();
                let started = running(id, || {
                    start_frontier(
                        &job,
                        &mut cache.borrow_mut(),
                        &mut progress,
                        &mut |output| scope.respond(id, output),
                        &now_ms,
                    )
                });
                match started {
                    Ok(mut start) => {
                        start.start.started_at_ms = started_at_ms;
                        start.start.stopped_previous = stopped_previous;
                        run.begin(start);
                        self.pool = Some(run);
                    }
                    Err(out) => scope.respond(id, *out),
                }
                return;
            }
        }
        let out = running(id, || {
            compute_with_parts(
                &job,
                &mut self.cache.borrow_mut(),
                &mut progress,
                &mut |output| scope.respond(id, output),
                &now_ms,
            )
        });
        scope.respond(id, out);
    }
}

/// Reports the progress of job `(rev, key)` to the handler that posted it.
fn reporter<'a>(
    scope: &'a WorkerScope<PlannerAgent>,
    id: HandlerId,
    (rev, key): (u64, u64),
    kind: JobKind,
) -> impl FnMut(Progress) + 'a {
    move |progress| {
        scope.respond(
            id,
            WorkerOutput::Progress {
                rev,
                key,
                kind,
                progress,
            },
        );
    }
}

/// Runs an import job: reads the files' bytes, then parses them
/// ([`opening`](super::opening)), answering [`WorkerOutput::Imported`].
async fn import(scope: WorkerScope<PlannerAgent>, job: Job, id: HandlerId) {
    let Task::Import {
        files,
        grid,
        csv_mb_per_vcpu,
        measured_on,
    } = job.task
    else {
        return;
    };
    let key = job.key;
    let mut progress = reporter(&scope, id, (job.rev, key), JobKind::Import);
    let result = match opening::read(&files, &mut progress).await {
        Ok(bytes) => running(id, || {
            opening::import_bytes(
                bytes,
                &job.project.workflow,
                grid.as_deref(),
                csv_mb_per_vcpu,
                &measured_on,
                &mut progress,
            )
        }),
        Err(e) => Err(e),
    };
    scope.respond(id, WorkerOutput::Imported { key, result });
}

fn set_global(name: &str, value: &str) {
    let _ = js_sys::Reflect::set(&js_sys::global(), &name.into(), &value.into());
}

/// Makes a dying worker say so. A panic (with `panic = "abort"`) or a failed
/// allocation ends in a wasm trap, which leaves Rust unable to answer; this
/// installs a panic hook that keeps the message, and a plain JavaScript `error`
/// listener that posts [`WorkerOutput::Crashed`] for the running job in the
/// [`Json`](super::codec::Json) codec's format of yew-agent's output message
/// (`{"ProcessOutput":[handler id, output]}`), then closes the worker so its
/// memory is freed. The app replaces the worker when it reads that answer.
pub fn install_crash_report() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        set_global(PANIC_MESSAGE, &info.to_string());
    }));
    let listener = js_sys::Function::new_with_args(
        "e",
        &format!(
            r#"var id = self.{RUNNING_JOB};
if (!id) return;
var cause = self.{PANIC_MESSAGE} || (e && e.message) || "the worker stopped";
if (!self.{PANIC_MESSAGE} && /unreachable|memory/i.test(cause)) cause = "out of memory or an internal error (" + cause + ")";
self.postMessage('{{"ProcessOutput":[' + id + ',' + JSON.stringify({{Crashed: {{message: cause}}}}) + ']}}');
self.close();"#
        ),
    );
    let _ = js_sys::Reflect::get(&js_sys::global(), &"addEventListener".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .map(|add| add.call2(&js_sys::global(), &"error".into(), &listener));
}

use wasm_bindgen::JsCast;

/// `performance.timeOrigin + performance.now()`: ms since the Unix epoch, on
/// the same clock as the page's (0 when unavailable).
fn epoch_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .and_then(|p| js_sys::Reflect::get(&p, &"timeOrigin".into()))
        .ok()
        .and_then(|v| v.as_f64())
        .map_or(0.0, |origin| origin + now_ms())
}

/// `performance.now()` of the worker's global scope, ms (0 when unavailable).
fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or(0.0, |p| p.now())
}
