//! The worker messages' codec: JSON text, so serde's internally tagged enums
//! (the core's `Bound`, `PlanStatus`) travel as they are, unlike with
//! yew-agent's default bincode.

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use yew_agent::Codec;

/// JSON text in a JS string.
#[derive(Debug)]
pub struct Json;

impl Codec for Json {
    fn encode<I: Serialize>(input: I) -> JsValue {
        match serde_json::to_string(&input) {
            Ok(text) => JsValue::from_str(&text),
            // Every message type is plain data with string keys; serde_json
            // fails only on non-string map keys, which none has.
            Err(e) => unreachable!("worker messages serialise to JSON: {e}"),
        }
    }

    fn decode<O: for<'de> Deserialize<'de>>(input: JsValue) -> O {
        let text = input.as_string().unwrap_or_default();
        match serde_json::from_str(&text) {
            Ok(o) => o,
            // Both ends are this crate's code, built together from one source.
            Err(e) => unreachable!("a worker message from this build decodes: {e}"),
        }
    }
}
