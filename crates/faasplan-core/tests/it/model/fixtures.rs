//! The bundled Jolteon workflows, loaded by a small private reader (the layout is
//! `profile[stage][step][rep][cfg] = [mean_s, p95_s]`, rep 0 cold) and a DAG built by hand.

use faasplan_core::dag::{Dag, Edge, MemoryGrid, Stage, StageKind, Workflow};
use faasplan_core::profile::{ProfileRun, Profiles, StageProfile, StepStat};
use serde_json::Value;

/// A bundled workflow with its DAG and profiles.
#[derive(Clone)]
pub struct Bundled {
    pub workflow: Workflow,
    pub dag: Dag,
    pub profiles: Profiles,
}

const ML_PROFILE: &str = include_str!("../../../../../static/examples/ML-Pipeline_profile.json");
const VIDEO_PROFILE: &str =
    include_str!("../../../../../static/examples/Video-Analytics_profile.json");

const ML_GRID: [(u32, u32); 23] = [
    (1024, 8),
    (1024, 16),
    (1024, 32),
    (1792, 4),
    (1792, 8),
    (1792, 16),
    (1792, 32),
    (3584, 4),
    (3584, 8),
    (3584, 16),
    (3584, 32),
    (5120, 4),
    (5120, 8),
    (5120, 16),
    (5120, 32),
    (6144, 4),
    (6144, 8),
    (6144, 16),
    (6144, 32),
    (7168, 4),
    (7168, 8),
    (7168, 16),
    (7168, 32),
];

fn video_grid() -> Vec<(u32, u32)> {
    let mut g = Vec::new();
    for m in [1792, 3584, 5120, 6144, 7168, 8960] {
        for d in [4, 8, 16, 32] {
            g.push((m, d));
        }
    }
    g
}

fn stat(v: &Value) -> StepStat {
    StepStat {
        mean_s: v[0].as_f64().unwrap(),
        p95_s: v[1].as_f64().unwrap(),
    }
}

fn profiles(json: &str, grid: &[(u32, u32)]) -> Profiles {
    let v: Value = serde_json::from_str(json).unwrap();
    let mut stages = Vec::new();
    for (name, steps) in v.as_object().unwrap() {
        let mut runs = Vec::new();
        for rep in 0..3 {
            for (c, &(memory_mb, d)) in grid.iter().enumerate() {
                let at = |step: &str| steps.get(step).map(|s| stat(&s[rep][c]));
                runs.push(ProfileRun {
                    memory_mb,
                    d,
                    rep: rep as u32,
                    cold: rep == 0,
                    start: at("cold").unwrap(),
                    read: at("read").unwrap(),
                    compute: at("compute").unwrap(),
                    write: at("write"),
                });
            }
        }
        stages.push(StageProfile {
            stage: name.clone(),
            runs,
        });
    }
    Profiles {
        mb_per_vcpu: 1792.0,
        stages,
    }
}

fn stage(i: usize, kind: StageKind, min_mb: u32, max_mb: u32) -> Stage {
    Stage {
        id: format!("stage{i}"),
        kind,
        allowed_d: vec![4, 8, 16, 32],
        memory: MemoryGrid {
            min_mb,
            max_mb,
            step_mb: 128,
        },
        fixed: None,
        position: None,
    }
}

fn build(
    name: &str,
    kinds: [StageKind; 4],
    edges: &[(usize, usize)],
    mem: (u32, u32),
) -> (Workflow, Dag) {
    let stages = (0..4).map(|i| stage(i, kinds[i], mem.0, mem.1)).collect();
    let mut parents = vec![Vec::new(); 4];
    let mut children = vec![Vec::new(); 4];
    for &(a, b) in edges {
        parents[b].push(a);
        children[a].push(b);
    }
    let input_parent = (0..4)
        .map(|i| {
            if kinds[i] == StageKind::Single {
                parents[i]
                    .iter()
                    .copied()
                    .filter(|&p| kinds[p] == StageKind::Parallel)
                    .max()
            } else {
                None
            }
        })
        .collect();
    let workflow = Workflow {
        name: name.to_string(),
        stages,
        edges: edges
            .iter()
            .map(|&(a, b)| Edge {
                from: format!("stage{a}"),
                to: format!("stage{b}"),
            })
            .collect(),
    };
    (
        workflow,
        Dag {
            topo: vec![0, 1, 2, 3],
            parents,
            children,
            input_parent,
        },
    )
}

/// ML-Pipeline: 0 → {1, 2, 3}, 1 → 2, 2 → 3; stages 0 and 3 single-instance.
pub fn ml() -> Bundled {
    use StageKind::{Parallel as P, Single as S};
    let (workflow, dag) = build(
        "ML-Pipeline",
        [S, P, P, S],
        &[(0, 1), (0, 2), (0, 3), (1, 2), (2, 3)],
        (1024, 7168),
    );
    Bundled {
        workflow,
        dag,
        profiles: profiles(ML_PROFILE, &ML_GRID),
    }
}

/// Video-Analytics: 0 → 1 → {2, 3}, 2 → 3; all parallel.
pub fn video() -> Bundled {
    let p = StageKind::Parallel;
    let (workflow, dag) = build(
        "Video-Analytics",
        [p; 4],
        &[(0, 1), (1, 2), (1, 3), (2, 3)],
        (1792, 8960),
    );
    Bundled {
        workflow,
        dag,
        profiles: profiles(VIDEO_PROFILE, &video_grid()),
    }
}
