//! faasplan-core: the planning engine behind faasplan.
//!
//! Data flows one way: a [`Workflow`](dag::Workflow) and its measured
//! [`Profiles`](profile::Profiles) are fitted into per-stage stochastic models
//! ([`model`]), the models are sampled with common random numbers into a
//! [`SampledProblem`](problem::SampledProblem) ([`sampling`]), and the exact
//! branch-and-bound planner ([`solve`]) and the Pareto frontier ([`frontier`])
//! work on that table only.
//!
//! The crate is pure Rust: it never reads clocks, files, the network or OS
//! entropy. Randomness comes from an explicit `seed: u64`, and file contents
//! arrive as `&str`.
#![warn(missing_docs)]
#![warn(clippy::unwrap_used, clippy::print_stdout)]

pub mod advisor;
pub mod arch;
pub mod baselines;
pub mod certify;
pub mod dag;
pub mod executor;
pub mod export;
pub mod formats;
pub mod fusion;
pub mod model;
pub mod pipeline;
pub mod plan;
pub mod platform;
pub mod pricing;
pub mod problem;
pub mod profile;
pub mod rng;
pub mod sampling;
pub mod settings;
pub mod solve;
pub mod stats;

/// The Pareto frontier lives under [`solve`] (it drives the private search engine);
/// this path is kept for callers.
pub use solve::frontier;
