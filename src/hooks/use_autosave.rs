//! Autosave: restore from localStorage on mount, save whenever `doc_rev`
//! changes. What is stored is an [`Autosave`] record: the core project file
//! plus app-only UI fields. Failures become notices.

use yew::prelude::*;

use crate::browser::storage;
use crate::state::{Action, Autosave, Level};
use crate::store::use_store;

/// Keeps the project in localStorage under `key` (`None` turns autosave off).
#[hook]
pub fn use_autosave(key: Option<AttrValue>) {
    let store = use_store();
    {
        let (store, key) = (store.clone(), key.clone());
        use_effect_with((), move |_| {
            if let Some(key) = key {
                let restored = storage::load::<Autosave>(&key)
                    .and_then(|saved| saved.map(|s| s.restore().map(|p| (p, s))).transpose());
                match restored {
                    Ok(Some((project, saved))) => {
                        store.dispatch(Action::ProjectLoaded(project));
                        if saved.planning_crashed {
                            store.dispatch(Action::EnterSafeMode);
                        }
                        store.dispatch(Action::SetCsvMbPerVcpu(saved.csv_mb_per_vcpu));
                    }
                    Ok(None) => {}
                    Err(msg) => store.report(Level::Warning, msg),
                }
            }
        });
    }
    let doc_rev = store.state().doc_rev;
    use_effect_with(doc_rev, move |rev| {
        if let (Some(key), true) = (key, *rev > 0) {
            let state = store.state();
            let record = Autosave::new(
                &state.project,
                state.csv_mb_per_vcpu,
                state.last_run_crashed,
            );
            if let Err(msg) = storage::save(&key, &record) {
                store.report(Level::Error, msg);
            }
        }
    });
}
