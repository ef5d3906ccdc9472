//! Autosave: restore from localStorage on mount, save whenever `doc_rev`
//! changes. What is stored is an [`Autosave`] record: the core project file
//! plus app-only UI fields. Failures become notices.

use yew::prelude::*;

use crate::browser::storage;
use crate::state::{Action, AppState, Autosave, Level, Project};
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
                        store.dispatch(Action::ProjectLoaded(Box::new(project)));
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
    let last = use_mut_ref(|| Saved::Whole);
    use_effect_with(doc_rev, move |rev| {
        if let (Some(key), true) = (key, *rev > 0) {
            let outcome = save(&key, store.state());
            if outcome != *last.borrow() {
                match &outcome {
                    Saved::Whole => {}
                    Saved::WithoutProfiles(msg) => store.report(
                        Level::Warning,
                        format!(
                            "Autosave kept the workflow and settings but not the profiles ({msg}): \
                             after a reload they will be missing; use Save project to keep them"
                        ),
                    ),
                    Saved::Nothing(msg) => store.report(
                        Level::Error,
                        format!("Autosave failed, nothing was kept ({msg}): use Save project"),
                    ),
                }
                *last.borrow_mut() = outcome;
            }
        }
    });
}

/// What an autosave kept.
#[derive(Clone, Debug, PartialEq)]
enum Saved {
    /// The whole project.
    Whole,
    /// Everything but the profiles, which did not fit; why.
    WithoutProfiles(String),
    /// Nothing (the old record is removed, so a reload does not bring back
    /// an older project); why.
    Nothing(String),
}

fn save(key: &str, state: &AppState) -> Saved {
    let record =
        |project: &Project| Autosave::new(project, state.csv_mb_per_vcpu, state.last_run_crashed);
    let whole = match storage::save(key, &record(&state.project)) {
        Ok(()) => return Saved::Whole,
        Err(msg) => msg,
    };
    let mut slim = state.project.clone();
    if slim.profiles.take().is_some() && storage::save(key, &record(&slim)).is_ok() {
        return Saved::WithoutProfiles(whole);
    }
    storage::remove(key);
    Saved::Nothing(whole)
}
