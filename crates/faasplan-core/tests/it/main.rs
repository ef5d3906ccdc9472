//! Integration tests of faasplan-core: one binary, one module per area.
mod advisor;
mod arch;
mod baselines;
mod bundled;
mod formats;
mod fusion;
mod fuzz_pipeline;
mod guards;
mod imports;
mod loops;
mod model;
mod pipeline;
mod solve;
mod stats;
#[cfg(not(target_arch = "wasm32"))]
mod validity;
/// The validity experiment's runs, results file and report (the bench binary's
/// module, tested in `validity`).
#[cfg(not(target_arch = "wasm32"))]
#[allow(dead_code)]
#[path = "../../benches/validity/experiment.rs"]
mod validity_experiment;
