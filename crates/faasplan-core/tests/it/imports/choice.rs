//! Choice states: imported as alternatives, planned for the slowest by
//! default, or with user-set probabilities as a mixture over the alternatives.

use faasplan_core::dag::{Alternative, Choice, ChoiceMode, Config};
use faasplan_core::formats::asl::{AslOptions, import_state_machine};
use faasplan_core::formats::project::Project;
use faasplan_core::pipeline::{self, Limits, Prepared};
use faasplan_core::plan::PlanStatus;
use faasplan_core::platform::Preset;
use faasplan_core::profile::{ProfileRun, Profiles, StageProfile, StepStat};
use faasplan_core::settings::{Bound, PlanSettings, SampleCount};
use faasplan_core::stats::quantile;

use super::ALL;

/// A → Pick (Fast | Slow) → D, every Lambda.
const FORK: &str = r#"{"StartAt": "A", "States": {
  "A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:a", "Next": "Pick"},
  "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.small", "BooleanEquals": true, "Next": "Fast"}], "Default": "Slow"},
  "Fast": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:fast", "Next": "D"},
  "Slow": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:slow", "Next": "D"},
  "D": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:d", "End": true}}}"#;

/// Stage durations, s: the same in every run, so every stage's latency is one value.
const DURATIONS: [(&str, f64); 4] = [("A", 1.0), ("Fast", 0.5), ("Slow", 4.0), ("D", 1.0)];

fn runs(duration_s: f64) -> Vec<ProfileRun> {
    let zero = StepStat {
        mean_s: 0.0,
        p95_s: 0.0,
    };
    [512, 1024, 2048]
        .iter()
        .flat_map(|&memory_mb| {
            (0..3).map(move |rep| ProfileRun {
                memory_mb,
                d: 1,
                rep,
                cold: false,
                start: zero,
                read: zero,
                compute: StepStat {
                    mean_s: duration_s,
                    p95_s: duration_s,
                },
                write: None,
                timestamp: None,
                architecture: None,
            })
        })
        .collect()
}

/// The fork with every stage fixed at 1024 MB, and the Choice's weights if any.
fn project(weights: Option<[f64; 2]>, bound: Bound) -> Project {
    let mut workflow = import_state_machine(FORK, &AslOptions::default())
        .expect("imports")
        .workflow;
    for s in &mut workflow.stages {
        s.fixed = Some(Config {
            memory_mb: 1024,
            d: 1,
        });
    }
    if let Some(w) = weights {
        workflow.choices[0].set_probabilities(&w).expect("valid");
    }
    Project {
        workflow,
        profiles: Profiles {
            mb_per_vcpu: 1769.0,
            stages: DURATIONS
                .iter()
                .map(|&(id, t)| StageProfile {
                    stage: id.into(),
                    runs: runs(t),
                })
                .collect(),
        },
        platform: Preset::AwsX86_64.platform(),
        settings: PlanSettings {
            bound,
            samples: SampleCount::Fixed(4000),
            ..PlanSettings::default()
        },
    }
}

/// Stage indices of A, Fast, Slow and D.
fn indices(p: &Project) -> [usize; 4] {
    DURATIONS.map(|(id, _)| p.workflow.stage_index(id).expect("stage"))
}

/// Per sample, the workflow latency of the (only) plan: A + max(Fast, Slow) + D.
fn workflow_latency(p: &Prepared, [a, f, s, d]: [usize; 4]) -> Vec<f64> {
    let lat = |i: usize| p.problem.latencies(i, 0);
    (0..p.problem.n_samples)
        .map(|k| {
            let l = |i: usize| f64::from(lat(i)[k]);
            l(a) + l(f).max(l(s)) + l(d)
        })
        .collect()
}

#[test]
fn a_choice_is_imported_as_alternatives_planned_for_the_slowest() {
    let w = project(None, Bound::Latency { max_s: 60.0 }).workflow;
    assert_eq!(
        w.choices,
        [Choice {
            name: "Pick".into(),
            mode: ChoiceMode::Slowest,
            alternatives: vec![
                Alternative {
                    label: "Fast".into(),
                    stages: vec!["Fast".into()],
                    probability: 0.5,
                },
                Alternative {
                    label: "Slow".into(),
                    stages: vec!["Slow".into()],
                    probability: 0.5,
                },
            ],
        }]
    );
    // Slowest: both alternatives run in every sample.
    let base = project(None, Bound::Latency { max_s: 60.0 });
    let p = pipeline::prepare(&base).expect("prepares");
    for i in indices(&base) {
        assert!(p.problem.latencies(i, 0).iter().all(|&l| l > 0.0));
    }
}

#[test]
fn probabilities_give_the_mixture_of_the_alternatives() {
    let base = project(None, Bound::Latency { max_s: 60.0 });
    let ix = indices(&base);
    let [_, fi, si, _] = ix;
    let slowest = pipeline::prepare(&base).expect("slowest");
    // Every stage takes one value (identical runs): read it off the table.
    let value = |i: usize| {
        let row = slowest.problem.latencies(i, 0);
        let (lo, hi) = row.iter().fold((f64::MAX, f64::MIN), |(a, b), &x| {
            (a.min(f64::from(x)), b.max(f64::from(x)))
        });
        assert!(hi - lo < 1e-9, "stage {i} varies: {lo}..{hi}");
        lo
    };
    let [a, fast, slow, d] = ix.map(value);
    assert!(slow > fast + 1.0, "{fast} {slow}");
    let fast_path = a + fast + d;
    let slow_path = a + slow + d;
    let q = 0.95;
    for p_slow in [0.03, 0.2] {
        let mixed = pipeline::prepare(&project(
            Some([1.0 - p_slow, p_slow]),
            Bound::Latency { max_s: 60.0 },
        ))
        .expect("mixed");
        let n = mixed.problem.n_samples;
        let (f, s) = (
            mixed.problem.latencies(fi, 0),
            mixed.problem.latencies(si, 0),
        );
        // Exactly one alternative runs per sample, with the latency it has when it runs.
        let mut slow_count = 0usize;
        for k in 0..n {
            assert!(
                (f[k] > 0.0) != (s[k] > 0.0),
                "sample {k}: {} {}",
                f[k],
                s[k]
            );
            if s[k] > 0.0 {
                slow_count += 1;
                assert_eq!(s[k], slowest.problem.latencies(si, 0)[k]);
            } else {
                assert_eq!(f[k], slowest.problem.latencies(fi, 0)[k]);
                assert_eq!(mixed.problem.costs(si, 0)[k], 0.0);
            }
        }
        let share = slow_count as f64 / n as f64;
        let sigma = (p_slow * (1.0 - p_slow) / n as f64).sqrt();
        assert!((share - p_slow).abs() < 4.0 * sigma, "{share} vs {p_slow}");
        // Analytic mixture: F(t) = (1 − p)·1[t ≥ fast path] + p·1[t ≥ slow path].
        let lat = workflow_latency(&mixed, ix);
        let mean = lat.iter().sum::<f64>() / n as f64;
        let want_mean = (1.0 - p_slow) * fast_path + p_slow * slow_path;
        let sd = (slow_path - fast_path) * sigma;
        assert!(
            (mean - want_mean).abs() < 4.0 * sd + 1e-9,
            "{mean} vs {want_mean}"
        );
        let want_q = if 1.0 - p_slow >= q {
            fast_path
        } else {
            slow_path
        };
        approx::assert_relative_eq!(quantile(&lat, q), want_q, max_relative = 1e-9);
        // The Slow stage's expected cost is its share of the slowest plan's.
        let cost_ratio = mixed.problem.stages[si].expected_cost_usd[0]
            / slowest.problem.stages[si].expected_cost_usd[0];
        approx::assert_relative_eq!(cost_ratio, share, max_relative = 1e-9);
    }
}

#[test]
fn a_bound_only_the_mixture_meets_is_feasible_with_probabilities() {
    let base = project(None, Bound::Latency { max_s: 60.0 });
    let [a, f, _, d] = indices(&base);
    let slowest = pipeline::prepare(&base).expect("slowest");
    let fast_path: f64 = [a, f, d]
        .iter()
        .map(|&i| f64::from(slowest.problem.latencies(i, 0)[0]))
        .sum();
    let bound = Bound::Latency {
        max_s: fast_path + 0.5,
    };
    let limits = Limits::default();
    let worst = pipeline::plan(&project(None, bound), limits).expect("plans");
    assert!(
        matches!(worst.status, PlanStatus::Infeasible { .. }),
        "{:?}",
        worst.status
    );
    let mixed = pipeline::plan(&project(Some([0.99, 0.01]), bound), limits).expect("plans");
    assert_eq!(mixed.status, PlanStatus::Optimal);
    let totals = mixed.totals.expect("totals");
    assert!(totals.guaranteed_latency_s <= fast_path + 0.5, "{totals:?}");
    // The certificate's fresh samples draw the Choice too: the slow path is rare.
    let oos = mixed.out_of_sample.expect("out of sample");
    assert!(oos.fraction_meeting_bound > 0.95, "{oos:?}");
}

#[test]
fn bad_probabilities_are_refused_naming_the_choice() {
    let mut w = project(None, Bound::Latency { max_s: 60.0 }).workflow;
    let c = &mut w.choices[0];
    assert!(
        c.set_probabilities(&[0.5])
            .unwrap_err()
            .contains("1 probabilities for 2 alternatives")
    );
    assert!(
        c.set_probabilities(&[0.5, -1.0])
            .unwrap_err()
            .contains("\"Slow\"")
    );
    assert!(
        c.set_probabilities(&[0.0, 0.0])
            .unwrap_err()
            .contains("sum to 0")
    );
    w.choices[0].alternatives[1].stages.push("Nope".into());
    let e = w.validate().unwrap_err().to_string();
    assert!(
        e.starts_with("choice \"Pick\": ") && e.contains("\"Nope\""),
        "{e}"
    );
}

#[test]
fn choices_of_the_real_samples_and_their_probabilities_survive_the_project_file() {
    let find = |key: &str| ALL.iter().find(|(p, _)| p.contains(key)).expect("sample").1;
    let options = AslOptions::default();
    let replay =
        import_state_machine(find("eventbridge-replay-events"), &options).expect("imports");
    let names: Vec<(&str, Vec<&str>)> = replay.workflow.choices[0]
        .alternatives
        .iter()
        .map(|a| {
            (
                a.label.as_str(),
                a.stages.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(replay.workflow.choices[0].name, "Is event in the future?");
    assert_eq!(names, [("Wait", vec!["Simulate Event"]), ("Pass", vec![])]);
    // Choices that only close a cycle (polling, pagination) are no choice once
    // the cycle is unrolled; Choices whose routes hold no Task change nothing.
    for key in [
        "powertuning__statemachine",
        "getfunctionstatus",
        "ImageProcessing__",
    ] {
        let i = import_state_machine(find(key), &options).expect(key);
        assert!(
            i.workflow.choices.is_empty(),
            "{key}: {:?}",
            i.workflow.choices
        );
    }
    let p = project(Some([0.25, 0.75]), Bound::Latency { max_s: 60.0 });
    let text = p.to_json();
    assert!(text.contains("\"mode\": \"probabilities\""), "{text}");
    let back = Project::from_json(&text).expect("reads");
    assert_eq!(back.workflow.choices, p.workflow.choices);
    assert_eq!(back.to_json(), text);
}
