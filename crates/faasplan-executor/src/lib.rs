//! The faasplan executor: an HTTP server that runs a serverless workflow for real
//! and returns measured profiles (the protocol is `faasplan_core::executor`,
//! described in `docs/executor-openapi.yaml`).
//!
//! Backends implement [`Backend`] (defined in the core, beside the wire types,
//! so that a backend crate such as `faasplan-aws` depends on the core only and
//! this crate can plug it in behind a cargo feature without a dependency cycle).
//! A backend's [`Backend::run`] returns a future the server spawns; it reports
//! progress, profile rows and executions through the [`RunHandle`] and stops
//! when [`RunHandle::cancelled`] completes.

pub use faasplan_core::executor::backend::{Backend, BackendError, BoxFuture, Job, RunHandle};
