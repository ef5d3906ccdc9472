use faasplan_core::dag::Workflow;

use super::*;

pub(crate) const ML_WORKFLOW: &str = include_str!("../../static/examples/ML-pipeline.json");
pub(crate) const ML_PROFILE: &str = include_str!("../../static/examples/ML-Pipeline_profile.json");
const VIDEO_WORKFLOW: &str = include_str!("../../static/examples/Video-analytics.json");
const VIDEO_PROFILE: &str = include_str!("../../static/examples/Video-Analytics_profile.json");

const CSV: &str = "stage,memory_mb,d,rep,cold,start_mean_s,start_p95_s,read_mean_s,read_p95_s,compute_mean_s,compute_p95_s,write_mean_s,write_p95_s\nstage0,1792,4,0,true,1.2,0.9,0.5,0.6,10.25,11.5,,\n";

fn empty() -> Workflow {
    Workflow {
        name: "w".into(),
        stages: Vec::new(),
        edges: Vec::new(),
        choices: Vec::new(),
        loops: Vec::new(),
        shared: Vec::new(),
    }
}

fn run(files: &[(&str, &str)], wf: &Workflow) -> Result<Imported, ImportError> {
    let files: Vec<_> = files.iter().map(|(n, t)| NamedText::new(*n, *t)).collect();
    let cx = ImportContext {
        workflow: wf,
        grid: None,
        csv_mb_per_vcpu: 1792.0,
    };
    import_files(&files, &cx)
}

fn check_kind(name: &str, text: &str, expected: Result<FileKind, ()>) {
    assert_eq!(detect_kind(name, text).map_err(|_| ()), expected, "{name}");
}

#[test]
fn detect_kind_reads_content_and_uses_the_extension_only_as_a_hint() {
    check_kind("x.json", ML_WORKFLOW, Ok(FileKind::JolteonWorkflow));
    check_kind("renamed.txt", ML_PROFILE, Ok(FileKind::JolteonProfile));
    check_kind("g", "[[1024, 8], [2048, 4]]", Ok(FileKind::JolteonGrid));
    check_kind(
        "p.json",
        r#"{"format": "faasplan-project"}"#,
        Ok(FileKind::Project),
    );
    check_kind("profiles", CSV, Ok(FileKind::ProfileCsv));
    check_kind("odd.csv", "a;b\n1;2", Ok(FileKind::ProfileCsv));
    check_kind("notes.txt", "hello", Err(()));
    check_kind("x.json", "", Err(()));
    check_kind("x.json", r#"{"a": 1}"#, Err(()));
}

#[test]
fn bundled_examples_import_with_their_bundled_grids() {
    for (wf, prof, stages) in [
        (ML_WORKFLOW, ML_PROFILE, 4),
        (VIDEO_WORKFLOW, VIDEO_PROFILE, 4),
    ] {
        // Profile listed first: the batch still reads the workflow before it.
        let out = run(&[("p.json", prof), ("w.json", wf)], &empty()).unwrap();
        let w = out.workflow.unwrap();
        let p = out.profiles.unwrap();
        assert_eq!(w.stages.len(), stages);
        assert_eq!(p.stages.len(), stages);
        assert!(p.stages.iter().all(|s| !s.runs.is_empty()));
        assert_eq!(out.summary.len(), 2);
    }
}

#[test]
fn a_jolteon_profile_after_its_workflow_uses_the_current_workflow() {
    let wf = run(&[("w.json", ML_WORKFLOW)], &empty())
        .unwrap()
        .workflow
        .unwrap();
    let out = run(&[("p.json", ML_PROFILE)], &wf).unwrap();
    assert!(out.workflow.is_none());
    assert_eq!(out.profiles.unwrap().stages.len(), 4);
}

#[test]
fn a_jolteon_profile_without_its_workflow_is_refused() {
    let err = run(&[("p.json", ML_PROFILE)], &empty()).unwrap_err();
    assert_eq!(err.file, "p.json");
    assert!(err.message.contains("needs its workflow"), "{err}");
}

#[test]
fn malformed_json_names_the_file_and_the_line() {
    let broken = &ML_WORKFLOW[..200];
    let err = run(&[("ML-pipeline.json", broken)], &empty()).unwrap_err();
    assert_eq!(err.file, "ML-pipeline.json");
    assert!(err.to_string().contains("line"), "{err}");
}

#[test]
fn a_bad_file_in_a_batch_fails_the_whole_batch() {
    let bad = ML_PROFILE.replacen('[', "[\"x\", ", 1);
    let err = run(&[("w.json", ML_WORKFLOW), ("bad.json", &bad)], &empty()).unwrap_err();
    assert_eq!(err.file, "bad.json");
}

#[test]
fn a_grid_side_file_replaces_the_bundled_grid() {
    let grid = "[[1024, 2], [2048, 4]]";
    let out = run(&[("w.json", ML_WORKFLOW), ("grid.json", grid)], &empty()).unwrap();
    let w = out.workflow.unwrap();
    assert_eq!(w.stages[1].allowed_d, vec![2, 4]);
    assert_eq!(w.stages[1].memory.max_mb, 2048);
    assert!(out.grid.is_some());
}

#[test]
fn csv_profiles_must_name_stages_of_the_workflow() {
    let wf = run(&[("w.json", ML_WORKFLOW)], &empty())
        .unwrap()
        .workflow
        .unwrap();
    let out = run(&[("p.csv", CSV)], &wf).unwrap();
    assert_eq!(out.profiles.unwrap().mb_per_vcpu, 1792.0);
    let err = run(&[("p.csv", &CSV.replace("stage0", "nope"))], &wf).unwrap_err();
    assert!(err.message.contains("\"nope\""), "{err}");
    let err = run(&[("p.csv", &CSV.replace("10.25", "abc"))], &wf).unwrap_err();
    assert!(
        err.message.contains("line 2, column compute_mean_s"),
        "{err}"
    );
}

#[test]
fn a_project_file_round_trips_through_import() {
    let out = run(&[("w.json", ML_WORKFLOW), ("p.json", ML_PROFILE)], &empty()).unwrap();
    let project = CoreProject {
        workflow: out.workflow.unwrap(),
        profiles: out.profiles.unwrap(),
        platform: Default::default(),
        settings: Default::default(),
    };
    let back = run(&[("proj.json", &project.to_json())], &empty()).unwrap();
    assert_eq!(back.project, Some(project));
    let err = run(&[("proj.json", r#"{"format": "other"}"#)], &empty()).unwrap_err();
    assert!(err.message.contains("format"), "{err}");
}

const IMAGE_ASL: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/crates/faasplan-core/tests/data/imports/asl/parrotfish__ImageProcessing__state_machine.json"
));
const FILTER_MD: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/crates/faasplan-core/tests/data/imports/powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessingFilter__README.md"
));
const TEXT_LOG: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/crates/faasplan-core/tests/data/imports/report-logs/powertuning__test-utils.js__textLog.log"
));

#[test]
fn a_state_machine_with_its_measurements_imports_as_workflow_and_profiles() {
    check_kind("flow.asl.json", IMAGE_ASL, Ok(FileKind::StateMachine));
    check_kind("Filter.md", FILTER_MD, Ok(FileKind::AwsMeasurements));
    check_kind("Resize.log", TEXT_LOG, Ok(FileKind::AwsMeasurements));
    let out = run(
        &[
            ("Filter.md", FILTER_MD),
            ("flow.asl.json", IMAGE_ASL),
            ("Resize.log", TEXT_LOG),
        ],
        &empty(),
    )
    .unwrap();
    let w = out.workflow.unwrap();
    assert_eq!(w.stages.len(), 6);
    assert_eq!(w.edges.len(), 5);
    let p = out.profiles.unwrap();
    assert_eq!(p.stage("Filter").unwrap().runs.len(), 52);
    assert_eq!(p.stage("Resize").unwrap().runs.len(), 1);
    assert!(out.state_machine.is_some());
    assert!(
        out.summary
            .iter()
            .any(|s| s.starts_with("measure next: GetInput (no runs)")),
        "{:?}",
        out.summary
    );
}

#[test]
fn measurements_without_their_state_machine_or_of_another_kind_are_refused() {
    let e = run(&[("Resize.log", TEXT_LOG)], &empty()).unwrap_err();
    assert_eq!(e.file, "Resize.log");
    assert!(
        e.message.contains("measurements need a workflow"),
        "{}",
        e.message
    );
    let input = r#"{"lambdaARN": "arn:aws:lambda:x:y:function:z", "powerValues": [128], "num": 5}"#;
    let e = run(
        &[("flow.asl.json", IMAGE_ASL), ("input.json", input)],
        &empty(),
    )
    .unwrap_err();
    assert_eq!(e.file, "input.json");
    assert!(
        e.message
            .contains("it looks like a Power Tuning execution input"),
        "{}",
        e.message
    );
}

#[test]
fn measured_on_marks_a_files_runs_and_the_batch_lists_its_measurement_files() {
    let files = [
        ("Filter.md", FILTER_MD),
        ("flow.asl.json", IMAGE_ASL),
        ("Resize.log", TEXT_LOG),
    ];
    let texts: Vec<_> = files.iter().map(|(n, t)| NamedText::new(*n, *t)).collect();
    let wf = empty();
    let cx = ImportContext {
        workflow: &wf,
        grid: None,
        csv_mb_per_vcpu: 1792.0,
    };
    let plain = import_files(&texts, &cx).unwrap();
    let names: Vec<_> = plain.measurements.iter().map(|m| m.file.as_str()).collect();
    assert_eq!(names, ["Filter.md", "Resize.log"]);
    assert!(
        plain
            .measurements
            .iter()
            .all(|m| m.stated.is_none() && m.chosen.is_none())
    );
    let p = plain.profiles.as_ref().unwrap();
    assert!(
        p.stages
            .iter()
            .flat_map(|s| &s.runs)
            .all(|r| r.architecture.is_none())
    );

    let arm = import_files_measured(&texts, &cx, &[("Resize.log".into(), Arch::Arm64)]).unwrap();
    let p = arm.profiles.as_ref().unwrap();
    let resize = &p.stage("Resize").unwrap().runs;
    assert!(!resize.is_empty());
    assert!(resize.iter().all(|r| r.architecture == Some(Arch::Arm64)));
    // The other file's runs are left as they were.
    let filter = &p.stage("Filter").unwrap().runs;
    assert!(filter.iter().all(|r| r.architecture.is_none()));
    assert_eq!(arm.measurements[1].chosen, Some(Arch::Arm64));
    assert_eq!(arm.measurements[0].chosen, None);
    // Everything else is the same import.
    assert_eq!(arm.workflow, plain.workflow);
    assert_eq!(
        arm.profiles.as_ref().unwrap().stages.len(),
        plain.profiles.as_ref().unwrap().stages.len()
    );
    // A batch without measurement files lists none.
    let ml = run(&[("w.json", ML_WORKFLOW), ("p.json", ML_PROFILE)], &empty()).unwrap();
    assert!(ml.measurements.is_empty());
}
