//! Lambda REPORT logs: the real samples and the wrappers and eras they do not cover.

use approx::assert_relative_eq;
use faasplan_core::formats::lambda_logs::{LogImport, RunStatus, import_logs, profile_runs};

use super::sample;

fn one(text: &str) -> faasplan_core::formats::lambda_logs::LogRun {
    let l = import_logs(text).expect("reads");
    assert_eq!(l.runs.len(), 1, "{:?}", l.runs);
    l.runs[0].clone()
}

#[test]
fn datadog_subscription_message_with_double_escaped_tabs() {
    let l = import_logs(sample!(
        "report-logs/datadog-forwarder__integration-snapshots__cloudwatch_log_coldstart.json"
    ))
    .expect("reads");
    assert_eq!(l.wrapper, "CloudWatch Logs subscription message");
    assert_eq!(l.runs.len(), 1);
    let r = &l.runs[0];
    assert_eq!(r.function.as_deref(), Some("storms-cloudwatch-event"));
    assert_eq!(
        (r.duration_ms, r.billed_ms, r.memory_mb, r.init_ms),
        (1.76, Some(100.0), 128, Some(120.96))
    );
}

#[test]
fn datadog_text_and_json_reports() {
    let r = one(sample!(
        "report-logs/datadog-forwarder__test_enhanced_lambda_metrics__cold_start_report.log"
    ));
    assert_eq!(
        (r.duration_ms, r.init_ms, r.max_memory_used_mb),
        (0.81, Some(1234.0), Some(90))
    );
    let r = one(sample!(
        "report-logs/datadog-forwarder__test_enhanced_lambda_metrics__standard_report.log"
    ));
    assert_eq!(
        (
            r.duration_ms,
            r.billed_ms,
            r.memory_mb,
            r.max_memory_used_mb,
            r.init_ms
        ),
        (0.62, Some(100.0), 128, Some(51), None)
    );
    let r = one(sample!(
        "report-logs/datadog-forwarder__test_enhanced_lambda_metrics__cold_start_json_report.json"
    ));
    assert_eq!((r.duration_ms, r.init_ms), (0.81, Some(1234.0)));
    let r = one(sample!(
        "report-logs/datadog-forwarder__test_enhanced_lambda_metrics__standard_json_report.json"
    ));
    assert_eq!(
        (r.duration_ms, r.init_ms, r.status),
        (0.62, None, RunStatus::Success)
    );
}

#[test]
fn power_tuning_log_results_base64_and_decoded_agree() {
    let pairs = [
        (
            sample!("report-logs/powertuning__test-utils.js__LogResult01__dur1.0.b64"),
            sample!("report-logs/powertuning__test-utils.js__LogResult01__dur1.0.log"),
            1.0,
        ),
        (
            sample!("report-logs/powertuning__test-utils.js__LogResult02__dur2.0.b64"),
            sample!("report-logs/powertuning__test-utils.js__LogResult02__dur2.0.log"),
            2.0,
        ),
        (
            sample!("report-logs/powertuning__test-utils.js__LogResult03__dur3.0.b64"),
            sample!("report-logs/powertuning__test-utils.js__LogResult03__dur3.0.log"),
            3.0,
        ),
    ];
    for (b64, log, ms) in pairs {
        let a = import_logs(b64).expect("base64");
        assert_eq!(a.wrapper, "Invoke LogResult (base64)");
        let b = import_logs(log).expect("text");
        assert_eq!(a.runs, b.runs);
        assert_eq!(
            (
                a.runs[0].duration_ms,
                a.runs[0].billed_ms,
                a.runs[0].memory_mb
            ),
            (ms, Some(ms), 128)
        );
    }
}

#[test]
fn power_tuning_text_and_json_logs_give_its_expected_values() {
    let r = one(sample!(
        "report-logs/powertuning__test-utils.js__textLog.log"
    ));
    assert_eq!(
        (r.duration_ms, r.billed_ms, r.init_ms, r.memory_mb),
        (469.4, Some(500.0), Some(100.99), 1024)
    );
    assert_relative_eq!(
        r.duration_ms + r.init_ms.unwrap_or(0.0),
        570.39,
        max_relative = 1e-12
    );
    let r = one(sample!(
        "report-logs/powertuning__test-utils.js__textLogSnapStart.log"
    ));
    assert_relative_eq!(
        r.duration_ms + r.restore_ms.unwrap_or(0.0),
        943.56,
        max_relative = 1e-12
    );
    assert_eq!(r.init_ms, None);
    let r = one(sample!(
        "report-logs/powertuning__test-utils.js__jsonLog.jsonl"
    ));
    assert_eq!(
        (
            r.duration_ms,
            r.billed_ms,
            r.memory_mb,
            r.max_memory_used_mb,
            r.init_ms
        ),
        (1.317, Some(2.0), 1024, Some(68), Some(10.0))
    );
    let r = one(sample!(
        "report-logs/powertuning__test-utils.js__jsonLogSnapStart.jsonl"
    ));
    assert_eq!(
        (r.duration_ms, r.billed_ms, r.restore_ms, r.memory_mb),
        (147.156, Some(201.0), Some(500.795), 512)
    );
    let r = one(sample!(
        "report-logs/powertuning__test-utils.js__jsonMixedLog.log"
    ));
    assert_eq!(
        (r.duration_ms, r.billed_ms, r.init_ms),
        (1.317, Some(4.0), Some(20.0))
    );
}

#[test]
fn a_log_without_a_report_is_refused() {
    let e = import_logs(sample!(
        "report-logs/powertuning__test-utils.js__invalidJSONLog.json"
    ))
    .unwrap_err();
    assert!(e.to_string().contains("no Lambda REPORT line"), "{e}");
}

const ID1: &str = "11111111-2222-3333-4444-555555555555";
const ID2: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

#[test]
fn any_field_order_both_billing_eras_timeouts_and_errors() {
    let text = format!(
        "START RequestId: {ID1} Version: $LATEST\n\
         {ID1} Task timed out after 3.00 seconds\n\
         REPORT RequestId: {ID1}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 256 MB\tMax Memory Used: 80 MB\n\
         REPORT RequestId: {ID2}  Memory Size: 256 MB  Billed Duration: 100 ms  Duration: 12.50 ms  Max Memory Used: 70 MB  \n\
         REPORT RequestId: {ID2}\tDuration: 9.00 ms\tBilled Duration: 9 ms\tMemory Size: 512 MB\tMax Memory Used: 70 MB\tStatus: error\tError Type: Runtime.ExitError\n"
    );
    let l = import_logs(&text).expect("reads");
    assert_eq!(l.runs.len(), 3);
    assert_eq!(l.failures(), (1, 1));
    assert_eq!(l.runs[1].duration_ms, 12.5);
    assert_eq!(l.runs[1].billed_ms, Some(100.0));
    let rows = profile_runs(&l.runs);
    assert_eq!(
        rows.len(),
        1,
        "timeouts and errors are left out of the profile"
    );
    assert_eq!((rows[0].memory_mb, rows[0].compute.mean_s), (256, 0.0125));
}

#[test]
fn sam_logs_and_cloudwatch_api_wrappers() {
    let sam = format!(
        "2024/05/01/[$LATEST]0a1b2c 2024-05-01T10:00:00.000000 REPORT RequestId: {ID1}\tDuration: 20.5 ms\tBilled Duration: 21 ms\tMemory Size: 1024 MB\tMax Memory Used: 60 MB\tInit Duration: 250.1 ms\n"
    );
    let r = one(&sam);
    assert_eq!((r.duration_ms, r.init_ms), (20.5, Some(250.1)));
    let events = serde_json::json!({
        "logGroupName": "/aws/lambda/resize",
        "events": [
            {"timestamp": 1, "message": format!("START RequestId: {ID1} Version: $LATEST\n")},
            {"timestamp": 2, "message": format!("REPORT RequestId: {ID1}\tDuration: 5.0 ms\tBilled Duration: 5 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t\n")},
            {"timestamp": 3, "message": serde_json::json!({"time": "t", "type": "platform.report", "record": {"requestId": ID2, "metrics": {"durationMs": 7.5, "billedDurationMs": 8, "memorySizeMB": 128, "maxMemoryUsedMB": 40}, "status": "timeout"}}).to_string()}
        ],
        "nextForwardToken": "f/1"
    })
    .to_string();
    let l: LogImport = import_logs(&events).expect("reads");
    assert_eq!(l.runs.len(), 2);
    assert_eq!(l.functions(), ["resize"]);
    assert_eq!(l.runs[1].status, RunStatus::Timeout);
    let invoke = serde_json::json!({"StatusCode": 200, "LogResult": sample!("report-logs/powertuning__test-utils.js__LogResult02__dur2.0.b64")}).to_string();
    assert_eq!(one(&invoke).duration_ms, 2.0);
}

#[test]
fn a_bad_number_names_the_line() {
    let text = format!("hello\nREPORT RequestId: {ID1}\tDuration: fast ms\tMemory Size: 128 MB\n");
    let e = import_logs(&text).unwrap_err();
    assert_eq!(e.place, "line 2");
    assert!(e.message.contains("Duration"), "{e}");
}

#[test]
fn quoted_reports_in_csv_exports_and_json_lines() {
    let csv = format!(
        "@timestamp,@message\n\"2024-05-01 10:00:00.000\",\"REPORT RequestId: {ID1}\tDuration: 20.5 ms\tBilled Duration: 21 ms\tMemory Size: 1024 MB\tMax Memory Used: 60 MB\t\"\n"
    );
    assert_eq!(one(&csv).duration_ms, 20.5);
    let jsonl = format!(
        "{{\"timestamp\": 1, \"message\": \"REPORT RequestId: {ID2}\\tDuration: 3.25 ms\\tBilled Duration: 4 ms\\tMemory Size: 256 MB\\tMax Memory Used: 60 MB\\t\\n\"}}\n"
    );
    let r = one(&jsonl);
    assert_eq!(
        (r.request_id.as_str(), r.duration_ms, r.memory_mb),
        (ID2, 3.25, 256)
    );
}
