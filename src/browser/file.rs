//! User-picked or dropped files: the list of an event, and object URLs the
//! file-reading worker reads them from.

use wasm_bindgen::JsCast;

use crate::worker::protocol::FileRef;

/// An object URL for every file, in order, with its name and size: what the
/// file-reading worker reads the bytes from.
pub fn object_urls(files: Vec<web_sys::File>) -> Result<Vec<FileRef>, String> {
    files
        .into_iter()
        .map(|file| {
            let url = web_sys::Url::create_object_url_with_blob(&file)
                .map_err(|e| super::js_message(&format!("cannot open {}", file.name()), e))?;
            Ok(FileRef {
                name: file.name(),
                url,
                bytes: file.size() as u64,
            })
        })
        .collect()
}

fn list(files: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    files
        .map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
        .unwrap_or_default()
}

/// The first file picked in an `<input type=file>` change event, if any.
pub fn picked_file(event: &web_sys::Event) -> Option<web_sys::File> {
    picked_files(event).into_iter().next()
}

/// Every file picked in an `<input type=file>` change event (the input is
/// cleared so picking the same file again fires again).
pub fn picked_files(event: &web_sys::Event) -> Vec<web_sys::File> {
    let Some(input) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return Vec::new();
    };
    let files = list(input.files());
    input.set_value("");
    files
}

/// Every file dropped in a `drop` event.
pub fn dropped_files(event: &web_sys::DragEvent) -> Vec<web_sys::File> {
    list(event.data_transfer().and_then(|d| d.files()))
}

/// Whether a drag carries files (not, say, a dragged stage or text).
pub fn drags_files(event: &web_sys::DragEvent) -> bool {
    event.data_transfer().is_some_and(|d| {
        let types = d.types();
        (0..types.length()).any(|i| types.get(i).as_string().as_deref() == Some("Files"))
    })
}

/// The text of a small file the user picked (e.g. an invocation trace), read
/// as UTF-8; the caller hands it to the worker to parse.
pub async fn read_text(file: &web_sys::File) -> Result<String, String> {
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|e| super::js_message(&format!("cannot read {}", file.name()), e))?;
    text.as_string()
        .ok_or_else(|| format!("cannot read {}: not text", file.name()))
}
