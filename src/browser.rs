//! Small wrappers around browser APIs, each returning `Result` with a message
//! fit for a notice: reading picked or dropped files, fetching bundled files,
//! downloading text, and localStorage.
//! Components call these instead of touching `web_sys` themselves.

pub mod canvas;
pub mod crash;
pub mod download;
pub mod fetch;
pub mod file;
pub mod http;
pub mod idb;
pub mod perf;
pub mod storage;

use wasm_bindgen::JsValue;

/// Turns a JavaScript exception into a readable message.
pub fn js_message(context: &str, err: JsValue) -> String {
    let detail = err
        .as_string()
        .or_else(|| {
            js_sys::Reflect::get(&err, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{err:?}"));
    format!("{context}: {detail}")
}
