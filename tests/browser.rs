//! Browser tests: mount the app into a fresh `<div>`, act through the DOM,
//! await Yew's scheduler, and check the result. Elements are found by
//! `data-testid`. Run with `cargo test -p faasplan-web --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use faasplan_web::App;
use faasplan_web::app::AppProps;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement, KeyboardEvent, KeyboardEventInit};

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts a fresh app (autosave off) and returns its root element.
async fn mount() -> Element {
    let document = gloo_document();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<App>::with_root_and_props(root.clone(), AppProps { storage_key: None })
        .render();
    yew::scheduler::flush().await;
    root
}

fn gloo_document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn by_testid(root: &Element, id: &str) -> Option<Element> {
    root.query_selector(&format!("[data-testid=\"{id}\"]"))
        .unwrap()
}

fn count(root: &Element, id: &str) -> u32 {
    root.query_selector_all(&format!("[data-testid=\"{id}\"]"))
        .unwrap()
        .length()
}

async fn click(root: &Element, id: &str) {
    let el = by_testid(root, id).unwrap_or_else(|| panic!("no element {id}"));
    el.dyn_into::<HtmlElement>().unwrap().click();
    yew::scheduler::flush().await;
}

async fn press_key(root: &Element, id: &str, key: &str, ctrl: bool, shift: bool) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_ctrl_key(ctrl);
    init.set_shift_key(shift);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    by_testid(root, id).unwrap().dispatch_event(&event).unwrap();
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn every_panel_is_present_with_its_empty_state() {
    let root = mount().await;
    for panel in [
        "panel-editor",
        "panel-profiles",
        "panel-frontier",
        "panel-plan",
        "panel-controls",
    ] {
        assert!(by_testid(&root, panel).is_some(), "missing {panel}");
    }
    for empty in [
        "editor-empty",
        "profiles-empty",
        "frontier-empty",
        "plan-empty",
    ] {
        assert!(by_testid(&root, empty).is_some(), "missing {empty}");
    }
}

#[wasm_bindgen_test]
async fn add_stage_button_draws_a_selected_stage() {
    let root = mount().await;
    click(&root, "add-stage").await;
    assert_eq!(count(&root, "stage"), 1);
    assert!(by_testid(&root, "editor-empty").is_none());
    let stage = by_testid(&root, "stage").unwrap();
    assert_eq!(stage.get_attribute("data-id").as_deref(), Some("stage1"));
    assert!(stage.class_list().contains("selected"));
    assert!(
        by_testid(&root, "stage-id").is_some(),
        "inspector shows the stage"
    );
}

#[wasm_bindgen_test]
async fn delete_key_removes_the_selected_stage_and_undo_restores_it() {
    let root = mount().await;
    click(&root, "add-stage").await;
    click(&root, "add-stage").await;
    assert_eq!(count(&root, "stage"), 2);
    press_key(&root, "editor-canvas", "Delete", false, false).await;
    assert_eq!(count(&root, "stage"), 1);
    click(&root, "undo").await;
    assert_eq!(count(&root, "stage"), 2);
    press_key(&root, "editor-canvas", "z", true, true).await;
    assert_eq!(count(&root, "stage"), 1, "ctrl+shift+z redoes the delete");
    press_key(&root, "editor-canvas", "z", true, false).await;
    assert_eq!(count(&root, "stage"), 2, "ctrl+z undoes it again");
}

#[wasm_bindgen_test]
async fn delete_button_removes_the_selected_stage() {
    let root = mount().await;
    click(&root, "add-stage").await;
    click(&root, "delete-selection").await;
    assert_eq!(count(&root, "stage"), 0);
    assert!(by_testid(&root, "editor-empty").is_some());
}

#[wasm_bindgen_test]
async fn switching_to_cost_mode_shows_the_cost_kind() {
    let root = mount().await;
    assert!(by_testid(&root, "cost-kind").is_none());
    click(&root, "mode-cost").await;
    assert!(by_testid(&root, "cost-kind").is_some());
}
