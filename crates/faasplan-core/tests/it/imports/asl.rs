//! Step Functions state machines: the real samples and the forms they do not cover.

use faasplan_core::dag::StageKind;
use faasplan_core::formats::asl::{
    AslImport, AslOptions, Invoke, QueryLanguage, import_state_machine,
};

use super::sample;

fn import(text: &str) -> AslImport {
    let i = import_state_machine(text, &AslOptions::default()).expect("imports");
    i.workflow.validate().expect("a valid DAG");
    i
}

fn ids(i: &AslImport) -> Vec<&str> {
    i.workflow.stages.iter().map(|s| s.id.as_str()).collect()
}

fn edges(i: &AslImport) -> Vec<(String, String)> {
    let mut e: Vec<(String, String)> = i
        .workflow
        .edges
        .iter()
        .map(|e| (e.from.clone(), e.to.clone()))
        .collect();
    e.sort();
    e
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut e: Vec<(String, String)> = list
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    e.sort();
    e
}

fn function(i: &AslImport, id: &str) -> (String, Option<String>) {
    match &i.stages.iter().find(|s| s.id == id).expect("stage").invoke {
        Invoke::Lambda(f) => (f.name.clone(), f.qualifier.clone()),
        other => panic!("{id}: not a Lambda stage: {other:?}"),
    }
}

fn stage<'a>(i: &'a AslImport, id: &str) -> &'a faasplan_core::dag::Stage {
    i.workflow
        .stages
        .iter()
        .find(|s| s.id == id)
        .expect("stage")
}

#[test]
fn parrotfish_image_processing_is_a_chain_of_six_lambda_stages() {
    let i = import(sample!(
        "asl/parrotfish__ImageProcessing__state_machine.json"
    ));
    assert_eq!(
        ids(&i),
        [
            "GetInput",
            "Flip",
            "Rotate",
            "Filter",
            "GrayScale",
            "Resize"
        ]
    );
    assert_eq!(
        edges(&i),
        pairs(&[
            ("GetInput", "Flip"),
            ("Flip", "Rotate"),
            ("Rotate", "Filter"),
            ("Filter", "GrayScale"),
            ("GrayScale", "Resize")
        ])
    );
    assert_eq!(
        function(&i, "Flip"),
        ("ImageProcessingFlip".into(), Some("$LATEST".into()))
    );
    assert!(
        i.workflow
            .stages
            .iter()
            .all(|s| s.kind == StageKind::Single && s.fixed.is_none())
    );
    assert!(
        i.notes.iter().any(|n| n.contains("retried")),
        "{:?}",
        i.notes
    );
}

#[test]
fn parrotfish_regression_tuning_forks_and_joins() {
    let i = import(sample!(
        "asl/parrotfish__RegressionTuning__state_machine.json"
    ));
    assert_eq!(i.workflow.stages.len(), 5);
    assert_eq!(
        edges(&i),
        pairs(&[
            ("GetInput", "CreateDataset"),
            ("CreateDataset", "FirstModel"),
            ("CreateDataset", "SecondModel"),
            ("FirstModel", "JoinRuns"),
            ("SecondModel", "JoinRuns")
        ])
    );
}

#[test]
fn parrotfish_video_analytics_map_without_max_concurrency_is_unbounded() {
    let i = import(sample!(
        "asl/parrotfish__VideoAnalytics__state_machine.json"
    ));
    assert_eq!(
        ids(&i),
        [
            "Get Input",
            "Video Streaming",
            "Decoder",
            "Image Recognition"
        ]
    );
    let s = stage(&i, "Image Recognition");
    assert_eq!(s.kind, StageKind::Parallel);
    // Unbounded inline Map: at most 40 iterations at a time.
    assert_eq!(s.allowed_d.last(), Some(&40));
    let map = i.stages[3].map.as_ref().expect("in a Map");
    assert_eq!(
        (map.state.as_str(), map.max_concurrency, map.distributed),
        ("Map", None, false)
    );
}

#[test]
fn power_tuning_machine_with_unquoted_placeholders_and_a_loop() {
    let text = sample!("asl/powertuning__statemachine.asl.json");
    let one = import_state_machine(
        text,
        &AslOptions {
            loop_iterations: 1,
            ..AslOptions::default()
        },
    )
    .expect("imports");
    assert_eq!(
        ids(&one),
        [
            "Initializer",
            "Publisher",
            "Executor",
            "Cleaner",
            "Analyzer",
            "Optimizer"
        ]
    );
    assert_eq!(one.loops, ["IsCountReached -> Publisher"]);
    assert_eq!(function(&one, "Executor").0, "executorArn");
    assert_eq!(stage(&one, "Executor").kind, StageKind::Parallel);
    assert_eq!(one.workflow.loops.len(), 1);
    // Three passes through the Publisher loop, then on: the body (Publisher,
    // a chain of one stage) is planned once and runs three times.
    let three = import(text);
    assert_eq!(ids(&three), ids(&one));
    assert_eq!(
        edges(&three),
        pairs(&[
            ("Initializer", "Publisher"),
            ("Publisher", "Executor"),
            ("Executor", "Cleaner"),
            ("Cleaner", "Analyzer"),
            ("Analyzer", "Optimizer")
        ])
    );
    assert_eq!(
        three.workflow.loops,
        [faasplan_core::dag::Loop {
            name: "IsCountReached -> Publisher".into(),
            stages: vec!["Publisher".into()],
            iterations: 3,
        }]
    );
    assert_eq!(three.workflow.repeats(), [1, 3, 1, 1, 1, 1]);
    three.workflow.validate().expect("a valid workflow");
    assert!(
        three
            .notes
            .iter()
            .any(|n| n.contains("run 3 times per execution")),
        "{:?}",
        three.notes
    );
    assert!(three.notes.iter().any(|n| n.contains("Catch")));
}

#[test]
fn get_function_status_pagination_loop_and_service_tasks() {
    let text = sample!(
        "asl/serverless-patterns__eventbridge-stepfunction-lambda-getfunctionstatus__definition.asl.json"
    );
    let i = import_state_machine(
        text,
        &AslOptions {
            loop_iterations: 1,
            ..AslOptions::default()
        },
    )
    .expect("imports");
    assert_eq!(
        ids(&i),
        [
            "ListFunctions",
            "Lambda Invoke - Combine data",
            "GetFunction",
            "SNS Publish"
        ]
    );
    assert!(
        matches!(i.stages[0].invoke, Invoke::Service(ref r) if r.ends_with("aws-sdk:lambda:listFunctions"))
    );
    assert!(stage(&i, "ListFunctions").fixed.is_some());
    assert_eq!(
        function(&i, "Lambda Invoke - Combine data").0,
        "LambdaFunctionArn"
    );
    assert_eq!(i.choices.len(), 3);
    let two = import_state_machine(
        text,
        &AslOptions {
            loop_iterations: 2,
            ..AslOptions::default()
        },
    )
    .expect("imports");
    // The pagination cycle's body (ListFunctions, then the combining
    // function) is a chain: planned once, run twice.
    assert_eq!(two.workflow.stages.len(), 4);
    assert_eq!(
        two.workflow.loops[0].stages,
        ["ListFunctions", "Lambda Invoke - Combine data"]
    );
    assert_eq!(two.workflow.loops[0].iterations, 2);
    assert_eq!(two.workflow.repeats(), [2, 2, 1, 1]);
}

#[test]
fn replay_events_choice_inside_a_map_with_max_concurrency_40() {
    let i = import(sample!(
        "asl/sfn-workflows-collection__eventbridge-replay-events__statemachine.asl.json"
    ));
    assert_eq!(ids(&i), ["Convert past event to today", "Simulate Event"]);
    assert_eq!(
        edges(&i),
        pairs(&[("Convert past event to today", "Simulate Event")])
    );
    let s = stage(&i, "Convert past event to today");
    assert_eq!(s.allowed_d, [1, 2, 4, 8, 16, 32, 40]);
    assert_eq!(i.choices[0].alternatives, ["Wait", "Pass"]);
}

#[test]
fn image_processing_app_map_max_concurrency_5_is_the_d_limit() {
    let i = import(sample!(
        "asl/sfn-workflows-collection__image-processing-app__statemachine.asl.json"
    ));
    assert_eq!(
        ids(&i),
        [
            "Create S3 Bucket",
            "Get Cheque IDs",
            "Generate Cheque Images",
            "Generate Zip File"
        ]
    );
    assert_eq!(stage(&i, "Generate Cheque Images").allowed_d, [1, 2, 4, 5]);
    assert_eq!(
        function(&i, "Generate Zip File"),
        ("ZipImages".into(), None)
    );
    assert_eq!(i.workflow.edges.len(), 3);
}

#[test]
fn distributed_map_with_bare_function_names() {
    let i = import(sample!(
        "asl/sfn-workflows-collection__migrate-csv-to-ddb-distributed-map-main__statemachine.asl.json"
    ));
    assert_eq!(
        ids(&i),
        [
            "Validate, Transform, and Migrate Items",
            "Consolidate Migration",
            "Publish Results"
        ]
    );
    let map = i.stages[0].map.as_ref().expect("in a Map");
    assert!(map.distributed && map.batched);
    assert_eq!(map.max_concurrency, Some(100));
    assert_eq!(
        stage(&i, "Validate, Transform, and Migrate Items")
            .allowed_d
            .last(),
        Some(&100)
    );
    assert_eq!(
        function(&i, "Consolidate Migration").0,
        "MigrateCSVToDDBDistribute-MigrationWorkflowConsoli-XfEZCwVAtxFM"
    );
    assert!(stage(&i, "Publish Results").fixed.is_some());
}

#[test]
fn placeholder_with_a_qualifier() {
    let i = import(sample!(
        "asl/sfn-workflows-collection__sfn-dynamodb-batchwriteitem__statemachine.asl.json"
    ));
    assert_eq!(ids(&i), ["Get Items To Process", "BatchWriteItem"]);
    assert_eq!(
        function(&i, "Get Items To Process"),
        ("LambdaFunctionARN".into(), Some("$LATEST".into()))
    );
}

pub(crate) const SAM_TEMPLATE: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  ResizeFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      MemorySize: 512
  Pipeline:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionSubstitutions:
        ResizeArn: !GetAtt ResizeFunction.Arn
      Definition:
        QueryLanguage: JSONata
        StartAt: Resize
        States:
          Resize:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Arguments:
              FunctionName: ${ResizeArn}
              Payload: "{% $states.input %}"
            Next: Fan
          Fan:
            Type: Map
            MaxConcurrency: 8
            ItemProcessor:
              ProcessorConfig: {Mode: INLINE}
              StartAt: Thumb
              States:
                Thumb:
                  Type: Task
                  Resource: !GetAtt ThumbFunction.Arn
                  End: true
            Next: Pick
          Pick:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Arguments:
              FunctionName: "{% $states.input.target %}"
            End: true
"#;

#[test]
fn sam_template_in_yaml_with_short_form_tags_and_jsonata() {
    let i = import(SAM_TEMPLATE);
    assert_eq!(ids(&i), ["Resize", "Thumb", "Pick"]);
    assert_eq!(i.query_language, QueryLanguage::Jsonata);
    assert_eq!(function(&i, "Resize").0, "ResizeFunction");
    assert_eq!(function(&i, "Thumb").0, "ThumbFunction");
    assert_eq!(stage(&i, "Thumb").allowed_d, [1, 2, 4, 8]);
    assert!(matches!(i.stages[2].invoke, Invoke::Dynamic(_)));
    assert!(
        i.notes
            .iter()
            .any(|n| n.contains("Pick: the function is chosen at run time"))
    );
}

#[test]
fn cloudformation_definition_string_with_fn_sub_in_json_and_yaml() {
    let json = r#"{"Resources": {"M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "DefinitionString": {"Fn::Sub": ["{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Task\", \"Resource\": \"${Fn}\", \"TimeoutSeconds\": ${T}, \"Next\": \"B\"}, \"B\": {\"Type\": \"Task\", \"Resource\": \"arn:aws:states:::lambda:invoke\", \"Parameters\": {\"FunctionName\": \"arn:aws:lambda:eu-west-1:123456789012:function:b:prod\"}, \"End\": true}}}",
            {"Fn": {"Fn::GetAtt": ["AFunction", "Arn"]}}]}}}}}"#;
    let i = import(json);
    assert_eq!(ids(&i), ["A", "B"]);
    assert_eq!(function(&i, "A").0, "AFunction");
    assert_eq!(function(&i, "B"), ("b".into(), Some("prod".into())));
    let yaml = "Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      DefinitionString: !Sub |\n        {\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Task\", \"Resource\": \"arn:aws:lambda:us-east-1:1:function:${Name}\", \"End\": true}}}\n";
    let i = import(yaml);
    assert_eq!(function(&i, "A").0, "${Name}");
}

#[test]
fn definition_uri_is_named_not_fetched() {
    let yaml = "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: statemachine/flow.asl.json\n";
    let e = import_state_machine(yaml, &AslOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("statemachine/flow.asl.json, which is not in this file"),
        "{e}"
    );
    assert!(e.place.contains("Resources.M"), "{e}");
}

#[test]
fn asl_in_yaml_and_dynamic_function_names() {
    let yaml = "StartAt: A\nStates:\n  A:\n    Type: Task\n    Resource: arn:aws:states:::lambda:invoke\n    Parameters:\n      FunctionName.$: $.fn\n    Next: W\n  W:\n    Type: Wait\n    Seconds: 5\n    Next: P\n  P:\n    Type: Parallel\n    Branches:\n      - StartAt: X\n        States:\n          X: {Type: Task, Resource: 'arn:aws:lambda:us-east-1:1:function:x', End: true}\n      - StartAt: Y\n        States:\n          Y: {Type: Pass, End: true}\n    Next: Done\n  Done:\n    Type: Succeed\n";
    let i = import(yaml);
    assert_eq!(ids(&i), ["A", "X"]);
    assert_eq!(edges(&i), pairs(&[("A", "X")]));
    assert!(matches!(&i.stages[0].invoke, Invoke::Dynamic(e) if e == "$.fn"));
}

#[test]
fn broken_machines_say_where() {
    let cases = [
        (
            r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "x"}}}"#,
            "States.A.Next",
        ),
        (
            r#"{"StartAt": "B", "States": {"A": {"Type": "Succeed"}}}"#,
            "StartAt",
        ),
        (
            r#"{"StartAt": "A", "States": {"A": {"Type": "Teleport", "End": true}}}"#,
            "States.A.Type",
        ),
        (
            r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Z"}}}"#,
            "States.A",
        ),
        (
            r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}"#,
            "States",
        ),
        ("{\"StartAt\": \"A\",\n \"States\": {", "line 2"),
        ("StartAt: A\nStates: [1, 2\n", "line"),
    ];
    for (text, place) in cases {
        let e = import_state_machine(text, &AslOptions::default()).unwrap_err();
        assert!(e.place.starts_with(place), "{text}: {e}");
    }
}
