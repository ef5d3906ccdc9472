//! Deploy-ready exports: re-importing the exported state machine gives the same DAG.

use faasplan_core::dag::Config;
use faasplan_core::export::{
    StageConfigs, cloudformation_parameters, function_memory, parameter_overrides, state_machine,
    tfvars, update_script,
};
use faasplan_core::formats::asl::{AslImport, AslOptions, import_state_machine};

use super::ALL;

fn planned(i: &AslImport) -> StageConfigs {
    i.workflow
        .stages
        .iter()
        .map(|s| {
            let d = *s.allowed_d.last().unwrap_or(&1);
            (
                s.id.clone(),
                Config {
                    memory_mb: 1024,
                    d: d.min(16),
                },
            )
        })
        .collect()
}

#[test]
fn every_sample_state_machine_round_trips_through_the_export() {
    for (path, text) in ALL.iter().filter(|(p, _)| p.starts_with("asl/")) {
        let options = AslOptions::default();
        let i = import_state_machine(text, &options).expect(path);
        let configs = planned(&i);
        let exported = state_machine(&i, &configs).expect(path);
        let again = import_state_machine(&exported, &options).expect(path);
        assert_eq!(again.workflow.edges, i.workflow.edges, "{path}");
        assert_eq!(again.workflow.choices, i.workflow.choices, "{path}");
        let ids = |w: &AslImport| {
            w.workflow
                .stages
                .iter()
                .map(|s| s.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&again), ids(&i), "{path}");
        for s in &again.stages {
            if let Some(m) = &s.map {
                let planned_d = again
                    .stages
                    .iter()
                    .filter(|t| t.map.as_ref().is_some_and(|tm| tm.pointer == m.pointer))
                    .map(|t| configs[&t.id].d)
                    .max();
                assert_eq!(m.max_concurrency, planned_d, "{path}: {}", s.id);
            }
        }
        assert_eq!(
            again.stages.iter().map(|s| &s.invoke).collect::<Vec<_>>(),
            i.stages.iter().map(|s| &s.invoke).collect::<Vec<_>>()
        );
    }
}

#[test]
fn memory_exports_name_every_function() {
    let text = ALL
        .iter()
        .find(|(p, _)| p.contains("image-processing-app"))
        .expect("sample")
        .1;
    let i = import_state_machine(text, &AslOptions::default()).expect("imports");
    let configs = planned(&i);
    let fns = function_memory(&i, &configs).expect("memory");
    assert_eq!(fns.len(), 4);
    let script = update_script(&i, &configs).expect("script");
    assert!(script.contains(
        "aws lambda update-function-configuration --function-name 'arn:aws:lambda:us-east-1:569294346996:function:ZipImages' --memory-size 1024\n"
    ));
    let tf = tfvars(&i, &configs).expect("tfvars");
    assert!(
        tf.contains(
            "  \"arn:aws:lambda:us-east-1:569294346996:function:GetChequeImages\" = 1024\n"
        ),
        "{tf}"
    );
    let po = parameter_overrides(&i, &configs).expect("overrides");
    assert!(
        po.lines()
            .last()
            .unwrap_or("")
            .contains("ZipImagesMemorySize=1024"),
        "{po}"
    );
    let cfn: serde_json::Value =
        serde_json::from_str(&cloudformation_parameters(&i, &configs).expect("cfn")).expect("json");
    assert_eq!(cfn.as_array().map(Vec::len), Some(4));
    // A qualifier is dropped: update-function-configuration takes none.
    let parrot = ALL
        .iter()
        .find(|(p, _)| p.contains("parrotfish__Image"))
        .expect("sample")
        .1;
    let i = import_state_machine(parrot, &AslOptions::default()).expect("imports");
    let script = update_script(&i, &planned(&i)).expect("script");
    assert!(!script.contains("$LATEST"), "{script}");
}

/// Tasks naming one function (with or without a qualifier) and the copies of
/// an unrolled cycle's states share one memory size; the exported state
/// machine imports to the same groups.
#[test]
fn stages_of_one_function_share_its_memory_size() {
    let text = r#"{"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:work", "Next": "B"},
        "B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:1:function:work:live"}, "Next": "C"},
        "C": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:other", "Next": "D"},
        "D": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}}}"#;
    let i = import_state_machine(text, &AslOptions::default()).expect("imports");
    assert_eq!(i.workflow.shared.len(), 1);
    assert_eq!(
        i.workflow.shared[0].function,
        "arn:aws:lambda:us-east-1:1:function:work"
    );
    assert_eq!(i.workflow.shared[0].stages, ["A", "B"]);
    i.workflow.validate().expect("valid");
    let again = import_state_machine(
        &state_machine(&i, &planned(&i)).expect("exports"),
        &AslOptions::default(),
    )
    .expect("re-imports");
    assert_eq!(again.workflow.shared, i.workflow.shared);
    // An unrolled cycle: each state's copies are one group.
    let i = import_state_machine(super::batch::FAN_LOOP, &AslOptions::default()).expect("imports");
    let groups: Vec<Vec<String>> = i.workflow.shared.iter().map(|g| g.stages.clone()).collect();
    for state in ["Left", "Right"] {
        let want = vec![
            state.to_string(),
            format!("{state} #2"),
            format!("{state} #3"),
        ];
        assert!(groups.contains(&want), "{state}: {groups:?}");
    }
    assert!(
        !i.notes.iter().any(|n| n.contains("refuse")),
        "{:?}",
        i.notes
    );
}

/// The import ties a function's stages, so a plan of it never conflicts; the
/// check stays for a plan made otherwise (edited by hand, another workflow).
#[test]
fn conflicting_memory_for_one_function_is_an_error() {
    // Two states invoking one function, planned at two sizes.
    let text = r#"{"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:work", "Next": "B"},
        "B": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:work", "End": true}}}"#;
    let i = import_state_machine(text, &AslOptions::default()).expect("imports");
    let mut configs = planned(&i);
    configs.insert(
        "B".into(),
        Config {
            memory_mb: 2048,
            d: 1,
        },
    );
    let e = update_script(&i, &configs).unwrap_err();
    assert!(
        e.to_string()
            .contains("function arn:aws:lambda:us-east-1:1:function:work"),
        "{e}"
    );
    // The copies of an unrolled cycle: named, with what to do.
    let i = import_state_machine(super::batch::FAN_LOOP, &AslOptions::default()).expect("imports");
    let mut configs = planned(&i);
    configs.insert(
        "Left #2".into(),
        Config {
            memory_mb: 2048,
            d: 1,
        },
    );
    let e = tfvars(&i, &configs).unwrap_err().to_string();
    assert!(e.contains("Left") && e.contains("Left #2"), "{e}");
    assert!(e.contains("fix these stages to one memory size"), "{e}");
}

/// A loop's body has one configuration per function: every export works, and
/// the exported state machine imports to the same stages, edges and loop.
#[test]
fn a_planned_loop_exports_and_re_imports_to_the_same_dag() {
    let text = ALL
        .iter()
        .find(|(p, _)| p.contains("powertuning__statemachine"))
        .expect("sample")
        .1;
    let options = AslOptions {
        loop_iterations: 4,
        ..AslOptions::default()
    };
    let i = import_state_machine(text, &options).expect("imports");
    assert_eq!(i.workflow.loops[0].stages, ["Publisher"]);
    let mut configs = planned(&i);
    configs.insert(
        "Publisher".into(),
        Config {
            memory_mb: 1536,
            d: 1,
        },
    );
    let script = update_script(&i, &configs).expect("script");
    assert!(
        script.contains("--function-name '${publisherArn}' --memory-size 1536"),
        "{script}"
    );
    tfvars(&i, &configs).expect("tfvars");
    parameter_overrides(&i, &configs).expect("overrides");
    let machine = state_machine(&i, &configs).expect("state machine");
    let again = import_state_machine(&machine, &options).expect("re-imports");
    let ids = |w: &AslImport| {
        w.workflow
            .stages
            .iter()
            .map(|s| s.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&again), ids(&i));
    assert_eq!(again.workflow.edges, i.workflow.edges);
    assert_eq!(again.workflow.loops, i.workflow.loops);
}
