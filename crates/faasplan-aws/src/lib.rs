//! faasplan's AWS backend: runs a plan on a user's real Lambda functions and
//! Step Functions state machine and reads the runs back as profile rows.
//!
//! A run ([`Session::run`]) goes through fixed phases:
//!
//! 1. **Remember** each function's configuration (`GetFunctionConfiguration`)
//!    and the state machine's definition (`DescribeStateMachine`).
//! 2. **Apply** each configuration to profile: `UpdateFunctionConfiguration`
//!    with the planned `MemorySize`, then wait until `LastUpdateStatus` is
//!    `Successful`; each Map's d as its `MaxConcurrency` (`UpdateStateMachine`
//!    with the definition `faasplan_core::export::state_machine` writes).
//! 3. **Execute** the workflow `repetitions` times: `StartExecution` and
//!    `DescribeExecution` until it ends, or, for a single function without a
//!    state machine, d concurrent `Invoke`s with `LogType=Tail`, the input split
//!    into d parts.
//!    While an execution runs, its history (`GetExecutionHistory`) gives live
//!    per-stage progress ([`Session::with_progress`]).
//! 4. **Restore** what was remembered, also after an error or a cancel. The
//!    remembered values stay in a restore file until then
//!    ([`AwsSettings::restore_file`]); an executor killed mid-run puts them back
//!    when it starts again ([`Session::restore_interrupted`]).
//! 5. **Collect** every instance's `REPORT` line (the Invoke `LogResult` tail,
//!    else CloudWatch Logs `FilterLogEvents` over each execution's time
//!    window) and turn them into profile rows with the core's Lambda log
//!    importer (`faasplan_core::formats::lambda_logs`), one row per stage and
//!    execution (d instances: mean and P95 over them; cold if any started cold).
//!
//! [`dry_run`] lists the calls a run would make without contacting AWS.
//! Credentials come from the standard AWS chain (environment, shared files,
//! web identity, container and instance metadata); no credential is written
//! to any message this crate produces ([`redact`]).

mod backend;
mod call;
mod error;
mod rows;
mod session;
mod settings;
mod target;

pub use backend::{AwsBackend, AwsOptions};
pub use call::{Call, Echo, Entry, ExecutionRecord, Journal};
pub use error::{AwsError, ErrorKind, redact};
pub use rows::{Dropped, StageReports, rows_of_reports};
pub use session::{
    Cancel, ExecutionMeasure, Progress, Remembered, RunOutcome, RunRequest, Session, dry_run,
};
pub use settings::AwsSettings;
pub use target::{StageFunction, Target};
