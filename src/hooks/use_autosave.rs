//! Autosave: restore the project from localStorage on mount, save it whenever
//! `doc_rev` changes. Failures become notices.

use yew::prelude::*;

use crate::browser::storage;
use crate::state::{Action, Level, Project};
use crate::store::use_store;

/// Keeps the project in localStorage under `key` (`None` turns autosave off).
#[hook]
pub fn use_autosave(key: Option<AttrValue>) {
    let store = use_store();
    {
        let (store, key) = (store.clone(), key.clone());
        use_effect_with((), move |_| {
            if let Some(key) = key {
                match storage::load::<Project>(&key) {
                    Ok(Some(project)) => store.dispatch(Action::ProjectLoaded(project)),
                    Ok(None) => {}
                    Err(msg) => store.report(Level::Warning, msg),
                }
            }
        });
    }
    let doc_rev = store.state().doc_rev;
    use_effect_with(doc_rev, move |rev| {
        if let (Some(key), true) = (key, *rev > 0)
            && let Err(msg) = storage::save(&key, &store.state().project)
        {
            store.report(Level::Error, msg);
        }
    });
}
