//! The one place notices are shown: one line with the latest notice (its full
//! text on hover and when expanded), a count of the others that expands them,
//! and a time-out for info (6 s) and warnings (15 s); errors stay until dismissed.
//! Above them, while files are being opened, one line with the reading progress.

use gloo_timers::callback::Timeout;
use yew::prelude::*;

use crate::state::{Action, Level, Notice};
use crate::store::{Store, use_store};

/// How long a notice of this level stays, ms (`None`: until dismissed).
pub fn lifetime_ms(level: Level) -> Option<u32> {
    match level {
        Level::Info => Some(6_000),
        Level::Warning => Some(15_000),
        Level::Error => None,
    }
}

fn view_notice(store: &Store, n: &Notice) -> Html {
    let id = n.id;
    let onclick = store.callback(move |_: MouseEvent| Action::Dismiss(id));
    let level = match n.level {
        Level::Info => "info",
        Level::Warning => "warning",
        Level::Error => "error",
    };
    html! {
        <div class={classes!("notice", level)} data-testid="notice" key={id}>
            <span class="notice-text" title={n.text.clone()}>{ n.text.clone() }</span>
            <button class="dismiss" aria-label="Dismiss" {onclick}>{ "×" }</button>
        </div>
    }
}

/// The notices (renders nothing when empty).
#[component]
pub fn Notices() -> Html {
    let store = use_store();
    let expanded = use_state(|| false);
    let notices = &store.state().notices;
    {
        // One timer per shown notice; a new notice list restarts the timers of
        // those still shown, which only delays their time-out.
        let store = store.clone();
        let timed: Vec<(u64, u32)> = notices
            .iter()
            .filter_map(|n| lifetime_ms(n.level).map(|ms| (n.id, ms)))
            .collect();
        use_effect_with(timed, move |timed| {
            let timers: Vec<Timeout> = timed
                .iter()
                .map(|&(id, ms)| {
                    let store = store.clone();
                    Timeout::new(ms, move || store.dispatch(Action::Dismiss(id)))
                })
                .collect();
            move || drop(timers)
        });
    }
    let opening = store.state().opening.as_ref().map(|o| {
        html! {
            <div class="notice info opening" role="status" aria-live="polite" data-testid="open-progress">
                <span class="notice-text">{ o.label() }</span>
            </div>
        }
    });
    let Some(latest) = notices.last() else {
        return opening.unwrap_or_default();
    };
    let others = notices.len() - 1;
    let toggle = {
        let expanded = expanded.clone();
        Callback::from(move |_: MouseEvent| expanded.set(!*expanded))
    };
    let shown: Vec<&Notice> = if *expanded {
        notices.iter().rev().collect()
    } else {
        vec![latest]
    };
    html! {
        <div class={classes!("notices", (*expanded).then_some("expanded"))} role="status" data-testid="notices">
            { opening.unwrap_or_default() }
            { for shown.into_iter().map(|n| view_notice(&store, n)) }
            if others > 0 {
                <button class="notices-more" data-testid="notices-more" aria-expanded={expanded.to_string()} onclick={toggle}>
                    { if *expanded { "Show only the latest".to_string() } else { format!("{others} more") } }
                </button>
            }
        </div>
    }
}
