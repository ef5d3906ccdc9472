//! `faasplan fit`'s flagged runs, `faasplan advise` and `faasplan prewarm` on the bundled ML pipeline.

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

#[test]
fn prewarm_plans_a_generated_trace_and_writes_the_cold_start_rates() {
    let dir = std::env::temp_dir().join(format!("faasplan-prewarm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out_project = dir.join("project.json");
    let args = [
        "prewarm",
        "--latency-bound",
        "60",
        "--generate",
        "diurnal",
        "--minutes",
        "3600",
        "--format",
        "json",
        "--write-project",
        out_project.to_str().expect("utf-8 path"),
    ];
    let o = run(&args, &ml());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("prewarm JSON");
    let stages = v["stages"].as_array().expect("stages");
    assert_eq!(stages.len(), 4);
    // 720 evaluated minutes in 5-minute intervals.
    assert_eq!(stages[0]["schedule"].as_array().map(Vec::len), Some(144));
    let project: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_project).expect("written"))
            .expect("project JSON");
    for s in stages {
        let id = s["load"]["stage"].as_str().expect("id");
        let pct = s["planned"]["cold_pct"].as_f64().expect("rate");
        let set = project["settings"]["cold_start_stages"][id]["percent"]
            .as_f64()
            .unwrap_or_else(|| panic!("{id}: {}", project["settings"]));
        assert!(set >= pct && set <= pct + 0.01, "{id}: {set} vs {pct}");
    }
    // The written project plans with those rates.
    let o = run(
        &["validate"],
        &["--project".to_string(), out_project.display().to_string()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn prewarm_reads_a_trace_file_and_names_its_bad_line() {
    let dir = std::env::temp_dir().join(format!("faasplan-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good = dir.join("good.csv");
    let counts: String = (0..60).map(|t| format!("{}\n", 2 + t % 3)).collect();
    std::fs::write(&good, format!("count\n{counts}")).expect("write");
    let args = [
        "prewarm",
        "--latency-bound",
        "60",
        "--trace",
        good.to_str().expect("utf-8"),
        "--calibrate-from",
        "20",
        "--evaluate-from",
        "40",
        "--format",
        "csv",
    ];
    let o = run(&args, &ml());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("stage,start_minute,provisioned\n"), "{out}");
    // 4 stages × 4 intervals of the 20 evaluated minutes.
    assert_eq!(out.lines().count(), 1 + 16, "{out}");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "count\n1\nlots\n").expect("write");
    let mut args = args;
    args[4] = bad.to_str().expect("utf-8");
    let o = run(&args, &ml());
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("bad.csv"), "{err}");
    assert!(err.contains("line 3"), "{err}");
    let o = run(
        &[
            "prewarm",
            "--latency-bound",
            "60",
            "--generate",
            "sparse",
            "--interval",
            "7",
        ],
        &ml(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("prewarm.interval_minutes: 7"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_cold_start_rates_prewarm_writes_change_the_plan() {
    let dir = std::env::temp_dir().join(format!("faasplan-prewarm-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let warm = dir.join("warm.json");
    let warm_s = warm.to_str().expect("utf-8 path");
    // A sparse trace: about half of all instance starts stay cold.
    let args = [
        "prewarm",
        "--latency-bound",
        "60",
        "--generate",
        "sparse",
        "--minutes",
        "4320",
        "--write-project",
        warm_s,
    ];
    let o = run(&args, &ml());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("The target is not met"),
        "{}",
        stdout(&o)
    );
    let plan = |extra: &[&str]| {
        let mut a = vec!["plan", "--project", warm_s, "--latency-bound", "60"];
        a.extend_from_slice(extra);
        let o = run(&a, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let with_rates = plan(&[]);
    let as_profiled = plan(&[
        "--cold-start",
        "stage0=profile",
        "--cold-start",
        "stage1=profile",
        "--cold-start",
        "stage2=profile",
        "--cold-start",
        "stage3=profile",
    ]);
    assert_ne!(with_rates, as_profiled);
    std::fs::remove_dir_all(&dir).ok();
}
