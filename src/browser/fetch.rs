//! Fetching a bundled file (the examples) as text.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::js_message;

/// GETs `url` (relative to the page) and returns its body as text.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window to fetch from")?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| js_message(&format!("cannot fetch {url}"), e))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| format!("cannot fetch {url}: not a response"))?;
    if !response.ok() {
        return Err(format!("cannot fetch {url}: http {}", response.status()));
    }
    let text = response
        .text()
        .map_err(|e| js_message(&format!("cannot read {url}"), e))?;
    JsFuture::from(text)
        .await
        .map_err(|e| js_message(&format!("cannot read {url}"), e))?
        .as_string()
        .ok_or_else(|| format!("cannot read {url}: body is not text"))
}
