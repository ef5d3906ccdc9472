//! What the `faasplan` binary's test files share: the bundled examples and a run.
// Each test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::process::{Command, Output};

pub const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../static/examples");

/// The path of a bundled example.
pub fn example(name: &str) -> String {
    format!("{EXAMPLES}/{name}")
}

/// The ML pipeline's input flags.
pub fn ml() -> Vec<String> {
    vec![
        "--workflow".into(),
        example("ML-pipeline.json"),
        "--profiles".into(),
        example("ML-Pipeline_profile.json"),
    ]
}

/// Runs the binary with `args` followed by `input`.
pub fn run(args: &[&str], input: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faasplan"))
        .args(args)
        .args(input)
        .output()
        .expect("the faasplan binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
