//! JSON requests to an executor (`faasplan_core::executor`): fetch with an
//! optional bearer token, errors in words for the user — no answer or a CORS
//! refusal, a refused token, the executor's own message.

use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, RequestMode, Response};

use super::js_message;

/// Sends `method path` to the executor at `base` and parses a 2xx answer as `T`.
pub async fn call<T: DeserializeOwned>(
    method: &str,
    base: &str,
    path: &str,
    token: &str,
    body: Option<&str>,
) -> Result<T, String> {
    let base = base.trim().trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(format!("{base:?} is not an http:// or https:// URL"));
    }
    let url = format!("{base}{path}");
    let window = web_sys::window().ok_or("no window to fetch from")?;
    let headers = Headers::new().map_err(|e| js_message("cannot make headers", e))?;
    if !token.is_empty() {
        headers
            .set("Authorization", &format!("Bearer {token}"))
            .map_err(|_| "the token holds characters a header cannot carry".to_string())?;
    }
    let init = RequestInit::new();
    init.set_method(method);
    init.set_mode(RequestMode::Cors);
    if let Some(body) = body {
        headers
            .set("Content-Type", "application/json")
            .map_err(|e| js_message("cannot set headers", e))?;
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    let request = Request::new_with_str_and_init(&url, &init)
        .map_err(|e| js_message(&format!("cannot make a request to {url}"), e))?;
    let origin = window.location().origin().unwrap_or_default();
    let response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| {
            format!(
                "no answer from {base}: the executor is not running there, or it does not \
                 allow this page's origin ({origin}) — list it among the executor's allowed origins"
            )
        })?;
    let response: Response = response
        .dyn_into()
        .map_err(|_| format!("{method} {url}: not a response"))?;
    let text = JsFuture::from(
        response
            .text()
            .map_err(|e| js_message(&format!("cannot read {url}"), e))?,
    )
    .await
    .map_err(|e| js_message(&format!("cannot read {url}"), e))?
    .as_string()
    .unwrap_or_default();
    let status = response.status();
    if !(200..300).contains(&status) {
        let message = serde_json::from_str::<faasplan_core::executor::ErrorBody>(&text)
            .map(|b| b.error)
            .unwrap_or_else(|_| text.chars().take(200).collect());
        return Err(match status {
            401 => format!("the executor refused the token (401): {message}"),
            413 => format!("the request is larger than the executor accepts (413): {message}"),
            429 => format!("too many requests (429), try again in a minute: {message}"),
            _ => format!("{method} {path}: HTTP {status}: {message}"),
        });
    }
    serde_json::from_str(&text).map_err(|e| format!("{method} {path}: unexpected answer: {e}"))
}
