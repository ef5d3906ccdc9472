//! Hooks that run effects outside the reducer.

pub mod use_autosave;
pub mod use_opener;
pub mod use_planner;
