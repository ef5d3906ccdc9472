//! Shared by the benches: the bundled workflows (same reader as the integration tests).

#[path = "../tests/it/model/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

pub use fixtures::{ml, video};
