//! The measured-profile chart of one stage: wall time (s) against memory (MB),
//! one colour per instance count d. Every run is a point (cold runs hollow,
//! warm runs filled); a line joins the mean warm wall time at each memory size.
//! Fitted curves, when the worker has sent them ([`ProfilesView::fitted`]),
//! are drawn dashed in the same colours.

use std::collections::BTreeMap;
use std::rc::Rc;

use faasplan_core::profile::ProfileRun;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{GRID, INK, SERIES};
use super::{ChartFrame, fmt_sig, padded_range};

/// A fitted wall-time curve for one instance count.
#[derive(Clone, Debug, PartialEq)]
pub struct FittedCurve {
    /// Instance count.
    pub d: u32,
    /// `(memory_mb, predicted wall time s)`, ascending in memory.
    pub points: Vec<(f64, f64)>,
}

/// What the model fit of one stage says (arrives from the worker after planning).
#[derive(Clone, Debug, PartialEq)]
pub struct FittedProfile {
    /// One curve per instance count.
    pub curves: Vec<FittedCurve>,
    /// Relative error of the fit on the measured runs (e.g. 0.08 = 8 %).
    pub fit_error: Option<f64>,
    /// Cross-validated relative error (held-out configurations).
    pub cv_error: Option<f64>,
}

/// What the profile chart shows for one stage.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfilesView {
    /// Stage id.
    pub stage: String,
    /// Its measured runs.
    pub runs: Rc<[ProfileRun]>,
    /// The fitted model, once planning has run; `None` until then.
    pub fitted: Option<FittedProfile>,
}

impl ProfilesView {
    /// Runs grouped by d (ascending), each as `(memory_mb, wall_s, cold)`.
    pub fn series(&self) -> BTreeMap<u32, Vec<(f64, f64, bool)>> {
        let mut out: BTreeMap<u32, Vec<(f64, f64, bool)>> = BTreeMap::new();
        for r in self.runs.iter() {
            out.entry(r.d)
                .or_default()
                .push((f64::from(r.memory_mb), r.wall_s(), r.cold));
        }
        out
    }
}

/// Mean warm wall time per memory size, ascending (cold runs only where no warm run exists).
fn mean_line(points: &[(f64, f64, bool)]) -> Vec<(f64, f64)> {
    let mut by_mem: BTreeMap<u64, (f64, f64, usize, f64, usize)> = BTreeMap::new();
    for &(m, t, cold) in points {
        let e = by_mem.entry(m as u64).or_insert((m, 0.0, 0, 0.0, 0));
        if cold {
            e.3 += t;
            e.4 += 1;
        } else {
            e.1 += t;
            e.2 += 1;
        }
    }
    by_mem
        .values()
        .map(|&(m, warm, nw, cold, nc)| {
            if nw > 0 {
                (m, warm / nw as f64)
            } else {
                (m, cold / nc.max(1) as f64)
            }
        })
        .collect()
}

/// Draws the profile chart into `area` and returns the frame it drew into.
pub fn draw_profile<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    v: &ProfilesView,
) -> Result<ChartFrame, DrawingAreaErrorKind<DB::ErrorType>> {
    area.fill(&WHITE)?;
    let series = v.series();
    let fitted = v.fitted.iter().flat_map(|f| &f.curves);
    let xs = v.runs.iter().map(|r| f64::from(r.memory_mb));
    let ys = v.runs.iter().map(ProfileRun::wall_s);
    let fx = fitted.clone().flat_map(|c| c.points.iter().map(|p| p.0));
    let fy = fitted.clone().flat_map(|c| c.points.iter().map(|p| p.1));
    let (x0, x1) = padded_range(xs.chain(fx), 0.06).unwrap_or((0.0, 10_240.0));
    let (y0, y1) = padded_range(ys.chain(fy).chain([0.0]), 0.06).unwrap_or((0.0, 1.0));
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, y0.max(0.0)..y1)?;
    let text = ("sans-serif", 12).into_font().color(&INK);
    let (w, h) = area.dim_in_pixel();
    // A memory label such as "10,240" needs about 70 px across, a time 30 px up.
    let x_ticks = (w.saturating_sub(10 * 2 + 56) / 70).clamp(2, 10) as usize;
    let y_ticks = (h.saturating_sub(10 * 2 + 40) / 30).clamp(2, 10) as usize;
    chart
        .configure_mesh()
        .x_labels(x_ticks)
        .y_labels(y_ticks)
        .light_line_style(GRID.mix(0.5))
        .bold_line_style(GRID)
        .axis_style(INK.mix(0.6))
        .label_style(text.clone())
        .axis_desc_style(text)
        .x_desc("memory (MB)")
        .y_desc("wall time (s)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| fmt_sig(*y, 3))
        .draw()?;
    let frame = ChartFrame::of(&chart);
    for (i, (d, points)) in series.iter().enumerate() {
        let color = SERIES[i % SERIES.len()];
        chart
            .draw_series(LineSeries::new(mean_line(points), color.stroke_width(2)))?
            .label(format!("d = {d}"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        chart.draw_series(points.iter().map(|&(m, t, cold)| {
            let style = if cold {
                color.stroke_width(1)
            } else {
                color.filled()
            };
            Circle::new((m, t), 3, style)
        }))?;
        if let Some(curve) = fitted.clone().find(|c| c.d == *d) {
            chart.draw_series(DashedLineSeries::new(
                curve.points.iter().copied(),
                5,
                4,
                color.stroke_width(1),
            ))?;
        }
    }
    if !series.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(GRID)
            .label_font(("sans-serif", 12).into_font().color(&INK))
            .draw()?;
    }
    area.present()?;
    Ok(frame)
}
