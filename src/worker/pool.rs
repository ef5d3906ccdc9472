//! A pool of workers solving the rounds of a frontier job, so the planning
//! worker stays free for the bound the user types, checks and exports.
//!
//! A [`Task::Frontier`] job that names the worker script (`Job::pool`) is
//! started in the planning worker as before (the certified solve of its bound,
//! answered at once, the preparation, the positions' bounds:
//! [`start_frontier`]); then [`PoolRun::start`] starts up to [`MAX_WORKERS`]
//! more instances of the worker script (sized by [`pool_size`]: the browser's
//! `navigator.hardwareConcurrency` and the memory one worker's tables need),
//! sends each the project once, and hands them shares of each level
//! ([`Splitter`]) as [`Task::Positions`] jobs. Answers are recorded in the
//! level's order, so the frontier is the one-thread one bit for bit. The
//! planning worker posts the frontier so far (at most every
//! [`PART_INTERVAL_MS`]) and the final answer, as the one-thread path does.
//!
//! Dropping the run (a new frontier job: the inputs changed) terminates every
//! pool worker at once. A pool worker that stops or fails ends the job with an
//! error naming the cause.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::profile::Profiles;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, Url, Worker};
use yew_agent::worker::{HandlerId, WorkerScope};

use super::agent::PlannerAgent;
use super::compute::resolution::{Splitter, finish, output_so_far, resolution_of};
use super::compute::{Cache, FrontierStart};
use super::protocol::{Job, JobKind, JobProfiles, Progress, Task, WorkerOutput};
use crate::hooks::use_planner::exact::{FromWorker, ToWorker, start_script};

/// Most pool workers.
pub const MAX_WORKERS: usize = 4;
/// Memory all pool workers' tables may take together, bytes.
pub const POOL_TABLE_BYTES: u64 = 1 << 30;
/// A worker's own memory besides its tables (module, fit, search), bytes.
pub const WORKER_BASE_BYTES: u64 = 48 << 20;
/// Least time between two answers of the frontier so far, ms.
pub const PART_INTERVAL_MS: f64 = 250.0;

/// How many pool workers: the browser's cores (`hardware_concurrency`, at
/// least 1), at most [`MAX_WORKERS`], and at most as many as
/// [`POOL_TABLE_BYTES`] holds with `table_bytes` (one worker's tables) each.
pub fn pool_size(hardware_concurrency: usize, table_bytes: u64) -> usize {
    let by_memory = POOL_TABLE_BYTES / table_bytes.saturating_add(WORKER_BASE_BYTES).max(1);
    hardware_concurrency
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

/// The state of one frontier job's pool.
struct RunState {
    scope: WorkerScope<PlannerAgent>,
    handler: HandlerId,
    rev: u64,
    cache: Rc<RefCell<Cache>>,
    project: CoreProject,
    /// The project without profiles, for the jobs after the first.
    bare: CoreProject,
    times: (f64, f64),
    splitter: Splitter,
    workers: Vec<PoolWorker>,
    last_part_ms: f64,
    done: bool,
}

/// A frontier job's rounds running in a pool; dropping it stops every pool worker.
pub struct PoolRun {
    _state: Rc<RefCell<RunState>>,
}

impl PoolRun {
    /// Starts the pool for `start` (the job `rev`, answered to `handler`), from
    /// the worker script at `script`. On error nothing runs.
    pub fn start(
        scope: &WorkerScope<PlannerAgent>,
        handler: HandlerId,
        rev: u64,
        cache: Rc<RefCell<Cache>>,
        script: &str,
        start: FrontierStart,
    ) -> Result<PoolRun, String> {
        let size = pool_size(hardware_concurrency(), start.table_bytes);
        let mut bare = start.project.clone();
        bare.profiles = Profiles {
            mb_per_vcpu: bare.profiles.mb_per_vcpu,
            stages: Vec::new(),
        };
        let state = Rc::new(RefCell::new(RunState {
            scope: scope.clone(),
            handler,
            rev,
            cache,
            project: start.project,
            bare,
            times: start.times,
            splitter: Splitter::new(start.rounds, size),
            workers: Vec::new(),
            last_part_ms: now_ms(),
            done: false,
        }));
        for i in 0..size {
            let (worker, url) = start_script(script)?;
            let weak: Weak<RefCell<RunState>> = Rc::downgrade(&state);
            let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                let Some(state) = weak.upgrade() else {
                    return;
                };
                let Some(data) = e.data().as_string() else {
                    return;
                };
                let mut s = state.borrow_mut();
                let handler = s.handler;
                super::agent::running(handler, || s.on_message(i, &data));
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
        // Nothing to solve (no plan at all): answer at once.
        state.borrow_mut().after_answer();
        Ok(PoolRun { _state: state })
    }
}

impl RunState {
    fn on_message(&mut self, i: usize, data: &str) {
        if self.done {
            return;
        }
        match serde_json::from_str::<FromWorker>(data) {
            Ok(FromWorker::WorkerLoaded) => {
                self.workers[i].loaded = true;
                self.dispatch();
            }
            Ok(FromWorker::ProcessOutput(_, out)) => match *out {
                WorkerOutput::Positions { key, result, .. } => {
                    self.workers[i].busy = None;
                    match result.and_then(|answers| self.splitter.answer(key, answers)) {
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
        let res = resolution_of(self.splitter.rounds());
        self.respond(WorkerOutput::Progress {
            rev: self.rev,
            key: 0,
            kind: JobKind::Frontier,
            progress: Progress::Resolving {
                resolved: u64::from(res.resolved),
                positions: u64::from(res.positions),
            },
        });
        if self.splitter.finished() {
            self.done = true;
            let t2 = now_ms();
            let result = finish(
                &self.project,
                &mut self.cache.borrow_mut(),
                Vec::new(),
                (self.times.0, self.times.1, t2),
                self.splitter.rounds(),
                &now_ms,
            );
            self.respond(WorkerOutput::Frontier {
                rev: self.rev,
                result: result.map_err(|e| e.to_string()),
            });
            self.stop();
            return;
        }
        let now = now_ms();
        if now - self.last_part_ms >= PART_INTERVAL_MS {
            self.last_part_ms = now;
            let out = output_so_far(
                &self.project,
                &self.cache.borrow(),
                self.times,
                self.splitter.rounds(),
                now,
            );
            match out {
                Ok(output) => self.respond(WorkerOutput::FrontierPart {
                    rev: self.rev,
                    output,
                }),
                Err(e) => return self.fail(&e.to_string()),
            }
        }
        self.dispatch();
    }

    /// Gives every idle loaded worker a share, while there are any.
    fn dispatch(&mut self) {
        for i in 0..self.workers.len() {
            let w = &self.workers[i];
            if !w.loaded || w.busy.is_some() {
                continue;
            }
            let Some(chunk) = self.splitter.next_chunk() else {
                return;
            };
            let first = !self.workers[i].has_profiles;
            let job = Job {
                rev: self.rev,
                key: chunk.id,
                project: if first {
                    self.project.clone()
                } else {
                    self.bare.clone()
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
            let text = match serde_json::to_string(&ToWorker::ProcessInput(1, &job)) {
                Ok(t) => t,
                Err(e) => return self.fail(&format!("cannot write a share ({e})")),
            };
            let w = &mut self.workers[i];
            if w.worker.post_message(&text.as_str().into()).is_err() {
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

/// `performance.now()` of this global scope, ms (0 when unavailable).
fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or(0.0, |p| p.now())
}
