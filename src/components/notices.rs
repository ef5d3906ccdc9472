//! The one place notices are shown.

use yew::prelude::*;

use crate::state::{Action, Level};
use crate::store::use_store;

/// The notice list (renders nothing when empty).
#[component]
pub fn Notices() -> Html {
    let store = use_store();
    let notices = &store.state().notices;
    if notices.is_empty() {
        return Html::default();
    }
    html! {
        <div class="notices" role="status" data-testid="notices">
            { for notices.iter().map(|n| {
                let id = n.id;
                let onclick = store.callback(move |_: MouseEvent| Action::Dismiss(id));
                let level = match n.level { Level::Info => "info", Level::Warning => "warning", Level::Error => "error" };
                html! {
                    <div class={classes!("notice", level)} data-testid="notice" key={id}>
                        <span>{ n.text.clone() }</span>
                        <button class="dismiss" aria-label="Dismiss" {onclick}>{ "×" }</button>
                    </div>
                }
            }) }
        </div>
    }
}
