//! The worker messages' codec: JSON text, so serde's internally tagged enums
//! (the core's `Bound`, `PlanStatus`) travel as they are, unlike with
//! yew-agent's default bincode.
//!
//! Messages of [`TIMED_BYTES`] or more are timed on the thread that encodes
//! or decodes them (User Timing measures `wire-encode N KB` and
//! `wire-decode N KB`, see `crate::browser::perf::span`), so a trace shows
//! what crossing the wire costs each side.

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use yew_agent::Codec;

use crate::browser::perf;

/// Messages this long (bytes of JSON) or longer are timed.
pub const TIMED_BYTES: usize = 64 * 1024;

/// JSON text in a JS string.
#[derive(Debug)]
pub struct Json;

impl Codec for Json {
    fn encode<I: Serialize>(input: I) -> JsValue {
        let span = perf::span("");
        match serde_json::to_string(&input) {
            Ok(text) => {
                let value = JsValue::from_str(&text);
                timed(span, "wire-encode", text.len());
                value
            }
            // Every message type is plain data with string keys; serde_json
            // fails only on non-string map keys, which none has.
            Err(e) => unreachable!("worker messages serialise to JSON: {e}"),
        }
    }

    fn decode<O: for<'de> Deserialize<'de>>(input: JsValue) -> O {
        let span = perf::span("");
        let text = input.as_string().unwrap_or_default();
        match serde_json::from_str(&text) {
            Ok(o) => {
                timed(span, "wire-decode", text.len());
                o
            }
            // Both ends are this crate's code, built together from one source.
            Err(e) => unreachable!("a worker message from this build decodes: {e}"),
        }
    }
}

/// Names `span` after what it timed when the message was large, else drops it unrecorded.
fn timed(mut span: perf::Span, what: &str, bytes: usize) {
    if bytes >= TIMED_BYTES {
        span.rename(format!("{what} {} KB", bytes / 1024));
    } else {
        span.cancel();
    }
}
