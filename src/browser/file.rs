//! Reading user-picked or dropped files as text.

use gloo_file::File;
use gloo_file::futures::read_as_text;
use wasm_bindgen::JsCast;

use crate::import::NamedText;

/// Reads the file as UTF-8 text.
pub async fn read_text(file: web_sys::File) -> Result<String, String> {
    let name = file.name();
    let file = File::from(file);
    read_as_text(&file)
        .await
        .map_err(|e| format!("cannot read {name}: {e}"))
}

/// Reads every file, in order, with its name.
pub async fn read_all(files: Vec<web_sys::File>) -> Result<Vec<NamedText>, String> {
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let name = file.name();
        out.push(NamedText::new(name, read_text(file).await?));
    }
    Ok(out)
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
