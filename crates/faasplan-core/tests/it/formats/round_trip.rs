//! Round trips: CSV, project and plan JSON.

use faasplan_core::certify::Certificate;
use faasplan_core::dag::Position;
use faasplan_core::formats::csv::{read_profiles_csv, write_profiles_csv};
use faasplan_core::formats::project::Project;
use faasplan_core::plan::{
    self, Guarantee, OutOfSample, PlanReport, PlanStatus, PlanTotals, SettingsEcho, StagePlan,
    guaranteed_value,
};
use faasplan_core::platform::Preset;
use faasplan_core::pricing::CostBreakdown;
use faasplan_core::profile::{ProfileRun, Profiles, StageProfile, StepStat};
use faasplan_core::settings::{Bound, ColdStarts, CostKind, PlanSettings, SampleCount};

use super::{ML_PROFILE, ML_WORKFLOW, VIDEO_PROFILE, VIDEO_WORKFLOW, bundled};

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn csv_write_then_read_gives_back_the_bundled_profiles_exactly() {
    for (w, p) in [(ML_WORKFLOW, ML_PROFILE), (VIDEO_WORKFLOW, VIDEO_PROFILE)] {
        let (_, profiles) = bundled(w, p);
        let text = write_profiles_csv(&profiles);
        let back = read_profiles_csv(&text, profiles.mb_per_vcpu).unwrap();
        assert_eq!(back, profiles);
        assert_eq!(write_profiles_csv(&back), text);
    }
}

fn awkward_profiles() -> Profiles {
    let stat = |mean_s: f64, p95_s: f64| StepStat { mean_s, p95_s };
    let run = |write| ProfileRun {
        memory_mb: 1769,
        d: 3,
        rep: 7,
        cold: false,
        start: stat(-0.0, -1e-300),
        read: stat(0.1 + 0.2, 86_400.0 * (1.0 - f64::EPSILON)),
        compute: stat(f64::MIN_POSITIVE, 5e-324),
        write,
        // Dated and undated rows mixed: the CSV writes an empty cell for the latter.
        timestamp: write.map(|_: StepStat| 1_764_000_000.125),
        // Tagged and untagged rows mixed, as dated and undated ones.
        architecture: write.map(|_: StepStat| faasplan_core::arch::Arch::Arm64),
    };
    let stages = [" lead", "a,b", "say \"hi\"", "#tag", "ünï"]
        .iter()
        .map(|id| StageProfile {
            stage: id.to_string(),
            runs: vec![run(None), run(Some(stat(1.0, 2.0)))],
        })
        .collect();
    Profiles {
        mb_per_vcpu: 1769.0,
        stages,
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn csv_round_trips_extreme_floats_missing_writes_and_quoted_ids() {
    let profiles = awkward_profiles();
    let text = write_profiles_csv(&profiles);
    let back = read_profiles_csv(&text, 1769.0).unwrap();
    assert_eq!(back, profiles);
    let bits = |p: &Profiles| p.stages[0].runs[0].start.mean_s.to_bits();
    assert_eq!(bits(&back), bits(&profiles));
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn csv_reader_accepts_any_column_order_crlf_comments_and_spaces() {
    let text = "\u{feff}# exported by hand\r\n\r\n  rep , d,stage,memory_mb,cold,start_mean_s,start_p95_s,read_mean_s,read_p95_s,compute_mean_s,compute_p95_s\r\n\
                0, 4 , \"s 1\" ,1792, TRUE ,1,2,3,4,5,6\r\n# done\r\n1,4,s2,1792,0,1,2,3,4,5,6";
    let p = read_profiles_csv(text, 1792.0).unwrap();
    let ids: Vec<&str> = p.stages.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(ids, ["s 1", "s2"]);
    let r = &p.stages[0].runs[0];
    assert_eq!(
        (r.memory_mb, r.d, r.rep, r.cold, r.write),
        (1792, 4, 0, true, None)
    );
    assert_eq!((r.compute.mean_s, p.stages[1].runs[0].cold), (5.0, false));
}

fn sample_project() -> Project {
    let (mut workflow, profiles) = bundled(ML_WORKFLOW, ML_PROFILE);
    workflow.stages[2].position = Some(Position {
        x: 0.1 + 0.2,
        y: -3.5,
    });
    workflow.stages[1].fixed = Some(faasplan_core::dag::Config {
        memory_mb: 1792,
        d: 8,
    });
    let settings = PlanSettings {
        bound: Bound::Cost {
            max_usd: 0.001_234_567_890_123,
            kind: CostKind::Quantile,
        },
        percentile: 0.99,
        delta: 1e-6,
        alpha: 0.001,
        samples: SampleCount::Fixed(5000),
        seed: u64::MAX,
        fresh_samples: SampleCount::Fixed(12_345),
        cold_starts: ColdStarts::Rate(12.5),
        cold_start_stages: [("stage0".to_string(), ColdStarts::AllWarm)]
            .into_iter()
            .collect(),
        exclude_flagged: true,
        window: faasplan_core::settings::Window {
            max_age_s: Some(7.0 * 86_400.0),
            max_runs: Some(5),
        },
        architectures: [(
            "stage0".to_string(),
            faasplan_core::arch::StageArchitectures::both(Some(0.85)),
        )]
        .into_iter()
        .collect(),
    };
    Project {
        workflow,
        profiles,
        platform: Preset::JolteonProfiled.platform(),
        settings,
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn project_write_read_write_is_byte_and_value_identical() {
    let project = sample_project();
    let text = project.to_json();
    assert!(
        text.starts_with(
            "{\n  \"format\": \"faasplan-project\",\n  \"version\": 1,\n  \"workflow\""
        )
    );
    assert!(text.ends_with("}\n"));
    let back = Project::from_json(&text).unwrap();
    assert_eq!(back, project);
    assert_eq!(back.to_json(), text);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn project_round_trips_listed_memory_sizes_and_omits_an_empty_list() {
    let mut project = sample_project();
    assert!(!project.to_json().contains("listed_mb"));
    let m = &mut project.workflow.stages[1].memory;
    m.listed_mb = vec![m.min_mb + 1, m.max_mb - 1];
    let text = project.to_json();
    assert!(text.contains("\"listed_mb\": ["), "{text}");
    let back = Project::from_json(&text).unwrap();
    assert_eq!(back, project);
    assert_eq!(back.to_json(), text);
    let bad = text.replacen("\"listed_mb\": [", "\"listed_mb\": [1, ", 1);
    let err = Project::from_json(&bad).unwrap_err().to_string();
    assert!(
        err.contains("memory.listed_mb[0]: 1 MB is outside"),
        "{err}"
    );
}

fn sample_plan(status: PlanStatus) -> PlanReport {
    let totals = PlanTotals {
        latency_p50_s: 41.25,
        latency_q_s: 0.1 + 0.2 + 50.0,
        guaranteed_latency_s: 52.000_000_000_000_01,
        expected_cost_usd: 1.234e-5,
        cost_q_usd: 2.5e-5,
    };
    let stage = |(i, (memory_mb, d)): (usize, (u32, u32))| StagePlan {
        stage: format!("stage{i}"),
        memory_mb,
        vcpu: f64::from(memory_mb) / 1792.0,
        d,
        latency_p50_s: 2.0 + 10.0 / 3.0 * i as f64,
        latency_q_s: 2.5 + 30.0 / 7.0 * i as f64,
        expected_cost_usd: 1e-7 * (i + 1) as f64,
        fused_into: None,
        on_edge: false,
        architecture: None,
        shares_memory_with: Vec::new(),
    };
    let configs = [(1792, 1), (3584, 8), (5120, 16), (1792, 1)];
    PlanReport {
        workflow: "ML-Pipeline".into(),
        settings: SettingsEcho {
            bound: Bound::Latency { max_s: 60.0 },
            percentile: 0.95,
            confidence: 0.999,
            alpha: 0.0,
            samples: 6789,
            seed: 42,
            platform: "AWS Lambda x86_64".into(),
        },
        status,
        stages: configs.into_iter().enumerate().map(stage).collect(),
        totals: Some(totals.clone()),
        cost_breakdown: Some(CostBreakdown {
            functions_usd: 1.0e-5,
            transitions_usd: 2.0e-6,
            transfer_usd: 3.4e-7,
            edge_usd: 0.0,
        }),
        out_of_sample: Some(OutOfSample {
            seed: 43,
            samples: 10_000,
            totals,
            fraction_meeting_bound: 0.9512,
        }),
        guarantee: Some(Guarantee {
            samples: 6789,
            allowed_violations: 201,
            union_bound: true,
            attempts: 2,
            certificate: Some(Certificate {
                fresh_samples: 30_503,
                confidence: 0.99975,
                allowed_violations: Some(1225),
                violations: Some(881),
                violation_upper: Some(0.032_368_123_456_789_01),
                certified_latency_s: Some(52.000_000_000_000_01),
                certified_cost_q_usd: None,
                meets_bound: Some(true),
            }),
        }),
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn plan_json_round_trips_for_every_status() {
    let statuses = [
        PlanStatus::Optimal,
        PlanStatus::FeasibleWithGap {
            relative_gap: 0.0125,
        },
        PlanStatus::Infeasible {
            nearest_bound: Some(Bound::Latency { max_s: 71.5 }),
        },
    ];
    for status in statuses {
        let report = sample_plan(status);
        let text = plan::to_json(&report);
        assert!(text.starts_with("{\n  \"format\": \"faasplan-plan\",\n  \"version\": 1,\n  \"workflow\": \"ML-Pipeline\""));
        let back = plan::from_json(&text).unwrap();
        assert_eq!(back, report);
        assert_eq!(plan::to_json(&back), text);
    }
    let example = plan::to_json(&sample_plan(PlanStatus::Optimal));
    // The documented example stays in sync with the writer (`UPDATE_EXPECT=1` rewrites it
    // natively; in wasm32 there is no file system, so compare with the embedded copy).
    #[cfg(not(target_arch = "wasm32"))]
    expect_test::expect_file!["plan_example.json"].assert_eq(&example);
    #[cfg(target_arch = "wasm32")]
    assert_eq!(example, include_str!("plan_example.json"));
    let mut empty = sample_plan(PlanStatus::Infeasible {
        nearest_bound: Some(Bound::Cost {
            max_usd: 0.002,
            kind: CostKind::Mean,
        }),
    });
    (empty.stages, empty.totals, empty.out_of_sample) = (Vec::new(), None, None);
    assert_eq!(plan::from_json(&plan::to_json(&empty)).unwrap(), empty);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn guaranteed_value_is_the_n_minus_floor_alpha_n_th_smallest_sample() {
    let samples: Vec<f64> = (1..=100).rev().map(f64::from).collect();
    assert_eq!(guaranteed_value(&samples, 0.0), Some(100.0));
    assert_eq!(guaranteed_value(&samples, 0.05), Some(95.0));
    assert_eq!(guaranteed_value(&samples, 0.059), Some(95.0));
    assert_eq!(guaranteed_value(&samples, 1.0), Some(1.0));
    assert_eq!(guaranteed_value(&[], 0.0), None);
}
