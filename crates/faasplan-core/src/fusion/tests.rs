use super::*;
use crate::dag::{MemoryGrid, Stage};
use crate::frontier::FrontierPoint;

/// A stepped memory grid, built through the project file's JSON form so that
/// it takes the defaults of any other field.
fn grid(min_mb: u32, max_mb: u32, step_mb: u32) -> MemoryGrid {
    serde_json::from_value(serde_json::json!({
        "min_mb": min_mb,
        "max_mb": max_mb,
        "step_mb": step_mb,
    }))
    .expect("a stepped grid deserialises")
}

fn workflow(n: usize, edges: &[(usize, usize)]) -> Workflow {
    let id = |i: usize| format!("s{i}");
    // Through the JSON form, so that any field a workflow gains takes its default.
    let mut w: Workflow =
        serde_json::from_value(serde_json::json!({"name": "w", "stages": [], "edges": []}))
            .expect("an empty workflow deserialises");
    w.stages = (0..n)
        .map(|i| Stage {
            id: id(i),
            kind: StageKind::Single,
            allowed_d: vec![1],
            memory: grid(1024, 2048, 1024),
            fixed: None,
            position: None,
        })
        .collect();
    w.edges = edges
        .iter()
        .map(|&(a, b)| Edge {
            from: id(a),
            to: id(b),
        })
        .collect();
    w
}

#[test]
fn fused_siblings_form_one_group_whose_parents_come_from_outside() {
    // s0 -> s1, s0 -> s2, s1 -> s3, s2 -> s3: s3 has two parents, so only the
    // two edges out of s0 may be fused.
    let w = workflow(4, &[(0, 1), (0, 2), (1, 3), (2, 3)]);
    let dag = w.validate().unwrap();
    let options = FusionOptions {
        enabled: true,
        forbid: Vec::new(),
    };
    let edges = fusable_edges(&w, &dag, &options).unwrap();
    assert_eq!(edges, vec![(0, 1), (0, 2)]);
    let g = Grouping::new(&dag, &edges);
    assert_eq!(g.groups, vec![vec![0, 1, 2], vec![3]]);
    assert_eq!(g.parents(&dag), vec![vec![], vec![0]]);
    let one = Grouping::new(&dag, &edges[1..]);
    assert_eq!(one.groups, vec![vec![0, 2], vec![1], vec![3]]);
    assert_eq!(one.parents(&dag), vec![vec![], vec![0], vec![0, 1]]);
}

#[test]
fn forbidden_and_unknown_edges() {
    let w = workflow(3, &[(0, 1), (1, 2)]);
    let dag = w.validate().unwrap();
    let forbid = |from: &str, to: &str| FusionOptions {
        enabled: true,
        forbid: vec![Edge {
            from: from.into(),
            to: to.into(),
        }],
    };
    let edges = fusable_edges(&w, &dag, &forbid("s0", "s1")).unwrap();
    assert_eq!(edges, vec![(1, 2)]);
    let err = fusable_edges(&w, &dag, &forbid("s0", "s2")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "fusion.forbid[0]: the workflow has no edge s0 -> s2"
    );
    let off = FusionOptions::default();
    assert!(fusable_edges(&w, &dag, &off).unwrap().is_empty());
}

#[test]
fn pareto_merge_keeps_the_non_dominated_points_cheapest_first_on_ties() {
    let pt = |grouping: usize, l: f64, c: f64| FusedPoint {
        grouping,
        point: FrontierPoint {
            guaranteed_latency_s: l,
            expected_cost_usd: c,
            plan: Plan { choice: vec![] },
        },
    };
    let merged = pareto_merge(vec![
        pt(0, 1.0, 5.0),
        pt(0, 2.0, 3.0),
        pt(1, 1.5, 4.0),
        pt(1, 2.0, 2.0),
        pt(1, 3.0, 2.5),
        pt(0, 1.0, 5.0),
    ]);
    let got: Vec<(usize, f64, f64)> = merged
        .iter()
        .map(|p| {
            (
                p.grouping,
                p.point.guaranteed_latency_s,
                p.point.expected_cost_usd,
            )
        })
        .collect();
    assert_eq!(got, vec![(0, 1.0, 5.0), (1, 1.5, 4.0), (1, 2.0, 2.0)]);
}
