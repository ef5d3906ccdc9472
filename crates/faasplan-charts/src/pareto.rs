//! The latency–cost frontier chart.
//!
//! x: latency at the settings' percentile q, s ("P95 latency (s)" for q = 0.95);
//! y (left): expected cost per run, USD; y (right): the same per million runs.
//! The frontier is drawn as a line through its points (ascending latency), the
//! chosen plan as a larger point, the bound as a dashed line (vertical at a
//! latency bound, horizontal at a cost bound; its value in the legend), the
//! user's current configuration ([`ParetoView::current`]) as a dark ring with
//! a cross, and baseline plans as markers of distinct shape and colour
//! ([`marker_style`]). The drawn legend names the frontier, the bound, the
//! chosen plan and the current configuration only: with eight baselines it
//! would cover the chart, so the markers' legend is the page's (with their
//! toggles). An optional title goes above the plot (a standalone SVG file has
//! one; the app's panel has its own heading).

use std::rc::Rc;

use faasplan_core::settings::Bound;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{BLUE, CURRENT, INK, ORANGE, VERMILION};
use super::{ChartFrame, Mesh, draw_legend, fmt_short, fmt_sig, padded_range};

/// Runs per "million runs" on the right axis.
pub const RUNS_PER_MILLION: f64 = 1e6;

/// Legend text of the user's current configuration.
pub const CURRENT_LABEL: &str = "your configuration";

/// The bound as the chart draws it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BoundLine {
    /// Vertical line at a latency bound, s.
    Latency(f64),
    /// Horizontal line at a cost bound, USD per run.
    Cost(f64),
}

impl From<Bound> for BoundLine {
    fn from(bound: Bound) -> Self {
        match bound {
            Bound::Latency { max_s } => BoundLine::Latency(max_s),
            Bound::Cost { max_usd, .. } => BoundLine::Cost(max_usd),
        }
    }
}

/// A plan drawn for comparison (e.g. a baseline), toggled from the legend.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// Legend text.
    pub label: String,
    /// Its latency at the percentile, s.
    pub latency_s: f64,
    /// Its expected cost per run, USD.
    pub cost_usd: f64,
    /// Whether it is drawn.
    pub visible: bool,
    /// One line describing its plan (tooltip); may be empty.
    pub note: String,
}

/// Shapes of the markers, taken in turn (with [`MARKER_COLORS`]).
pub const MARKER_SHAPES: [MarkerShape; 4] = [
    MarkerShape::TriangleUp,
    MarkerShape::Square,
    MarkerShape::Diamond,
    MarkerShape::TriangleDown,
];

/// Colours of the markers, taken in turn: none is the frontier's blue, the
/// chosen plan's orange or the bound's vermilion.
pub const MARKER_COLORS: [RGBColor; 8] = [
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(110, 110, 110),
    RGBColor(117, 112, 179),
    RGBColor(140, 86, 75),
    RGBColor(150, 150, 0),
    RGBColor(0, 90, 110),
];

/// A marker's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerShape {
    /// ▲
    TriangleUp,
    /// ■
    Square,
    /// ◆
    Diamond,
    /// ▼
    TriangleDown,
}

impl MarkerShape {
    /// The same shape as a text glyph, for the HTML legend.
    pub fn glyph(self) -> &'static str {
        match self {
            MarkerShape::TriangleUp => "▲",
            MarkerShape::Square => "■",
            MarkerShape::Diamond => "◆",
            MarkerShape::TriangleDown => "▼",
        }
    }

    /// Polygon corners around the centre, px, for half-size `r`.
    fn corners(self, r: i32) -> Vec<(i32, i32)> {
        match self {
            MarkerShape::TriangleUp => vec![(0, -r), (r, r * 3 / 4), (-r, r * 3 / 4)],
            MarkerShape::Square => {
                let h = r * 3 / 4;
                vec![(-h, -h), (h, -h), (h, h), (-h, h)]
            }
            MarkerShape::Diamond => vec![(0, -r), (r, 0), (0, r), (-r, 0)],
            MarkerShape::TriangleDown => vec![(0, r), (r, -r * 3 / 4), (-r, -r * 3 / 4)],
        }
    }
}

/// Shape and colour of marker `i`: every pair differs for the first 8.
pub fn marker_style(i: usize) -> (MarkerShape, RGBColor) {
    (
        MARKER_SHAPES[i % MARKER_SHAPES.len()],
        MARKER_COLORS[i % MARKER_COLORS.len()],
    )
}

/// Everything the frontier chart shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ParetoView {
    /// Frontier points `(latency_s, cost_usd)`, ascending in latency.
    pub points: Rc<[(f64, f64)]>,
    /// One line per point describing its plan (tooltip); empty when unknown.
    pub notes: Rc<[String]>,
    /// The bound, if drawn.
    pub bound: Option<BoundLine>,
    /// Index into `points` of the chosen plan.
    pub chosen: Option<usize>,
    /// The chosen plan `(latency_s, cost_usd)` when it is not a frontier point
    /// (the exact solve of a quantile cost bound).
    pub chosen_off_frontier: Option<(f64, f64)>,
    /// The user's current configuration `(latency_s, cost_usd)`, if evaluated.
    pub current: Option<(f64, f64)>,
    /// Baseline plans.
    pub markers: Vec<Marker>,
    /// The percentile q in (0, 1) the latencies are taken at.
    pub percentile: f64,
    /// Title above the plot; empty for none.
    pub title: String,
}

impl Default for ParetoView {
    fn default() -> Self {
        ParetoView {
            points: Rc::from(Vec::new()),
            notes: Rc::from(Vec::new()),
            bound: None,
            chosen: None,
            chosen_off_frontier: None,
            current: None,
            markers: Vec::new(),
            percentile: 0.95,
            title: String::new(),
        }
    }
}

impl ParetoView {
    /// The x-axis title, e.g. "P95 latency (s)".
    pub fn x_title(&self) -> String {
        format!("P{} latency (s)", (self.percentile * 1e4).round() / 100.0)
    }

    /// Where the chosen plan is drawn, if there is one.
    pub fn chosen_xy(&self) -> Option<(f64, f64)> {
        self.chosen
            .and_then(|i| self.points.get(i).copied())
            .or(self.chosen_off_frontier)
    }

    /// Data ranges of the chart: every point, visible marker, the current
    /// configuration and the bound, padded.
    pub fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let visible = || self.markers.iter().filter(|m| m.visible);
        let (bx, by) = match self.bound {
            Some(BoundLine::Latency(s)) => (Some(s), None),
            Some(BoundLine::Cost(c)) => (None, Some(c)),
            None => (None, None),
        };
        let extra = || self.chosen_off_frontier.into_iter().chain(self.current);
        let xs = self
            .points
            .iter()
            .map(|p| p.0)
            .chain(visible().map(|m| m.latency_s))
            .chain(extra().map(|p| p.0));
        let ys = self
            .points
            .iter()
            .map(|p| p.1)
            .chain(visible().map(|m| m.cost_usd))
            .chain(extra().map(|p| p.1));
        let x = padded_range(xs.chain(bx), 0.06).unwrap_or((0.0, 1.0));
        let y = padded_range(ys.chain(by), 0.08).unwrap_or((0.0, 1e-3));
        (x, y)
    }

    /// The frontier as CSV: `latency_s,cost_usd,cost_usd_per_million,chosen`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("latency_s,cost_usd,cost_usd_per_million,chosen\n");
        for (i, &(l, c)) in self.points.iter().enumerate() {
            let chosen = self.chosen == Some(i);
            out.push_str(&format!("{l},{c},{},{chosen}\n", c * RUNS_PER_MILLION));
        }
        out
    }
}

/// How many tick labels fit along the axes of a chart `(width, height)` px
/// wide: a label such as "0.000123" needs about 90 px across, 36 px up.
pub fn tick_counts((width, height): (u32, u32)) -> (usize, usize) {
    let plot_w = width.saturating_sub(12 * 2 + 72 * 2);
    let plot_h = height.saturating_sub(12 * 2 + 42);
    (
        (plot_w / 90).clamp(2, 10) as usize,
        (plot_h / 36).clamp(2, 10) as usize,
    )
}

/// Draws the frontier chart into `area` and returns the frame it drew into.
pub fn draw_pareto<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    v: &ParetoView,
) -> Result<ChartFrame, DrawingAreaErrorKind<DB::ErrorType>> {
    area.fill(&WHITE)?;
    let ((x0, x1), (y0, y1)) = v.ranges();
    let mut builder = ChartBuilder::on(area);
    if !v.title.is_empty() {
        builder.caption(&v.title, ("sans-serif", 18).into_font().color(&INK));
    }
    let mut chart = builder
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(72)
        .right_y_label_area_size(72)
        .build_cartesian_2d(x0..x1, y0..y1)?
        .set_secondary_coord(x0..x1, y0 * RUNS_PER_MILLION..y1 * RUNS_PER_MILLION);
    let text = ("sans-serif", 13).into_font().color(&INK);
    let (x_ticks, y_ticks) = tick_counts(area.dim_in_pixel());
    Mesh {
        ticks: (x_ticks, y_ticks),
        font_px: 13,
        x_desc: &v.x_title(),
        y_desc: "$ per run",
        x_format: &|x| fmt_sig(*x, 3),
        y_format: &|y| fmt_sig(*y, 3),
    }
    .draw(&mut chart)?;
    chart
        .configure_secondary_axes()
        .axis_style(INK.mix(0.6))
        .label_style(text.clone())
        .axis_desc_style(text)
        .y_desc("$ per million runs")
        .y_labels(y_ticks)
        .y_label_formatter(&|y| fmt_sig(*y, 3))
        .draw()?;
    let frame = ChartFrame::of(&chart);

    if let Some(bound) = v.bound {
        let (line, text) = match bound {
            BoundLine::Latency(s) => (
                [(s, y0), (s, y1)],
                format!("latency bound {} s", fmt_short(s, 4)),
            ),
            BoundLine::Cost(c) => (
                [(x0, c), (x1, c)],
                format!("cost bound ${} per run", fmt_short(c, 3)),
            ),
        };
        let style = VERMILION.stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new(line, 6, 4, style))?
            .label(text)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], style));
    }
    let pts = v.points.iter().copied();
    chart
        .draw_series(LineSeries::new(pts.clone(), BLUE.stroke_width(2)))?
        .label("frontier")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLUE.stroke_width(2)));
    chart.draw_series(pts.map(|p| Circle::new(p, 3, BLUE.filled())))?;
    if let Some(p) = v.chosen_xy() {
        chart
            .draw_series([Circle::new(p, 7, ORANGE.filled())])?
            .label("chosen plan")
            .legend(|(x, y)| Circle::new((x + 8, y), 5, ORANGE.filled()));
    }
    if let Some(p) = v.current.filter(|p| p.0.is_finite() && p.1.is_finite()) {
        chart
            .draw_series([EmptyElement::at(p)
                + Circle::new((0, 0), 8, CURRENT.stroke_width(2))
                + Cross::new((0, 0), 4, CURRENT.stroke_width(2))])?
            .label(CURRENT_LABEL)
            .legend(|(x, y)| {
                EmptyElement::at((x + 8, y))
                    + Circle::new((0, 0), 6, CURRENT.stroke_width(2))
                    + Cross::new((0, 0), 3, CURRENT.stroke_width(2))
            });
    }
    let finite = |m: &&Marker| m.latency_s.is_finite() && m.cost_usd.is_finite();
    for (i, m) in v.markers.iter().enumerate() {
        if !m.visible || !finite(&m) {
            continue;
        }
        let (shape, color) = marker_style(i);
        let closed = move |r: i32| {
            let mut c = shape.corners(r);
            c.push(c[0]);
            c
        };
        chart.draw_series([EmptyElement::at((m.latency_s, m.cost_usd))
            + Polygon::new(shape.corners(7), color.filled())
            + PathElement::new(closed(7), WHITE.stroke_width(1))])?;
    }
    draw_legend(&mut chart)?;
    area.present()?;
    Ok(frame)
}
