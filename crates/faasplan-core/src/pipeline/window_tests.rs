//! The sliding window follows a drift in the measurements.

use super::{Limits, check, fit_profiles};
use crate::dag::{Config, Workflow};
use crate::formats::project::Project;
use crate::model::fit_workflow;
use crate::platform::Preset;
use crate::profile::{ProfileRun, Profiles, StageProfile, StepStat};
use crate::settings::{PlanSettings, Window};

const DAY: f64 = 86_400.0;
const SIZES: [u32; 4] = [512, 1024, 1769, 3008];

/// The stage's true mean wall time at `memory_mb` when compute needs `level` vCPU-seconds.
fn truth(memory_mb: u32, level: f64) -> f64 {
    let vcpu = f64::from(memory_mb) / 1769.0;
    0.05 + 0.1 + 0.2 + level / vcpu.min(1.0)
}

/// Ten days of runs, two a day per size: the compute level is 1.0 for seven
/// days, then 1.5 (a 50% slowdown); ±2% deterministic noise.
fn drifting() -> Project {
    let workflow: Workflow = serde_json::from_str(
        r#"{"name": "drift", "edges": [], "stages": [{"id": "s", "kind": "single", "allowed_d": [],
            "memory": {"min_mb": 512, "max_mb": 3008, "step_mb": 1}}]}"#,
    )
    .unwrap();
    let mut runs = Vec::new();
    let mut i = 0u32;
    for day in 0..10 {
        let level = if day < 7 { 1.0 } else { 1.5 };
        for half in 0..2 {
            for &m in &SIZES {
                let noise = 1.0 + 0.02 * f64::from(i).sin();
                i += 1;
                let compute = (truth(m, level) - 0.15) * noise;
                let stat = |v: f64| StepStat {
                    mean_s: v,
                    p95_s: v,
                };
                runs.push(ProfileRun {
                    memory_mb: m,
                    d: 1,
                    rep: day * 2 + half,
                    cold: false,
                    start: stat(0.05),
                    read: stat(0.1),
                    compute: stat(compute),
                    write: None,
                    timestamp: Some(1.7e9 + f64::from(day) * DAY + f64::from(half) * 3600.0),
                    architecture: None,
                });
            }
        }
    }
    Project {
        workflow,
        profiles: Profiles {
            mb_per_vcpu: 1769.0,
            stages: vec![StageProfile {
                stage: "s".into(),
                runs,
            }],
        },
        platform: Preset::AwsX86_64.platform(),
        settings: PlanSettings::default(),
    }
}

/// The fitted model's mean latency at each profiled size, relative to the new
/// level: fitted on what the pipeline fits (`fit_profiles`).
fn errors(project: &Project) -> Vec<f64> {
    let dag = check(project, Limits::default()).unwrap().dag;
    let profiles = fit_profiles(project).unwrap_or_else(|| project.profiles.clone());
    let model = fit_workflow(&project.workflow, &dag, &profiles).unwrap();
    SIZES
        .iter()
        .map(|&m| {
            let predicted = model.stages[0].mean_latency(
                Config { memory_mb: m, d: 1 },
                None,
                f64::from(m) / 1769.0,
            );
            (predicted / truth(m, 1.5) - 1.0).abs()
        })
        .collect()
}

#[test]
fn window_follows_a_drift() {
    let mut p = drifting();
    let all = errors(&p);
    assert!(
        all.iter().any(|&e| e > 0.10),
        "fitted on every run the model should mix the levels: {all:?}"
    );
    p.settings.window = Window {
        max_age_s: Some(2.0 * DAY),
        max_runs: None,
    };
    // Days 7..=9 minus the first half of day 7: the new level only.
    let kept = fit_profiles(&p).unwrap();
    assert!(kept.stages[0].runs.iter().all(|r| r.rep >= 14));
    let windowed = errors(&p);
    assert!(windowed.iter().all(|&e| e < 0.05), "{windowed:?}");
    p.settings.window = Window {
        max_age_s: None,
        max_runs: Some(2),
    };
    let newest = errors(&p);
    assert!(newest.iter().all(|&e| e < 0.05), "{newest:?}");
}

#[test]
fn the_window_applies_before_the_anomaly_filter_and_is_validated() {
    let mut p = drifting();
    assert!(fit_profiles(&p).is_none(), "no setting: every run");
    p.settings.exclude_flagged = true;
    p.settings.window.max_runs = Some(3);
    let kept = fit_profiles(&p).unwrap();
    assert!(kept.stages[0].runs.len() <= 3 * SIZES.len());
    p.settings.window.max_runs = Some(0);
    let err = check(&p, Limits::default()).err().unwrap().to_string();
    assert!(err.contains("settings.window.max_runs"), "{err}");
}
