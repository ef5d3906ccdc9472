//! The whole exact frontier, on request, in a worker of its own.
//!
//! The frontier job gives one optimal plan per slider position; the exact
//! frontier (every point) can take minutes on a large workflow. It runs in a
//! second instance of the worker script, spawned when the user asks
//! ([`Action::ExactRequested`]) and *terminated* (`Worker.terminate()`) when the
//! user cancels, an edit supersedes it, or it answered. A worker busy in a long
//! computation reads no message, so terminating it is the only way to stop it;
//! the planning worker keeps answering the slider, checks and exports meanwhile.
//!
//! The worker speaks yew-agent's protocol with the [`Json`]
//! codec: it posts `"WorkerLoaded"` once ready and `{"ProcessOutput": [id, output]}`
//! for each answer; it reads `{"ProcessInput": [id, job]}`. The job carries its
//! profiles (this worker keeps none) and the worker fits and samples them again:
//! sampling is deterministic, so its problem is the planning worker's.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{Blob, BlobPropertyBag, MessageEvent, Url, Worker};
use yew::prelude::*;

use super::jobs::full_job;
use crate::state::Action;
use crate::state::run::exact_running;
use crate::store::{Store, use_store};
use crate::worker::codec::{FromWorker, Json, ToWorker, try_decode};
use crate::worker::protocol::{Job, JobKind, Task, WorkerOutput};
use yew_agent::Codec;

/// The handler id the one job is posted with.
const HANDLER: u64 = 1;

/// A dedicated worker running one job; terminated when dropped.
pub struct OwnWorker {
    worker: Worker,
    url: String,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
}

impl Drop for OwnWorker {
    fn drop(&mut self) {
        self.worker.terminate();
        let _ = Url::revoke_object_url(&self.url);
    }
}

impl OwnWorker {
    /// Starts the worker script at `path` (relative to the page, as Trunk puts
    /// it) and posts `job` once it has loaded; `on_output` gets every answer.
    pub fn spawn(
        path: &str,
        job: Job,
        on_output: impl Fn(WorkerOutput) + 'static,
    ) -> Result<OwnWorker, String> {
        let base = web_sys::window()
            .and_then(|w| w.location().href().ok())
            .ok_or("no page address")?;
        let js = Url::new_with_base(path, &base)
            .map_err(|_| format!("bad worker path {path}"))?
            .href();
        let (worker, url) = start_script(&js)?;
        let message = Json::encode(ToWorker::ProcessInput(HANDLER, &job));
        let poster = worker.clone();
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            match try_decode::<FromWorker>(e.data()) {
                Ok(FromWorker::WorkerLoaded) => {
                    let _ = poster.post_message(&message);
                }
                Ok(FromWorker::ProcessOutput(id, out)) if id == HANDLER => on_output(*out),
                Ok(FromWorker::ProcessOutput(..)) => {}
                Err(e) => on_output(WorkerOutput::Crashed {
                    message: format!("an unreadable answer ({e})"),
                }),
            }
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        Ok(OwnWorker {
            worker,
            url,
            _onmessage: onmessage,
        })
    }
}

/// Starts a dedicated worker running the worker script at the absolute
/// address `js` (the loader yew-agent uses: the wasm-bindgen "no-modules"
/// script, then its module, from a `blob:` URL); gives the worker and that URL
/// (to revoke once the worker is terminated). Works in a page and in a worker.
pub(crate) fn start_script(js: &str) -> Result<(Worker, String), String> {
    let wasm = js.replace(".js", "_bg.wasm");
    let shim = format!(r#"importScripts("{js}");wasm_bindgen("{wasm}");"#);
    let parts = js_sys::Array::of1(&shim.into());
    let options = BlobPropertyBag::new();
    options.set_type("application/javascript");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| "cannot make the worker's loader")?;
    let url =
        Url::create_object_url_with_blob(&blob).map_err(|_| "cannot make the worker's loader")?;
    let worker = Worker::new(&url).map_err(|_| "cannot start a worker")?;
    Ok((worker, url))
}

fn handle(store: &Store, rev: u64, out: WorkerOutput) {
    match out {
        WorkerOutput::Progress {
            kind: JobKind::ExactFrontier,
            progress,
            ..
        } => store.dispatch(Action::ExactProgressed { rev, progress }),
        WorkerOutput::Frontier { result, .. } => store.dispatch(Action::ExactFinished {
            rev,
            result: result.map(std::rc::Rc::new),
        }),
        WorkerOutput::Crashed { message } => store.dispatch(Action::ExactFinished {
            rev,
            result: Err(format!("the exact frontier's worker stopped ({message})")),
        }),
        _ => {}
    }
}

/// Runs the exact frontier while the state asks for it for the current inputs
/// (see the module); `path` is the worker script's.
#[hook]
pub fn use_exact_job(path: AttrValue) {
    let store = use_store();
    let running = use_mut_ref(|| None::<OwnWorker>);
    let rev = exact_running(store.state());
    use_effect_with(rev, move |&rev| {
        // The previous run (cancelled, superseded or answered) stops here.
        *running.borrow_mut() = None;
        if let Some(rev) = rev {
            let job = full_job(store.state(), Task::ExactFrontier);
            let answer = {
                let store = store.clone();
                move |out| handle(&store, rev, out)
            };
            match OwnWorker::spawn(&path, job, answer) {
                Ok(w) => *running.borrow_mut() = Some(w),
                Err(message) => store.dispatch(Action::ExactFinished {
                    rev,
                    result: Err(message),
                }),
            }
        }
        let running = running.clone();
        move || *running.borrow_mut() = None
    });
}
