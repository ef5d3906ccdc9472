//! The frontier chart: guaranteed latency (s) on x, expected cost ($ per run)
//! on y; the points, the step line a latency-bound slider walks along, the
//! bound as a dashed line and the plan for it highlighted. Generic over the
//! plotters backend (the CLI draws SVG).

use faasplan_core::settings::{Bound, CostKind};
use plotters::coord::Shift;
use plotters::prelude::*;

/// What the chart shows.
pub struct ChartView {
    /// Title above the plot.
    pub title: String,
    /// (guaranteed latency s, expected cost USD) by ascending latency.
    pub points: Vec<(f64, f64)>,
    /// The bound, if any.
    pub bound: Option<Bound>,
    /// The plan for the bound, (latency s, cost USD), if one meets it.
    pub chosen: Option<(f64, f64)>,
    /// Percentile q, for the axis label.
    pub percentile: f64,
}

const BLUE: RGBColor = RGBColor(31, 100, 180);
const ORANGE: RGBColor = RGBColor(220, 110, 20);
const GREY: RGBColor = RGBColor(120, 120, 120);

/// A dollar amount with three significant digits.
fn dollars(v: f64) -> String {
    if v <= 0.0 {
        return "$0".to_string();
    }
    let digits = (2 - v.log10().floor() as i32).max(0) as usize;
    format!("${v:.digits$}")
}

/// Decimals that tell apart ticks about `span / 8` apart.
fn tick_digits(span: f64) -> usize {
    if span <= 0.0 || !span.is_finite() {
        return 2;
    }
    (-(span / 8.0).log10().floor()).clamp(0.0, 12.0) as usize
}

/// The axis range of `values` with a margin, including `extra` values.
fn range(values: impl Iterator<Item = f64>, margin: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * margin).max(hi.abs() * 0.02).max(1e-12);
    ((lo - pad).max(0.0), hi + pad)
}

/// Draws the chart into `area`.
pub fn draw_frontier<DB: DrawingBackend>(
    area: DB,
    v: &ChartView,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let root = area.into_drawing_area();
    root.fill(&WHITE)?;
    draw_into(&root, v)?;
    root.present()
}

fn draw_into<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    v: &ChartView,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let bound_x = match v.bound {
        Some(Bound::Latency { max_s }) => Some(max_s),
        _ => None,
    };
    let bound_y = match v.bound {
        Some(Bound::Cost { max_usd, .. }) => Some(max_usd),
        _ => None,
    };
    let (x0, x1) = range(v.points.iter().map(|p| p.0).chain(bound_x), 0.04);
    let (y0, y1) = range(v.points.iter().map(|p| p.1).chain(bound_y), 0.06);
    let y_digits = tick_digits(y1 - y0);
    let mut chart = ChartBuilder::on(root)
        .caption(&v.title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(86)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(225, 225, 225))
        .x_desc(format!(
            "guaranteed P{} workflow latency (s)",
            crate::summary::percent(v.percentile)
        ))
        .y_desc("expected cost ($ per run)")
        .x_label_formatter(&|x| format!("{x:.0} s"))
        .y_label_formatter(&|y| format!("${y:.y_digits$}"))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 13))
        .draw()?;
    // The cheapest plan meeting a latency bound B is the point with the largest
    // latency ≤ B: a step that holds each point's cost up to the next point.
    let mut steps = Vec::with_capacity(2 * v.points.len() + 1);
    for (k, &(x, y)) in v.points.iter().enumerate() {
        steps.push((x, y));
        let next_x = v.points.get(k + 1).map_or(x1, |p| p.0);
        steps.push((next_x, y));
    }
    chart
        .draw_series(LineSeries::new(steps, BLUE.mix(0.55).stroke_width(2)))?
        .label("cheapest plan for a latency bound")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLUE.stroke_width(2)));
    let radius = if v.points.len() > 300 { 2 } else { 3 };
    chart
        .draw_series(
            v.points
                .iter()
                .map(|&p| Circle::new(p, radius, BLUE.filled())),
        )?
        .label(format!("frontier ({} points)", v.points.len()))
        .legend(|(x, y)| Circle::new((x + 9, y), 3, BLUE.filled()));
    let dashed = GREY.stroke_width(2);
    if let Some(b) = v.bound {
        let (line, text) = match b {
            Bound::Latency { max_s } => (
                vec![(max_s, y0), (max_s, y1)],
                format!("latency bound {max_s} s"),
            ),
            Bound::Cost { max_usd, kind } => (
                vec![(x0, max_usd), (x1, max_usd)],
                match kind {
                    CostKind::Mean => format!("cost bound {}", dollars(max_usd)),
                    CostKind::Quantile => {
                        format!(
                            "P{} cost bound {}",
                            crate::summary::percent(v.percentile),
                            dollars(max_usd)
                        )
                    }
                },
            ),
        };
        chart
            .draw_series(DashedLineSeries::new(line, 8, 5, dashed))?
            .label(text)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], dashed));
    }
    if let Some(p) = v.chosen {
        chart
            .draw_series([
                Circle::new(p, 7, ORANGE.filled()),
                Circle::new(p, 10, ORANGE.stroke_width(2)),
            ])?
            .label(format!("plan: {:.1} s, {}", p.0, dollars(p.1)))
            .legend(|(x, y)| Circle::new((x + 9, y), 5, ORANGE.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(200, 200, 200))
        .label_font(("sans-serif", 14))
        .draw()?;
    Ok(())
}
