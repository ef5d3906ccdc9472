//! UI components. Panels call `use_store()`; widgets take values and callbacks.

pub mod advisor_panel;
pub mod bound_bar;
pub mod controls_panel;
pub mod editor;
pub mod executor_panel;
pub mod frontier_panel;
pub mod fusion_controls;
pub mod header;
pub mod measured_on;
pub mod notices;
pub mod plan_panel;
pub mod prewarm_panel;
pub mod profiles_panel;
pub mod widgets;
