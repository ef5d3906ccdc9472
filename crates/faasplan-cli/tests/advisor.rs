//! `faasplan fit`'s flagged runs and `faasplan advise` on the bundled ML pipeline.

mod common;
use common::*;

#[test]
fn fit_reports_the_two_flagged_ml_configs_and_can_exclude_them() {
    let o = run(&["fit"], &ml());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("stage1   5120 MB  d = 4 "), "{out}");
    assert!(out.contains("stage1   5120 MB  d = 8 "), "{out}");
    let o = run(&["fit", "--exclude-flagged", "--json"], &ml());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("fit --json is JSON");
    assert_eq!(v["flagged_excluded"], true);
    let flagged = v["flagged"]["stages"][1]["flagged"]
        .as_array()
        .expect("a list");
    assert_eq!(flagged.len(), 2);
    assert_eq!(v["stages"][1]["configs"], 21);
    assert_eq!(v["stages"][0]["configs"], 23);
}

#[test]
fn advise_lists_the_batch_as_csv_and_json() {
    let args = [
        "advise",
        "--latency-bound",
        "60",
        "--batch",
        "3",
        "--format",
        "csv",
    ];
    let o = run(&args, &ml());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "stage,memory_mb,d,predicted_s,ln_sd,expected_gain_usd"
    );
    assert_eq!(lines.len(), 4, "{out}");
    let o = run(
        &["advise", "--latency-bound", "60", "--format", "json"],
        &ml(),
    );
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&o)).expect("advise --format json is JSON");
    assert_eq!(v["proposals"].as_array().map(Vec::len), Some(4));
    assert!(v["plan"]["cost_usd"].as_f64().is_some_and(|c| c > 0.0));
    let o = run(&["advise", "--latency-bound", "60"], &ml());
    assert!(stdout(&o).contains("Measure these next"), "{}", stdout(&o));
}

#[test]
fn advise_refuses_a_bad_batch_and_a_missing_bound() {
    let o = run(&["advise", "--latency-bound", "60", "--batch", "0"], &ml());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("batch 0 is not in 1..=8"),
        "{}",
        stderr(&o)
    );
    let o = run(&["advise", "--latency-bound", "nan"], &ml());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("latency bound NaN s"), "{}", stderr(&o));
}
