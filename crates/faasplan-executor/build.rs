//! Compiles the example workflow's functions (`kernels/`, a workspace of its own)
//! to WebAssembly for wasm32-wasip1 and tells the crate where they are
//! (`FAASPLAN_KERNELS_DIR`).
//!
//! Debian's Rust toolchain (`/usr/bin/cargo`, `rustc-web`) builds the wasm32-wasip1
//! standard library from source and links with Debian's `wasi-libc` and
//! `wasm-ld-22`; `scripts/setup` installs them. The build goes to
//! `<target>/wasi-kernels`, so it is done once and then only checked.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let kernels = manifest.join("kernels");
    for path in ["src", "Cargo.toml", "Cargo.lock", ".cargo/config.toml"] {
        println!("cargo:rerun-if-changed={}", kernels.join(path).display());
    }
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // OUT_DIR is <target>/[<triple>/]<profile>/build/<package>-<hash>/out.
    let target_dir = out_dir
        .ancestors()
        .nth(4)
        .unwrap_or(&out_dir)
        .join("wasi-kernels");
    let functions = target_dir.join("wasm32-wasip1/release");
    if let Err(message) = build(&kernels, &target_dir) {
        panic!(
            "building the example functions (crates/faasplan-executor/kernels) failed: {message}\n\
             They need Debian's Rust toolchain with its std sources (rustc-web, cargo-web, \
             rust-web-src), wasi-libc and lld-22: run scripts/setup"
        );
    }
    println!(
        "cargo:rustc-env=FAASPLAN_KERNELS_DIR={}",
        functions.display()
    );
}

fn build(kernels: &Path, target_dir: &Path) -> Result<(), String> {
    for tool in [
        "/usr/bin/cargo",
        "/usr/bin/rustc",
        "/usr/bin/wasm-ld-22",
        "/usr/lib/wasm32-wasi/libc.a",
    ] {
        if !Path::new(tool).exists() {
            return Err(format!("{tool} is missing"));
        }
    }
    // A clean environment: the outer build's CARGO_*, RUSTC* and RUSTFLAGS must not leak in.
    let mut command = Command::new("/usr/bin/cargo");
    command.env_clear();
    for name in ["PATH", "HOME", "CARGO_HOME", "TMPDIR", "CARGO_NET_OFFLINE"] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    let output = command
        .env("RUSTC", "/usr/bin/rustc")
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(kernels)
        .args([
            "build",
            "--release",
            "--locked",
            "--quiet",
            "--target",
            "wasm32-wasip1",
            "--target-dir",
        ])
        .arg(target_dir)
        .output()
        .map_err(|e| format!("running /usr/bin/cargo: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}
