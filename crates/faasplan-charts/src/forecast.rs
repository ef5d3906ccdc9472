//! The pre-warm forecast chart of one stage: instances needed, the forecast
//! with the band the planner provisions against, and the provisioned
//! concurrency it chose, against hours since the start of the planned window.
//! One value per planning interval (the page receives per-interval figures).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{BLUE, ORANGE, SERIES};
use super::{ChartFrame, Mesh, draw_legend, fmt_sig, padded_range};

/// What the forecast chart shows for one stage, one entry per interval.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ForecastView {
    /// Stage id (the chart's title).
    pub stage: String,
    /// Minutes per interval.
    pub interval_minutes: usize,
    /// The most instances needed in each interval.
    pub needed: Vec<f64>,
    /// The most forecast in each interval.
    pub forecast: Vec<f64>,
    /// The band of each interval: `(lowest, highest)` of the per-minute bands.
    pub band: Vec<(f64, f64)>,
    /// Provisioned concurrency of each interval.
    pub provisioned: Vec<u32>,
}

impl ForecastView {
    /// Hours since the start of the window at the start of interval `i`.
    pub fn hour(&self, i: usize) -> f64 {
        (i * self.interval_minutes) as f64 / 60.0
    }

    fn intervals(&self) -> usize {
        self.needed
            .len()
            .max(self.forecast.len())
            .max(self.band.len())
            .max(self.provisioned.len())
    }
}

/// Draws the forecast chart into `area` and returns the frame it drew into.
pub fn draw_forecast<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    v: &ForecastView,
) -> Result<ChartFrame, DrawingAreaErrorKind<DB::ErrorType>> {
    area.fill(&WHITE)?;
    let n = v.intervals();
    let x1 = v.hour(n.max(1));
    let ys = v
        .needed
        .iter()
        .chain(&v.forecast)
        .copied()
        .chain(v.band.iter().flat_map(|&(lo, hi)| [lo, hi]))
        .chain(v.provisioned.iter().map(|&p| f64::from(p)))
        .chain([0.0]);
    let (_, y1) = padded_range(ys, 0.06).unwrap_or((0.0, 1.0));
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..x1, 0.0..y1.max(1.0))?;
    let (w, h) = area.dim_in_pixel();
    Mesh {
        ticks: (
            (w.saturating_sub(10 * 2 + 56) / 60).clamp(2, 12) as usize,
            (h.saturating_sub(10 * 2 + 40) / 30).clamp(2, 10) as usize,
        ),
        font_px: 12,
        x_desc: "hours into the planned window",
        y_desc: "instances",
        x_format: &|x| format!("{x:.0}"),
        y_format: &|y| fmt_sig(*y, 3),
    }
    .draw(&mut chart)?;
    let frame = ChartFrame::of(&chart);
    let x = |i: usize| v.hour(i);
    if !v.band.is_empty() {
        // The band as one polygon: the upper edge left to right, the lower back.
        let mut outline: Vec<(f64, f64)> = Vec::with_capacity(4 * v.band.len());
        for (i, &(_, hi)) in v.band.iter().enumerate() {
            outline.push((x(i), hi));
            outline.push((x(i + 1), hi));
        }
        for (i, &(lo, _)) in v.band.iter().enumerate().rev() {
            outline.push((x(i + 1), lo));
            outline.push((x(i), lo));
        }
        chart
            .draw_series(std::iter::once(Polygon::new(
                outline,
                BLUE.mix(0.18).filled(),
            )))?
            .label("forecast band (5–95% of recent errors)")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 16, y + 5)], BLUE.mix(0.18).filled())
            });
    }
    let steps = |values: &mut dyn Iterator<Item = f64>| -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        for (i, y) in values.enumerate() {
            out.push((x(i), y));
            out.push((x(i + 1), y));
        }
        out
    };
    let needed_color = SERIES[6];
    chart
        .draw_series(LineSeries::new(
            steps(&mut v.needed.iter().copied()),
            needed_color.stroke_width(1),
        ))?
        .label("needed (most per interval)")
        .legend(move |(x, y)| {
            PathElement::new([(x, y), (x + 16, y)], needed_color.stroke_width(1))
        });
    chart
        .draw_series(LineSeries::new(
            steps(&mut v.forecast.iter().copied()),
            BLUE.stroke_width(1),
        ))?
        .label("forecast")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLUE.stroke_width(1)));
    chart
        .draw_series(LineSeries::new(
            steps(&mut v.provisioned.iter().map(|&p| f64::from(p))),
            ORANGE.stroke_width(2),
        ))?
        .label("provisioned")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], ORANGE.stroke_width(2)));
    draw_legend(&mut chart)?;
    area.present()?;
    Ok(frame)
}
