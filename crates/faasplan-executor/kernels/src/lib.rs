//! What every example function shares: its command line, reading its inputs,
//! writing its outputs, and timing the three steps.
//!
//! An instance is called as `KERNEL --out DIR --parts P [--in STAGE=PATH]..`:
//! it reads every `--in` file (the object store is the run's directory,
//! mounted at `/work`), computes, and writes `P` files `DIR/part-NNNN` (one per
//! downstream instance). Its last line on stdout is the step times in seconds,
//! `{"read_s":..,"compute_s":..,"write_s":..}`, measured inside the function
//! like the bundled profiles' in-function times.

use std::process::ExitCode;
use std::time::Instant;

/// One input object: the stage that wrote it, its path, its bytes.
pub struct Input {
    /// Upstream stage id (`workload` for the workflow's input).
    pub stage: String,
    /// Path under `/work`.
    pub path: String,
    /// Contents.
    pub data: Vec<u8>,
}

struct Invocation {
    out: String,
    parts: usize,
    inputs: Vec<(String, String)>,
}

fn parse_args() -> Result<Invocation, String> {
    let mut args = std::env::args().skip(1);
    let (mut out, mut parts, mut inputs) = (None, 1usize, Vec::new());
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--out" => out = Some(value),
            "--parts" => {
                parts = value
                    .parse()
                    .map_err(|_| format!("--parts {value:?} is not a count"))?
            }
            "--in" => {
                let (stage, path) = value.split_once('=').ok_or("--in needs STAGE=PATH")?;
                inputs.push((stage.to_string(), path.to_string()));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let out = out.ok_or("--out is missing")?;
    Ok(Invocation {
        out,
        parts: parts.max(1),
        inputs,
    })
}

/// Runs one instance: reads the inputs, calls `compute` with them and the number
/// of output parts, writes the parts it returns, and prints the step times.
pub fn run(compute: impl FnOnce(Vec<Input>, usize) -> Vec<Vec<u8>>) -> ExitCode {
    match run_inner(compute) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run_inner(compute: impl FnOnce(Vec<Input>, usize) -> Vec<Vec<u8>>) -> Result<(), String> {
    let invocation = parse_args()?;
    let t0 = Instant::now();
    let mut inputs = Vec::with_capacity(invocation.inputs.len());
    for (stage, path) in invocation.inputs {
        let data = std::fs::read(&path).map_err(|e| format!("reading {path}: {e}"))?;
        inputs.push(Input { stage, path, data });
    }
    let t1 = Instant::now();
    let parts = compute(inputs, invocation.parts);
    let t2 = Instant::now();
    for (p, data) in parts.iter().enumerate() {
        let path = format!("{}/part-{p:04}", invocation.out);
        std::fs::write(&path, data).map_err(|e| format!("writing {path}: {e}"))?;
    }
    let t3 = Instant::now();
    println!(
        "{{\"read_s\":{},\"compute_s\":{},\"write_s\":{}}}",
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        (t3 - t2).as_secs_f64()
    );
    Ok(())
}

/// The numbers of a text input, one per line (other lines are skipped).
pub fn numbers(data: &[u8]) -> impl Iterator<Item = u64> + '_ {
    data.split(|&b| b == b'\n')
        .filter_map(|line| std::str::from_utf8(line).ok()?.trim().parse().ok())
}

/// Numbers as text, one per line.
pub fn lines(values: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 20);
    for v in values {
        out.extend_from_slice(v.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// `values` cut into `parts` contiguous chunks of nearly equal length.
pub fn chunks<T: Clone>(values: &[T], parts: usize) -> Vec<Vec<T>> {
    (0..parts)
        .map(|p| values[p * values.len() / parts..(p + 1) * values.len() / parts].to_vec())
        .collect()
}
