//! Autosave: restore on mount, save whenever `doc_rev` changes. Failures
//! become notices that say what was not kept.
//!
//! - IndexedDB ([`crate::browser::idb`]) holds the [`Autosave`] record (the
//!   core project file without its profiles, plus app-only UI fields) and,
//!   beside it, the profiles, written only when they change; both in one
//!   transaction.
//! - localStorage holds only the small [`Settings`] (written synchronously,
//!   so the crash flag lands even if the tab dies right after). When
//!   IndexedDB cannot be opened, the record goes there as before, without the
//!   profiles if they do not fit.
//! - A project restored while the user has already changed something is not
//!   applied over it.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use faasplan_core::profile::Profiles;
use gloo_timers::callback::Timeout;
use serde::{Deserialize, Serialize};
use yew::prelude::*;

use crate::browser::idb::{self, ProfilesText, StoredProfiles};
use crate::browser::storage;
use crate::state::notice::thousands;
use crate::state::{Action, AppState, Autosave, DEFAULT_CSV_MB_PER_VCPU, Level, Project};
use crate::store::{Store, use_store};

/// The small settings kept in localStorage under `<key>.settings`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// MB per vCPU used for profile CSV files.
    pub csv_mb_per_vcpu: f64,
    /// Whether planning the saved project crashed the planner.
    pub planning_crashed: bool,
}

fn settings_key(key: &str) -> String {
    format!("{key}.settings")
}

/// Where the restore is: a user's change before it lands wins over it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Restoring,
    Superseded,
    Ready,
}

/// What the last save kept, and the profiles it stored.
struct Last {
    outcome: Saved,
    profiles: Option<Weak<Profiles>>,
    stored_any_profiles: bool,
}

/// Keeps the project in IndexedDB under `key` (`None` turns autosave off).
#[hook]
pub fn use_autosave(key: Option<AttrValue>) {
    let store = use_store();
    let phase = use_mut_ref(|| Phase::Restoring);
    {
        let (store, key, phase) = (store.clone(), key.clone(), phase.clone());
        use_effect_with((), move |_| match key {
            Some(key) => wasm_bindgen_futures::spawn_local(restore(store, key, phase)),
            None => *phase.borrow_mut() = Phase::Ready,
        });
    }
    let doc_rev = store.state().doc_rev;
    let last = use_mut_ref(|| Last {
        outcome: Saved::Whole,
        profiles: None,
        stored_any_profiles: true,
    });
    use_effect_with(doc_rev, move |rev| {
        let timer = key.filter(|_| *rev != 0).map(|key| {
            if *phase.borrow() == Phase::Restoring {
                *phase.borrow_mut() = Phase::Superseded;
            }
            let state = store.state();
            let settings = Settings {
                csv_mb_per_vcpu: state.csv_mb_per_vcpu,
                planning_crashed: state.last_run_crashed,
            };
            if let Err(msg) = storage::save(&settings_key(&key), &settings) {
                store.report(
                    Level::Warning,
                    format!("Autosave of the settings failed: {msg}"),
                );
            }
            // The project is saved in a task of its own: packing large profiles
            // takes a while, and the change that brought them (an import's
            // answer) already holds the page's thread for its render. A newer
            // change cancels a save that has not started, and saves itself.
            let (store, key) = (store.clone(), key.to_string());
            Timeout::new(0, move || {
                wasm_bindgen_futures::spawn_local(save(store, key, last));
            })
        });
        move || drop(timer)
    });
}

async fn restore(store: Store, key: AttrValue, phase: Rc<RefCell<Phase>>) {
    let settings = storage::load::<Settings>(&settings_key(&key))
        .ok()
        .flatten();
    let record = match idb::load(&key).await {
        Ok((Some(record), profiles)) => parse(&record, profiles),
        // Nothing in IndexedDB (or no IndexedDB): a record localStorage kept.
        Ok((None, _)) | Err(_) => storage::load::<Autosave>(&key).map(|r| r.map(|r| (r, None))),
    };
    let restored = record.and_then(|r| {
        r.map(|(r, profiles)| restore_with(&r, profiles).map(|p| (p, r)))
            .transpose()
    });
    if *phase.borrow() == Phase::Superseded {
        return;
    }
    *phase.borrow_mut() = Phase::Ready;
    match restored {
        Ok(Some((project, saved))) => {
            store.dispatch(Action::ProjectLoaded(Box::new(project)));
            let crashed =
                saved.planning_crashed || settings.as_ref().is_some_and(|s| s.planning_crashed);
            if crashed {
                store.dispatch(Action::EnterSafeMode);
            }
            let csv = settings.map_or(saved.csv_mb_per_vcpu, |s| s.csv_mb_per_vcpu);
            store.dispatch(Action::SetCsvMbPerVcpu(csv));
        }
        Ok(None) => {
            if let Some(s) = settings.filter(|s| s.csv_mb_per_vcpu != DEFAULT_CSV_MB_PER_VCPU) {
                store.dispatch(Action::SetCsvMbPerVcpu(s.csv_mb_per_vcpu));
            }
        }
        Err(msg) => store.report(Level::Warning, msg),
    }
}

/// The record, and the profiles stored beside it.
fn parse(
    record: &str,
    profiles: Option<StoredProfiles>,
) -> Result<Option<(Autosave, Option<Profiles>)>, String> {
    let saved: Autosave = serde_json::from_str(record)
        .map_err(|e| format!("cannot restore the autosaved project: {e}"))?;
    let _span = crate::browser::perf::span("autosave-restore-profiles");
    let profiles = profiles
        .map(|p| match p {
            StoredProfiles::Bytes(bytes) => {
                crate::worker::protocol::wire::profiles_from_bytes(&bytes)
            }
            StoredProfiles::Text(text) => crate::worker::protocol::wire::profiles_from_text(&text),
        })
        .transpose()
        .map_err(|e| format!("cannot restore the autosaved profiles: {e}"))?;
    Ok(Some((saved, profiles)))
}

/// The record's project with `profiles` put back, checked against its
/// workflow as a project file's profiles are.
fn restore_with(saved: &Autosave, profiles: Option<Profiles>) -> Result<Project, String> {
    let mut project = saved.restore()?;
    if let Some(p) = profiles.filter(|p| !p.stages.is_empty()) {
        faasplan_core::formats::project::check_profiles(&p, &project.workflow)
            .map_err(|e| format!("cannot restore the autosaved profiles: {e}"))?;
        project.profiles = Some(Rc::new(p));
    }
    Ok(project)
}

/// What an autosave kept.
#[derive(Clone, Debug, PartialEq)]
enum Saved {
    /// The whole project.
    Whole,
    /// Everything but the profiles, which could not be kept; what and why.
    WithoutProfiles(String),
    /// Nothing (the old record is removed, so a reload does not bring back
    /// an older project); why.
    Nothing(String),
}

/// "4 stages, 26,784 runs, 2.1 MB": what the user would lose.
fn describe(profiles: &Profiles, bytes: usize) -> String {
    let runs: usize = profiles.stages.iter().map(|s| s.runs.len()).sum();
    format!(
        "{} stages, {} runs, {:.1} MB",
        profiles.stages.len(),
        thousands(runs),
        bytes as f64 / 1e6
    )
}

async fn save(store: Store, key: String, last: Rc<RefCell<Last>>) {
    let state = store.state();
    let outcome = match save_indexed(&key, state, &last).await {
        Ok(outcome) => outcome,
        // No IndexedDB here: localStorage, as far as it goes.
        Err(why) => save_local(&key, state, &why),
    };
    let mut last = last.borrow_mut();
    if outcome != last.outcome {
        report(&store, &outcome);
        last.outcome = outcome;
    }
}

/// Saves in IndexedDB; `Err` only when IndexedDB cannot be used at all.
async fn save_indexed(key: &str, state: &AppState, last: &RefCell<Last>) -> Result<Saved, String> {
    let mut slim = state.project.clone();
    let profiles = slim.profiles.take();
    let record = text(&record(state, &slim));
    let unchanged = {
        let last = last.borrow();
        match (&profiles, &last.profiles) {
            (Some(p), Some(w)) => w.upgrade().is_some_and(|w| Rc::ptr_eq(&w, p)),
            (None, None) => !last.stored_any_profiles,
            _ => false,
        }
    };
    let (action, profiles_len) = match &profiles {
        _ if unchanged && last.borrow().outcome == Saved::Whole => (ProfilesText::Keep, None),
        Some(p) => {
            // Packed bytes, stored as a binary value: a copy per run on the
            // page's thread, no text built.
            let _span = crate::browser::perf::span("autosave-profiles");
            let bytes = crate::worker::protocol::wire::profiles_to_bytes(p);
            let len = bytes.len();
            (ProfilesText::Put(bytes), Some(len))
        }
        None => (ProfilesText::Remove, None),
    };
    let first = idb::save(key, &record, &action).await;
    if let Err(e) = &first
        && e.starts_with("IndexedDB is not available")
    {
        return Err(e.clone());
    }
    let outcome = match first {
        Ok(()) => Saved::Whole,
        Err(why) => match (&profiles, profiles_len) {
            (Some(p), Some(len)) => {
                let what = describe(p, len);
                match idb::save(key, &record, &ProfilesText::Remove).await {
                    Ok(()) => Saved::WithoutProfiles(format!("{what}: {why}")),
                    Err(e) => Saved::Nothing(e),
                }
            }
            _ => Saved::Nothing(why),
        },
    };
    if let Saved::Nothing(_) = outcome {
        // So that a reload does not bring back an older project unannounced.
        let _ = idb::remove(key).await;
    }
    // The record is in IndexedDB now: localStorage keeps only the settings.
    if !matches!(outcome, Saved::Nothing(_)) {
        storage::remove(key);
    }
    let mut last = last.borrow_mut();
    last.profiles = match outcome {
        Saved::Whole => profiles.as_ref().map(Rc::downgrade),
        _ => None,
    };
    last.stored_any_profiles = outcome == Saved::Whole && profiles.is_some();
    Ok(outcome)
}

fn record(state: &AppState, project: &Project) -> Autosave {
    Autosave::new(project, state.csv_mb_per_vcpu, state.last_run_crashed)
}

fn text(record: &Autosave) -> String {
    // Plain data with string keys: serialising cannot fail.
    serde_json::to_string(record).unwrap_or_default()
}

/// The record in localStorage (no IndexedDB): whole, or without the profiles.
fn save_local(key: &str, state: &AppState, why: &str) -> Saved {
    let whole = match storage::save(key, &record(state, &state.project)) {
        Ok(()) => return Saved::Whole,
        Err(msg) => format!("{why}; {msg}"),
    };
    let mut slim = state.project.clone();
    if let Some(p) = slim.profiles.take()
        && storage::save(key, &record(state, &slim)).is_ok()
    {
        let bytes = serde_json::to_string(&*p).map_or(0, |t| t.len());
        return Saved::WithoutProfiles(format!("{}: {whole}", describe(&p, bytes)));
    }
    storage::remove(key);
    Saved::Nothing(whole)
}

fn report(store: &Store, outcome: &Saved) {
    match outcome {
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
}
