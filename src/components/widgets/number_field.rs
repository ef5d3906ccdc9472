//! A labelled number input that reports a parsed, in-range value when the user
//! commits it (Enter or leaving the field). Text that is not a number in
//! `[min, max]` is reported through `on_invalid` and the field shows the old
//! value again. The text being typed is the field's own until the value
//! changes: a re-render of the page while the user types (the planner's rounds
//! arrive at any time) never puts the old value back.

use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`NumberField`].
#[derive(Properties, PartialEq)]
pub struct NumberFieldProps {
    /// Label shown before the field.
    pub label: AttrValue,
    /// Current value.
    pub value: f64,
    /// Smallest accepted value.
    pub min: f64,
    /// Largest accepted value.
    pub max: f64,
    /// Step of the spinner.
    #[prop_or(1.0)]
    pub step: f64,
    /// Unit shown after the field.
    #[prop_or_default]
    pub unit: AttrValue,
    /// `data-testid` of the input.
    #[prop_or_default]
    pub testid: AttrValue,
    /// Called with an accepted value.
    pub on_change: Callback<f64>,
    /// Called with a message when the text is rejected.
    #[prop_or_default]
    pub on_invalid: Callback<String>,
}

/// Parses `text` as a number in `[min, max]`.
pub fn parse_in_range(text: &str, min: f64, max: f64) -> Result<f64, String> {
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if !v.is_finite() || v < min || v > max {
        return Err(format!("{v} is outside {min}–{max}"));
    }
    Ok(v)
}

/// A number input with a label and a unit.
#[component]
pub fn NumberField(props: &NumberFieldProps) -> Html {
    // What the user has typed since the value last changed.
    let draft = use_state(|| None::<String>);
    {
        let draft = draft.clone();
        use_effect_with(props.value.to_bits(), move |_| draft.set(None));
    }
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            {
                draft.set(Some(input.value()));
            }
        })
    };
    let onchange = {
        let draft = draft.clone();
        let (on_change, on_invalid) = (props.on_change.clone(), props.on_invalid.clone());
        let (min, max, value, label) = (props.min, props.max, props.value, props.label.clone());
        Callback::from(move |e: Event| {
            let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            match parse_in_range(&input.value(), min, max) {
                Ok(v) => on_change.emit(v),
                Err(msg) => {
                    draft.set(None);
                    input.set_value(&fmt_number(value));
                    on_invalid.emit(format!("{}: {msg}", label.to_lowercase()));
                }
            }
        })
    };
    html! {
        <label class="field">
            <span class="field-label">{ props.label.clone() }</span>
            <span class="field-input">
                <input type="number" value={(*draft).clone().unwrap_or_else(|| fmt_number(props.value))}
                       min={props.min.to_string()} max={props.max.to_string()} step={props.step.to_string()}
                       data-testid={props.testid.clone()} {oninput} {onchange} />
                if !props.unit.is_empty() { <span class="unit">{ props.unit.clone() }</span> }
            </span>
        </label>
    }
}

/// Shortest text that reads back as `v` (no trailing `.0` on integers).
pub fn fmt_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}
