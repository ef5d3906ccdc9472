//! The app shell: store, header, notices, the five panels, and the page-wide
//! drop target for files.

use yew::prelude::*;

use crate::browser::file::{drags_files, dropped_files};
use crate::components::advisor_panel::AdvisorPanel;
use crate::components::bound_bar::BoundBar;
use crate::components::controls_panel::ControlsPanel;
use crate::components::editor::EditorPanel;
use crate::components::executor_panel::ExecutorPanel;
use crate::components::frontier_panel::FrontierPanel;
use crate::components::header::Header;
use crate::components::measured_on::MeasuredOn;
use crate::components::notices::Notices;
use crate::components::plan_panel::PlanPanel;
use crate::components::prewarm_panel::PrewarmPanel;
use crate::components::profiles_panel::ProfilesPanel;
use crate::hooks::use_autosave::use_autosave;
use crate::hooks::use_opener::use_opener;
use crate::hooks::use_planner::use_planner;
use crate::store::{StoreProvider, use_store};
use crate::worker::agent::PlannerAgent;
use crate::worker::codec::Json;
use yew_agent::worker::WorkerProvider;

/// localStorage key of the autosave record ([`crate::state::Autosave`]).
pub const AUTOSAVE_KEY: &str = "faasplan.autosave.v2";

/// Where Trunk puts the planning worker (`data-bin="worker"` in `index.html`).
pub const WORKER_PATH: &str = "worker.js";

/// Props of [`App`].
#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// Where to autosave the project; `None` turns autosave off (tests).
    #[prop_or(Some(AttrValue::Static(AUTOSAVE_KEY)))]
    pub storage_key: Option<AttrValue>,
    /// URL of the planning worker's script; `None` turns planning off (tests).
    #[prop_or(Some(AttrValue::Static(WORKER_PATH)))]
    pub worker_path: Option<AttrValue>,
}

impl Default for AppProps {
    fn default() -> Self {
        AppProps {
            storage_key: Some(AttrValue::Static(AUTOSAVE_KEY)),
            worker_path: Some(AttrValue::Static(WORKER_PATH)),
        }
    }
}

/// The whole app.
#[component]
pub fn App(props: &AppProps) -> Html {
    html! {
        <StoreProvider>
            if let Some(path) = props.worker_path.clone() {
                <PlannerHost path={path.clone()} />
                <ExactHost path={path.clone()} />
                <OpenerHost {path} />
            }
            <Shell storage_key={props.storage_key.clone()} worker_path={None::<AttrValue>} />
        </StoreProvider>
    }
}

/// Props of [`PlannerHost`].
#[derive(Properties, PartialEq)]
struct PlannerHostProps {
    path: AttrValue,
}

/// Owns the planning worker: a new one (a remount, keyed on
/// `worker_generation`) after the previous one crashed.
#[component]
fn PlannerHost(props: &PlannerHostProps) -> Html {
    let generation = use_store().state().worker_generation;
    html! {
        <WorkerProvider<PlannerAgent, Json> key={generation.to_string()} path={props.path.clone()}>
            <Planner />
        </WorkerProvider<PlannerAgent, Json>>
    }
}

/// Runs the whole exact frontier on request, in a worker of its own
/// (`hooks::use_planner::exact`); renders nothing.
#[component]
fn ExactHost(props: &PlannerHostProps) -> Html {
    crate::hooks::use_planner::exact::use_exact_job(props.path.clone());
    Html::default()
}

/// Owns the file-reading worker (a second instance of the worker script, so
/// opening files never waits behind planning): a new one after a crash.
#[component]
fn OpenerHost(props: &PlannerHostProps) -> Html {
    let generation = use_store().state().opener_generation;
    html! {
        <WorkerProvider<PlannerAgent, Json> key={generation.to_string()} path={props.path.clone()}>
            <Opener />
        </WorkerProvider<PlannerAgent, Json>>
    }
}

/// Posts opened files to the file-reading worker; renders nothing.
#[component]
fn Opener() -> Html {
    use_opener();
    Html::default()
}

/// Runs the planner; renders nothing.
#[component]
fn Planner() -> Html {
    use_planner();
    Html::default()
}

#[component]
fn Shell(props: &AppProps) -> Html {
    use_autosave(props.storage_key.clone());
    let store = use_store();
    let dragging = use_state(|| false);
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            if drags_files(&e) {
                // Without this the browser opens the file instead of dropping it here.
                e.prevent_default();
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            // Leaving for a child element also fires; only a leave to outside counts.
            if e.related_target().is_none() {
                dragging.set(false);
            }
        })
    };
    let ondrop = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            let files = dropped_files(&e);
            if !files.is_empty() {
                e.prevent_default();
                store.open_files(files);
            }
            dragging.set(false);
        })
    };
    html! {
        <div class={classes!("app", dragging.then_some("dragging"))} data-testid="app"
            {ondragover} {ondragleave} {ondrop}>
            <Header />
            <Notices />
            <MeasuredOn />
            <BoundBar />
            <main class="layout">
                <FrontierPanel />
                <PlanPanel />
                <EditorPanel />
                <ControlsPanel />
                <ProfilesPanel />
                <AdvisorPanel />
                <PrewarmPanel />
                <ExecutorPanel />
            </main>
            if *dragging {
                <div class="drop-hint" aria-hidden="true">
                    { "Drop a project, Jolteon workflow + profile, grid or profile CSV" }
                </div>
            }
        </div>
    }
}
