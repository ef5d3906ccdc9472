//! The faasplan web app: draw a serverless workflow, load its profiles and
//! plan memory and parallelism for a latency percentile, all in the browser.
//!
//! Layout (see the house style): [`state`] is the pure document and reducer,
//! [`store`] its only Yew adapter, [`geometry`] the editor's pure geometry,
//! [`components`] the panels and widgets, [`hooks`] the effects, [`browser`]
//! the thin wrappers around browser APIs, and [`worker`] the compute boundary.
//!
//! ```no_run
//! yew::Renderer::<faasplan_web::App>::new().render();
//! ```

pub mod app;
pub mod browser;
pub mod components;
pub mod geometry;
pub mod hooks;
pub mod import;
pub mod state;
pub mod store;
pub mod worker;

pub use app::App;
