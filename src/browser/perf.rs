//! User Timing marks around bound changes, so tests and the docs can read how
//! long a slider move takes to reach the screen.
//!
//! [`mark_bound_input`] puts the mark [`BOUND_INPUT`] when the slider reports a
//! new value; after the render that shows it, [`measure_bound_paint`] asks for
//! the next animation frame and there records the measure [`BOUND_TO_PAINT`]
//! from that mark (the frame callback runs just before the browser paints it).

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// Mark name put on slider input.
pub const BOUND_INPUT: &str = "bound-input";
/// Measure name from slider input to the frame that shows the new plan.
pub const BOUND_TO_PAINT: &str = "bound-to-paint";

fn performance() -> Option<web_sys::Performance> {
    web_sys::window().and_then(|w| w.performance())
}

/// Marks a slider input (replacing an earlier unmeasured mark).
pub fn mark_bound_input() {
    if let Some(p) = performance() {
        p.clear_marks_with_mark_name(BOUND_INPUT);
        let _ = p.mark(BOUND_INPUT);
    }
}

/// In the next animation frame, measures from the pending input mark, if any.
pub fn measure_bound_paint() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(p) = performance() else {
        return;
    };
    if p.get_entries_by_name_with_entry_type(BOUND_INPUT, "mark")
        .length()
        == 0
    {
        return;
    }
    let cb = Closure::once_into_js(move || {
        let _ = p.measure_with_start_mark(BOUND_TO_PAINT, BOUND_INPUT);
        p.clear_marks_with_mark_name(BOUND_INPUT);
    });
    let _ = window.request_animation_frame(cb.unchecked_ref());
}
