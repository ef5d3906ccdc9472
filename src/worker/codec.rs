//! The worker messages' codec: JSON text, so serde's internally tagged enums
//! (the core's `Bound`, `PlanStatus`) travel as they are, unlike with
//! yew-agent's default bincode. Packed profiles do not go into the text: a
//! message carrying them is a JS array `[text, Uint8Array, …]`, the buffers
//! put aside by [`wire::collect_blobs`] while serialising (structured clone
//! copies them between threads at memory speed; gloo-worker's `postMessage`
//! takes no transfer list). A message without profiles is the text alone, as
//! before (the crash report's hand-written answer is one).
//!
//! Messages of [`TIMED_BYTES`] or more are timed on the thread that encodes
//! or decodes them (User Timing measures `wire-encode N KB` and
//! `wire-decode N KB`, see `crate::browser::perf::span`), so a trace shows
//! what crossing the wire costs each side.

use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use yew_agent::Codec;

use super::protocol::{Job, WorkerOutput, wire};
use crate::browser::perf;

/// yew-agent's messages to a worker, as this codec writes them: what a worker
/// started by hand (a pool worker, the exact frontier's own worker) is posted
/// with [`Json::encode`], so its profiles cross as a buffer as everywhere else.
#[derive(Serialize)]
pub(crate) enum ToWorker<'a> {
    ProcessInput(u64, &'a Job),
}

/// yew-agent's messages from a worker, as this codec writes them; read with
/// [`try_decode`].
#[derive(Deserialize)]
pub(crate) enum FromWorker {
    WorkerLoaded,
    ProcessOutput(u64, Box<WorkerOutput>),
}

/// Messages this long (bytes of JSON and buffers) or longer are timed.
pub const TIMED_BYTES: usize = 64 * 1024;

/// JSON text in a JS string.
#[derive(Debug)]
pub struct Json;

impl Codec for Json {
    fn encode<I: Serialize>(input: I) -> JsValue {
        let span = perf::span("");
        let (text, blobs) = wire::collect_blobs(|| serde_json::to_string(&input));
        match text {
            Ok(text) => {
                let bytes = text.len() + blobs.iter().map(Vec::len).sum::<usize>();
                let value = if blobs.is_empty() {
                    JsValue::from_str(&text)
                } else {
                    let parts = js_sys::Array::new();
                    parts.push(&JsValue::from_str(&text));
                    for blob in &blobs {
                        parts.push(&js_sys::Uint8Array::from(blob.as_slice()));
                    }
                    parts.into()
                };
                timed(span, "wire-encode", bytes);
                value
            }
            // Every message type is plain data with string keys; serde_json
            // fails only on non-string map keys, which none has.
            Err(e) => unreachable!("worker messages serialise to JSON: {e}"),
        }
    }

    fn decode<O: for<'de> Deserialize<'de>>(input: JsValue) -> O {
        match try_decode(input) {
            Ok(o) => o,
            // Both ends are this crate's code, built together from one source.
            Err(e) => unreachable!("a worker message from this build decodes: {e}"),
        }
    }
}

/// A message written by [`Json::encode`], or why it cannot be read (for
/// workers started by hand, whose answers are checked rather than trusted).
pub(crate) fn try_decode<O: for<'de> Deserialize<'de>>(input: JsValue) -> Result<O, String> {
    let span = perf::span("");
    let (text, blobs) = match input.dyn_into::<js_sys::Array>() {
        Ok(parts) => {
            let text = parts.get(0).as_string().unwrap_or_default();
            let blobs: Vec<Vec<u8>> = (1..parts.length())
                .map(|i| js_sys::Uint8Array::new(&parts.get(i)).to_vec())
                .collect();
            (text, blobs)
        }
        Err(input) => (input.as_string().unwrap_or_default(), Vec::new()),
    };
    let bytes = text.len() + blobs.iter().map(Vec::len).sum::<usize>();
    let o = wire::with_blobs(blobs, || serde_json::from_str(&text)).map_err(|e| e.to_string())?;
    timed(span, "wire-decode", bytes);
    Ok(o)
}

/// Names `span` after what it timed when the message was large, else drops it unrecorded.
fn timed(mut span: perf::Span, what: &str, bytes: usize) {
    if bytes >= TIMED_BYTES {
        span.rename(format!("{what} {} KB", bytes / 1024));
    } else {
        span.cancel();
    }
}
