//! The compute boundary: planning runs off the UI thread in a web worker.
//!
//! The app posts a [`Job`](protocol::Job) carrying the inputs revision `rev`
//! and a snapshot of the project; the worker answers with any number of
//! [`WorkerOutput::Progress`](protocol::WorkerOutput::Progress) messages and
//! then one [`WorkerOutput::Frontier`](protocol::WorkerOutput::Frontier) (a whole
//! run) or [`WorkerOutput::Report`](protocol::WorkerOutput::Report) (a check,
//! solve or export of one plan). Every message repeats `rev`, so the app can
//! drop answers to stale inputs.
//!
//! All the work is the one function [`compute::compute`]; the worker agent in
//! [`agent`] only forwards messages, and the CLI or a test can call `compute`
//! directly.

pub mod agent;
pub mod codec;
pub mod compute;
pub mod opening;
pub mod pool;
pub mod protocol;
