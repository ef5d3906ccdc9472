//! Opening files off the page's thread: when `open_rev` grows, the batch in
//! [`AppState::opening`](crate::state::AppState) is posted to the file-reading
//! worker as a [`Task::Import`]; its progress and answer come back as actions.
//! The worker reads the files from their object URLs, which are revoked once
//! it has answered, or, when the answer opens the import dialog's "measured
//! on" (which imports the same files again), once that dialog is closed.

use std::collections::HashMap;

use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::profile::Profiles;
use gloo_timers::future::TimeoutFuture;
use yew::prelude::*;
use yew_agent::worker::use_worker_bridge;

use crate::state::{Action, opening};
use crate::store::use_store;
use crate::worker::agent::PlannerAgent;
use crate::worker::protocol::{Job, Task, WorkerOutput};

/// Posts opened files to the worker (mount once, inside its own `WorkerProvider`).
#[hook]
pub fn use_opener() {
    let store = use_store();
    // Object URLs per batch key, revoked when the batch is answered.
    let urls = use_mut_ref(HashMap::<u64, Vec<String>>::new);
    // Object URLs kept for the "measured on" dialog.
    let kept = use_mut_ref(Vec::<String>::new);
    let bridge = {
        let (store, urls, kept) = (store.clone(), urls.clone(), kept.clone());
        use_worker_bridge::<PlannerAgent, _>(move |out| match out {
            WorkerOutput::Progress { key, progress, .. } => {
                store.dispatch(Action::OpenProgressed { key, progress });
            }
            WorkerOutput::Imported { key, result } => {
                if result.is_err() {
                    crate::browser::perf::clear_open_mark();
                }
                let done = urls.borrow_mut().remove(&key).unwrap_or_default();
                let mut kept = kept.borrow_mut();
                let mut all: Vec<String> = kept.drain(..).collect();
                all.extend(
                    done.into_iter()
                        .filter(|u| !all.contains(u))
                        .collect::<Vec<_>>(),
                );
                if matches!(&result, Ok(i) if opening::wants_dialog(i)) {
                    *kept = all;
                } else {
                    revoke(all);
                }
                // Applied in a task of its own: this one decoded the answer (tens of
                // milliseconds for a large profile), and applying it renders every panel.
                let store = store.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    TimeoutFuture::new(0).await;
                    let _span = crate::browser::perf::span("apply-import");
                    store.dispatch(opening::finished(key, result));
                });
            }
            WorkerOutput::Crashed { message } => {
                for (_, list) in urls.borrow_mut().drain() {
                    revoke(list);
                }
                store.dispatch(Action::OpenerCrashed { message });
            }
            _ => {}
        })
    };
    let state = store.state();
    // The dialog closed with no batch being read: its files are not needed any more.
    let idle = state.measuring.is_none() && state.opening.is_none();
    use_effect_with(idle, move |idle| {
        if *idle {
            revoke(kept.borrow_mut().drain(..).collect());
        }
    });
    let open_rev = state.open_rev;
    let job = state
        .opening
        .as_ref()
        .filter(|o| o.key == open_rev)
        .map(|o| {
            // Only the workflow is read against; the profiles stay on this side.
            let project = CoreProject {
                workflow: state.project.workflow.clone(),
                profiles: Profiles {
                    mb_per_vcpu: state.project.platform.mb_per_vcpu,
                    stages: Vec::new(),
                },
                platform: state.project.platform.clone(),
                settings: state.project.settings.clone(),
            };
            let task = Task::Import {
                files: o.files.clone(),
                grid: state.jolteon_grid.as_ref().map(|g| g.to_json()),
                csv_mb_per_vcpu: state.csv_mb_per_vcpu,
                measured_on: o.measured_on.clone(),
            };
            (o.key, state.inputs_rev, project, task)
        });
    use_effect_with(open_rev, move |_| {
        if let Some((key, rev, project, task)) = job {
            if let Task::Import { files, .. } = &task {
                let blobs = files
                    .iter()
                    .map(|f| f.url.clone())
                    .filter(|u| u.starts_with("blob:"))
                    .collect();
                urls.borrow_mut().insert(key, blobs);
            }
            bridge.send(Job::new(rev, key, project, task, 0));
        }
    });
}

fn revoke(urls: Vec<String>) {
    for url in urls {
        let _ = web_sys::Url::revoke_object_url(&url);
    }
}
