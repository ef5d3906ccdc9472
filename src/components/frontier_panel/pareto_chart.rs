//! The frontier chart on a canvas: redrawn whenever the view changes, a
//! tooltip for the frontier point or baseline marker under the pointer, legend
//! toggles for the baseline markers (`Action::ToggleMarker`: the hidden set
//! lives in the app state, so it outlives re-runs), and exports (SVG from the same drawing code, PNG from the canvas,
//! the frontier as CSV).

use std::cell::Cell;
use std::rc::Rc;

use faasplan_charts::hover::nearest;
use faasplan_charts::pareto::{ParetoView, RUNS_PER_MILLION, draw_pareto, marker_style};
use faasplan_charts::{ChartFrame, fmt_sig};
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use crate::browser::canvas::fit_canvas;
use crate::browser::download::{download_text, download_url};
use crate::browser::js_message;
use crate::state::{Action, Level};
use crate::store::use_store;

/// Size of the exported SVG, px (the canvas takes the width it is shown at).
pub const PARETO_CANVAS: (u32, u32) = (720, 420);
/// Canvas height over width.
pub const PARETO_ASPECT: f64 = 0.5;
/// Canvas height over width on a phone-sized panel, where a flat chart would
/// leave no room for the plot between the axis labels.
pub const PARETO_ASPECT_NARROW: f64 = 0.85;

/// The aspect for a canvas shown `css_width` px wide.
pub fn aspect_for(css_width: i32) -> f64 {
    if css_width > 0 && css_width < 560 {
        PARETO_ASPECT_NARROW
    } else {
        PARETO_ASPECT
    }
}

/// How far from a point the pointer may be and still show it, canvas px.
pub const HOVER_RADIUS_PX: f64 = 14.0;

/// Props of [`ParetoChart`].
#[derive(Properties, PartialEq)]
pub struct ParetoChartProps {
    /// What to draw.
    pub view: ParetoView,
    /// Grows whenever the inputs change; the canvas is redrawn on it and on
    /// any change of `view`.
    pub view_rev: u64,
}

/// What the pointer is over: a frontier point or a marker, by index.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Hover {
    Point(usize),
    Marker(usize),
}

/// Hover targets: the frontier points, then the visible markers.
fn targets(view: &ParetoView) -> (Vec<(f64, f64)>, Vec<Hover>) {
    let points = view
        .points
        .iter()
        .enumerate()
        .map(|(i, &p)| (p, Hover::Point(i)));
    let markers = view
        .markers
        .iter()
        .enumerate()
        .filter(|(_, m)| m.visible)
        .map(|(i, m)| ((m.latency_s, m.cost_usd), Hover::Marker(i)));
    points.chain(markers).unzip()
}

/// The SVG of a view, as the export button downloads it.
pub fn pareto_svg(view: &ParetoView) -> Result<String, String> {
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, PARETO_CANVAS).into_drawing_area();
        draw_pareto(&area, view).map_err(|e| format!("cannot draw the chart: {e}"))?;
    }
    Ok(svg)
}

/// The frontier chart.
#[component]
pub fn ParetoChart(props: &ParetoChartProps) -> Html {
    let store = use_store();
    let canvas = use_node_ref();
    let frame = use_mut_ref(|| Cell::new(None::<ChartFrame>));
    let hover = use_state(|| None::<(Hover, f64, f64)>);
    let table_open = use_state(|| false);
    let view = Rc::new(props.view.clone());
    {
        let (canvas, frame, view) = (canvas.clone(), frame.clone(), view.clone());
        use_effect_with((props.view_rev, props.view.clone()), move |_| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>()
                && let Some(backend) = CanvasBackend::with_canvas_object(fit_canvas(
                    el.clone(),
                    aspect_for(el.client_width()),
                    300,
                    1200,
                    PARETO_CANVAS.0,
                ))
            {
                let _span = crate::browser::perf::span("draw-pareto");
                frame
                    .borrow()
                    .set(draw_pareto(&backend.into_drawing_area(), &view).ok());
            }
        });
    }
    let onmousemove = {
        let (canvas, frame, hover) = (canvas.clone(), frame.clone(), hover.clone());
        let (points, what) = targets(&props.view);
        Callback::from(move |e: MouseEvent| {
            let (Some(el), Some(f)) = (canvas.cast::<HtmlCanvasElement>(), frame.borrow().get())
            else {
                return;
            };
            // Pointer in CSS px → canvas px (CSS scales the canvas to the panel).
            let scale = f64::from(el.width()) / f64::from(el.client_width().max(1));
            let (cx, cy) = (f64::from(e.offset_x()), f64::from(e.offset_y()));
            let hit = nearest(&f, &points, (cx * scale, cy * scale), HOVER_RADIUS_PX);
            hover.set(hit.map(|i| (what[i], cx, cy)));
        })
    };
    let onmouseleave = {
        let hover = hover.clone();
        Callback::from(move |_: MouseEvent| hover.set(None))
    };
    let export = |kind: ChartExport| {
        let (store, canvas, view) = (store.clone(), canvas.clone(), view.clone());
        Callback::from(move |_: MouseEvent| {
            let result = match kind {
                ChartExport::Svg => pareto_svg(&view)
                    .and_then(|svg| download_text("frontier.svg", "image/svg+xml", &svg)),
                ChartExport::Png => canvas
                    .cast::<HtmlCanvasElement>()
                    .ok_or_else(|| "the chart is not on the page".to_string())
                    .and_then(|c| {
                        c.to_data_url()
                            .map_err(|e| js_message("cannot export png", e))
                    })
                    .and_then(|url| download_url("frontier.png", &url)),
                ChartExport::Csv => download_text("frontier.csv", "text/csv", &view.to_csv()),
            };
            if let Err(msg) = result {
                store.report(Level::Error, msg);
            }
        })
    };
    let (export_svg, export_png, export_csv) = (
        export(ChartExport::Svg),
        export(ChartExport::Png),
        export(ChartExport::Csv),
    );
    let toggles = props.view.markers.iter().enumerate().map(|(i, m)| {
        let label = m.label.clone();
        let onchange = store.callback(move |_: Event| Action::ToggleMarker(label.clone()));
        let (shape, color) = marker_style(i);
        let swatch = format!("color: rgb({}, {}, {})", color.0, color.1, color.2);
        let missing = !(m.latency_s.is_finite() && m.cost_usd.is_finite());
        let title = if missing {
            "no plan".to_string()
        } else {
            m.note.clone()
        };
        html! {
            <label class={classes!("toggle", missing.then_some("muted"))} {title}>
                <input type="checkbox" data-testid="marker-toggle" data-label={m.label.clone()}
                    checked={m.visible} disabled={missing} {onchange} />
                <span class="swatch" style={swatch} aria-hidden="true">{ shape.glyph() }</span>
                { m.label.clone() }
            </label>
        }
    });
    html! {
        <div class="pareto">
            <div class="chart-wrap">
                <canvas class="chart pareto-chart" data-testid="pareto-canvas" ref={canvas}
                    role="img" aria-label={chart_label(&props.view)} {onmousemove} {onmouseleave} />
                { view_tooltip(&props.view, *hover) }
            </div>
            { view_data_table(&props.view, &table_open) }
            if !props.view.markers.is_empty() {
                <div class="chart-legend" data-testid="marker-legend">
                    <span class="muted">{ "Baselines:" }</span>
                    { for toggles }
                </div>
            }
            <div class="chart-actions">
                <span class="spacer" />
                <button class="btn" data-testid="export-svg" onclick={export_svg}>{ "SVG" }</button>
                <button class="btn" data-testid="export-png" onclick={export_png}>{ "PNG" }</button>
                <button class="btn" data-testid="export-csv" onclick={export_csv}>{ "CSV" }</button>
            </div>
        </div>
    }
}

/// What a chart export button downloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChartExport {
    /// The chart drawn as SVG (`faasplan_charts::pareto::draw_pareto`).
    Svg,
    /// The canvas as PNG.
    Png,
    /// The frontier's points as CSV (`ParetoView::to_csv`).
    Csv,
}

/// The chart's accessible name: what it shows and where the chosen plan is.
pub fn chart_label(view: &ParetoView) -> String {
    let chosen = view.chosen_xy().map_or(String::new(), |(l, c)| {
        format!(
            "; chosen plan at {} s and ${} per run",
            fmt_sig(l, 3),
            fmt_sig(c, 3)
        )
    });
    let current = view.current.map_or(String::new(), |(l, c)| {
        format!(
            "; your configuration at {} s and ${} per run",
            fmt_sig(l, 3),
            fmt_sig(c, 3)
        )
    });
    format!(
        "Latency–cost frontier: {} plans, {} against expected cost{chosen}{current}. The same figures are in the table below the chart.",
        view.points.len(),
        view.x_title()
    )
}

/// The frontier as a table (the chart's text alternative), rendered only while open.
fn view_data_table(view: &ParetoView, open: &UseStateHandle<bool>) -> Html {
    let ontoggle = {
        let open = open.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlDetailsElement = e.target_unchecked_into();
            open.set(el.open());
        })
    };
    html! {
        <details class="chart-table" data-testid="frontier-table" {ontoggle}>
            <summary>{ format!("Frontier as a table ({} plans)", view.points.len()) }</summary>
            if **open {
                <div class="table-scroll" tabindex="0" role="region" aria-label="Frontier points">
                    <table>
                        <thead><tr>
                            <th scope="col">{ view.x_title() }</th>
                            <th scope="col">{ "$ per run" }</th>
                            <th scope="col">{ "Plan" }</th>
                        </tr></thead>
                        <tbody>
                            { for view.points.iter().enumerate().map(|(i, &(l, c))| html! {
                                <tr class={classes!((view.chosen == Some(i)).then_some("chosen"))}>
                                    <td class="num">{ fmt_sig(l, 4) }</td>
                                    <td class="num">{ fmt_sig(c, 4) }</td>
                                    <td>
                                        if view.chosen == Some(i) { <strong>{ "chosen · " }</strong> }
                                        { view.notes.get(i).cloned().unwrap_or_default() }
                                    </td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
        </details>
    }
}

fn view_tooltip(view: &ParetoView, hover: Option<(Hover, f64, f64)>) -> Html {
    let style = |x: f64, y: f64| format!("left: {}px; top: {}px;", x + 12.0, y + 12.0);
    let (i, x, y) = match hover {
        None => return Html::default(),
        Some((Hover::Marker(j), x, y)) => {
            let Some(m) = view.markers.get(j) else {
                return Html::default();
            };
            return html! {
                <div class="tooltip" data-testid="pareto-tooltip" style={style(x, y)}>
                    <strong>{ format!("Baseline: {}", m.label) }</strong>
                    <div>{ format!("{}: {} s", view.x_title().replace(" (s)", ""), fmt_sig(m.latency_s, 3)) }</div>
                    <div>{ format!("${} per run · ${} per million", fmt_sig(m.cost_usd, 3), fmt_sig(m.cost_usd * RUNS_PER_MILLION, 3)) }</div>
                    if !m.note.is_empty() { <div class="note">{ m.note.clone() }</div> }
                </div>
            };
        }
        Some((Hover::Point(i), x, y)) => (i, x, y),
    };
    let Some(&(latency_s, cost_usd)) = view.points.get(i) else {
        return Html::default();
    };
    let style = style(x, y);
    html! {
        <div class="tooltip" data-testid="pareto-tooltip" {style}>
            <strong>{ if view.chosen == Some(i) { "Chosen plan" } else { "Plan" } }</strong>
            <div>{ format!("{}: {} s", view.x_title().replace(" (s)", ""), fmt_sig(latency_s, 3)) }</div>
            <div>{ format!("${} per run · ${} per million", fmt_sig(cost_usd, 3), fmt_sig(cost_usd * RUNS_PER_MILLION, 3)) }</div>
            if let Some(note) = view.notes.get(i) { <div class="note">{ note.clone() }</div> }
        </div>
    }
}
