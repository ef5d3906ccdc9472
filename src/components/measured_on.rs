//! The import dialog's "measured on": REPORT logs and Power Tuning results do
//! not record the architecture their runs were measured on, so after a batch
//! with such files the dialog offers x86_64 or arm64 per file (the platform's
//! architecture until chosen; what the file says, fixed, when it says it).
//! Choosing imports the same files again with the core's `measured_on`
//! (as `faasplan import --measured-on FILE=ARCH`), one undo step.

use faasplan_core::arch::Arch;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::import::Measurement;
use crate::state::Action;
use crate::store::use_store;

fn view_row(m: &Measurement, default: Arch, busy: bool, on: &Callback<(String, Arch)>) -> Html {
    let id = format!("measured-on-{}", m.file);
    let control = match m.stated {
        Some(arch) => html! {
            <span data-testid={id}>{ format!("{arch} (the file says)") }</span>
        },
        None => {
            let chosen = m.chosen.unwrap_or(default);
            let file = m.file.clone();
            let on = on.clone();
            let onchange = Callback::from(move |e: Event| {
                let value = e.target_unchecked_into::<HtmlSelectElement>().value();
                if let Some(arch) = Arch::parse(&value) {
                    on.emit((file.clone(), arch));
                }
            });
            html! {
                <select data-testid={id} aria-label={format!("{} measured on", m.file)}
                    disabled={busy} {onchange}>
                    { for [Arch::X86_64, Arch::Arm64].into_iter().map(|a| html! {
                        <option value={a.name()} selected={a == chosen}>{ a.name() }</option>
                    }) }
                </select>
            }
        }
    };
    html! {
        <tr>
            <th scope="row" class="file">{ m.file.clone() }</th>
            <td>{ control }</td>
        </tr>
    }
}

/// The "measured on" dialog of the last batch, while it is open.
#[component]
pub fn MeasuredOn() -> Html {
    let store = use_store();
    let state = store.state();
    let Some(measuring) = &state.measuring else {
        return Html::default();
    };
    let default = state.project.platform.architecture();
    let busy = state.opening.is_some();
    let on = store.callback(|(file, arch)| Action::SetMeasuredOn { file, arch });
    let close = store.callback(|_: MouseEvent| Action::CloseMeasuredOn);
    html! {
        <section class="measured-on" role="dialog" aria-label="Measured on" data-testid="measured-on">
            <p>
                <strong>{ "Measured on" }</strong>
                { " — these files do not record the architecture their runs were measured on; \
                   choose it per file (the runs are imported again):" }
            </p>
            <table class="table">
                <tbody>{ for measuring.measurements.iter().map(|m| view_row(m, default, busy, &on)) }</tbody>
            </table>
            <button class="btn" data-testid="measured-on-done" onclick={close}>{ "Done" }</button>
        </section>
    }
}
