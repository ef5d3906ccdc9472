//! The faasplan executor: an HTTP server that runs a serverless workflow for real
//! and returns measured profiles. The protocol's wire types are
//! `faasplan_core::executor`; `docs/executor-openapi.yaml` describes it and
//! `docs/executor.md` tells how to run it.
//!
//! Backends implement [`Backend`], which is defined in the core beside the wire
//! types, so that a backend crate (such as the AWS one) depends on the core only
//! and this crate can plug it in without a dependency cycle. A backend's
//! [`Backend::run`] returns a future the server spawns; it reports progress,
//! profile rows and executions through the [`RunHandle`] and stops when
//! [`RunHandle::cancelled`] completes. [`server::router`] serves one backend;
//! [`local::LocalBackend`] runs WebAssembly functions on this machine.
//!
//! ```no_run
//! use std::sync::Arc;
//! use faasplan_executor::local::{LocalBackend, LocalSettings};
//! use faasplan_executor::server::{ServerSettings, router};
//!
//! let backend = LocalBackend::new(LocalSettings {
//!     functions_dir: faasplan_executor::example_functions_dir().into(),
//!     work_dir: std::env::temp_dir().join("faasplan-runs"),
//! })
//! .unwrap();
//! let app = router(Arc::new(backend), ServerSettings::default()).unwrap();
//! # let _ = app;
//! ```

pub mod local;
pub mod server;

pub use faasplan_core::executor::backend::{Backend, BackendError, BoxFuture, Job, RunHandle};

/// The directory of the example workflow's functions (`split`, `sort`,
/// `compress`, `merge` and the test function `probe`, as `.wasm`), which the
/// build compiles from `crates/faasplan-executor/kernels`.
pub fn example_functions_dir() -> &'static str {
    env!("FAASPLAN_KERNELS_DIR")
}
