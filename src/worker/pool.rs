//! A pool of workers solving the rounds of a frontier job, so the planning
//! worker stays free for the bound the user types, checks and exports.
//!
//! A [`Task::Frontier`] job that names a pool (`Job::pool`) starts its pool
//! workers at once ([`PoolRun::spawn`]: up to [`MAX_WORKERS`] more instances of
//! the worker script, sized by [`pool_size`]: one fewer than the browser's
//! `navigator.hardwareConcurrency`, and the memory one worker's tables need), so
//! they load while the planning worker prepares the job, answers the certified
//! solve of its own bound and its first round
//! ([`start_frontier`](super::compute::start_frontier)). Then [`PoolRun::begin`]
//! hands them shares of each level ([`Splitter`]; a single pool worker gets
//! whole levels) as [`Task::Positions`] jobs. Answers are recorded in the
//! level's order, so the frontier is the one-thread one bit for bit. The planning worker posts
//! the frontier so far (at most every [`PART_INTERVAL_MS`]) and the final
//! answer, as the one-thread path does.
//!
//! A pool worker sees the profiles once (its first share) and keeps the job's
//! sampled problem and one planner for all its shares ([`Solver`]).
//!
//! Dropping the run (a new frontier job: the inputs changed) terminates every
//! pool worker at once. A pool worker that stops or fails ends the job with
//! an error naming the cause.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::rc::{Rc, Weak};
use std::task::{Poll, Waker};

use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::frontier::solve_position;
use faasplan_core::pipeline::{PipelineError, Prepared};
use faasplan_core::profile::Profiles;
use faasplan_core::solve::Planner;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, Url, Worker};
use yew_agent::Codec;
use yew_agent::worker::{HandlerId, WorkerScope};

use super::agent::PlannerAgent;
use super::codec::{FromWorker, Json, ToWorker, try_decode};
use super::compute::resolution::{Splitter, finish, output_so_far, resolution_of};
use super::compute::{Cache, ComputeError, FrontierStart, prepared};
use super::protocol::{
    Job, JobKind, JobProfiles, PoolSpec, Progress, StartTimings, Task, WorkerOutput,
};
use crate::hooks::use_planner::exact::start_script;

/// Most pool workers.
pub const MAX_WORKERS: usize = 4;
/// Memory all pool workers' tables may take together, bytes.
pub const POOL_TABLE_BYTES: u64 = 1 << 30;
/// A worker's own memory besides its tables (module, fit, search), bytes.
pub const WORKER_BASE_BYTES: u64 = 48 << 20;
/// Least time between two answers of the frontier so far, ms.
pub const PART_INTERVAL_MS: f64 = 250.0;

/// How many pool workers: one fewer than the browser's cores
/// (`hardware_concurrency`; the planning worker and the page share the last
/// one), at least 1, at most [`MAX_WORKERS`], and at most as many as
/// [`POOL_TABLE_BYTES`] holds with `table_bytes` (one worker's tables) each.
pub fn pool_size(hardware_concurrency: usize, table_bytes: u64) -> usize {
    let by_memory = POOL_TABLE_BYTES / table_bytes.saturating_add(WORKER_BASE_BYTES).max(1);
    hardware_concurrency
        .saturating_sub(1)
        .clamp(1, MAX_WORKERS)
        .min(by_memory.max(1) as usize)
}

/// `navigator.hardwareConcurrency` of this global scope (1 when unknown).
fn hardware_concurrency() -> usize {
    js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|n| js_sys::Reflect::get(&n, &"hardwareConcurrency".into()))
        .ok()
        .and_then(|v| v.as_f64())
        .map_or(1, |v| v.max(1.0) as usize)
}

/// One pool worker.
struct PoolWorker {
    worker: Worker,
    url: String,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    loaded: bool,
    /// The share it is solving.
    busy: Option<u64>,
    /// Whether it was sent the profiles.
    has_profiles: bool,
}

impl Drop for PoolWorker {
    fn drop(&mut self) {
        self.worker.terminate();
        let _ = Url::revoke_object_url(&self.url);
    }
}

/// What the rounds need once the job's first round is answered.
struct Rounds {
    project: CoreProject,
    /// The project without profiles, for the shares after a worker's first.
    bare: CoreProject,
    times: (f64, f64),
    start: StartTimings,
    splitter: Splitter,
}

/// The state of one frontier job's pool.
struct RunState {
    scope: WorkerScope<PlannerAgent>,
    handler: HandlerId,
    rev: u64,
    cache: Rc<RefCell<Cache>>,
    /// Pool workers asked for (`?pool=N`), else sized by cores and memory.
    asked: Option<usize>,
    /// `None` until [`PoolRun::begin`].
    rounds: Option<Rounds>,
    workers: Vec<PoolWorker>,
    last_part_ms: f64,
    done: bool,
}

/// A frontier job's rounds running in a pool; dropping it stops every pool worker.
pub struct PoolRun {
    state: Rc<RefCell<RunState>>,
}

impl PoolRun {
    /// Whether its rounds are still running (not answered, not failed).
    pub fn running(&self) -> bool {
        !self.state.borrow().done
    }

    /// Starts the pool workers of `job` (answered to `handler`) from the worker
    /// script of `spec`, at once, so they load while the planning worker
    /// prepares the job; [`Self::begin`] gives them the rounds. On error
    /// nothing runs.
    pub fn spawn(
        scope: &WorkerScope<PlannerAgent>,
        handler: HandlerId,
        job: &Job,
        cache: Rc<RefCell<Cache>>,
        spec: &PoolSpec,
    ) -> Result<PoolRun, String> {
        let asked = spec.workers.map(|n| (n as usize).clamp(1, MAX_WORKERS));
        // The memory check comes in `begin`, once the table's size is known.
        let size = asked.unwrap_or_else(|| pool_size(hardware_concurrency(), 0));
        let state = Rc::new(RefCell::new(RunState {
            scope: scope.clone(),
            handler,
            rev: job.rev,
            cache,
            asked,
            rounds: None,
            workers: Vec::new(),
            last_part_ms: now_ms(),
            done: false,
        }));
        for i in 0..size {
            let (worker, url) = start_script(&spec.script)?;
            let weak: Weak<RefCell<RunState>> = Rc::downgrade(&state);
            let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                let Some(state) = weak.upgrade() else {
                    return;
                };
                let mut s = state.borrow_mut();
                let handler = s.handler;
                super::agent::running(handler, || s.on_message(i, try_decode(e.data())));
            });
            worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
            state.borrow_mut().workers.push(PoolWorker {
                worker,
                url,
                _onmessage: onmessage,
                loaded: false,
                busy: None,
                has_profiles: false,
            });
        }
        Ok(PoolRun { state })
    }

    /// Hands the pool the rounds left after the job's first round (`start`).
    pub fn begin(&self, start: FrontierStart) {
        let mut s = self.state.borrow_mut();
        // As many workers as the pool's memory holds with this table each.
        let fits = pool_size(MAX_WORKERS + 1, start.table_bytes);
        let keep = s.asked.unwrap_or(s.workers.len()).min(fits).max(1);
        s.workers.truncate(keep);
        let mut bare = start.project.clone();
        bare.profiles = Profiles {
            mb_per_vcpu: bare.profiles.mb_per_vcpu,
            stages: Vec::new(),
        };
        let workers = s.workers.len();
        s.rounds = Some(Rounds {
            project: start.project,
            bare,
            times: start.times,
            start: start.start,
            splitter: Splitter::new(start.rounds, workers),
        });
        s.last_part_ms = now_ms();
        // Nothing left to solve (a one-point frontier): answers at once.
        s.after_answer();
    }
}

impl RunState {
    fn on_message(&mut self, i: usize, message: Result<FromWorker, String>) {
        if self.done || i >= self.workers.len() {
            return;
        }
        match message {
            Ok(FromWorker::WorkerLoaded) => {
                self.workers[i].loaded = true;
                self.dispatch();
            }
            Ok(FromWorker::ProcessOutput(_, out)) => match *out {
                WorkerOutput::Positions { key, result, .. } => {
                    self.workers[i].busy = None;
                    let Some(r) = self.rounds.as_mut() else {
                        return self.fail("an answer before the rounds began");
                    };
                    match result.and_then(|answers| r.splitter.answer(key, answers)) {
                        Ok(_) => self.after_answer(),
                        Err(e) => self.fail(&e),
                    }
                }
                WorkerOutput::Crashed { message } => self.fail(&message),
                // Its preparation's progress: the planning worker reports the rounds'.
                _ => {}
            },
            Err(e) => self.fail(&format!("an unreadable answer ({e})")),
        }
    }

    /// Reports the rounds so far, hands out more shares, or answers the job.
    fn after_answer(&mut self) {
        let Some(r) = self.rounds.as_mut() else {
            return;
        };
        let res = resolution_of(r.splitter.rounds());
        let rev = self.rev;
        self.scope.respond(
            self.handler,
            WorkerOutput::Progress {
                rev,
                key: 0,
                kind: JobKind::Frontier,
                progress: Progress::Resolving {
                    resolved: u64::from(res.resolved),
                    positions: u64::from(res.positions),
                },
            },
        );
        if r.splitter.finished() {
            self.done = true;
            let t2 = now_ms();
            let result = finish(
                &r.project,
                &mut self.cache.borrow_mut(),
                Vec::new(),
                (r.times.0, r.times.1, t2),
                r.splitter.rounds(),
                &now_ms,
            )
            .map(|mut out| {
                out.timings.start = r.start.clone();
                out
            });
            self.respond(WorkerOutput::Frontier {
                rev,
                result: result.map_err(|e| e.to_string()),
            });
            self.stop();
            return;
        }
        let now = now_ms();
        if now - self.last_part_ms >= PART_INTERVAL_MS {
            self.last_part_ms = now;
            let out = output_so_far(
                &r.project,
                &self.cache.borrow(),
                r.times,
                r.splitter.rounds(),
                now,
            );
            match out {
                Ok(output) => self.respond(WorkerOutput::FrontierPart { rev, output }),
                Err(e) => return self.fail(&e.to_string()),
            }
        }
        self.dispatch();
    }

    /// Gives every idle loaded worker a share, while there are any.
    fn dispatch(&mut self) {
        let Some(r) = self.rounds.as_mut() else {
            return;
        };
        for w in &mut self.workers {
            if !w.loaded || w.busy.is_some() {
                continue;
            }
            let Some(chunk) = r.splitter.next_chunk() else {
                return;
            };
            let first = !w.has_profiles;
            let job = Job {
                rev: self.rev,
                key: chunk.id,
                project: if first {
                    r.project.clone()
                } else {
                    r.bare.clone()
                },
                profiles: if first {
                    JobProfiles::Sent { id: 1 }
                } else {
                    JobProfiles::Kept { id: 1 }
                },
                fusion: Default::default(),
                task: Task::Positions {
                    bounds: chunk.bounds,
                    max_nodes: chunk.max_nodes,
                },
                pool: None,
            };
            // Through the codec: the first share's profiles cross as a buffer.
            let message = Json::encode(ToWorker::ProcessInput(1, &job));
            if w.worker.post_message(&message).is_err() {
                return self.fail("cannot post a share");
            }
            w.busy = Some(chunk.id);
            w.has_profiles = true;
        }
    }

    /// Terminates every pool worker: their memory goes now (the handlers stay
    /// until the run is dropped: one of them may be running this).
    fn stop(&mut self) {
        for w in &self.workers {
            w.worker.terminate();
        }
    }

    /// Ends the job with `cause`.
    fn fail(&mut self, cause: &str) {
        self.done = true;
        self.stop();
        self.respond(WorkerOutput::Frontier {
            rev: self.rev,
            result: Err(format!(
                "a worker solving the frontier's positions stopped: {cause}"
            )),
        });
    }

    fn respond(&self, out: WorkerOutput) {
        self.scope.respond(self.handler, out);
    }
}

/// A pool worker's solver of one frontier job's shares ([`Task::Positions`]):
/// it owns the job's sampled problem (fitted and sampled once, from the first
/// share's profiles) and answers every share with ONE planner, set up once
/// (`Planner::new` validates and precomputes the whole table). The shares
/// queue here and are solved in order, each as its own turn of the worker.
pub struct Solver {
    rev: u64,
    queue: Rc<ShareQueue>,
}

/// A share waiting for the solver.
struct Share {
    handler: HandlerId,
    key: u64,
    bounds: Vec<(u32, f64)>,
    max_nodes: Option<u64>,
}

#[derive(Default)]
struct ShareQueue {
    shares: RefCell<VecDeque<Share>>,
    waker: RefCell<Option<Waker>>,
    closed: Cell<bool>,
}

impl ShareQueue {
    fn wake(&self) {
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }

    /// The next share, `None` once closed.
    fn next(&self) -> impl Future<Output = Option<Share>> + '_ {
        std::future::poll_fn(move |cx| {
            if let Some(share) = self.shares.borrow_mut().pop_front() {
                return Poll::Ready(Some(share));
            }
            if self.closed.get() {
                return Poll::Ready(None);
            }
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
    }
}

impl Drop for Solver {
    fn drop(&mut self) {
        self.queue.closed.set(true);
        self.queue.wake();
    }
}

impl Solver {
    /// Whether this solver serves the shares of job `rev`.
    pub fn serves(&self, rev: u64) -> bool {
        self.rev == rev
    }

    /// A solver for the job of `job` (a share): prepares its problem on `cache`
    /// (fit and sample, or the cached problem) and takes it; on error, what to
    /// answer the share.
    pub fn start(
        scope: &WorkerScope<PlannerAgent>,
        job: &Job,
        cache: &mut Cache,
    ) -> Result<Solver, String> {
        let project = cache
            .resolve_profiles(job)
            .map_err(|id| ComputeError::ProfilesNotKept(id).to_string())?
            .into_owned();
        prepared(&project, cache, &mut |_| {}).map_err(|e| e.to_string())?;
        let Some(prep) = cache.take_prepared() else {
            unreachable!("prepared() keeps the sampled problem")
        };
        let queue = Rc::new(ShareQueue::default());
        wasm_bindgen_futures::spawn_local(serve(scope.clone(), job.rev, prep, queue.clone()));
        Ok(Solver {
            rev: job.rev,
            queue,
        })
    }

    /// Queues the share `job` (a [`Task::Positions`]) answered to `handler`.
    pub fn push(&self, job: &Job, handler: HandlerId) {
        let Task::Positions { bounds, max_nodes } = &job.task else {
            return;
        };
        self.queue.shares.borrow_mut().push_back(Share {
            handler,
            key: job.key,
            bounds: bounds.clone(),
            max_nodes: *max_nodes,
        });
        self.queue.wake();
    }
}

/// Answers the queued shares with one planner on `prep`, until the solver is dropped.
async fn serve(scope: WorkerScope<PlannerAgent>, rev: u64, prep: Prepared, queue: Rc<ShareQueue>) {
    let planner = Planner::new(&prep.problem).map_err(|e| PipelineError::from(e).to_string());
    while let Some(share) = queue.next().await {
        let result = planner.as_ref().map_err(Clone::clone).map(|planner| {
            super::agent::running(share.handler, || {
                share
                    .bounds
                    .iter()
                    .map(|&(_, max_s)| solve_position(planner, max_s, share.max_nodes))
                    .collect()
            })
        });
        scope.respond(
            share.handler,
            WorkerOutput::Positions {
                rev,
                key: share.key,
                result,
            },
        );
    }
}

/// `performance.now()` of this global scope, ms (0 when unavailable).
fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or(0.0, |p| p.now())
}
