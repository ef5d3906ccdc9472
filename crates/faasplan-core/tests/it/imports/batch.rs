//! A state machine with Power Tuning results and logs for its functions, planned end to end.

use faasplan_core::formats::batch::{BatchOptions, import_batch};
use faasplan_core::formats::project::Project;
use faasplan_core::pipeline::{self, Limits};
use faasplan_core::platform::Preset;
use faasplan_core::settings::PlanSettings;

use super::{ALL, sample};

fn files(keys: &[&str]) -> Vec<(String, String)> {
    keys.iter()
        .map(|k| {
            let (p, t) = ALL.iter().find(|(p, _)| p.contains(k)).expect("sample");
            (p.rsplit('/').next().unwrap_or(p).to_string(), t.to_string())
        })
        .collect()
}

#[test]
fn state_machine_and_power_tuning_histories_plan() {
    let batch = import_batch(
        &files(&[
            "parrotfish__ImageProcessing",
            "sample_1__ImageProcessingFilter__",
            "sample_1__ImageProcessingFlip__",
            "sample_1__ImageProcessingGetInput__",
            "sample_1__ImageProcessingResize__",
            "sample_1__ImageProcessingRotate__",
            "sample_2__ImageProcessingGrayscale__",
        ]),
        None,
        &BatchOptions::default(),
    )
    .expect("imports");
    let sm = batch.state_machine.expect("state machine");
    let mut profiled: Vec<&str> = batch
        .profiles
        .stages
        .iter()
        .map(|s| s.stage.as_str())
        .collect();
    profiled.sort_unstable();
    assert_eq!(
        profiled,
        [
            "Filter",
            "Flip",
            "GetInput",
            "GrayScale",
            "Resize",
            "Rotate"
        ]
    );
    assert_eq!(batch.summary.len(), 7);
    let project = Project {
        workflow: sm.workflow,
        profiles: batch.profiles,
        platform: Preset::AwsX86_64.platform(),
        settings: PlanSettings::default(),
    };
    let report = pipeline::plan(
        &project,
        Limits {
            max_nodes: Some(200_000),
            ..Limits::default()
        },
    )
    .expect("plans");
    assert_eq!(report.stages.len(), 6);
}

#[test]
fn logs_match_stages_by_log_group_or_mapping() {
    let asl = r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:storms-cloudwatch-event", "Next": "B"}, "B": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:other", "End": true}}}"#;
    let mut input = vec![("flow.asl.json".to_string(), asl.to_string())];
    input.extend(files(&["cloudwatch_log_coldstart"]));
    input.push((
        "b.log".into(),
        sample!("report-logs/powertuning__test-utils.js__textLog.log").into(),
    ));
    // b.log names no function: without a mapping the batch fails, naming it.
    let e = import_batch(&input, None, &BatchOptions::default()).unwrap_err();
    assert_eq!(e.file, "b.log");
    assert!(e.message.contains("matches no stage"), "{e}");
    let options = BatchOptions {
        mapping: vec![("b.log".into(), "B".into())],
        ..BatchOptions::default()
    };
    let batch = import_batch(&input, None, &options).expect("imports");
    let a = batch.profiles.stage("A").expect("A");
    assert_eq!(a.runs.len(), 1);
    assert!(a.runs[0].cold);
    assert_eq!(
        batch.profiles.stage("B").expect("B").runs[0].memory_mb,
        1024
    );
}

#[test]
fn a_batch_with_a_file_of_another_kind_fails_whole() {
    let mut input = files(&["parrotfish__ImageProcessing", "sample-execution-input"]);
    let e = import_batch(&input, None, &BatchOptions::default()).unwrap_err();
    assert!(e.file.ends_with("sample-execution-input.json"));
    assert!(
        e.message
            .contains("it looks like a Power Tuning execution input"),
        "{e}"
    );
    input[1] = ("notes.txt".into(), "just some words".into());
    let e = import_batch(&input, None, &BatchOptions::default()).unwrap_err();
    assert_eq!(e.file, "notes.txt");
    assert!(e.message.contains("unknown format"), "{e}");
}

/// Duration-only rows (Power Tuning averages) fit through the compute step and
/// are cross-validated like measured steps: leave one memory size out, refit, predict it.
#[test]
fn duration_only_rows_are_fitted_and_cross_validated() {
    use faasplan_core::formats::batch::{Coverage, coverage};
    use faasplan_core::model::fit_report;
    let batch = import_batch(
        &files(&[
            "parrotfish__ImageProcessing",
            "sample_1__ImageProcessingFilter__",
            "sample_1__ImageProcessingResize__",
        ]),
        None,
        &BatchOptions::default(),
    )
    .expect("imports");
    let sm = batch.state_machine.expect("state machine");
    let cov = coverage(&sm.workflow, &batch.profiles);
    assert_eq!(
        cov.iter().filter(|(_, c)| *c == Coverage::Enough).count(),
        2
    );
    assert_eq!(
        cov.iter().filter(|(_, c)| *c == Coverage::Missing).count(),
        4
    );
    let mut workflow = sm.workflow.clone();
    workflow
        .stages
        .retain(|s| s.id == "Filter" || s.id == "Resize");
    workflow.edges = vec![faasplan_core::dag::Edge {
        from: "Filter".into(),
        to: "Resize".into(),
    }];
    let dag = workflow.validate().expect("valid");
    let report = fit_report(&workflow, &dag, &batch.profiles).expect("fits");
    for s in &report.stages {
        assert!(s.configs >= 30, "{}: {} configurations", s.stage, s.configs);
        assert!(
            s.cv_mean_pct < 10.0,
            "{}: CV mean error {:.1}%",
            s.stage,
            s.cv_mean_pct
        );
    }
}

/// The thin-data view: counts per stage and what to measure next.
#[test]
fn stage_coverage_counts_runs_and_says_what_to_measure_next() {
    use faasplan_core::formats::batch::{Coverage, stage_coverage};
    let asl = r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:storms-cloudwatch-event", "Next": "B"}, "B": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:other", "Next": "C"}, "C": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:c", "End": true}}}"#;
    let mut input = vec![("flow.asl.json".to_string(), asl.to_string())];
    input.extend(files(&["cloudwatch_log_coldstart"]));
    input.push((
        "B.log".into(),
        sample!("report-logs/powertuning__test-utils.js__textLog.log").into(),
    ));
    let batch = import_batch(&input, None, &BatchOptions::default()).expect("imports");
    let sm = batch.state_machine.expect("state machine");
    let cov = stage_coverage(&sm.workflow, &batch.profiles);
    let a = &cov[0];
    assert_eq!((a.stage.as_str(), a.runs, a.cold_runs), ("A", 1, 1));
    assert_eq!(a.cold_share(), 1.0);
    assert_eq!(a.coverage, Coverage::OneMemorySize);
    let next = a.measure_next().expect("thin");
    assert!(next.starts_with("one memory size ("), "{next}");
    let b = &cov[1];
    assert_eq!(b.memory_mb, [1024]);
    assert_eq!(b.configurations, 1);
    assert!(b.runs > 0);
    let c = &cov[2];
    assert_eq!((c.runs, c.coverage.clone()), (0, Coverage::Missing));
    assert!(c.measure_next().expect("missing").starts_with("no runs"));
}
