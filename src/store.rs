//! The only Yew adapter of the state: [`AppState`] as a `Reducible`, the
//! [`StoreProvider`] that owns it, and the [`use_store`] hook panels call.

use std::rc::Rc;

use yew::prelude::*;

use crate::state::{Action, AppState, Level};

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

/// The store handed down by context: read the state, dispatch actions.
#[derive(Clone, PartialEq)]
pub struct Store(UseReducerHandle<AppState>);

impl Store {
    /// The current state.
    pub fn state(&self) -> &AppState {
        &self.0
    }

    /// Sends one action to the reducer.
    pub fn dispatch(&self, action: Action) {
        self.0.dispatch(action);
    }

    /// A callback that maps its argument to an action and dispatches it.
    pub fn callback<T: 'static>(&self, f: impl Fn(T) -> Action + 'static) -> Callback<T> {
        let store = self.clone();
        Callback::from(move |x| store.dispatch(f(x)))
    }

    /// Opens picked or dropped files as one batch: the file-reading worker
    /// reads them from object URLs and imports them ([`Action::OpenFiles`]);
    /// nothing is read or parsed on the page's thread.
    pub fn open_files(&self, files: Vec<web_sys::File>) {
        if files.is_empty() {
            return;
        }
        crate::browser::perf::mark_open();
        match crate::browser::file::object_urls(files) {
            Ok(refs) => self.dispatch(Action::OpenFiles(refs)),
            Err(msg) => self.report(Level::Warning, msg),
        }
    }

    /// Shows an error from a browser API as a notice.
    pub fn report(&self, level: Level, text: impl Into<String>) {
        self.dispatch(Action::Notify {
            level,
            text: text.into(),
        });
    }
}

/// Props of [`StoreProvider`].
#[derive(Properties, PartialEq)]
pub struct StoreProviderProps {
    /// The app below the store.
    pub children: Html,
}

/// Owns the app state and provides it to everything below.
#[component]
pub fn StoreProvider(props: &StoreProviderProps) -> Html {
    let state = use_reducer(AppState::default);
    html! {
        <ContextProvider<Store> context={Store(state)}>
            { props.children.clone() }
        </ContextProvider<Store>>
    }
}

/// The store from the nearest [`StoreProvider`].
#[hook]
pub fn use_store() -> Store {
    use_context::<Store>().unwrap_or_else(|| unreachable!("App wraps every panel in StoreProvider"))
}
