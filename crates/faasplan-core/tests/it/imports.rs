//! A user's own AWS files: every real sample in `tests/data/imports/` (see its
//! README for sources and licences) imports with the stages, edges, d limits
//! and run counts it must give, or is refused with a clear reason; the
//! decoded Power Tuning values match the README's reference values.

mod asl;
mod batch;
mod choice;
mod export;
#[cfg(not(target_arch = "wasm32"))]
mod fuzz;
mod logs;
mod tuning;

/// A sample file's text by its path under `tests/data/imports/`.
macro_rules! sample {
    ($path:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/imports/",
            $path
        ))
    };
}
pub(crate) use sample;

/// Every sample file: (path, text).
pub(crate) const ALL: &[(&str, &str)] = &[
    (
        "asl/parrotfish__ImageProcessing__state_machine.json",
        sample!("asl/parrotfish__ImageProcessing__state_machine.json"),
    ),
    (
        "asl/parrotfish__RegressionTuning__state_machine.json",
        sample!("asl/parrotfish__RegressionTuning__state_machine.json"),
    ),
    (
        "asl/parrotfish__VideoAnalytics__state_machine.json",
        sample!("asl/parrotfish__VideoAnalytics__state_machine.json"),
    ),
    (
        "asl/powertuning__statemachine.asl.json",
        sample!("asl/powertuning__statemachine.asl.json"),
    ),
    (
        "asl/serverless-patterns__eventbridge-stepfunction-lambda-getfunctionstatus__definition.asl.json",
        sample!(
            "asl/serverless-patterns__eventbridge-stepfunction-lambda-getfunctionstatus__definition.asl.json"
        ),
    ),
    (
        "asl/sfn-workflows-collection__eventbridge-replay-events__statemachine.asl.json",
        sample!("asl/sfn-workflows-collection__eventbridge-replay-events__statemachine.asl.json"),
    ),
    (
        "asl/sfn-workflows-collection__image-processing-app__statemachine.asl.json",
        sample!("asl/sfn-workflows-collection__image-processing-app__statemachine.asl.json"),
    ),
    (
        "asl/sfn-workflows-collection__migrate-csv-to-ddb-distributed-map-main__statemachine.asl.json",
        sample!(
            "asl/sfn-workflows-collection__migrate-csv-to-ddb-distributed-map-main__statemachine.asl.json"
        ),
    ),
    (
        "asl/sfn-workflows-collection__sfn-dynamodb-batchwriteitem__statemachine.asl.json",
        sample!("asl/sfn-workflows-collection__sfn-dynamodb-batchwriteitem__statemachine.asl.json"),
    ),
    (
        "report-logs/datadog-forwarder__integration-snapshots__cloudwatch_log_coldstart.json",
        sample!(
            "report-logs/datadog-forwarder__integration-snapshots__cloudwatch_log_coldstart.json"
        ),
    ),
    (
        "report-logs/datadog-forwarder__test_enhanced_lambda_metrics__cold_start_json_report.json",
        sample!(
            "report-logs/datadog-forwarder__test_enhanced_lambda_metrics__cold_start_json_report.json"
        ),
    ),
    (
        "report-logs/datadog-forwarder__test_enhanced_lambda_metrics__cold_start_report.log",
        sample!(
            "report-logs/datadog-forwarder__test_enhanced_lambda_metrics__cold_start_report.log"
        ),
    ),
    (
        "report-logs/datadog-forwarder__test_enhanced_lambda_metrics__standard_json_report.json",
        sample!(
            "report-logs/datadog-forwarder__test_enhanced_lambda_metrics__standard_json_report.json"
        ),
    ),
    (
        "report-logs/datadog-forwarder__test_enhanced_lambda_metrics__standard_report.log",
        sample!("report-logs/datadog-forwarder__test_enhanced_lambda_metrics__standard_report.log"),
    ),
    (
        "report-logs/powertuning__test-utils.js__LogResult01__dur1.0.b64",
        sample!("report-logs/powertuning__test-utils.js__LogResult01__dur1.0.b64"),
    ),
    (
        "report-logs/powertuning__test-utils.js__LogResult01__dur1.0.log",
        sample!("report-logs/powertuning__test-utils.js__LogResult01__dur1.0.log"),
    ),
    (
        "report-logs/powertuning__test-utils.js__LogResult02__dur2.0.b64",
        sample!("report-logs/powertuning__test-utils.js__LogResult02__dur2.0.b64"),
    ),
    (
        "report-logs/powertuning__test-utils.js__LogResult02__dur2.0.log",
        sample!("report-logs/powertuning__test-utils.js__LogResult02__dur2.0.log"),
    ),
    (
        "report-logs/powertuning__test-utils.js__LogResult03__dur3.0.b64",
        sample!("report-logs/powertuning__test-utils.js__LogResult03__dur3.0.b64"),
    ),
    (
        "report-logs/powertuning__test-utils.js__LogResult03__dur3.0.log",
        sample!("report-logs/powertuning__test-utils.js__LogResult03__dur3.0.log"),
    ),
    (
        "report-logs/powertuning__test-utils.js__invalidJSONLog.json",
        sample!("report-logs/powertuning__test-utils.js__invalidJSONLog.json"),
    ),
    (
        "report-logs/powertuning__test-utils.js__jsonLog.jsonl",
        sample!("report-logs/powertuning__test-utils.js__jsonLog.jsonl"),
    ),
    (
        "report-logs/powertuning__test-utils.js__jsonLogSnapStart.jsonl",
        sample!("report-logs/powertuning__test-utils.js__jsonLogSnapStart.jsonl"),
    ),
    (
        "report-logs/powertuning__test-utils.js__jsonMixedLog.log",
        sample!("report-logs/powertuning__test-utils.js__jsonMixedLog.log"),
    ),
    (
        "report-logs/powertuning__test-utils.js__textLog.log",
        sample!("report-logs/powertuning__test-utils.js__textLog.log"),
    ),
    (
        "report-logs/powertuning__test-utils.js__textLogSnapStart.log",
        sample!("report-logs/powertuning__test-utils.js__textLogSnapStart.log"),
    ),
    (
        "powertuning/powertuning-ui__README__demo-visualization-urls.txt",
        sample!("powertuning/powertuning-ui__README__demo-visualization-urls.txt"),
    ),
    (
        "powertuning/powertuning__README-SAR__state-machine-output.L176-187.json",
        sample!("powertuning/powertuning__README-SAR__state-machine-output.L176-187.json"),
    ),
    (
        "powertuning/powertuning__README__example-visualization-url.txt",
        sample!("powertuning/powertuning__README__example-visualization-url.txt"),
    ),
    (
        "powertuning/powertuning__README__state-machine-output.L121-133.jsonc",
        sample!("powertuning/powertuning__README__state-machine-output.L121-133.jsonc"),
    ),
    (
        "powertuning/powertuning__scripts__sample-execution-input.json",
        sample!("powertuning/powertuning__scripts__sample-execution-input.json"),
    ),
    (
        "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessingFilter__README.md",
        sample!(
            "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessingFilter__README.md"
        ),
    ),
    (
        "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessingFlip__README.md",
        sample!(
            "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessingFlip__README.md"
        ),
    ),
    (
        "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessingGetInput__README.md",
        sample!(
            "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessingGetInput__README.md"
        ),
    ),
    (
        "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessingGrayscale__README.md",
        sample!(
            "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessingGrayscale__README.md"
        ),
    ),
    (
        "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessingResize__README.md",
        sample!(
            "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessingResize__README.md"
        ),
    ),
    (
        "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessingRotate__README.md",
        sample!(
            "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessingRotate__README.md"
        ),
    ),
    (
        "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__README.md",
        sample!(
            "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__README.md"
        ),
    ),
    (
        "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__ImageProcessingFilter__README.md",
        sample!(
            "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__ImageProcessingFilter__README.md"
        ),
    ),
    (
        "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__ImageProcessingFlip__README.md",
        sample!(
            "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__ImageProcessingFlip__README.md"
        ),
    ),
    (
        "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__ImageProcessingGrayscale__README.md",
        sample!(
            "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__ImageProcessingGrayscale__README.md"
        ),
    ),
    (
        "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__ImageProcessingResize__README.md",
        sample!(
            "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__ImageProcessingResize__README.md"
        ),
    ),
    (
        "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__ImageProcessingRotate__README.md",
        sample!(
            "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__ImageProcessingRotate__README.md"
        ),
    ),
    (
        "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__README.md",
        sample!(
            "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__README.md"
        ),
    ),
];

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_list_holds_every_sample_file() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/imports");
    let mut on_disk = Vec::new();
    for dir in ["asl", "report-logs", "powertuning"] {
        for entry in std::fs::read_dir(format!("{root}/{dir}")).expect("sample dir") {
            let name = entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .to_string();
            on_disk.push(format!("{dir}/{name}"));
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = ALL.iter().map(|(p, _)| p.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

/// Every sample is detected as its kind (the two summary tables, the
/// negative log fixture and the execution input are refused by name).
#[test]
fn every_sample_is_detected_as_its_kind() {
    use faasplan_core::formats::detect::{FormatKind, detect};
    for (path, text) in ALL {
        let kind = detect(path, text);
        let want = if path.ends_with("invalidJSONLog.json") {
            None
        } else if path.ends_with("sample_1__README.md") || path.ends_with("sample_2__README.md") {
            Some(FormatKind::PowerTuningSummary)
        } else if path.ends_with("sample-execution-input.json") {
            Some(FormatKind::PowerTuningInput)
        } else if path.starts_with("asl/") {
            Some(FormatKind::StateMachine)
        } else if path.starts_with("report-logs/") {
            Some(FormatKind::LambdaLog)
        } else {
            Some(FormatKind::PowerTuning)
        };
        assert_eq!(kind, want, "{path}");
    }
}
