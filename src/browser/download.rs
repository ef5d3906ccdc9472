//! Offering text to the user as a file download (Blob + object URL + a
//! temporary `<a download>`).

use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

use super::js_message;

/// Downloads `text` as `file_name` with the given MIME type.
pub fn download_text(file_name: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&text.into());
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| js_message("cannot create download", e))?;
    download_blob(file_name, &blob)
}

/// Downloads a blob as `file_name`.
pub fn download_blob(file_name: &str, blob: &Blob) -> Result<(), String> {
    let url = Url::create_object_url_with_blob(blob)
        .map_err(|e| js_message("cannot create download url", e))?;
    let result = click_link(&url, file_name);
    // The click has started the download; the URL is no longer needed.
    let _ = Url::revoke_object_url(&url);
    result
}

/// Downloads what `url` points to (e.g. a `data:` URL from a canvas) as `file_name`.
pub fn download_url(file_name: &str, url: &str) -> Result<(), String> {
    click_link(url, file_name)
}

fn click_link(url: &str, file_name: &str) -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document to download from")?;
    let anchor: HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| js_message("cannot create link", e))?
        .dyn_into()
        .map_err(|_| "created element is not a link".to_string())?;
    anchor.set_href(url);
    anchor.set_download(file_name);
    anchor.click();
    Ok(())
}
