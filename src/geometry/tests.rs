use faasplan_core::dag::{Edge, Position, Workflow};

use super::hit::{Hit, hit_test};
use super::layout::{layered_layout, layers};
use super::route::{bezier_point, curve_distance, edge_curve};
use super::transform::ViewTransform;
use super::*;
use crate::state::project::new_stage;

fn workflow(n: usize, edges: &[(usize, usize)]) -> Workflow {
    Workflow {
        name: "t".into(),
        stages: (0..n)
            .map(|i| {
                new_stage(
                    format!("s{i}"),
                    Position {
                        x: i as f64 * 300.0,
                        y: 0.0,
                    },
                )
            })
            .collect(),
        edges: edges
            .iter()
            .map(|&(a, b)| Edge {
                from: format!("s{a}"),
                to: format!("s{b}"),
            })
            .collect(),
        choices: Vec::new(),
        loops: Vec::new(),
        shared: Vec::new(),
    }
}

fn close(a: Point, b: Point) -> bool {
    a.distance(b) < 1e-9
}

#[test]
fn screen_and_model_transforms_are_inverse() {
    let v = ViewTransform {
        scale: 1.7,
        offset: Point::new(-30.0, 12.5),
    };
    let p = Point::new(123.0, -45.0);
    assert!(close(v.to_model(v.to_screen(p)), p));
}

#[test]
fn zoom_keeps_the_point_under_the_cursor_fixed() {
    let v = ViewTransform::default().panned(40.0, 10.0);
    let at = Point::new(300.0, 200.0);
    let before = v.to_model(at);
    let z = v.zoomed(1.8, at);
    assert!(close(z.to_model(at), before));
    assert!((z.scale - 1.8).abs() < 1e-12);
}

#[test]
fn zoom_is_clamped() {
    let v = ViewTransform::default().zoomed(1e6, Point::new(0.0, 0.0));
    assert_eq!(v.scale, ViewTransform::MAX_SCALE);
    let v = v.zoomed(1e-9, Point::new(0.0, 0.0));
    assert_eq!(v.scale, ViewTransform::MIN_SCALE);
}

#[test]
fn fit_puts_every_stage_inside_the_viewport() {
    let wf = workflow(50, &[]);
    let v = ViewTransform::fit(&wf.stages, 800.0, 400.0);
    for s in &wf.stages {
        let a = v.to_screen(stage_origin(s));
        let b = v.to_screen(Point::new(a.x, a.y));
        assert!(a.x >= 0.0 && a.y >= 0.0 && b.x <= 800.0, "{a:?}");
        let far = v.to_screen(Point::new(
            stage_origin(s).x + NODE_W,
            stage_origin(s).y + NODE_H,
        ));
        assert!(far.x <= 800.0 && far.y <= 400.0, "{far:?}");
    }
}

#[test]
fn hit_test_prefers_ports_then_stages_then_edges() {
    let wf = workflow(2, &[(0, 1)]);
    let s0 = &wf.stages[0];
    assert_eq!(hit_test(&wf, output_port(s0)), Hit::OutputPort("s0".into()));
    assert_eq!(
        hit_test(&wf, input_port(&wf.stages[1])),
        Hit::InputPort("s1".into())
    );
    assert_eq!(
        hit_test(&wf, Point::new(NODE_W / 2.0, NODE_H / 2.0)),
        Hit::Stage("s0".into())
    );
    let mid = route::midpoint(output_port(s0), input_port(&wf.stages[1]));
    assert_eq!(
        hit_test(&wf, mid),
        Hit::Edge {
            from: "s0".into(),
            to: "s1".into()
        }
    );
    assert_eq!(hit_test(&wf, Point::new(-500.0, -500.0)), Hit::Background);
}

#[test]
fn edge_curve_starts_and_ends_at_the_ports() {
    let (a, b) = (Point::new(10.0, 20.0), Point::new(300.0, 90.0));
    let c = edge_curve(a, b);
    assert!(close(bezier_point(&c, 0.0), a));
    assert!(close(bezier_point(&c, 1.0), b));
    assert!(curve_distance(a, a, b) < 1e-9);
    assert!(curve_distance(Point::new(10.0, 500.0), a, b) > 100.0);
}

#[test]
fn layers_follow_longest_paths() {
    // ML pipeline shape: 0 → {1, 2, 3}, 1 → 2, 2 → 3.
    let wf = workflow(4, &[(0, 1), (0, 2), (0, 3), (1, 2), (2, 3)]);
    assert_eq!(layers(&wf), [0, 1, 2, 3]);
}

#[test]
fn layout_sends_every_edge_rightwards_without_overlaps() {
    let edges: Vec<(usize, usize)> = (1..50).map(|i| ((i - 1) / 3, i)).collect();
    let mut wf = workflow(50, &edges);
    let pos = layered_layout(&wf);
    for (s, p) in wf.stages.iter_mut().zip(&pos) {
        s.position = Some(*p);
    }
    for &(a, b) in &edges {
        assert!(pos[a].x + NODE_W < pos[b].x);
    }
    for i in 0..pos.len() {
        for j in i + 1..pos.len() {
            let overlap =
                (pos[i].x - pos[j].x).abs() < NODE_W && (pos[i].y - pos[j].y).abs() < NODE_H;
            assert!(!overlap, "stages {i} and {j} overlap");
        }
    }
}

#[test]
fn layout_of_a_cycle_still_places_every_stage() {
    let wf = workflow(3, &[(0, 1), (1, 2), (2, 1)]);
    assert_eq!(layered_layout(&wf).len(), 3);
}

#[test]
fn an_edge_skipping_a_layer_bows_above_the_stages_between() {
    // stage0 → stage2 over stage1, all on one row.
    let wf = workflow(3, &[(0, 2)]);
    let (a, b) = (output_port(&wf.stages[0]), input_port(&wf.stages[2]));
    let mid = route::midpoint(a, b);
    assert!(mid.y < stage_origin(&wf.stages[1]).y, "{mid:?}");
    assert_eq!(
        hit_test(&wf, mid),
        Hit::Edge {
            from: "s0".into(),
            to: "s2".into()
        }
    );
}
