//! What to measure next: Gaussian-process surrogates of the stages' measured
//! times, an anomaly detector on the profile runs ([`anomaly`]) and the
//! profiling advisor ([`propose`]), after Aquatope (ASPLOS'23).
//!
//! Every stage gets its own GP over its configurations `(ln memory, ln d)`
//! ([`gp`], [`observations`]); the acquisition targets the user's decision —
//! the cheapest workflow plan at the latency bound — on a deterministic
//! surrogate of the workflow problem ([`surrogate`]). Batches are scored with
//! quasi-Monte Carlo draws from a Sobol sequence ([`sobol`]). [`forecast`] reads
//! or generates invocation traces and forecasts a stage's busy instances per
//! minute; [`prewarm`] plans provisioned concurrency per stage and interval
//! from them, and the cold-start rate it buys. See `docs/advisor.md`.

pub mod anomaly;
pub mod forecast;
pub mod gp;
pub mod observations;
pub mod prewarm;
pub mod propose;
pub mod sobol;
pub mod surrogate;
