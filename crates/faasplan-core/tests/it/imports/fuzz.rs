//! Seeded mutation fuzz of the AWS importers: every sample, SAM and
//! CloudFormation templates (YAML with JSONata, JSON `DefinitionString` with
//! `Fn::Sub`), state machines with loops, and the log wrappers the samples
//! lack (`get-log-events` JSON, `sam logs` output, a console paste),
//! mutated by byte flips, truncations, token insertions, deletions and
//! duplications, goes through detection, its importer and the batch import.
//! Nothing panics; every error names the file (batch) and a place in it.

use faasplan_core::formats::asl::{AslOptions, import_state_machine};
use faasplan_core::formats::batch::{BatchOptions, import_batch};
use faasplan_core::formats::detect::detect;
use faasplan_core::formats::lambda_logs::import_logs;
use faasplan_core::formats::power_tuning::import_tuning;
use faasplan_core::rng::{stream, uniform};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::ALL;

const TOKENS: [&str; 26] = [
    ",",
    "\"",
    "[",
    "]",
    "{",
    "}",
    ":",
    "-",
    "0",
    "1e999",
    "-1",
    "null",
    "\n",
    "\t",
    "${X}",
    "!Sub ",
    "  ",
    "#",
    "```",
    ";",
    "=",
    "REPORT RequestId: ",
    "Duration: ",
    " ms",
    "é",
    "\\t",
];

fn below(rng: &mut Xoshiro256PlusPlus, n: usize) -> usize {
    ((uniform(rng) * n as f64) as usize).min(n.saturating_sub(1))
}

fn mutate(rng: &mut Xoshiro256PlusPlus, base: &str) -> String {
    let mut bytes = base.as_bytes().to_vec();
    for _ in 0..1 + below(rng, 3) {
        let at = below(rng, bytes.len() + 1);
        match below(rng, 5) {
            0 if at < bytes.len() => bytes[at] ^= 1 << below(rng, 8),
            1 => bytes.truncate(at),
            2 => {
                let tok = TOKENS[below(rng, TOKENS.len())];
                bytes.splice(at..at, tok.bytes());
            }
            3 => {
                let end = (at + below(rng, 40)).min(bytes.len());
                bytes.drain(at..end);
            }
            _ => {
                let end = (at + below(rng, 40)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

const TEMPLATE: &str = "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Definition:\n        StartAt: A\n        States:\n          A:\n            Type: Task\n            Resource: !GetAtt F.Arn\n            Next: B\n          B:\n            Type: Map\n            MaxConcurrency: 4\n            ItemProcessor:\n              StartAt: C\n              States:\n                C: {Type: Task, Resource: !Sub 'arn:aws:lambda:${AWS::Region}:1:function:c', End: true}\n            End: true\n";

/// A JSON `DefinitionString` template with `Fn::Sub` and an unquoted placeholder.
const DEFINITION_STRING: &str = r#"{"Resources": {"M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
    "DefinitionString": {"Fn::Sub": ["{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Task\", \"Resource\": \"${Fn}\", \"TimeoutSeconds\": ${T}, \"End\": true}}}",
        {"Fn": {"Fn::GetAtt": ["AFunction", "Arn"]}}]}}}}}"#;

/// A polling loop: Task, Wait, Choice back to the Task.
const POLLING: &str = r#"{"StartAt": "Start", "States": {
  "Start": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:start", "Next": "Poll"},
  "Poll": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "poll:live"}, "Next": "Wait"},
  "Wait": {"Type": "Wait", "Seconds": 5, "Next": "Done?"},
  "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.done", "BooleanEquals": false, "Next": "Poll"}], "Default": "End"},
  "End": {"Type": "Succeed"}}}"#;

const GET_LOG_EVENTS: &str = r#"{"events": [
  {"timestamp": 1, "message": "START RequestId: 11111111-2222-3333-4444-555555555555 Version: $LATEST
", "ingestionTime": 2},
  {"timestamp": 2, "message": "REPORT RequestId: 11111111-2222-3333-4444-555555555555	Duration: 5.0 ms	Billed Duration: 5 ms	Memory Size: 128 MB	Max Memory Used: 40 MB	Init Duration: 120.5 ms	
", "ingestionTime": 3}
], "nextForwardToken": "f/1", "nextBackwardToken": "b/1"}"#;

const SUBSCRIPTION: &str = r#"{"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/lambda/resize", "logStream": "2024/05/01/[$LATEST]0a1b", "subscriptionFilters": ["f"], "logEvents": [{"id": "1", "timestamp": 1, "message": "REPORT RequestId: 11111111-2222-3333-4444-555555555555\tDuration: 5.0 ms\tBilled Duration: 5 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t\n"}]}"#;

const SAM_LOGS: &str = "2024/05/01/[$LATEST]0a1b2c 2024-05-01T10:00:00.000000 START RequestId: 11111111-2222-3333-4444-555555555555 Version: $LATEST\n2024/05/01/[$LATEST]0a1b2c 2024-05-01T10:00:00.100000 REPORT RequestId: 11111111-2222-3333-4444-555555555555\tDuration: 20.5 ms\tBilled Duration: 21 ms\tMemory Size: 1024 MB\tMax Memory Used: 60 MB\tInit Duration: 250.1 ms\n";

const CONSOLE_PASTE: &str = "Timestamp\tMessage\n2024-05-01T10:00:00.000+02:00\tSTART RequestId: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee Version: $LATEST\n2024-05-01T10:00:00.020+02:00\tREPORT RequestId: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee Duration: 3.25 ms Billed Duration: 4 ms Memory Size: 256 MB Max Memory Used: 60 MB\n";

fn places_are_named(place: &str, what: &str) {
    assert!(!place.trim().is_empty(), "an error without a place: {what}");
}

#[test]
fn mutated_files_never_panic_and_errors_say_where() {
    let mut rng = stream(0x001f_0a75, 0);
    let mut bases: Vec<(&str, &str)> = ALL.to_vec();
    bases.push(("template.yaml", TEMPLATE));
    bases.push(("sam-jsonata.yaml", super::asl::SAM_TEMPLATE));
    bases.push(("definition-string.json", DEFINITION_STRING));
    bases.push(("polling.asl.json", POLLING));
    bases.push(("fan-loop.asl.json", super::batch::FAN_LOOP));
    bases.push(("get-log-events.json", GET_LOG_EVENTS));
    bases.push(("sam-logs.txt", SAM_LOGS));
    bases.push(("subscription.json", SUBSCRIPTION));
    bases.push(("console.txt", CONSOLE_PASTE));
    let options = AslOptions {
        loop_iterations: 4,
        ..AslOptions::default()
    };
    let mut errors = 0usize;
    for round in 0..120 {
        for (path, base) in &bases {
            let text = mutate(&mut rng, base);
            let name = path.rsplit('/').next().unwrap_or(path);
            let _ = detect(name, &text);
            if let Err(e) = import_state_machine(&text, &options) {
                places_are_named(&e.place, &e.to_string());
                errors += 1;
            }
            if let Err(e) = import_logs(&text) {
                places_are_named(&e.place, &e.to_string());
            }
            if let Err(e) = import_tuning(&text) {
                places_are_named(&e.place, &e.to_string());
            }
            if round % 4 == 0 {
                let files = vec![
                    (ALL[0].0.to_string(), ALL[0].1.to_string()),
                    (name.to_string(), text.clone()),
                ];
                if let Err(e) = import_batch(&files, None, &BatchOptions::default()) {
                    assert!(e.file == name || e.file == ALL[0].0, "{e}");
                    assert!(!e.message.is_empty());
                }
            }
        }
    }
    assert!(
        errors > 100,
        "the mutations reach the error paths ({errors})"
    );
}

/// The fuzz starts from inputs that import: the templates and loops as state
/// machines (the polling loop planned once, the fan-out loop unrolled), the
/// log wrappers with their runs.
#[test]
fn the_extra_bases_import_before_mutation() {
    let options = AslOptions::default();
    for (name, text) in [
        ("template.yaml", TEMPLATE),
        ("sam-jsonata.yaml", super::asl::SAM_TEMPLATE),
        ("definition-string.json", DEFINITION_STRING),
        ("fan-loop.asl.json", super::batch::FAN_LOOP),
    ] {
        import_state_machine(text, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let poll = import_state_machine(POLLING, &options).expect("imports");
    let ids: Vec<&str> = poll.workflow.stages.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["Start", "Poll"]);
    assert_eq!(poll.workflow.loops.len(), 1);
    assert_eq!(poll.workflow.loops[0].stages, ["Poll"]);
    assert_eq!(poll.workflow.loops[0].name, "Done? -> Poll");
    let fan = import_state_machine(super::batch::FAN_LOOP, &options).expect("imports");
    assert!(fan.workflow.loops.is_empty());
    assert_eq!(
        fan.workflow.stages.len(),
        7,
        "Left, Right three times, and Finish"
    );
    assert!(
        fan.notes
            .iter()
            .any(|n| n.contains("not the only") || n.contains("must be a chain")),
        "{:?}",
        fan.notes
    );
    for (name, text) in [
        ("get-log-events.json", GET_LOG_EVENTS),
        ("subscription.json", SUBSCRIPTION),
        ("sam-logs.txt", SAM_LOGS),
        ("console.txt", CONSOLE_PASTE),
    ] {
        let logs = import_logs(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(logs.runs.len(), 1, "{name}");
    }
}
