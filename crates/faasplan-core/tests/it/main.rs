//! Integration tests of faasplan-core: one binary, one module per area.
mod baselines;
mod bundled;
mod formats;
mod model;
mod pipeline;
mod solve;
mod stats;
