//! faasplan's charts, written once and generic over the plotters backend: the
//! web app draws them on a `<canvas>` (`plotters_canvas::CanvasBackend`), its
//! "export SVG" buttons, `faasplan frontier --svg` and the tests on an
//! `SVGBackend` string.
//!
//! Every `draw_*` function returns the [`ChartFrame`] it drew into (the plot
//! area in pixels and the data ranges), so pointer positions can be mapped
//! back to data by pure functions ([`ChartFrame::to_px`], [`hover::nearest`]).
//!
//! ```
//! use std::rc::Rc;
//!
//! use faasplan_charts::pareto::{BoundLine, ParetoView, draw_pareto};
//! use plotters::prelude::*;
//!
//! let view = ParetoView {
//!     points: Rc::from(vec![(10.0, 0.004), (12.0, 0.003), (15.0, 0.0025)]),
//!     bound: Some(BoundLine::Latency(13.0)),
//!     chosen: Some(1),
//!     ..ParetoView::default()
//! };
//! let mut svg = String::new();
//! {
//!     let area = SVGBackend::with_string(&mut svg, (800, 480)).into_drawing_area();
//!     draw_pareto(&area, &view).expect("an SVG string does not fail");
//! }
//! assert!(svg.contains("chosen plan"));
//! ```

pub mod forecast;
pub mod hover;
pub mod pareto;
pub mod profile;
#[cfg(test)]
mod tests;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// Where a chart's plot area is and what it shows: pixels and data ranges.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChartFrame {
    /// Left and right edge of the plot area, px.
    pub px_x: (f64, f64),
    /// Top and bottom edge of the plot area, px.
    pub px_y: (f64, f64),
    /// Data range along x (left to right).
    pub x: (f64, f64),
    /// Data range along y (bottom to top).
    pub y: (f64, f64),
}

impl ChartFrame {
    /// Pixel position of a data point.
    pub fn to_px(&self, x: f64, y: f64) -> (f64, f64) {
        let fx = (x - self.x.0) / (self.x.1 - self.x.0);
        let fy = (y - self.y.0) / (self.y.1 - self.y.0);
        (
            self.px_x.0 + fx * (self.px_x.1 - self.px_x.0),
            self.px_y.1 - fy * (self.px_y.1 - self.px_y.0),
        )
    }

    fn of<X, Y>(chart: &ChartContext<'_, impl DrawingBackend, Cartesian2d<X, Y>>) -> ChartFrame
    where
        X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
        Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    {
        let (px_x, px_y) = chart.plotting_area().get_pixel_range();
        let (x, y) = (chart.x_range(), chart.y_range());
        ChartFrame {
            px_x: (f64::from(px_x.start), f64::from(px_x.end)),
            px_y: (f64::from(px_y.start), f64::from(px_y.end)),
            x: (x.start, x.end),
            y: (y.start, y.end),
        }
    }
}

/// The grid, axes and labels every chart draws, in one house style.
struct Mesh<'a> {
    /// Labels along x and along y.
    ticks: (usize, usize),
    /// Label and axis-title size, px.
    font_px: u32,
    /// Axis titles.
    x_desc: &'a str,
    y_desc: &'a str,
    /// Label formats.
    x_format: &'a dyn Fn(&f64) -> String,
    y_format: &'a dyn Fn(&f64) -> String,
}

impl Mesh<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        use palette::{GRID, INK};
        let text = ("sans-serif", self.font_px).into_font().color(&INK);
        chart
            .configure_mesh()
            .x_labels(self.ticks.0)
            .y_labels(self.ticks.1)
            .light_line_style(GRID.mix(0.5))
            .bold_line_style(GRID)
            .axis_style(INK.mix(0.6))
            .label_style(text.clone())
            .axis_desc_style(text)
            .x_desc(self.x_desc)
            .y_desc(self.y_desc)
            .x_label_formatter(self.x_format)
            .y_label_formatter(self.y_format)
            .draw()
    }
}

/// The legend every chart draws: its series' labels, top right.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    use palette::{GRID, INK};
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(GRID)
        .label_font(("sans-serif", 12).into_font().color(&INK))
        .draw()
}

/// `(lo, hi)` of the values, widened by `pad` of the span on each side
/// (and to a unit span around a single value); `None` for no finite value.
pub fn padded_range(values: impl IntoIterator<Item = f64>, pad: f64) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc: Option<(f64, f64)>, v| {
            Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
        })?;
    let span = if hi > lo { hi - lo } else { lo.abs().max(1e-9) };
    Some((lo - pad * span, hi + pad * span))
}

/// `v` with `digits` significant digits, without exponent for everyday magnitudes.
pub fn fmt_sig(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).clamp(0, 12) as usize;
    format!("{v:.decimals$}")
}

/// `v` with at most `digits` significant digits and no trailing zeros ("40", "41.23").
pub fn fmt_short(v: f64, digits: i32) -> String {
    let s = fmt_sig(v, digits);
    if s.contains('.') && v.is_finite() {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The chart palette (colour-blind safe, Okabe–Ito).
pub mod palette {
    use plotters::style::RGBColor;

    /// Frontier line and points.
    pub const BLUE: RGBColor = RGBColor(0, 114, 178);
    /// The chosen plan.
    pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
    /// The bound.
    pub const VERMILION: RGBColor = RGBColor(213, 94, 0);
    /// The user's current configuration (near black, apart from every series colour).
    pub const CURRENT: RGBColor = RGBColor(17, 24, 39);
    /// Series colours, in order.
    pub const SERIES: [RGBColor; 7] = [
        RGBColor(0, 114, 178),
        RGBColor(230, 159, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(86, 180, 233),
        RGBColor(213, 94, 0),
        RGBColor(120, 120, 120),
    ];
    /// Axis and label text.
    pub const INK: RGBColor = RGBColor(51, 65, 85);
    /// Grid lines.
    pub const GRID: RGBColor = RGBColor(226, 232, 240);
}
