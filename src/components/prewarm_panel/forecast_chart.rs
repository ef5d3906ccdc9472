//! The pre-warm forecast chart on a canvas, redrawn when its view changes.

use faasplan_charts::forecast::{ForecastView, draw_forecast};
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use crate::browser::canvas::fit_canvas;

/// Props of [`ForecastChart`].
#[derive(Properties, PartialEq)]
pub struct ForecastChartProps {
    /// What to draw.
    pub view: ForecastView,
}

/// Instances needed, forecast with its band and provisioned concurrency of one stage.
#[component]
pub fn ForecastChart(props: &ForecastChartProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with(props.view.clone(), move |view| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>()
                && let Some(backend) =
                    CanvasBackend::with_canvas_object(fit_canvas(el, 0.42, 280, 1200, 640))
            {
                // A failed draw leaves the canvas blank; there is nothing better to show.
                let _ = draw_forecast(&backend.into_drawing_area(), view);
            }
        });
    }
    html! {
        <canvas class="chart forecast-chart" data-testid="forecast-chart" ref={canvas}
            aria-label={format!("Forecast instances and provisioned concurrency of stage {}", props.view.stage)} />
    }
}
