//! The in-place rename field shown over a stage after a double-click.
//! Enter or leaving the field commits, Escape cancels; either happens once.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`RenameField`].
#[derive(Properties, PartialEq)]
pub struct RenameFieldProps {
    /// The id being edited.
    pub value: AttrValue,
    /// Absolute position over the canvas (CSS).
    pub style: AttrValue,
    /// Called with the typed text on Enter or blur.
    pub on_commit: Callback<String>,
    /// Called on Escape.
    pub on_cancel: Callback<()>,
}

/// A focused text field that reports its value once.
#[component]
pub fn RenameField(props: &RenameFieldProps) -> Html {
    let input = use_node_ref();
    {
        let input = input.clone();
        use_effect_with((), move |_| {
            if let Some(el) = input.cast::<HtmlInputElement>() {
                let _ = el.focus();
                el.select();
            }
        });
    }
    let done = use_memo((), |_| Rc::new(Cell::new(false)));
    let finish = {
        let done = (*done).clone();
        let (on_commit, on_cancel) = (props.on_commit.clone(), props.on_cancel.clone());
        move |value: Option<String>| {
            if done.replace(true) {
                return;
            }
            match value {
                Some(v) => on_commit.emit(v),
                None => on_cancel.emit(()),
            }
        }
    };
    let onkeydown = {
        let finish = finish.clone();
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" => finish(Some(value_of(&e))),
            "Escape" => finish(None),
            _ => {}
        })
    };
    let onblur = Callback::from(move |e: FocusEvent| finish(Some(value_of(&e))));
    html! {
        <input ref={input} class="rename" data-testid="rename-input" style={props.style.clone()}
               value={props.value.clone()} {onkeydown} {onblur} />
    }
}

fn value_of(e: &Event) -> String {
    e.target()
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        .map(|i| i.value())
        .unwrap_or_default()
}
