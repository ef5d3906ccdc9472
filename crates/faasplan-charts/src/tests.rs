use std::rc::Rc;

use plotters::prelude::*;

use faasplan_core::formats::jolteon::{JolteonProfileOptions, import};

use super::hover::nearest;
use super::pareto::{BoundLine, CURRENT_LABEL, Marker, ParetoView, draw_pareto};
use super::profile::{ProfilesView, draw_profile};
use super::{ChartFrame, fmt_sig};

const ML_WORKFLOW: &str = include_str!("../../../static/examples/ML-pipeline.json");
const ML_PROFILE: &str = include_str!("../../../static/examples/ML-Pipeline_profile.json");

fn synthetic() -> ParetoView {
    ParetoView {
        points: Rc::from(vec![
            (10.0, 0.004),
            (12.0, 0.003),
            (15.0, 0.0025),
            (20.0, 0.0022),
        ]),
        notes: Rc::from(Vec::new()),
        bound: Some(BoundLine::Latency(14.0)),
        chosen: Some(2),
        chosen_off_frontier: None,
        current: None,
        title: String::new(),
        markers: vec![
            Marker {
                label: "max memory".into(),
                latency_s: 9.0,
                cost_usd: 0.006,
                visible: true,
                note: String::new(),
            },
            Marker {
                label: "hidden baseline".into(),
                latency_s: 30.0,
                cost_usd: 0.01,
                visible: false,
                note: String::new(),
            },
        ],
        percentile: 0.95,
    }
}

fn svg_of(v: &ParetoView) -> (String, ChartFrame) {
    let mut svg = String::new();
    let frame = {
        let area = SVGBackend::with_string(&mut svg, (800, 480)).into_drawing_area();
        draw_pareto(&area, v).unwrap()
    };
    (svg, frame)
}

#[test]
fn pareto_svg_has_the_frontier_line_points_and_axis_titles() {
    let (svg, _) = svg_of(&synthetic());
    assert!(svg.contains("<polyline"), "frontier line");
    assert!(
        svg.matches("<circle").count() >= 5,
        "4 points + the chosen one"
    );
    for label in [
        "P95 latency (s)",
        "$ per run",
        "$ per million runs",
        "chosen plan",
    ] {
        assert!(svg.contains(label), "missing {label}");
    }
    assert_eq!(
        svg.matches("<polygon").count(),
        1,
        "the visible marker is drawn, the hidden one is not"
    );
}

#[test]
fn pareto_x_title_follows_the_percentile() {
    let v = ParetoView {
        percentile: 0.99,
        ..synthetic()
    };
    assert!(svg_of(&v).0.contains("P99 latency (s)"));
}

#[test]
fn pareto_draws_an_empty_view_without_failing() {
    let (svg, frame) = svg_of(&ParetoView::default());
    assert!(svg.contains("$ per run"));
    assert!(frame.px_x.1 > frame.px_x.0);
}

#[test]
fn hover_finds_the_nearest_point_in_screen_space_within_the_radius() {
    let v = synthetic();
    let (_, frame) = svg_of(&v);
    let (px, py) = frame.to_px(12.0, 0.003);
    assert_eq!(
        nearest(&frame, &v.points, (px + 3.0, py - 2.0), 12.0),
        Some(1)
    );
    assert_eq!(
        nearest(&frame, &v.points, (px + 40.0, py + 40.0), 12.0),
        None
    );
    assert_eq!(nearest(&frame, &[], (px, py), 12.0), None);
}

#[test]
fn frame_maps_range_corners_to_plot_corners() {
    let f = ChartFrame {
        px_x: (10.0, 110.0),
        px_y: (5.0, 55.0),
        x: (0.0, 1.0),
        y: (0.0, 2.0),
    };
    assert_eq!(f.to_px(0.0, 0.0), (10.0, 55.0));
    assert_eq!(f.to_px(1.0, 2.0), (110.0, 5.0));
}

#[test]
fn frontier_csv_has_a_header_and_one_row_per_point() {
    let csv = synthetic().to_csv();
    let lines: Vec<_> = csv.lines().collect();
    assert_eq!(lines[0], "latency_s,cost_usd,cost_usd_per_million,chosen");
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[3], "15,0.0025,2500,true");
}

#[test]
fn fmt_sig_keeps_significant_digits() {
    assert_eq!(fmt_sig(0.0012345, 3), "0.00123");
    assert_eq!(fmt_sig(1234.5, 3), "1234");
    assert_eq!(fmt_sig(95.0, 3), "95.0");
}

#[test]
fn profile_chart_of_a_bundled_stage_has_one_series_per_d() {
    let options = JolteonProfileOptions::default();
    let (_, profiles) = import(ML_WORKFLOW, ML_PROFILE, None, &options).unwrap();
    let stage = &profiles.stages[1];
    let v = ProfilesView {
        stage: stage.stage.clone(),
        runs: Rc::from(stage.runs.clone()),
        fitted: None,
        flagged: Vec::new(),
        proposed: Vec::new(),
    };
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (640, 360)).into_drawing_area();
        draw_profile(&area, &v).unwrap();
    }
    for d in [4, 8, 16, 32] {
        assert!(svg.contains(&format!("d = {d}")), "missing d = {d}");
    }
    assert!(svg.contains("memory (MB)") && svg.contains("wall time (s)"));
}

#[test]
fn a_chosen_plan_off_the_frontier_is_drawn_as_the_chosen_dot() {
    let on = svg_of(&synthetic()).0;
    let off = svg_of(&ParetoView {
        chosen: None,
        chosen_off_frontier: Some((13.0, 0.0035)),
        ..synthetic()
    })
    .0;
    let none = svg_of(&ParetoView {
        chosen: None,
        ..synthetic()
    })
    .0;
    assert!(on.contains("chosen plan") && off.contains("chosen plan"));
    assert!(!none.contains("chosen plan"));
}

#[test]
fn tick_counts_grow_with_the_chart_and_stay_readable() {
    let (narrow_x, _) = super::pareto::tick_counts((340, 300));
    let (wide_x, tall_y) = super::pareto::tick_counts((1200, 600));
    assert!(narrow_x <= 2, "{narrow_x}");
    assert!(wide_x > narrow_x && wide_x <= 10);
    assert!(tall_y >= 5);
}

#[test]
fn the_current_configuration_is_drawn_as_its_own_marker_within_the_ranges() {
    let without = svg_of(&synthetic()).0;
    assert!(!without.contains(CURRENT_LABEL));
    let far = (40.0, 0.02);
    let v = ParetoView {
        current: Some(far),
        ..synthetic()
    };
    let (svg, frame) = svg_of(&v);
    assert!(svg.contains(CURRENT_LABEL), "legend names it");
    assert!(frame.x.1 > far.0 && frame.y.1 > far.1, "{frame:?}");
    assert_eq!(
        svg.matches("<circle").count(),
        without.matches("<circle").count() + 2,
        "its ring on the chart and in the legend"
    );
    let (px, py) = frame.to_px(far.0, far.1);
    let ring = svg
        .lines()
        .find(|l| l.starts_with("<circle") && l.contains(r#"r="8""#))
        .expect("a ring of radius 8");
    let attr = |name: &str| -> f64 {
        let rest = &ring[ring.find(&format!(" {name}=\"")).unwrap() + name.len() + 3..];
        rest[..rest.find('"').unwrap()].parse().unwrap()
    };
    assert!(
        (attr("cx") - px).abs() <= 2.0 && (attr("cy") - py).abs() <= 2.0,
        "{ring} vs {px},{py}"
    );
}

#[test]
fn a_non_finite_current_configuration_is_not_drawn() {
    let v = ParetoView {
        current: Some((f64::NAN, 0.003)),
        ..synthetic()
    };
    assert!(!svg_of(&v).0.contains(CURRENT_LABEL));
}

#[test]
fn a_title_is_drawn_above_the_plot_only_when_given() {
    let titled = ParetoView {
        title: "ML: P95 latency–cost frontier".into(),
        ..synthetic()
    };
    assert!(svg_of(&titled).0.contains("ML: P95 latency–cost frontier"));
    let (_, untitled_frame) = svg_of(&synthetic());
    let (_, titled_frame) = svg_of(&titled);
    assert!(
        titled_frame.px_y.0 > untitled_frame.px_y.0,
        "the plot moves down"
    );
}

#[test]
fn profile_chart_rings_flagged_configurations_and_draws_proposals() {
    let options = JolteonProfileOptions::default();
    let (_, profiles) = import(ML_WORKFLOW, ML_PROFILE, None, &options).unwrap();
    let stage = &profiles.stages[1];
    let plain = ProfilesView {
        stage: stage.stage.clone(),
        runs: Rc::from(stage.runs.clone()),
        fitted: None,
        flagged: Vec::new(),
        proposed: Vec::new(),
    };
    let marked = ProfilesView {
        flagged: vec![(5120, 4), (5120, 8), (99, 99)],
        proposed: vec![super::profile::ProposedPoint {
            memory_mb: 3000,
            d: 4,
            predicted_s: 400.0,
            ln_sd: 0.5,
        }],
        ..plain.clone()
    };
    // A flagged configuration without runs is skipped; the others sit at their median.
    let points = marked.flagged_points();
    assert_eq!(points.len(), 2);
    assert!(points.iter().all(|&(m, t)| m == 5120.0 && t > 0.0));
    let svg = |v: &ProfilesView| {
        let mut svg = String::new();
        let frame = {
            let area = SVGBackend::with_string(&mut svg, (640, 360)).into_drawing_area();
            draw_profile(&area, v).unwrap()
        };
        (svg, frame)
    };
    let (a, _) = svg(&plain);
    let (b, frame) = svg(&marked);
    assert!(!a.contains("flagged run") && !a.contains("proposed"));
    assert!(b.contains("flagged run") && b.contains("proposed (±1 SD)"));
    // The y range grows to hold the proposal's range (400 s × e^0.5).
    assert!(frame.y.1 >= 400.0 * 0.5f64.exp(), "{:?}", frame.y);
}

#[test]
fn forecast_chart_draws_band_lines_and_legend_within_its_ranges() {
    use super::forecast::{ForecastView, draw_forecast};
    let v = ForecastView {
        stage: "stage0".into(),
        interval_minutes: 5,
        needed: vec![4.0, 8.0, 12.0, 8.0],
        forecast: vec![5.0, 7.0, 11.0, 9.0],
        band: vec![(3.0, 7.0), (5.0, 10.0), (9.0, 14.0), (7.0, 11.0)],
        provisioned: vec![4, 8, 12, 8],
    };
    let mut svg = String::new();
    let frame = {
        let area = SVGBackend::with_string(&mut svg, (640, 360)).into_drawing_area();
        draw_forecast(&area, &v).unwrap()
    };
    for label in [
        "forecast band",
        "needed",
        "forecast",
        "provisioned",
        "instances",
    ] {
        assert!(svg.contains(label), "missing {label}");
    }
    assert!(svg.contains("<polygon"));
    assert_eq!(frame.x, (0.0, 20.0 / 60.0));
    assert!(frame.y.1 >= 14.0);
    // An empty view draws axes without failing.
    let mut svg = String::new();
    let area = SVGBackend::with_string(&mut svg, (320, 200)).into_drawing_area();
    draw_forecast(&area, &ForecastView::default()).unwrap();
}

#[test]
fn a_large_profile_draws_one_marker_per_pixel_and_the_same_series() {
    let options = JolteonProfileOptions::default();
    let (_, profiles) = import(ML_WORKFLOW, ML_PROFILE, None, &options).unwrap();
    let stage = &profiles.stages[1];
    let draw = |runs: Vec<faasplan_core::profile::ProfileRun>| {
        let v = ProfilesView {
            stage: stage.stage.clone(),
            runs: Rc::from(runs),
            fitted: None,
            flagged: Vec::new(),
            proposed: Vec::new(),
        };
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (640, 360)).into_drawing_area();
            draw_profile(&area, &v).unwrap();
        }
        svg
    };
    let once = draw(stage.runs.clone());
    // The same runs 100 times over: the same picture, not 100 times the markers.
    let many: Vec<_> = (0..100).flat_map(|_| stage.runs.clone()).collect();
    let repeated = draw(many);
    assert_eq!(
        repeated.matches("<circle").count(),
        once.matches("<circle").count()
    );
    assert_eq!(repeated, once);
}

#[test]
fn on_pixels_keeps_the_first_point_per_pixel_and_kind() {
    use super::profile::on_pixels;
    let pts = [
        (1.0, 1.0, false),
        (1.2, 1.1, false),
        (1.2, 1.1, true),
        (3.0, 1.0, false),
    ];
    let px = |x: f64, y: f64| (x.round() as i32, y.round() as i32);
    assert_eq!(
        on_pixels(&pts, px),
        vec![(1.0, 1.0, false), (1.2, 1.1, true), (3.0, 1.0, false)]
    );
}
