//! Entry point of the app: a visible message on panic, then render `App`.

fn main() {
    faasplan_web::browser::crash::install_panic_hook();
    yew::Renderer::<faasplan_web::App>::new().render();
}
