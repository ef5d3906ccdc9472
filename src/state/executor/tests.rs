use faasplan_core::profile::{ProfileRun, StageProfile, StepStat};

use super::*;
use crate::state::{Action, AppState};

fn step(s: f64) -> StepStat {
    StepStat {
        mean_s: s,
        p95_s: s,
    }
}

fn run(memory_mb: u32, d: u32, rep: u32) -> ProfileRun {
    ProfileRun {
        memory_mb,
        d,
        rep,
        cold: false,
        start: step(0.1),
        read: step(0.2),
        compute: step(1.0),
        write: None,
        timestamp: None,
        architecture: None,
    }
}

fn profiles(mb_per_vcpu: f64, stage: &str, runs: Vec<ProfileRun>) -> Profiles {
    Profiles {
        mb_per_vcpu,
        stages: vec![StageProfile {
            stage: stage.to_string(),
            runs,
        }],
    }
}

fn workflow() -> Workflow {
    serde_json::from_str(
        r#"{"name": "w", "stages": [
            {"id": "sort", "kind": "parallel", "allowed_d": [1, 2, 4, 8],
             "memory": {"min_mb": 128, "max_mb": 1024, "step_mb": 128}},
            {"id": "merge", "kind": "single", "allowed_d": [1],
             "memory": {"min_mb": 128, "max_mb": 1024, "step_mb": 128}}],
            "edges": [{"from": "sort", "to": "merge"}]}"#,
    )
    .unwrap()
}

fn sc(stage: &str, memory_mb: u32, d: u32) -> StageConfig {
    StageConfig {
        stage: stage.to_string(),
        memory_mb,
        d,
    }
}

#[test]
fn merged_runs_continue_the_repetitions_of_their_configuration() {
    let old = profiles(1769.0, "sort", vec![run(512, 2, 0), run(512, 2, 1)]);
    let fresh = profiles(1769.0, "sort", vec![run(512, 2, 0), run(1024, 2, 0)]);
    let merged = merge_profiles(Some(&old), &fresh).unwrap();
    let reps: Vec<(u32, u32)> = merged.stages[0]
        .runs
        .iter()
        .map(|r| (r.memory_mb, r.rep))
        .collect();
    assert_eq!(reps, [(512, 0), (512, 1), (512, 2), (1024, 0)]);
    let other = profiles(1769.0, "merge", vec![run(256, 1, 0)]);
    let merged = merge_profiles(Some(&merged), &other).unwrap();
    assert_eq!(merged.stages.len(), 2);
    assert_eq!(merge_profiles(None, &other).unwrap(), other);
}

#[test]
fn profiles_of_another_platform_are_refused_with_both_figures() {
    let old = profiles(1769.0, "sort", vec![run(512, 2, 0)]);
    let fresh = profiles(1024.0, "sort", vec![run(512, 2, 0)]);
    let e = merge_profiles(Some(&old), &fresh).unwrap_err();
    assert!(e.contains("1024") && e.contains("1769"), "{e}");
}

#[test]
fn merging_into_the_project_is_one_undo_step_and_a_new_input() {
    let mut s = AppState::default();
    s.apply(Action::ProfilesLoaded(profiles(
        1769.0,
        "sort",
        vec![run(512, 2, 0)],
    )));
    let before = s.project.clone();
    let rev = s.inputs_rev;
    s.apply(Action::MergeExecutorProfiles(Rc::new(profiles(
        1769.0,
        "sort",
        vec![run(512, 2, 0), run(512, 2, 1)],
    ))));
    assert_eq!(s.inputs_rev, rev + 1);
    assert_eq!(s.project.profiles.as_ref().unwrap().stages[0].runs.len(), 3);
    s.apply(Action::Undo);
    assert_eq!(s.project.profiles, before.profiles);
    s.apply(Action::Redo);
    assert_eq!(s.project.profiles.as_ref().unwrap().stages[0].runs.len(), 3);

    let refused = profiles(512.0, "sort", vec![run(512, 2, 0)]);
    let rev = s.inputs_rev;
    s.apply(Action::MergeExecutorProfiles(Rc::new(refused)));
    assert_eq!(s.inputs_rev, rev, "a refused merge changes nothing");
    assert!(s.notices.last().unwrap().text.contains("MB per vCPU"));
}

#[test]
fn measured_figures_use_nearest_rank_quantiles_and_the_project_prices() {
    let platform = faasplan_core::platform::Preset::AwsX86_64.platform();
    let executions: Vec<ExecutionRecord> = (1..=10)
        .map(|i| ExecutionRecord {
            configuration: 0,
            rep: i - 1,
            cold: i == 1,
            latency_s: f64::from(i),
            billed_gb_s: 2.0,
            invocations: 3,
            ..ExecutionRecord::default()
        })
        .collect();
    let wf = workflow();
    let m = measure(&executions, &wf, &platform, 0.9).unwrap();
    assert_eq!((m.executions, m.cold), (10, 1));
    assert_eq!(m.p50_s, 5.0);
    assert_eq!(m.q_s, 9.0);
    // Without per-stage rows: the totals, functions only.
    let cost = 2.0 * platform.price_per_gb_s + 3.0 * platform.price_per_request;
    assert!((m.cost_usd - cost).abs() < 1e-15);
    assert_eq!(m.breakdown.functions_usd, m.cost_usd);
    assert_eq!(measure(&[], &wf, &platform, 0.9), None);
}

#[test]
fn neighbours_change_one_stage_at_a_time_within_what_it_allows() {
    let wf = workflow();
    let plan = vec![sc("sort", 512, 2), sc("merge", 1024, 1)];
    let n = neighbours(&wf, &plan, 64);
    assert_eq!(n[0], plan);
    assert!(n.contains(&vec![sc("sort", 384, 2), sc("merge", 1024, 1)]));
    assert!(n.contains(&vec![sc("sort", 640, 2), sc("merge", 1024, 1)]));
    assert!(n.contains(&vec![sc("sort", 512, 1), sc("merge", 1024, 1)]));
    assert!(n.contains(&vec![sc("sort", 512, 4), sc("merge", 1024, 1)]));
    assert!(n.contains(&vec![sc("sort", 512, 2), sc("merge", 896, 1)]));
    // merge is at its largest size and a single-instance stage: nothing above.
    assert_eq!(n.len(), 6);
    assert_eq!(neighbours(&wf, &plan, 2).len(), 2);
}

#[test]
fn configurations_round_trip_through_text_and_errors_name_the_line() {
    let configs = vec![
        vec![sc("sort", 512, 2), sc("merge", 1024, 1)],
        vec![sc("sort", 256, 4), sc("merge", 128, 1)],
    ];
    let text = format_configurations(&configs);
    assert_eq!(
        parse_configurations(&format!("# comment\n\n{text}")).unwrap(),
        configs
    );
    let e = parse_configurations("sort=512x2\nsort=lots x2").unwrap_err();
    assert!(e.contains("line 2") && e.contains("memory"), "{e}");
    let e = parse_configurations("sort 512").unwrap_err();
    assert!(e.contains("line 1") && e.contains("stage=MEMORYxD"), "{e}");
    assert!(parse_configurations("\n# nothing\n").is_err());
}

fn status(state: RunState, finished: u64) -> ExecRunStatus {
    ExecRunStatus {
        id: "r1".to_string(),
        backend: "local".to_string(),
        state,
        executions_total: 4,
        executions_finished: finished,
        stages: Vec::new(),
        errors: Vec::new(),
    }
}

#[test]
fn a_run_goes_from_sent_to_measured_in_the_timeline() {
    let mut s = ExecutorState::default();
    s.apply(ExecutorAction::RunSent {
        kind: RunKind::Plan,
        label: "plan × 4".to_string(),
        predicted: None,
    });
    assert!(s.busy());
    s.apply(ExecutorAction::RunCreated("r1".to_string()));
    s.apply(ExecutorAction::RunProgressed(status(RunState::Running, 1)));
    assert_eq!(s.job.as_ref().unwrap().fraction(), Some(0.25));
    let measured = Measured {
        executions: 4,
        cold: 1,
        p50_s: 1.0,
        q_s: 2.0,
        cost_usd: 1e-5,
        breakdown: Default::default(),
    };
    s.apply(ExecutorAction::RunEnded(Ok(RunEnd {
        state: RunState::Succeeded,
        measured: Some(measured.clone()),
        rows: 8,
        errors: Vec::new(),
    })));
    assert!(!s.busy());
    let r = &s.timeline[0];
    assert_eq!(r.id.as_deref(), Some("r1"));
    assert_eq!(r.outcome, Outcome::Done { rows: 8 });
    assert_eq!(r.measured, Some(measured));
}

#[test]
fn cancelled_and_failed_runs_say_so() {
    let mut s = ExecutorState::default();
    for (end, expect) in [
        (
            Ok(RunEnd {
                state: RunState::Cancelled,
                measured: None,
                rows: 0,
                errors: Vec::new(),
            }),
            Outcome::Cancelled,
        ),
        (
            Ok(RunEnd {
                state: RunState::Failed,
                measured: None,
                rows: 0,
                errors: vec!["stage sort: out of memory".to_string()],
            }),
            Outcome::Failed("stage sort: out of memory".to_string()),
        ),
        (
            Err("401: wrong token".to_string()),
            Outcome::Failed("401: wrong token".to_string()),
        ),
    ] {
        s.apply(ExecutorAction::RunSent {
            kind: RunKind::Profile,
            label: "x".to_string(),
            predicted: None,
        });
        s.apply(ExecutorAction::CancelRequested);
        s.apply(ExecutorAction::RunEnded(end));
        assert_eq!(s.timeline.last().unwrap().outcome, expect);
    }
    assert_eq!(s.timeline.len(), 3);
    assert_eq!(s.timeline[2].number, 3);
}

#[test]
fn url_and_token_are_remembered_only_when_asked() {
    let mut s = ExecutorState::default();
    s.apply(ExecutorAction::SetUrl(" http://h:1 ".to_string()));
    s.apply(ExecutorAction::SetToken("secret".to_string()));
    assert_eq!(s.remembered(), None);
    s.apply(ExecutorAction::SetRemember(true));
    assert_eq!(
        s.remembered(),
        Some(Remembered {
            url: "http://h:1".to_string(),
            token: "secret".to_string()
        })
    );
}

#[test]
fn the_first_design_covers_each_stage_low_middle_and_high() {
    let wf = workflow();
    let design = starting_configurations(&wf, 64);
    // sort: 3 sizes × 3 instance counts; merge: 3 sizes, repeated.
    assert_eq!(design.len(), 9);
    let sort: Vec<(u32, u32)> = design.iter().map(|c| (c[0].memory_mb, c[0].d)).collect();
    for m in [128, 640, 1024] {
        for d in [1, 4, 8] {
            assert!(sort.contains(&(m, d)), "{m}x{d} in {sort:?}");
        }
    }
    assert!(design.iter().all(|c| c[1].stage == "merge" && c[1].d == 1));
    assert_eq!(starting_configurations(&wf, 4).len(), 4);
}
