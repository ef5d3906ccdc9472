//! The stage inspector's architecture option: whether the planner may run the
//! stage on arm64 as well as x86_64, and the arm64 time factor it uses when
//! the stage's profiles have no arm64 run (one undo step each).

use faasplan_core::dag::Stage;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::widgets::number_field::NumberField;
use crate::state::arch::arm64_choice;
use crate::state::{Action, Level};
use crate::store::Store;

/// The "may run on arm64" toggle and, when on, its time factor.
pub fn view_arch_choice(store: &Store, stage: &Stage) -> Html {
    let (arm64, factor) = arm64_choice(store.state(), &stage.id);
    let id = stage.id.clone();
    let onchange = store.callback(move |e: Event| Action::SetArchitecture {
        stage: id.clone(),
        arm64: e
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            .is_some_and(|i| i.checked()),
        time_factor: factor,
    });
    let id = stage.id.clone();
    let on_factor = store.callback(move |f: f64| Action::SetArchitecture {
        stage: id.clone(),
        arm64: true,
        time_factor: Some(f),
    });
    let invalid = {
        let store = store.clone();
        Callback::from(move |msg: String| store.report(Level::Warning, msg))
    };
    html! {
        <fieldset class="arch-choice" data-testid="arch-choice">
            <legend>{ "Architecture" }</legend>
            <label class="check">
                <input type="checkbox" data-testid="allow-arm64" checked={arm64} {onchange} />
                <span>{ "may run on arm64 (priced per arm64 GB-s)" }</span>
            </label>
            if arm64 {
                <NumberField label="arm64 time ×" value={factor.unwrap_or(1.0)} min=0.05 max=20.0 step=0.05
                    testid="arm64-time-factor" on_change={on_factor} on_invalid={invalid} />
                <p class="hint">{ if factor.is_some() {
                    "In-function time on arm64 relative to x86_64, used when the profiles have no arm64 run."
                } else {
                    "Set the arm64 time factor, or load profiles with arm64 runs: the planner needs one of them."
                } }</p>
            }
        </fieldset>
    }
}
