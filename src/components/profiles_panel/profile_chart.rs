//! The profile chart on a canvas, redrawn when its view changes.

use faasplan_charts::profile::{ProfilesView, draw_profile};
use gloo_timers::callback::Timeout;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use crate::browser::canvas::fit_canvas;

/// Props of [`ProfileChart`].
#[derive(Properties, PartialEq)]
pub struct ProfileChartProps {
    /// What to draw.
    pub view: ProfilesView,
}

/// Canvas height over width.
pub const PROFILE_ASPECT: f64 = 0.62;
/// Canvas width when it is not laid out yet, px.
pub const PROFILE_FALLBACK_W: u32 = 480;

/// Wall time against memory for one stage.
#[component]
pub fn ProfileChart(props: &ProfileChartProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with(props.view.clone(), move |view| {
            // Drawn in a task of its own after the render that brought the view: the
            // drawing visits every run (tens of thousands in a large profile), and the
            // render of an import's answer already holds its decoding and the panels.
            // A newer view cancels a drawing that has not started.
            let view = view.clone();
            let timer = Timeout::new(0, move || draw(&canvas, &view));
            move || drop(timer)
        });
    }
    html! {
        <canvas class="chart profile-chart" data-testid="profile-chart" ref={canvas}
            aria-label={format!("Measured wall time against memory of stage {}", props.view.stage)} />
    }
}

/// Draws `view` on the canvas behind `canvas`, if it is mounted.
fn draw(canvas: &NodeRef, view: &ProfilesView) {
    if let Some(el) = canvas.cast::<HtmlCanvasElement>()
        && let Some(backend) = CanvasBackend::with_canvas_object(fit_canvas(
            el,
            PROFILE_ASPECT,
            280,
            900,
            PROFILE_FALLBACK_W,
        ))
    {
        let _span = crate::browser::perf::span(format!("draw-profile {} runs", view.runs.len()));
        // A failed draw leaves the canvas blank; there is nothing better to show.
        let _ = draw_profile(&backend.into_drawing_area(), view);
    }
}
