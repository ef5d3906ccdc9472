//! Sampler tests.
