//! The measured-profile chart of one stage: wall time (s) against memory (MB),
//! one colour per instance count d. Every run is a point (cold runs hollow,
//! warm runs filled; runs on the same pixel share one marker); a line joins the mean warm wall time at each memory size.
//! Fitted curves, when the worker has sent them ([`ProfilesView::fitted`]),
//! are drawn dashed in the same colours. Configurations the anomaly detector
//! flagged are ringed ([`ProfilesView::flagged`]); the advisor's proposed
//! configurations are drawn as triangles at their predicted time with their
//! ±1 SD range ([`ProfilesView::proposed`]).

use std::collections::BTreeMap;
use std::rc::Rc;

use faasplan_core::profile::ProfileRun;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{CURRENT, SERIES, VERMILION};
use super::{ChartFrame, Mesh, draw_legend, fmt_sig, padded_range};

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

/// What the profile chart shows for one stage. Views are equal when their
/// parts are; the runs are compared by address first, so a view built from the
/// same shared runs compares in constant time however many there are.
#[derive(Clone, Debug)]
pub struct ProfilesView {
    /// Stage id.
    pub stage: String,
    /// Its measured runs.
    pub runs: Rc<[ProfileRun]>,
    /// The fitted model, once planning has run; `None` until then.
    pub fitted: Option<FittedProfile>,
    /// Configurations `(memory_mb, d)` the anomaly detector flagged.
    pub flagged: Vec<(u32, u32)>,
    /// Configurations the advisor proposes to measure next.
    pub proposed: Vec<ProposedPoint>,
}

impl PartialEq for ProfilesView {
    fn eq(&self, other: &Self) -> bool {
        self.stage == other.stage
            && (Rc::ptr_eq(&self.runs, &other.runs) || self.runs == other.runs)
            && self.fitted == other.fitted
            && self.flagged == other.flagged
            && self.proposed == other.proposed
    }
}

/// A configuration the advisor proposes to measure, at its predicted time.
#[derive(Clone, Debug, PartialEq)]
pub struct ProposedPoint {
    /// Memory, MB.
    pub memory_mb: u32,
    /// Instance count.
    pub d: u32,
    /// Predicted wall time (posterior median), s.
    pub predicted_s: f64,
    /// Posterior standard deviation of ln wall time.
    pub ln_sd: f64,
}

impl ProposedPoint {
    /// The ±1 SD range of the predicted wall time, s.
    pub fn range_s(&self) -> (f64, f64) {
        let f = self.ln_sd.max(0.0).exp();
        (self.predicted_s / f, self.predicted_s * f)
    }
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

    /// Median wall time of each flagged configuration's runs, `(memory_mb, s)`
    /// (a flagged configuration without runs here is skipped).
    pub fn flagged_points(&self) -> Vec<(f64, f64)> {
        self.flagged
            .iter()
            .filter_map(|&(m, d)| {
                let mut t: Vec<f64> = self
                    .runs
                    .iter()
                    .filter(|r| r.memory_mb == m && r.d == d)
                    .map(ProfileRun::wall_s)
                    .collect();
                t.sort_by(f64::total_cmp);
                let median = *t.get(t.len() / 2)?;
                Some((f64::from(m), median))
            })
            .collect()
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

/// The points that land on distinct pixels (`to_px` maps a point to its
/// pixel), per kind (cold or warm), in their first order: the ones a chart
/// draws, since a second marker of the same kind on the same pixel changes
/// nothing on screen.
pub fn on_pixels(
    points: &[(f64, f64, bool)],
    to_px: impl Fn(f64, f64) -> (i32, i32),
) -> Vec<(f64, f64, bool)> {
    let mut seen = std::collections::HashSet::new();
    points
        .iter()
        .copied()
        .filter(|&(m, t, cold)| seen.insert((to_px(m, t), cold)))
        .collect()
}

/// Draws the profile chart into `area` and returns the frame it drew into.
/// Markers are drawn once per pixel ([`on_pixels`]), so a stage of 25,000
/// runs draws about as fast as one of a few hundred.
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
    let px = v.proposed.iter().map(|p| f64::from(p.memory_mb));
    let py = v.proposed.iter().flat_map(|p| {
        let (lo, hi) = p.range_s();
        [lo, hi]
    });
    let (x0, x1) = padded_range(xs.chain(fx).chain(px), 0.06).unwrap_or((0.0, 10_240.0));
    let (y0, y1) = padded_range(ys.chain(fy).chain(py).chain([0.0]), 0.06).unwrap_or((0.0, 1.0));
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, y0.max(0.0)..y1)?;
    let (w, h) = area.dim_in_pixel();
    Mesh {
        // A memory label such as "10,240" needs about 70 px across, a time 30 px up.
        ticks: (
            (w.saturating_sub(10 * 2 + 56) / 70).clamp(2, 10) as usize,
            (h.saturating_sub(10 * 2 + 40) / 30).clamp(2, 10) as usize,
        ),
        font_px: 12,
        x_desc: "memory (MB)",
        y_desc: "wall time (s)",
        x_format: &|x| format!("{x:.0}"),
        y_format: &|y| fmt_sig(*y, 3),
    }
    .draw(&mut chart)?;
    let frame = ChartFrame::of(&chart);
    for (i, (d, points)) in series.iter().enumerate() {
        let color = SERIES[i % SERIES.len()];
        chart
            .draw_series(LineSeries::new(mean_line(points), color.stroke_width(2)))?
            .label(format!("d = {d}"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        // One marker per pixel and kind: more runs on the same pixel would
        // draw the same marker again, so the picture is the same and the time
        // is bounded by the pixels, not the runs.
        let shown = on_pixels(points, |m, t| chart.backend_coord(&(m, t)));
        chart.draw_series(shown.into_iter().map(|(m, t, cold)| {
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
    let flagged = v.flagged_points();
    if !flagged.is_empty() {
        chart
            .draw_series(
                flagged
                    .iter()
                    .map(|&(m, t)| Circle::new((m, t), 8, VERMILION.stroke_width(2))),
            )?
            .label("flagged run")
            .legend(|(x, y)| Circle::new((x + 8, y), 5, VERMILION.stroke_width(2)));
    }
    if !v.proposed.is_empty() {
        for p in &v.proposed {
            let m = f64::from(p.memory_mb);
            let (lo, hi) = p.range_s();
            chart.draw_series(std::iter::once(PathElement::new(
                [(m, lo), (m, hi)],
                CURRENT.stroke_width(1),
            )))?;
        }
        chart
            .draw_series(v.proposed.iter().map(|p| {
                TriangleMarker::new((f64::from(p.memory_mb), p.predicted_s), 6, CURRENT.filled())
            }))?
            .label("proposed (±1 SD)")
            .legend(|(x, y)| TriangleMarker::new((x + 8, y), 5, CURRENT.filled()));
    }
    if !series.is_empty() {
        draw_legend(&mut chart)?;
    }
    area.present()?;
    Ok(frame)
}
