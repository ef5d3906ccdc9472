use super::backend::{BackendError, Job, RunHandle};
use super::*;
use crate::profile::{ProfileRun, StepStat};

fn request(target: &str) -> String {
    format!(
        r#"{{"workflow": {{"name": "w", "stages": [
             {{"id": "split", "kind": "single", "allowed_d": [], "memory": {{"min_mb": 128, "max_mb": 3008, "step_mb": 64}}}},
             {{"id": "sort", "kind": "parallel", "allowed_d": [1, 2, 4], "memory": {{"min_mb": 128, "max_mb": 3008, "step_mb": 64}}}}],
             "edges": [{{"from": "split", "to": "sort"}}]}},
           "target": {target}, "workload": {{"kind": "size", "bytes": 1000}}, "repetitions": 2}}"#
    )
}

fn check(target: &str) -> Result<Vec<Vec<Config>>, String> {
    let request: RunRequest = serde_json::from_str(&request(target)).map_err(|e| e.to_string())?;
    request.check(&Limits::default()).map_err(|e| e.to_string())
}

#[test]
fn plan_target_resolves_in_stage_order() {
    let configs = check(
        r#"{"kind": "plan", "stages": [{"stage": "sort", "memory_mb": 512, "d": 4, "vcpu": 0.3},
                                      {"stage": "split", "memory_mb": 256, "d": 1}]}"#,
    )
    .unwrap();
    assert_eq!(
        configs,
        vec![vec![
            Config {
                memory_mb: 256,
                d: 1
            },
            Config {
                memory_mb: 512,
                d: 4
            }
        ]]
    );
}

#[test]
fn request_errors_name_the_field() {
    let cases = [
        (
            r#"{"kind": "plan", "stages": [{"stage": "split", "memory_mb": 256, "d": 1}]}"#,
            "target.stages: stage \"sort\" has no configuration",
        ),
        (
            r#"{"kind": "profile", "configurations": [[{"stage": "split", "memory_mb": 256, "d": 1},
                {"stage": "sort", "memory_mb": 0, "d": 2}]]}"#,
            "target.configurations[0][1].memory_mb: 0 is not within 1..=10240",
        ),
        (
            r#"{"kind": "plan", "stages": [{"stage": "split", "memory_mb": 256, "d": 2},
                {"stage": "sort", "memory_mb": 256, "d": 2}]}"#,
            "target.stages[0].d: 2 is not 1 (a single-instance stage)",
        ),
        (
            r#"{"kind": "plan", "stages": [{"stage": "nope", "memory_mb": 256, "d": 2}]}"#,
            "target.stages[0].stage: no stage \"nope\" in the workflow",
        ),
        (
            r#"{"kind": "profile", "configurations": []}"#,
            "target.configurations: 0 configurations, expected 1..=64",
        ),
    ];
    for (target, expected) in cases {
        assert_eq!(check(target).unwrap_err(), expected);
    }
}

#[test]
fn run_handle_collects_rows_and_finishes_cancelled() {
    let request: RunRequest = serde_json::from_str(&request(
        r#"{"kind": "plan", "stages": [{"stage": "sort", "memory_mb": 512, "d": 4}, {"stage": "split", "memory_mb": 256, "d": 1}]}"#,
    ))
    .unwrap();
    let configurations = request.check(&Limits::default()).unwrap();
    let job = Job {
        id: "r1".into(),
        request,
        configurations,
    };
    let handle = RunHandle::new(&job, "local", 1769.0);
    handle.set_state(RunState::Running);
    handle.instances_started("sort", 4);
    let step = StepStat {
        mean_s: 0.5,
        p95_s: 0.6,
    };
    let run = ProfileRun {
        memory_mb: 512,
        d: 4,
        rep: 0,
        cold: true,
        start: step,
        read: step,
        compute: step,
        write: None,
    };
    handle.add_run("sort", run);
    assert!(handle.cancel());
    assert!(handle.is_cancelled());
    handle.finish(Ok(()));
    assert_eq!(handle.state(), RunState::Cancelled);
    assert!(!handle.cancel(), "a finished run cannot be cancelled again");
    let status = handle.status();
    assert_eq!(status.executions_total, 2);
    assert_eq!(status.stages[1].instances_started, 4);
    assert_eq!(status.stages[1].runs_finished, 1);
    let profiles = handle.profiles();
    assert!(
        profiles.csv.contains("sort,512,4,0,true,0.5,0.6"),
        "{}",
        profiles.csv
    );
    let other = RunHandle::new(&job, "local", 1769.0);
    other.finish(Err(BackendError("boom".into())));
    assert_eq!(other.status().errors, vec!["boom".to_string()]);
    assert_eq!(other.state(), RunState::Failed);
}
