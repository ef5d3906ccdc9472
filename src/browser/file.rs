//! Reading a user-picked file as text.

use gloo_file::File;
use gloo_file::futures::read_as_text;

/// Reads the file as UTF-8 text.
pub async fn read_text(file: web_sys::File) -> Result<String, String> {
    let name = file.name();
    let file = File::from(file);
    read_as_text(&file)
        .await
        .map_err(|e| format!("cannot read {name}: {e}"))
}

/// The first file picked in an `<input type=file>` change event, if any.
pub fn picked_file(event: &web_sys::Event) -> Option<web_sys::File> {
    use wasm_bindgen::JsCast;
    let input: web_sys::HtmlInputElement = event.target()?.dyn_into().ok()?;
    let file = input.files()?.get(0);
    input.set_value("");
    file
}
