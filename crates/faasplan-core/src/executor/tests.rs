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
        timestamp: None,
        architecture: None,
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

mod measured_cost {
    use super::super::cost::{mean_measured_cost, measured_cost, total_usd};
    use super::super::{ExecutionRecord, StageRecord};
    use crate::dag::{Config, Workflow};
    use crate::platform::Preset;
    use crate::pricing::{EdgeData, Orchestration, ServiceCost, workflow_stage_extra};

    fn workflow() -> Workflow {
        serde_json::from_str(
            r#"{"name": "w", "stages": [
                 {"id": "split", "kind": "single", "allowed_d": [], "memory": {"min_mb": 128, "max_mb": 3008, "step_mb": 64}},
                 {"id": "sort", "kind": "parallel", "allowed_d": [1, 2, 4], "memory": {"min_mb": 128, "max_mb": 3008, "step_mb": 64}},
                 {"id": "ask", "kind": "single", "allowed_d": [], "memory": {"min_mb": 128, "max_mb": 3008, "step_mb": 64}}],
               "edges": [{"from": "split", "to": "sort"}, {"from": "sort", "to": "ask"}]}"#,
        )
        .unwrap()
    }

    fn stage(stage: &str, memory_mb: u32, d: u32, gb_s: f64) -> StageRecord {
        StageRecord {
            stage: stage.into(),
            memory_mb,
            d,
            latency_s: 2.0,
            billed_gb_s: gb_s,
        }
    }

    #[test]
    fn prices_functions_transitions_transfer_and_services_like_the_prediction() {
        let wf = workflow();
        let mut platform = Preset::AwsX86_64.platform();
        platform.pricing.orchestration = Orchestration::aws_standard();
        platform.pricing.edge_data = vec![EdgeData {
            from: "split".into(),
            to: "sort".into(),
            data_mb: 100.0,
        }];
        platform.pricing.storage.usd_per_gb = 0.02;
        platform.pricing.services = vec![ServiceCost {
            stage: "ask".into(),
            usd_per_run: 0.001,
        }];
        let record = ExecutionRecord {
            latency_s: 5.0,
            billed_gb_s: 3.0,
            invocations: 6,
            stages: vec![
                stage("split", 1024, 1, 1.0),
                stage("sort", 512, 4, 2.0),
                stage("ask", 128, 1, 0.0),
            ],
            ..ExecutionRecord::default()
        };
        let b = measured_cost(&wf, &platform, &record);
        let functions = 3.0 * platform.price_per_gb_s + 5.0 * platform.price_per_request + 0.001;
        assert!((b.functions_usd - functions).abs() < 1e-15, "{b:?}");
        // Transitions: split 1 + run end 1; sort Map 1 + 4; ask 1 (Standard, $0.000025 each).
        assert!((b.transitions_usd - 8.0 * 0.000_025).abs() < 1e-15, "{b:?}");
        // The same components the planner adds per stage.
        let dag = wf.validate().unwrap();
        let extra = |i: usize, memory_mb: u32, d: u32| {
            workflow_stage_extra(
                &platform.pricing,
                &wf,
                &dag.parents,
                &dag.topo,
                i,
                Config { memory_mb, d },
            )
        };
        let transfer = extra(0, 1024, 1).transfer_usd + extra(1, 512, 4).transfer_usd;
        assert!(transfer > 0.0);
        assert!((b.transfer_usd - transfer).abs() < 1e-15, "{b:?}");
        assert!((total_usd(&b) - (functions + b.transitions_usd + transfer)).abs() < 1e-15);
    }

    #[test]
    fn a_stage_that_did_not_run_costs_nothing_and_totals_alone_are_functions() {
        let wf = workflow();
        let mut platform = Preset::AwsX86_64.platform();
        platform.pricing.orchestration = Orchestration::aws_standard();
        let all = ExecutionRecord {
            stages: vec![
                stage("split", 1024, 1, 1.0),
                stage("sort", 512, 4, 2.0),
                stage("ask", 256, 1, 0.5),
            ],
            ..ExecutionRecord::default()
        };
        let skipped = ExecutionRecord {
            stages: vec![stage("split", 1024, 1, 1.0), stage("ask", 256, 1, 0.5)],
            ..ExecutionRecord::default()
        };
        let (a, s) = (
            measured_cost(&wf, &platform, &all),
            measured_cost(&wf, &platform, &skipped),
        );
        assert!((a.transitions_usd - s.transitions_usd - 5.0 * 0.000_025).abs() < 1e-15);
        assert!(
            (a.functions_usd
                - s.functions_usd
                - (2.0 * platform.price_per_gb_s + 4.0 * platform.price_per_request))
                .abs()
                < 1e-15
        );
        let totals_only = ExecutionRecord {
            billed_gb_s: 2.0,
            invocations: 3,
            ..ExecutionRecord::default()
        };
        let t = measured_cost(&wf, &platform, &totals_only);
        assert_eq!(t.transitions_usd, 0.0);
        assert!(
            (t.functions_usd - (2.0 * platform.price_per_gb_s + 3.0 * platform.price_per_request))
                .abs()
                < 1e-15
        );
        let mean = mean_measured_cost(&wf, &platform, &[all, skipped]);
        assert!(
            (mean.transitions_usd - (a.transitions_usd + s.transitions_usd) / 2.0).abs() < 1e-15
        );
    }
}
