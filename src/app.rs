//! The app shell: store, header, notices and the five panels.

use yew::prelude::*;

use crate::components::controls_panel::ControlsPanel;
use crate::components::editor::EditorPanel;
use crate::components::frontier_panel::FrontierPanel;
use crate::components::header::Header;
use crate::components::notices::Notices;
use crate::components::plan_panel::PlanPanel;
use crate::components::profiles_panel::ProfilesPanel;
use crate::hooks::use_autosave::use_autosave;
use crate::store::StoreProvider;

/// localStorage key of the autosaved project.
pub const AUTOSAVE_KEY: &str = "faasplan.project.v1";

/// Props of [`App`].
#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// Where to autosave the project; `None` turns autosave off (tests).
    #[prop_or(Some(AttrValue::Static(AUTOSAVE_KEY)))]
    pub storage_key: Option<AttrValue>,
}

impl Default for AppProps {
    fn default() -> Self {
        AppProps {
            storage_key: Some(AttrValue::Static(AUTOSAVE_KEY)),
        }
    }
}

/// The whole app.
#[component]
pub fn App(props: &AppProps) -> Html {
    html! {
        <StoreProvider>
            <Shell storage_key={props.storage_key.clone()} />
        </StoreProvider>
    }
}

#[component]
fn Shell(props: &AppProps) -> Html {
    use_autosave(props.storage_key.clone());
    html! {
        <div class="app">
            <Header />
            <Notices />
            <main class="layout">
                <EditorPanel />
                <ControlsPanel />
                <ProfilesPanel />
                <FrontierPanel />
                <PlanPanel />
            </main>
        </div>
    }
}
