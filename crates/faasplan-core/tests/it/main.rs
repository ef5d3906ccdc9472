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
