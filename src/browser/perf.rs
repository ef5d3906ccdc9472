//! User Timing marks around bound changes, so tests and the docs can read how
//! long a slider move takes to reach the screen; and around opening files:
//! [`mark_open`] puts [`OPEN_FILES`] when files are picked or dropped, and
//! [`measure_open_to_frontier`] records [`OPEN_TO_FRONTIER`] in the frame that
//! first shows a frontier planned from them.
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

/// Mark name put when files are opened.
pub const OPEN_FILES: &str = "open-files";
/// Measure name from opening files to the frame that first shows their
/// frontier (its first round: the plan for the bound, or the coarse frontier).
pub const OPEN_TO_FRONTIER: &str = "open-to-frontier";
/// Measure name from opening files to the frame that shows their whole frontier
/// at the slider's resolution (every position solved).
pub const OPEN_TO_RESOLUTION: &str = "open-to-resolution";

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

/// Marks files being opened (replacing an earlier unmeasured mark).
pub fn mark_open() {
    if let Some(p) = performance() {
        p.clear_marks_with_mark_name(OPEN_FILES);
        let _ = p.mark(OPEN_FILES);
    }
}

/// Drops the open mark (the files were refused: no frontier will follow).
pub fn clear_open_mark() {
    if let Some(p) = performance() {
        p.clear_marks_with_mark_name(OPEN_FILES);
    }
}

/// In the next animation frame, measures from the pending open mark, if any
/// (the mark stays for [`measure_open_to_resolution`]).
pub fn measure_open_to_frontier() {
    measure_in_next_frame(OPEN_FILES, OPEN_TO_FRONTIER, false);
}

/// In the next animation frame, measures from the pending open mark, if any,
/// and drops the mark.
pub fn measure_open_to_resolution() {
    measure_in_next_frame(OPEN_FILES, OPEN_TO_RESOLUTION, true);
}

/// In the next animation frame, measures from the pending input mark, if any.
pub fn measure_bound_paint() {
    measure_in_next_frame(BOUND_INPUT, BOUND_TO_PAINT, true);
}

fn measure_in_next_frame(mark: &'static str, measure: &'static str, clear: bool) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(p) = performance() else {
        return;
    };
    if p.get_entries_by_name_with_entry_type(mark, "mark").length() == 0 {
        return;
    }
    let cb = Closure::once_into_js(move || {
        let _ = p.measure_with_start_mark(measure, mark);
        if clear {
            p.clear_marks_with_mark_name(mark);
        }
    });
    let _ = window.request_animation_frame(cb.unchecked_ref());
}

/// The global scope's `performance` (the page's or a worker's), if any.
#[cfg(target_arch = "wasm32")]
fn global_performance() -> Option<js_sys::Object> {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .filter(|p| p.is_object())
        .map(js_sys::Object::from)
}

/// `performance.now()` of the global scope (the page's or a worker's), ms; 0
/// where there is none (native tests).
pub fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        global_performance()
            .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
            .map_or(0.0, |p| p.now())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}

/// A User Timing measure from [`span`] to the span's drop, on the page's or
/// the worker's timeline: what a trace or `performance.getEntriesByType("measure")`
/// shows of the steps of opening a profile (decoding a worker's answer,
/// applying it, drawing a chart).
#[must_use = "the measure is recorded when the span is dropped"]
pub struct Span {
    name: String,
    // Read only where there is a timeline to record on (wasm32).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    start: f64,
}

/// Starts a span named `name` (recorded as a measure when dropped).
pub fn span(name: impl Into<String>) -> Span {
    Span {
        name: name.into(),
        start: now_ms(),
    }
}

impl Span {
    /// Names the measure (e.g. with a size known only at the end).
    pub fn rename(&mut self, name: impl Into<String>) {
        self.name = name.into();
    }

    /// Records nothing for this span.
    pub fn cancel(mut self) {
        self.name.clear();
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        #[cfg(target_arch = "wasm32")]
        if !self.name.is_empty() {
            let Some(p) = global_performance() else {
                return;
            };
            let Ok(measure) = js_sys::Reflect::get(&p, &"measure".into())
                .and_then(|f| f.dyn_into::<js_sys::Function>())
            else {
                return;
            };
            let options = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&options, &"start".into(), &self.start.into());
            let _ = js_sys::Reflect::set(&options, &"end".into(), &now_ms().into());
            let _ = measure.call2(&p, &self.name.as_str().into(), &options);
        }
    }
}
