//! `faasplan executor ...`: runs the executor server, which is its own binary
//! (`faasplan-executor`, crate `faasplan-executor`) so that its async runtime and
//! WebAssembly engine never enter this CLI. Like git's and cargo's external
//! subcommands, it is looked up next to this executable, then on `PATH`, and
//! runs with the arguments that follow.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::Outcome;

/// The executor binary's file name.
const BINARY: &str = if cfg!(windows) {
    "faasplan-executor.exe"
} else {
    "faasplan-executor"
};

/// Arguments passed on to `faasplan-executor` (see `faasplan executor --help`).
#[derive(Args, Debug)]
pub struct ExecutorArgs {
    /// Arguments for faasplan-executor, e.g. `--bind 127.0.0.1:8787 --allow-origin http://localhost:8080`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<OsString>,
}

fn find() -> Option<PathBuf> {
    let beside = std::env::current_exe().ok()?.parent()?.join(BINARY);
    if beside.is_file() {
        return Some(beside);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(BINARY))
        .find(|p| p.is_file())
}

pub fn run(args: &ExecutorArgs) -> Result<Outcome> {
    let Some(binary) = find() else {
        bail!(
            "faasplan executor runs the {BINARY} binary, which is neither next to faasplan nor on PATH: \
             build it with `cargo build --release -p faasplan-executor`"
        );
    };
    let status = Command::new(&binary)
        .args(&args.args)
        .status()
        .with_context(|| format!("running {}", binary.display()))?;
    if status.success() {
        Ok(Outcome::Success)
    } else {
        bail!("{} exited with {status}", binary.display())
    }
}
