//! The `faasplan` binary on inputs that used to crash, abort or pass silently:
//! each is refused (exit 1) with the file and the field or line, or answered
//! consistently across commands.

use std::path::PathBuf;
use std::process::Output;

mod common;
use common::*;

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("faasplan-robust-{}-{name}", std::process::id()))
}

/// Runs and asserts the exit code and that stderr contains every needle.
fn check(args: &[&str], input: &[String], code: i32, needles: &[&str]) -> Output {
    let o = run(args, input);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: {err:?} lacks {n:?}");
    }
    o
}

/// The ML pipeline with its profiles as CSV, edited by `edit`, and the flags to read it.
fn ml_csv(name: &str, edit: impl FnOnce(&str) -> String) -> Vec<String> {
    let o = run(&["validate"], &ml());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    use faasplan_core::formats::csv::write_profiles_csv;
    use faasplan_core::formats::jolteon::{self, JolteonProfileOptions};
    let read = |n: &str| std::fs::read_to_string(example(n)).expect("example reads");
    let (_, profiles) = jolteon::import(
        &read("ML-pipeline.json"),
        &read("ML-Pipeline_profile.json"),
        None,
        &JolteonProfileOptions::default(),
    )
    .expect("bundled example imports");
    let path = temp(name);
    std::fs::write(&path, edit(&write_profiles_csv(&profiles))).expect("temp file writes");
    vec![
        "--workflow".into(),
        example("ML-pipeline.json"),
        "--profiles".into(),
        path.display().to_string(),
        "--measured-mb-per-vcpu".into(),
        "1792".into(),
    ]
}

#[test]
fn huge_sample_counts_are_refused_with_the_memory_they_need() {
    for n in ["18446744073709551615", "1152921504606846976", "1000000"] {
        check(
            &["plan", "--latency-bound", "60", "--samples", n],
            &ml(),
            1,
            &[
                "ML-pipeline.json",
                "setting `samples` needs",
                "lower `samples`",
            ],
        );
    }
    check(
        &["plan", "--latency-bound", "60", "--max-memory-mb", "10"],
        &ml(),
        1,
        &["memory limit of 10.0 MiB"],
    );
    check(
        &["plan", "--latency-bound", "60", "--alpha", "0.06"],
        &ml(),
        1,
        &["--alpha: 0.06"],
    );
}

#[test]
fn frontier_with_no_configuration_exits_3_like_plan() {
    use faasplan_core::formats::project::Project;
    let project = temp("concurrency1.json");
    let o = run(&["plan", "-q", "--latency-bound", "60"], &ml());
    assert_eq!(o.status.code(), Some(0));
    let read = |n: &str| std::fs::read_to_string(example(n)).expect("example reads");
    let (workflow, profiles) = faasplan_core::formats::jolteon::import(
        &read("ML-pipeline.json"),
        &read("ML-Pipeline_profile.json"),
        None,
        &Default::default(),
    )
    .expect("imports");
    let mut p = Project {
        workflow,
        profiles,
        platform: Default::default(),
        settings: Default::default(),
    };
    p.platform.concurrency_limit = 1;
    std::fs::write(&project, p.to_json()).expect("writes");
    let input = vec!["--project".to_string(), project.display().to_string()];
    check(&["plan", "-q"], &input, 3, &["infeasible"]);
    check(
        &["frontier", "--format", "csv"],
        &input,
        3,
        &["infeasible", "frontier is empty"],
    );
    check(
        &["compare", "--latency-bounds", "30, 60"],
        &input,
        3,
        &["infeasible: no configuration meets any of the latency bounds (30 s, 60 s) at P95"],
    );
    // A configuration that runs 4 instances at once is not one this platform can run.
    let config = "stage0=1792x1, stage1=1792x4, stage2=1792x4, stage3=1792x1";
    check(
        &["evaluate", "-q", "--config", config],
        &input,
        1,
        &["--config", "platform.concurrency_limit = 1"],
    );
}

#[test]
fn a_fixed_sample_count_below_the_formula_says_the_guarantee_does_not_hold() {
    check(
        &[
            "plan",
            "--latency-bound",
            "119.345",
            "--seed",
            "3",
            "--samples",
            "20",
        ],
        &ml(),
        0,
        &["the guarantee does NOT hold: 20 samples are too few for confidence 0.999"],
    );
    let o = check(
        &["plan", "--latency-bound", "60"],
        &ml(),
        0,
        &["with confidence 0.999"],
    );
    assert!(!stderr(&o).contains("NOT"));
}

#[test]
fn invalid_utf8_names_line_and_column() {
    let path = temp("bad.csv");
    std::fs::write(&path, b"stage,memory_mb\nab\xff\xfe\n").expect("writes");
    let input = vec![
        "--workflow".into(),
        example("ML-pipeline.json"),
        "--profiles".into(),
        path.display().to_string(),
        "--measured-mb-per-vcpu".into(),
        "1792".into(),
    ];
    check(
        &["validate"],
        &input,
        1,
        &["bad.csv: line 2, column 3 (byte 18): not valid UTF-8"],
    );
}

#[test]
fn validate_refuses_what_plan_refuses_naming_the_file() {
    let missing = ml_csv("missing.csv", |t| {
        t.lines()
            .filter(|l| !l.starts_with("stage2,"))
            .map(|l| format!("{l}\n"))
            .collect()
    });
    for cmd in [
        &["validate"][..],
        &["plan", "--latency-bound", "60"],
        &["fit"],
    ] {
        check(
            cmd,
            &missing,
            1,
            &["missing.csv: profiles: stage `stage2` has no profiled runs"],
        );
    }
    let extra = ml_csv("extra.csv", |t| {
        let row = t
            .lines()
            .find(|l| l.starts_with("stage3,"))
            .unwrap_or_default();
        format!("{t}{}\n", row.replacen("stage3", "stage3_typo", 1))
    });
    for cmd in [&["validate"][..], &["plan", "--latency-bound", "60"]] {
        check(
            cmd,
            &extra,
            1,
            &["extra.csv: profiles: stage `stage3_typo` is not a stage"],
        );
    }
    let negative = ml_csv("negative.csv", |t| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        let f: Vec<&str> = lines[4].split(',').collect();
        let mut g: Vec<String> = f.iter().map(|s| s.to_string()).collect();
        g[7] = "-5".into();
        lines[4] = g.join(",");
        lines.join("\n")
    });
    check(
        &["validate"],
        &negative,
        1,
        &["negative.csv: line 5, column read_mean_s: -5 s is a negative duration"],
    );
}

#[test]
fn evaluate_reports_a_configuration_and_what_the_planner_saves() {
    let o = check(
        &[
            "evaluate",
            "--config",
            "stage0=1792x1, stage1 = 1792 × 16, stage2=1792x8,stage3=1792x1",
            "--latency-bound",
            "60",
        ],
        &ml(),
        0,
        &[
            "your configuration (judged at the latency it meets",
            "the planner saves $",
            "meets latency ≤ 60 s at P95",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    let saving = v["saving"]["expected_cost_usd_per_run"]
        .as_f64()
        .expect("a saving");
    assert!(saving > 0.0, "{saving}");
    assert_eq!(v["current"]["stages"][1]["d"], 16);
    assert_eq!(v["meets_bound"], true);
    // A bound the configuration misses: exit 3, as plan does for an infeasible bound.
    check(
        &[
            "evaluate",
            "--config",
            "stage0=1792x1,stage1=1792x16,stage2=1792x8,stage3=1792x1",
            "--latency-bound",
            "20",
        ],
        &ml(),
        3,
        &["does NOT meet latency ≤ 20 s"],
    );
    // A plan JSON from `plan` evaluates to itself: nothing to save.
    let plan = run(&["plan", "-q", "--latency-bound", "60"], &ml());
    let path = temp("plan.json");
    std::fs::write(&path, &plan.stdout).expect("writes");
    let o = check(
        &["evaluate", "--plan", path.to_str().expect("utf-8 path")],
        &ml(),
        0,
        &["saves $0.000000"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["saving"]["expected_cost_usd_per_run"], 0.0);
    check(
        &[
            "evaluate",
            "--config",
            "stage0=1000x1,stage1=1792x16,stage2=1792x8,stage3=1792x1",
        ],
        &ml(),
        1,
        &["--config: configuration: stage `stage0`: 1000 MB × 1 is not one of its"],
    );
}

#[test]
fn a_cost_bound_far_above_every_plan_gets_a_hint() {
    check(
        &["plan", "-q", "--cost-bound", "1800"],
        &ml(),
        0,
        &["hint: the cost bound $1800 per run is", "binds nothing"],
    );
    let o = check(&["plan", "-q", "--cost-bound", "0.008"], &ml(), 0, &[]);
    assert!(!stderr(&o).contains("hint"), "{}", stderr(&o));
}

#[test]
fn compare_takes_the_settings_flags_and_spaced_lists() {
    let o = check(
        &[
            "compare",
            "--latency-bounds",
            "30, 60",
            "--percentile",
            "90",
            "--confidence",
            "99",
            "--format",
            "json",
        ],
        &ml(),
        0,
        &[],
    );
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON rows");
    let bounds: Vec<f64> = rows
        .as_array()
        .expect("an array")
        .iter()
        .filter(|r| r["planner"] == "exact")
        .map(|r| r["bound_s"].as_f64().expect("a bound"))
        .collect();
    assert_eq!(bounds, vec![30.0, 60.0]);
    let table = check(
        &["compare", "--latency-bounds", "60", "--alpha", "0.01"],
        &ml(),
        0,
        &[],
    );
    assert!(String::from_utf8_lossy(&table.stdout).contains("alpha = 0.01"));
    check(
        &["compare", "--latency-bounds", "30,x"],
        &ml(),
        2,
        &["\"x\" is not a finite number"],
    );
}

#[test]
fn a_file_too_large_for_the_memory_limit_is_refused_before_reading() {
    let input = ml_csv("large.csv", |csv| csv.repeat(4));
    let pf = input[3].clone();
    let mib = std::fs::metadata(&pf).expect("written").len() >> 20;
    assert!(mib < 2, "the test file stays small ({mib} MiB)");
    for cmd in ["validate", "plan"] {
        let mut args = vec![cmd, "--max-memory-mb", "1"];
        if cmd == "plan" {
            args.extend(["--latency-bound", "60"]);
        }
        check(
            &args,
            &input,
            1,
            &[
                &pf,
                "MiB of memory to read, more than the memory limit of 1 MiB (--max-memory-mb)",
            ],
        );
    }
}

#[test]
fn a_user_grid_with_sizes_off_the_steps_plans_every_profiled_size() {
    let grid = temp("grid.json");
    let sizes = [1078, 1200, 1617, 2048];
    let pairs: Vec<String> = sizes
        .iter()
        .flat_map(|m| [4, 8].map(|d| format!("[{m}, {d}]")))
        .collect();
    std::fs::write(&grid, format!("[{}]", pairs.join(", "))).expect("temp file writes");
    // A profile of the ML pipeline on that grid: one repetition, every value plausible.
    let cell = "[1.0, 1.5]";
    let row = vec![cell; pairs.len()].join(", ");
    let steps = ["cold", "read", "compute", "write"]
        .map(|s| format!("\"{s}\": [[{row}]]"))
        .join(", ");
    let stages: Vec<String> = (0..4)
        .map(|i| format!("\"stage{i}\": {{{steps}}}"))
        .collect();
    let profile = temp("grid_profile.json");
    std::fs::write(&profile, format!("{{{}}}", stages.join(", "))).expect("temp file writes");
    let input = [
        "--workflow".to_string(),
        example("ML-pipeline.json"),
        "--profiles".into(),
        profile.display().to_string(),
        "--grid".into(),
        grid.display().to_string(),
    ];
    let config = "stage0=1617x1, stage1=1617x4, stage2=1200x8, stage3=1078x1";
    check(&["evaluate", "--config", config], &input, 0, &[]);
    let off = "stage0=1618x1, stage1=1617x4, stage2=1200x8, stage3=1078x1";
    check(&["evaluate", "--config", off], &input, 1, &["stage0"]);
}
