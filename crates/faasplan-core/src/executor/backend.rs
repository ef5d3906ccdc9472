//! The trait an executor backend implements, and the [`RunHandle`] through
//! which a running backend reports.
//!
//! A backend runs one [`Job`] at a time per call of [`Backend::run`], which
//! returns a future: the server spawns it on its async runtime. While it runs,
//! the backend reports through the job's [`RunHandle`]: progress
//! ([`RunHandle::instances_started`], [`RunHandle::instance_finished`]),
//! measured stage runs ([`RunHandle::add_run`]), finished end-to-end executions
//! ([`RunHandle::add_execution`]) and errors it recovered from
//! ([`RunHandle::warn`]). Cancellation is cooperative: after
//! `DELETE /runs/{id}` the handle reports [`RunHandle::is_cancelled`] and the
//! future [`RunHandle::cancelled`] completes; the backend then stops, undoes
//! what it changed (the AWS backend restores the functions' configuration) and
//! returns. A backend must never put a credential into anything it reports.
//!
//! Only `std` is used here, so the trait lives beside the wire types and a
//! backend crate needs nothing from the server crate.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use thiserror::Error;

use super::{ExecutionRecord, RunProfiles, RunRequest, RunState, RunStatus, StageProgress};
use crate::dag::Config;
use crate::formats::csv::write_profiles_csv;
use crate::profile::{ProfileRun, Profiles, StageProfile};

/// A boxed future a backend returns (the server spawns it).
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A run a backend failed (the run ends `failed` with this message).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct BackendError(pub String);

/// One accepted run.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// The run id.
    pub id: String,
    /// The request as the client sent it.
    pub request: RunRequest,
    /// Each configuration as one [`Config`] per stage in the workflow's stage
    /// order (what [`RunRequest::check`] returned).
    pub configurations: Vec<Vec<Config>>,
}

/// An executor backend: something that runs workflows and measures them.
pub trait Backend: Send + Sync + 'static {
    /// The name clients see (`local`, `aws`, ..).
    fn name(&self) -> &str;

    /// MB of memory per vCPU on this backend (the profiles' `mb_per_vcpu`).
    fn mb_per_vcpu(&self) -> f64;

    /// Stage ids this backend has a function for (empty: any).
    fn functions(&self) -> Vec<String>;

    /// Whether the backend can run this request (after [`RunRequest::check`]);
    /// `Err` holds a message for the client (the server answers 400).
    fn accepts(&self, job: &Job) -> Result<(), BackendError>;

    /// Runs the job to its end, reporting through `handle`; returns soon after
    /// `handle` is cancelled. `Ok` means every execution ran (or the run was
    /// cancelled and cleaned up).
    fn run(&self, job: Arc<Job>, handle: RunHandle) -> BoxFuture<Result<(), BackendError>>;
}

/// What the server keeps of one run; shared by the server and the backend.
#[derive(Debug)]
struct Record {
    state: RunState,
    cancel_requested: bool,
    wakers: Vec<Waker>,
    executions_total: u64,
    stages: Vec<StageProgress>,
    profiles: Profiles,
    executions: Vec<ExecutionRecord>,
    errors: Vec<String>,
}

/// The shared state of one run: the backend reports into it, the server reads
/// it for `GET /runs/{id}` and cancels through it. Cloning shares it.
#[derive(Clone, Debug)]
pub struct RunHandle {
    id: Arc<str>,
    backend: Arc<str>,
    record: Arc<Mutex<Record>>,
}

impl RunHandle {
    /// A queued run of `job` on the backend called `backend`, measured on a
    /// platform with `mb_per_vcpu`.
    pub fn new(job: &Job, backend: &str, mb_per_vcpu: f64) -> RunHandle {
        let stages = job
            .request
            .workflow
            .stages
            .iter()
            .map(|s| StageProgress {
                stage: s.id.clone(),
                ..StageProgress::default()
            })
            .collect();
        let record = Record {
            state: RunState::Queued,
            cancel_requested: false,
            wakers: Vec::new(),
            executions_total: job.request.executions(),
            stages,
            profiles: Profiles {
                mb_per_vcpu,
                stages: Vec::new(),
            },
            executions: Vec::new(),
            errors: Vec::new(),
        };
        RunHandle {
            id: job.id.as_str().into(),
            backend: backend.into(),
            record: Arc::new(Mutex::new(record)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Record> {
        // A reporter that panicked mid-update leaves counters, never broken invariants.
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stage_mut<'a>(record: &'a mut Record, stage: &str) -> Option<&'a mut StageProgress> {
        record.stages.iter_mut().find(|s| s.stage == stage)
    }

    /// The run id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Sets the run's state (the server does this; a final state is kept).
    pub fn set_state(&self, state: RunState) {
        let mut record = self.lock();
        if !record.state.is_final() {
            record.state = state;
        }
    }

    /// Ends the run: `failed` with `error`, `cancelled` when a cancel was
    /// asked for, else `succeeded`.
    pub fn finish(&self, result: Result<(), BackendError>) {
        let mut record = self.lock();
        if record.state.is_final() {
            return;
        }
        record.state = match result {
            Err(e) => {
                record.errors.push(e.0);
                RunState::Failed
            }
            Ok(()) if record.cancel_requested => RunState::Cancelled,
            Ok(()) => RunState::Succeeded,
        };
    }

    /// Asks the backend to stop. Returns false when the run had already ended.
    pub fn cancel(&self) -> bool {
        let wakers = {
            let mut record = self.lock();
            if record.state.is_final() {
                return false;
            }
            record.cancel_requested = true;
            std::mem::take(&mut record.wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
        true
    }

    /// Whether a cancel was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.lock().cancel_requested
    }

    /// Completes when a cancel is asked for.
    pub fn cancelled(&self) -> Cancelled {
        Cancelled(self.clone())
    }

    /// `count` instances of `stage` were started.
    pub fn instances_started(&self, stage: &str, count: u64) {
        if let Some(s) = Self::stage_mut(&mut self.lock(), stage) {
            s.instances_started += count;
        }
    }

    /// One instance of `stage` finished.
    pub fn instance_finished(&self, stage: &str) {
        if let Some(s) = Self::stage_mut(&mut self.lock(), stage) {
            s.instances_finished += 1;
        }
    }

    /// A measured run of `stage` (this also counts the stage run as finished).
    pub fn add_run(&self, stage: &str, run: ProfileRun) {
        let mut record = self.lock();
        if let Some(s) = Self::stage_mut(&mut record, stage) {
            s.runs_finished += 1;
        }
        match record.profiles.stages.iter_mut().find(|s| s.stage == stage) {
            Some(profile) => profile.runs.push(run),
            None => record.profiles.stages.push(StageProfile {
                stage: stage.to_string(),
                runs: vec![run],
            }),
        }
    }

    /// A finished end-to-end execution.
    pub fn add_execution(&self, execution: ExecutionRecord) {
        self.lock().executions.push(execution);
    }

    /// Something went wrong that did not stop the run.
    pub fn warn(&self, message: impl Into<String>) {
        self.lock().errors.push(message.into());
    }

    /// The run's state.
    pub fn state(&self) -> RunState {
        self.lock().state
    }

    /// The answer to `GET /runs/{id}`.
    pub fn status(&self) -> RunStatus {
        let record = self.lock();
        RunStatus {
            id: self.id.to_string(),
            backend: self.backend.to_string(),
            state: record.state,
            executions_total: record.executions_total,
            executions_finished: record.executions.len() as u64,
            stages: record.stages.clone(),
            errors: record.errors.clone(),
        }
    }

    /// The answer to `GET /runs/{id}/profiles`.
    pub fn profiles(&self) -> RunProfiles {
        let record = self.lock();
        RunProfiles {
            id: self.id.to_string(),
            state: record.state,
            csv: write_profiles_csv(&record.profiles),
            profiles: record.profiles.clone(),
            executions: record.executions.clone(),
        }
    }
}

/// The future of [`RunHandle::cancelled`].
#[derive(Debug)]
pub struct Cancelled(RunHandle);

impl Future for Cancelled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut record = self.0.lock();
        if record.cancel_requested {
            Poll::Ready(())
        } else {
            if !record.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                record.wakers.push(cx.waker().clone());
            }
            Poll::Pending
        }
    }
}
