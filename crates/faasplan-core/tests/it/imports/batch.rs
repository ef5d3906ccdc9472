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

/// A file opened by its path is mapped by its name alone, as the user types it.
#[test]
fn a_mapping_names_a_file_by_its_name_without_directories() {
    let asl = r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:a", "End": true}}}"#;
    let input = vec![
        ("dir/flow.asl.json".to_string(), asl.to_string()),
        (
            "logs/run.log".to_string(),
            sample!("report-logs/powertuning__test-utils.js__textLog.log").into(),
        ),
    ];
    for key in ["run.log", "logs/run.log"] {
        let options = BatchOptions {
            mapping: vec![(key.into(), "A".into())],
            ..BatchOptions::default()
        };
        let batch = import_batch(&input, None, &options).expect("imports");
        assert_eq!(batch.profiles.stage("A").expect("A").runs.len(), 1, "{key}");
    }
    let options = BatchOptions {
        mapping: vec![("other.log".into(), "A".into())],
        ..BatchOptions::default()
    };
    let e = import_batch(&input, None, &options).unwrap_err();
    assert_eq!(e.file, "logs/run.log");
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

/// A service integration gets the latency and the price per run the user
/// sets (for all, or for one stage by id or state name); its runs pay that
/// price instead of a function's fees, and a name that is no service stage
/// is refused, naming the state machine's file.
#[test]
fn service_stages_take_their_latency_and_price_per_run() {
    let asl = r#"{"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:work", "Next": "Save"},
        "Save": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "Next": "Tell"},
        "Tell": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": true}}}"#;
    let mut input = vec![("flow.asl.json".to_string(), asl.to_string())];
    input.extend(files(&["sample_1__ImageProcessingFilter__"]));
    let mapped = |f: &dyn Fn(&mut BatchOptions)| {
        let mut o = BatchOptions {
            mapping: vec![(input[1].0.clone(), "Work".into())],
            ..BatchOptions::default()
        };
        f(&mut o);
        import_batch(&input, None, &o)
    };
    let plain = mapped(&|_| {}).expect("imports");
    assert_eq!(
        plain
            .services
            .iter()
            .map(|s| (s.stage.as_str(), s.usd_per_run))
            .collect::<Vec<_>>(),
        [("Save", 0.0), ("Tell", 0.0)]
    );
    let priced = mapped(&|o| {
        o.service_latency_s = 0.25;
        o.service_latencies = vec![("Tell".into(), 0.04)];
        o.service_cost_usd = 2.0e-6;
        o.service_costs = vec![("Save".into(), 1.25e-6)];
    })
    .expect("imports");
    let latency = |b: &faasplan_core::formats::batch::Batch, s: &str| {
        b.profiles.stage(s).expect("runs").runs[0].compute.mean_s
    };
    assert_eq!(
        (latency(&priced, "Save"), latency(&priced, "Tell")),
        (0.25, 0.04)
    );
    assert_eq!(
        priced
            .services
            .iter()
            .map(|s| s.usd_per_run)
            .collect::<Vec<_>>(),
        [1.25e-6, 2.0e-6]
    );
    // Planned: the service stages cost exactly their prices, no function fees.
    let plan = |b: faasplan_core::formats::batch::Batch| {
        let mut platform = Preset::AwsX86_64.platform();
        platform.pricing.services = b.services;
        let project = Project {
            workflow: b.state_machine.expect("state machine").workflow,
            profiles: b.profiles,
            platform,
            settings: PlanSettings::default(),
        };
        pipeline::plan(&project, Limits::default()).expect("plans")
    };
    let free = plan(mapped(&|o| o.service_latency_s = 0.25).expect("imports"));
    let paid = plan(priced);
    let cost = |r: &faasplan_core::plan::PlanReport, s: &str| {
        r.stages
            .iter()
            .find(|x| x.stage == s)
            .expect("stage")
            .expected_cost_usd
    };
    assert_eq!(cost(&free, "Save"), 0.0);
    // Stored as f32 sample costs: within 2⁻²⁴ of the price.
    let f32_rounding = f64::from(f32::EPSILON) / 2.0;
    approx::assert_relative_eq!(cost(&paid, "Save"), 1.25e-6, max_relative = f32_rounding);
    approx::assert_relative_eq!(cost(&paid, "Tell"), 2.0e-6, max_relative = f32_rounding);
    assert_eq!(cost(&free, "Work"), cost(&paid, "Work"));
    // A name that is no service stage, or a negative price, is refused.
    let e = mapped(&|o| o.service_costs = vec![("Work".into(), 1.0)]).unwrap_err();
    assert_eq!(e.file, "flow.asl.json");
    assert!(e.message.contains("service stages: Save, Tell"), "{e}");
    let e = mapped(&|o| o.service_latency_s = -1.0).unwrap_err();
    assert!(e.message.contains("at least 0"), "{e}");
}

/// A cycle's body is planned once with the runs measured for it; another
/// loop count keeps the stages, the runs and the user's edits.
#[test]
fn a_loops_body_keeps_its_measured_runs_at_any_loop_count() {
    let mut input = files(&["powertuning__statemachine"]);
    input.push((
        "publisher.log".into(),
        sample!("report-logs/powertuning__test-utils.js__textLog.log").into(),
    ));
    let options = BatchOptions {
        mapping: vec![("publisher.log".into(), "Publisher".into())],
        ..BatchOptions::default()
    };
    let batch = import_batch(&input, None, &options).expect("imports");
    let runs = |s: &str| batch.profiles.stage(s).map(|p| p.runs.clone());
    assert!(runs("Publisher").is_some());
    assert!(runs("Executor").is_none(), "other states stay unmeasured");
    let sm = batch.state_machine.as_ref().expect("state machine");
    assert_eq!(sm.workflow.loops[0].iterations, 3);
    use faasplan_core::formats::batch::with_loop_iterations;
    let (five, p5) = with_loop_iterations(sm, &batch.profiles, 5).expect("re-imports");
    assert_eq!(five.workflow.stages.len(), sm.workflow.stages.len());
    assert_eq!(five.workflow.edges, sm.workflow.edges);
    assert_eq!(five.workflow.loops[0].iterations, 5);
    assert_eq!(
        p5.stage("Publisher").map(|p| p.runs.clone()),
        runs("Publisher")
    );
    let (one, p1) = with_loop_iterations(&five, &p5, 1).expect("re-imports");
    assert_eq!(one.workflow.loops[0].iterations, 1);
    assert_eq!(
        p1.stage("Publisher").map(|p| p.runs.clone()),
        runs("Publisher")
    );
    assert!(
        one.notes
            .iter()
            .any(|n| n.contains("run 1 times per execution")),
        "{:?}",
        one.notes
    );
}

/// A cycle whose body is not a chain (parallel branches) is unrolled; the
/// copies share the runs measured for the state they copy.
#[test]
fn an_unrolled_cycles_copies_share_the_measured_runs() {
    let input = vec![
        ("fan.asl.json".to_string(), FAN_LOOP.to_string()),
        (
            "left.log".to_string(),
            sample!("report-logs/powertuning__test-utils.js__textLog.log").to_string(),
        ),
    ];
    let options = BatchOptions {
        mapping: vec![("left.log".into(), "Left".into())],
        ..BatchOptions::default()
    };
    let batch = import_batch(&input, None, &options).expect("imports");
    let sm = batch.state_machine.as_ref().expect("state machine");
    assert!(sm.workflow.loops.is_empty());
    let runs = |s: &str| batch.profiles.stage(s).map(|p| p.runs.clone());
    assert!(runs("Left").is_some());
    assert_eq!(runs("Left #2"), runs("Left"));
    assert_eq!(runs("Left #3"), runs("Left"));
    assert!(
        sm.notes.iter().any(|n| n.contains("unrolled 3 times")),
        "{:?}",
        sm.notes
    );
}

/// A polling loop around a Parallel state: its body is not a chain.
pub(crate) const FAN_LOOP: &str = r#"{
  "StartAt": "Fan",
  "States": {
    "Fan": {
      "Type": "Parallel",
      "Branches": [
        {"StartAt": "Left", "States": {"Left": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:left", "End": true}}},
        {"StartAt": "Right", "States": {"Right": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:right", "End": true}}}
      ],
      "Next": "Done?"
    },
    "Done?": {
      "Type": "Choice",
      "Choices": [{"Variable": "$.done", "BooleanEquals": false, "Next": "Fan"}],
      "Default": "Finish"
    },
    "Finish": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:finish", "End": true}
  }
}"#;

/// A SAM template whose `Resize` function is declared on arm64 (and `Thumb`
/// on the global x86_64), with its state machine calling both.
const ARCH_TEMPLATE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Architectures: [x86_64]
Resources:
  Resize:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: resize-fn
      Architectures:
        - arm64
  Thumb:
    Type: AWS::Serverless::Function
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: A
        States:
          A:
            Type: Task
            Resource: arn:aws:lambda:us-east-1:1:function:resize-fn
            Next: B
          B:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Parameters:
              FunctionName: ${ThumbArn}
            End: true
      DefinitionSubstitutions:
        ThumbArn: !GetAtt Thumb.Arn
"#;

#[test]
fn runs_take_the_architecture_of_their_file_their_template_or_the_user() {
    use faasplan_core::arch::Arch;
    let url = sample!("powertuning/powertuning-ui__README__demo-visualization-urls.txt");
    let log = sample!("report-logs/powertuning__test-utils.js__textLog.log");
    let input = vec![
        ("template.yaml".to_string(), ARCH_TEMPLATE.to_string()),
        ("a.log".to_string(), log.to_string()),
        ("b.log".to_string(), log.to_string()),
        ("compare.txt".to_string(), url.to_string()),
    ];
    let archs = |options: &BatchOptions, stage: &str| -> Vec<Option<Arch>> {
        let batch = import_batch(&input, None, options).expect("imports");
        let runs = &batch.profiles.stage(stage).expect("runs").runs;
        let mut a: Vec<_> = runs.iter().map(|r| r.architecture).collect();
        a.dedup();
        a
    };
    let mapping = vec![
        ("a.log".to_string(), "A".to_string()),
        ("b.log".to_string(), "B".to_string()),
        ("compare.txt".to_string(), "B".to_string()),
    ];
    let options = BatchOptions {
        mapping: mapping.clone(),
        ..BatchOptions::default()
    };
    let batch = import_batch(&input, None, &options).expect("imports");
    let sm = batch.state_machine.as_ref().expect("state machine");
    assert_eq!(
        sm.architectures,
        [
            ("A".to_string(), Arch::Arm64),
            ("B".to_string(), Arch::X86_64)
        ]
        .into()
    );
    // A's log takes the template's arm64; B's log the global x86_64, the
    // comparison's runs their legends (none for the plain URL: the template's).
    assert_eq!(archs(&options, "A"), [Some(Arch::Arm64)]);
    assert_eq!(
        archs(&options, "B"),
        [Some(Arch::X86_64), Some(Arch::Arm64)]
    );
    // The user's setting for one file comes before the template; the one for
    // every file only where nothing else says.
    let options = BatchOptions {
        mapping: mapping.clone(),
        measured_on: vec![(Some("a.log".into()), Arch::X86_64), (None, Arch::Arm64)],
        ..BatchOptions::default()
    };
    assert_eq!(archs(&options, "A"), [Some(Arch::X86_64)]);
    assert_eq!(
        archs(&options, "B"),
        [Some(Arch::X86_64), Some(Arch::Arm64)]
    );
    // Without a template the global setting marks the logs.
    let plain = r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:resize-fn", "End": true}}}"#;
    let input2 = vec![
        ("flow.asl.json".to_string(), plain.to_string()),
        ("a.log".to_string(), log.to_string()),
    ];
    let options = BatchOptions {
        mapping: vec![("a.log".to_string(), "A".to_string())],
        measured_on: vec![(None, Arch::Arm64)],
        ..BatchOptions::default()
    };
    let batch = import_batch(&input2, None, &options).expect("imports");
    assert!(
        batch
            .profiles
            .stage("A")
            .expect("runs")
            .runs
            .iter()
            .all(|r| r.architecture == Some(Arch::Arm64))
    );
    // A malformed list names its place.
    let bad = ARCH_TEMPLATE.replace("        - arm64", "        - sparc");
    let e = import_batch(
        &[("template.yaml".to_string(), bad)],
        None,
        &BatchOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.file, "template.yaml");
    assert!(
        e.message
            .contains("Resources.Resize.Properties.Architectures"),
        "{e}"
    );
}
