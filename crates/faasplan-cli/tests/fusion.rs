//! `faasplan plan` with orchestration pricing, data sizes and fusion.

mod common;
use common::*;

use faasplan_core::dag::{Edge, MemoryGrid, StageKind};
use faasplan_core::formats::jolteon::{JolteonProfileOptions, import};
use faasplan_core::formats::project::Project;
use faasplan_core::plan::from_json;
use faasplan_core::platform::Preset;
use faasplan_core::settings::{PlanSettings, SampleCount};

/// A stepped memory grid, built through the project file's JSON form so that
/// it takes the defaults of any other field.
fn grid(min_mb: u32, max_mb: u32, step_mb: u32) -> MemoryGrid {
    serde_json::from_value(serde_json::json!({
        "min_mb": min_mb,
        "max_mb": max_mb,
        "step_mb": step_mb,
    }))
    .expect("a stepped grid deserialises")
}

/// A project file of the ML pipeline's single-instance stage0 and stage3 run as
/// a three-stage chain s0 -> s1 -> s2, written to the temp dir.
fn chain_project(name: &str) -> std::path::PathBuf {
    let wf = std::fs::read_to_string(example("ML-pipeline.json")).unwrap();
    let pf = std::fs::read_to_string(example("ML-Pipeline_profile.json")).unwrap();
    let (mut workflow, mut profiles) =
        import(&wf, &pf, None, &JolteonProfileOptions::default()).unwrap();
    let stages: Vec<_> = [0, 3, 0]
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            let mut s = workflow.stages[k].clone();
            s.id = format!("s{i}");
            s.kind = StageKind::Single;
            s.memory = grid(1024, 3072, 1024);
            let mut p = profiles.stages[k].clone();
            p.stage = s.id.clone();
            (s, p)
        })
        .collect();
    workflow.name = "chain".into();
    workflow.stages = stages.iter().map(|(s, _)| s.clone()).collect();
    workflow.edges = (0..2)
        .map(|i| Edge {
            from: format!("s{i}"),
            to: format!("s{}", i + 1),
        })
        .collect();
    profiles.stages = stages.into_iter().map(|(_, p)| p).collect();
    let project = Project {
        workflow,
        profiles,
        platform: Preset::JolteonProfiled.platform(),
        settings: PlanSettings {
            samples: SampleCount::Fixed(500),
            fresh_samples: SampleCount::Fixed(2000),
            ..PlanSettings::default()
        },
    };
    let path = std::env::temp_dir().join(format!(
        "faasplan-fusion-{name}-{}.json",
        std::process::id()
    ));
    std::fs::write(&path, project.to_json()).unwrap();
    path
}

#[test]
fn step_functions_pricing_shows_in_the_breakdown_and_fusion_cuts_the_cost() {
    let path = chain_project("pricing");
    let input = vec!["--project".to_string(), path.display().to_string()];
    let plan = |extra: &[&str]| {
        let mut args = vec![
            "plan",
            "--latency-bound",
            "1000",
            "--orchestration",
            "sfn-standard",
        ];
        args.extend_from_slice(extra);
        let o = run(&args, &input);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        (from_json(&stdout(&o)).unwrap(), stderr(&o))
    };
    let (unfused, summary) = plan(&[]);
    let b = unfused.cost_breakdown.unwrap();
    // Three Task states and the end.
    assert!((b.transitions_usd - 4.0 * 0.000_025).abs() < 1e-15, "{b:?}");
    assert!(summary.contains("orchestration $100.00"), "{summary}");
    let (fused, summary) = plan(&["--fusion"]);
    assert!(summary.contains("fused into s0"), "{summary}");
    let cost = |r: &faasplan_core::plan::PlanReport| r.totals.as_ref().unwrap().expected_cost_usd;
    assert!(cost(&fused) < cost(&unfused));
    let (forbidden, _) = plan(&[
        "--fusion",
        "--forbid-fusion",
        "s0:s1",
        "--forbid-fusion",
        "s1:s2",
    ]);
    assert_eq!(cost(&forbidden), cost(&unfused));
    let o = run(
        &[
            "plan",
            "--latency-bound",
            "1000",
            "--fusion",
            "--forbid-fusion",
            "s0:s2",
        ],
        &input,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("fusion.forbid[0]: the workflow has no edge s0 -> s2"));
    let o = run(
        &["plan", "--latency-bound", "1000", "--edge-data", "s0:s9:5"],
        &input,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("edge_data[0]: the workflow has no edge s0 -> s9"),
        "{}",
        stderr(&o)
    );
    let (with_data, _) = plan(&["--edge-data", "s0:s1:100"]);
    let t = with_data.cost_breakdown.unwrap().transfer_usd;
    assert!((t - (0.005 + 0.0004) / 1000.0).abs() < 1e-15, "{t}");
    std::fs::remove_file(&path).ok();
}

#[test]
fn an_edge_device_takes_stages_and_bad_descriptions_are_named() {
    let path = chain_project("edge");
    let input = vec!["--project".to_string(), path.display().to_string()];
    let plan = |device: &str| {
        run(
            &[
                "plan",
                "--latency-bound",
                "1000",
                "--orchestration",
                "sfn-standard",
                "--edge-device",
                device,
            ],
            &input,
        )
    };
    let o = plan("speed=1.2,cores=2,memory=4096,uplink=100,fee=2,latency=0.05");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = from_json(&stdout(&o)).unwrap();
    assert!(report.stages.iter().any(|s| s.on_edge));
    let summary = stderr(&o);
    assert!(summary.contains("on the edge device"), "{summary}");
    assert!(summary.contains("edge device $2.00"), "{summary}");
    for (device, message) in [
        (
            "speed=1.2,cores=2,memory=4096",
            "--edge-device: uplink=... is required",
        ),
        (
            "speed=0,cores=2,memory=4096,uplink=100",
            "platform.pricing.edge_device.speed_factor: 0 must be greater than 0",
        ),
        (
            "speed=1,cores=2,memory=4096,uplink=100,colour=red",
            "--edge-device: unknown key \"colour\"",
        ),
        (
            "speed=fast,cores=2,memory=4096,uplink=100",
            "--edge-device: speed=\"fast\" is not a number",
        ),
    ] {
        let o = plan(device);
        assert_eq!(o.status.code(), Some(1), "{device}");
        assert!(stderr(&o).contains(message), "{device}: {}", stderr(&o));
    }
    std::fs::remove_file(&path).ok();
}

/// The first `"expected_cost_usd"` value in `json`.
fn first_cost(json: &str) -> f64 {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    fn find(v: &serde_json::Value) -> Option<f64> {
        match v {
            serde_json::Value::Object(m) => m
                .get("expected_cost_usd")
                .and_then(|c| c.as_f64())
                .or_else(|| m.values().find_map(find)),
            serde_json::Value::Array(a) => a.iter().find_map(find),
            _ => None,
        }
    }
    find(&v).expect("a cost in the JSON")
}

#[test]
fn frontier_compare_and_evaluate_take_the_pricing_flags() {
    let input = ml();
    let with = |args: &[&str], orchestration: &str| {
        let mut a = args.to_vec();
        a.extend_from_slice(&["--orchestration", orchestration]);
        let o = run(&a, &input);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    // ML under Step Functions Standard: 14 transitions a run with these
    // instance counts, $350 per million runs.
    let config = [
        "evaluate",
        "--config",
        "stage0=1024x1,stage1=1024x4,stage2=1024x4,stage3=1024x1",
    ];
    let diff = first_cost(&with(&config, "sfn-standard")) - first_cost(&with(&config, "none"));
    assert!((diff - 0.000_35).abs() < 1e-12, "{diff}");
    // Billed INIT: the profiled cold starts cost more.
    let mut billed = config.to_vec();
    billed.push("--billed-init");
    assert!(first_cost(&with(&billed, "none")) > first_cost(&with(&config, "none")));
    // The same configuration on the frontier's fastest point costs more too.
    let f = |o: &str| first_cost(&with(&["frontier", "--format", "json"], o));
    assert!(f("sfn-standard") > f("none"));
    let cmp = with(&["compare", "--latency-bounds", "60"], "sfn-standard");
    let row = cmp
        .lines()
        .find(|l| l.contains("power-tuning-cost"))
        .expect("the power-tuning-cost row");
    // 1024x1 1792x4 1792x4 1024x1 with the transitions: $0.0075304 against $0.0071804.
    assert!(row.contains("0.0075304"), "{row}");
    let o = run(
        &[
            "evaluate",
            "--config",
            config[2],
            "--edge-data",
            "stage0:nope:1",
        ],
        &input,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("the workflow has no edge stage0 -> nope"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_frontier_spans_fusion_and_placement() {
    let path = chain_project("frontier");
    let input = vec!["--project".to_string(), path.display().to_string()];
    let frontier = |extra: &[&str]| {
        let mut args = vec!["frontier", "--orchestration", "sfn-standard"];
        args.extend_from_slice(extra);
        let o = run(&args, &input);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("frontier JSON");
        v["points"].as_array().unwrap().clone()
    };
    let cheapest = |points: &[serde_json::Value]| {
        points
            .iter()
            .map(|p| p["expected_cost_usd"].as_f64().unwrap())
            .fold(f64::INFINITY, f64::min)
    };
    let stage_has = |points: &[serde_json::Value], key: &str| {
        points.iter().any(|p| {
            p["stages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s.get(key).is_some())
        })
    };
    let unfused = frontier(&[]);
    assert!(!stage_has(&unfused, "fused_into"));
    let fused = frontier(&["--fusion"]);
    assert!(stage_has(&fused, "fused_into"));
    assert!(!stage_has(&fused, "on_edge"));
    // The joint space holds every unfused plan: its cheapest point is no dearer.
    assert!(cheapest(&fused) < cheapest(&unfused));
    let placed = frontier(&[
        "--fusion",
        "--edge-device",
        "speed=1.2,cores=2,memory=4096,uplink=100,fee=2,latency=0.05",
    ]);
    assert!(stage_has(&placed, "on_edge"));
    assert!(cheapest(&placed) <= cheapest(&fused));
    // Latency ascending, cost strictly descending.
    for w in placed.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert!(a["guaranteed_latency_s"].as_f64() <= b["guaranteed_latency_s"].as_f64());
        assert!(a["expected_cost_usd"].as_f64() > b["expected_cost_usd"].as_f64());
    }
    let o = run(&["frontier", "--fusion", "--format", "csv"], &input);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = stdout(&o);
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains(",s1_memory_mb,s1_d,s1_fused_into,s1_on_edge,"),
        "{csv}"
    );
    let o = run(&["frontier", "--fusion", "--positions", "10"], &input);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--positions: the frontier over fusion and placement"));
    std::fs::remove_file(&path).ok();
}

#[test]
fn compare_puts_larac_and_slambuc_beside_the_exact_fused_planner() {
    let path = chain_project("compare");
    let input = vec!["--project".to_string(), path.display().to_string()];
    let o = run(
        &[
            "compare",
            "--latency-bounds",
            "25,40,1000",
            "--orchestration",
            "sfn-standard",
            "--fusion",
            "--format",
            "json",
        ],
        &input,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    for bound in [25.0, 40.0, 1000.0] {
        let at = |planner: &str| {
            rows.iter()
                .find(|r| r["bound_s"].as_f64() == Some(bound) && r["planner"] == planner)
                .unwrap_or_else(|| panic!("{planner} at {bound}"))
                .clone()
        };
        let exact = at("exact-fused");
        let unfused = at("exact");
        let cost = |r: &serde_json::Value| r["expected_cost_usd"].as_f64();
        if let (Some(e), Some(u)) = (cost(&exact), cost(&unfused)) {
            assert!(e <= u * (1.0 + 1e-12), "{bound}: {e} > {u}");
        }
        for baseline in ["costless-larac", "slambuc"] {
            let b = at(baseline);
            if b["meets_bound"] == true {
                let (e, c) = (cost(&exact).unwrap(), cost(&b).unwrap());
                assert!(e <= c * (1.0 + 1e-12), "{baseline} at {bound}: {e} > {c}");
            }
        }
    }
    // With no binding bound every planner fuses the whole chain.
    let loose = rows
        .iter()
        .find(|r| r["bound_s"].as_f64() == Some(1000.0) && r["planner"] == "slambuc")
        .unwrap();
    let plan = loose["plan"].as_str().unwrap();
    assert!(plan.contains("+s0"), "{plan}");
    let o = run(
        &[
            "compare",
            "--latency-bounds",
            "1000",
            "--fusion",
            "--orchestration",
            "sfn-standard",
        ],
        &ml(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(table.contains("(not a chain)"), "{table}");
    assert!(table.contains("(not a tree)"), "{table}");
    std::fs::remove_file(&path).ok();
}
