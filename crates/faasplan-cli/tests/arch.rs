//! `faasplan plan` choosing arm64 or x86_64 per stage (`--allow-arm64`, `--arm64-speed`).

mod common;
use common::*;

use faasplan_core::arch::Arch;
use faasplan_core::plan::from_json;

fn plan(extra: &[&str]) -> std::process::Output {
    let mut args = vec!["plan", "--latency-bound", "60", "--samples", "2000"];
    args.extend_from_slice(extra);
    run(&args, &ml())
}

fn cost(o: &std::process::Output) -> f64 {
    from_json(&stdout(o))
        .unwrap()
        .totals
        .expect("a plan")
        .expected_cost_usd
}

#[test]
fn arm64_is_chosen_where_allowed_and_shown_in_the_json_and_summary() {
    let x86 = plan(&[]);
    assert_eq!(x86.status.code(), Some(0), "{}", stderr(&x86));
    let none = from_json(&stdout(&x86)).unwrap();
    assert!(none.stages.iter().all(|s| s.architecture.is_none()));
    // arm64 as fast as x86_64 on stage0 and stage3: 20% cheaper per GB-s, so chosen.
    let o = plan(&[
        "--allow-arm64",
        "stage0,stage3",
        "--arm64-speed",
        "stage0=1",
        "--arm64-speed",
        "stage3=1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = from_json(&stdout(&o)).unwrap();
    let arch = |id: &str| {
        report
            .stages
            .iter()
            .find(|s| s.stage == id)
            .unwrap()
            .architecture
    };
    assert_eq!(arch("stage0"), Some(Arch::Arm64));
    assert_eq!(arch("stage3"), Some(Arch::Arm64));
    assert_eq!(arch("stage1"), None);
    assert!(cost(&o) < cost(&x86), "{} vs {}", cost(&o), cost(&x86));
    let summary = stderr(&o);
    assert!(summary.contains("arm64"), "{summary}");
    // Much slower on arm64: the planner keeps x86_64.
    let slow = plan(&["--allow-arm64", "stage0", "--arm64-speed", "stage0=3"]);
    assert_eq!(slow.status.code(), Some(0), "{}", stderr(&slow));
    let r = from_json(&stdout(&slow)).unwrap();
    assert_eq!(r.stages[0].architecture, Some(Arch::X86_64));
}

#[test]
fn arm64_without_measurements_or_a_factor_and_bad_flags_are_named() {
    for (args, message) in [
        (
            vec!["--allow-arm64", "stage1"],
            "stage `stage1` may run on arm64, but its profiles have no arm64 run and no arm64 time factor is set",
        ),
        (
            vec!["--allow-arm64", "stage9"],
            "--allow-arm64: the workflow has no stage `stage9`",
        ),
        (
            vec!["--arm64-speed", "stage0=0.8"],
            "--arm64-speed: stage `stage0` may not run on arm64",
        ),
        (
            vec!["--allow-arm64", "stage0", "--arm64-speed", "stage0=-1"],
            "--arm64-speed: `-1` is not a finite factor above 0",
        ),
        (
            vec!["--allow-arm64", "stage0", "--arm64-speed", "stage0"],
            "--arm64-speed: `stage0` is not STAGE=F",
        ),
    ] {
        let o = plan(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn the_frontier_names_each_points_architectures() {
    let o = run(
        &[
            "frontier",
            "--samples",
            "1000",
            "--format",
            "csv",
            "--allow-arm64",
            "stage0",
            "--arm64-speed",
            "stage0=1",
        ],
        &ml(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let header = text.lines().next().unwrap();
    assert!(header.contains("stage0_architecture"), "{header}");
    // At equal speed arm64 is cheaper: every point runs stage0 there.
    let col = header
        .split(',')
        .position(|c| c == "stage0_architecture")
        .unwrap();
    for line in text.lines().skip(1) {
        assert_eq!(line.split(',').nth(col), Some("arm64"), "{line}");
    }
}

#[test]
fn arm64_plans_with_fusion_and_the_fused_frontier_names_architectures() {
    let arm = [
        "--allow-arm64",
        "--arm64-speed",
        "stage0=0.8",
        "--arm64-speed",
        "stage1=0.8",
        "--arm64-speed",
        "stage2=0.8",
        "--arm64-speed",
        "stage3=0.8",
    ];
    let mut args = vec!["--fusion", "--orchestration", "sfn-standard"];
    args.extend_from_slice(&arm);
    let o = plan(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // arm64 at 80% of the time and a lower rate: every stage runs there.
    let report = from_json(&stdout(&o)).unwrap();
    for s in &report.stages {
        assert_eq!(s.architecture, Some(Arch::Arm64), "{}", s.stage);
    }
    let mut f = vec!["frontier", "--samples", "500", "--fusion"];
    f.extend_from_slice(&arm);
    let o = run(&f, &ml());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let points = v["points"].as_array().unwrap();
    assert!(!points.is_empty());
    for p in points {
        for s in p["stages"].as_array().unwrap() {
            assert_eq!(s["architecture"], "arm64", "{s}");
        }
    }
}

#[test]
fn import_names_a_bad_measured_on_architecture() {
    let path = std::env::temp_dir().join(format!("faasplan-arch-{}.asl.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "End": true}}}"#,
    )
    .unwrap();
    let o = run(
        &["import", "--measured-on", "a.log=sparc"],
        &[path.display().to_string()],
    );
    std::fs::remove_file(&path).ok();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "--measured-on a.log=sparc: \"sparc\" is not an architecture (x86_64 or arm64)"
        ),
        "{}",
        stderr(&o)
    );
}
