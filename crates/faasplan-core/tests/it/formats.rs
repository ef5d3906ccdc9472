//! File formats and domain validation: bundled imports, data-driven errors,
//! round trips, and a seeded mutation fuzz of every parser.

mod dag;
mod errors;
#[cfg(not(target_arch = "wasm32"))]
mod fuzz;
mod round_trip;

use faasplan_core::dag::Workflow;
use faasplan_core::formats::jolteon::{self, JolteonGrid, JolteonProfileOptions};
use faasplan_core::profile::Profiles;

pub(crate) const ML_WORKFLOW: &str = include_str!("../../../../static/examples/ML-pipeline.json");
pub(crate) const ML_PROFILE: &str =
    include_str!("../../../../static/examples/ML-Pipeline_profile.json");
pub(crate) const VIDEO_WORKFLOW: &str =
    include_str!("../../../../static/examples/Video-analytics.json");
pub(crate) const VIDEO_PROFILE: &str =
    include_str!("../../../../static/examples/Video-Analytics_profile.json");

/// Imports a bundled workflow and its profile with the bundled grid.
pub(crate) fn bundled(workflow: &str, profile: &str) -> (Workflow, Profiles) {
    jolteon::import(workflow, profile, None, &JolteonProfileOptions::default()).unwrap()
}

/// The edges of a workflow as (from, to) stage indices.
fn edge_indices(wf: &Workflow) -> Vec<(usize, usize)> {
    let ix = |id: &str| wf.stage_index(id).unwrap();
    wf.edges.iter().map(|e| (ix(&e.from), ix(&e.to))).collect()
}

/// Checks the shape of an imported bundled workflow and its profiles.
fn check_bundled(
    workflow: &str,
    profile: &str,
    n_configs: usize,
    edges: &[(usize, usize)],
    singles: &[usize],
) {
    let (wf, profiles) = bundled(workflow, profile);
    assert_eq!(wf.stages.len(), 4);
    let mut got = edge_indices(&wf);
    got.sort();
    assert_eq!(got, edges);
    for (i, stage) in wf.stages.iter().enumerate() {
        assert_eq!(stage.id, format!("stage{i}"));
        let single = stage.kind == faasplan_core::dag::StageKind::Single;
        assert_eq!(single, singles.contains(&i), "stage {i}");
    }
    wf.validate().unwrap();
    assert_eq!(profiles.mb_per_vcpu, 1792.0);
    assert_eq!(profiles.stages.len(), 4);
    let grid = JolteonGrid::bundled(&wf.name).unwrap();
    assert_eq!(grid.0.len(), n_configs);
    for sp in &profiles.stages {
        assert_eq!(sp.runs.len(), n_configs * 3, "{}", sp.stage);
        for (k, run) in sp.runs.iter().enumerate() {
            assert_eq!(
                (run.memory_mb, run.d),
                (grid.0[k / 3].memory_mb, grid.0[k / 3].d)
            );
            assert_eq!(run.rep as usize, k % 3);
            assert_eq!(run.cold, k % 3 == 0);
            let w = run.write.unwrap();
            let p95_wall = run.start.p95_s + run.read.p95_s + run.compute.p95_s + w.p95_s;
            assert!(
                (run.wall_s() - p95_wall).abs() < 1e-9,
                "{} run {k}",
                sp.stage
            );
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn ml_pipeline_imports_with_its_dag_and_23_configs_times_3_reps() {
    let edges = [(0, 1), (0, 2), (0, 3), (1, 2), (2, 3)];
    check_bundled(ML_WORKFLOW, ML_PROFILE, 23, &edges, &[0, 3]);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn video_analytics_imports_with_its_dag_and_24_configs_times_3_reps() {
    let edges = [(0, 1), (1, 2), (1, 3), (2, 3)];
    check_bundled(VIDEO_WORKFLOW, VIDEO_PROFILE, 24, &edges, &[]);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn imported_stages_get_the_profiled_memory_range_and_d_values() {
    let (wf, _) = bundled(ML_WORKFLOW, ML_PROFILE);
    let m = &wf.stages[1].memory;
    assert_eq!((m.min_mb, m.max_mb, m.step_mb), (1024, 7168, 128));
    assert_eq!(m.sizes().count(), 49);
    assert_eq!(wf.stages[1].allowed_d, [4, 8, 16, 32]);
    assert_eq!(wf.stages[0].allowed_d, [1]);
    let (wf, _) = bundled(VIDEO_WORKFLOW, VIDEO_PROFILE);
    let m = &wf.stages[0].memory;
    assert_eq!((m.min_mb, m.max_mb, m.sizes().count()), (1792, 8960, 57));
    assert!(m.listed_mb.is_empty(), "every bundled size is on the steps");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_profiled_memory_size_of_a_user_grid_can_be_planned() {
    use faasplan_core::dag::Config;
    use faasplan_core::platform::Preset;
    let sizes = [1078, 1200, 1617, 2048];
    let grid = JolteonGrid(
        sizes
            .iter()
            .flat_map(|&memory_mb| [4, 8].map(|d| Config { memory_mb, d }))
            .collect(),
    );
    let wf = jolteon::import_workflow(ML_WORKFLOW, &grid).unwrap();
    wf.validate().unwrap();
    let m = &wf.stages[1].memory;
    assert_eq!((m.min_mb, m.max_mb, m.step_mb), (1078, 2048, 128));
    assert_eq!(m.listed_mb, [1200, 1617, 2048]);
    let planned: Vec<u32> = m.sizes().collect();
    assert_eq!(
        planned,
        [
            1078, 1200, 1206, 1334, 1462, 1590, 1617, 1718, 1846, 1974, 2048
        ]
    );
    let platform = Preset::JolteonProfiled.platform();
    let candidates = faasplan_core::sampling::candidates(&wf.stages[1], &platform);
    for memory_mb in sizes {
        for d in [4, 8] {
            assert!(
                candidates.contains(&Config { memory_mb, d }),
                "{memory_mb} MB × {d}"
            );
        }
    }
    assert_eq!(
        faasplan_core::sampling::candidate_count(&wf.stages[1], &platform),
        candidates.len() as u64
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn documented_profile_value_lands_in_the_right_run() {
    // README: ML profile["stage1"]["compute"][1][3] = [50.755, 53.838], config 3 = (1792, 4).
    let (_, profiles) = bundled(ML_WORKFLOW, ML_PROFILE);
    let run = &profiles.stage("stage1").unwrap().runs[3 * 3 + 1];
    assert_eq!((run.memory_mb, run.d, run.rep), (1792, 4, 1));
    assert!((run.compute.mean_s - 50.755).abs() < 1e-3);
    assert!((run.compute.p95_s - 53.838).abs() < 1e-3);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_user_grid_side_file_imports_like_the_bundled_grid() {
    let bundled_grid = JolteonGrid::bundled("ML-Pipeline").unwrap();
    let side = JolteonGrid::from_json(&bundled_grid.to_json()).unwrap();
    assert_eq!(side, bundled_grid);
    let opts = JolteonProfileOptions {
        mb_per_vcpu: 1769.0,
    };
    let (wf, profiles) = jolteon::import(ML_WORKFLOW, ML_PROFILE, Some(&side), &opts).unwrap();
    assert_eq!((wf.stages.len(), profiles.mb_per_vcpu), (4, 1769.0));
}
