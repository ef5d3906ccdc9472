//! One function instance: a WASI command module under wasmtime with the
//! configured memory as its hard limit and a CPU share proportional to it.
//!
//! **CPU share.** Lambda gives a function `memory_mb / 1,769` vCPUs. Here the
//! store burns fuel and yields to the host every [`YIELD_FUEL`] units
//! (`fuel_async_yield_interval`); [`Throttled`] times each slice the guest ran
//! and then sleeps `slice × (1/share − 1)` before letting it run again, so the
//! instance gets at most `share` of one host core. A share of one vCPU or more
//! runs unthrottled: the guest is single-threaded, as a Lambda function with
//! one thread gains nothing past one vCPU. What this does not imitate: the
//! host's own contention (d instances share the host's cores, so a stage with
//! more instances than free cores runs slower than on Lambda), Lambda's burst
//! credits, and network-bound I/O (reads and writes go to the local disk).
//!
//! **Memory.** The store's limiter refuses any linear-memory growth past the
//! configured memory; the guest's allocator then fails and the instance traps,
//! which is reported as running out of memory, like a Lambda function killed
//! at its memory size.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use wasmtime::{Engine, Linker, Module, ResourceLimiter, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

/// Fuel (about one unit per wasm instruction) an instance runs between yields.
pub const YIELD_FUEL: u64 = 200_000;

/// Throttling debt below which the instance keeps running (timer resolution).
const MIN_SLEEP: Duration = Duration::from_millis(2);

/// The host state of one instance.
pub struct InstanceState {
    wasi: WasiP1Ctx,
    limiter: MemoryLimiter,
}

/// Refuses linear-memory growth past `limit_bytes`, and remembers that it did.
struct MemoryLimiter {
    limit_bytes: usize,
    denied: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.limit_bytes;
        self.denied |= !ok;
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// The WASI imports every instance gets.
pub fn linker(engine: &Engine) -> wasmtime::Result<Linker<InstanceState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s: &mut InstanceState| &mut s.wasi)?;
    Ok(linker)
}

/// What one instance is asked to do.
pub struct Call<'a> {
    /// The run's directory, mounted at `/work` (the only directory it sees).
    pub run_dir: &'a Path,
    /// Command-line arguments after the program name.
    pub args: Vec<String>,
    /// Memory limit, MB.
    pub memory_mb: u32,
    /// CPU share, vCPUs (capped at 1 by the caller).
    pub share: f64,
}

/// The step times an instance measured, s.
#[derive(Clone, Copy, Debug)]
pub struct StepTimes {
    /// Reading the input.
    pub read_s: f64,
    /// Computing.
    pub compute_s: f64,
    /// Writing the output.
    pub write_s: f64,
}

/// Runs one instance of `module` to its end.
pub async fn call(
    linker: &Linker<InstanceState>,
    module: &Module,
    name: &str,
    request: Call<'_>,
) -> Result<StepTimes, String> {
    let stdout = MemoryOutputPipe::new(1 << 16);
    let stderr = MemoryOutputPipe::new(1 << 16);
    let mut args = vec![name.to_string()];
    args.extend(request.args);
    let wasi = WasiCtxBuilder::new()
        .args(&args)
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .preopened_dir(request.run_dir, "/work", FsPerms::ReadWrite)
        .map_err(|e| format!("mounting the run directory: {e}"))?
        .build_p1();
    let limit_bytes = usize::try_from(u64::from(request.memory_mb) << 20).unwrap_or(usize::MAX);
    let state = InstanceState {
        wasi,
        limiter: MemoryLimiter {
            limit_bytes,
            denied: false,
        },
    };
    let mut store = Store::new(linker.engine(), state);
    store.limiter(|s| &mut s.limiter);
    let setup = |e: wasmtime::Error| format!("setting up the instance: {e}");
    store.set_fuel(u64::MAX).map_err(setup)?;
    store
        .fuel_async_yield_interval(Some(YIELD_FUEL))
        .map_err(setup)?;
    let outcome = async {
        let instance = linker.instantiate_async(&mut store, module).await?;
        let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
        Throttled::new(start.call_async(&mut store, ()), request.share).await
    }
    .await;
    let exit = match outcome {
        Ok(()) => 0,
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(code) => code.0,
            None if store.data().limiter.denied => {
                return Err(format!("ran out of its {} MB of memory", request.memory_mb));
            }
            None => return Err(format!("trapped: {e}; stderr: {}", tail(&stderr))),
        },
    };
    if exit != 0 {
        return Err(format!(
            "exited with status {exit}; stderr: {}",
            tail(&stderr)
        ));
    }
    parse_times(&String::from_utf8_lossy(&stdout.contents()))
        .ok_or_else(|| format!("printed no step times; stderr: {}", tail(&stderr)))
}

fn tail(pipe: &MemoryOutputPipe) -> String {
    let text = String::from_utf8_lossy(&pipe.contents()).trim().to_string();
    let start = text.char_indices().rev().nth(400).map_or(0, |(i, _)| i);
    text[start..].to_string()
}

/// The last stdout line, `{"read_s":..,"compute_s":..,"write_s":..}`.
fn parse_times(stdout: &str) -> Option<StepTimes> {
    let line = stdout.lines().rev().find(|l| !l.trim().is_empty())?;
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let get = |k: &str| {
        value
            .get(k)?
            .as_f64()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    Some(StepTimes {
        read_s: get("read_s")?,
        compute_s: get("compute_s")?,
        write_s: get("write_s")?,
    })
}

/// Holds a guest call to a CPU share: after each slice it ran (between two
/// fuel yields), sleeps so that running time / elapsed time stays at `share`.
struct Throttled<F> {
    inner: Pin<Box<F>>,
    share: f64,
    debt: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<F: Future> Throttled<F> {
    fn new(inner: F, share: f64) -> Self {
        Throttled {
            inner: Box::pin(inner),
            share,
            debt: Duration::ZERO,
            sleep: None,
        }
    }
}

impl<F: Future> Future for Throttled<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if let Some(sleep) = self.sleep.as_mut() {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.sleep = None;
        }
        let t0 = Instant::now();
        let polled = self.inner.as_mut().poll(cx);
        if polled.is_ready() || self.share >= 1.0 {
            return polled;
        }
        let ran = t0.elapsed();
        let owed = ran.mul_f64(1.0 / self.share - 1.0);
        self.debt += owed;
        if self.debt >= MIN_SLEEP {
            let wait = std::mem::take(&mut self.debt);
            let mut sleep = Box::pin(tokio::time::sleep(wait));
            // Register the timer now; the guest's own wake-up is ignored until it fires.
            if sleep.as_mut().poll(cx).is_pending() {
                self.sleep = Some(sleep);
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_times_come_from_the_last_line() {
        let t = parse_times("hello\n{\"read_s\":0.5,\"compute_s\":1,\"write_s\":0}\n").unwrap();
        assert_eq!((t.read_s, t.compute_s, t.write_s), (0.5, 1.0, 0.0));
        assert!(parse_times("{\"read_s\":-1,\"compute_s\":1,\"write_s\":0}").is_none());
        assert!(parse_times("").is_none());
    }
}
