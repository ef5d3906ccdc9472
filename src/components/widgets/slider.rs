//! A range slider that reports its value while it is dragged.

use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`Slider`].
#[derive(Properties, PartialEq)]
pub struct SliderProps {
    /// Accessible label.
    pub label: AttrValue,
    /// Current value.
    pub value: f64,
    /// Left end.
    pub min: f64,
    /// Right end.
    pub max: f64,
    /// Step.
    pub step: f64,
    /// `data-testid` of the input.
    #[prop_or_default]
    pub testid: AttrValue,
    /// Called with each new value.
    pub on_change: Callback<f64>,
}

/// An `<input type=range>`.
#[component]
pub fn Slider(props: &SliderProps) -> Html {
    let oninput = {
        let on_change = props.on_change.clone();
        Callback::from(move |e: InputEvent| {
            let value = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                .and_then(|i| i.value().parse::<f64>().ok());
            if let Some(v) = value {
                on_change.emit(v);
            }
        })
    };
    html! {
        <input type="range" class="slider" aria-label={props.label.clone()}
               min={props.min.to_string()} max={props.max.to_string()} step={props.step.to_string()}
               value={props.value.to_string()} data-testid={props.testid.clone()} {oninput} />
    }
}
