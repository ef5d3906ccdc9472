//! Makes a panic visible: the page shows a message instead of going dead.

use wasm_bindgen::JsCast;

/// Installs a panic hook that logs to the console and shows `message` on the page.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_crash(&info.to_string());
    }));
}

fn show_crash(detail: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else { return };
    let Ok(div) = document.create_element("div") else {
        return;
    };
    div.set_class_name("crash");
    let _ = div.set_attribute("role", "alert");
    let _ = div.set_attribute("data-testid", "crash");
    div.set_text_content(Some(&format!(
        "faasplan stopped after an internal error. Your last autosaved project is kept: reload the page to continue. ({detail})"
    )));
    if let Ok(el) = div.dyn_into::<web_sys::HtmlElement>() {
        let _ = body.prepend_with_node_1(&el);
    }
}
