use super::*;
use crate::dag::StageKind;
use crate::platform::Preset;

fn single(n_children: usize, first: bool) -> StageSite<'static> {
    StageSite {
        kind: StageKind::Single,
        n_children,
        first_in_topo: first,
        reads_mb: &[],
        writes_mb: &[],
    }
}

fn one(memory_mb: u32) -> Config {
    Config { memory_mb, d: 1 }
}

/// Duration cost of `runs` runs of one function at `memory_mb` for `seconds`,
/// with the Costless paper's price of $0.00001667 per GB-s.
fn costless_function(runs: f64, memory_mb: u32, seconds: f64) -> f64 {
    runs * f64::from(memory_mb) / 1024.0 * seconds * 0.000_016_67
}

#[test]
fn costless_worked_example_five_functions_six_transitions() {
    // Five functions in a chain, 1M executions: 6 transitions per execution,
    // $150 of transitions; face detection (512 MB, 2 s) costs $16.67.
    let pricing = Pricing {
        orchestration: Orchestration::aws_standard(),
        ..Pricing::default()
    };
    let runs = 1.0e6;
    let n = 5;
    let transitions: u32 = (0..n)
        .map(|i| transitions(&single(usize::from(i + 1 < n), i == 0), one(128)))
        .sum();
    assert_eq!(transitions, 6);
    let transition_usd: f64 = (0..n)
        .map(|i| stage_extra(&pricing, &single(usize::from(i + 1 < n), i == 0), one(128)))
        .map(|e| e.orchestration_usd * runs)
        .sum();
    approx::assert_relative_eq!(transition_usd, 150.0, max_relative = 1e-12);
    approx::assert_relative_eq!(
        costless_function(runs, 512, 2.0),
        16.67,
        max_relative = 1e-12
    );
    // Functions $35 in all (the paper's figure) plus transitions: $185.
    approx::assert_relative_eq!(35.0 + transition_usd, 185.0, max_relative = 1e-12);
}

#[test]
fn costless_fusion_example_larger_memory_for_the_summed_time() {
    // Fusing face detection (512 MB, 2 s) with the duplicate check (128 MB, 5 s)
    // runs both at 512 MB for 7 s: $58.3 per 1M runs, against $16.67 + $10.42 +
    // one transition ($25) = $52.1 unfused.
    let fused = costless_function(1e6, 512, 7.0);
    approx::assert_relative_eq!(fused, 58.345, max_relative = 1e-12);
    let pricing = Pricing {
        orchestration: Orchestration::aws_standard(),
        ..Pricing::default()
    };
    let one_transition = stage_extra(&pricing, &single(1, false), one(512)).orchestration_usd;
    let unfused =
        costless_function(1e6, 512, 2.0) + costless_function(1e6, 128, 5.0) + one_transition * 1e6;
    approx::assert_relative_eq!(unfused, 52.0938, max_relative = 1e-4);
    assert!(fused > unfused);
}

#[test]
fn map_states_pay_one_transition_per_iteration_and_fan_outs_one_more() {
    let map = StageSite {
        kind: StageKind::Parallel,
        ..single(2, false)
    };
    assert_eq!(
        transitions(
            &map,
            Config {
                memory_mb: 1024,
                d: 8
            }
        ),
        1 + 8 + 1
    );
    assert_eq!(transitions(&single(0, true), one(128)), 2);
}

#[test]
fn express_charges_the_execution_once_and_duration_in_64_mb_steps() {
    let pricing = Pricing {
        orchestration: Orchestration::StepFunctionsExpress {
            usd_per_request: 1.0e-6,
            usd_per_gb_s: 0.000_016_67,
            memory_mb: 65,
        },
        ..Pricing::default()
    };
    let first = stage_extra(&pricing, &single(1, true), one(128));
    let later = stage_extra(&pricing, &single(0, false), one(128));
    assert_eq!(first.orchestration_usd, 1.0e-6);
    assert_eq!(later.orchestration_usd, 0.0);
    approx::assert_relative_eq!(
        later.orchestration_usd_per_s,
        128.0 / 1024.0 * 0.000_016_67,
        max_relative = 1e-12
    );
}

#[test]
fn object_storage_requests_scale_with_the_instances() {
    let pricing = Pricing {
        edge_data: vec![EdgeData {
            from: "a".into(),
            to: "b".into(),
            data_mb: 2048.0,
        }],
        storage: ObjectStorage {
            usd_per_gb: 0.01,
            ..ObjectStorage::default()
        },
        ..Pricing::default()
    };
    let site = StageSite {
        kind: StageKind::Parallel,
        reads_mb: &[10.0],
        writes_mb: &[2048.0],
        ..single(1, false)
    };
    let e = stage_extra(
        &pricing,
        &site,
        Config {
            memory_mb: 1024,
            d: 4,
        },
    );
    let want = 4.0 * 0.005 / 1000.0 + 4.0 * 0.0004 / 1000.0 + 2.0 * 0.01;
    approx::assert_relative_eq!(e.transfer_usd, want, max_relative = 1e-12);
    assert_eq!(e.orchestration_usd, 0.0);
}

#[test]
fn bad_prices_and_unknown_edges_are_refused_by_name() {
    let bad = Pricing {
        orchestration: Orchestration::StepFunctionsStandard {
            usd_per_transition: -1.0,
        },
        ..Pricing::default()
    };
    let err = bad.validate(None).unwrap_err().to_string();
    assert!(err.contains("orchestration.usd_per_transition"), "{err}");
    let workflow: crate::dag::Workflow =
        serde_json::from_value(serde_json::json!({"name": "w", "stages": [], "edges": []}))
            .unwrap();
    let unknown = Pricing {
        edge_data: vec![EdgeData {
            from: "x".into(),
            to: "y".into(),
            data_mb: 1.0,
        }],
        ..Pricing::default()
    };
    let err = unknown.validate(Some(&workflow)).unwrap_err().to_string();
    assert!(
        err.contains("edge_data[0]") && err.contains("x -> y"),
        "{err}"
    );
    let mut platform = Preset::AwsX86_64.platform();
    *platform.pricing = bad;
    assert!(platform.validate().is_err());
}

#[test]
fn a_service_stage_pays_its_price_and_no_function_fees() {
    let workflow: crate::dag::Workflow = serde_json::from_value(serde_json::json!({
        "name": "w",
        "stages": [
            {"id": "f", "kind": "single", "allowed_d": [1], "memory": {"min_mb": 128, "max_mb": 256, "step_mb": 128}},
            {"id": "db", "kind": "single", "allowed_d": [1], "memory": {"min_mb": 128, "max_mb": 256, "step_mb": 128}}
        ],
        "edges": [{"from": "f", "to": "db"}]
    }))
    .unwrap();
    let pricing = Pricing {
        services: vec![ServiceCost {
            stage: "db".into(),
            usd_per_run: 1.25e-6,
        }],
        ..Pricing::default()
    };
    assert!(!pricing.is_free());
    let parents = vec![vec![], vec![0]];
    let topo = vec![0, 1];
    let f = workflow_stage_extra(&pricing, &workflow, &parents, &topo, 0, one(128));
    assert!(f.is_zero() && !f.service);
    let db = workflow_stage_extra(&pricing, &workflow, &parents, &topo, 1, one(128));
    assert!(db.service);
    assert_eq!(db.fixed_usd(), 1.25e-6);
    pricing.validate(Some(&workflow)).unwrap();
    let mut twice = pricing.clone();
    twice.services.push(twice.services[0].clone());
    let err = twice.validate(None).unwrap_err().to_string();
    assert!(
        err.contains("services[1]") && err.contains("second price"),
        "{err}"
    );
    let mut unknown = pricing.clone();
    unknown.services[0].stage = "nope".into();
    let err = unknown.validate(Some(&workflow)).unwrap_err().to_string();
    assert!(
        err.contains("services[0]") && err.contains("\"nope\""),
        "{err}"
    );
    let mut negative = pricing;
    negative.services[0].usd_per_run = -1.0;
    let err = negative.validate(None).unwrap_err().to_string();
    assert!(err.contains("services[0].usd_per_run"), "{err}");
}
