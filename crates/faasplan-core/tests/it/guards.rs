//! Inputs too large for memory, or values that cannot be right, are refused by
//! `pipeline::check` (what `validate` runs) and by `pipeline::prepare` before
//! anything large is allocated, with a message naming the setting or input and
//! the limit. One test per class of input.

use faasplan_core::dag::{Edge, MemoryGrid, StageKind, Workflow};
use faasplan_core::formats::csv::read_profiles_csv;
use faasplan_core::formats::jolteon::{self, JolteonGrid, JolteonProfileOptions};
use faasplan_core::formats::project::Project;
use faasplan_core::pipeline::{self, Limits};
use faasplan_core::profile::StageProfile;
use faasplan_core::sampling::{self, Sampler};
use faasplan_core::settings::SampleCount;

use super::bundled;

/// Both the up-front check and `prepare` refuse `project` with a message containing `needle`.
fn refused(project: &Project, needle: &str) {
    let err = pipeline::check(project, Limits::default())
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains(needle), "check: {err:?} lacks {needle:?}");
    let err = pipeline::prepare(project)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains(needle), "prepare: {err:?} lacks {needle:?}");
}

fn ml() -> Project {
    bundled::project("ml")
}

/// `check` accepts `project` within bounded memory: the sample design caps an
/// automatic sample count so the tables fit its budget (512 MiB), and the estimate
/// says so before anything is allocated.
fn bounded(project: &Project) -> u64 {
    let checked = pipeline::check(project, Limits::default()).unwrap();
    let budget = sampling::TABLE_BUDGET_BYTES as f64;
    let rows: u64 = checked.size.rows.iter().sum();
    let tables =
        rows as f64 * checked.size.n_samples as f64 * sampling::BYTES_PER_TABLE_SAMPLE as f64;
    assert!(tables <= budget, "{tables}");
    // Beside the tables: four f64 residual columns per stage and the evaluator's buffers.
    assert!(checked.size.bytes <= 1.1 * budget, "{}", checked.size.bytes);
    checked.size.rows.iter().sum()
}

/// `check` with a memory limit of `mib` MiB refuses `project` with `needle`.
fn refused_within(project: &Project, mib: u64, needle: &str) {
    let limits = Limits {
        max_memory_bytes: mib << 20,
        ..Limits::default()
    };
    let err = pipeline::check(project, limits)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
}

#[test]
fn sample_count_of_u64_max_is_refused_not_a_capacity_overflow() {
    let mut p = ml();
    p.settings.samples = SampleCount::Fixed(usize::MAX);
    refused(&p, "setting `samples` needs");
    p.settings.samples = SampleCount::Fixed(usize::MAX >> 4);
    refused(&p, "lower `samples`");
}

#[test]
fn alpha_at_one_minus_q_in_floating_point_stays_bounded() {
    let mut p = ml();
    p.settings.alpha = 0.05;
    bounded(&p);
    p.settings.alpha = 0.0500001;
    refused(&p, "settings.alpha");
}

#[test]
fn a_high_percentile_or_tiny_delta_stays_within_the_table_budget() {
    let mut p = ml();
    p.settings.percentile = 0.999;
    bounded(&p);
    let mut p = ml();
    p.settings.percentile = 0.99;
    p.settings.delta = 1e-300;
    bounded(&p);
    refused_within(&p, 16, "above the memory limit of 16.0 MiB");
}

#[test]
fn a_one_mb_memory_step_is_bounded_or_refused_naming_the_widest_stage() {
    let mut p = ml();
    p.workflow.stages[1].memory = MemoryGrid::stepped(128, 10_240, 1);
    assert_eq!(bounded(&p), 40_893);
    refused_within(&p, 256, "the largest stage, `stage1`");
}

#[test]
fn a_long_d_list_is_bounded_or_refused() {
    let mut p = ml();
    p.workflow.stages[1].allowed_d = (1..=2000).collect();
    bounded(&p);
    refused_within(&p, 256, "the stages' memory grids and allowed d");
}

#[test]
fn a_four_billion_size_grid_is_counted_not_listed() {
    let mut p = ml();
    p.platform.min_memory_mb = 1;
    p.platform.max_memory_mb = u32::MAX;
    p.workflow.stages[0].memory = MemoryGrid::stepped(1, u32::MAX, 1);
    let stage = &p.workflow.stages[0];
    assert_eq!(
        sampling::candidate_count(stage, &p.platform),
        u64::from(u32::MAX)
    );
    refused(&p, "4294967295 rows");
}

#[test]
fn the_sampler_refuses_alone_too() {
    let mut p = ml();
    let prepared_model = pipeline::prepare(&p).unwrap();
    p.settings.samples = SampleCount::Fixed(usize::MAX);
    let err = Sampler::new(
        &p.workflow,
        &prepared_model.dag,
        &prepared_model.model,
        &p.platform,
        &p.settings,
    )
    .map(|_| ())
    .unwrap_err();
    assert!(err.to_string().contains("over the limit"), "{err}");
}

#[test]
fn the_memory_limit_is_a_setting() {
    let p = ml();
    let tight = Limits {
        max_memory_bytes: 1 << 20,
        ..Limits::default()
    };
    let err = pipeline::check(&p, tight).unwrap_err().to_string();
    assert!(err.contains("above the memory limit of 1.0 MiB"), "{err}");
    let ok = pipeline::check(&p, Limits::default()).unwrap();
    assert!(ok.size.n_samples > 1000, "{}", ok.size.n_samples);
    assert!(ok.size.bytes < 100e6, "{}", ok.size.bytes);
}

/// A workflow of `n` copies of the ML pipeline's `stage0`, wired by `edges`
/// (pairs of indices), each profiled with `stage0`'s runs.
fn copies(n: usize, edges: &[(usize, usize)]) -> Project {
    let base = ml();
    let template = base.workflow.stages[0].clone();
    let runs = base.profiles.stages[0].runs.clone();
    let mut p = base;
    let id = |i: usize| format!("s{i}");
    p.workflow = Workflow {
        name: "copies".into(),
        stages: (0..n)
            .map(|i| {
                let mut s = template.clone();
                s.id = id(i);
                s.kind = StageKind::Single;
                s
            })
            .collect(),
        edges: edges
            .iter()
            .map(|&(a, b)| Edge {
                from: id(a),
                to: id(b),
            })
            .collect(),
        choices: Vec::new(),
        loops: Vec::new(),
        shared: Vec::new(),
    };
    p.profiles.stages = (0..n)
        .map(|i| StageProfile {
            stage: id(i),
            runs: runs.clone(),
        })
        .collect();
    p.settings.samples = SampleCount::Fixed(50);
    p
}

#[test]
fn more_than_64_stages_are_refused_before_fitting() {
    let chain: Vec<(usize, usize)> = (0..64).map(|i| (i, i + 1)).collect();
    refused(&copies(65, &chain), "65 stages, more than the 64");
    let chain: Vec<(usize, usize)> = (0..199).map(|i| (i, i + 1)).collect();
    refused(&copies(200, &chain), "200 stages");
}

#[test]
fn thirty_parallel_branches_are_refused_naming_the_antichains() {
    // source -> 30 branches of two chained stages -> sink: 2^30 maximal antichains.
    let sink = 61;
    let mut edges = Vec::new();
    for b in 0..30 {
        let (first, second) = (1 + 2 * b, 2 + 2 * b);
        edges.extend([(0, first), (first, second), (second, sink)]);
    }
    refused(&copies(62, &edges), "maximal antichains");
}

#[test]
fn runs_of_a_stage_the_workflow_lacks_are_refused() {
    let mut p = ml();
    let mut extra = p.profiles.stages[3].clone();
    extra.stage = "stage3_typo".into();
    p.profiles.stages.push(extra);
    refused(&p, "stage `stage3_typo` is not a stage of the workflow");
}

#[test]
fn a_stage_without_runs_is_refused() {
    let mut p = ml();
    p.profiles.stages[2].runs.clear();
    refused(&p, "stage `stage2` has no profiled runs");
    p.profiles.stages.remove(2);
    refused(&p, "stage `stage2` has no profiled runs");
}

#[test]
fn a_negative_duration_in_a_project_is_refused_naming_stage_run_and_field() {
    let mut p = ml();
    p.profiles.stages[1].runs[3].read.mean_s = -5.0;
    refused(&p, "stage `stage1`, run 3");
    refused(&p, "read.mean_s: -5 s is a negative duration");
    let err = Project::from_json(&p.to_json()).unwrap_err().to_string();
    assert!(
        err.contains("profiles.stages[1].runs[3].read.mean_s"),
        "{err}"
    );
}

const CSV_HEADER: &str = "stage,memory_mb,d,rep,cold,start_mean_s,start_p95_s,read_mean_s,read_p95_s,compute_mean_s,compute_p95_s,write_mean_s,write_p95_s\n";

fn csv_error(row: &str) -> String {
    read_profiles_csv(&format!("{CSV_HEADER}{row}\n"), 1792.0)
        .unwrap_err()
        .to_string()
}

#[test]
fn csv_values_that_cannot_be_right_name_line_and_column() {
    let check = |row: &str, expected: &str| assert_eq!(csv_error(row), expected);
    check(
        "a,1024,4,0,true,1,1,-5,-5,2,2,,",
        "line 2, column read_mean_s: -5 s is a negative duration",
    );
    check(
        "a,1024,4,0,true,1,1,1,1,1e308,1e308,,",
        "line 2, column compute_mean_s: 1e308 s is longer than 86400 s (one day)",
    );
    check(
        "a,1000000000,4,0,true,1,1,1,1,1,1,,",
        "line 2, column memory_mb: 1000000000 is not in 1..=65536",
    );
    check(
        "a,1024,1000000000,0,true,1,1,1,1,1,1,,",
        "line 2, column d: 1000000000 is not in 1..=100000",
    );
    check(
        "a,1024,4,0,true,-9,1,1,1,1,1,,",
        "line 2, column start_mean_s: the run's wall time (start + read + compute + write) is -7 s, not above 0",
    );
}

#[test]
fn a_csv_without_data_rows_is_refused() {
    let err = read_profiles_csv(&format!("{CSV_HEADER}# nothing\n"), 1792.0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 1: no data rows after the header: the file profiles no run"
    );
}

const ML_WORKFLOW: &str = include_str!("../../../../static/examples/ML-pipeline.json");
const ML_PROFILE: &str = include_str!("../../../../static/examples/ML-Pipeline_profile.json");

#[test]
fn jolteon_duplicate_keys_are_refused_with_line_and_column() {
    let grid = JolteonGrid::bundled("ML-Pipeline").unwrap();
    let dup = ML_WORKFLOW.replacen('{', "{\"workflow_name\": \"x\",", 1);
    let err = jolteon::import_workflow(&dup, &grid)
        .unwrap_err()
        .to_string();
    assert!(err.contains("duplicate key \"workflow_name\""), "{err}");
    assert!(err.contains(" at line 2 column 19"), "{err}");
    let wf = jolteon::import_workflow(ML_WORKFLOW, &grid).unwrap();
    let dup = ML_PROFILE.replacen('{', "{\"stage3\": 0,", 1);
    let err = jolteon::import_profiles(&dup, &wf, &grid, &JolteonProfileOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("duplicate key \"stage3\""), "{err}");
}

#[test]
fn jolteon_negative_or_absurd_times_name_the_json_path() {
    let grid = JolteonGrid::bundled("ML-Pipeline").unwrap();
    let wf = jolteon::import_workflow(ML_WORKFLOW, &grid).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(ML_PROFILE).unwrap();
    v["stage1"]["read"][1][3] = serde_json::json!([-5.0, -5.0]);
    let err = jolteon::import_profiles(&v.to_string(), &wf, &grid, &Default::default())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "stage1.read[1][3][0]: mean_s -5 s is a negative duration"
    );
    v["stage1"]["read"][1][3] = serde_json::json!([1.0, 1.0]);
    v["stage1"]["compute"][0][5] = serde_json::json!([1e9, 1e9]);
    let err = jolteon::import_profiles(&v.to_string(), &wf, &grid, &Default::default())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "stage1.compute[0][5][0]: mean_s 1e9 s is longer than 86400 s (one day)"
    );
}

#[test]
fn evaluate_of_the_optimal_plan_saves_nothing_and_a_worse_one_saves_its_excess() {
    use faasplan_core::dag::Config;
    let p = ml();
    let prepared = pipeline::prepare(&p).unwrap();
    let report = pipeline::plan(&p, Limits::default()).unwrap();
    let best: Vec<(String, Config)> = report
        .stages
        .iter()
        .map(|s| {
            let cfg = Config {
                memory_mb: s.memory_mb,
                d: s.d,
            };
            (s.stage.clone(), cfg)
        })
        .collect();
    let e = pipeline::evaluate(&p, &prepared, &best, None).unwrap();
    assert!(e.meets_bound);
    assert_eq!(e.saving_usd(), Some(0.0));
    assert_eq!(e.current.stages, report.stages);
    let mut worse = best.clone();
    worse[1].1.memory_mb = 3584;
    let e = pipeline::evaluate(&p, &prepared, &worse, None).unwrap();
    let saving = e.saving_usd().unwrap();
    assert!(saving > 0.0, "{saving}");
    let (now, planned) = (
        e.current.totals.unwrap(),
        e.planned.unwrap().totals.unwrap(),
    );
    assert!(planned.guaranteed_latency_s <= now.guaranteed_latency_s);
    let mut bad = best.clone();
    bad[2].1.memory_mb = 1000;
    let err = pipeline::evaluate(&p, &prepared, &bad, None).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("configuration: stage `stage2`: 1000 MB × 4 is not one of its"),
        "{err}"
    );
    let err = pipeline::evaluate(&p, &prepared, &best[..3], None).unwrap_err();
    assert!(
        err.to_string()
            .contains("stage `stage3` has no configuration"),
        "{err}"
    );
}
