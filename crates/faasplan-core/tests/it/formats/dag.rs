//! Workflow validation, the DAG index form and graph queries.

use faasplan_core::dag::{Config, Edge, MemoryGrid, Stage, StageKind, Workflow};

use super::{ML_PROFILE, ML_WORKFLOW, VIDEO_PROFILE, VIDEO_WORKFLOW, bundled};

/// A workflow with stages `ids` (those in `singles` single-instance) and edges `a->b`.
fn wf(ids: &[&str], singles: &[&str], edges: &[(&str, &str)]) -> Workflow {
    let stage = |id: &&str| Stage {
        id: id.to_string(),
        kind: if singles.contains(id) {
            StageKind::Single
        } else {
            StageKind::Parallel
        },
        allowed_d: vec![1, 2, 4],
        memory: MemoryGrid::stepped(128, 1024, 128),
        fixed: None,
        position: None,
    };
    let edge = |(from, to): &(&str, &str)| Edge {
        from: from.to_string(),
        to: to.to_string(),
    };
    Workflow {
        name: "t".into(),
        stages: ids.iter().map(stage).collect(),
        edges: edges.iter().map(edge).collect(),
        choices: Vec::new(),
        loops: Vec::new(),
        shared: Vec::new(),
    }
}

fn diamond() -> Workflow {
    wf(
        &["a", "b", "c", "d"],
        &["d"],
        &[("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")],
    )
}

/// Applies `change` to the diamond and checks that validation fails with `expected`.
fn check(change: impl FnOnce(&mut Workflow), expected: &str) {
    let mut w = diamond();
    change(&mut w);
    let msg = w
        .validate()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| "Ok".into());
    assert!(
        msg.contains(expected),
        "{msg:?}\n  does not contain {expected:?}"
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn invalid_workflows_are_refused_with_the_offending_field() {
    check(|w| w.stages[1].id.clear(), "stages[1].id: empty");
    check(
        |w| w.stages[1].id = "x\ny".into(),
        "stage \"x\\ny\": id contains a control character",
    );
    check(|w| w.stages[2].id = "b".into(), "stage \"b\": duplicate id");
    check(
        |w| w.edges[0].to = "z".into(),
        "edge \"a\" -> \"z\": no stage \"z\"",
    );
    check(
        |w| w.edges[0].from = "z".into(),
        "edge \"z\" -> \"b\": no stage \"z\"",
    );
    check(
        |w| w.edges[0].to = "a".into(),
        "edge \"a\" -> \"a\": self-edge",
    );
    check(
        |w| w.edges.push(w.edges[3].clone()),
        "edge \"c\" -> \"d\": duplicate edge",
    );
    check(
        |w| {
            w.edges.push(Edge {
                from: "d".into(),
                to: "a".into(),
            })
        },
        "cycle: \"a\" -> \"b\" -> \"d\" -> \"a\"",
    );
    check(
        |w| w.stages[0].memory.step_mb = 0,
        "stage \"a\".memory.step_mb: must be at least 1",
    );
    check(
        |w| w.stages[0].memory.min_mb = 0,
        "stage \"a\".memory.min_mb: must be at least 1",
    );
    check(
        |w| w.stages[0].memory.min_mb = 2048,
        "stage \"a\".memory: min_mb 2048 exceeds max_mb 1024",
    );
    check(
        |w| w.stages[0].memory.listed_mb = vec![200, 2048],
        "stage \"a\".memory.listed_mb[1]: 2048 MB is outside min_mb..=max_mb (128..=1024)",
    );
    check(
        |w| w.stages[0].memory.listed_mb = vec![300, 200],
        "stage \"a\".memory.listed_mb[1]: 200 MB is not above the size before it",
    );
    check(
        |w| w.stages[1].allowed_d.clear(),
        "stage \"b\".allowed_d: empty for a parallel stage",
    );
    check(
        |w| w.stages[1].allowed_d.push(0),
        "stage \"b\".allowed_d: contains 0",
    );
    check(
        |w| {
            w.stages[1].fixed = Some(Config {
                memory_mb: 200,
                d: 2,
            })
        },
        "stage \"b\".fixed: 200 MB with d = 2 lies outside",
    );
    check(
        |w| {
            w.stages[1].fixed = Some(Config {
                memory_mb: 256,
                d: 3,
            })
        },
        "stage \"b\".fixed: 256 MB with d = 3",
    );
    check(
        |w| {
            w.stages[3].fixed = Some(Config {
                memory_mb: 256,
                d: 2,
            })
        },
        "stage \"d\".fixed: 256 MB with d = 2",
    );
    check(
        |w| {
            w.stages[1].fixed = Some(Config {
                memory_mb: 256,
                d: 4,
            })
        },
        "Ok",
    );
    check(|w| w.stages[3].allowed_d.clear(), "Ok");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn topo_order_is_stable_and_input_parent_is_the_latest_parallel_parent() {
    let dag = diamond().validate().unwrap();
    assert_eq!(dag.topo, [0, 1, 2, 3]);
    assert_eq!(dag.parents, [vec![], vec![0], vec![0], vec![1, 2]]);
    assert_eq!(dag.children, [vec![1, 2], vec![3], vec![3], vec![]]);
    assert_eq!(dag.input_parent, [None, None, None, Some(2)]);
    // User order is kept among ready stages, whatever the edge order.
    let w = wf(&["z", "y", "x"], &[], &[("x", "y")]);
    assert_eq!(w.validate().unwrap().topo, [0, 2, 1]);
    let (ml, _) = bundled(ML_WORKFLOW, ML_PROFILE);
    let dag = ml.validate().unwrap();
    assert_eq!(dag.input_parent, [None, None, None, Some(2)]);
    assert_eq!(dag.topo, [0, 1, 2, 3]);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn paths_lists_every_source_to_sink_path_up_to_the_limit() {
    let dag = diamond().validate().unwrap();
    assert_eq!(dag.paths(10), [vec![0, 1, 3], vec![0, 2, 3]]);
    assert_eq!(dag.paths(1), [vec![0, 1, 3]]);
    let (ml, _) = bundled(ML_WORKFLOW, ML_PROFILE);
    let paths = ml.validate().unwrap().paths(100);
    assert_eq!(paths, [vec![0, 1, 2, 3], vec![0, 2, 3], vec![0, 3]]);
    let (video, _) = bundled(VIDEO_WORKFLOW, VIDEO_PROFILE);
    assert_eq!(
        video.validate().unwrap().paths(100),
        [vec![0, 1, 2, 3], vec![0, 1, 3]]
    );
    let lone = wf(&["a", "b"], &[], &[]);
    assert_eq!(lone.validate().unwrap().paths(10), [vec![0], vec![1]]);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn would_create_cycle_refuses_back_edges_and_self_edges_only() {
    let w = diamond();
    assert!(w.would_create_cycle("d", "a"));
    assert!(w.would_create_cycle("b", "a"));
    assert!(w.would_create_cycle("c", "c"));
    assert!(!w.would_create_cycle("a", "d"));
    assert!(!w.would_create_cycle("b", "c"));
    assert!(!w.would_create_cycle("a", "nope"));
    assert_eq!(w.stage_index("c"), Some(2));
    assert_eq!(w.stage_index("q"), None);
}
